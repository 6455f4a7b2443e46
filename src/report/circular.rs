//! The monthly 通报 as an official [`Document`]: built from the same data the HTML report is
//! rendered from (`monthly::render_office`'s JSON), so the document and the mail never disagree.
//! Sections are numbered as they occur (一、二、…): a month without staff figures or queue data
//! has no empty section, and a 月考核 section can be slotted in the same way.

use chrono::NaiveDate;
use serde_json::Value;

use super::document::{Block, Document, Frame, Orientation, Table, doc_number};
use super::{Month, get};
use crate::config::Office;

/// The default 主送 when the office configures none.
pub const ADDRESSEE: &str = "各医保经办服务大厅";

/// The frame of an office's document about `month`: `{year}`/`{seq}` of the 发文字号 are the
/// month's year and number.
pub fn frame(office: &Office, month: Month, date: NaiveDate) -> Frame {
    Frame {
        issuer: office.name.clone(),
        doc_number: office.doc_number.as_deref().map(|t| doc_number(t, month.year, month.month)),
        addressee: Some(office.addressee.clone().unwrap_or_else(|| ADDRESSEE.into())),
        date,
    }
}

/// 一 … 九十九: the numbers of the sections (beyond, Arabic numerals).
pub fn zh_number(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].into(),
        10..=19 => format!("十{}", D[n - 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

/// Headings numbered as they come: level 1 一、, level 2 （一）.
#[derive(Default)]
pub struct Sections {
    pub blocks: Vec<Block>,
    l1: usize,
    l2: usize,
}

impl Sections {
    pub fn h1(&mut self, t: &str) {
        self.l1 += 1;
        self.l2 = 0;
        self.blocks.push(Block::Heading(1, format!("{}、{t}", zh_number(self.l1))));
    }
    pub fn h2(&mut self, t: &str) {
        self.l2 += 1;
        self.blocks.push(Block::Heading(2, format!("（{}）{t}", zh_number(self.l2))));
    }
    pub fn p(&mut self, t: impl Into<String>) {
        self.blocks.push(Block::Paragraph(t.into()));
    }
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(Table { header: header.iter().map(|h| h.to_string()).collect(), rows }));
    }
}

/// A JSON value as a cell: text as is, numbers as written, null as empty.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        other => other.to_string(),
    }
}

fn headline<'a>(data: &'a Value, key: &str) -> &'a Value {
    data["headline"].as_array().and_then(|a| a.iter().find(|h| h["key"] == key)).unwrap_or(&Value::Null)
}

fn hv(data: &Value, key: &str) -> String {
    text(&headline(data, key)["value"])
}

/// The 通报 of one office and month from the monthly report's data.
pub fn monthly(data: &Value, office: &Office, month: Month, date: NaiveDate) -> Document {
    let mut s = Sections::default();
    s.blocks.push(Block::Title(format!("关于{}医保经办窗口服务监督情况的通报", month.zh())));
    s.p(format!(
        "根据医疗保障经办服务窗口监督有关规定，现将{}所辖服务大厅（{}）窗口服务监督情况通报如下。",
        month.zh(),
        text(&data["halls"])
    ));
    overview(&mut s, data);
    rankings(&mut s, data);
    staff(&mut s, data);
    waits(&mut s, data);
    red(&mut s, data);
    assessment(&mut s, data);
    records(&mut s, data);
    s.h1("工作要求");
    s.p("请各服务大厅对照本通报所列问题逐项核实、限期整改，对超期未办结事项立即办结，整改情况按规定时限回告；对申诉的问题，请附相关佐证材料。");
    if data["masked"].as_bool() == Some(true) {
        s.p("（本通报中的个人信息已按规定脱敏。）");
    }
    Document { frame: frame(office, month, date), blocks: s.blocks, orientation: Orientation::Portrait }
}

fn overview(s: &mut Sections, data: &Value) {
    s.h1("总体情况");
    let on_time = headline(data, "on_time_rate");
    s.p(format!(
        "本月共受理办件{}件，办结{}件，按时办结率{}（上月{}，环比{}）；超期未办结（红牌）{}件，临期预警（黄牌）{}件；否定决定{}件，否定备案完整率{}；差评{}件，差评24小时内核实率{}；排队已办理{}人次，平均等候时间{}。",
        hv(data, "cases_accepted"),
        hv(data, "cases_completed"),
        text(&on_time["value"]),
        text(&on_time["prev"]),
        text(&on_time["delta"]),
        hv(data, "overdue_open"),
        hv(data, "due_soon"),
        hv(data, "denials"),
        hv(data, "denial_completeness"),
        hv(data, "bad_reviews"),
        hv(data, "verified_in_time_share"),
        hv(data, "served"),
        hv(data, "mean_wait_min"),
    ));
    let rows = data["headline"].as_array().map(|a| a.iter().map(|h| vec![text(&h["label"]), text(&h["value"]), text(&h["prev"]), text(&h["delta"])]).collect()).unwrap_or_default();
    s.table(&["指标", "本月", "上月", "环比"], rows);
}

fn rankings(s: &mut Sections, data: &Value) {
    let Some(halls) = data["rankings"].as_array().filter(|a| !a.is_empty()) else { return };
    s.h1("窗口满意度排名");
    for h in halls {
        let hall = text(&h["hall_id"]);
        s.h2(&hall);
        let rows = h["rows"].as_array().cloned().unwrap_or_default();
        let marked = |k: &str| rows.iter().filter(|r| r[k].as_bool() == Some(true)).map(|r| text(&r["window_id"])).collect::<Vec<_>>().join("、");
        let (model, worst, bottom) = (marked("model"), marked("worst"), marked("bottom"));
        let mut said = Vec::new();
        if !model.is_empty() {
            said.push(format!("评为文明窗口的是{model}"));
        }
        if !worst.is_empty() {
            said.push(format!("群众最不满意窗口为{worst}"));
        }
        if !bottom.is_empty() {
            said.push(format!("连续排名末位的窗口为{bottom}，予以通报批评并限期整改"));
        }
        if !said.is_empty() {
            s.p(format!("{}。", said.join("；")));
        }
        let table = rows
            .iter()
            .map(|r| {
                let mut marks = Vec::new();
                for (k, m) in [("model", "文明窗口"), ("worst", "最不满意"), ("bottom", "连续末位")] {
                    if r[k].as_bool() == Some(true) {
                        marks.push(m);
                    }
                }
                vec![text(&r["rank"]), text(&r["window_id"]), text(&r["satisfied"]), text(&r["unsatisfied"]), text(&r["total"]), text(&r["rate"]), marks.join("、")]
            })
            .collect();
        s.table(&["名次", "窗口", "满意", "不满意", "评价数", "满意率", "标注"], table);
    }
}

fn staff(s: &mut Sections, data: &Value) {
    let Some(rows) = data["staff"].as_array().filter(|a| !a.is_empty()) else { return };
    s.h1("工作人员情况");
    let table = rows
        .iter()
        .map(|r| {
            let r = r.as_object().cloned().unwrap_or_default();
            ["hall_id", "staff_id", "ratings", "satisfied", "unsatisfied", "cases_accepted", "cases_completed", "cases_overdue"].iter().map(|k| text(get(&r, k))).collect()
        })
        .collect();
    s.table(&["大厅", "工号", "评价数", "满意", "不满意", "受理", "办结", "超期"], table);
}

fn waits(s: &mut Sections, data: &Value) {
    let Some(rows) = data["wait_rows"].as_array().filter(|a| !a.is_empty()) else { return };
    s.h1("排队等候情况");
    s.p(format!(
        "本月平均等候时间{}，90%的群众等候不超过{}，等候超过30分钟的占{}；过号{}人次，取号后未叫号{}人次。各时段情况如下：",
        hv(data, "mean_wait_min"),
        hv(data, "p90_wait_min"),
        hv(data, "long_wait_share"),
        hv(data, "no_show"),
        hv(data, "unserved")
    ));
    let table = rows.iter().map(|r| vec![format!("{}时", text(&r["hour"])), text(&r["tickets"]), text(&r["mean_wait"]), text(&r["long_waits"])]).collect();
    s.table(&["取号时段", "取号人次", "平均等候（分钟）", "等候超30分钟"], table);
}

/// 月考核 (the report's `assessment`): per hall, the windows by score with their deductions, and
/// the staff scores.
fn assessment(s: &mut Sections, data: &Value) {
    let Some(halls) = data["assessment"]["halls"].as_array().filter(|a| !a.is_empty()) else { return };
    s.h1("月考核情况");
    s.p(format!("各窗口、工作人员以{}分为基础分，按本月问题扣分、加分（经申诉认可的问题不计）。", text(&data["assessment"]["base"])));
    for h in halls {
        s.h2(&text(&h["hall_name"]));
        let windows = h["windows"].as_array().cloned().unwrap_or_default();
        let rows = windows
            .iter()
            .map(|w| {
                let marks = [(w["model_window"].as_bool() == Some(true), "文明窗口"), (w["bottom"].as_bool() == Some(true), "考核连续末位")];
                let marks: Vec<&str> = marks.iter().filter(|(on, _)| *on).map(|(_, m)| *m).collect();
                let deductions: Vec<String> = w["deductions"].as_array().cloned().unwrap_or_default().iter().map(|d| format!("{}{}条{}分", text(&d["title"]), text(&d["count"]), text(&d["points_text"]))).collect();
                vec![text(&w["rank"]), text(&w["window_name"]), text(&w["score_text"]), text(&w["grade"]), deductions.join("；"), marks.join("、")]
            })
            .collect();
        s.table(&["名次", "窗口", "得分", "等次", "扣分、加分", "标注"], rows);
        let staff = h["staff"].as_array().cloned().unwrap_or_default();
        if !staff.is_empty() {
            let rows = staff.iter().map(|p| vec![text(&p["rank"]), text(&p["staff_name"]), text(&p["score_text"]), text(&p["grade"])]).collect();
            s.table(&["名次", "工作人员", "得分", "等次"], rows);
        }
    }
}

/// The supervisors' records of the month per hall and, in December and January, the year's
/// accountability (the report's `supervision` and `accountability`).
fn records(s: &mut Sections, data: &Value) {
    if let Some(rows) = data["supervision"].as_array().filter(|a| !a.is_empty()) {
        s.h1("监督检查、投诉与回告情况");
        let keys = ["hall_label", "inspections", "violations", "rectify_due", "rectified_in_time", "complaints", "replied_in_time", "substantiated", "red_findings", "answered", "appealed", "excused"];
        let table = rows.iter().map(|r| keys.iter().map(|k| text(&r[*k])).collect()).collect();
        s.table(&["大厅", "检查", "发现问题", "到期整改", "按期整改", "投诉", "按期答复", "查实", "红色问题", "已回告", "申诉", "申诉认可"], table);
    }
    if let Some(year) = data["accountability_year"].as_i64() {
        s.h1(&format!("{year}年度问责情况"));
        let rows = data["accountability"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            s.p("本年度无适用问责条款的工作人员。");
        } else {
            let table = rows
                .iter()
                .map(|r| vec![text(&r["hall_label"]), text(&r["staff_label"]), text(&r["employment"]), text(&r["clauses"]), format!("{}%", text(&r["withhold_percent"])), if r["loses_honours"].as_bool() == Some(true) { "是".into() } else { "否".into() }])
                .collect();
            s.table(&["大厅", "工作人员", "人员类别", "适用条款", "扣发精神文明奖", "取消评先评优"], table);
        }
    }
}

fn red(s: &mut Sections, data: &Value) {
    s.h1("红色问题");
    let groups = data["red_groups"].as_array().cloned().unwrap_or_default();
    if groups.is_empty() {
        s.p("本月未发现红色问题。");
    } else {
        s.p(format!("本月共发现红色问题{}件，按问题类别分列如下。", text(&data["red_total"])));
    }
    for g in &groups {
        s.h2(&format!("{}（{}件）", text(&g["title"]), text(&g["count"])));
        let (seed, clause) = (text(&g["seed"]), text(&g["seed_text"]));
        if !seed.is_empty() || !clause.is_empty() {
            s.p(format!("依据：{seed}{}{clause}", if seed.is_empty() || clause.is_empty() { "" } else { "　" }));
        }
        let rows = g["rows"]
            .as_array()
            .map(|rs| rs.iter().map(|r| ["hall_id", "window_id", "staff_id", "entity_id", "due_at", "detail"].iter().map(|k| text(&r[*k])).collect()).collect())
            .unwrap_or_default();
        s.table(&["大厅", "窗口", "工号", "对象编号", "期限", "说明"], rows);
        if let Some(more) = g["more"].as_u64() {
            s.p(format!("另有{more}件，详见附件。"));
        }
    }
    let excused = text(&data["excused_total"]);
    if !excused.is_empty() && excused != "0" {
        s.p(format!("另有{excused}件问题经申诉认可，不计入本月统计。"));
    }
}

/// The columns of the accountability view an A4 landscape page holds, with their headers.
const ACCOUNTABILITY_COLUMNS: [(&str, &str); 13] = [
    ("hall_id", "大厅"),
    ("staff_id", "工号"),
    ("staff_name", "姓名"),
    ("employment", "人员类别"),
    ("inspection_violations", "巡查违规"),
    ("complaints_center", "中心查实"),
    ("complaints_department", "厅效能办查实"),
    ("complaints_province", "省效能办查实"),
    ("complaints_media", "媒体曝光"),
    ("late_early", "迟到早退"),
    ("clauses", "适用条款"),
    ("withhold_percent", "扣发精神文明奖（%）"),
    ("loses_honours", "取消评先评优"),
];

/// The year's accountability (`windowwatch accountability --document`): the accountability view's
/// rows (`headers` its column names) as a landscape table under the office as 发文机关.
pub fn accountability(issuer: Option<&str>, year: i32, date: NaiveDate, headers: &[String], rows: &[Vec<String>]) -> Document {
    let at: Vec<Option<usize>> = ACCOUNTABILITY_COLUMNS.iter().map(|(k, _)| headers.iter().position(|h| h == k)).collect();
    let applied = rows.iter().filter(|r| headers.iter().position(|h| h == "withhold_percent").and_then(|i| r.get(i)).is_some_and(|v| !v.is_empty() && v != "0")).count();
    let table = rows
        .iter()
        .map(|r| at.iter().map(|i| i.and_then(|i| r.get(i)).map(|v| match v.as_str() { "true" => "是".to_string(), "false" => "否".to_string(), other => other.to_string() }).unwrap_or_default()).collect())
        .collect();
    let blocks = vec![
        Block::Title(format!("{year}年度工作人员问责情况表")),
        Block::Paragraph(format!("依据第四十一条，{year}年度共统计工作人员{}名，其中{applied}名适用扣发次年精神文明奖的条款（多项适用的，按最高比例执行）。", rows.len())),
        Block::Table(Table { header: ACCOUNTABILITY_COLUMNS.iter().map(|(_, h)| h.to_string()).collect(), rows: table }),
    ];
    let frame = Frame { issuer: issuer.unwrap_or("医疗保障经办窗口服务监督").to_string(), doc_number: None, addressee: Some(ADDRESSEE.into()), date };
    Document { frame, blocks, orientation: Orientation::Landscape }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_numbered_as_they_come() {
        assert_eq!([zh_number(1), zh_number(10), zh_number(12), zh_number(20), zh_number(35)], ["一", "十", "十二", "二十", "三十五"]);
        let mut s = Sections::default();
        s.h1("甲");
        s.h2("乙");
        s.h2("丙");
        s.h1("丁");
        s.h2("戊");
        let heads: Vec<String> = s.blocks.iter().filter_map(|b| if let Block::Heading(_, t) = b { Some(t.clone()) } else { None }).collect();
        assert_eq!(heads, ["一、甲", "（一）乙", "（二）丙", "二、丁", "（一）戊"]);
    }
}
