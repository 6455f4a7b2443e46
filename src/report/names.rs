//! Names beside ids: the one lookup every report renders its halls, windows and staff through
//! (supervision.md "Reference tables"). A hall reads `历下区医疗保障服务大厅`, a window
//! `5号窗口（异地就医备案）`, a person `张晓明（YB102006）`; an id the reference tables do not
//! name (or name with a blank) reads as the bare id, never a blank. Staff names are masked like
//! applicants' names when `[privacy] mask_staff` is set and the office may not see personal data.

use std::collections::HashMap;

use serde_json::{Map, Value};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;

use super::ReportError;

/// A hall of the `halls` table.
#[derive(Debug, Clone, Default)]
pub struct Hall {
    pub name: Option<String>,
    pub leader_name: Option<String>,
    pub leader_email: Option<String>,
}

/// The reference tables as read at the session's instant (empty when never ingested).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub halls: HashMap<String, Hall>,
    windows: HashMap<(String, String), String>,
    staff: HashMap<String, String>,
}

/// A text cell that holds something other than blanks.
fn text(row: &Map<String, Value>, key: &str) -> Option<String> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

impl Names {
    /// Reads `halls`, `windows` and `staff` in `ctx` (each registered, empty when not ingested).
    pub async fn load(ctx: &SessionContext) -> Result<Names, ReportError> {
        let sql = async |q: &str| -> Result<Vec<Map<String, Value>>, ReportError> {
            let df = ctx.sql(q).await.map_err(|e| ReportError::Query(e.to_string()))?;
            super::batches_json(&df.collect().await.map_err(|e| ReportError::Query(e.to_string()))?)
        };
        let mut n = Names::default();
        for r in sql("SELECT hall_id, hall_name, leader_name, leader_email FROM halls ORDER BY hall_id").await? {
            let Some(id) = text(&r, "hall_id") else { continue };
            n.halls.insert(id, Hall { name: text(&r, "hall_name"), leader_name: text(&r, "leader_name"), leader_email: text(&r, "leader_email") });
        }
        for r in sql("SELECT hall_id, window_id, window_name FROM windows").await? {
            if let (Some(h), Some(w), Some(name)) = (text(&r, "hall_id"), text(&r, "window_id"), text(&r, "window_name")) {
                n.windows.insert((h, w), name);
            }
        }
        for r in sql("SELECT staff_id, staff_name FROM staff").await? {
            if let (Some(id), Some(name)) = (text(&r, "staff_id"), text(&r, "staff_name")) {
                n.staff.insert(id, name);
            }
        }
        Ok(n)
    }

    /// Whether the reference tables name anything at all (the attachments gain name columns then).
    pub fn is_empty(&self) -> bool {
        self.halls.values().all(|h| h.name.is_none()) && self.windows.is_empty() && self.staff.is_empty()
    }

    /// `历下区医疗保障服务大厅`, or the id.
    pub fn hall(&self, id: &str) -> String {
        self.halls.get(id).and_then(|h| h.name.clone()).unwrap_or_else(|| id.to_string())
    }

    /// `5号窗口（异地就医备案）`, or the id.
    pub fn window(&self, hall: &str, id: &str) -> String {
        self.windows.get(&(hall.to_string(), id.to_string())).cloned().unwrap_or_else(|| id.to_string())
    }

    /// The staff member's name (masked when `mask`), or the id.
    pub fn staff_name(&self, id: &str, mask: bool) -> String {
        match self.staff.get(id) {
            Some(n) if mask => crate::mask::mask_name(n),
            Some(n) => n.clone(),
            None => id.to_string(),
        }
    }

    /// `张晓明（YB102006）` (masked `张**（YB102006）` when `mask`), or the id.
    pub fn staff(&self, id: &str, mask: bool) -> String {
        match self.staff.contains_key(id) {
            true => format!("{}（{id}）", self.staff_name(id, mask)),
            false => id.to_string(),
        }
    }

    /// The halls as one line: their names joined by `sep`.
    pub fn halls_text(&self, halls: &[String], sep: &str) -> String {
        halls.iter().map(|h| self.hall(h)).collect::<Vec<_>>().join(sep)
    }

    /// `历下区医疗保障服务大厅等3个大厅` (one hall: its name), for a subject line; None when no
    /// hall of them has a name.
    pub fn halls_phrase(&self, halls: &[String], en: bool) -> Option<String> {
        let first = halls.iter().find(|h| self.halls.get(*h).is_some_and(|x| x.name.is_some()))?;
        let name = self.hall(first);
        Some(match (halls.len(), en) {
            (1, _) => name,
            (n, false) => format!("{name}等{n}个大厅"),
            (n, true) => format!("{name} and {} other halls", n - 1),
        })
    }

    /// Adds `hall_label`, `window_label` and `staff_label` (what the templates show) and
    /// `hall_name`, `window_name`, `staff_name` (what the spreadsheets show) to every row that has
    /// the id; the ids stay as they are.
    pub fn label_rows(&self, rows: &mut [Map<String, Value>], mask_staff: bool) {
        for r in rows.iter_mut() {
            let hall = r.get("hall_id").and_then(Value::as_str).map(String::from);
            let window = r.get("window_id").and_then(Value::as_str).map(String::from);
            let staff = r.get("staff_id").and_then(Value::as_str).map(String::from);
            if let Some(h) = &hall {
                r.insert("hall_label".into(), Value::String(self.hall(h)));
                r.insert("hall_name".into(), Value::String(self.hall(h)));
            }
            if let Some(w) = &window {
                let label = self.window(hall.as_deref().unwrap_or(""), w);
                r.insert("window_label".into(), Value::String(label.clone()));
                r.insert("window_name".into(), Value::String(label));
            }
            if let Some(s) = &staff {
                r.insert("staff_label".into(), Value::String(self.staff(s, mask_staff)));
                r.insert("staff_name".into(), Value::String(self.staff_name(s, mask_staff)));
            }
        }
    }

    /// The halls with a leader's address: (hall id, hall).
    pub fn leaders(&self) -> Vec<(String, Hall)> {
        let mut v: Vec<(String, Hall)> = self.halls.iter().filter(|(_, h)| h.leader_email.is_some()).map(|(id, h)| (id.clone(), h.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// `batch` (findings) with `hall_name`, `window_name` and `staff_name` after its columns: the
/// name, or the id where there is none (`check --format table`).
pub fn with_name_arrays(batch: &RecordBatch, names: &Names, mask_staff: bool) -> Result<RecordBatch, ReportError> {
    let err = |e: datafusion::arrow::error::ArrowError| ReportError::Query(e.to_string());
    let text = |c: &str| -> Option<Vec<Option<String>>> {
        let a = batch.column_by_name(c)?.as_string_opt::<i32>()?;
        Some((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect())
    };
    let (Some(halls), Some(windows), Some(staff)) = (text("hall_id"), text("window_id"), text("staff_id")) else { return Ok(batch.clone()) };
    let hall: StringArray = halls.iter().map(|h| h.as_deref().map(|h| names.hall(h))).collect();
    let window: StringArray = halls.iter().zip(&windows).map(|(h, w)| w.as_deref().map(|w| names.window(h.as_deref().unwrap_or(""), w))).collect();
    let person: StringArray = staff.iter().map(|s| s.as_deref().map(|s| names.staff_name(s, mask_staff))).collect();
    let mut fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (n, a) in [("hall_name", hall), ("window_name", window), ("staff_name", person)] {
        fields.push(Field::new(n, DataType::Utf8, true));
        columns.push(std::sync::Arc::new(a));
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns).map_err(err)
}

/// `cols` with a name column after each id column (`hall_id` → `hall_name`, …) when `named`.
pub fn with_name_columns<'a>(cols: &[(&'a str, &'a str, &'a str)], named: bool) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut out = Vec::with_capacity(cols.len() + 3);
    for c in cols {
        out.push(*c);
        if !named {
            continue;
        }
        match c.0 {
            "hall_id" => out.push(("hall_name", "大厅名称", "hall name")),
            "window_id" => out.push(("window_name", "窗口名称", "window name")),
            "staff_id" => out.push(("staff_name", "人员姓名", "staff name")),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut n = Names::default();
        n.halls.insert("370102".into(), Hall { name: Some("历下区医疗保障服务大厅".into()), ..Hall::default() });
        n.halls.insert("370103".into(), Hall::default());
        n.windows.insert(("370102".into(), "W05".into()), "5号窗口（异地就医备案）".into());
        n.staff.insert("YB102006".into(), "张晓明".into());
        n
    }

    #[test]
    fn a_name_is_shown_where_known_and_the_id_otherwise() {
        let n = names();
        assert_eq!(n.hall("370102"), "历下区医疗保障服务大厅");
        assert_eq!(n.hall("370103"), "370103");
        assert_eq!(n.window("370102", "W05"), "5号窗口（异地就医备案）");
        assert_eq!(n.window("370103", "W05"), "W05");
        assert_eq!(n.staff("YB102006", false), "张晓明（YB102006）");
        assert_eq!(n.staff("YB102006", true), "张**（YB102006）");
        assert_eq!(n.staff("YB999", true), "YB999");
        assert_eq!(n.halls_phrase(&["370102".into(), "370103".into(), "370104".into()], false).as_deref(), Some("历下区医疗保障服务大厅等3个大厅"));
        assert_eq!(n.halls_phrase(&["370103".into()], false), None);
    }

    #[test]
    fn name_columns_follow_their_ids_only_when_named() {
        let cols = [("rule", "规则", "rule"), ("hall_id", "大厅", "hall"), ("staff_id", "工号", "staff")];
        assert_eq!(with_name_columns(&cols, false).len(), 3);
        let named: Vec<&str> = with_name_columns(&cols, true).iter().map(|c| c.0).collect();
        assert_eq!(named, ["rule", "hall_id", "hall_name", "staff_id", "staff_name"]);
    }
}
