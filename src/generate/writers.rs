//! Writing records as the exports real systems produce: CSV (UTF-8 with or without BOM, GB18030;
//! comma or tab; LF or CRLF), XLSX (real Excel date cells and text dates) and JSON Lines, with the
//! header spelling, timestamp form, boolean spelling and missing marker each file uses.
//!
//! Every choice a style leaves open is drawn from the generator's seeded RNG, so a seed gives the
//! same bytes; the line on which each row starts is returned for the expected quarantine.

use std::io::Write;
use std::path::Path;

use chrono::{NaiveDate, Timelike};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateError;
use super::model::{Ts, Val};
use crate::contract::{ColType, Column, EnumKind, LEVELS, NumericLevels, Table, TableSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Gb18030 => "gb18030",
        }
    }

    /// The file's bytes for `text`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf8Bom => {
                let mut v = "\u{feff}".as_bytes().to_vec();
                v.extend_from_slice(text.as_bytes());
                v
            }
            Encoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { delimiter: u8, encoding: Encoding, crlf: bool, quote_all: bool },
    Xlsx,
    Jsonl,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Xlsx => "xlsx",
            Format::Jsonl => "jsonl",
        }
    }

    pub fn encoding(self) -> Option<Encoding> {
        match self {
            Format::Csv { encoding, .. } => Some(encoding),
            Format::Xlsx => None,
            Format::Jsonl => Some(Encoding::Utf8),
        }
    }
}

/// Which accepted header each column is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headers {
    Canonical,
    /// The k-th Chinese header of each column (wrapping round for columns with fewer).
    Zh(usize),
}

pub fn header_of(c: &Column, h: Headers) -> &'static str {
    match h {
        Headers::Canonical => c.name,
        Headers::Zh(k) if c.headers.is_empty() => {
            let _ = k;
            c.name
        }
        Headers::Zh(k) => c.headers[k % c.headers.len()],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsForm {
    /// 2026-10-08 09:15:00
    Full,
    /// 2026-10-08 09:15 (only when the seconds are zero; else Full)
    Minute,
    /// 2026/10/8 9:15:00
    Slash,
    /// 2026-10-08T09:15:00
    T,
    /// A real Excel date cell (XLSX only; Full elsewhere).
    Excel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    Dash,
    Slash,
    Excel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolForm {
    ShiFou,
    TrueFalse,
    TrueFalseUpper,
    TrueFalseTitle,
    OneZero,
    YnUpper,
    YnLower,
    /// A JSON boolean or an Excel boolean cell.
    Native,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Empty,
    NullUpper,
    NullLower,
    Dash,
    /// JSON null / an empty Excel cell.
    Native,
    /// JSON: the key left out.
    Omit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelStyle {
    Labels,
    /// Labels, with 很满意 and 一般 for some 非常满意 and 基本满意.
    Synonyms,
    Numeric(NumericLevels),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseTypeStyle {
    Labels,
    Codes,
    Mixed,
}

/// How one file spells its values.
#[derive(Debug, Clone)]
pub struct Style {
    pub format: Format,
    pub headers: Headers,
    pub ts: Vec<TsForm>,
    /// Per-column timestamp/date forms overriding `ts` / `dates` (e.g. real Excel date cells).
    pub by_column: Vec<(&'static str, Vec<TsForm>)>,
    pub dates: Vec<DateForm>,
    pub bools: Vec<BoolForm>,
    pub missing: Vec<Missing>,
    pub levels: LevelStyle,
    pub case_type: CaseTypeStyle,
    /// Integers as JSON numbers (JSONL) or number cells (XLSX).
    pub numbers: bool,
    /// Pad some text values with spaces (the ingest trims them).
    pub pad_text: bool,
    /// XLSX sheet name.
    pub sheet: &'static str,
}

impl Style {
    pub fn new(format: Format, headers: Headers) -> Style {
        Style {
            format,
            headers,
            ts: vec![TsForm::Full],
            by_column: Vec::new(),
            dates: vec![DateForm::Dash],
            bools: vec![BoolForm::ShiFou],
            missing: vec![Missing::Empty],
            levels: LevelStyle::Labels,
            case_type: CaseTypeStyle::Labels,
            numbers: true,
            pad_text: false,
            sheet: "Sheet1",
        }
    }
}

/// One row of a file: cells in contract order, or (JSONL) a line written verbatim.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Cells(Vec<Val>),
    Line(String),
}

/// A value as the writer will put it.
enum Out {
    Missing(Missing),
    Text(String),
    Number(f64),
    Bool(bool),
    ExcelTs(Ts),
    ExcelDate(NaiveDate),
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

pub fn ts_text(t: Ts, form: TsForm) -> String {
    match form {
        TsForm::Full | TsForm::Excel => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        TsForm::Minute if t.second() == 0 => t.format("%Y-%m-%d %H:%M").to_string(),
        TsForm::Minute => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        TsForm::Slash => t.format("%Y/%-m/%-d %-H:%M:%S").to_string(),
        TsForm::T => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

pub fn date_text(d: NaiveDate, form: DateForm) -> String {
    match form {
        DateForm::Dash | DateForm::Excel => d.format("%Y-%m-%d").to_string(),
        DateForm::Slash => d.format("%Y/%-m/%-d").to_string(),
    }
}

fn bool_text(b: bool, form: BoolForm) -> &'static str {
    match (form, b) {
        (BoolForm::ShiFou, true) => "是",
        (BoolForm::ShiFou, false) => "否",
        (BoolForm::TrueFalse | BoolForm::Native, true) => "true",
        (BoolForm::TrueFalse | BoolForm::Native, false) => "false",
        (BoolForm::TrueFalseUpper, true) => "TRUE",
        (BoolForm::TrueFalseUpper, false) => "FALSE",
        (BoolForm::TrueFalseTitle, true) => "True",
        (BoolForm::TrueFalseTitle, false) => "False",
        (BoolForm::OneZero, true) => "1",
        (BoolForm::OneZero, false) => "0",
        (BoolForm::YnUpper, true) => "Y",
        (BoolForm::YnUpper, false) => "N",
        (BoolForm::YnLower, true) => "y",
        (BoolForm::YnLower, false) => "n",
    }
}

fn missing_text(m: Missing) -> &'static str {
    match m {
        Missing::Empty | Missing::Native | Missing::Omit => "",
        Missing::NullUpper => "NULL",
        Missing::NullLower => "null",
        Missing::Dash => "-",
    }
}

/// The number a source with `dir` writes for `label`.
pub fn level_number(label: &str, dir: NumericLevels) -> i64 {
    (1..=5).find(|n| dir.label(*n) == Some(label)).unwrap_or_else(|| panic!("{label} is a level"))
}

impl Style {
    fn cell(&self, v: &Val, c: &Column, rng: &mut ChaCha8Rng) -> Out {
        let xlsx = self.format == Format::Xlsx;
        let json = self.format == Format::Jsonl;
        match v {
            Val::Null => Out::Missing(pick(rng, &self.missing)),
            Val::Raw(s) => Out::Text(s.clone()),
            Val::Text(s) => {
                if self.pad_text && rng.random_bool(0.08) {
                    Out::Text(format!(" {s} "))
                } else {
                    Out::Text(s.clone())
                }
            }
            Val::Ts(t) => {
                let forms = self.by_column.iter().find(|(n, _)| *n == c.name).map_or(&self.ts[..], |(_, f)| &f[..]);
                match pick(rng, forms) {
                    TsForm::Excel if xlsx => Out::ExcelTs(*t),
                    f => Out::Text(ts_text(*t, f)),
                }
            }
            Val::Date(d) => {
                let forms: Vec<DateForm> = match self.by_column.iter().find(|(n, _)| *n == c.name) {
                    Some((_, f)) if f.contains(&TsForm::Excel) => vec![DateForm::Excel],
                    _ => self.dates.clone(),
                };
                match pick(rng, &forms) {
                    DateForm::Excel if xlsx => Out::ExcelDate(*d),
                    f => Out::Text(date_text(*d, f)),
                }
            }
            Val::Int(i) => {
                if (xlsx || json) && self.numbers {
                    Out::Number(*i as f64)
                } else {
                    Out::Text(i.to_string())
                }
            }
            Val::Bool(b) => match pick(rng, &self.bools) {
                BoolForm::Native if xlsx || json => Out::Bool(*b),
                f => Out::Text(bool_text(*b, f).to_string()),
            },
            Val::Label(l) => match c.ty {
                ColType::Enum(EnumKind::CaseType) => {
                    let code = match self.case_type {
                        CaseTypeStyle::Labels => false,
                        CaseTypeStyle::Codes => true,
                        CaseTypeStyle::Mixed => rng.random_bool(0.5),
                    };
                    if !code {
                        Out::Text(l.to_string())
                    } else {
                        let n = if *l == "即办件" { 1 } else { 2 };
                        if (xlsx || json) && self.numbers { Out::Number(n as f64) } else { Out::Text(n.to_string()) }
                    }
                }
                ColType::Level => match self.levels {
                    LevelStyle::Labels => Out::Text(l.to_string()),
                    LevelStyle::Synonyms => {
                        let syn = match *l {
                            "非常满意" => Some("很满意"),
                            "基本满意" => Some("一般"),
                            _ => None,
                        };
                        match syn {
                            Some(s) if rng.random_bool(0.4) => Out::Text(s.to_string()),
                            _ => Out::Text(l.to_string()),
                        }
                    }
                    LevelStyle::Numeric(dir) => {
                        let n = level_number(l, dir);
                        if xlsx || json { Out::Number(n as f64) } else { Out::Text(n.to_string()) }
                    }
                },
                _ => Out::Text(l.to_string()),
            },
        }
    }
}

/// What writing a file produced: the line each row starts on, and the rows written.
pub struct Written {
    pub lines: Vec<u64>,
}

fn csv_field(out: &mut String, s: &str, delimiter: u8, quote_all: bool) {
    let d = delimiter as char;
    let needs = quote_all || s.contains(d) || s.contains('"') || s.contains('\n') || s.contains('\r');
    if needs {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn write_file(
    path: &Path,
    table: Table,
    style: &Style,
    rows: &[Row],
    rng: &mut ChaCha8Rng,
    created: Ts,
) -> Result<Written, GenerateError> {
    let spec = table.spec();
    match style.format {
        Format::Csv { delimiter, encoding, crlf, quote_all } => {
            write_csv(path, spec, style, rows, rng, delimiter, encoding, crlf, quote_all)
        }
        Format::Jsonl => write_jsonl(path, spec, style, rows, rng),
        Format::Xlsx => write_xlsx(path, spec, style, rows, rng, created),
    }
}

#[allow(clippy::too_many_arguments)]
fn write_csv(
    path: &Path,
    spec: &TableSpec,
    style: &Style,
    rows: &[Row],
    rng: &mut ChaCha8Rng,
    delimiter: u8,
    encoding: Encoding,
    crlf: bool,
    quote_all: bool,
) -> Result<Written, GenerateError> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    for (i, c) in spec.columns.iter().enumerate() {
        if i > 0 {
            text.push(delimiter as char);
        }
        csv_field(&mut text, header_of(c, style.headers), delimiter, false);
    }
    text.push_str(eol);
    let mut line = 2u64;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let cells = match row {
            Row::Cells(c) => c,
            Row::Line(_) => return Err(GenerateError::Other("a verbatim line in a CSV file".into())),
        };
        let start = text.len();
        for (i, (v, c)) in cells.iter().zip(spec.columns).enumerate() {
            if i > 0 {
                text.push(delimiter as char);
            }
            let s = match style.cell(v, c, rng) {
                Out::Missing(m) => missing_text(m).to_string(),
                Out::Text(s) => s,
                Out::Number(n) => crate::ingest::values::number_text(n),
                Out::Bool(b) => b.to_string(),
                Out::ExcelTs(t) => ts_text(t, TsForm::Full),
                Out::ExcelDate(d) => date_text(d, DateForm::Dash),
            };
            csv_field(&mut text, &s, delimiter, quote_all);
        }
        text.push_str(eol);
        lines.push(line);
        line += text[start..].bytes().filter(|b| *b == b'\n').count() as u64;
    }
    std::fs::write(path, encoding.encode(&text))?;
    Ok(Written { lines })
}

fn write_jsonl(path: &Path, spec: &TableSpec, style: &Style, rows: &[Row], rng: &mut ChaCha8Rng) -> Result<Written, GenerateError> {
    let mut text = String::new();
    let mut lines = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        lines.push(n as u64 + 1);
        let cells = match row {
            Row::Cells(c) => c,
            Row::Line(l) => {
                text.push_str(l);
                text.push('\n');
                continue;
            }
        };
        // Keys in the contract's column order, as an export writes them.
        let mut obj: Vec<(&str, serde_json::Value)> = Vec::new();
        for (v, c) in cells.iter().zip(spec.columns) {
            let value = match style.cell(v, c, rng) {
                Out::Missing(Missing::Omit) => continue,
                Out::Missing(Missing::Native) => serde_json::Value::Null,
                Out::Missing(m) => serde_json::Value::String(missing_text(m).into()),
                Out::Text(s) => serde_json::Value::String(s),
                Out::Number(x) => serde_json::Value::from(x as i64),
                Out::Bool(b) => serde_json::Value::Bool(b),
                Out::ExcelTs(t) => serde_json::Value::String(ts_text(t, TsForm::Full)),
                Out::ExcelDate(d) => serde_json::Value::String(date_text(d, DateForm::Dash)),
            };
            obj.push((header_of(c, style.headers), value));
        }
        text.push('{');
        for (i, (k, v)) in obj.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(k).map_err(|e| GenerateError::Other(e.to_string()))?);
            text.push(':');
            text.push_str(&serde_json::to_string(v).map_err(|e| GenerateError::Other(e.to_string()))?);
        }
        text.push_str("}\n");
    }
    std::fs::write(path, text.as_bytes())?;
    Ok(Written { lines })
}

fn write_xlsx(
    path: &Path,
    spec: &TableSpec,
    style: &Style,
    rows: &[Row],
    rng: &mut ChaCha8Rng,
    created: Ts,
) -> Result<Written, GenerateError> {
    use rust_xlsxwriter::{DocProperties, Format as XFormat, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| GenerateError::Other(format!("{}: {e}", path.display()));
    let mut wb = Workbook::new();
    // A fixed creation time: the same seed gives the same bytes.
    let props = DocProperties::new().set_creation_datetime(&created).set_author("windowwatch generate");
    wb.set_properties(&props);
    let ts_fmt = XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let date_fmt = XFormat::new().set_num_format("yyyy-mm-dd");
    let bold = XFormat::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(style.sheet).map_err(x)?;
    for (j, c) in spec.columns.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, header_of(c, style.headers), &bold).map_err(x)?;
        let width = match c.ty {
            ColType::Timestamp => 20.0,
            _ => 14.0,
        };
        ws.set_column_width(j as u16, width).map_err(x)?;
    }
    let mut lines = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        lines.push(r as u64 + 1);
        let cells = match row {
            Row::Cells(c) => c,
            Row::Line(_) => return Err(GenerateError::Other("a verbatim line in an XLSX file".into())),
        };
        for (j, (v, c)) in cells.iter().zip(spec.columns).enumerate() {
            let j = j as u16;
            match style.cell(v, c, rng) {
                Out::Missing(Missing::Native | Missing::Empty | Missing::Omit) => {}
                Out::Missing(m) => {
                    ws.write_string(r, j, missing_text(m)).map_err(x)?;
                }
                Out::Text(s) => {
                    ws.write_string(r, j, s).map_err(x)?;
                }
                Out::Number(n) => {
                    ws.write_number(r, j, n).map_err(x)?;
                }
                Out::Bool(b) => {
                    ws.write_boolean(r, j, b).map_err(x)?;
                }
                Out::ExcelTs(t) => {
                    ws.write_datetime_with_format(r, j, t, &ts_fmt).map_err(x)?;
                }
                Out::ExcelDate(d) => {
                    ws.write_datetime_with_format(r, j, d, &date_fmt).map_err(x)?;
                }
            }
        }
    }
    let buf = wb.save_to_buffer().map_err(x)?;
    let mut f = std::fs::File::create(path)?;
    f.write_all(&buf)?;
    Ok(Written { lines })
}

/// The five labels, for tests and the bulk writer.
pub fn all_levels() -> impl Iterator<Item = &'static str> {
    LEVELS.iter().map(|(l, _)| *l)
}
