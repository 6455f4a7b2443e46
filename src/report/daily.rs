//! The daily warning (预警日报): per office, the cases due within a working day, the cases gone
//! overdue since the previous working day began, and the bad reviews still unverified with the
//! hours left. An office with nothing to warn about gets no message. An office's group robot
//! gets the same text (masked), and a hall's robot a warning of that hall alone. A hall whose
//! `leader_email` the halls table holds also gets its own hall's warning by mail, greeted by its
//! leader's name.

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::names::Names;
use super::{Rendered, ReportError, Request, Session, hall_robots, mask_rows, mask_staff, offices, render, vars, write};
use super::message::{Message, Post};
use crate::config::Office;
use crate::settings::Settings;
use crate::store::Warehouse;

/// Renders the daily warning of every office asked for (or one) as of `as_of`.
pub async fn render_all(settings: &Settings, wh: &Warehouse, opts: &Request, as_of: NaiveDateTime) -> Result<Vec<Rendered>, ReportError> {
    let s = Session::open(settings, wh, as_of, true).await?;
    let halls = s.halls().await?;
    // "Since yesterday": from the start of the previous working day.
    let prev_workday = settings.calendar.add_workdays(as_of.date(), -1);
    let since = crate::engine::ts_literal(prev_workday.and_hms_opt(0, 0, 0).expect("midnight"));
    // "Within a working day": by the end of the next working day (as time_limit.due_soon reads it).
    let next_end = crate::engine::ts_literal(settings.calendar.add_workdays(as_of.date(), 1).and_hms_opt(23, 59, 59).expect("end of day"));
    let date = as_of.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    let list = s.with_districts(offices(settings, opts.office.as_deref(), &halls)?).await?;
    let mut all: Vec<(Office, Option<String>)> = list.iter().cloned().map(|o| (o, None)).collect();
    if opts.office.is_none() {
        all.extend(leader_offices(&s.names));
    }
    let pb = crate::progress::items(all.len() as u64, format!("daily {date}"));
    for (office, greeting) in all {
        pb.inc(1);
        let en = office.language == "en";
        let v = vars(settings, as_of, &office.halls, None, &[("since", since.clone()), ("next_workday_end", next_end.clone())]);
        let mut rows = warnings(&s, settings, &v).await?;
        if rows.iter().all(Vec::is_empty) {
            out.push(Rendered { office, files: Vec::new(), message: None, posts: Vec::new() });
            continue;
        }
        let hide_staff = mask_staff(settings, &office);
        for r in rows.iter_mut() {
            s.names.label_rows(r, hide_staff);
        }
        let hidden = masked(rows.clone());
        let shown = if office.show_personal_data { rows } else { hidden.clone() };
        let who = super::monthly::subject_name(&s.names, &office, en);
        let view = View { id: &office.id, name: &office.name, who: &who, names: &s.names, greeting: greeting.as_deref(), halls: &office.halls, en, date: &date, as_of };
        let data = view.data(shown, !office.show_personal_data);
        let lang = office.language.as_str();
        let html = render::render("daily", lang, true, &data, opts.templates.as_deref())?;
        let text = render::render("daily", lang, false, &data, opts.templates.as_deref())?;
        let dir = opts.out.join(&office.id);
        let hp = dir.join(format!("daily-{date}.html"));
        let tp = dir.join(format!("daily-{date}.txt"));
        write(&hp, html.as_bytes())?;
        write(&tp, text.as_bytes())?;
        let subject = view.subject(&data);
        let post = |hall: Option<String>, webhook: &crate::config::Webhook, title: String, text: String| Post {
            office_id: office.id.clone(),
            hall,
            webhook: webhook.clone(),
            report: "daily".into(),
            period: date.clone(),
            title,
            text,
            files: vec![hp.clone()],
            en,
        };
        let mut posts = Vec::new();
        if let Some(hook) = &office.webhook {
            // A group reads the post: masked even when the office's own mail shows personal data.
            let text = if office.show_personal_data { render::render("daily", lang, false, &view.data(hidden, true), opts.templates.as_deref())? } else { text.clone() };
            posts.push(post(None, hook, subject.clone(), text));
        }
        // A hall leader's own mail has no robots of its own (the hall's robot posts from its office).
        let robots = if office.id.starts_with(LEADER_PREFIX) { Vec::new() } else { hall_robots(settings, &list, &office) };
        for h in robots {
            let hv = vars(settings, as_of, std::slice::from_ref(&h.hall), None, &[("since", since.clone()), ("next_workday_end", next_end.clone())]);
            let mut rows = warnings(&s, settings, &hv).await?;
            for r in rows.iter_mut() {
                s.names.label_rows(r, hide_staff);
            }
            let rows = masked(rows);
            if rows.iter().all(Vec::is_empty) {
                continue;
            }
            let hall = s.names.hall(&h.hall);
            let name = if en { format!("{} · hall {hall}", office.name) } else { format!("{} · 大厅 {hall}", office.name) };
            let hall_view = View { name: &name, who: &name, greeting: None, halls: std::slice::from_ref(&h.hall), ..view };
            let data = hall_view.data(rows, true);
            let text = render::render("daily", lang, false, &data, opts.templates.as_deref())?;
            posts.push(post(Some(h.hall.clone()), &h.webhook, hall_view.subject(&data), text));
        }
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
        out.push(Rendered { office, files: vec![hp, tp], message: Some(message), posts });
    }
    pb.finish_and_clear();
    Ok(out)
}

/// The prefix of the office id a hall leader's own warning goes under (`hall-370102`), so the
/// delivery ledger keeps it apart from the office's.
pub const LEADER_PREFIX: &str = "hall-";

/// Each hall with a `leader_email` as an office of that hall alone, addressed to its leader
/// (warnings reach the responsible, not only the supervisor), with the greeting by name.
fn leader_offices(names: &Names) -> Vec<(Office, Option<String>)> {
    names
        .leaders()
        .into_iter()
        .map(|(id, h)| {
            let office = Office {
                id: format!("{LEADER_PREFIX}{id}"),
                name: names.hall(&id),
                halls: vec![id],
                districts: Vec::new(),
                to: h.leader_email.into_iter().collect(),
                cc: Vec::new(),
                language: "zh-CN".into(),
                show_personal_data: false,
                webhook: None,
                doc_number: None,
                addressee: None,
            };
            (office, h.leader_name.map(|n| format!("{n}：您好！以下是本大厅今日的预警事项。")))
        })
        .collect()
}

/// The four lists of the warning for the halls in `v`: due soon, newly overdue, unverified, and
/// the supervisors' records due within a working day (complaints to reply to, rectifications).
async fn warnings(s: &Session, settings: &Settings, v: &Value) -> Result<[Vec<Map<String, Value>>; 4], ReportError> {
    let due_soon = s.report_query(settings, "daily_due_soon", v).await?;
    let new_overdue = s.report_query(settings, "daily_new_overdue", v).await?;
    let mut unverified = s.report_query(settings, "daily_unverified", v).await?;
    for r in unverified.iter_mut() {
        let h = r.get("hours_left").and_then(|v| v.as_f64()).unwrap_or(0.0);
        r.insert("hours_left_text".into(), Value::String(format!("{h:.1}")));
    }
    let records_due = s.report_query(settings, "daily_records_due", v).await?;
    Ok([due_soon, new_overdue, unverified, records_due])
}

fn masked(mut rows: [Vec<Map<String, Value>>; 4]) -> [Vec<Map<String, Value>>; 4] {
    for r in rows.iter_mut() {
        mask_rows(r, false);
    }
    rows
}

/// Who a warning is for: an office, or one hall of it (for the hall's robot).
#[derive(Clone, Copy)]
struct View<'a> {
    id: &'a str,
    name: &'a str,
    /// Who the subject names (the halls' names for the office of all halls).
    who: &'a str,
    names: &'a Names,
    greeting: Option<&'a str>,
    halls: &'a [String],
    en: bool,
    date: &'a str,
    as_of: NaiveDateTime,
}

impl View<'_> {
    fn data(&self, rows: [Vec<Map<String, Value>>; 4], masked: bool) -> Value {
        let [due_soon, new_overdue, unverified, records_due] = rows;
        let (complaints, rectifications): (Vec<_>, Vec<_>) = records_due.into_iter().partition(|r| r.get("what").and_then(Value::as_str) == Some("complaint"));
        json!({
            "office": {"id": self.id, "name": self.name},
            "greeting": self.greeting,
            "date": self.date,
            "as_of": self.as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
            "halls": self.names.halls_text(self.halls, if self.en { ", " } else { "、" }),
            "masked": masked,
            "counts": {"due_soon": due_soon.len(), "new_overdue": new_overdue.len(), "unverified": unverified.len(), "complaints": complaints.len(), "rectifications": rectifications.len()},
            "due_soon": due_soon, "new_overdue": new_overdue, "unverified": unverified,
            "complaints": complaints, "rectifications": rectifications,
        })
    }

    fn subject(&self, data: &Value) -> String {
        let n = |k: &str| data[k].as_array().map_or(0, |a| a.len());
        let (n1, n2, n3, date) = (n("due_soon"), n("new_overdue"), n("unverified"), self.date);
        // The records' counts join the subject only when there are any (most days there are none).
        let (n4, n5) = (n("complaints"), n("rectifications"));
        if self.en {
            let more = if n4 + n5 > 0 { format!(", {n4} complaints to reply to, {n5} rectifications due") } else { String::new() };
            format!("Daily warning {date} — {}: {n1} due soon, {n2} newly overdue, {n3} bad reviews to verify{more}", self.who)
        } else {
            let more = if n4 + n5 > 0 { format!("，待答复投诉 {n4} 件，整改到期 {n5} 项") } else { String::new() };
            format!("【预警日报】{} {date}：临期 {n1} 件，新超期 {n2} 件，待核实差评 {n3} 条{more}", self.who)
        }
    }
}
