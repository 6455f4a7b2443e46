//! `windowwatch serve-sql`: the analysts' SQL session over the Postgres wire protocol, so psql,
//! DBeaver, Excel/WPS (ODBC) and BI tools connect with what they already have.
//!
//! datafusion-postgres speaks the protocol and provides `pg_catalog`; this module adds what a
//! hall's data needs around it: SCRAM-SHA-256 logins from `[[sql.users]]` (passwords from the
//! environment), one session per login built by [`super::SqlSession::open`] with that login's
//! [`super::Access`] (an office login sees only its halls, personal data masked), a read-only
//! guard on both the simple and the extended protocol, and errors mapped to SQLSTATEs. A login's
//! session is rebuilt when the warehouse gets a new snapshot (and, for "now", every minute), so a
//! long-lived connection never reads a snapshot that has been cleaned away.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDateTime;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::{SQLOptions, SessionContext};
use datafusion::sql::parser::Statement as DfParsed;
use datafusion::sql::sqlparser::ast::{Reset, Statement};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::Sink;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{SCRAM_ITERATIONS, ScramAuth, gen_salted_password, random_nonce};
use pgwire::api::auth::{AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler};
use pgwire::api::cancel::{CancelHandler, DefaultCancelHandler};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, ConnectionManager, ErrorHandler, METADATA_USER, PgWireConnectionState, PgWireServerHandlers, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use tokio::sync::Mutex;

use super::{Access, SqlSession, guard};
use crate::settings::Settings;
use crate::store::Warehouse;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("serve-sql: no SQL logins: add [[sql.users]] (name, password_env, optional office) to windowwatch.toml")]
    NoUsers,
    #[error("serve-sql: no login can sign in: set the password variable of at least one [[sql.users]] ({0})")]
    NoPasswords(String),
    #[error("serve-sql: `{0}` is not an address to listen on (expected HOST:PORT, e.g. 127.0.0.1:5433)")]
    Listen(String),
    #[error("serve-sql: cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("serve-sql: login `{user}`: {source}")]
    Session { user: String, source: super::SqlError },
    #[error("serve-sql: login `{user}`: pg_catalog: {source}")]
    Catalog { user: String, source: Box<DataFusionError> },
}

/// The statement type of datafusion-postgres (its cursor hook relies on exactly this type).
type DfStatement = (String, Option<(Statement, LogicalPlan)>);

/// A configured login: what it may see.
struct Login {
    access: Access,
}

/// One login's session as served now.
struct Live {
    service: Arc<DfSessionService>,
    parser: Arc<Parser>,
    snapshot: Option<u64>,
    built: Instant,
}

/// How long a session "as of now" is served before its views are rebuilt for the new now.
const NOW_REFRESH: Duration = Duration::from_secs(60);

struct Router {
    settings: Arc<Settings>,
    as_of: Option<NaiveDateTime>,
    logins: HashMap<String, Login>,
    live: Mutex<HashMap<String, Arc<Live>>>,
    /// Any login's parser: result schemas and parameter types depend only on the plan.
    any: Arc<Parser>,
}

fn refused(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message)))
}

fn user_of<C: ClientInfo + ?Sized>(c: &C) -> String {
    c.metadata().get(METADATA_USER).cloned().unwrap_or_default()
}

async fn build(settings: &Settings, user: &str, access: &Access, as_of: NaiveDateTime) -> Result<Live, PgError> {
    let session = SqlSession::open(settings, as_of, access.clone(), None).await.map_err(|e| PgError::Session { user: user.into(), source: e })?;
    let snapshot = session.snapshot;
    let mut ctx: SessionContext = session.ctx;
    setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider).map_err(|e| PgError::Catalog { user: user.into(), source: e })?;
    datafusion_postgres::datafusion_pg_functions::register_all(&mut ctx);
    let hooks: Vec<Arc<dyn QueryHook>> = vec![Arc::new(ReadOnly), Arc::new(CursorStatementHook), Arc::new(SetShowHook), Arc::new(TransactionStatementHook)];
    let service = Arc::new(DfSessionService::new_with_hooks(Arc::new(ctx), hooks));
    let parser = service.query_parser();
    Ok(Live { service, parser, snapshot, built: Instant::now() })
}

impl Router {
    fn as_of(&self) -> NaiveDateTime {
        self.as_of.unwrap_or_else(crate::clock::now_china)
    }

    /// The login's session, rebuilt when the warehouse moved on (or "now" did).
    async fn live<C: ClientInfo + ?Sized>(&self, client: &C) -> PgWireResult<Arc<Live>> {
        let user = user_of(client);
        let Some(login) = self.logins.get(&user) else {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), "28000".into(), format!("role \"{user}\" may not log in")))));
        };
        let current = Warehouse::open(&self.settings.config.data_dir).and_then(|w| w.current()).map(|s| s.map(|s| s.id)).ok().flatten();
        let mut live = self.live.lock().await;
        if let Some(l) = live.get(&user) {
            let stale_now = self.as_of.is_none() && l.built.elapsed() > NOW_REFRESH;
            if l.snapshot == current && !stale_now {
                return Ok(Arc::clone(l));
            }
        }
        let l = Arc::new(build(&self.settings, &user, &login.access, self.as_of()).await.map_err(|e| refused("XX000", e.to_string()))?);
        live.insert(user, Arc::clone(&l));
        Ok(l)
    }
}

#[async_trait]
impl SimpleQueryHandler for Router {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let l = self.live(client).await?;
        tracing::debug!(user = %user_of(client), query, "sql");
        <DfSessionService as SimpleQueryHandler>::do_query(&l.service, client, query).await
    }
}

/// The extended protocol's handler: parsing needs the router itself (to pick the login's
/// session), so it holds it shared.
struct Extended(Arc<Router>);

#[async_trait]
impl ExtendedQueryHandler for Extended {
    type Statement = DfStatement;
    type QueryParser = RouterParser;

    fn query_parser(&self) -> Arc<RouterParser> {
        Arc::new(RouterParser { router: Arc::clone(&self.0) })
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<DfStatement>, max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = DfStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let l = self.0.live(client).await?;
        <DfSessionService as ExtendedQueryHandler>::do_query(&l.service, client, portal, max_rows).await
    }
}

pub struct RouterParser {
    router: Arc<Router>,
}

#[async_trait]
impl QueryParser for RouterParser {
    type Statement = DfStatement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<DfStatement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let l = self.router.live(client).await?;
        l.parser.parse_sql(client, sql, types).await
    }

    fn get_parameter_types(&self, s: &DfStatement) -> PgWireResult<Vec<Type>> {
        self.router.any.get_parameter_types(s)
    }

    fn get_result_schema(&self, s: &DfStatement, f: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.router.any.get_result_schema(s, f)
    }
}

/// The read-only guard: queries, EXPLAIN, SHOW, SET of client settings and transaction
/// statements pass; anything that would create, change or write is refused with SQLSTATE 25006.
/// Queries are planned and their plan checked too (`SELECT … INTO` plans as DDL).
struct ReadOnly;

enum Verdict {
    Pass,
    Plan,
    Ignore(&'static str),
    Deny(String),
    /// A setting that is the server's: SQLSTATE 42501.
    Refuse(String),
}

fn settings_verdict(v: guard::SetVerdict, tag: &'static str) -> Verdict {
    match v {
        guard::SetVerdict::Apply => Verdict::Pass,
        guard::SetVerdict::Acknowledge => Verdict::Ignore(tag),
        guard::SetVerdict::Refuse(r) => Verdict::Refuse(r),
    }
}

fn classify(s: &Statement) -> Verdict {
    match s {
        Statement::Query(_) | Statement::Explain { .. } | Statement::ExplainTable { .. } | Statement::ShowTables { .. } | Statement::ShowColumns { .. } | Statement::Declare { .. } => {
            Verdict::Plan
        }
        // Settings by an explicit list, judged on the parsed name (super::guard).
        Statement::Set(set) => settings_verdict(guard::judge_set(set), "SET"),
        Statement::Reset(r) => settings_verdict(
            guard::judge_reset(match &r.reset {
                Reset::ALL => None,
                Reset::ConfigurationParameter(n) => Some(n),
            }),
            "RESET",
        ),
        Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. } => Verdict::Pass,
        Statement::Discard { .. } => Verdict::Ignore("DISCARD ALL"),
        Statement::Savepoint { .. } => Verdict::Ignore("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Verdict::Ignore("RELEASE"),
        Statement::Deallocate { .. } => Verdict::Ignore("DEALLOCATE"),
        other => Verdict::Deny(guard::head(other)),
    }
}

fn read_only(what: &str) -> PgWireError {
    refused(
        "25006",
        format!("cannot execute {what}: windowwatch serves the warehouse read-only (it changes only by `windowwatch ingest` and `check`)"),
    )
}

fn verify(plan: &LogicalPlan) -> PgWireResult<()> {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false).verify_plan(plan).map_err(|e| read_only(&e.message()))
}

async fn plan_and_verify(s: &Statement, ctx: &SessionContext) -> PgWireResult<()> {
    let stmts: Vec<Statement> = match s {
        Statement::Declare { stmts } => stmts.iter().filter_map(|d| d.for_query.clone().map(Statement::Query)).collect(),
        s => vec![s.clone()],
    };
    let state = ctx.state();
    for s in stmts {
        let plan = state.statement_to_plan(DfParsed::Statement(Box::new(s))).await.map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        verify(&plan)?;
    }
    Ok(())
}

fn empty_plan() -> LogicalPlan {
    LogicalPlan::EmptyRelation(EmptyRelation { produce_one_row: false, schema: Arc::new(DFSchema::empty()) })
}

#[async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(&self, s: &Statement, ctx: &SessionContext, _c: &mut dyn HookClient) -> Option<PgWireResult<Response>> {
        match classify(s) {
            Verdict::Pass => None,
            Verdict::Ignore(tag) => Some(Ok(Response::Execution(Tag::new(tag)))),
            Verdict::Deny(w) => Some(Err(read_only(&w))),
            Verdict::Refuse(r) => Some(Err(refused("42501", r))),
            Verdict::Plan => plan_and_verify(s, ctx).await.err().map(Err),
        }
    }

    async fn handle_extended_parse_query(&self, s: &Statement, _ctx: &SessionContext, _c: &(dyn ClientInfo + Send + Sync)) -> Option<PgWireResult<LogicalPlan>> {
        match classify(s) {
            Verdict::Deny(w) => Some(Err(read_only(&w))),
            Verdict::Refuse(r) => Some(Err(refused("42501", r))),
            Verdict::Ignore(_) => Some(Ok(empty_plan())),
            _ => None,
        }
    }

    async fn handle_extended_query(&self, s: &Statement, plan: &LogicalPlan, _p: &ParamValues, ctx: &SessionContext, _c: &mut dyn HookClient) -> Option<PgWireResult<Response>> {
        match classify(s) {
            Verdict::Pass => None,
            Verdict::Ignore(tag) => Some(Ok(Response::Execution(Tag::new(tag)))),
            Verdict::Deny(w) => Some(Err(read_only(&w))),
            Verdict::Refuse(r) => Some(Err(refused("42501", r))),
            Verdict::Plan if matches!(s, Statement::Declare { .. }) => plan_and_verify(s, ctx).await.err().map(Err),
            Verdict::Plan => verify(plan).err().map(Err),
        }
    }
}

/// SCRAM credentials of the configured logins. Every other name (unknown, or a login whose
/// password variable is unset) gets a salt and a key derived from a secret of this process, so
/// the exchange runs to the proof and fails there the same way: no telling which logins exist.
#[derive(Clone)]
struct Credentials {
    real: Arc<HashMap<String, (Vec<u8>, Vec<u8>)>>,
    secret: [u8; 32],
}

impl Credentials {
    fn new(real: HashMap<String, (Vec<u8>, Vec<u8>)>) -> Credentials {
        Credentials { real: Arc::new(real), secret: rand::random() }
    }

    /// A stable salt (shaped as the real ones: base64 of 18 bytes) and a key nobody knows.
    fn fake(&self, user: &str) -> (Vec<u8>, Vec<u8>) {
        use base64::Engine as _;
        let derive = |what: &str| blake3::keyed_hash(&self.secret, format!("{what}\0{user}").as_bytes());
        let salt = base64::engine::general_purpose::STANDARD.encode(&derive("salt").as_bytes()[..18]).into_bytes();
        (salt, derive("key").as_bytes().to_vec())
    }
}

impl Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

#[async_trait]
impl AuthSource for Credentials {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        let (salt, key) = self.real.get(user).cloned().unwrap_or_else(|| self.fake(user));
        Ok(Password::new(Some(salt), key))
    }
}

/// Engine errors as Postgres errors: one readable message and a SQLSTATE; anything during
/// authentication closes the connection.
struct Errors;

impl ErrorHandler for Errors {
    fn on_error<C: ClientInfo>(&self, client: &C, error: &mut PgWireError) {
        // One wording for every failed login, naming the user of the startup message (the SCRAM
        // message's own name is usually empty), as PostgreSQL answers.
        if matches!(error, PgWireError::InvalidPassword(_)) {
            *error = PgWireError::InvalidPassword(user_of(client));
        }
        if let PgWireError::ApiError(inner) = error {
            let info = if let Some(df) = inner.downcast_ref::<DataFusionError>() {
                let q = super::QueryError::from_engine(df, "");
                let code = match df.find_root() {
                    DataFusionError::SQL(..) => "42601",
                    DataFusionError::SchemaError(..) => "42703",
                    DataFusionError::Plan(m) if m.contains("not found") => "42P01",
                    DataFusionError::Plan(m) if m.contains("function") => "42883",
                    DataFusionError::Plan(_) => "42000",
                    DataFusionError::NotImplemented(_) => "0A000",
                    DataFusionError::ResourcesExhausted(_) => "53200",
                    DataFusionError::ArrowError(..) | DataFusionError::Execution(_) => "22000",
                    _ => "XX000",
                };
                let mut e = ErrorInfo::new("ERROR".into(), code.into(), q.message);
                if let Some((line, col)) = q.position {
                    e.detail = Some(format!("at line {line}, column {col}"));
                }
                e
            } else {
                let m = inner.to_string();
                let code = if m.starts_with("sql parser error") { "42601" } else { "XX000" };
                ErrorInfo::new("ERROR".into(), code.into(), m.trim_start_matches("sql parser error: ").to_string())
            };
            *error = PgWireError::UserError(Box::new(info));
        }
        // Any error before the login completed ends the connection (a non-fatal one would leave it
        // ready for queries without having signed in).
        if matches!(client.state(), PgWireConnectionState::AwaitingStartup | PgWireConnectionState::AuthenticationInProgress) {
            let mut info: ErrorInfo = std::mem::replace(error, PgWireError::InvalidSASLState).into();
            info.severity = "FATAL".into();
            *error = PgWireError::UserError(Box::new(info));
        }
    }
}

struct Factory {
    router: Arc<Router>,
    credentials: Credentials,
    params: Arc<DefaultServerParameterProvider>,
    connections: Arc<ConnectionManager>,
}

impl PgWireServerHandlers for Factory {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.router)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::new(Extended(Arc::clone(&self.router)))
    }

    /// A new handler per connection: the SCRAM exchange keeps state.
    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let mut scram = ScramAuth::new(Arc::new(self.credentials.clone()));
        scram.set_iterations(SCRAM_ITERATIONS);
        Arc::new(SASLAuthStartupHandler::new(Arc::clone(&self.params)).with_scram(scram).with_connection_manager(Arc::clone(&self.connections)))
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(Errors)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::new(DefaultCancelHandler::new(Arc::clone(&self.connections)))
    }
}

/// The access of a configured login.
pub fn access_of(settings: &Settings, user: &crate::config::SqlUser) -> Access {
    let mut a = access_of_user(settings, user);
    a.mask_staff = settings.config.mask_staff && a.masked;
    a
}

fn access_of_user(settings: &Settings, user: &crate::config::SqlUser) -> Access {
    match user.office.as_deref().and_then(|id| settings.config.offices.iter().find(|o| o.id == id)) {
        Some(o) => Access { halls: Some(o.halls.clone()), office: Some(o.id.clone()), masked: !(user.show_personal_data || o.show_personal_data), mask_staff: false },
        // An office the config does not have (config check reports it) sees nothing.
        None if user.office.is_some() => Access { halls: Some(Vec::new()), office: user.office.clone(), masked: true, mask_staff: false },
        None => Access { halls: None, office: None, masked: !user.show_personal_data, mask_staff: false },
    }
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(settings: Arc<Settings>, listen: &str, as_of: Option<NaiveDateTime>) -> Result<(), PgError> {
    if settings.config.sql_users.is_empty() {
        return Err(PgError::NoUsers);
    }
    let mut logins = HashMap::new();
    let mut creds = HashMap::new();
    let mut missing = Vec::new();
    for u in &settings.config.sql_users {
        match std::env::var(&u.password_env) {
            Ok(p) if !p.is_empty() => {
                let salt = random_nonce().into_bytes();
                let salted = gen_salted_password(&p, &salt, SCRAM_ITERATIONS);
                creds.insert(u.name.clone(), (salt, salted));
                logins.insert(u.name.clone(), Login { access: access_of(&settings, u) });
            }
            _ => {
                tracing::warn!(user = %u.name, variable = %u.password_env, "no password in the environment: this login cannot sign in");
                missing.push(format!("{} → ${}", u.name, u.password_env));
            }
        }
    }
    if logins.is_empty() {
        return Err(PgError::NoPasswords(missing.join(", ")));
    }
    let addr: std::net::SocketAddr = listen.parse().map_err(|_| PgError::Listen(listen.to_string()))?;
    let t = as_of.unwrap_or_else(crate::clock::now_china);
    // Build every login's session now: a broken configuration shows at start, not at first use.
    let mut live = HashMap::new();
    for (name, l) in &logins {
        live.insert(name.clone(), Arc::new(build(&settings, name, &l.access, t).await?));
    }
    let any = Arc::clone(&live.values().next().expect("at least one login").parser);
    let router = Arc::new(Router { settings: Arc::clone(&settings), as_of, logins, live: Mutex::new(live), any });
    let mut params = DefaultServerParameterProvider::default();
    params.default_transaction_read_only = true;
    params.is_superuser = false;
    let factory = Arc::new(Factory { router, credentials: Credentials::new(creds), params: Arc::new(params), connections: Arc::new(ConnectionManager::new()) });

    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| PgError::Bind { addr: listen.to_string(), source: e })?;
    let local = listener.local_addr().map_err(|e| PgError::Bind { addr: listen.to_string(), source: e })?;
    println!("windowwatch serve-sql: listening on {local} (Postgres wire, SCRAM-SHA-256, read-only); e.g. psql -h {} -p {} -U {} windowwatch", local.ip(), local.port(), settings.config.sql_users[0].name);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| PgError::Bind { addr: listen.to_string(), source: e })?;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    let f = Arc::clone(&factory);
                    tokio::spawn(async move {
                        if let Err(e) = pgwire::tokio::process_socket(socket, None, f).await {
                            tracing::info!(%peer, "connection ended: {e}");
                        }
                    });
                }
                Err(e) => tracing::warn!("accept: {e}"),
            },
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("serve-sql: stopped");
    Ok(())
}
