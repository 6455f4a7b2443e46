//! The browser workspace (`windowwatch serve-web`, feature `web`): server-rendered Chinese pages
//! over the same office-scoped sessions as the SQL shell and the Postgres server. A login of
//! `[[web.users]]` signs in (argon2 or an environment password, attempts held back after five
//! failures), gets a signed HttpOnly SameSite=Strict session cookie with a CSRF token for its
//! forms, and sees the findings of its halls only, masked as its office's reports are: every
//! page reads through `session::open` with the login's `Access`, never through a page parameter.
//! Each page says which check run it shows ("数据截至 …") and opens as of an earlier instant
//! with `?as_of=`.

mod admin;
mod archive;
mod answer;
pub mod chart;
pub mod auth;
pub mod data;
pub mod html;
mod lang;
mod pages;
mod register;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use datafusion::prelude::SessionContext;

use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("serve-web: no logins: add [[web.users]] to the config (name, role, office or hall, password_hash from `windowwatch passwd` or password_env)")]
    NoUsers,
    #[error("--listen {0}: not an address (e.g. 127.0.0.1:8080)")]
    Listen(String),
    #[error("serve-web: cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("serve-web: {0}")]
    Serve(std::io::Error),
}

/// The server's state: the settings, the logins and sessions, and the sessions of the warehouse
/// recently opened (per access, snapshot and instant).
pub struct App {
    pub settings: Arc<Settings>,
    pub auth: auth::Auth,
    contexts: Mutex<HashMap<String, SessionContext>>,
    /// The findings of a run as the pages read them, worked out once per login access,
    /// snapshot, run and instant ("latest" without `?as_of=`: within a snapshot the answers as of
    /// now are all it holds, and an answer makes a new snapshot).
    findings: Kept<data::RunFindings>,
    /// The denial registers read (per access, snapshot, instant and month): each evaluates the
    /// register's rules in a report session.
    registers: Kept<crate::report::register::OfficeRegister>,
    /// The run a snapshot shows at an instant (its `check_runs` read once).
    runs: Kept<Option<data::Run>>,
    /// Held while an answer or a decision is checked and recorded: one write at a time.
    writes: tokio::sync::Mutex<()>,
    /// The report session the register was last read in (per snapshot and instant).
    reports: tokio::sync::Mutex<Option<(String, Arc<crate::report::Session>)>>,
}

/// Contexts (and the runs a snapshot shows) kept at most; a map starts over when it is full.
const CONTEXTS_KEPT: usize = 64;

/// Runs' findings and registers kept at most: each holds a whole run's findings (or a month's
/// register) of an office, so fewer of them — a page per earlier `?as_of=` instant must not
/// pile up a province's findings 64 times over.
const FINDINGS_KEPT: usize = 8;

/// What the pages work out once and share, per key: the first page that asks works it out, the
/// others wait for it; at most `limit` keys (the map starts over when full).
struct Kept<T> {
    cells: Mutex<HashMap<String, Cell<T>>>,
    limit: usize,
}

type Cell<T> = Arc<tokio::sync::OnceCell<Arc<T>>>;

impl<T> Kept<T> {
    fn new(limit: usize) -> Kept<T> {
        Kept { cells: Mutex::new(HashMap::new()), limit }
    }

    /// The cell the value of `key` is (or will be) kept in.
    fn cell(&self, key: &str) -> Cell<T> {
        let Ok(mut m) = self.cells.lock() else { return Cell::default() };
        if let Some(c) = m.get(key) {
            return Arc::clone(c);
        }
        if m.len() >= self.limit {
            m.clear();
        }
        Arc::clone(m.entry(key.to_string()).or_default())
    }
}

impl App {
    pub fn new(settings: Arc<Settings>) -> App {
        let auth = auth::Auth::new(&settings.config);
        App { settings, auth, contexts: Mutex::new(HashMap::new()), findings: Kept::new(FINDINGS_KEPT), registers: Kept::new(FINDINGS_KEPT), runs: Kept::new(CONTEXTS_KEPT), writes: tokio::sync::Mutex::new(()), reports: tokio::sync::Mutex::new(None) }
    }

    fn cached(&self, key: &str) -> Option<SessionContext> {
        self.contexts.lock().ok()?.get(key).cloned()
    }

    fn keep(&self, key: String, ctx: SessionContext) {
        if let Ok(mut m) = self.contexts.lock() {
            if m.len() >= CONTEXTS_KEPT {
                m.clear();
            }
            m.insert(key, ctx);
        }
    }
}

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/findings", get(pages::findings))
        .route("/findings.xlsx", get(pages::findings_xlsx))
        .route("/finding", get(pages::finding))
        .route("/respond", post(answer::respond))
        .route("/register", get(register::page))
        .route("/admin", get(admin::page))
        .route("/archive", get(archive::page))
        .route("/archive/file", get(archive::file))
        .route("/register.xlsx", get(register::xlsx))
        .route("/register.csv", get(register::csv))
        .route("/decide", post(answer::decide))
        .route("/static/app.css", get(pages::css))
        .route("/static/cjk.ttf", get(pages::font))
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// Every response: no framing, no sniffing, no referrer, no script, and no caching but of the
/// static files.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(settings: Arc<Settings>, listen: Option<&str>) -> Result<(), WebError> {
    if settings.config.web.users.is_empty() {
        return Err(WebError::NoUsers);
    }
    let listen = listen.map(str::to_string).or(settings.config.web.listen.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
    let addr: SocketAddr = listen.parse().map_err(|_| WebError::Listen(listen.clone()))?;
    let app = Arc::new(App::new(settings));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| WebError::Bind { addr: listen.clone(), source: e })?;
    let local = listener.local_addr().map_err(|e| WebError::Bind { addr: listen.clone(), source: e })?;
    println!("windowwatch serve-web: listening on http://{local}/");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown()).await.map_err(WebError::Serve)?;
    tracing::info!("serve-web: stopped");
    Ok(())
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}
