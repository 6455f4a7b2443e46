//! The pages: login and logout, the overview, the findings list (filters, pages, XLSX) and a
//! finding's detail with the record, the rule and its seed clause, and the working-day
//! arithmetic of a deadline. Each handler finds the session from the cookie first; the halls it
//! reads come from the login's access alone.

use std::collections::HashMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDateTime};
use datafusion::prelude::SessionContext;

use super::App;
use super::auth::{self, Attempt, Login, Session};
use super::data::{self, Filters, Run};
use super::html::{self, Frame, esc, query};

type Q = Query<HashMap<String, String>>;

const PAGE_SIZE: usize = 50;
/// Rows an XLSX export holds at most.
const EXPORT_ROWS: usize = 100_000;

pub(super) fn html_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A page with a message only.
pub(super) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let f = Frame { title, user: None, csrf: "", data_as_of: "", as_of: "", register: false, admin: false, en: false };
    html_response(status, html::page(&f, &format!("<p class=\"err\">{}</p>", esc(text))))
}

/// A page, or the response that stands in for it: the login page to sign in first, the error
/// page of what went wrong (`?` on a step's `Result`).
pub(super) type Page = Result<Response, Response>;

pub(super) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("serve-web: {e}");
    message(StatusCode::INTERNAL_SERVER_ERROR, "出错了", "服务器内部错误，请稍后再试或联系管理员。")
}

pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")], html::CSS).into_response()
}

pub async fn font() -> Response {
    ([(header::CONTENT_TYPE, "font/ttf"), (header::CACHE_CONTROL, "public, max-age=86400")], html::CJK_FONT).into_response()
}

pub async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "页面不存在", "没有这个页面。")
}

/// The signed-in session and its login, from the request's cookie.
pub(super) fn signed_in<'a>(app: &'a App, headers: &HeaderMap) -> Option<(Session, &'a Login)> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let s = app.auth.session(auth::cookie(cookies, auth::SESSION_COOKIE)?)?;
    let login = app.auth.logins.get(&s.user)?;
    Some((s, login))
}

/// What a page reads: the session of the warehouse, the run shown, and what the header says.
pub(super) struct Opened {
    pub ctx: Option<SessionContext>,
    pub run: Option<Run>,
    /// The page's instant: `?as_of=`, else now. Answers to findings count as of it.
    pub at: NaiveDateTime,
    pub as_of_param: String,
    pub data_as_of: String,
    /// The warehouse snapshot read (None: no warehouse yet).
    pub snapshot: Option<u64>,
    /// What the run's findings are kept under: access, snapshot, run, instant ("latest").
    pub findings_key: String,
}

pub(super) async fn open(app: &App, login: &Login, q: &HashMap<String, String>) -> Result<Opened, Response> {
    let as_of_param = q.get("as_of").map(|s| s.trim().to_string()).unwrap_or_default();
    let at = match as_of_param.as_str() {
        "" => None,
        s => Some(crate::clock::parse_instant(s).map_err(|e| message(StatusCode::BAD_REQUEST, "时间有误", &format!("as_of: {e}")))?),
    };
    let s = &app.settings;
    let dir = &s.config.data_dir;
    let snapshot = if dir.join("snapshots").is_dir() { crate::store::Warehouse::open(dir).and_then(|w| w.current()).map_err(internal)? } else { None };
    // A snapshot never changes: its run at an instant is read once.
    let run_key = format!("{:?}|{at:?}", snapshot.as_ref().map(|s| s.id));
    let run = **app.runs.cell(&run_key).get_or_try_init(|| async { data::pick_run(snapshot.as_ref(), at).map(Arc::new) }).await.map_err(internal)?;
    let data_as_of = match (run, login.english) {
        (Some(r), false) => format!("数据截至 {}（检查批次 #{}）", r.as_of.format("%Y-%m-%d %H:%M:%S"), r.id),
        (Some(r), true) => format!("Data as of {} (check run #{})", r.as_of.format("%Y-%m-%d %H:%M:%S"), r.id),
        (None, false) => "数据截至 —：此时点之前尚无检查记录（windowwatch check）".to_string(),
        (None, true) => "Data as of —: no check recorded before this instant (windowwatch check)".to_string(),
    };
    let Some(snap) = snapshot.as_ref().filter(|_| run.is_some()) else {
        return Ok(Opened { ctx: None, run, at: at.unwrap_or_else(crate::clock::now_china), as_of_param, data_as_of, snapshot: snapshot.map(|s| s.id), findings_key: String::new() });
    };
    let instant = run.map(|r| r.as_of).or(at).unwrap_or_else(crate::clock::now_china);
    let key = format!("{:?}|{}|{instant}", login.access, snap.id);
    let ctx = match app.cached(&key) {
        Some(c) => c,
        None => {
            let c = crate::session::open(Some(snap), &s.calendar, &s.catalog, &s.profile, instant, &s.engine, &login.access).await.map_err(internal)?;
            app.keep(key, c.clone());
            c
        }
    };
    let instant = at.map(|a| a.to_string()).unwrap_or_else(|| "latest".into());
    let findings_key = format!("{:?}|{}|{}|{instant}", login.access, snap.id, run.map(|r| r.id).unwrap_or(0));
    Ok(Opened { ctx: Some(ctx), run, at: at.unwrap_or_else(crate::clock::now_china), as_of_param, data_as_of, snapshot: Some(snap.id), findings_key })
}

/// The run's findings of the page, worked out by the first page of its key and kept by the
/// server (None: no run to show).
pub(super) async fn run_findings(app: &App, login: &Login, o: &Opened) -> Result<Option<Arc<data::RunFindings>>, datafusion::error::DataFusionError> {
    let (Some(ctx), Some(run)) = (&o.ctx, o.run) else { return Ok(None) };
    let cell = app.findings.cell(&o.findings_key);
    let rf = cell
        .get_or_try_init(|| async {
            let names = match crate::report::names::Names::load(ctx).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!("serve-web: the reference tables could not be read, ids shown without names: {e}");
                    crate::report::names::Names::default()
                }
            };
            data::run_findings(ctx, &app.settings, run, o.at, &names, login.access.mask_staff).await.map(Arc::new)
        })
        .await?;
    Ok(Some(Arc::clone(rf)))
}

pub(super) fn frame<'a>(title: &'a str, s: &'a Session, login: &'a Login, o: &'a Opened) -> Frame<'a> {
    Frame { title, user: Some((login.user.name.as_str(), auth::role_zh(login.user.role))), csrf: &s.csrf, data_as_of: &o.data_as_of, as_of: &o.as_of_param, register: login.user.role != crate::config::WebRole::Hall, admin: login.user.role == crate::config::WebRole::Admin, en: login.english }
}

// ---------------------------------------------------------------- login

fn login_page(app: &App, status: StatusCode, error: &str) -> Response {
    let nonce = app.auth.new_nonce();
    let csrf = app.auth.login_csrf(&nonce);
    let mut body = String::new();
    if !error.is_empty() {
        let _ = write!(body, "<p class=\"err\" id=\"login-error\">{}</p>", esc(error));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/login\" id=\"login\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><label>用户名 <input name=\"name\" id=\"name\" autocomplete=\"username\" required></label></p>\
         <p><label>密码 <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\
         <p><button type=\"submit\" id=\"submit\">登录</button></p></form>",
        esc(&csrf)
    );
    let f = Frame { title: "登录", user: None, csrf: "", data_as_of: "", as_of: "", register: false, admin: false, en: false };
    let mut r = html_response(status, html::page(&f, &body));
    let cookie = auth::set_cookie(auth::LOGIN_COOKIE, &app.auth.sign(&nonce), std::time::Duration::from_secs(3600));
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn login_form(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if signed_in(&app, &headers).is_some() {
        return redirect("/");
    }
    login_page(&app, StatusCode::OK, "")
}

pub async fn login(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let nonce = headers.get(header::COOKIE).and_then(|c| c.to_str().ok()).and_then(|c| auth::cookie(c, auth::LOGIN_COOKIE)).and_then(|c| app.auth.unsign(c)).map(str::to_string);
    let token = f.get("csrf").map(String::as_str).unwrap_or("");
    if nonce.is_none_or(|n| app.auth.login_csrf(&n) != token) {
        return login_page(&app, StatusCode::FORBIDDEN, "表单已失效，请重新登录。");
    }
    let name = f.get("name").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let a = Arc::clone(&app);
    let n = name.clone();
    let outcome = tokio::task::spawn_blocking(move || a.auth.attempt(&n, &password, &peer.ip().to_string())).await.unwrap_or(Attempt::Wrong);
    match outcome {
        Attempt::Ok => {
            let cookie = auth::set_cookie(auth::SESSION_COOKIE, &app.auth.start(&name), app.auth.lifetime);
            let mut r = redirect("/");
            for c in [cookie, auth::set_cookie(auth::LOGIN_COOKIE, "", std::time::Duration::ZERO)] {
                if let Ok(v) = c.parse() {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Attempt::Wrong => {
            tracing::info!(user = %name, %peer, "serve-web: login failed");
            login_page(&app, StatusCode::UNAUTHORIZED, "用户名或密码错误。")
        }
        Attempt::Wait(d) => {
            tracing::warn!(user = %name, %peer, "serve-web: login held back after repeated failures");
            let mut r = login_page(&app, StatusCode::TOO_MANY_REQUESTS, &format!("登录失败次数过多，请 {} 秒后再试。", d.as_secs().max(1)));
            if let Ok(v) = d.as_secs().max(1).to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

pub async fn logout(State(app): State<Arc<App>>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let Some((s, _)) = signed_in(&app, &headers) else { return redirect("/login") };
    if !auth::Auth::csrf_ok(&s, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return message(StatusCode::FORBIDDEN, "请求被拒绝", "缺少或错误的表单令牌（CSRF）。");
    }
    if let Some(c) = headers.get(header::COOKIE).and_then(|c| c.to_str().ok()).and_then(|c| auth::cookie(c, auth::SESSION_COOKIE)) {
        app.auth.end(c);
    }
    let mut r = redirect("/login");
    if let Ok(v) = auth::set_cookie(auth::SESSION_COOKIE, "", std::time::Duration::ZERO).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

// ---------------------------------------------------------------- overview

fn month_before(m: &str) -> String {
    let (y, mo) = m.split_once('-').and_then(|(y, mo)| Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?))).unwrap_or((1970, 1));
    if mo <= 1 { format!("{:04}-12", y - 1) } else { format!("{y:04}-{:02}", mo - 1) }
}

/// The overview's month columns: this month so far, or last month.
fn month_head(en: bool, this: &str, last: &str, current: bool) -> String {
    match (en, current) {
        (false, true) => format!("本月至今（{this}）"),
        (false, false) => format!("上月（{last}）"),
        (true, true) => format!("This month so far ({this})"),
        (true, false) => format!("Last month ({last})"),
    }
}

/// 环比: this month against the last, in percent (— when last month had none).
fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return "—".into();
    }
    format!("{:+.1}%", (now - before) as f64 * 100.0 / before as f64)
}

pub async fn overview(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Page {
    let Some((s, login)) = signed_in(&app, &headers) else { return Err(redirect("/login")) };
    let o = open(&app, login, &q).await?;
    let body = overview_body(&app, login, &o).await.map_err(internal)?;
    Ok(html_response(StatusCode::OK, html::page(&frame("概览", &s, login, &o), &body)))
}

/// The headline figures with 环比, the trend chart, the halls ranked.
async fn overview_body(app: &App, login: &Login, o: &Opened) -> Result<String, datafusion::error::DataFusionError> {
    let (Some(run), Some(rf)) = (o.run, run_findings(app, login, o).await?) else { return Ok("<p>尚无检查结果。</p>".into()) };
    let mut body = String::new();
    let this = format!("{:04}-{:02}", run.as_of.year(), run.as_of.month());
    let last = month_before(&this);
    let by_month = data::counts(&rf, "month");
    let n = |m: Option<&str>, sev: &str| -> i64 { by_month.iter().filter(|r| m.is_none_or(|m| r[0] == m) && r[1] == sev).map(|r| r[2].parse::<i64>().unwrap_or(0)).sum() };
    let mut rows = Vec::new();
    for sev in ["red", "yellow", "info"] {
        let (now, before) = (n(Some(&this), sev), n(Some(&last), sev));
        rows.push(vec![html::severity_zh(sev).to_string(), now.to_string(), before.to_string(), change(now, before), n(None, sev).to_string()]);
    }
    let sevs = ["red", "yellow", "info"];
    let months = [this.clone(), last.clone(), String::new(), String::new()];
    let a = o.as_of_param.clone();
    let link = |i: usize, j: usize| (j > 0 && j != 3).then(|| format!("/findings{}", query(&[("severity", sevs[i]), ("month", &months[j - 1]), ("as_of", &a)])));
    let _ = write!(body, "<h2>红黄牌（申诉认可的不计）</h2><div id=\"headline\">{}</div>", html::table(&["等级", &month_head(login.english, &this, &last, true), &month_head(login.english, &this, &last, false), "环比", "本批次全部"], &rows, &link));
    let trend: Vec<(String, i64, i64)> = trend_months(&this).into_iter().map(|m| (m.clone(), n(Some(&m), "red"), n(Some(&m), "yellow"))).collect();
    let first = trend.iter().position(|(_, r, y)| r + y > 0).unwrap_or(trend.len().saturating_sub(1));
    body.push_str(&super::chart::trend(&trend[first..], login.english));
    let by_hall = data::counts(&rf, "hall_id");
    let names = data::hall_names(&rf);
    let mut halls: Vec<String> = by_hall.iter().map(|r| r[0].clone()).collect();
    halls.sort();
    halls.dedup();
    let mut hall_rows: Vec<Vec<String>> = halls
        .iter()
        .map(|h| {
            let c = |sev: &str| by_hall.iter().filter(|r| &r[0] == h && r[1] == sev).map(|r| r[2].clone()).next().unwrap_or_else(|| "0".into());
            vec![h.clone(), names.get(h).cloned().unwrap_or_else(|| h.clone()), c("red"), c("yellow"), c("info")]
        })
        .collect();
    // Ranked: most red cards first, then yellow.
    let num = |r: &Vec<String>, k: usize| r.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    hall_rows.sort_by(|x, y| (num(y, 2), num(y, 3)).cmp(&(num(x, 2), num(x, 3))).then_with(|| x[0].cmp(&y[0])));
    let hall_link = |i: usize, j: usize| (j == 0).then(|| format!("/findings{}", query(&[("hall", &hall_rows[i][0]), ("as_of", &a)])));
    let _ = write!(body, "<h2>各大厅排名</h2><div id=\"halls\">{}</div>", html::table(&["大厅", "大厅名称", "红牌", "黄牌", "提示"], &hall_rows, &hall_link));
    Ok(body)
}

/// The twelve months up to `this` (YYYY-MM), oldest first.
fn trend_months(this: &str) -> Vec<String> {
    let mut v = vec![this.to_string()];
    for _ in 0..11 {
        let prev = month_before(v.last().map(String::as_str).unwrap_or(this));
        v.push(prev);
    }
    v.reverse();
    v
}

// ---------------------------------------------------------------- findings

fn filter_form(app: &App, login: &Login, f: &Filters, as_of: &str) -> String {
    let mut h = String::from("<form method=\"get\" action=\"/findings\" class=\"filters\" id=\"filters\">");
    let select = |h: &mut String, name: &str, label: &str, current: &str, options: &[(String, String)]| {
        let _ = write!(h, "<label>{} <select name=\"{name}\" id=\"f-{name}\"><option value=\"\">全部</option>", esc(label));
        for (v, text) in options {
            let sel = if v == current { " selected" } else { "" };
            let _ = write!(h, "<option value=\"{}\"{sel}>{}</option>", esc(v), esc(text));
        }
        h.push_str("</select></label>");
    };
    let rules: Vec<(String, String)> = app.settings.catalog.rules.iter().map(|r| (r.meta.id.clone(), format!("{} {}", r.meta.id, r.meta.title))).collect();
    select(&mut h, "rule", "规则", &f.rule, &rules);
    let halls: Vec<(String, String)> = data::hall_choices(&app.settings, &login.access).into_iter().map(|x| (x.clone(), x)).collect();
    select(&mut h, "hall", "大厅", &f.hall, &halls);
    let sevs: Vec<(String, String)> = ["red", "yellow", "info"].iter().map(|s| (s.to_string(), html::severity_zh(s).to_string())).collect();
    select(&mut h, "severity", "等级", &f.severity, &sevs);
    for (name, label, v) in [("window", "窗口", &f.window), ("staff", "工号", &f.staff), ("month", "月份", &f.month)] {
        let _ = write!(h, "<label>{label} <input name=\"{name}\" id=\"f-{name}\" value=\"{}\" size=\"8\"></label>", esc(v));
    }
    let _ = write!(h, "<input type=\"hidden\" name=\"as_of\" value=\"{}\"><button type=\"submit\" id=\"f-submit\">筛选</button></form>", esc(as_of));
    h
}

pub async fn findings(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Page {
    let Some((s, login)) = signed_in(&app, &headers) else { return Err(redirect("/login")) };
    let o = open(&app, login, &q).await?;
    let f = Filters::from_query(&q);
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let mut body = filter_form(&app, login, &f, &o.as_of_param);
    let rf = run_findings(&app, login, &o).await.map_err(internal)?;
    if let (Some(ctx), Some(rf)) = (&o.ctx, rf) {
        let df = data::findings(ctx, &rf, &f).map_err(internal)?;
        // One execution: the filtered rows in order, counted, the page cut out of them.
        let schema = Arc::new(df.schema().as_arrow().clone());
        let all = df.collect().await.and_then(|b| Ok(datafusion::arrow::compute::concat_batches(&schema, &b)?)).map_err(internal)?;
        let total = all.num_rows();
        let from = ((page - 1) * PAGE_SIZE).min(total);
        let rows = data::text_rows(&[all.slice(from, PAGE_SIZE.min(total - from))]);
        let mut pairs = f.pairs();
        pairs.push(("as_of", &o.as_of_param));
        let counted = if login.english { format!("{total} findings, page {page}") } else { format!("共 {total} 条，第 {page} 页") };
        let _ = write!(body, "<p id=\"count\">{counted} · <a id=\"export\" href=\"/findings.xlsx{}\">导出 XLSX</a></p>", esc(&query(&pairs)));
        let shown: Vec<Vec<String>> = rows.iter().map(|r| r.iter().enumerate().map(|(j, v)| if j == 0 { html::severity_zh(v).to_string() } else { v.clone() }).collect()).collect();
        let a = o.as_of_param.clone();
        let (ci, cm) = (data::column("entity_id"), data::column("month"));
        let link = |i: usize, j: usize| (j == ci).then(|| format!("/finding{}", query(&[("rule", &rows[i][1]), ("id", &rows[i][ci]), ("month", &rows[i][cm]), ("as_of", &a)])));
        let heads: Vec<&str> = data::FINDING_COLUMNS.iter().map(|(_, z)| *z).collect();
        body.push_str(&html::table(&heads, &shown, &link));
        let mut nav = String::new();
        for (p, label) in [(page.checked_sub(1).filter(|p| *p >= 1), "上一页"), (Some(page + 1).filter(|p| (p - 1) * PAGE_SIZE < total), "下一页")] {
            if let Some(p) = p {
                let ps = p.to_string();
                let mut pp = pairs.clone();
                pp.push(("page", &ps));
                let _ = write!(nav, "<a href=\"/findings{}\">{label}</a> ", esc(&query(&pp)));
            }
        }
        body.push_str(&nav);
    } else {
        body.push_str("<p>尚无检查结果。</p>");
    }
    Ok(html_response(StatusCode::OK, html::page(&frame("发现", &s, login, &o), &body)))
}

pub async fn findings_xlsx(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Page {
    let Some((_, login)) = signed_in(&app, &headers) else { return Err(redirect("/login")) };
    let o = open(&app, login, &q).await?;
    let rf = run_findings(&app, login, &o).await.map_err(internal)?;
    let (Some(ctx), Some(run), Some(rf)) = (&o.ctx, o.run, rf) else { return Err(message(StatusCode::NOT_FOUND, "无数据", "尚无检查结果。")) };
    let df = data::findings(ctx, &rf, &Filters::from_query(&q)).and_then(|d| d.limit(0, Some(EXPORT_ROWS))).map_err(internal)?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(internal)?;
    let heads: Vec<String> = data::FINDING_COLUMNS.iter().map(|(_, z)| z.to_string()).collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    crate::output::add_sheets(&mut wb, Some("发现"), &schema, &batches, Some(&heads)).map_err(internal)?;
    let bytes = wb.save_to_buffer().map_err(internal)?;
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"findings-run{}.xlsx\"", run.id)),
    ];
    Ok((headers, bytes).into_response())
}

// ---------------------------------------------------------------- a finding

pub async fn finding(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Page {
    let Some((s, login)) = signed_in(&app, &headers) else { return Err(redirect("/login")) };
    let o = open(&app, login, &q).await?;
    let rule = q.get("rule").cloned().unwrap_or_default();
    let id = q.get("id").cloned().unwrap_or_default();
    let month = q.get("month").cloned().unwrap_or_default();
    let rf = run_findings(&app, login, &o).await.map_err(internal)?;
    let (Some(ctx), Some(rf)) = (&o.ctx, rf) else { return Err(message(StatusCode::NOT_FOUND, "无数据", "尚无检查结果。")) };
    let fields = data::finding(ctx, &rf, &rule, &id, &month).await.map_err(internal)?;
    if fields.is_empty() {
        return Err(html_response(StatusCode::NOT_FOUND, html::page(&frame("没有这条发现", &s, login, &o), "<p class=\"err\">本批次中没有这条发现，或它不在您的查看范围内。</p>")));
    }
    let answers = super::answer::section(&app, &s, login, &o, ctx, &fields).await.map_err(internal)?;
    let body = detail_body(&app, ctx, &fields, &rule, &id, &answers).await.map_err(internal)?;
    Ok(html_response(StatusCode::OK, html::page(&frame("发现详情", &s, login, &o), &body)))
}

/// The finding, its answers, the deadline's arithmetic, the rule, the record.
async fn detail_body(app: &App, ctx: &SessionContext, fields: &[(String, String)], rule: &str, id: &str, answers: &str) -> Result<String, datafusion::error::DataFusionError> {
    let get = |k: &str| fields.iter().find(|(c, _)| c == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let mut body = String::new();
    let rows: Vec<Vec<String>> = data::FINDING_COLUMNS.iter().map(|(c, z)| vec![z.to_string(), if *c == "severity" { html::severity_zh(get(c)).to_string() } else { get(c).to_string() }]).collect();
    let _ = write!(body, "<h2>发现</h2><div id=\"finding\">{}</div>{answers}", html::table(&["项目", "内容"], &rows, &|_, _| None));
    let entity = get("entity");
    if entity == "case" && rule.starts_with("time_limit.")
        && let Some(d) = data::deadline(ctx, id).await? {
            body.push_str(&arithmetic(&app.settings.calendar, &d));
        }
    if let Some(r) = app.settings.catalog.rule(rule) {
        let m = &r.meta;
        let params: Vec<String> = m.params.iter().map(|p| format!("{p} = {}", app.settings.profile.params.get(p).map(|v| v.to_string()).unwrap_or_default())).collect();
        let rows = vec![
            vec!["规则".into(), format!("{} {}", m.id, m.title)],
            vec!["等级".into(), html::severity_zh(m.severity.as_str()).to_string()],
            vec!["依据条款".into(), m.seed.clone()],
            vec!["条款原文".into(), m.seed_text.clone()],
            vec!["参数".into(), params.join("，")],
        ];
        let _ = write!(body, "<h2>规则</h2><div id=\"rule\">{}</div>", html::table(&["项目", "内容"], &rows, &|_, _| None));
    }
    let record = data::record(ctx, entity, id).await?;
    if !record.is_empty() {
        let rows: Vec<Vec<String>> = record.into_iter().map(|(c, z, v)| vec![if z.is_empty() { c } else { format!("{z}（{c}）") }, v]).collect();
        let _ = write!(body, "<h2>记录（导出原样，数据截至时点）</h2><div id=\"record\">{}</div>", html::table(&["字段", "值"], &rows, &|_, _| None));
    }
    Ok(body)
}

fn day(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "—".into())
}

/// The deadline worked out in working days: accepted, counted (holidays and weekends skipped,
/// 调休 days worked), deadline, completed.
fn arithmetic(cal: &crate::calendar::Calendar, d: &data::Deadline) -> String {
    let mut h = String::from("<h2>期限计算</h2><div id=\"arithmetic\"><ul>");
    let promised = d.promised_days.map(|n| format!("，承诺时限 {n} 个工作日")).unwrap_or_default();
    let ext = match (d.extension_valid, d.extension_days) {
        (true, Some(n)) => format!("，有效延期 {n} 个工作日"),
        (false, Some(n)) if n > 0 => format!("，延期 {n} 天未获有效批准（不计）"),
        _ => String::new(),
    };
    let _ = write!(h, "<li>受理：{}（{}{}{}）</li>", esc(&day(d.accepted_at)), esc(&d.case_type), esc(&promised), esc(&ext));
    if let (Some(a), Some(dl)) = (d.accepted_at, d.deadline_at) {
        let c = data::count_workdays(cal, a.date(), dl.date());
        let _ = write!(h, "<li id=\"workdays\">自受理次日起至期限日，共计 {} 个工作日</li>", c.workdays);
        let holidays: Vec<String> = c.skipped.iter().filter(|(_, w)| w != "周末").map(|(d, w)| format!("{}（{}）", d.format("%m-%d"), w)).collect();
        let weekends = c.skipped.iter().filter(|(_, w)| w == "周末").count();
        let _ = write!(h, "<li class=\"skip\" id=\"skipped\">跳过：节假日 {} 天{}；周末 {weekends} 天</li>", holidays.len(), esc(&if holidays.is_empty() { String::new() } else { format!("：{}", holidays.join("、")) }));
        if !c.swapped.is_empty() {
            let sw: Vec<String> = c.swapped.iter().map(|(d, w)| format!("{}（{}）", d.format("%m-%d"), w)).collect();
            let _ = write!(h, "<li id=\"swapped\">调休上班（计入）：{}</li>", esc(&sw.join("、")));
        }
    }
    let _ = write!(h, "<li>期限：{}</li>", esc(&day(d.deadline_at)));
    match (d.completed_at, d.accepted_at) {
        (Some(done), Some(a)) => {
            let late = d.deadline_at.is_some_and(|dl| done > dl);
            let _ = write!(h, "<li id=\"completed\">办结：{}（受理后第 {} 个工作日{}）</li>", esc(&day(Some(done))), cal.workdays_between(a.date(), done.date()), if late { "，已超期" } else { "" });
        }
        _ => h.push_str("<li id=\"completed\">办结：至数据截至时点仍未办结</li>"),
    }
    h.push_str("</ul></div>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_before_wraps_the_year() {
        assert_eq!(month_before("2026-01"), "2025-12");
        assert_eq!(month_before("2026-11"), "2026-10");
    }

    #[test]
    fn the_change_on_last_month_is_a_signed_percentage() {
        assert_eq!(change(3, 2), "+50.0%");
        assert_eq!(change(1, 2), "-50.0%");
        assert_eq!(change(4, 0), "—");
    }

    #[test]
    fn the_arithmetic_names_the_holidays_and_the_working_days() {
        let cal = crate::calendar::Calendar::builtin();
        let t = |s: &str| crate::clock::parse_timestamp(s);
        let d = data::Deadline { case_type: "承诺件".into(), promised_days: Some(5), extension_days: None, extension_valid: false, accepted_at: t("2026-09-30 10:00:00"), deadline_at: t("2026-10-15 23:59:59"), completed_at: t("2026-10-20 10:00:00") };
        let h = arithmetic(&cal, &d);
        assert!(h.contains("共计 "), "{h}");
        assert!(h.contains("10-01"), "{h}");
        assert!(h.contains("已超期"), "{h}");
    }
}
