//! The denial-filing register (否定备案登记表) a business-environment bureau files: every register
//! row decided in the month with its completeness and every finding against it, and, apart, the
//! denied cases of the month that have no register row. XLSX (Chinese headers, fitted widths,
//! frozen header row, one sheet each) or CSV (UTF-8 with BOM, two files).

use serde_json::{Map, Value, json};

use super::monthly::XLSX_MIME;
use super::{Month, Rendered, ReportError, Request, Session, get, mask_rows, offices, pct, render, vars, write};
use super::document::{Block, DocFormat, Document, Orientation};
use super::message::{Attachment, Message};
use crate::config::RegisterFormat;
use crate::output::{TextTable, text_csv, text_xlsx};
use crate::settings::Settings;
use crate::store::Warehouse;

/// (row key, 中文表头)
const REGISTER_COLUMNS: &[(&str, &str)] = &[
    ("register_id", "备案编号"),
    ("case_id", "办件编号"),
    ("hall_id", "大厅编码"),
    ("window_id", "窗口编号"),
    ("item_code", "事项编码"),
    ("applicant_name", "申请人"),
    ("denial_type", "否定类型"),
    ("decided_at", "决定时间"),
    ("reason", "否定理由"),
    ("legal_basis", "法律政策依据"),
    ("approval_type", "审批方式"),
    ("approver", "审批人"),
    ("notice_served_at", "书面告知时间"),
    ("notice_due_at", "告知期限"),
    ("filed_at", "备案时间"),
    ("filing_due_at", "备案期限"),
    ("archived", "是否归档"),
    ("complete", "是否完整"),
    ("findings", "问题数"),
    ("problems", "存在问题"),
];

const UNREGISTERED_COLUMNS: &[(&str, &str)] = &[
    ("case_id", "办件编号"),
    ("hall_id", "大厅编码"),
    ("window_id", "窗口编号"),
    ("staff_id", "受理人员"),
    ("item_code", "事项编码"),
    ("item_name", "事项名称"),
    ("outcome", "办理结果"),
    ("completed_at", "决定时间"),
    ("applicant_name", "申请人"),
    ("past_filing_deadline", "已超备案期限"),
];

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The sheet of `rows` in `cols`, with a name column after each id column when `named`.
fn table(rows: &[Map<String, Value>], cols: &[(&str, &str)], named: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let wide: Vec<(&str, &str, &str)> = cols.iter().map(|(k, h)| (*k, *h, *h)).collect();
    let cols: Vec<(&str, &str)> = super::names::with_name_columns(&wide, named).into_iter().map(|(k, h, _)| (k, h)).collect();
    let headers = cols.iter().map(|(_, h)| h.to_string()).collect();
    let body = rows.iter().map(|r| cols.iter().map(|(k, _)| cell(get(r, k))).collect()).collect();
    (headers, body)
}

/// The columns the document shows: the register's, less those a landscape page cannot hold
/// (the XLSX has them all).
const DOCUMENT_COLUMNS: &[&str] = &["register_id", "case_id", "hall_id", "window_id", "applicant_name", "denial_type", "decided_at", "reason", "legal_basis", "notice_served_at", "filed_at", "complete", "problems"];

/// The register as an official document: a summary, the register, the unregistered denials.
fn document(office: &crate::config::Office, month: Month, as_of: chrono::NaiveDateTime, rows: &[Map<String, Value>], unregistered: &[Map<String, Value>], named: bool) -> Document {
    let complete = rows.iter().filter(|r| get(r, "complete").as_bool() == Some(true)).count();
    let rate = pct(if rows.is_empty() { None } else { Some(complete as f64 / rows.len() as f64) });
    let cols: Vec<(&str, &str)> = REGISTER_COLUMNS.iter().filter(|(k, _)| DOCUMENT_COLUMNS.contains(k)).copied().collect();
    let (h1, b1) = table(rows, &cols, named);
    let (h2, b2) = table(unregistered, UNREGISTERED_COLUMNS, named);
    let blocks = vec![
        Block::Title(format!("{}否定备案登记表", month.zh())),
        Block::Paragraph(format!(
            "{}所辖服务大厅本月作出并登记的否定决定{}件，其中备案完整{}件，完整率{}；另有{}件否定决定未登记备案（截至{}）。",
            office.name,
            rows.len(),
            complete,
            rate,
            unregistered.len(),
            as_of.format("%Y-%m-%d %H:%M")
        )),
        Block::Heading(1, "一、否定备案登记表".into()),
        Block::Table(super::document::Table { header: h1, rows: b1 }),
        Block::Heading(1, "二、未登记的否定决定".into()),
        Block::Table(super::document::Table { header: h2, rows: b2 }),
    ];
    Document { frame: super::circular::frame(office, month, as_of.date()), blocks, orientation: Orientation::Landscape }
}

/// One office's register of a month: the register rows with their completeness and findings,
/// and the denied cases with no register row, masked unless personal data may be shown, with
/// names beside the ids; what `windowwatch register` files and the workspace's register page shows.
pub struct OfficeRegister {
    pub rows: Vec<Map<String, Value>>,
    pub unregistered: Vec<Map<String, Value>>,
    /// (headers, cells) of the two sheets.
    pub register: (Vec<String>, Vec<Vec<String>>),
    pub missing: (Vec<String>, Vec<Vec<String>>),
    /// Whether the reference tables name anything (name columns beside the ids).
    pub named: bool,
}

/// The register of `halls` for `month`, read in `s` (a session with its check evaluated); who
/// reads it decides the masking: `show` personal data, `hide_staff` names.
pub async fn office_register(settings: &Settings, s: &Session, halls: &[String], month: Month, as_of: chrono::NaiveDateTime, (show, hide_staff): (bool, bool)) -> Result<OfficeRegister, ReportError> {
    let v = vars(settings, as_of, halls, Some(month), &[]);
    let mut rows = s.report_query(settings, "register", &v).await?;
    let mut unregistered = s.report_query(settings, "register_unregistered", &v).await?;
    mask_rows(&mut rows, show);
    mask_rows(&mut unregistered, show);
    s.names.label_rows(&mut rows, hide_staff);
    s.names.label_rows(&mut unregistered, hide_staff);
    let named = !s.names.is_empty();
    let register = table(&rows, REGISTER_COLUMNS, named);
    let missing = table(&unregistered, UNREGISTERED_COLUMNS, named);
    Ok(OfficeRegister { rows, unregistered, register, missing, named })
}

impl OfficeRegister {
    /// The workbook: the register, and the unregistered denials on a sheet of their own.
    pub fn xlsx(&self) -> Result<Vec<u8>, ReportError> {
        Ok(text_xlsx(&[
            TextTable { sheet: "否定备案登记表", headers: &self.register.0, rows: &self.register.1 },
            TextTable { sheet: "未登记的否定决定", headers: &self.missing.0, rows: &self.missing.1 },
        ])?)
    }

    /// The two CSV files (UTF-8 with BOM): the register, the unregistered denials.
    pub fn csv(&self) -> Result<(Vec<u8>, Vec<u8>), ReportError> {
        Ok((text_csv(&self.register.0, &self.register.1)?, text_csv(&self.missing.0, &self.missing.1)?))
    }
}

/// Renders the register of `month` for every office asked for (or one).
pub async fn render_all(settings: &Settings, wh: &Warehouse, opts: &Request, month: Month, format: RegisterFormat) -> Result<Vec<Rendered>, ReportError> {
    let as_of = opts.as_of();
    let s = Session::open(settings, wh, as_of, true).await?;
    let halls = s.halls().await?;
    let mut out = Vec::new();
    let list = s.with_districts(offices(settings, opts.office.as_deref(), &halls)?).await?;
    let pb = crate::progress::items(list.len() as u64, format!("register {month}"));
    for office in list {
        pb.inc(1);
        let en = office.language == "en";
        let who = (office.show_personal_data, super::mask_staff(settings, &office));
        let reg = office_register(settings, &s, &office.halls, month, as_of, who).await?;
        let xlsx = reg.xlsx()?;

        let name = format!("否定备案登记表-{}-{month}", office.id);
        let doc = || document(&office, month, as_of, &reg.rows, &reg.unregistered, reg.named);
        let files = write_files(settings, &opts.out.join(&office.id), &name, &reg, &xlsx, format, doc)?;
        let data = data(&s.names, &office, month, as_of, reg);
        let lang = office.language.as_str();
        let html = render::render("register", lang, true, &data, opts.templates.as_deref())?;
        let text = render::render("register", lang, false, &data, opts.templates.as_deref())?;
        let subject = if en {
            format!("Denial-filing register {month} — {}", super::monthly::subject_name(&s.names, &office, en))
        } else {
            format!("【否定备案登记表】{} {}", super::monthly::subject_name(&s.names, &office, en), month.zh())
        };
        let mut message = Message::for_office(&office, "register", month.to_string(), subject, text, html);
        message.attachments.push(Attachment { filename: format!("{name}.xlsx"), content_type: XLSX_MIME.into(), bytes: xlsx });
        out.push(Rendered { office, files, message: Some(message), posts: Vec::new() });
    }
    pb.finish_and_clear();
    Ok(out)
}

/// Writes the register's files in `format` into `dir`, named `name` (XLSX: the workbook already
/// made, `xlsx`; DOCX and PDF: the document `doc` makes); returns their paths.
fn write_files(settings: &Settings, dir: &std::path::Path, name: &str, reg: &OfficeRegister, xlsx: &[u8], format: RegisterFormat, doc: impl FnOnce() -> Document) -> Result<Vec<std::path::PathBuf>, ReportError> {
    let mut files = Vec::new();
    match format {
        RegisterFormat::Xlsx => {
            let p = dir.join(format!("{name}.xlsx"));
            write(&p, xlsx)?;
            files.push(p);
        }
        RegisterFormat::Csv => {
            let p1 = dir.join(format!("{name}.csv"));
            let p2 = dir.join(format!("{name}-未登记.csv"));
            let (c1, c2) = reg.csv()?;
            write(&p1, &c1)?;
            write(&p2, &c2)?;
            files.push(p1);
            files.push(p2);
        }
        RegisterFormat::Docx | RegisterFormat::Pdf => {
            let f = if format == RegisterFormat::Docx { DocFormat::Docx } else { DocFormat::Pdf };
            let p = dir.join(format!("{name}.{}", f.ext()));
            write(&p, &super::document::write(&doc(), f, &settings.config.document_fonts)?)?;
            files.push(p);
        }
    }
    Ok(files)
}

/// The register's summary as the templates read it: counts, the incomplete rows, the unregistered denials.
fn data(names: &super::names::Names, office: &crate::config::Office, month: Month, as_of: chrono::NaiveDateTime, reg: OfficeRegister) -> Value {
    let en = office.language == "en";
    let OfficeRegister { rows, unregistered, .. } = reg;
    let complete = rows.iter().filter(|r| get(r, "complete").as_bool() == Some(true)).count();
    let problem_rows: Vec<&Map<String, Value>> = rows.iter().filter(|r| get(r, "complete").as_bool() == Some(false)).collect();
    let unregistered_rows: Vec<Value> = unregistered
        .iter()
        .map(|r| {
            let mut m = r.clone();
            m.insert("past".into(), Value::String(cell(get(r, "past_filing_deadline"))));
            Value::Object(m)
        })
        .collect();
    json!({
        "office": {"id": office.id, "name": office.name},
        "month": month.to_string(), "month_label": month.zh(),
        "as_of": as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
        "halls": names.halls_text(&office.halls, if en { ", " } else { "、" }),
        "masked": !office.show_personal_data,
        "rows": rows.len(), "complete": complete,
        "completeness": pct(if rows.is_empty() { None } else { Some(complete as f64 / rows.len() as f64) }),
        "unregistered": unregistered.len(),
        "problem_rows": problem_rows, "unregistered_rows": unregistered_rows,
    })
}
