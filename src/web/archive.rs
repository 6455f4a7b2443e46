//! The archive of rendered reports: the files `windowwatch report` and the daemon's jobs left
//! under `reports_dir`, one folder per office, listed for the login's office (every office for
//! an admin; none for a hall) and downloaded one at a time. A file is served only when its
//! office is the login's and its name is one the folder lists (no path in it), always as a
//! download.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::auth::Login;
use super::html::{self, query};
use super::pages::{frame, html_response, internal, message, open, redirect, signed_in};
use crate::config::WebRole;

type Q = Query<HashMap<String, String>>;

/// The offices whose reports the login reads.
fn offices(app: &App, login: &Login) -> Vec<String> {
    match login.user.role {
        WebRole::Admin => app.settings.config.offices.iter().map(|o| o.id.clone()).collect(),
        WebRole::Supervisor | WebRole::Bureau => login.user.office.iter().cloned().collect(),
        WebRole::Hall => Vec::new(),
    }
}

/// The files of an office's folder: (name, bytes, modified), newest name first.
fn files(app: &App, office: &str) -> Vec<(String, u64, String)> {
    let dir = app.settings.config.reports_dir.join(office);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<(String, u64, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            let name = e.file_name().into_string().ok().filter(|n| !n.starts_with('.'))?;
            let modified = meta.modified().ok().map(|t| chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
            Some((name, meta.len(), modified))
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out
}

/// GET /archive
pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Response {
    let Some((s, login)) = signed_in(&app, &headers) else { return redirect("/login") };
    let list = offices(&app, login);
    if list.is_empty() {
        return message(StatusCode::FORBIDDEN, "无权查看", "报告存档供监督员、医保局和管理员查看。");
    }
    let o = match open(&app, login, &q).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut body = String::new();
    for office in &list {
        let rows: Vec<Vec<String>> = files(&app, office).into_iter().map(|(n, size, m)| vec![n, format!("{:.1} KB", size as f64 / 1024.0), m]).collect();
        let link = |i: usize, j: usize| (j == 0).then(|| format!("/archive/file{}", query(&[("office", office), ("name", &rows[i][0])])));
        body.push_str(&format!("<h2>{}</h2><div class=\"archive\">{}</div>", html::esc(office), html::table(&["文件", "大小", "生成时间（UTC）"], &rows, &link)));
    }
    html_response(StatusCode::OK, html::page(&frame("报告存档", &s, login, &o), &body))
}

/// GET /archive/file?office=…&name=…
pub async fn file(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Q) -> Response {
    let Some((_, login)) = signed_in(&app, &headers) else { return redirect("/login") };
    let office = q.get("office").cloned().unwrap_or_default();
    let name = q.get("name").cloned().unwrap_or_default();
    let not_found = || message(StatusCode::NOT_FOUND, "文件不存在", "没有这个文件，或它不在您的查看范围内。");
    if !offices(&app, login).contains(&office) || !files(&app, &office).iter().any(|(n, _, _)| *n == name) {
        return not_found();
    }
    let path: PathBuf = app.settings.config.reports_dir.join(&office).join(&name);
    match std::fs::read(&path) {
        Ok(bytes) => ([(header::CONTENT_TYPE, mime(&name).to_string()), (header::CONTENT_DISPOSITION, super::register::attachment(&name))], bytes).into_response(),
        Err(e) => internal(e),
    }
}

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("xlsx") => crate::report::monthly::XLSX_MIME,
        Some("csv") => "text/csv; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("png") => "image/png",
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}
