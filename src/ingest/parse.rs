//! From cells to typed rows: every value read as its column's type, the contract's row rejections
//! applied, and good rows appended to Arrow builders; bad rows become quarantine records.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};

use super::quarantine::QuarantineRow;
use super::read::RowSink;
use super::values::{Cell, CellProblem, Value, micros_to_naive, read_cell};
use crate::contract::{ColType, NumericLevels, Table, TableSpec};

/// A reason a row is refused; `code` is stable (tests and users filter on it).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub code: &'static str,
    pub column: Option<&'static str>,
    pub message: String,
}

impl Rejection {
    fn new(code: &'static str, column: Option<&'static str>, message: impl Into<String>) -> Rejection {
        Rejection { code, column, message: message.into() }
    }
}

/// The reason codes of quarantined rows, with what each means.
pub const REASONS: &[(&str, &str)] = &[
    ("missing_value", "a required value is missing (缺少必填值)"),
    ("bad_value", "a value cannot be read as its column's type (值无法识别)"),
    ("unknown_value", "a value is not one of the column's allowed values (未知取值)"),
    ("called_before_issued", "tickets: called_at is before issued_at (叫号时间早于取号时间)"),
    ("finished_before_called", "tickets: finished_at is before called_at (完成时间早于叫号时间)"),
    ("served_without_call", "tickets: status 已办理 without called_at (已办理但无叫号时间)"),
    ("completed_before_accepted", "cases: completed_at is before accepted_at (办结时间早于受理时间)"),
    ("promised_days_invalid", "cases: a 承诺件 without a positive promised_days (承诺件无有效承诺时限)"),
    ("closed_without_completion", "cases: an outcome other than 办理中 without completed_at (已办结但无办结时间)"),
    ("conflicting_duplicate", "two rows with the same key in one file differ (同一文件内同一主键的记录互相矛盾)"),
    ("unreadable_row", "the row itself cannot be read (broken JSON, stray delimiter) (行无法解析)"),
    ("unknown_finding", "responses: the finding answered (rule, entity_id, month) is in no recorded check run's findings (回告的问题不存在)"),
];

enum ColBuilder {
    Str(StringBuilder),
    Ts(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
}

impl ColBuilder {
    /// A builder sized for a whole batch (`bytes`: the text the previous batch held), so a batch
    /// is built without growing (and copying, and faulting in) its buffers step by step.
    fn new(ty: ColType, rows: usize, bytes: usize) -> ColBuilder {
        let n = rows;
        match ty {
            ColType::Text | ColType::Enum(_) | ColType::Level | ColType::Month => ColBuilder::Str(StringBuilder::with_capacity(n, bytes)),
            ColType::Timestamp => ColBuilder::Ts(TimestampMicrosecondBuilder::with_capacity(n)),
            ColType::Date => ColBuilder::Date(Date32Builder::with_capacity(n)),
            ColType::Bool | ColType::Found => ColBuilder::Bool(BooleanBuilder::with_capacity(n)),
            ColType::Int | ColType::Count => ColBuilder::Int(Int64Builder::with_capacity(n)),
            ColType::Number => ColBuilder::Float(Float64Builder::with_capacity(n)),
        }
    }

    /// The text bytes appended so far (0 for other types).
    fn text_bytes(&self) -> usize {
        match self {
            ColBuilder::Str(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    fn append(&mut self, v: &Value) {
        match (self, v) {
            (ColBuilder::Str(b), Value::Str(s)) => b.append_value(s),
            (ColBuilder::Ts(b), Value::Ts(t)) => b.append_value(*t),
            (ColBuilder::Date(b), Value::Date(d)) => b.append_value(*d),
            (ColBuilder::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (ColBuilder::Int(b), Value::Int(i)) => b.append_value(*i),
            (ColBuilder::Float(b), Value::Float(x)) => b.append_value(*x),
            (ColBuilder::Str(b), _) => b.append_null(),
            (ColBuilder::Ts(b), _) => b.append_null(),
            (ColBuilder::Date(b), _) => b.append_null(),
            (ColBuilder::Bool(b), _) => b.append_null(),
            (ColBuilder::Int(b), _) => b.append_null(),
            (ColBuilder::Float(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuilder::Str(b) => Arc::new(b.finish()),
            ColBuilder::Ts(b) => Arc::new(b.finish()),
            ColBuilder::Date(b) => Arc::new(b.finish()),
            ColBuilder::Bool(b) => Arc::new(b.finish()),
            ColBuilder::Int(b) => Arc::new(b.finish()),
            ColBuilder::Float(b) => Arc::new(b.finish()),
        }
    }
}

/// Parses one file's rows for one table.
pub struct Parser {
    spec: &'static TableSpec,
    levels: Option<NumericLevels>,
    ingest_id: i64,
    source: String,
    builders: Vec<ColBuilder>,
    lineage_line: Int64Builder,
    pending: usize,
    pub batches: Vec<RecordBatch>,
    /// The chunk of the file each batch holds rows of (see [`Parser::combine`]).
    batch_chunks: Vec<usize>,
    /// The chunk the rows now arriving belong to.
    chunk: usize,
    /// Rows a batch's builders are sized for.
    batch_rows: usize,
    pub quarantine: Vec<QuarantineRow>,
    pub rows_read: u64,
    /// The first numeric level seen without a configured direction: (line, value).
    pub unconfigured_level: Option<(u64, String)>,
    idx: Indices,
}

/// Positions of the columns the row rules look at.
#[derive(Default)]
struct Indices {
    issued_at: usize,
    called_at: usize,
    finished_at: usize,
    status: usize,
    accepted_at: usize,
    completed_at: usize,
    case_type: usize,
    promised_days: usize,
    outcome: usize,
}

const BATCH_ROWS: usize = 64 * 1024;

impl Parser {
    pub fn new(table: Table, levels: Option<NumericLevels>, ingest_id: i64, source: String) -> Parser {
        let spec = table.spec();
        let i = |n: &str| spec.index_of(n).unwrap_or(usize::MAX);
        Parser {
            spec,
            levels,
            ingest_id,
            source,
            builders: spec.columns.iter().map(|c| ColBuilder::new(c.ty, BATCH_ROWS, 1 << 16)).collect(),
            lineage_line: Int64Builder::with_capacity(BATCH_ROWS),
            pending: 0,
            batches: Vec::new(),
            batch_chunks: Vec::new(),
            chunk: 0,
            batch_rows: BATCH_ROWS,
            quarantine: Vec::new(),
            rows_read: 0,
            unconfigured_level: None,
            idx: Indices {
                issued_at: i("issued_at"),
                called_at: i("called_at"),
                finished_at: i("finished_at"),
                status: i("status"),
                accepted_at: i("accepted_at"),
                completed_at: i("completed_at"),
                case_type: i("case_type"),
                promised_days: i("promised_days"),
                outcome: i("outcome"),
            },
        }
    }

    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        let n = self.pending;
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.builders.len() + 3);
        for (b, c) in self.builders.iter_mut().zip(self.spec.columns) {
            // The next batch's text is about as long as this one's (a little room to spare).
            let bytes = b.text_bytes() + b.text_bytes() / 8;
            cols.push(b.finish());
            *b = ColBuilder::new(c.ty, self.batch_rows, bytes);
        }
        let mut ingest = Int64Builder::with_capacity(n);
        let mut src = StringBuilder::with_capacity(n, n * self.source.len());
        for _ in 0..n {
            ingest.append_value(self.ingest_id);
            src.append_value(&self.source);
        }
        cols.push(Arc::new(ingest.finish()));
        cols.push(Arc::new(src.finish()));
        cols.push(Arc::new(self.lineage_line.finish()));
        self.lineage_line = Int64Builder::with_capacity(self.batch_rows);
        let batch = RecordBatch::try_new(self.spec.schema(), cols).expect("builders follow the contract schema");
        self.batches.push(batch);
        self.batch_chunks.push(self.chunk);
        self.pending = 0;
    }

    /// A parser whose batches are sized for chunks of `rows` rows (the CSV reader's chunks).
    pub fn with_batch_rows(mut self, rows: usize) -> Parser {
        let rows = rows.clamp(1, BATCH_ROWS);
        self.batch_rows = rows;
        self.builders = self.spec.columns.iter().map(|c| ColBuilder::new(c.ty, rows, 1 << 14)).collect();
        self.lineage_line = Int64Builder::with_capacity(rows);
        self
    }

    /// Finishes the file: the good rows as batches.
    pub fn finish(mut self) -> Parser {
        self.flush();
        self
    }

    /// Parsers that took chunks of one file side by side, finished and put together as the one
    /// parser that would have read the file alone: batches in chunk order, quarantined rows in
    /// line order, the first unconfigured level by line. None for no parser.
    pub fn combine(parsers: Vec<Parser>) -> Option<Parser> {
        let mut parsers: Vec<Parser> = parsers.into_iter().map(Parser::finish).collect();
        if parsers.len() <= 1 {
            return parsers.pop();
        }
        let mut tagged: Vec<(usize, RecordBatch)> = Vec::new();
        let mut quarantine = Vec::new();
        let (mut rows_read, mut level): (u64, Option<(u64, String)>) = (0, None);
        for p in &mut parsers {
            tagged.extend(std::mem::take(&mut p.batch_chunks).into_iter().zip(std::mem::take(&mut p.batches)));
            quarantine.append(&mut p.quarantine);
            rows_read += p.rows_read;
            if let Some(l) = p.unconfigured_level.take()
                && level.as_ref().is_none_or(|m| l.0 < m.0) {
                    level = Some(l);
                }
        }
        tagged.sort_by_key(|(c, _)| *c);
        quarantine.sort_by_key(|q| q.line);
        let mut out = parsers.swap_remove(0);
        (out.batch_chunks, out.batches) = tagged.into_iter().unzip();
        out.quarantine = quarantine;
        out.rows_read = rows_read;
        out.unconfigured_level = level;
        Some(out)
    }

    /// The contract's row rules (data-contract.md, "Rejected rows") on a row's `values`.
    fn row_rules(&self, values: &[Value<'_>]) -> Option<Rejection> {
        let ts = |i: usize| match values.get(i) {
            Some(Value::Ts(t)) => Some(*t),
            _ => None,
        };
        let text = |i: usize| match values.get(i) {
            Some(Value::Str(s)) => Some(s.as_ref()),
            _ => None,
        };
        let show = |t: i64| micros_to_naive(t).format("%Y-%m-%d %H:%M:%S").to_string();
        let x = &self.idx;
        match self.spec.table {
            Table::Tickets => {
                let (issued, called, finished) = (ts(x.issued_at), ts(x.called_at), ts(x.finished_at));
                if let (Some(i), Some(c)) = (issued, called)
                    && c < i {
                        return Some(Rejection::new("called_before_issued", Some("called_at"), format!("叫号时间 {} 早于取号时间 {}", show(c), show(i))));
                    }
                if let (Some(c), Some(f)) = (called, finished)
                    && f < c {
                        return Some(Rejection::new("finished_before_called", Some("finished_at"), format!("完成时间 {} 早于叫号时间 {}", show(f), show(c))));
                    }
                if text(x.status) == Some("已办理") && called.is_none() {
                    return Some(Rejection::new("served_without_call", Some("called_at"), "状态为已办理但没有叫号时间"));
                }
            }
            Table::Cases => {
                let (accepted, completed) = (ts(x.accepted_at), ts(x.completed_at));
                if let (Some(a), Some(c)) = (accepted, completed)
                    && c < a {
                        return Some(Rejection::new("completed_before_accepted", Some("completed_at"), format!("办结时间 {} 早于受理时间 {}", show(c), show(a))));
                    }
                if text(x.case_type) == Some("承诺件") {
                    let ok = matches!(values.get(x.promised_days), Some(Value::Int(n)) if *n > 0);
                    if !ok {
                        return Some(Rejection::new("promised_days_invalid", Some("promised_days"), "承诺件须有正整数承诺时限 (promised_days > 0)"));
                    }
                }
                if text(x.outcome).is_some_and(|o| o != "办理中") && completed.is_none() {
                    return Some(Rejection::new(
                        "closed_without_completion",
                        Some("completed_at"),
                        format!("办理结果为{}但没有办结时间", text(x.outcome).unwrap_or("")),
                    ));
                }
            }
            _ => {}
        }
        None
    }

    fn key_of_values(&self, values: &[Value<'_>]) -> Option<String> {
        let mut parts = Vec::new();
        for k in self.spec.key {
            match values.get(self.spec.index_of(k)?) {
                Some(Value::Str(s)) => parts.push(s.to_string()),
                _ => return None,
            }
        }
        Some(parts.join("/"))
    }

    fn quarantine_row(&mut self, line: u64, r: Rejection, key: Option<String>, raw: String) {
        self.quarantine.push(QuarantineRow {
            file: self.source.clone(),
            line: line as i64,
            reason: r.code.to_string(),
            column: r.column.map(str::to_string),
            message: r.message,
            key,
            raw,
        });
    }
}

impl super::read::ChunkSink for Parser {
    fn start_chunk(&mut self, chunk: usize) {
        if chunk != self.chunk {
            self.flush();
            self.chunk = chunk;
        }
    }
}

impl RowSink for Parser {
    fn row(&mut self, line: u64, cells: &[Cell<'_>], raw: &dyn Fn() -> String) {
        self.rows_read += 1;
        let mut values: Vec<Value<'_>> = Vec::with_capacity(cells.len());
        let mut problems: Vec<Rejection> = Vec::new();
        for (c, cell) in self.spec.columns.iter().zip(cells) {
            // A message never quotes a personal value (those columns are text and always read, but
            // the message must not depend on that).
            let said = |m: String| if c.personal.is_some() { "the value cannot be read".to_string() } else { m };
            let v = match read_cell(cell, c.ty, self.levels) {
                Ok(v) => v,
                Err(CellProblem::Bad(m)) => {
                    problems.push(Rejection::new("bad_value", Some(c.name), format!("{}({}): {}", c.zh, c.name, said(m))));
                    Value::Null
                }
                Err(CellProblem::Unknown(m)) => {
                    problems.push(Rejection::new("unknown_value", Some(c.name), format!("{}({}): {}", c.zh, c.name, said(m))));
                    Value::Null
                }
                Err(CellProblem::NumericLevelUnconfigured(s)) => {
                    if self.unconfigured_level.is_none() {
                        self.unconfigured_level = Some((line, s));
                    }
                    Value::Null
                }
            };
            if c.required && v == Value::Null && !problems.iter().any(|p| p.column == Some(c.name)) {
                problems.push(Rejection::new("missing_value", Some(c.name), format!("{}({}) 为必填项，缺少取值", c.zh, c.name)));
            }
            values.push(v);
        }
        if problems.is_empty()
            && let Some(r) = self.row_rules(&values) {
                problems.push(r);
            }
        if let Some(first) = problems.first().cloned() {
            let mut r = first;
            if problems.len() > 1 {
                r.message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ");
            }
            let key = self.key_of_values(&values);
            self.quarantine_row(line, r, key, raw());
            return;
        }
        for (b, v) in self.builders.iter_mut().zip(&values) {
            b.append(v);
        }
        self.lineage_line.append_value(line as i64);
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush();
        }
    }

    fn unreadable(&mut self, line: u64, reason: String, raw: String) {
        self.rows_read += 1;
        self.quarantine_row(line, Rejection::new("unreadable_row", None, reason), None, raw);
    }
}
