//! XLSX workbooks opened within bounds, and their sheets read as a stream of sparse rows.
//!
//! An XLSX file is a zip of XML parts, and what its parts *declare* is not what a small file
//! costs: calamine reserves the shared-string table from the file's own `uniqueCount` before
//! reading a string (a 1.6 KB file declaring four billion aborted the process), its dense
//! `worksheet_range` allocates rows × columns of the used area (a header plus one cell at
//! `XFD1048576` is 17 billion cells, 512 GiB), and a zip entry may inflate a thousandfold. Every
//! reader of a workbook (the ingest, the inbox's header sniffing) therefore opens it here:
//!
//! * before calamine sees the file, its zip directory is checked against [`LIMITS`]: it must be a
//!   zip at all (an `.xls` or a password-protected workbook is not), with a bounded number of
//!   parts, each part's declared uncompressed size bounded and the sum too. The zip reader stops
//!   any entry at its declared size, so the declared sizes bound what inflating can produce. The
//!   shared-strings part (held whole in memory by calamine) is inflated once here, counting its
//!   strings and reading the `uniqueCount` calamine would reserve.
//! * a sheet is read with calamine's streaming cell reader, cells grouped into rows of a bounded
//!   width (dense up to that width, at most a few cells kept beyond it for the quarantine's raw
//!   row), so a far cell costs one row, not the rectangle up to it. The sheet's declared
//!   `<dimension>` is not checked: nothing is sized from it any more (calamine's cell reader only
//!   records it), and a header row reaching beyond [`Limits::max_columns`] is refused instead.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{Data, DataRef, Xlsx, XlsxCellReader};

use super::IngestError;

/// What a workbook may declare before it is read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Zip entries (a workbook from an export has a dozen or two).
    pub max_parts: usize,
    /// Declared uncompressed size of one part: a worksheet of Excel's million rows and a few dozen
    /// columns of inline text stays below 2 GiB.
    pub max_part: u64,
    /// The shared-strings part, which calamine holds in memory whole.
    pub max_shared_strings_part: u64,
    /// The parts calamine reads whole when opening (relationships, workbook, styles, theme): a
    /// large workbook's are a few MB.
    pub max_small_part: u64,
    /// All parts together.
    pub max_total: u64,
    /// Shared strings, declared (`uniqueCount`, reserved up front by calamine) or counted.
    pub max_shared_strings: u64,
    /// Columns of a header row (A to AMJ); an export has a few dozen.
    pub max_columns: u32,
}

pub const LIMITS: Limits = Limits {
    max_parts: 10_000,
    max_part: 2 << 30,
    max_shared_strings_part: 1 << 30,
    max_small_part: 64 << 20,
    max_total: 4 << 30,
    max_shared_strings: 1 << 24,
    max_columns: 1024,
};

/// Cells kept per row beyond its width, for the quarantine's raw row.
const FAR_CELLS_KEPT: usize = 16;

/// How much of the shared-strings part is searched for its `<sst>` start tag.
const SST_HEAD: usize = 64 << 10;

/// The workbook as calamine reads it.
pub type Workbook = Xlsx<BufReader<File>>;

fn refused(path: &Path, reason: String) -> IngestError {
    IngestError::Workbook { file: path.to_path_buf(), reason }
}

/// Opens an XLSX workbook after checking its zip directory against [`LIMITS`].
pub fn open(path: &Path) -> Result<Workbook, IngestError> {
    open_with(path, &LIMITS)
}

pub(crate) fn open_with(path: &Path, limits: &Limits) -> Result<Workbook, IngestError> {
    let io = |e: std::io::Error| IngestError::Unreadable { file: path.to_path_buf(), reason: e.to_string() };
    let mut f = File::open(path).map_err(io)?;
    check(&mut f, path, limits)?;
    f.rewind().map_err(io)?;
    calamine::open_workbook_from_rs(BufReader::new(f))
        .map_err(|e: calamine::XlsxError| IngestError::Unreadable { file: path.to_path_buf(), reason: format!("not a readable workbook: {e}") })
}

/// A part's file name, lower case (calamine finds parts case-insensitively).
fn part_file(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    lower.rsplit(['/', '\\']).next().unwrap_or(&lower).to_string()
}

/// What a part is, for its size bound.
fn part_bound(name: &str, limits: &Limits) -> u64 {
    let file = part_file(name);
    let lower = name.to_ascii_lowercase();
    if file == "sharedstrings.xml" {
        limits.max_shared_strings_part
    } else if file.ends_with(".rels") || file == "workbook.xml" || file == "styles.xml" || lower.contains("theme/") {
        limits.max_small_part
    } else {
        limits.max_part
    }
}

/// A byte count as a person reads it.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{b} bytes"),
    }
}

/// The zip directory's bounds, then the shared strings.
fn check(f: &mut File, path: &Path, limits: &Limits) -> Result<(), IngestError> {
    let mut head = [0u8; 4];
    let n = f.read(&mut head).unwrap_or(0);
    f.rewind().map_err(|e| IngestError::Unreadable { file: path.to_path_buf(), reason: e.to_string() })?;
    let mut zip = match zip::ZipArchive::new(BufReader::new(&mut *f)) {
        Ok(z) => z,
        Err(e) => {
            let what = if head[..n] == [0xD0, 0xCF, 0x11, 0xE0] {
                "an Excel 97-2003 .xls or a password-protected workbook; save it as .xlsx without a password".to_string()
            } else {
                format!("it is not a zip archive ({e}), as every .xlsx is")
            };
            return Err(refused(path, format!("not an XLSX workbook: {what}")));
        }
    };
    if zip.len() > limits.max_parts {
        return Err(refused(path, format!("the workbook holds {} parts; an XLSX export has at most {}", zip.len(), limits.max_parts)));
    }
    let mut total = 0u64;
    let mut shared: Vec<(usize, String)> = Vec::new();
    for i in 0..zip.len() {
        let e = zip.by_index_data(i).map_err(|e| refused(path, format!("not an XLSX workbook: {e}")))?;
        let name = String::from_utf8_lossy(e.name_raw()).into_owned();
        let bound = part_bound(&name, limits);
        if e.size() > bound {
            return Err(refused(path, format!("part `{name}` declares {} uncompressed; a workbook part is read up to {}", size_text(e.size()), size_text(bound))));
        }
        total = total.saturating_add(e.size());
        if part_file(&name) == "sharedstrings.xml" {
            shared.push((i, name));
        }
    }
    if total > limits.max_total {
        return Err(refused(path, format!("its parts declare {} uncompressed together; a workbook is read up to {}", size_text(total), size_text(limits.max_total))));
    }
    for (i, name) in shared {
        let part = zip.by_index(i).map_err(|e| refused(path, format!("part `{name}` cannot be read: {e}")))?;
        check_shared_strings(part, limits).map_err(|why| refused(path, format!("part `{name}`: {why}")))?;
    }
    Ok(())
}

/// Inflates the shared-strings part once: its `uniqueCount` (what calamine reserves) and the
/// strings it really holds must both stay within [`Limits::max_shared_strings`], and the count
/// cannot exceed one string per four bytes of the part (`<si/>` is five).
fn check_shared_strings(mut part: impl Read, limits: &Limits) -> Result<(), String> {
    let mut head: Vec<u8> = Vec::new();
    let mut count = TagCounter::default();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = part.read(&mut buf).map_err(|e| format!("cannot be inflated: {e}"))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if head.len() < SST_HEAD {
            head.extend_from_slice(&buf[..n.min(SST_HEAD - head.len())]);
        }
        count.feed(&buf[..n]);
        if count.n > limits.max_shared_strings {
            return Err(format!("holds more than {} shared strings, the most an export is read with", limits.max_shared_strings));
        }
    }
    if let Some(d) = sst_unique_count(&head)?
        && (d > limits.max_shared_strings || d > size / 4)
    {
        return Err(format!(
            "declares uniqueCount=\"{d}\" shared strings; an export is read with at most {} and this part's {size} bytes hold at most {}",
            limits.max_shared_strings,
            size / 4
        ));
    }
    Ok(())
}

/// Counts `<si>` start tags (any namespace prefix) in a stream of XML bytes.
#[derive(Default)]
struct TagCounter {
    n: u64,
    /// The bytes of a tag cut by the chunk boundary.
    carry: Vec<u8>,
}

impl TagCounter {
    fn feed(&mut self, chunk: &[u8]) {
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        let mut at = 0;
        while let Some(p) = memchr::memchr(b'<', &data[at..]) {
            let start = at + p + 1;
            // The name runs to the first byte that cannot be in it.
            let end = data[start..].iter().position(|b| matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')).map(|e| start + e);
            let Some(end) = end else {
                // Cut by the boundary (a name is short; a longer run is no tag we count).
                if data.len() - start < 64 {
                    self.carry = data[at + p..].to_vec();
                }
                return;
            };
            let name = &data[start..end];
            let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
            if local == b"si" && !name.starts_with(b"/") {
                self.n += 1;
            }
            at = end;
        }
    }
}

/// The `uniqueCount` of the first `<sst>` start tag (comments, declarations and processing
/// instructions skipped), as calamine finds it; an error when there is no such tag in `head`.
fn sst_unique_count(head: &[u8]) -> Result<Option<u64>, String> {
    let mut at = 0;
    while let Some(p) = memchr::memchr(b'<', &head[at..]) {
        let rest = &head[at + p..];
        let skip_to = |end: &[u8]| memchr::memmem::find(rest, end).map(|e| at + p + e + end.len());
        let next = if rest.starts_with(b"<!--") {
            skip_to(b"-->")
        } else if rest.starts_with(b"<?") {
            skip_to(b"?>")
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            skip_to(b">")
        } else {
            let Some(close) = tag_end(rest) else { break };
            let tag = &rest[1..close];
            let name_end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
            let name = &tag[..name_end];
            if name.rsplit(|b| *b == b':').next() == Some(b"sst") {
                return Ok(unique_count_attr(&tag[name_end..]));
            }
            Some(at + p + close + 1)
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    Err(format!("no <sst> start tag within its first {} KB", SST_HEAD >> 10))
}

/// The `>` closing the start tag at the beginning of `tag` (a `>` inside a quoted attribute
/// value does not close it).
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in tag.iter().enumerate() {
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The largest `uniqueCount` attribute value among `attrs` (saturating; not a number: none).
fn unique_count_attr(attrs: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(attrs);
    let mut best: Option<u64> = None;
    let mut rest: &str = &text;
    while let Some(i) = rest.find("uniqueCount") {
        rest = &rest[i + "uniqueCount".len()..];
        let Some(v) = rest.trim_start().strip_prefix('=') else { continue };
        let v = v.trim_start();
        let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let Some(end) = v[1..].find(q) else { continue };
        let digits = v[1..1 + end].trim().trim_start_matches('+');
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n = digits.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0')));
            best = best.max(Some(n));
        }
    }
    best
}

/// One row of a sheet: its cells up to the width it was read with, and the non-blank cells
/// beyond (the first few kept, all counted).
#[derive(Debug, Default)]
pub struct SheetRow {
    /// The sheet row (0-based): the line a person sees is this + 1.
    pub row: u32,
    /// Cells by sheet column, from column A up to the row's last cell within the width.
    pub dense: Vec<Data>,
    /// Non-blank cells beyond the width: (sheet column, value).
    pub far: Vec<(u32, Data)>,
    pub far_count: usize,
}

pub(crate) fn blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().is_empty(),
        _ => false,
    }
}

impl SheetRow {
    fn put(&mut self, col: u32, value: Data, width: u32) {
        if matches!(value, Data::Empty) {
            return;
        }
        if col < width {
            let c = col as usize;
            if self.dense.len() <= c {
                self.dense.resize(c + 1, Data::Empty);
            }
            self.dense[c] = value;
        } else if !blank(&value) {
            self.far_count += 1;
            if self.far.len() < FAR_CELLS_KEPT {
                self.far.push((col, value));
            }
        }
    }

    /// No cell with anything but whitespace.
    pub fn is_blank(&self) -> bool {
        self.far_count == 0 && self.dense.iter().all(blank)
    }
}

/// A sheet's cells in XML order, grouped into rows.
pub struct SheetRows<'a> {
    cells: XlsxCellReader<'a, BufReader<File>>,
    pending: Option<calamine::Cell<DataRef<'a>>>,
    /// The end of `<sheetData>` was read (calamine errors when asked again).
    done: bool,
}

impl<'a> SheetRows<'a> {
    /// The sheet named `name`; `None` for a sheet that holds no cells (a chart sheet).
    pub fn open(wb: &'a mut Workbook, name: &str) -> Result<Option<SheetRows<'a>>, calamine::XlsxError> {
        match wb.worksheet_cells_reader(name) {
            Ok(cells) => Ok(Some(SheetRows { cells, pending: None, done: false })),
            Err(calamine::XlsxError::NotAWorksheet(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The next cell. calamine computes a cell reference's column and row in `u32` unchecked: a
    /// reference of seven letters or eleven digits (`r="onships"`, found by the mutation tests)
    /// overflows, a panic where overflow is checked (the dev and test builds) and a wrapped
    /// position elsewhere. The panic is caught and becomes the sheet's error.
    fn next_cell(&mut self) -> Result<Option<calamine::Cell<DataRef<'a>>>, calamine::XlsxError> {
        let cells = &mut self.cells;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cells.next_cell()))
            .unwrap_or(Err(calamine::XlsxError::UnexpectedNode("cell reference out of range")))
    }

    /// The next row, its cells kept densely up to `width` columns (from column A).
    pub fn next_row(&mut self, width: u32) -> Result<Option<SheetRow>, calamine::XlsxError> {
        let first = match self.pending.take() {
            Some(c) => c,
            None if self.done => return Ok(None),
            None => match self.next_cell()? {
                Some(c) => c,
                None => {
                    self.done = true;
                    return Ok(None);
                }
            },
        };
        let (row, col) = first.get_position();
        let mut out = SheetRow { row, ..Default::default() };
        out.put(col, first.get_value().clone().into(), width);
        loop {
            let Some(c) = self.next_cell()? else {
                self.done = true;
                break;
            };
            let (r, col) = c.get_position();
            if r != row {
                self.pending = Some(c);
                break;
            }
            out.put(col, c.get_value().clone().into(), width);
        }
        Ok(Some(out))
    }
}

/// The Excel name of a 0-based column (0 → A, 16383 → XFD).
pub fn column_name(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(b'A' + r);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}


#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const NS: &str = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A minimal workbook, by hand: one sheet (`rows` is its sheetData) and, if given, a
    /// shared-strings part.
    fn xlsx(rows: &str, shared: Option<&str>) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut part = |name: &str, text: &str| {
            z.start_file(name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        };
        part("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>");
        part("_rels/.rels", &format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"));
        part("xl/workbook.xml", &format!("<workbook {NS} xmlns:r=\"{REL}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"));
        part("xl/_rels/workbook.xml.rels", &format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{REL}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"));
        part("xl/worksheets/sheet1.xml", &format!("<worksheet {NS}><dimension ref=\"A1:XFD1048576\"/><sheetData>{rows}</sheetData></worksheet>"));
        if let Some(s) = shared {
            part("xl/sharedStrings.xml", s);
        }
        z.finish().unwrap().into_inner()
    }

    fn cell(r: &str, text: &str) -> String {
        format!("<c r=\"{r}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
    }

    /// Sets the uncompressed size the central directory declares for `name`.
    fn declare_size(bytes: &mut [u8], name: &str, size: u32) {
        let mut at = 0;
        while let Some(p) = memchr::memmem::find(&bytes[at..], b"PK\x01\x02") {
            let h = at + p;
            let len = u16::from_le_bytes([bytes[h + 28], bytes[h + 29]]) as usize;
            if &bytes[h + 46..h + 46 + len] == name.as_bytes() {
                bytes[h + 24..h + 28].copy_from_slice(&size.to_le_bytes());
            }
            at = h + 4;
        }
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn refusal(r: Result<Workbook, IngestError>) -> String {
        match r {
            Err(e @ IngestError::Workbook { .. }) => e.to_string(),
            Err(e) => panic!("not a workbook refusal: {e}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn a_file_that_is_no_zip_is_refused_naming_what_an_xlsx_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "cases.xlsx", "办件编号,大厅编码\nC1,H1\n".as_bytes());
        let e = refusal(open(&p));
        assert!(e.contains("cases.xlsx") && e.contains("not an XLSX workbook") && e.contains("zip"), "{e}");
        let p = write(&dir, "old.xlsx", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]);
        let e = refusal(open(&p));
        assert!(e.contains(".xls") && e.contains("password"), "{e}");
    }

    #[test]
    fn a_declared_unique_count_beyond_the_bound_is_refused_before_calamine_reserves_it() {
        let dir = tempfile::tempdir().unwrap();
        let rows = format!("<row r=\"1\">{}</row>", cell("A1", "x"));
        let sst = "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"4000000000\"><si><t>a</t></si></sst>";
        let p = write(&dir, "huge-sst.xlsx", &xlsx(&rows, Some(sst)));
        let e = refusal(open(&p));
        assert!(e.contains("huge-sst.xlsx") && e.contains("uniqueCount=\"4000000000\"") && e.contains("xl/sharedStrings.xml"), "{e}");
        // A decoy in a comment, a `>` inside an attribute, a namespace prefix: the real tag counts.
        let sst = "<!-- <sst uniqueCount=\"1\"> --><x:sst xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" a=\">\" uniqueCount = '20000000'><x:si><x:t>a</x:t></x:si></x:sst>";
        let e = refusal(open(&write(&dir, "decoy.xlsx", &xlsx(&rows, Some(sst)))));
        assert!(e.contains("20000000"), "{e}");
        // Within the bound but more than the part could hold.
        let sst = "<sst uniqueCount=\"1000\"><si><t>a</t></si></sst>";
        let e = refusal(open(&write(&dir, "lying.xlsx", &xlsx(&rows, Some(sst)))));
        assert!(e.contains("at most 11"), "{e}");
        // An honest one opens.
        let sst = "<sst count=\"2\" uniqueCount=\"2\"><si><t>a</t></si><si><t>b</t></si></sst>";
        assert!(open(&write(&dir, "ok.xlsx", &xlsx(&rows, Some(sst)))).is_ok());
    }

    #[test]
    fn the_strings_a_part_really_holds_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let rows = format!("<row r=\"1\">{}</row>", cell("A1", "x"));
        let sst = format!("<sst>{}</sst>", "<si><t>a</t></si><x:si/>".repeat(40_000));
        let p = write(&dir, "many.xlsx", &xlsx(&rows, Some(&sst)));
        let limits = Limits { max_shared_strings: 79_999, ..LIMITS };
        let e = refusal(open_with(&p, &limits));
        assert!(e.contains("more than 79999 shared strings"), "{e}");
        assert!(open_with(&p, &Limits { max_shared_strings: 80_000, ..LIMITS }).is_ok());
        // The counter finds tags cut by any chunk boundary, and not closing tags.
        let text = b"<sst><si>a</si><x:si/><si\n/></x:si><sis/></sst>";
        for step in 1..text.len() {
            let mut c = TagCounter::default();
            text.chunks(step).for_each(|ch| c.feed(ch));
            assert_eq!(c.n, 3, "chunks of {step}");
        }
    }

    #[test]
    fn declared_sizes_bound_every_part_and_the_whole() {
        let dir = tempfile::tempdir().unwrap();
        let rows = format!("<row r=\"1\">{}</row>", cell("A1", "x"));
        // A sheet declaring 3 GiB (a crafted directory; the zip reader stops an entry there).
        let mut bytes = xlsx(&rows, None);
        declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 3 << 30);
        let e = refusal(open(&write(&dir, "bomb.xlsx", &bytes)));
        assert!(e.contains("bomb.xlsx") && e.contains("xl/worksheets/sheet1.xml") && e.contains("3.0 GiB") && e.contains("2.0 GiB"), "{e}");
        // Styles read whole at open have a lower bound.
        let mut bytes = xlsx(&rows, None);
        declare_size(&mut bytes, "xl/workbook.xml", 100 << 20);
        let e = refusal(open(&write(&dir, "wb.xlsx", &bytes)));
        assert!(e.contains("xl/workbook.xml") && e.contains("64.0 MiB"), "{e}");
        // Real inflation: 2 MiB of padding (a few KB compressed) against lowered bounds.
        let big = format!("{rows}{}", " ".repeat(2 << 20));
        let p = write(&dir, "zeros.xlsx", &xlsx(&big, None));
        assert!(std::fs::metadata(&p).unwrap().len() < 64 << 10);
        let e = refusal(open_with(&p, &Limits { max_part: 1 << 20, ..LIMITS }));
        assert!(e.contains("xl/worksheets/sheet1.xml"), "{e}");
        let e = refusal(open_with(&p, &Limits { max_total: 1 << 20, ..LIMITS }));
        assert!(e.contains("together"), "{e}");
        let e = refusal(open_with(&p, &Limits { max_parts: 4, ..LIMITS }));
        assert!(e.contains("5 parts"), "{e}");
        assert!(open(&p).is_ok());
    }

    #[test]
    fn an_entry_inflating_past_its_declared_size_is_cut_off_not_read_on() {
        let dir = tempfile::tempdir().unwrap();
        let rows = format!("<row r=\"1\">{}</row><row r=\"2\">{}</row>", cell("A1", "x"), " ".repeat(1 << 20));
        let mut bytes = xlsx(&rows, None);
        declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 4096);
        let p = write(&dir, "short.xlsx", &bytes);
        let read = || -> Result<usize, String> {
            let mut wb = open(&p).map_err(|e| e.to_string())?;
            let mut sheet = SheetRows::open(&mut wb, "Sheet1").map_err(|e| e.to_string())?.ok_or("no sheet")?;
            let mut n = 0;
            while sheet.next_row(16).map_err(|e| e.to_string())?.is_some() {
                n += 1;
            }
            Ok(n)
        };
        let e = read().expect_err("the sheet was read past its declared size");
        assert!(e.contains("larger than its declared uncompressed size"), "{e}");
    }

    #[test]
    fn a_far_cell_costs_one_row_not_the_rectangle_up_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let rows = format!(
            "<row r=\"1\">{}{}</row><row r=\"2\">{}<c r=\"D2\"/></row><row r=\"1048576\">{}</row>",
            cell("A1", "票号"),
            cell("B1", "大厅编码"),
            cell("A2", "T1"),
            cell("XFD1048576", "far")
        );
        let p = write(&dir, "far.xlsx", &xlsx(&rows, None));
        let mut wb = open(&p).unwrap();
        let mut sheet = SheetRows::open(&mut wb, "Sheet1").unwrap().unwrap();
        let r = sheet.next_row(1024).unwrap().unwrap();
        assert_eq!((r.row, r.dense.len(), r.far_count), (0, 2, 0));
        let r = sheet.next_row(2).unwrap().unwrap();
        assert_eq!((r.row, r.dense.len(), r.is_blank()), (1, 1, false), "an empty cell adds nothing");
        let r = sheet.next_row(2).unwrap().unwrap();
        assert_eq!((r.row, r.dense.len(), r.far.len(), r.far_count), (1_048_575, 0, 1, 1));
        assert_eq!(r.far[0].0, 16_383);
        assert!(sheet.next_row(2).unwrap().is_none());
        assert_eq!([column_name(0), column_name(25), column_name(26), column_name(1023), column_name(16_383)], ["A", "Z", "AA", "AMJ", "XFD"]);
    }
}
