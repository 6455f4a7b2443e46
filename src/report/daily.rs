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
    let list = s.with_districts(offices(settings, opts.office.as_deref(), &halls)?).await?;
    let mut all: Vec<(Office, Option<String>)> = list.iter().cloned().map(|o| (o, None)).collect();
    if opts.office.is_none() {
        all.extend(leader_offices(&s.names));
    }
    let daily = Daily { settings, s: &s, opts, as_of, date: as_of.format("%Y-%m-%d").to_string(), bounds: bounds(settings, as_of), list: &list };
    let pb = crate::progress::items(all.len() as u64, format!("daily {}", daily.date));
    let mut out = Vec::new();
    for (office, greeting) in all {
        pb.inc(1);
        out.push(daily.office(office, greeting).await?);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// The bounds of the warning's lists, as the queries' variables: "since yesterday", from the start
/// of the previous working day (`since`), and "within a working day", by the end of the next
/// working day (`next_workday_end`, as time_limit.due_soon reads it).
fn bounds(settings: &Settings, as_of: NaiveDateTime) -> [(&'static str, String); 2] {
    let prev_workday = settings.calendar.add_workdays(as_of.date(), -1);
    let since = crate::engine::ts_literal(prev_workday.and_hms_opt(0, 0, 0).expect("midnight"));
    let next_end = crate::engine::ts_literal(settings.calendar.add_workdays(as_of.date(), 1).and_hms_opt(23, 59, 59).expect("end of day"));
    [("since", since), ("next_workday_end", next_end)]
}

/// One day's warning, rendered office by office.
struct Daily<'a> {
    settings: &'a Settings,
    s: &'a Session,
    opts: &'a Request,
    as_of: NaiveDateTime,
    date: String,
    bounds: [(&'static str, String); 2],
    /// The offices asked for (the hall robots' offices are found among them).
    list: &'a [Office],
}

impl Daily<'_> {
    /// The warning of the halls `halls`, names labelled as `office` may see them.
    async fn warnings(&self, halls: &[String], hide_staff: bool) -> Result<[Vec<Map<String, Value>>; 4], ReportError> {
        let v = vars(self.settings, self.as_of, halls, None, &self.bounds);
        let mut rows = warnings(self.s, self.settings, &v).await?;
        for r in rows.iter_mut() {
            self.s.names.label_rows(r, hide_staff);
        }
        Ok(rows)
    }

    fn render(&self, lang: &str, html: bool, data: &Value) -> Result<String, ReportError> {
        render::render("daily", lang, html, data, self.opts.templates.as_deref())
    }

    /// One office's warning (greeted by `greeting`), its files written; nothing when it has
    /// nothing to warn about.
    async fn office(&self, office: Office, greeting: Option<String>) -> Result<Rendered, ReportError> {
        let (settings, s, date) = (self.settings, self.s, self.date.as_str());
        let en = office.language == "en";
        let hide_staff = mask_staff(settings, &office);
        let rows = self.warnings(&office.halls, hide_staff).await?;
        if rows.iter().all(Vec::is_empty) {
            return Ok(Rendered { office, files: Vec::new(), message: None, posts: Vec::new() });
        }
        let hidden = masked(rows.clone());
        let shown = if office.show_personal_data { rows } else { hidden.clone() };
        let who = super::monthly::subject_name(&s.names, &office, en);
        let view = View { id: &office.id, name: &office.name, who: &who, names: &s.names, greeting: greeting.as_deref(), halls: &office.halls, en, date, as_of: self.as_of };
        let data = view.data(shown, !office.show_personal_data);
        let lang = office.language.as_str();
        let html = self.render(lang, true, &data)?;
        let text = self.render(lang, false, &data)?;
        let dir = self.opts.out.join(&office.id);
        let hp = dir.join(format!("daily-{date}.html"));
        let tp = dir.join(format!("daily-{date}.txt"));
        write(&hp, html.as_bytes())?;
        write(&tp, text.as_bytes())?;
        let subject = view.subject(&data);
        let mut posts = Vec::new();
        if let Some(hook) = &office.webhook {
            // A group reads the post: masked even when the office's own mail shows personal data.
            let text = if office.show_personal_data { self.render(lang, false, &view.data(hidden, true))? } else { text.clone() };
            posts.push(self.post(&office, None, hook, subject.clone(), text, &hp));
        }
        posts.extend(self.hall_posts(&office, view, hide_staff, &hp).await?);
        let message = Message::for_office(&office, "daily", date.to_string(), subject, text, html);
        Ok(Rendered { office, files: vec![hp, tp], message: Some(message), posts })
    }

    /// The posts of the office's hall robots, each with its hall's warning alone (masked); none
    /// for a hall leader's own mail (the hall's robot posts from its office).
    async fn hall_posts(&self, office: &Office, view: View<'_>, hide_staff: bool, hp: &std::path::Path) -> Result<Vec<Post>, ReportError> {
        let mut posts = Vec::new();
        if office.id.starts_with(LEADER_PREFIX) {
            return Ok(posts);
        }
        for h in hall_robots(self.settings, self.list, office) {
            let rows = masked(self.warnings(std::slice::from_ref(&h.hall), hide_staff).await?);
            if rows.iter().all(Vec::is_empty) {
                continue;
            }
            let hall = self.s.names.hall(&h.hall);
            let name = if view.en { format!("{} · hall {hall}", office.name) } else { format!("{} · 大厅 {hall}", office.name) };
            let hall_view = View { name: &name, who: &name, greeting: None, halls: std::slice::from_ref(&h.hall), ..view };
            let data = hall_view.data(rows, true);
            let text = self.render(office.language.as_str(), false, &data)?;
            posts.push(self.post(office, Some(h.hall.clone()), &h.webhook, hall_view.subject(&data), text, hp));
        }
        Ok(posts)
    }

    fn post(&self, office: &Office, hall: Option<String>, webhook: &crate::config::Webhook, title: String, text: String, hp: &std::path::Path) -> Post {
        Post { office_id: office.id.clone(), hall, webhook: webhook.clone(), report: "daily".into(), period: self.date.clone(), title, text, files: vec![hp.to_path_buf()], en: office.language == "en" }
    }
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
            let office = Office::mail_only(format!("{LEADER_PREFIX}{id}"), names.hall(&id), vec![id], h.leader_email.into_iter().collect());
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
