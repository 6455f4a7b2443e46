//! The format readers: CSV (UTF-8 with or without BOM, GB18030/GBK, UTF-16 with BOM; comma or
//! tab), XLSX (first sheet or a named one) and JSON Lines.
//!
//! Each reader turns its file into rows of [`Cell`]s laid out in the contract's column order, with
//! the line a person would look for in the file and, for quarantine, the row as it was written.
//! Header matching and every whole-file problem (unreadable file, wrong encoding, missing required
//! column) are decided here, before anything reaches the warehouse.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use encoding_rs::Encoding;

use super::IngestError;
use super::values::{Cell, number_text};
use super::workbook::{self, SheetRow, SheetRows};
use crate::contract::TableSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Jsonl => "jsonl",
        }
    }
}

/// What one pass over the bytes learnt about a file.
#[derive(Debug, Clone)]
pub struct Probe {
    pub path: PathBuf,
    pub size: u64,
    /// blake3 of the content: a file ingested before is recognised by it.
    pub hash: String,
    pub format: Format,
    /// The text encoding (None for XLSX).
    pub encoding: Option<&'static Encoding>,
}

/// How headers map to the contract for one file.
#[derive(Debug, Default, Clone)]
pub struct HeaderMap {
    /// For each source column, the contract column it feeds.
    pub targets: Vec<Option<usize>>,
    pub unknown: Vec<String>,
}

/// A user's extra headers: header text → contract column index.
pub type Aliases = HashMap<String, usize>;

/// What the reader tells the ingest besides the rows.
#[derive(Debug, Default, Clone)]
pub struct ReadInfo {
    pub unknown_headers: Vec<String>,
    pub title_rows_skipped: usize,
    pub sheet: Option<String>,
    pub delimiter: Option<char>,
}

/// Receives rows as they are read.
pub trait RowSink {
    /// A row; `cells` is in contract column order; `raw` renders the row as written.
    fn row(&mut self, line: u64, cells: &[Cell<'_>], raw: &dyn Fn() -> String);
    /// A row the reader itself could not make sense of (broken JSON, too many fields).
    fn unreadable(&mut self, line: u64, reason: String, raw: String);
}

fn detect_format(path: &Path, head: &[u8]) -> Format {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Format::Xlsx;
    }
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" => Format::Xlsx,
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        "csv" | "tsv" | "txt" => Format::Csv,
        _ => {
            let first = head.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'{') { Format::Jsonl } else { Format::Csv }
        }
    }
}

/// Reads the file once for its hash, format and whether it is valid UTF-8; a text file that is not
/// (or one whose encoding is forced, or that starts with a UTF-16 BOM) is read a second time to
/// prove it decodes without a single malformed byte in that encoding (GB18030, which includes GBK,
/// unless named otherwise).
pub fn probe(path: &Path, forced: Option<&'static Encoding>) -> Result<Probe, IngestError> {
    let io = |e: std::io::Error| IngestError::Unreadable { file: path.to_path_buf(), reason: e.to_string() };
    let mut f = File::open(path).map_err(io)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut head: Vec<u8> = Vec::new();
    let mut size = 0u64;
    let mut utf8_ok = true;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if head.len() < 4096 {
            head.extend_from_slice(&chunk[..chunk.len().min(4096 - head.len())]);
        }
        hasher.update(chunk);
        size += n as u64;
        if utf8_ok {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                // A character cut by the chunk boundary: keep its start for the next chunk.
                Err(e) if e.error_len().is_none() => carry = carry.split_off(e.valid_up_to()),
                Err(_) => utf8_ok = false,
            }
        }
    }
    if !carry.is_empty() {
        utf8_ok = false;
    }
    let format = detect_format(path, &head);
    let hash = hasher.finalize().to_hex().to_string();
    if format == Format::Xlsx {
        return Ok(Probe { path: path.to_path_buf(), size, hash, format, encoding: None });
    }
    let bom = Encoding::for_bom(&head).map(|(e, _)| e);
    let encoding = match (forced, bom) {
        (Some(e), _) => e,
        (None, Some(e)) if e != encoding_rs::UTF_8 => e,
        _ if utf8_ok => encoding_rs::UTF_8,
        _ => encoding_rs::GB18030,
    };
    if !(encoding == encoding_rs::UTF_8 && utf8_ok) && !decodes_cleanly(path, encoding)? {
        return Err(IngestError::Encoding {
            file: path.to_path_buf(),
            message: if forced.is_some() {
                format!("the file does not decode as {} (check --encoding)", encoding.name())
            } else {
                "the file is neither valid UTF-8 nor valid GB18030/GBK; name its encoding with --encoding".into()
            },
        });
    }
    Ok(Probe { path: path.to_path_buf(), size, hash, format, encoding: Some(encoding) })
}

fn decodes_cleanly(path: &Path, encoding: &'static Encoding) -> Result<bool, IngestError> {
    let io = |e: std::io::Error| IngestError::Unreadable { file: path.to_path_buf(), reason: e.to_string() };
    let mut f = File::open(path).map_err(io)?;
    let mut dec = encoding.new_decoder_with_bom_removal();
    let mut buf = vec![0u8; 1 << 20];
    let mut out = String::with_capacity(1 << 21);
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        let last = n == 0;
        let mut bytes = &buf[..n];
        loop {
            out.clear();
            let (res, read) = dec.decode_to_string_without_replacement(bytes, &mut out, last);
            match res {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => bytes = &bytes[read..],
                encoding_rs::DecoderResult::Malformed(_, _) => return Ok(false),
            }
        }
        if last {
            return Ok(true);
        }
    }
}

/// Matches a file's headers to the contract; a missing required column or two headers for one
/// column is a whole-file error.
pub fn map_headers(spec: &TableSpec, headers: &[String], aliases: &Aliases, file: &Path) -> Result<HeaderMap, IngestError> {
    let mut targets = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    let mut seen: HashMap<usize, &str> = HashMap::new();
    for h in headers {
        let clean = h.trim().trim_start_matches('\u{feff}').trim();
        let t = spec.resolve_header(clean).or_else(|| aliases.get(clean).copied());
        if let Some(i) = t {
            if let Some(prev) = seen.insert(i, clean) {
                return Err(IngestError::AmbiguousColumn {
                    file: file.to_path_buf(),
                    column: spec.columns[i].name,
                    headers: vec![prev.to_string(), clean.to_string()],
                });
            }
        } else if !clean.is_empty() {
            unknown.push(clean.to_string());
        }
        targets.push(t);
    }
    for (i, c) in spec.columns.iter().enumerate() {
        if c.required && !seen.contains_key(&i) {
            return Err(missing_column(spec, i, file, aliases));
        }
    }
    Ok(HeaderMap { targets, unknown })
}

pub fn missing_column(spec: &TableSpec, i: usize, file: &Path, aliases: &Aliases) -> IngestError {
    let c = &spec.columns[i];
    let mut accepted: Vec<String> = c.accepted_headers().into_iter().map(String::from).collect();
    accepted.extend(aliases.iter().filter(|(_, v)| **v == i).map(|(k, _)| k.clone()));
    IngestError::MissingColumn { file: file.to_path_buf(), table: spec.table.name(), column: c.name, accepted }
}

/// How many cells of a row name a contract column: a header row has at least two.
fn header_score(spec: &TableSpec, row: &[String], aliases: &Aliases) -> usize {
    row.iter()
        .filter(|h| {
            let h = h.trim().trim_start_matches('\u{feff}').trim();
            spec.resolve_header(h).is_some() || aliases.contains_key(h)
        })
        .count()
}

/// Rows a title may occupy above the header (e.g. "某某大厅排队记录 2026年10月").
pub(crate) const MAX_TITLE_ROWS: usize = 10;

/// A row as written, for quarantine: header → cell text. A header that names a contract column
/// only through a user's alias is written as the column's name, so the row is masked by its column
/// (`mask::mask_raw_row` knows the contract's headers, not the aliases).
fn raw_json(spec: &TableSpec, headers: &[String], map: &HeaderMap, fields: &[&str]) -> String {
    serde_json::Value::Object(raw_map(spec, headers, map, fields)).to_string()
}

fn raw_map(spec: &TableSpec, headers: &[String], map: &HeaderMap, fields: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for (i, f) in fields.iter().enumerate() {
        let k = match (headers.get(i), map.targets.get(i).copied().flatten()) {
            (Some(h), Some(t)) if spec.resolve_header(h).is_none() => spec.columns[t].name.to_string(),
            (Some(h), _) => h.clone(),
            (None, _) => format!("column {}", i + 1),
        };
        m.insert(k, serde_json::Value::String((*f).to_string()));
    }
    m
}

pub(crate) fn decoded_reader(probe: &Probe) -> Result<Box<dyn Read + Send>, IngestError> {
    let f = File::open(&probe.path).map_err(|e| IngestError::Unreadable { file: probe.path.clone(), reason: e.to_string() })?;
    let enc = probe.encoding.unwrap_or(encoding_rs::UTF_8);
    Ok(Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_override(true)
            .strip_bom(true)
            .build(BufReader::with_capacity(1 << 20, f)),
    ))
}

/// Counts lines in the text the CSV parser reads, so a record's line is the one a person sees in
/// an editor: the csv crate reports a CRLF record as starting on the previous line (at its `\n`).
/// Newline offsets ahead of the parser wait in a queue; a record's line is the number of newlines
/// at or before its first byte, plus one.
struct LineCounter<R> {
    inner: R,
    state: std::rc::Rc<std::cell::RefCell<LineState>>,
}

#[derive(Default)]
struct LineState {
    passed: u64,
    pending: std::collections::VecDeque<u64>,
    counted: u64,
}

impl LineState {
    fn line_at(&mut self, start: u64) -> u64 {
        while self.pending.front().is_some_and(|&nl| nl <= start) {
            self.pending.pop_front();
            self.counted += 1;
        }
        self.counted + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        let base = st.passed;
        st.pending.extend(memchr::memchr_iter(b'\n', &buf[..n]).map(|i| base + i as u64));
        st.passed += n as u64;
        Ok(n)
    }
}

/// Records travel from the reading thread to the parsing ones in chunks of this many; a chunk is
/// also the unit of parsing work one thread takes.
pub const CHUNK: usize = 8192;

/// A chunk of records with its place in the file (chunks are numbered from 0 in file order).
type Chunk = Vec<(u64, csv::StringRecord)>;
type ChunkMsg = Result<(usize, Chunk), csv::Error>;

/// A sink the CSV reader parses whole chunks of rows into; several, one per thread, take chunks
/// side by side, and the caller puts what they made back in file order by the chunk numbers.
pub trait ChunkSink: RowSink + Send {
    /// The rows that follow belong to chunk `seq` (those before to an earlier chunk).
    fn start_chunk(&mut self, seq: usize);
}

/// Reads a CSV export: one thread decodes the text (GB18030 or UTF-8), splits records and counts
/// lines; the calling thread finds the header in the first records, then it and one thread per
/// further sink parse the values of whole chunks side by side, each into its own sink (rows of one
/// chunk go to one sink, in order). Chunks of records go back to the reader to be refilled.
pub fn read_csv<S: ChunkSink>(probe: &Probe, spec: &TableSpec, aliases: &Aliases, sinks: &mut [S]) -> Result<ReadInfo, IngestError> {
    read_csv_chunked(probe, spec, aliases, sinks, CHUNK)
}

fn read_csv_chunked<S: ChunkSink>(probe: &Probe, spec: &TableSpec, aliases: &Aliases, sinks: &mut [S], chunk_rows: usize) -> Result<ReadInfo, IngestError> {
    let file = &probe.path;
    let delim = sniff_delimiter(probe)?;
    let csv_err = |e: csv::Error| IngestError::Unreadable { file: file.clone(), reason: e.to_string() };
    let Some((first, rest)) = sinks.split_first_mut() else { return Err(IngestError::Unreadable { file: file.clone(), reason: "no parser".into() }) };

    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<ChunkMsg>(4);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Chunk>();
        let producer = scope.spawn(move || split_records(probe, delim, chunk_rows, &tx, &back_rx));
        let mut head = CsvRows { spec, aliases, file, state: HeaderState::Looking { pending: Vec::new(), skipped: 0 }, info: None };
        // `rx` goes with the parsing: once it is done the reader stops at its next send.
        let result = parse_records(&mut head, rx, &back_tx, first, rest).map_err(|e| match e {
            Stop::Csv(e) => csv_err(e),
            Stop::Ingest(e) => e,
        });
        producer.join().expect("the CSV reader thread panicked")?;
        result?;
        Ok(ReadInfo { unknown_headers: head.info.take().unwrap_or_default(), title_rows_skipped: head.skipped(), sheet: None, delimiter: Some(delim as char) })
    })
}

/// Why parsing stopped early.
enum Stop {
    Csv(csv::Error),
    Ingest(IngestError),
}

/// The parsing half of [`read_csv`]: the header, from the first records, on this thread, which
/// also parses the data records of the chunk the header ends in (and, without a header, the rows
/// kept while looking); then the chunks after it on this thread and one more per sink in `rest`.
fn parse_records<S: ChunkSink>(
    head: &mut CsvRows<'_>,
    rx: std::sync::mpsc::Receiver<ChunkMsg>,
    back_tx: &std::sync::mpsc::Sender<Chunk>,
    first: &mut S,
    rest: &mut [S],
) -> Result<(), Stop> {
    loop {
        match rx.recv() {
            Ok(Ok((seq, chunk))) => {
                let found = head.find_header(&chunk).map_err(Stop::Ingest)?;
                if let Some(from) = found {
                    head.head_rows(seq, &chunk[from..], first);
                    let _ = back_tx.send(chunk);
                    break;
                }
                let _ = back_tx.send(chunk);
            }
            Ok(Err(e)) => return Err(Stop::Csv(e)),
            Err(_) => {
                head.finish().map_err(Stop::Ingest)?;
                head.head_rows(0, &[], first);
                return Ok(());
            }
        }
    }
    let HeaderState::Found { header, map, .. } = &head.state else { return Ok(()) };
    let shared = ParseShared { spec: head.spec, header, map, rx: std::sync::Mutex::new(rx), failed: std::sync::Mutex::new(None) };
    std::thread::scope(|scope| {
        for sink in rest.iter_mut() {
            let (shared, back) = (&shared, back_tx.clone());
            scope.spawn(move || shared.parse_chunks(sink, &back));
        }
        shared.parse_chunks(first, back_tx);
    });
    match shared.failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(Stop::Csv(e)),
        None => Ok(()),
    }
}

/// What the parsing threads of [`read_csv`] share: the header and the reader's chunks.
struct ParseShared<'a> {
    spec: &'a TableSpec,
    header: &'a [String],
    map: &'a HeaderMap,
    rx: std::sync::Mutex<std::sync::mpsc::Receiver<ChunkMsg>>,
    /// The reader's error (sent after every record before it).
    failed: std::sync::Mutex<Option<csv::Error>>,
}

impl ParseShared<'_> {
    /// Takes chunks until the reader is done (or has failed), parsing each into `sink`.
    fn parse_chunks(&self, sink: &mut dyn ChunkSink, back: &std::sync::mpsc::Sender<Chunk>) {
        loop {
            let msg = match self.rx.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            match msg {
                Ok(Ok((seq, chunk))) => {
                    sink.start_chunk(seq);
                    for (line, rec) in &chunk {
                        emit(self.spec, self.header, self.map, *line, rec, sink);
                    }
                    let _ = back.send(chunk);
                }
                Ok(Err(e)) => {
                    if let Ok(mut f) = self.failed.lock() {
                        *f = Some(e);
                    }
                    return;
                }
                Err(_) => return,
            }
        }
    }
}

/// The delimiter, sniffed from the first line: tab for a `.tsv` file or when the line has more
/// tabs than commas, else comma.
fn sniff_delimiter(probe: &Probe) -> Result<u8, IngestError> {
    let file = &probe.path;
    let mut first = Vec::new();
    BufReader::new(decoded_reader(probe)?)
        .read_until(b'\n', &mut first)
        .map_err(|e| IngestError::Unreadable { file: file.clone(), reason: e.to_string() })?;
    let tabs = first.iter().filter(|b| **b == b'\t').count();
    let commas = first.iter().filter(|b| **b == b',').count();
    let ext_tsv = file.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    Ok(if ext_tsv || tabs > commas { b'\t' } else { b',' })
}

/// The reading thread's half of [`read_csv`]: the file from the top with the delimiter known,
/// decoded and split into records sent in numbered chunks with their line numbers (chunks come
/// back on `back` to be refilled); a CSV error is sent after the records before it.
fn split_records(probe: &Probe, delim: u8, chunk_rows: usize, tx: &std::sync::mpsc::SyncSender<ChunkMsg>, back: &std::sync::mpsc::Receiver<Chunk>) -> Result<(), IngestError> {
    let lines = std::rc::Rc::new(std::cell::RefCell::new(LineState::default()));
    let reader = LineCounter { inner: decoded_reader(probe)?, state: lines.clone() };
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(reader);
    let mut seq = 0;
    loop {
        let mut chunk = back.try_recv().unwrap_or_else(|_| Vec::with_capacity(chunk_rows));
        let mut n = 0;
        let mut failed = None;
        while n < chunk_rows {
            if n == chunk.len() {
                chunk.push((0, csv::StringRecord::new()));
            }
            let (line, rec) = &mut chunk[n];
            match csv.read_record(rec) {
                Ok(true) => {
                    *line = rec.position().map_or(0, |p| lines.borrow_mut().line_at(p.byte()));
                    n += 1;
                }
                Ok(false) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        chunk.truncate(n);
        let end = n < chunk_rows;
        if n > 0 && tx.send(Ok((seq, chunk))).is_err() {
            return Ok(()); // the parser stopped: nothing more to read
        }
        if let Some(e) = failed {
            let _ = tx.send(Err(e));
            return Ok(());
        }
        if end {
            return Ok(());
        }
        seq += 1;
    }
}

enum HeaderState {
    /// Looking for the header: the first row naming two contract columns within the first rows.
    Looking { pending: Vec<(u64, csv::StringRecord)>, skipped: usize },
    /// The header; `rows`: rows kept while looking that turned out to be data (no header found).
    Found { header: Vec<String>, map: HeaderMap, skipped: usize, rows: Vec<(u64, csv::StringRecord)> },
}

/// Finds the header of a CSV export in its first records.
struct CsvRows<'a> {
    spec: &'a TableSpec,
    aliases: &'a Aliases,
    file: &'a std::path::Path,
    state: HeaderState,
    /// Unknown headers, once the header is known.
    info: Option<Vec<String>>,
}

impl CsvRows<'_> {
    fn skipped(&self) -> usize {
        match &self.state {
            HeaderState::Looking { skipped, .. } | HeaderState::Found { skipped, .. } => *skipped,
        }
    }

    /// Looks for the header in `chunk`: once known, the index of the chunk's first record after
    /// it (the rows kept while looking, when there was no header, wait in the state).
    fn find_header(&mut self, chunk: &[(u64, csv::StringRecord)]) -> Result<Option<usize>, IngestError> {
        for (n, (line, rec)) in chunk.iter().enumerate() {
            let HeaderState::Looking { pending, .. } = &mut self.state else { return Ok(Some(n)) };
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let row: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
            if header_score(self.spec, &row, self.aliases) >= 2 {
                let skipped = pending.len();
                self.found(row, skipped, Vec::new())?;
                return Ok(Some(n + 1));
            }
            pending.push((*line, rec.clone()));
            if pending.len() >= MAX_TITLE_ROWS {
                self.fallback()?;
                return Ok(Some(n + 1));
            }
        }
        Ok(None)
    }

    fn found(&mut self, header: Vec<String>, skipped: usize, rows: Vec<(u64, csv::StringRecord)>) -> Result<(), IngestError> {
        let map = map_headers(self.spec, &header, self.aliases, self.file)?;
        self.info = Some(map.unknown.clone());
        self.state = HeaderState::Found { header, map, skipped, rows };
        Ok(())
    }

    /// No row within the first ones names two columns: the first row is the header anyway (its
    /// missing columns are the error), the rest are data.
    fn fallback(&mut self) -> Result<(), IngestError> {
        let HeaderState::Looking { pending, .. } = &mut self.state else { return Ok(()) };
        let mut pending = std::mem::take(pending);
        if pending.is_empty() {
            return Err(IngestError::Empty { file: self.file.to_path_buf() });
        }
        let (_, header) = pending.remove(0);
        self.found(header.iter().map(str::to_string).collect(), 0, pending)
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        if matches!(self.state, HeaderState::Looking { .. }) {
            self.fallback()?;
        }
        Ok(())
    }

    /// The first data rows, into `sink` as chunk `seq`: those kept while looking for a header
    /// that was not found, then `rest`.
    fn head_rows(&mut self, seq: usize, rest: &[(u64, csv::StringRecord)], sink: &mut dyn ChunkSink) {
        let HeaderState::Found { header, map, rows, .. } = &mut self.state else { return };
        sink.start_chunk(seq);
        for (line, rec) in std::mem::take(rows).iter().chain(rest) {
            emit(self.spec, header, map, *line, rec, sink);
        }
    }
}

/// Contract columns a row's cells are laid out in without a heap allocation (the widest table
/// has 24).
const INLINE_COLUMNS: usize = 32;

/// One data record: quarantined whole when it has cells beyond the header, else its cells in
/// contract column order.
fn emit(spec: &TableSpec, header: &[String], map: &HeaderMap, line: u64, rec: &csv::StringRecord, sink: &mut dyn ChunkSink) {
    if rec.iter().all(|f| f.trim().is_empty()) {
        return;
    }
    let raw = || {
        let fields: Vec<&str> = rec.iter().collect();
        raw_json(spec, header, map, &fields)
    };
    if rec.len() > header.len() && rec.iter().skip(header.len()).any(|f| !f.trim().is_empty()) {
        sink.unreadable(line, format!("the row has {} fields but the header has {} (a stray delimiter or quote?)", rec.len(), header.len()), raw());
        return;
    }
    let mut inline = [Cell::Empty; INLINE_COLUMNS];
    let mut heap = Vec::new();
    let cells: &mut [Cell] = if spec.columns.len() <= INLINE_COLUMNS {
        &mut inline[..spec.columns.len()]
    } else {
        heap.resize(spec.columns.len(), Cell::Empty);
        &mut heap
    };
    for (f, t) in rec.iter().zip(&map.targets) {
        if let Some(t) = t {
            cells[*t] = Cell::Text(f);
        }
    }
    sink.row(line, cells, &raw);
}

fn data_cell(d: &Data) -> Cell<'_> {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::DateTimeIso(s) => Cell::Text(s),
        Data::DurationIso(s) => Cell::Text(s),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Cell::DateTime(t),
            None => Cell::Number(dt.as_f64()),
        },
        Data::Error(_) => Cell::Text("#ERROR"),
    }
}

pub(crate) fn data_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => number_text(dt.as_f64()),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

pub fn read_xlsx(probe: &Probe, spec: &TableSpec, aliases: &Aliases, sheet: Option<&str>, sink: &mut dyn RowSink) -> Result<ReadInfo, IngestError> {
    let file = &probe.path;
    let mut wb = workbook::open(file)?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| n.as_str() == s).cloned().ok_or_else(|| IngestError::SheetNotFound {
            file: file.clone(),
            sheet: s.to_string(),
            available: names.clone(),
        })?,
        None => names.first().cloned().ok_or_else(|| IngestError::Empty { file: file.clone() })?,
    };
    let sheet_err = |e: calamine::XlsxError| IngestError::Unreadable { file: file.clone(), reason: format!("sheet {name}: {e}") };
    let Some(mut rows) = SheetRows::open(&mut wb, &name).map_err(sheet_err)? else {
        return Err(IngestError::Empty { file: file.clone() });
    };
    let found = find_sheet_header(&mut rows, spec, aliases, file).map_err(|e| e.into_ingest(&sheet_err))?;
    let map = map_headers(spec, &found.header, aliases, file)?;
    let cols = SheetColumns { header: &found.header, map: &map, offset: found.offset };
    for row in &found.rest {
        cols.emit(spec, row, sink);
    }
    let width = found.offset + found.header.len() as u32;
    while let Some(row) = rows.next_row(width).map_err(sheet_err)? {
        cols.emit(spec, &row, sink);
    }
    Ok(ReadInfo { unknown_headers: map.unknown, title_rows_skipped: found.skipped, sheet: Some(name), delimiter: None })
}

/// A sheet's header row, found among its first non-empty rows as in a CSV.
struct SheetHeader {
    /// The header's texts from its first column to its last cell.
    header: Vec<String>,
    /// The sheet column of the header's first column: the leftmost cell of the rows up to the
    /// header (a title in column A above a header from column B starts it at A).
    offset: u32,
    skipped: usize,
    /// Rows read while looking that are data (no row named two columns: all after the first).
    rest: Vec<SheetRow>,
}

enum HeaderError {
    Sheet(calamine::XlsxError),
    File(IngestError),
}

impl HeaderError {
    fn into_ingest(self, sheet_err: &dyn Fn(calamine::XlsxError) -> IngestError) -> IngestError {
        match self {
            HeaderError::Sheet(e) => sheet_err(e),
            HeaderError::File(e) => e,
        }
    }
}

/// Reads rows (each at most `LIMITS.max_columns` wide) until one names two contract columns,
/// within the first `MAX_TITLE_ROWS` non-empty rows; else the first non-empty row is the header.
fn find_sheet_header(rows: &mut SheetRows<'_>, spec: &TableSpec, aliases: &Aliases, file: &Path) -> Result<SheetHeader, HeaderError> {
    let limit = workbook::LIMITS.max_columns;
    let mut window: Vec<SheetRow> = Vec::new();
    let mut header: Option<SheetRow> = None;
    while let Some(row) = rows.next_row(limit).map_err(HeaderError::Sheet)? {
        if row.is_blank() {
            continue;
        }
        let texts: Vec<String> = row.dense.iter().map(data_text).collect();
        if header_score(spec, &texts, aliases) >= 2 {
            header = Some(row);
            break;
        }
        window.push(row);
        if window.len() >= MAX_TITLE_ROWS {
            break;
        }
    }
    let offset = window.iter().chain(header.as_ref()).filter_map(|r| r.dense.iter().position(|d| !matches!(d, Data::Empty))).min().unwrap_or(0);
    let (header, skipped, rest) = match header {
        Some(h) => (h, window.len(), Vec::new()),
        None if window.is_empty() => return Err(HeaderError::File(IngestError::Empty { file: file.to_path_buf() })),
        None => {
            let h = window.remove(0);
            (h, 0, window)
        }
    };
    if let Some((col, _)) = header.far.first() {
        return Err(HeaderError::File(IngestError::Workbook {
            file: file.to_path_buf(),
            reason: format!(
                "the header row (line {}) has a cell in column {}; an export's header is read up to column {} ({} columns)",
                header.row as u64 + 1,
                workbook::column_name(*col),
                workbook::column_name(limit - 1),
                limit
            ),
        }));
    }
    let texts = header.dense.get(offset..).unwrap_or_default().iter().map(data_text).collect();
    Ok(SheetHeader { header: texts, offset: offset as u32, skipped, rest })
}

/// How a sheet's rows are laid out: the header's texts, its mapping and first sheet column.
struct SheetColumns<'a> {
    header: &'a [String],
    map: &'a HeaderMap,
    offset: u32,
}

impl SheetColumns<'_> {
    /// One data row: quarantined whole when it has cells outside the header's columns (the
    /// first few of them in its raw row), else its cells in contract column order.
    fn emit(&self, spec: &TableSpec, row: &SheetRow, sink: &mut dyn RowSink) {
        if row.is_blank() {
            return;
        }
        let line = row.row as u64 + 1;
        let (o, w) = (self.offset as usize, self.header.len());
        let left = &row.dense[..o.min(row.dense.len())];
        let inside = row.dense.get(o..).unwrap_or_default();
        let (inside, beyond) = inside.split_at(inside.len().min(w));
        let fields = || -> Vec<String> { (0..w).map(|j| inside.get(j).map_or_else(String::new, data_text)).collect() };
        let (left, beyond) = (outside(left, 0), outside(beyond, o + w));
        if !left.is_empty() || !beyond.is_empty() || row.far_count > 0 {
            let reason = if left.is_empty() { "the row has cells beyond the header's last column" } else { "the row has cells left of the header's first column" };
            let extra: Vec<(u32, &Data)> = left.into_iter().chain(beyond).chain(row.far.iter().map(|(c, d)| (*c, d))).collect();
            let more = row.far_count - row.far.len();
            sink.unreadable(line, reason.into(), raw_sheet_row(spec, self.header, self.map, &fields(), &extra, more));
            return;
        }
        let mut cells: Vec<Cell> = vec![Cell::Empty; spec.columns.len()];
        for (j, d) in inside.iter().enumerate() {
            if let Some(Some(t)) = self.map.targets.get(j) {
                cells[*t] = data_cell(d);
            }
        }
        let raw = || {
            let fields = fields();
            let refs: Vec<&str> = fields.iter().map(|s| s.as_str()).collect();
            raw_json(spec, self.header, self.map, &refs)
        };
        sink.row(line, &cells, &raw);
    }
}

/// The non-blank `cells` with their sheet column (`first` is the first one's).
fn outside(cells: &[Data], first: usize) -> Vec<(u32, &Data)> {
    cells.iter().enumerate().filter(|(_, d)| !workbook::blank(d)).map(|(j, d)| ((first + j) as u32, d)).collect()
}

/// A quarantined sheet row as written: the header's columns, then the cells outside them by
/// their Excel column, and how many more were not kept.
fn raw_sheet_row(spec: &TableSpec, header: &[String], map: &HeaderMap, fields: &[String], extra: &[(u32, &Data)], more: usize) -> String {
    let refs: Vec<&str> = fields.iter().map(|s| s.as_str()).collect();
    let mut m = raw_map(spec, header, map, &refs);
    for (col, d) in extra {
        m.insert(format!("column {}", workbook::column_name(*col)), serde_json::Value::String(data_text(d)));
    }
    if more > 0 {
        m.insert("more cells".into(), serde_json::Value::String(format!("{more} more cells beyond these")));
    }
    serde_json::Value::Object(m).to_string()
}

/// Reads a JSON Lines export: one object a line, keyed by the contract's names or headers (or a
/// user's aliases). A line that is no JSON object is unreadable; a file of nothing but such lines
/// is refused for them.
pub fn read_jsonl(probe: &Probe, spec: &TableSpec, aliases: &Aliases, sink: &mut dyn RowSink) -> Result<ReadInfo, IngestError> {
    let file = &probe.path;
    let reader = BufReader::with_capacity(1 << 20, decoded_reader(probe)?);
    let mut keys = JsonKeys { seen: vec![false; spec.columns.len()], unknown: Vec::new(), target: HashMap::new() };
    let mut any = false;
    // Whether any line was a JSON object, and the first line that was not (a file of nothing
    // but broken lines is refused for them, not for the columns they could not name).
    let mut objects = false;
    let mut first_bad: Option<String> = None;
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let text = line.map_err(|e| IngestError::Unreadable { file: file.clone(), reason: format!("line {line_no}: {e}") })?;
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        any = true;
        let obj = match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                first_bad.get_or_insert_with(|| format!("line {line_no}: JSON but not an object"));
                sink.unreadable(line_no, "the line is JSON but not an object".into(), alias_keys_renamed(spec, aliases, &text));
                continue;
            }
            Err(e) => {
                first_bad.get_or_insert_with(|| format!("line {line_no}: not valid JSON ({e})"));
                sink.unreadable(line_no, format!("the line is not valid JSON: {e}"), alias_keys_renamed(spec, aliases, &text));
                continue;
            }
        };
        objects = true;
        keys.object(spec, aliases, line_no, &text, &obj, sink);
    }
    if !any {
        return Err(IngestError::Empty { file: file.clone() });
    }
    if let (false, Some(reason)) = (objects, first_bad) {
        return Err(IngestError::Unreadable { file: file.clone(), reason });
    }
    for (i, c) in spec.columns.iter().enumerate() {
        if c.required && !keys.seen[i] {
            return Err(missing_column(spec, i, file, aliases));
        }
    }
    Ok(ReadInfo { unknown_headers: keys.unknown, title_rows_skipped: 0, sheet: None, delimiter: None })
}

/// What a JSON Lines file's keys name, learnt line by line.
struct JsonKeys {
    /// The columns some key named.
    seen: Vec<bool>,
    /// Keys that name no column, in the order met.
    unknown: Vec<String>,
    /// Each key's column, and whether only a user's alias names it.
    target: HashMap<String, (Option<usize>, bool)>,
}

impl JsonKeys {
    /// One line's object: its values handed on as a row, or the line as unreadable when two keys
    /// give one column or a value is nested.
    fn object(&mut self, spec: &TableSpec, aliases: &Aliases, line_no: u64, text: &str, obj: &serde_json::Map<String, serde_json::Value>, sink: &mut dyn RowSink) {
        let plan = match self.plan(spec, aliases, obj) {
            Ok(plan) => plan,
            Err(problem) => {
                sink.unreadable(line_no, problem, jsonl_raw(spec, text, obj, &self.target));
                return;
            }
        };
        let mut numbers: Vec<String> = Vec::new();
        for (_, v) in &plan {
            if let serde_json::Value::Number(n) = v {
                numbers.push(n.to_string());
            }
        }
        let mut cells: Vec<Cell> = vec![Cell::Empty; spec.columns.len()];
        let mut ni = 0;
        let mut nested = None;
        for (t, v) in &plan {
            cells[*t] = match v {
                serde_json::Value::Null => Cell::Empty,
                serde_json::Value::String(s) => Cell::Text(s),
                serde_json::Value::Bool(b) => Cell::Bool(*b),
                serde_json::Value::Number(_) => {
                    let s = &numbers[ni];
                    ni += 1;
                    Cell::Text(s)
                }
                _ => {
                    nested = Some(spec.columns[*t].name);
                    Cell::Empty
                }
            };
        }
        if let Some(col) = nested {
            sink.unreadable(line_no, format!("{col}: a nested JSON value is not a {}", spec.columns.iter().find(|c| c.name == col).map_or("value", |c| c.ty.describe())), jsonl_raw(spec, text, obj, &self.target));
            return;
        }
        sink.row(line_no, &cells, &|| jsonl_raw(spec, text, obj, &self.target));
    }

    /// Which column each key of `obj` feeds, or why the line cannot be read (two keys give one
    /// column); every key is learnt either way.
    fn plan<'v>(&mut self, spec: &TableSpec, aliases: &Aliases, obj: &'v serde_json::Map<String, serde_json::Value>) -> Result<Vec<(usize, &'v serde_json::Value)>, String> {
        let mut filled: Vec<Option<&str>> = vec![None; spec.columns.len()];
        let mut problem: Option<String> = None;
        let mut plan: Vec<(usize, &serde_json::Value)> = Vec::new();
        for (k, v) in obj {
            let (target, _) = *self.target.entry(k.clone()).or_insert_with(|| {
                let clean = k.trim();
                match spec.resolve_header(clean) {
                    Some(t) => (Some(t), false),
                    None => (aliases.get(clean).copied(), true),
                }
            });
            match target {
                None => {
                    if !self.unknown.contains(k) {
                        self.unknown.push(k.clone());
                    }
                }
                Some(t) => {
                    if let Some(prev) = filled[t] {
                        problem = Some(format!("keys `{prev}` and `{k}` both give {}", spec.columns[t].name));
                    }
                    filled[t] = Some(k.as_str());
                    self.seen[t] = true;
                    plan.push((t, v));
                }
            }
        }
        match problem {
            Some(p) => Err(p),
            None => Ok(plan),
        }
    }
}

/// A JSON line as quarantine keeps it: as written, unless a key names its column only through a
/// user's alias; then the object again with such keys as the column's name (as `raw_json` does),
/// a second key for one column marked `#2`.
fn jsonl_raw(spec: &TableSpec, text: &str, obj: &serde_json::Map<String, serde_json::Value>, key_target: &HashMap<String, (Option<usize>, bool)>) -> String {
    let aliased = |k: &String| match key_target.get(k) {
        Some((Some(t), true)) => Some(spec.columns[*t].name),
        _ => None,
    };
    if !obj.keys().any(|k| aliased(k).is_some()) {
        return text.to_string();
    }
    let mut m = serde_json::Map::new();
    for (k, v) in obj {
        let base = aliased(k).map_or_else(|| k.clone(), str::to_string);
        let mut key = base.clone();
        let mut n = 2;
        while m.contains_key(&key) {
            key = format!("{base}#{n}");
            n += 1;
        }
        m.insert(key, v.clone());
    }
    serde_json::Value::Object(m).to_string()
}

/// A line that is not a JSON object, with its aliased keys (`"姓名":`) written as their columns'
/// names, so its masking finds them.
fn alias_keys_renamed(spec: &TableSpec, aliases: &Aliases, text: &str) -> String {
    let mut out = text.to_string();
    for (alias, &t) in aliases {
        let quoted = serde_json::Value::String(alias.clone()).to_string();
        if spec.resolve_header(alias).is_some() || !out.contains(&quoted) {
            continue;
        }
        let name = format!("\"{}\"", spec.columns[t].name);
        let mut renamed = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&quoted) {
            let after = &rest[i + quoted.len()..];
            renamed.push_str(&rest[..i]);
            renamed.push_str(if after.trim_start().starts_with(':') { &name } else { &quoted });
            rest = after;
        }
        renamed.push_str(rest);
        out = renamed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::CASES;
    use crate::mask::mask_raw_row;

    fn aliases() -> Aliases {
        [("姓名", "applicant_name"), ("证照", "applicant_id_no"), ("联络", "applicant_phone")]
            .into_iter()
            .map(|(h, c)| (h.to_string(), CASES.index_of(c).unwrap()))
            .collect()
    }

    /// A quarantined row under a user's headers keeps the aliased cells under their columns'
    /// names, so the masked raw row shows neither name, ID nor phone.
    #[test]
    fn raw_rows_name_aliased_headers_by_their_column() {
        let headers: Vec<String> = ["办件编号", "姓名", "证照", "联络", "备注", "大厅"].map(String::from).to_vec();
        let mut aliases = aliases();
        aliases.insert("大厅".into(), CASES.index_of("hall_id").unwrap());
        let map = HeaderMap {
            targets: headers.iter().map(|h| CASES.resolve_header(h).or_else(|| aliases.get(h).copied())).collect(),
            unknown: vec!["备注".into()],
        };
        let raw = raw_json(&CASES, &headers, &map, &["C1", "诸葛亮", "110101199001011234", "13800138000", "回电13900139000", "H01", "extra"]);
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(v["applicant_name"], "诸葛亮");
        assert_eq!(v["办件编号"], "C1", "the contract's own headers stay as written");
        assert_eq!(v["hall_id"], "H01");
        assert_eq!(v["column 7"], "extra");
        let m = mask_raw_row(&raw);
        for s in ["诸葛亮", "110101199001011234", "13800138000", "13900139000"] {
            assert!(!m.contains(s), "{s} in {m}");
        }
        assert!(m.contains("诸葛*") && m.contains("110101********1234") && m.contains("138****8000"), "{m}");
    }

    /// Collects what the CSV reader sends, with the chunk each row came in.
    #[derive(Default)]
    struct Collect {
        chunk: usize,
        got: Vec<(usize, u64, String)>,
    }

    impl RowSink for Collect {
        fn row(&mut self, line: u64, cells: &[Cell<'_>], raw: &dyn Fn() -> String) {
            self.got.push((self.chunk, line, format!("{cells:?} {}", raw())));
        }
        fn unreadable(&mut self, line: u64, reason: String, raw: String) {
            self.got.push((self.chunk, line, format!("unreadable: {reason} {raw}")));
        }
    }

    impl ChunkSink for Collect {
        fn start_chunk(&mut self, seq: usize) {
            self.chunk = seq;
        }
    }

    /// The rows (in file order, by chunk) and the header facts, or the error, of reading `path`
    /// with `sinks` parsers in chunks of `chunk` records.
    fn read_with(path: &Path, sinks: usize, chunk: usize) -> Result<(Vec<(u64, String)>, usize, Vec<String>), String> {
        let probe = probe(path, None).map_err(|e| e.to_string())?;
        let mut s: Vec<Collect> = (0..sinks).map(|_| Collect::default()).collect();
        let info = read_csv_chunked(&probe, &CASES, &aliases(), &mut s, chunk).map_err(|e| e.to_string())?;
        let mut all: Vec<(usize, u64, String)> = s.into_iter().flat_map(|c| c.got).collect();
        all.sort_by_key(|(c, _, _)| *c);
        Ok((all.into_iter().map(|(_, l, r)| (l, r)).collect(), info.title_rows_skipped, info.unknown_headers))
    }

    /// Parsing chunks side by side gives the rows, lines, quarantine reasons and errors of one
    /// parser reading the whole file, whatever the chunk size: quoted delimiters and newlines,
    /// CRLF, a BOM, GB18030, title rows, a file without a header, stray fields, blank rows and a
    /// broken quote.
    #[test]
    fn chunks_parsed_side_by_side_read_as_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let header = "办件编号,大厅编码,窗口编号,受理人员,事项编码,办件类型,受理时间,办理结果,姓名,备注\r\n";
        let body = "C1,H01,W01,S1,YB-1,1,2026-10-08 09:00,办理中,张三,\"a,b\"\r\n\
                    C2,H01,W01,S1,YB-1,2,2026-10-08 09:05,办理中,\"李\r\n四\",x\r\n\
                    ,,,,,,,,,\r\n\
                    C3,H01,W01,S1,YB-1,1,bad time,办理中,王五,,,stray\r\n\
                    C4,H01,W01,S1,YB-1,承诺件,2026-10-08 09:15,办理中,\"赵\"\"六\",\r\n\
                    \r\n\
                    C5,H01,W01,S1,YB-1,1,2026-10-08 09:20,办理中,钱七\r\n\
                    C6,H01,W01,S1,YB-1,1,2026-10-08 09:25,办理中,孙八,,\r\n";
        let title = "某某大厅办件记录 2026年10月\r\n,,\r\n";
        let mut files: Vec<(String, Vec<u8>)> = vec![
            ("plain.csv".into(), format!("{header}{body}").into_bytes()),
            ("bom.csv".into(), [b"\xEF\xBB\xBF".as_slice(), format!("{title}{header}{body}").as_bytes()].concat()),
            ("gb.csv".into(), encoding_rs::GB18030.encode(&format!("{title}{header}{body}")).0.into_owned()),
            ("lf.csv".into(), format!("{header}{body}").replace("\r\n", "\n").into_bytes()),
            ("noheader.csv".into(), format!("a,b\n{}", body.replace("\r\n", "\n")).into_bytes()),
            ("titles_only.csv".into(), "x\ny\n".as_bytes().to_vec()),
            ("empty.csv".into(), Vec::new()),
            ("broken_quote.csv".into(), format!("{header}{body}C9,H01,W01,S1,YB-1,1,2026-10-08 09:30,办理中,\"周九,\r\n").into_bytes()),
        ];
        files.push(("many.csv".into(), format!("{header}{}", body.repeat(7)).into_bytes()));
        for (name, bytes) in files {
            let path = dir.path().join(&name);
            std::fs::write(&path, &bytes).unwrap();
            let one = read_with(&path, 1, CHUNK);
            if name == "plain.csv" {
                let (rows, _, unknown) = one.as_ref().unwrap();
                assert_eq!(rows.len(), 6, "{rows:#?}");
                assert!(rows[2].1.starts_with("unreadable"), "{rows:#?}");
                assert_eq!(unknown, &vec!["备注".to_string()]);
            }
            for sinks in 1..=3 {
                for chunk in [1, 2, 3, 5] {
                    assert_eq!(read_with(&path, sinks, chunk), one, "{name}: {sinks} parsers, chunks of {chunk}");
                }
            }
        }
    }

    #[test]
    fn json_lines_name_aliased_keys_by_their_column() {
        let al = aliases();
        let text = r#"{"case_id":"C1","姓名":"司马懿","applicant_name":"王五","证照":110101199001011234,"备注":"x"}"#;
        let serde_json::Value::Object(obj) = serde_json::from_str(text).unwrap() else { panic!() };
        let mut key_target = HashMap::new();
        for k in obj.keys() {
            let t = CASES.resolve_header(k);
            key_target.insert(k.clone(), if t.is_some() { (t, false) } else { (al.get(k).copied(), true) });
        }
        let raw = jsonl_raw(&CASES, text, &obj, &key_target);
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(v["applicant_name"], "王五");
        assert_eq!(v["applicant_name#2"], "司马懿");
        assert_eq!(v["applicant_id_no"], 110101199001011234u64);
        let m = mask_raw_row(&raw);
        assert!(!m.contains("司马懿") && !m.contains("王五") && !m.contains("110101199001011234"), "{m}");
        // Without aliased keys the line is kept as written.
        let plain = r#"{"case_id":"C1","申请人":"王五"}"#;
        let serde_json::Value::Object(obj) = serde_json::from_str(plain).unwrap() else { panic!() };
        assert_eq!(jsonl_raw(&CASES, plain, &obj, &key_target), plain);
        // A broken line: aliased keys renamed where they are keys, so its masking finds them.
        let broken = r#"{"姓名": "上官婉儿", "备注": "姓名", "证照":"110101199001011234""#;
        let renamed = alias_keys_renamed(&CASES, &al, broken);
        assert_eq!(renamed, r#"{"applicant_name": "上官婉儿", "备注": "姓名", "applicant_id_no":"110101199001011234""#);
        let m = mask_raw_row(&renamed);
        assert!(!m.contains("上官婉儿") && !m.contains("110101199001011234"), "{m}");
    }
}
