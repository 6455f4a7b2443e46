//! The daily warning (预警日报): per office, the cases due within a working day, the cases gone
//! overdue since the previous working day began, and the bad reviews still unverified with the
//! hours left. An office with nothing to warn about gets no message.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::{Rendered, ReportError, Session, mask_rows, offices, render, vars, write};
use super::message::Message;
use crate::settings::Settings;
use crate::store::Warehouse;

pub struct DailyOptions {
    pub as_of: NaiveDateTime,
    pub office: Option<String>,
    pub out: PathBuf,
    pub templates: Option<PathBuf>,
}

pub async fn render_all(settings: &Settings, wh: &Warehouse, opts: &DailyOptions) -> Result<Vec<Rendered>, ReportError> {
    let s = Session::open(settings, wh, opts.as_of, true).await?;
    let halls = s.halls().await?;
    // "Since yesterday": from the start of the previous working day.
    let prev_workday = settings.calendar.add_workdays(opts.as_of.date(), -1);
    let since = crate::engine::ts_literal(prev_workday.and_hms_opt(0, 0, 0).expect("midnight"));
    let date = opts.as_of.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    let list = s.with_districts(offices(settings, opts.office.as_deref(), &halls)?).await?;
    let pb = crate::progress::items(list.len() as u64, format!("daily {date}"));
    for office in list {
        pb.inc(1);
        let en = office.language == "en";
        let v = vars(settings, opts.as_of, &office.halls, None, &[("since", since.clone())]);
        let mut due_soon = s.report_query(settings, "daily_due_soon", &v).await?;
        let mut new_overdue = s.report_query(settings, "daily_new_overdue", &v).await?;
        let mut unverified = s.report_query(settings, "daily_unverified", &v).await?;
        if due_soon.is_empty() && new_overdue.is_empty() && unverified.is_empty() {
            out.push(Rendered { office, files: Vec::new(), message: None });
            continue;
        }
        for rows in [&mut due_soon, &mut new_overdue, &mut unverified] {
            mask_rows(rows, office.show_personal_data);
        }
        for r in unverified.iter_mut() {
            let h = r.get("hours_left").and_then(|v| v.as_f64()).unwrap_or(0.0);
            r.insert("hours_left_text".into(), Value::String(format!("{h:.1}")));
        }
        let data = json!({
            "office": {"id": office.id, "name": office.name},
            "date": date,
            "as_of": opts.as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
            "halls": office.halls.join(if en { ", " } else { "、" }),
            "masked": !office.show_personal_data,
            "counts": {"due_soon": due_soon.len(), "new_overdue": new_overdue.len(), "unverified": unverified.len()},
            "due_soon": due_soon, "new_overdue": new_overdue, "unverified": unverified,
        });
        let lang = office.language.as_str();
        let html = render::render("daily", lang, true, &data, opts.templates.as_deref())?;
        let text = render::render("daily", lang, false, &data, opts.templates.as_deref())?;
        let dir = opts.out.join(&office.id);
        let hp = dir.join(format!("daily-{date}.html"));
        let tp = dir.join(format!("daily-{date}.txt"));
        write(&hp, html.as_bytes())?;
        write(&tp, text.as_bytes())?;
        let (n1, n2, n3) = (data["due_soon"].as_array().map_or(0, |a| a.len()), data["new_overdue"].as_array().map_or(0, |a| a.len()), data["unverified"].as_array().map_or(0, |a| a.len()));
        let subject = if en {
            format!("Daily warning {date} — {}: {n1} due soon, {n2} newly overdue, {n3} bad reviews to verify", office.name)
        } else {
            format!("【预警日报】{} {date}：临期 {n1} 件，新超期 {n2} 件，待核实差评 {n3} 条", office.name)
        };
        let message = Message {
            office_id: office.id.clone(),
            report: "daily".into(),
            period: date.clone(),
            to: office.to.clone(),
            cc: office.cc.clone(),
            subject,
            text,
            html,
            inline: Vec::new(),
            attachments: Vec::new(),
        };
        out.push(Rendered { office, files: vec![hp, tp], message: Some(message) });
    }
    pb.finish_and_clear();
    Ok(out)
}
