//! The denial-filing register (否定备案登记表) a business-environment bureau files: every register
//! row decided in the month with its completeness and every finding against it, and, apart, the
//! denied cases of the month that have no register row. XLSX (Chinese headers, fitted widths,
//! frozen header row, one sheet each) or CSV (UTF-8 with BOM, two files).

use std::path::PathBuf;

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::monthly::{XLSX_MIME, csv_bytes, write_sheet};
use super::{Month, Rendered, ReportError, Session, get, mask_rows, offices, pct, render, vars, write};
use super::message::{Attachment, Message};
use crate::settings::Settings;
use crate::store::Warehouse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterFormat {
    Xlsx,
    Csv,
}

pub struct RegisterOptions {
    pub month: Month,
    pub as_of: NaiveDateTime,
    pub office: Option<String>,
    pub format: RegisterFormat,
    pub out: PathBuf,
    pub templates: Option<PathBuf>,
}

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

fn table(rows: &[Map<String, Value>], cols: &[(&str, &str)]) -> (Vec<String>, Vec<Vec<String>>) {
    let headers = cols.iter().map(|(_, h)| h.to_string()).collect();
    let body = rows.iter().map(|r| cols.iter().map(|(k, _)| cell(get(r, k))).collect()).collect();
    (headers, body)
}

/// One office's register of a month: the register rows with their completeness and findings,
/// and the denied cases with no register row, masked unless personal data may be shown; what
/// `windowwatch register` files and the workspace's register page shows.
pub struct OfficeRegister {
    pub rows: Vec<Map<String, Value>>,
    pub unregistered: Vec<Map<String, Value>>,
    /// (headers, cells) of the two sheets.
    pub register: (Vec<String>, Vec<Vec<String>>),
    pub missing: (Vec<String>, Vec<Vec<String>>),
}

/// The register of `halls` for `month`, read in `s` (a session with its check evaluated).
pub async fn office_register(settings: &Settings, s: &Session, halls: &[String], month: Month, as_of: NaiveDateTime, show_personal_data: bool) -> Result<OfficeRegister, ReportError> {
    let v = vars(settings, as_of, halls, Some(month), &[]);
    let mut rows = s.report_query(settings, "register", &v).await?;
    let mut unregistered = s.report_query(settings, "register_unregistered", &v).await?;
    mask_rows(&mut rows, show_personal_data);
    mask_rows(&mut unregistered, show_personal_data);
    let register = table(&rows, REGISTER_COLUMNS);
    let missing = table(&unregistered, UNREGISTERED_COLUMNS);
    Ok(OfficeRegister { rows, unregistered, register, missing })
}

impl OfficeRegister {
    /// The workbook: the register, and the unregistered denials on a sheet of their own.
    pub fn xlsx(&self) -> Result<Vec<u8>, ReportError> {
        let err = |e: rust_xlsxwriter::XlsxError| ReportError::Output(e.into());
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("否定备案登记表").map_err(err)?;
        write_sheet(ws, &self.register.0, &self.register.1).map_err(err)?;
        let ws2 = wb.add_worksheet();
        ws2.set_name("未登记的否定决定").map_err(err)?;
        write_sheet(ws2, &self.missing.0, &self.missing.1).map_err(err)?;
        wb.save_to_buffer().map_err(err)
    }

    /// The two CSV files (UTF-8 with BOM): the register, the unregistered denials.
    pub fn csv(&self) -> Result<(Vec<u8>, Vec<u8>), ReportError> {
        Ok((csv_bytes(&self.register.0, &self.register.1)?, csv_bytes(&self.missing.0, &self.missing.1)?))
    }
}

pub async fn render_all(settings: &Settings, wh: &Warehouse, opts: &RegisterOptions) -> Result<Vec<Rendered>, ReportError> {
    let s = Session::open(settings, wh, opts.as_of, true).await?;
    let halls = s.halls().await?;
    let month = opts.month;
    let mut out = Vec::new();
    let list = offices(settings, opts.office.as_deref(), &halls)?;
    let pb = crate::progress::items(list.len() as u64, format!("register {month}"));
    for office in list {
        pb.inc(1);
        let en = office.language == "en";
        let reg = office_register(settings, &s, &office.halls, month, opts.as_of, office.show_personal_data).await?;
        let xlsx = reg.xlsx()?;
        let csv = if opts.format == RegisterFormat::Csv { Some(reg.csv()?) } else { None };
        let OfficeRegister { rows, unregistered, .. } = reg;

        let dir = opts.out.join(&office.id);
        let name = format!("否定备案登记表-{}-{month}", office.id);
        let mut files = Vec::new();
        match opts.format {
            RegisterFormat::Xlsx => {
                let p = dir.join(format!("{name}.xlsx"));
                write(&p, &xlsx)?;
                files.push(p);
            }
            RegisterFormat::Csv => {
                let (c1, c2) = csv.unwrap_or_default();
                let p1 = dir.join(format!("{name}.csv"));
                let p2 = dir.join(format!("{name}-未登记.csv"));
                write(&p1, &c1)?;
                write(&p2, &c2)?;
                files.push(p1);
                files.push(p2);
            }
        }
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
        let data = json!({
            "office": {"id": office.id, "name": office.name},
            "month": month.to_string(), "month_label": month.zh(),
            "as_of": opts.as_of.format("%Y-%m-%d %H:%M:%S").to_string(),
            "halls": office.halls.join(if en { ", " } else { "、" }),
            "masked": !office.show_personal_data,
            "rows": rows.len(), "complete": complete,
            "completeness": pct(if rows.is_empty() { None } else { Some(complete as f64 / rows.len() as f64) }),
            "unregistered": unregistered.len(),
            "problem_rows": problem_rows, "unregistered_rows": unregistered_rows,
        });
        let lang = office.language.as_str();
        let html = render::render("register", lang, true, &data, opts.templates.as_deref())?;
        let text = render::render("register", lang, false, &data, opts.templates.as_deref())?;
        let subject = if en {
            format!("Denial-filing register {month} — {}", office.name)
        } else {
            format!("【否定备案登记表】{} {}", office.name, month.zh())
        };
        let message = Message {
            office_id: office.id.clone(),
            report: "register".into(),
            period: month.to_string(),
            to: office.to.clone(),
            cc: office.cc.clone(),
            subject,
            text,
            html,
            inline: Vec::new(),
            attachments: vec![Attachment { filename: format!("{name}.xlsx"), content_type: XLSX_MIME.into(), bytes: xlsx }],
        };
        out.push(Rendered { office, files, message: Some(message) });
    }
    pb.finish_and_clear();
    Ok(out)
}
