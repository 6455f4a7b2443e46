//! The admin's page: the configured jobs with their next run (`config::next_run`, the
//! scheduler's own computation) and their last run (from the job ledger the daemon
//! writes), the last recorded check runs, and the warehouse's state — what an operator checks
//! before asking why a report did not arrive. Only an `admin` login opens it.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use super::App;
use super::data;
use super::html;
use super::pages::{frame, html_response, internal, message, open, redirect, signed_in};
use crate::config::WebRole;

/// GET /admin
pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some((s, login)) = signed_in(&app, &headers) else { return redirect("/login") };
    if login.user.role != WebRole::Admin {
        return message(StatusCode::FORBIDDEN, "无权查看", "运行状态仅供管理员查看。");
    }
    let o = match open(&app, login, &q).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut body = format!("<p id=\"warehouse\">数据目录：{}；快照 #{}</p>", html::esc(&app.settings.config.data_dir.display().to_string()), o.snapshot.map(|s| s.to_string()).unwrap_or_else(|| "—".into()));
    let last = match &o.ctx {
        Some(ctx) => match last_runs(ctx).await {
            Ok(x) => x,
            Err(e) => return internal(e),
        },
        None => HashMap::new(),
    };
    // The next run is the scheduler's (`schedule` fires each cron in China time from the same
    // computation), counted from now whatever instant the page shows.
    let now = crate::clock::now_china();
    let jobs: Vec<Vec<String>> = app
        .settings
        .config
        .jobs
        .iter()
        .map(|j| {
            let l = last.get(&j.name).cloned().unwrap_or_else(|| vec![String::new(); 4]);
            let next = crate::config::next_run(&j.cron, now).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "—".into());
            let mut row = vec![j.name.clone(), j.kind.name().to_string(), j.cron.clone(), next];
            row.extend(l);
            row
        })
        .collect();
    let _ = write!(body, "<h2>定时任务</h2><div id=\"jobs\">{}</div>", html::table(&["任务", "类型", "计划（cron）", "下次运行", "上次开始", "上次结束", "结果", "错误"], &jobs, &|_, _| None));
    if let Some(ctx) = &o.ctx {
        let runs = match recent(ctx, "SELECT run_id, as_of, started_at, finished_at, findings, red, yellow, info FROM check_runs ORDER BY run_id DESC LIMIT 10").await {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
        let _ = write!(body, "<h2>最近的检查批次</h2><div id=\"runs\">{}</div>", html::table(&["批次", "数据截至", "开始", "结束", "发现", "红牌", "黄牌", "提示"], &runs, &|_, _| None));
    }
    html_response(StatusCode::OK, html::page(&frame("运行状态", &s, login, &o), &body))
}

async fn recent(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<String>>, DataFusionError> {
    Ok(data::text_rows(&ctx.sql(sql).await?.collect().await?))
}

/// Each job's latest run: started, finished, status, error.
async fn last_runs(ctx: &SessionContext) -> Result<HashMap<String, Vec<String>>, DataFusionError> {
    let sql = "SELECT job, started_at, finished_at, status, error FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY job ORDER BY started_at DESC) AS n FROM job_runs) WHERE n = 1";
    Ok(recent(ctx, sql).await?.into_iter().filter_map(|mut r| (!r.is_empty()).then(|| (r.remove(0), r))).collect())
}
