//! 回告 and 申诉 in the browser: a hall login answers a red finding of its own hall (an
//! explanation, an appeal or not), a supervisor accepts or rejects the appeal (认可 / 不认可).
//! Both are recorded by `ingest::answer` — the code path of `windowwatch respond` and `decide` —
//! with who (the login's name) and when, into the append-only response log: a page never edits
//! or removes an answer, and a finding is answered once and decided once. Which finding may be
//! answered is the login's session's to say (its halls), never the form's.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use super::App;
use super::auth::{self, Login, Session};
use super::data;
use super::html::{self, esc, query};
use super::pages::{Opened, internal, message, open, redirect, signed_in};
use crate::config::WebRole;
use crate::ingest::answer::{self, AnswerError, FindingKey};

/// The longest explanation a hall may give (characters).
const EXPLANATION_CHARS: usize = 2000;

/// The finding's columns by name.
fn field<'a>(fields: &'a [(String, String)], k: &str) -> &'a str {
    fields.iter().find(|(c, _)| c == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// A hall login answers red findings of its own hall.
fn may_respond(login: &Login, fields: &[(String, String)]) -> bool {
    login.user.role == WebRole::Hall && login.user.hall.as_deref() == Some(field(fields, "hall_id")) && field(fields, "severity") == "red"
}

/// A supervisor decides the appeals of its office's halls (its session sees no other).
fn may_decide(login: &Login) -> bool {
    login.user.role == WebRole::Supervisor
}

/// The detail page's section: the answers recorded so far, and the form the login may fill in
/// (on the live page only, not as of an earlier instant).
pub(super) async fn section(_app: &App, s: &Session, login: &Login, o: &Opened, ctx: &SessionContext, fields: &[(String, String)]) -> Result<String, DataFusionError> {
    let (rule, id, month) = (field(fields, "rule"), field(fields, "entity_id"), field(fields, "month"));
    let versions = data::history(ctx, rule, id, month, o.at).await?;
    let mut h = String::from("<h2>回告与申诉</h2><div id=\"answers\">");
    if versions.is_empty() {
        h.push_str("<p>尚无回告。</p>");
    } else {
        h.push_str(&history_table(&versions, login.access.masked));
    }
    let status = field(fields, "status");
    if o.as_of_param.is_empty() {
        let hidden = hidden(&s.csrf, rule, id, month);
        if may_respond(login, fields) && status == "未回告" {
            h.push_str(&respond_form(&hidden));
        } else if may_decide(login) && status == data::PENDING {
            h.push_str(&decide_form(&hidden));
        }
    }
    h.push_str("</div>");
    Ok(h)
}

fn history_table(versions: &[Vec<String>], masked: bool) -> String {
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            let mut r = v.clone();
            if masked && let Some(e) = r.get_mut(2) {
                *e = crate::mask::mask_as(crate::mask::MaskKind::FreeText, e);
            }
            if let Some(a) = r.get_mut(3) {
                *a = if a == "true" { "是" } else { "否" }.to_string();
            }
            r
        })
        .collect();
    html::table(&["回告时间", "回告人", "情况说明", "是否申诉", "审核结果", "审核人", "审核时间"], &rows, &|_, _| None)
}

fn hidden(csrf: &str, rule: &str, id: &str, month: &str) -> String {
    let mut h = String::new();
    for (k, v) in [("csrf", csrf), ("rule", rule), ("id", id), ("month", month)] {
        let _ = write!(h, "<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v));
    }
    h
}

fn respond_form(hidden: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/respond\" id=\"respond\">{hidden}\
         <p><label>情况说明<br><textarea name=\"explanation\" id=\"explanation\" rows=\"4\" cols=\"60\" maxlength=\"{EXPLANATION_CHARS}\" required></textarea></label></p>\
         <p><label><input type=\"checkbox\" name=\"appeal\" value=\"1\" id=\"appeal\"> 申诉（请求认定此发现不计入考核）</label></p>\
         <p><button type=\"submit\" id=\"respond-submit\">提交回告</button>（提交后不可修改）</p></form>"
    )
}

fn decide_form(hidden: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/decide\" id=\"decide\">{hidden}<p>审核申诉：\
         <button type=\"submit\" name=\"decision\" value=\"认可\" id=\"accept\">认可</button> \
         <button type=\"submit\" name=\"decision\" value=\"不认可\" id=\"reject\">不认可</button>（审核后不可修改）</p></form>"
    )
}

/// What a form names, and the session's view of it now.
struct Target {
    key: FindingKey,
    fields: Vec<(String, String)>,
}

/// Why a POST is refused before it is read.
enum Refused {
    NotSignedIn,
    Token,
}

impl Refused {
    fn response(self) -> Response {
        match self {
            Refused::NotSignedIn => redirect("/login"),
            Refused::Token => message(StatusCode::FORBIDDEN, "请求被拒绝", "缺少或错误的表单令牌（CSRF）。"),
        }
    }
}

/// The signed-in login of a POST whose token is right.
fn poster<'a>(app: &'a App, headers: &HeaderMap, f: &HashMap<String, String>) -> Result<(Session, &'a Login), Refused> {
    let Some((s, login)) = signed_in(app, headers) else { return Err(Refused::NotSignedIn) };
    if !auth::Auth::csrf_ok(&s, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return Err(Refused::Token);
    }
    Ok((s, login))
}

/// The finding the form names, as the login's session sees it in the latest run, now.
async fn target(app: &App, login: &Login, f: &HashMap<String, String>) -> Result<Target, Response> {
    let g = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let key = FindingKey { rule: g("rule"), entity_id: g("id"), month: g("month") };
    let not_found = || message(StatusCode::NOT_FOUND, "没有这条发现", "本批次中没有这条发现，或它不在您的查看范围内。");
    if key.month.is_empty() {
        return Err(not_found());
    }
    let o = open(app, login, &HashMap::new()).await?;
    let rf = super::pages::run_findings(app, login, &o).await.map_err(internal)?;
    let (Some(ctx), Some(rf)) = (&o.ctx, rf) else { return Err(not_found()) };
    let fields = data::finding(ctx, &rf, &key.rule, &key.entity_id, &key.month).await.map_err(internal)?;
    if fields.is_empty() {
        return Err(not_found());
    }
    Ok(Target { key, fields })
}

/// Records through `ingest::answer` off the async threads, one write at a time.
async fn record<F>(app: &Arc<App>, write: F) -> Result<(), Response>
where
    F: FnOnce(&crate::store::Warehouse) -> Result<crate::ingest::IngestReport, AnswerError> + Send + 'static,
{
    let dir = app.settings.config.data_dir.clone();
    let done = tokio::task::spawn_blocking(move || {
        let wh = crate::store::Warehouse::open_existing(&dir).map_err(AnswerError::from)?;
        write(&wh)
    })
    .await
    .map_err(internal)?;
    match done {
        Ok(_) => Ok(()),
        Err(e @ (AnswerError::UnknownFinding { .. } | AnswerError::NoResponse(_) | AnswerError::NotAnAppeal(_) | AnswerError::Refused { .. })) => {
            Err(message(StatusCode::CONFLICT, "未写入", &e.to_string()))
        }
        Err(e) => Err(internal(e)),
    }
}

fn back(key: &FindingKey) -> Response {
    redirect(&format!("/finding{}", query(&[("rule", &key.rule), ("id", &key.entity_id), ("month", &key.month)])))
}

/// POST /respond: a hall's answer to a red finding of its own hall.
pub async fn respond(State(app): State<Arc<App>>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let (_, login) = match poster(&app, &headers, &f) {
        Ok(x) => x,
        Err(r) => return r.response(),
    };
    if login.user.role != WebRole::Hall {
        return message(StatusCode::FORBIDDEN, "无权回告", "只有大厅账号可以回告本大厅的发现。");
    }
    let explanation = f.get("explanation").map(|s| s.trim().to_string()).unwrap_or_default();
    if explanation.is_empty() || explanation.chars().count() > EXPLANATION_CHARS {
        return message(StatusCode::BAD_REQUEST, "情况说明有误", &format!("请填写情况说明（不超过 {EXPLANATION_CHARS} 字）。"));
    }
    let _one = app.writes.lock().await;
    let t = match target(&app, login, &f).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if !may_respond(login, &t.fields) {
        return message(StatusCode::FORBIDDEN, "无权回告", "只能回告本大厅的红牌发现。");
    }
    if field(&t.fields, "status") != "未回告" {
        return message(StatusCode::CONFLICT, "已回告", "这条发现已有回告，回告记录不可修改。");
    }
    let appeal = f.get("appeal").is_some_and(|v| !v.is_empty());
    let (key, by, now) = (t.key.clone(), login.user.name.clone(), crate::clock::now_china());
    match record(&app, move |wh| answer::respond(wh, &key, &explanation, appeal, Some(&by), now)).await {
        Ok(()) => back(&t.key),
        Err(r) => r,
    }
}

/// POST /decide: a supervisor's decision on an appeal awaiting one.
pub async fn decide(State(app): State<Arc<App>>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let (_, login) = match poster(&app, &headers, &f) {
        Ok(x) => x,
        Err(r) => return r.response(),
    };
    if !may_decide(login) {
        return message(StatusCode::FORBIDDEN, "无权审核", "只有监督员账号可以审核申诉。");
    }
    let decision = f.get("decision").cloned().unwrap_or_default();
    if decision != "认可" && decision != "不认可" {
        return message(StatusCode::BAD_REQUEST, "审核结果有误", "审核结果只能是“认可”或“不认可”。");
    }
    let _one = app.writes.lock().await;
    let t = match target(&app, login, &f).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if field(&t.fields, "status") != data::PENDING {
        return message(StatusCode::CONFLICT, "无待审核的申诉", "这条发现没有待审核的申诉；审核结果不可修改。");
    }
    let (key, by, now) = (t.key.clone(), login.user.name.clone(), crate::clock::now_china());
    match record(&app, move |wh| answer::decide(wh, &key, &decision, &by, now)).await {
        Ok(()) => back(&t.key),
        Err(r) => r,
    }
}
