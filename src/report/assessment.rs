//! The 月考核 section of the monthly report (supervision.md "Monthly assessment"): per hall, the
//! windows by score with their grade and the deductions that made each score (rule, count,
//! points), 文明窗口 and the bottom window marked, and the staff scores. Plain data
//! ([`Assessment`]) built by one function ([`build`]) from the report's own check run, so every
//! writer of the report renders the same section (the HTML and text templates; a document writer).

use serde_json::{Map, Value};

use super::{ReportError, Session, get};
use crate::settings::Settings;

/// The section: one entry per hall with a scored window or staff member, in hall order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Assessment {
    /// `assessment_base` of the profile.
    pub base: i64,
    pub halls: Vec<HallScores>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HallScores {
    pub hall_id: String,
    pub hall_name: String,
    /// By rank (score descending), then window id.
    pub windows: Vec<WindowScore>,
    /// By rank, then staff id.
    pub staff: Vec<StaffScore>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WindowScore {
    pub window_id: String,
    pub window_name: String,
    pub score: f64,
    /// The score as shown: `96`, `97.5`.
    pub score_text: String,
    pub grade: String,
    pub rank: i64,
    /// 文明窗口 (a `ranking.model_window` finding of the month).
    pub model_window: bool,
    /// Last in the hall for consecutive months (an `assessment.bottom` finding of the month).
    pub bottom: bool,
    /// The findings that counted, per rule.
    pub deductions: Vec<Deduction>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Deduction {
    pub rule: String,
    pub title: String,
    pub count: i64,
    /// The points the rule's findings added together (negative: deducted).
    pub points: f64,
    /// `-4`, `+5`.
    pub points_text: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffScore {
    pub staff_id: String,
    pub staff_name: String,
    pub score: f64,
    pub score_text: String,
    pub grade: String,
    pub rank: i64,
}

/// A number as shown: no decimals when whole, else one.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.1}") }
}

fn text(r: &Map<String, Value>, k: &str) -> String {
    match get(r, k) {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// The month's section for the halls of `vars` (`month`, `halls`), scored over the session's own
/// run (`run_findings`), in English titles when `en`; staff names masked when `hide_staff`
/// (`[privacy] mask_staff`, as every other section shows them).
pub async fn build(settings: &Settings, session: &Session, vars: &Value, en: bool, hide_staff: bool) -> Result<Assessment, ReportError> {
    let mut vars = vars.clone();
    if let Some(m) = vars.as_object_mut() {
        m.insert("assessment_findings".into(), "run_findings".into());
    }
    let view = |name: &str| -> Result<String, ReportError> {
        let v = settings.catalog.views.iter().find(|v| v.name == name).ok_or_else(|| ReportError::Query(format!("queries/views: no {name}")))?;
        Ok(settings.catalog.render(&v.path, &v.sql, &vars)?)
    };
    let (month, halls) = (get_str(&vars, "month"), get_str(&vars, "halls"));
    let windows = session
        .sql(&format!("SELECT * FROM ({}) a WHERE month = '{month}' AND hall_id IN ({halls}) ORDER BY hall_id, hall_rank, window_id", view("assessment_windows")?))
        .await?;
    let staff = session
        .sql(&format!("SELECT * FROM ({}) a WHERE month = '{month}' AND hall_id IN ({halls}) ORDER BY hall_id, hall_rank, staff_id", view("assessment_staff")?))
        .await?;
    let deductions = session.report_query(settings, "assessment_deductions", &vars).await?;
    let mut out = Assessment { base: settings.profile.get("assessment_base"), halls: Vec::new() };
    for w in &windows {
        let (hall, window) = (text(w, "hall_id"), text(w, "window_id"));
        let rows: Vec<&Map<String, Value>> = deductions.iter().filter(|d| text(d, "hall_id") == hall && text(d, "window_id") == window).collect();
        let has = |rule: &str| rows.iter().any(|d| text(d, "rule") == rule);
        let score = get(w, "score").as_f64().unwrap_or(0.0);
        let ws = WindowScore {
            window_name: text(w, "window_name"),
            score,
            score_text: number_text(score),
            grade: text(w, "grade"),
            rank: get(w, "hall_rank").as_i64().unwrap_or(0),
            model_window: has("ranking.model_window"),
            bottom: has("assessment.bottom"),
            deductions: rows.iter().map(|d| deduction(d, en)).collect(),
            window_id: window,
        };
        hall_entry(&mut out, &hall, &text(w, "hall_name")).windows.push(ws);
    }
    for s in &staff {
        let score = get(s, "score").as_f64().unwrap_or(0.0);
        let ss = StaffScore {
            staff_id: text(s, "staff_id"),
            staff_name: session.names.staff_name(&text(s, "staff_id"), hide_staff),
            score,
            score_text: number_text(score),
            grade: text(s, "grade"),
            rank: get(s, "hall_rank").as_i64().unwrap_or(0),
        };
        hall_entry(&mut out, &text(s, "hall_id"), &text(s, "hall_name")).staff.push(ss);
    }
    Ok(out)
}

fn get_str(vars: &Value, k: &str) -> String {
    vars.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

fn deduction(d: &Map<String, Value>, en: bool) -> Deduction {
    let points = get(d, "points").as_f64().unwrap_or(0.0);
    Deduction {
        rule: text(d, "rule"),
        title: text(d, if en { "title_en" } else { "title" }),
        count: get(d, "findings").as_i64().unwrap_or(0),
        points,
        points_text: if points > 0.0 { format!("+{}", number_text(points)) } else { number_text(points) },
    }
}

/// The hall's entry, added at the end when new (the rows come in hall order).
fn hall_entry<'a>(out: &'a mut Assessment, hall: &str, name: &str) -> &'a mut HallScores {
    let i = match out.halls.iter().position(|h| h.hall_id == hall) {
        Some(i) => i,
        None => {
            out.halls.push(HallScores { hall_id: hall.to_string(), hall_name: name.to_string(), windows: Vec::new(), staff: Vec::new() });
            out.halls.len() - 1
        }
    };
    &mut out.halls[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_show_no_decimals_when_whole() {
        assert_eq!((number_text(96.0), number_text(97.5), number_text(-2.0)), ("96".into(), "97.5".into(), "-2".into()));
    }
}
