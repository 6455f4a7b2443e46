//! The monthly supervision report (月度监督通报) of one month, one per office: headline figures
//! with their change against the previous month (环比), the window ranking of each hall with
//! 文明窗口 / most-unsatisfied / consecutive-bottom marked, staff figures, the queue, and the red
//! findings grouped by rule with the clause of the standard it breaks: the body lists the first
//! `[reports] findings_per_rule` of each rule and counts the rest, the XLSX/CSV attachments hold
//! every one, written as the query streams so that a month of a million findings fits in memory.
//!
//! A group robot gets one paragraph of the key figures (the office's, or its hall's alone) and
//! where the report is.
//!
//! The month M is judged as of the first instant of M+1 unless told otherwise (so re-running
//! October later gives October's answer); the previous month as of the first instant of M.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::document::DocFormat;
use futures::StreamExt;

use super::{Month, Rendered, ReportError, Request, Session, charts, get, group_by, mask_rows, mask_staff, offices, pct, render, vars, write};
use crate::config::Office;
use super::message::{Attachment, InlineImage, Message, Post};
use crate::output::TextTableWriter;
use crate::settings::Settings;
use crate::store::Warehouse;

#[derive(Clone, Copy)]
enum Kind {
    Count,
    Pct,
    Minutes,
}

/// (key, 中文, English, kind, higher is better)
const HEADLINE: &[(&str, &str, &str, Kind, Option<bool>)] = &[
    ("cases_accepted", "受理件数", "Cases accepted", Kind::Count, None),
    ("cases_completed", "办结件数", "Cases completed", Kind::Count, None),
    ("on_time_rate", "按时办结率", "On-time completion rate", Kind::Pct, Some(true)),
    ("early_rate", "提前办结率", "Early completion rate (承诺件)", Kind::Pct, Some(true)),
    ("overdue_completed", "超期办结件数", "Completed late", Kind::Count, Some(false)),
    ("overdue_open", "超期未办结（红牌）", "Open past deadline (red cards)", Kind::Count, Some(false)),
    ("due_soon", "临期预警（黄牌）", "Due within a working day (yellow)", Kind::Count, Some(false)),
    ("denials", "否定决定件数", "Denials", Kind::Count, None),
    ("denial_completeness", "否定备案完整率", "Denial filing completeness", Kind::Pct, Some(true)),
    ("bad_reviews", "差评件数", "Bad reviews", Kind::Count, Some(false)),
    ("verified_in_time_share", "差评24小时内核实率", "Bad reviews verified within 24 h", Kind::Pct, Some(true)),
    ("rectified_in_time_share", "差评按期整改率", "Confirmed bad reviews rectified in time", Kind::Pct, Some(true)),
    ("served", "排队已办理人次", "Tickets served", Kind::Count, None),
    ("mean_wait_min", "平均等候时间", "Mean wait", Kind::Minutes, Some(false)),
    ("p90_wait_min", "90%等候时间", "90th percentile wait", Kind::Minutes, Some(false)),
    ("long_wait_share", "等候超30分钟占比", "Share of waits over 30 min", Kind::Pct, Some(false)),
    ("no_show", "过号人次", "No-shows (过号)", Kind::Count, None),
    ("no_show_rate", "过号率", "No-show rate", Kind::Pct, Some(false)),
    ("unserved", "取号未叫号人次", "Never called (未叫号)", Kind::Count, Some(false)),
];

fn fmt(kind: Kind, v: &Value, en: bool) -> String {
    match (kind, v.as_f64()) {
        (_, None) => "—".into(),
        (Kind::Count, Some(x)) => format!("{}", x as i64),
        (Kind::Pct, Some(x)) => pct(Some(x)),
        (Kind::Minutes, Some(x)) => {
            if en {
                format!("{x:.1} min")
            } else {
                format!("{x:.1}分钟")
            }
        }
    }
}

fn delta(kind: Kind, cur: &Value, prev: &Value, better_up: Option<bool>, en: bool) -> (String, &'static str) {
    let (Some(c), Some(p)) = (cur.as_f64(), prev.as_f64()) else { return ("—".into(), "flat") };
    let d = c - p;
    let text = match kind {
        Kind::Count => format!("{:+}", d as i64),
        Kind::Pct => {
            if en {
                format!("{:+.1} pp", d * 100.0)
            } else {
                format!("{:+.1}个百分点", d * 100.0)
            }
        }
        Kind::Minutes => {
            if en {
                format!("{d:+.1} min")
            } else {
                format!("{d:+.1}分钟")
            }
        }
    };
    let trend = match better_up {
        _ if d.abs() < 1e-9 => "flat",
        None => "flat",
        Some(up) if (d > 0.0) == up => "good",
        Some(_) => "bad",
    };
    (text, trend)
}

/// Renders the monthly report of every office (or one), writing files under `out/<office>/`.
pub async fn render_all(settings: &Settings, wh: &Warehouse, opts: &Request, month: Month, document: Option<DocFormat>) -> Result<Vec<Rendered>, ReportError> {
    let cur = Session::open(settings, wh, opts.as_of(), true).await?;
    let prev = Session::open(settings, wh, month.start(), false).await?;
    let halls = cur.halls().await?;
    let mut out = Vec::new();
    let list = cur.with_districts(offices(settings, opts.office.as_deref(), &halls)?).await?;
    let pb = crate::progress::items(list.len() as u64, format!("monthly {month}"));
    for office in &list {
        let mut rendered = render_office(settings, &cur, &prev, office, opts, month, document).await?;
        rendered.posts = posts(settings, &cur, &list, &rendered, month).await?;
        out.push(rendered);
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(out)
}

async fn render_office(settings: &Settings, cur: &Session, prev: &Session, office: &Office, opts: &Request, month: Month, document: Option<DocFormat>) -> Result<Rendered, ReportError> {
    let en = office.language == "en";
    let hide_staff = mask_staff(settings, office);
    let v = vars(settings, cur.as_of, &office.halls, Some(month), &[]);
    let out = Out { dir: opts.out.join(&office.id), stem: format!("monthly-{month}") };
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    let headline = headline(settings, cur, prev, office, month, en).await?;
    let rankings = rankings(settings, cur, &v, month, en, &mut images).await?;
    let mut staff = cur.report_query(settings, "staff", &v).await?;
    cur.names.label_rows(&mut staff, hide_staff);
    let (wait_rows, wait_minutes) = queue(settings, cur, &v, en, &mut images).await?;
    trend(settings, cur, &v, en, &mut images).await?;
    let mut red = red_findings(settings, cur, office, &v, &out, en, hide_staff).await?;
    let records = records_section(settings, cur, &office.halls, month, hide_staff).await?;
    // 月考核: per hall, the windows by score with their deductions, and the staff scores.
    let assessment = super::assessment::build(settings, cur, &v, en, hide_staff).await?;

    let mut data = json!({
        "office": {"id": office.id, "name": office.name},
        "month": month.to_string(), "month_label": if en { month.to_string() } else { month.zh() },
        "as_of": cur.as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
        "generated_at": crate::clock::now_china().format("%Y-%m-%d %H:%M:%S").to_string(),
        "halls": cur.names.halls_text(&office.halls, if en { ", " } else { "、" }),
        "masked": !office.show_personal_data,
        "headline": headline,
        "rankings": rankings,
        "staff": staff, "has_staff": !staff.is_empty(),
        "wait_rows": wait_rows, "wait_minutes": wait_minutes,
        "red_groups": std::mem::take(&mut red.groups), "red_total": red.total,
        "excused_total": red.excused.len(), "excused_rows": std::mem::take(&mut red.excused),
        "assessment": assessment,
        "font": charts::font_source(),
    });
    merge(&mut data, records);
    let (mut files, text, html_mail) = write_bodies(&mut data, &images, &out, &office.language, opts)?;

    // The 通报 as an official document: the file asked for, and the DOCX in the mail.
    let doc = super::circular::monthly(&data, office, month, cur.as_of.date());
    if let Some(f) = document {
        let p = out.file(&format!(".{}", f.ext()));
        write(&p, &super::document::write(&doc, f, &settings.config.document_fonts)?)?;
        files.push(p);
    }
    let message = message(settings, cur, office, month, &images, [&red.xlsx, &red.csv], text, html_mail, &doc)?;
    files.extend([red.xlsx, red.csv]);
    Ok(Rendered { office: office.clone(), files, message: Some(message), posts: Vec::new() })
}

/// Where an office's files of the month go: `DIR/<stem><suffix>`.
struct Out {
    dir: PathBuf,
    stem: String,
}

impl Out {
    fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}{suffix}", self.stem))
    }
}

/// The headline figures with their change against the previous month (环比).
async fn headline(settings: &Settings, cur: &Session, prev: &Session, office: &Office, month: Month, en: bool) -> Result<Vec<Value>, ReportError> {
    let v = vars(settings, cur.as_of, &office.halls, Some(month), &[]);
    let pv = vars(settings, prev.as_of, &office.halls, Some(month.prev()), &[]);
    let head = cur.report_query(settings, "headline", &v).await?.into_iter().next().unwrap_or_default();
    let head_prev = prev.report_query(settings, "headline", &pv).await?.into_iter().next().unwrap_or_default();
    Ok(HEADLINE
        .iter()
        .map(|(k, zh, en_label, kind, up)| {
            let (d, trend) = delta(*kind, get(&head, k), get(&head_prev, k), *up, en);
            json!({
                "key": k,
                "label": if en { *en_label } else { *zh },
                "value": fmt(*kind, get(&head, k), en),
                "prev": fmt(*kind, get(&head_prev, k), en),
                "delta": d,
                "trend": trend,
            })
        })
        .collect())
}

/// The window ranking of each hall, with a chart each (added to `images`).
async fn rankings(settings: &Settings, cur: &Session, v: &Value, month: Month, en: bool, images: &mut Vec<(String, Vec<u8>)>) -> Result<Vec<Value>, ReportError> {
    let names = &cur.names;
    let ranking = cur.report_query(settings, "ranking", v).await?;
    let mut rankings = Vec::new();
    for (hall, rows) in group_by(ranking, "hall_id") {
        let bars: Vec<charts::RankBar> = rows
            .iter()
            .map(|r| charts::RankBar {
                label: names.window(&hall, get(r, "window_id").as_str().unwrap_or("")),
                satisfied: get(r, "satisfied").as_i64().unwrap_or(0),
                unsatisfied: get(r, "unsatisfied").as_i64().unwrap_or(0),
            })
            .collect();
        let hall_label = names.hall(&hall);
        let (title, s, u) = if en {
            (format!("Window ranking {hall_label} {month}"), "satisfied", "unsatisfied")
        } else {
            (format!("{hall_label} {} 窗口满意度排名", month.zh()), "满意票", "不满意票")
        };
        let name = format!("ranking-{}", safe(&hall));
        images.push((name.clone(), charts::ranking(&title, &bars, s, u)?));
        let rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "rank": get(r, "window_rank"), "window_id": get(r, "window_id"), "window_label": names.window(&hall, get(r, "window_id").as_str().unwrap_or("")), "satisfied": get(r, "satisfied"),
                    "unsatisfied": get(r, "unsatisfied"), "total": get(r, "total"), "rate": pct(get(r, "satisfaction_rate").as_f64()),
                    "model": get(r, "model_window"), "worst": get(r, "most_unsatisfied"), "bottom": get(r, "consecutive_bottom"),
                })
            })
            .collect();
        rankings.push(json!({ "hall_id": hall, "hall_label": hall_label, "chart_name": name, "rows": rows }));
    }
    Ok(rankings)
}

/// The queue: mean wait by hour of day (rows, and a chart when there are any) and the minutes
/// a wait is explained beyond.
async fn queue(settings: &Settings, cur: &Session, v: &Value, en: bool, images: &mut Vec<(String, Vec<u8>)>) -> Result<(Vec<Value>, i64), ReportError> {
    let wait = cur.report_query(settings, "wait_by_hour", v).await?;
    let hours: Vec<(i64, f64)> = wait.iter().filter_map(|r| Some((get(r, "hour").as_i64()?, get(r, "mean_wait_min").as_f64()?))).collect();
    let wait_minutes = settings.profile.get("wait_explain_minutes");
    if !hours.is_empty() {
        let (t, y, x) = if en { ("Mean wait by hour of day (minutes)", "minutes", "hour ticket taken") } else { ("各时段平均等候时间（分钟）", "分钟", "取号时段") };
        let line = if en { format!("{wait_minutes} min") } else { format!("{wait_minutes}分钟") };
        images.push(("wait".into(), charts::wait_by_hour(t, &hours, wait_minutes as f64, &line, y, x)?));
    }
    let wait_rows: Vec<Value> = wait
        .iter()
        .map(|r| json!({"hour": get(r, "hour"), "tickets": get(r, "tickets"), "mean_wait": get(r, "mean_wait_min").as_f64().map(|x| format!("{x:.1}")).unwrap_or("—".into()), "long_waits": get(r, "long_waits")}))
        .collect();
    Ok((wait_rows, wait_minutes))
}

/// The chart of the on-time completion rate over the last 12 months, when there are any.
async fn trend(settings: &Settings, cur: &Session, v: &Value, en: bool, images: &mut Vec<(String, Vec<u8>)>) -> Result<(), ReportError> {
    let trend = cur.report_query(settings, "trend", v).await?;
    let points: Vec<(String, f64)> = trend.iter().filter_map(|r| Some((get(r, "month").as_str()?.to_string(), get(r, "on_time_rate").as_f64()?))).collect();
    if !points.is_empty() {
        let (t, y) = if en { ("On-time completion rate, last 12 months", "rate") } else { ("按时办结率（近12个月）", "按时办结率") };
        images.push(("trend".into(), charts::trend(t, &points, y)?));
    }
    Ok(())
}

/// The month's red findings as the report holds them: per rule the first
/// `[reports] findings_per_rule` for the body with the count of the rest, the excused ones apart,
/// and every counted one in the XLSX and CSV attachments.
struct RedFindings {
    groups: Vec<Value>,
    total: usize,
    excused: Vec<Value>,
    xlsx: PathBuf,
    csv: PathBuf,
}

/// Streams the red findings query batch by batch: each batch masked and labelled, its rows
/// written to the attachments as they come, only the body's few kept — however many findings
/// the month has, the report holds one batch of them and the body's share.
async fn red_findings(settings: &Settings, cur: &Session, office: &Office, v: &Value, out: &Out, en: bool, hide_staff: bool) -> Result<RedFindings, ReportError> {
    let columns = super::names::with_name_columns(FINDING_COLUMNS, !cur.names.is_empty());
    let headers: Vec<String> = columns.iter().map(|(_, zh, e)| if en { e.to_string() } else { zh.to_string() }).collect();
    let (xlsx, csv) = (out.file("-red-findings.xlsx"), out.file("-red-findings.csv"));
    std::fs::create_dir_all(&out.dir).map_err(|e| ReportError::Io { path: out.dir.display().to_string(), source: e })?;
    let mut sheet = TextTableWriter::create(&xlsx, &csv, "红色问题明细", &headers)?;
    let mut groups = RuleGroups { per_rule: settings.config.findings_per_rule, en, groups: Vec::new() };
    let mut excused = Vec::new();
    let mut stream = cur.report_stream(settings, "red_findings", v).await?;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ReportError::Query(format!("queries/reports/red_findings.sql: {e}")))?;
        let mut rows = super::batches_json(std::slice::from_ref(&batch))?;
        mask_rows(&mut rows, office.show_personal_data);
        cur.names.label_rows(&mut rows, hide_staff);
        for r in rows {
            // Excused on appeal (已申诉认可): listed apart, counted nowhere.
            if get(&r, "excused").as_bool() == Some(true) {
                excused.push(titled(r, en));
                continue;
            }
            sheet.write_row(&finding_cells(&columns, &r))?;
            groups.add(r);
        }
    }
    let total = sheet.rows() as usize;
    sheet.finish()?;
    Ok(RedFindings { groups: groups.into_json(), total, excused, xlsx, csv })
}

/// An excused finding with its title in the report's language.
fn titled(mut row: Map<String, Value>, en: bool) -> Value {
    let title = if en { get(&row, "title_en").clone() } else { get(&row, "title").clone() };
    row.insert("title".into(), title);
    Value::Object(row)
}

/// The red findings per rule in order of first appearance: the rule's title and clause, its
/// count, and its first `per_rule` rows.
struct RuleGroups {
    per_rule: usize,
    en: bool,
    groups: Vec<RuleGroup>,
}

/// One rule's findings: the rule, its title and clause (from its first row), how many, the listed.
struct RuleGroup {
    rule: String,
    head: Map<String, Value>,
    count: usize,
    rows: Vec<Value>,
}

impl RuleGroups {
    fn add(&mut self, row: Map<String, Value>) {
        let rule = get(&row, "rule").as_str().unwrap_or("").to_string();
        let i = match self.groups.iter().rposition(|g| g.rule == rule) {
            Some(i) => i,
            None => {
                let head: Map<String, Value> = ["title", "title_en", "seed", "seed_text"].iter().map(|k| (k.to_string(), get(&row, k).clone())).collect();
                self.groups.push(RuleGroup { rule, head, count: 0, rows: Vec::new() });
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        g.count += 1;
        if g.rows.len() < self.per_rule {
            g.rows.push(Value::Object(row));
        }
    }

    /// The groups as the templates read them; `more`: the findings not listed (null for none).
    fn into_json(self) -> Vec<Value> {
        let en = self.en;
        self.groups
            .into_iter()
            .map(|RuleGroup { rule, head, count, rows }| {
                let more = count - rows.len();
                json!({
                    "rule": rule,
                    "title": if en { get(&head, "title_en").clone() } else { get(&head, "title").clone() },
                    "seed": get(&head, "seed"), "seed_text": get(&head, "seed_text"),
                    "count": count, "rows": rows,
                    "more": if more > 0 { json!(more) } else { Value::Null },
                })
            })
            .collect()
    }
}

/// Writes the charts and the HTML and text bodies: the file on disk refers to PNG files beside
/// it, the mail to inline parts by Content-ID. The files written, the text body, the mail's HTML.
fn write_bodies(data: &mut Value, images: &[(String, Vec<u8>)], out: &Out, lang: &str, opts: &Request) -> Result<(Vec<PathBuf>, String, String), ReportError> {
    let mut files = Vec::new();
    for (name, png) in images {
        let p = out.file(&format!("-{name}.png"));
        write(&p, png)?;
        files.push(p);
    }
    let templates = opts.templates.as_deref();
    set_images(data, images, |n| format!("{}-{n}.png", out.stem));
    let html_file = render::render("monthly", lang, true, data, templates)?;
    let text = render::render("monthly", lang, false, data, templates)?;
    set_images(data, images, |n| format!("cid:{n}"));
    let html_mail = render::render("monthly", lang, true, data, templates)?;
    let (hp, tp) = (out.file(".html"), out.file(".txt"));
    write(&hp, html_file.as_bytes())?;
    write(&tp, text.as_bytes())?;
    files.extend([hp, tp]);
    Ok((files, text, html_mail))
}

/// The mail of the report: the bodies, the charts inline, the red findings attached (read back
/// from the files just written), and with the `documents` feature the 通报 as DOCX.
#[allow(clippy::too_many_arguments)]
fn message(settings: &Settings, cur: &Session, office: &Office, month: Month, images: &[(String, Vec<u8>)], [xlsx, csv]: [&PathBuf; 2], text: String, html: String, doc: &super::document::Document) -> Result<Message, ReportError> {
    let en = office.language == "en";
    let who = subject_name(&cur.names, office, en);
    let subject = if en {
        format!("Monthly supervision report {month} — {who}")
    } else {
        format!("【月度监督通报】{who} {}医保窗口服务情况", month.zh())
    };
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| ReportError::Io { path: p.display().to_string(), source: e });
    let base = if en { format!("red-findings-{}-{month}", office.id) } else { format!("红色问题明细-{}-{month}", office.id) };
    #[allow(unused_mut)]
    let mut attachments = vec![
        Attachment { filename: format!("{base}.xlsx"), content_type: XLSX_MIME.into(), bytes: read(xlsx)? },
        Attachment { filename: format!("{base}.csv"), content_type: "text/csv; charset=utf-8".into(), bytes: read(csv)? },
    ];
    #[cfg(feature = "documents")]
    {
        let bytes = super::document::write(doc, DocFormat::Docx, &settings.config.document_fonts)?;
        attachments.insert(0, Attachment { filename: format!("月度监督通报-{}-{month}.docx", office.id), content_type: DocFormat::Docx.mime().into(), bytes });
    }
    #[cfg(not(feature = "documents"))]
    let _ = (settings, doc);
    Ok(Message {
        office_id: office.id.clone(),
        report: "monthly".into(),
        period: month.to_string(),
        to: office.to.clone(),
        cc: office.cc.clone(),
        subject,
        text,
        html,
        inline: images.iter().map(|(n, b)| InlineImage { cid: n.clone(), content_type: "image/png".into(), bytes: b.clone() }).collect(),
        attachments,
    })
}

/// The supervisors' records of the month (inspections, complaints, the halls' answers) per hall,
/// and in the December and January reports the year's accountability (the December report's own
/// year, January's the year before): the staff to whom a clause of 第四十一条 applies.
async fn records_section(settings: &Settings, cur: &Session, halls: &[String], month: Month, hide_staff: bool) -> Result<Value, ReportError> {
    let v = vars(settings, cur.as_of, halls, Some(month), &[]);
    let mut supervision = cur.report_query(settings, "supervision", &v).await?;
    cur.names.label_rows(&mut supervision, hide_staff);
    let year = match month.month {
        12 => Some(month.year),
        1 => Some(month.year - 1),
        _ => None,
    };
    let mut accountability = Vec::new();
    if let Some(y) = year {
        let v = vars(settings, cur.as_of, halls, Some(month), &[("year", y.to_string())]);
        accountability = cur.report_query(settings, "accountability", &v).await?;
        cur.names.label_rows(&mut accountability, hide_staff);
    }
    Ok(json!({
        "supervision": supervision, "has_supervision": !supervision.is_empty(),
        "accountability_year": year, "accountability": accountability,
    }))
}

/// Adds the keys of object `more` to object `data`.
fn merge(data: &mut Value, more: Value) {
    if let (Some(d), Value::Object(m)) = (data.as_object_mut(), more) {
        d.extend(m);
    }
}

/// The robots' posts of an office's report: a paragraph of the month's key figures for the
/// office's robot, and one of each hall's figures for that hall's robot, with where the report is.
async fn posts(settings: &Settings, cur: &Session, list: &[Office], rendered: &Rendered, month: Month) -> Result<Vec<Post>, ReportError> {
    let office = &rendered.office;
    let Some(message) = &rendered.message else { return Ok(Vec::new()) };
    let hooks: Vec<(Option<String>, crate::config::Webhook)> = office
        .webhook
        .iter()
        .map(|w| (None, w.clone()))
        .chain(super::hall_robots(settings, list, office).into_iter().map(|h| (Some(h.hall.clone()), h.webhook.clone())))
        .collect();
    let en = office.language == "en";
    let files: Vec<PathBuf> = rendered.files.iter().filter(|p| p.extension().is_some_and(|x| x == "html")).cloned().collect();
    let mut out = Vec::new();
    for (hall, webhook) in hooks {
        let halls = hall.clone().map_or_else(|| office.halls.clone(), |h| vec![h]);
        let v = vars(settings, cur.as_of, &halls, Some(month), &[]);
        let head = cur.report_query(settings, "headline", &v).await?.into_iter().next().unwrap_or_default();
        let red = cur.report_count(settings, "red_findings", &v).await?;
        let name = match &hall {
            None => office.name.clone(),
            Some(h) if en => format!("{} · hall {h}", office.name),
            Some(h) => format!("{} · 大厅 {h}", office.name),
        };
        let text = summary(&name, month, &head, red, en);
        let title = match &hall {
            None => message.subject.clone(),
            Some(_) if en => format!("Monthly supervision report {} — {name}", month),
            Some(_) => format!("【月度监督通报】{name} {}医保窗口服务情况", month.zh()),
        };
        out.push(Post { office_id: office.id.clone(), hall, webhook, report: "monthly".into(), period: month.to_string(), title, text, files: files.clone(), en });
    }
    Ok(out)
}

/// One paragraph: the month's key figures (no personal data at all).
fn summary(name: &str, month: Month, head: &Map<String, Value>, red: usize, en: bool) -> String {
    let f = |k: &str, kind: Kind| fmt(kind, get(head, k), en);
    if en {
        format!(
            "{name}, {month}: {} cases accepted, {} completed, on-time completion rate {}; {} open past deadline (red cards), {} due within a working day; {} bad reviews; mean wait {}; {} red findings in all.",
            f("cases_accepted", Kind::Count), f("cases_completed", Kind::Count), f("on_time_rate", Kind::Pct), f("overdue_open", Kind::Count), f("due_soon", Kind::Count), f("bad_reviews", Kind::Count), f("mean_wait_min", Kind::Minutes), red
        )
    } else {
        format!(
            "{name} {}医保窗口服务情况：受理 {} 件，办结 {} 件，按时办结率 {}；超期未办结（红牌）{} 件，临期预警（黄牌）{} 件；差评 {} 件；平均等候时间 {}；红色问题共 {} 条。",
            month.zh(), f("cases_accepted", Kind::Count), f("cases_completed", Kind::Count), f("on_time_rate", Kind::Pct), f("overdue_open", Kind::Count), f("due_soon", Kind::Count), f("bad_reviews", Kind::Count), f("mean_wait_min", Kind::Minutes), red
        )
    }
}

/// Who a subject names: the office, or — for the office of all halls that no configuration
/// names — its halls by name (`历下区医疗保障服务大厅等3个大厅`) when the halls table has them.
pub fn subject_name(names: &super::names::Names, office: &Office, en: bool) -> String {
    match office.id == super::DEFAULT_OFFICE {
        true => names.halls_phrase(&office.halls, en).unwrap_or_else(|| office.name.clone()),
        false => office.name.clone(),
    }
}

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn safe(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn set_images(data: &mut Value, images: &[(String, Vec<u8>)], src: impl Fn(&str) -> String) {
    let has = |n: &str| images.iter().any(|(x, _)| x == n);
    data["charts"] = json!({
        "wait": if has("wait") { Value::String(src("wait")) } else { Value::Null },
        "trend": if has("trend") { Value::String(src("trend")) } else { Value::Null },
    });
    if let Some(rs) = data["rankings"].as_array_mut() {
        for r in rs {
            let n = r["chart_name"].as_str().unwrap_or("").to_string();
            r["chart"] = if has(&n) { Value::String(src(&n)) } else { Value::Null };
        }
    }
}

/// The columns of the red-findings attachment: (row key, 中文表头, English header).
const FINDING_COLUMNS: &[(&str, &str, &str)] = &[
    ("rule", "规则", "rule"),
    ("title", "问题", "finding"),
    ("hall_id", "大厅", "hall"),
    ("window_id", "窗口", "window"),
    ("staff_id", "工号", "staff"),
    ("entity", "对象类型", "entity"),
    ("entity_id", "对象编号", "record"),
    ("due_at", "期限", "due"),
    ("month", "所属月份", "month"),
    ("detail", "说明", "detail"),
    ("seed", "依据条款", "standard"),
];

/// A finding's cells in the attachment's columns (instants and numbers as text, nulls empty).
fn finding_cells(columns: &[(&str, &str, &str)], row: &Map<String, Value>) -> Vec<String> {
    columns
        .iter()
        .map(|(k, _, _)| match get(row, k) {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        })
        .collect()
}
