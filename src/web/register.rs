//! The denial register (否定备案登记表) of a month in the browser: the page, and the workbook or
//! the CSV files exactly as `windowwatch register` files them (`report::register` writes both),
//! for the login's halls, masked as the login's access masks. As of the run the pages show.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDateTime};

use super::App;
use super::auth::Login;
use super::data;
use super::html::{self, esc, query};
use super::pages::{frame, html_response, internal, message, open, redirect, signed_in};
use crate::config::WebRole;
use crate::report::Month;
use crate::report::register::{OfficeRegister, office_register};

type Q = Query<HashMap<String, String>>;

/// Supervisors, bureaus and admins read the register; a hall does not.
fn may_read(login: &Login) -> bool {
    login.user.role != WebRole::Hall
}

/// The month asked for, or the month before the instant's.
fn month_of(q: &HashMap<String, String>, at: NaiveDateTime) -> Result<Month, crate::report::ReportError> {
    match q.get("month").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m),
        None => Ok(Month { year: at.year(), month: at.month() }.minus(1)),
    }
}

/// The register of the login's halls: the run's instant, the month, and the register read in a
/// report session (cached per snapshot and instant: it evaluates the checks).
async fn read(app: &App, login: &Login, q: &HashMap<String, String>) -> Result<(super::pages::Opened, Month, Arc<OfficeRegister>), Response> {
    let o = open(app, login, q).await?;
    let as_of = o.run.map(|r| r.as_of).unwrap_or(o.at);
    let month = month_of(q, as_of).map_err(|e| message(StatusCode::BAD_REQUEST, "月份有误", &e.to_string()))?;
    let halls = data::hall_choices(&app.settings, &login.access);
    // Kept per access, snapshot, instant and month: a new answer or ingest makes a new snapshot.
    let cell = app.registers.cell(&format!("{:?}|{:?}|{as_of}|{month}", login.access, o.snapshot));
    let reg = cell
        .get_or_try_init(|| async {
            let s = report_session(app, o.snapshot, as_of).await?;
            office_register(&app.settings, &s, &halls, month, as_of, (!login.access.masked, login.access.mask_staff)).await.map(Arc::new).map_err(internal)
        })
        .await?;
    Ok((o, month, Arc::clone(reg)))
}

async fn report_session(app: &App, snapshot: Option<u64>, as_of: NaiveDateTime) -> Result<Arc<crate::report::Session>, Response> {
    let key = format!("{snapshot:?}|{as_of}");
    let mut kept = app.reports.lock().await;
    if let Some((k, s)) = kept.as_ref()
        && *k == key
    {
        return Ok(Arc::clone(s));
    }
    let wh = crate::store::Warehouse::open_existing(&app.settings.config.data_dir).map_err(internal)?;
    let s = Arc::new(crate::report::Session::open(&app.settings, &wh, as_of, false).await.map_err(internal)?);
    *kept = Some((key, Arc::clone(&s)));
    Ok(s)
}

/// GET /register?month=YYYY-MM
pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Response {
    let Some((s, login)) = signed_in(&app, &headers) else { return redirect("/login") };
    if !may_read(login) {
        return message(StatusCode::FORBIDDEN, "无权查看", "否定备案登记表供监督员和医保局查看。");
    }
    let (o, month, reg) = match read(&app, login, &q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let m = month.to_string();
    let mut body = format!(
        "<form method=\"get\" action=\"/register\" id=\"month-form\"><label>月份 <input name=\"month\" id=\"month\" value=\"{}\" size=\"8\"></label>\
         <input type=\"hidden\" name=\"as_of\" value=\"{}\"><button type=\"submit\">查看</button></form>",
        esc(&m),
        esc(&o.as_of_param)
    );
    let dl = |fmt: &str, part: &str| esc(&format!("/register.{fmt}{}", query(&[("month", &m), ("part", part), ("as_of", &o.as_of_param)])));
    let complete = reg.rows.iter().filter(|r| r.get("complete").and_then(|v| v.as_bool()) == Some(true)).count();
    let _ = write!(
        body,
        "<p id=\"register-count\">{}：登记 {} 条，完整 {complete} 条；未登记的否定决定 {} 条 · <a id=\"register-xlsx\" href=\"{}\">下载 XLSX</a> · <a id=\"register-csv\" href=\"{}\">下载 CSV</a> · <a href=\"{}\">未登记 CSV</a></p>",
        esc(&month.zh()),
        reg.rows.len(),
        reg.unregistered.len(),
        dl("xlsx", ""),
        dl("csv", ""),
        dl("csv", "unregistered")
    );
    let _ = write!(body, "<h2>否定备案登记表</h2><div id=\"register\">{}</div>", html::table(&heads(&reg.register.0), &reg.register.1, &|_, _| None));
    let _ = write!(body, "<h2>未登记的否定决定</h2><div id=\"unregistered\">{}</div>", html::table(&heads(&reg.missing.0), &reg.missing.1, &|_, _| None));
    html_response(StatusCode::OK, html::page(&frame("否定备案登记表", &s, login, &o), &body))
}

fn heads(h: &[String]) -> Vec<&str> {
    h.iter().map(String::as_str).collect()
}

/// GET /register.xlsx
pub async fn xlsx(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Response {
    download(&app, &headers, &q, "xlsx").await
}

/// GET /register.csv (`part=unregistered`: the second CSV file).
pub async fn csv(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Response {
    download(&app, &headers, &q, "csv").await
}

async fn download(app: &App, headers: &HeaderMap, q: &HashMap<String, String>, ext: &str) -> Response {
    let Some((_, login)) = signed_in(app, headers) else { return redirect("/login") };
    if !may_read(login) {
        return message(StatusCode::FORBIDDEN, "无权下载", "否定备案登记表供监督员和医保局下载。");
    }
    let (_, month, reg) = match read(app, login, q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let unregistered = q.get("part").is_some_and(|p| p == "unregistered");
    let name = format!("否定备案登记表-{month}{}", if unregistered { "-未登记" } else { "" });
    let (bytes, mime) = match ext {
        "xlsx" => (reg.xlsx(), crate::report::monthly::XLSX_MIME),
        _ => (reg.csv().map(|(a, b)| if unregistered { b } else { a }), "text/csv; charset=utf-8"),
    };
    match bytes {
        Ok(b) => ([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, attachment(&format!("{name}.{ext}")))], b).into_response(),
        Err(e) => internal(e),
    }
}

/// A Content-Disposition naming a file with Chinese in it (RFC 6266: an ASCII fallback and the
/// UTF-8 name percent-encoded).
pub(super) fn attachment(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || "-.".contains(c) { c } else { '_' }).collect();
    let enc = html::query(&[("x", name)]);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", enc.trim_start_matches("?x="))
}
