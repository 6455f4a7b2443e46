//! The 回告单 (response form), `windowwatch register`'s sibling: per office (or one hall), the red
//! findings of a month as an XLSX the hall fills in — the finding's key under the `responses`
//! contract's Chinese headers (规则, 对象编号, 月份), what the finding is, and empty 回告时间, 回告人,
//! 情况说明 and 是否申诉 columns — so that the filled form ingests back with `--table responses`.
//! The other columns are not the contract's and are ignored on the way back.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::{Month, ReportError, Session, get, mask_rows, offices, vars, write};
use crate::contract::RESPONSES;
use crate::settings::Settings;
use crate::store::Warehouse;

pub struct ResponseFormOptions {
    pub month: Month,
    pub as_of: NaiveDateTime,
    pub office: Option<String>,
    /// Only this hall's findings.
    pub hall: Option<String>,
    pub out: PathBuf,
}

/// The pre-filled columns: (row key, header). The key columns take the contract's headers.
const FINDING_COLUMNS: &[(&str, &str)] = &[("title", "问题"), ("hall_id", "大厅编号"), ("window_id", "窗口号"), ("staff_id", "工号"), ("due_at", "期限"), ("detail", "问题说明")];

/// The columns the hall fills in (contract columns, under their Chinese headers).
const ANSWER_COLUMNS: [&str; 4] = ["responded_at", "responder", "explanation", "appeal"];

fn header(column: &str) -> String {
    RESPONSES.column(column).map_or(column, |c| c.zh).to_string()
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The form's headers and rows.
fn form(rows: &[serde_json::Map<String, Value>]) -> (Vec<String>, Vec<Vec<String>>) {
    let key = ["rule", "entity_id", "month"];
    let mut headers: Vec<String> = key.iter().map(|k| header(k)).collect();
    headers.extend(FINDING_COLUMNS.iter().map(|(_, h)| h.to_string()));
    headers.extend(ANSWER_COLUMNS.iter().map(|c| header(c)));
    let body = rows
        .iter()
        .map(|r| {
            let mut line: Vec<String> = key.iter().chain(FINDING_COLUMNS.iter().map(|(k, _)| k)).map(|k| cell(get(r, k))).collect();
            line.extend(ANSWER_COLUMNS.iter().map(|_| String::new()));
            line
        })
        .collect();
    (headers, body)
}

/// Writes one form per office (one hall's, with `hall`); returns the files written.
pub async fn write_all(settings: &Settings, wh: &Warehouse, opts: &ResponseFormOptions) -> Result<Vec<PathBuf>, ReportError> {
    let s = Session::open(settings, wh, opts.as_of, true).await?;
    let halls = s.halls().await?;
    let mut files = Vec::new();
    let mut hall_found = opts.hall.is_none();
    for office in offices(settings, opts.office.as_deref(), &halls)? {
        let halls: Vec<String> = office.halls.iter().filter(|h| opts.hall.as_ref().is_none_or(|x| x == *h)).cloned().collect();
        if halls.is_empty() {
            continue;
        }
        hall_found = true;
        let v = vars(settings, opts.as_of, &halls, Some(opts.month), &[]);
        let mut rows = s.report_query(settings, "response_form", &v).await?;
        mask_rows(&mut rows, office.show_personal_data);
        let (headers, body) = form(&rows);
        let xlsx = crate::output::text_xlsx(&[crate::output::TextTable { sheet: "回告单", headers: &headers, rows: &body }])?;
        let name = match &opts.hall {
            Some(h) => format!("回告单-{}-{h}-{}.xlsx", office.id, opts.month),
            None => format!("回告单-{}-{}.xlsx", office.id, opts.month),
        };
        let p = opts.out.join(&office.id).join(name);
        write(&p, &xlsx)?;
        files.push(p);
    }
    if !hall_found {
        return Err(ReportError::Query(format!("--hall `{}`: no office{} supervises this hall", opts.hall.clone().unwrap_or_default(), opts.office.as_ref().map(|o| format!(" `{o}`")).unwrap_or_default())));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_back_as_the_responses_contract() {
        let (headers, _) = form(&[]);
        for c in ["rule", "entity_id", "month", "responded_at", "explanation", "appeal"] {
            let i = RESPONSES.index_of(c).unwrap();
            assert!(headers.iter().any(|h| RESPONSES.resolve_header(h) == Some(i)), "{c}: {headers:?}");
        }
        // The finding's own columns are no column of the contract (ignored on the way back).
        for (_, h) in FINDING_COLUMNS {
            assert_eq!(RESPONSES.resolve_header(h), None, "{h}");
        }
    }
}
