//! An official document (公文) as data, and the page it is set on: the 通报, the register and
//! later the 月考核 are built as a [`Document`] — the frame of GB/T 9704-2012 (发文机关, 发文字号,
//! 主送, 落款 and date) around a list of blocks (title, headings, paragraphs, tables) — and written
//! by two writers from the same model: DOCX (`docx`, for editing in WPS/Word) and PDF (`pdf`,
//! with an embedded CJK font subset). Both writers are behind the `documents` feature; the model
//! and the page arithmetic here are not, so reports build documents the same with or without it.

use chrono::NaiveDate;

/// What a document is made of, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title (标题): 2号 小标宋, centred.
    Title(String),
    /// A heading of level 1–4: 一、(黑体) （一）(楷体) 1.(仿宋 bold) （1）(仿宋).
    Heading(u8, String),
    /// Body text, first line indented two characters.
    Paragraph(String),
    Table(Table),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The official frame around the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// 发文机关: the office's name, as the red masthead and the signature (落款).
    pub issuer: String,
    /// 发文字号, e.g. 济医保监〔2026〕10号; none when the office has not configured one.
    pub doc_number: Option<String>,
    /// 主送 (without the colon).
    pub addressee: Option<String>,
    /// 成文日期.
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Portrait,
    /// For wide tables (the register): the same margins turned with the page.
    Landscape,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub frame: Frame,
    pub blocks: Vec<Block>,
    pub orientation: Orientation,
}

/// The two written forms (`report monthly --format docx|pdf`; an argument, so `config` holds it).
pub use crate::config::DocFormat;

impl DocFormat {
    /// The document a register format asks for (docx, pdf), if any.
    pub fn of_register(f: crate::config::RegisterFormat) -> Option<DocFormat> {
        match f {
            crate::config::RegisterFormat::Docx => Some(DocFormat::Docx),
            crate::config::RegisterFormat::Pdf => Some(DocFormat::Pdf),
            crate::config::RegisterFormat::Xlsx | crate::config::RegisterFormat::Csv => None,
        }
    }

    pub fn parse(s: &str) -> Option<DocFormat> {
        match s {
            "docx" => Some(DocFormat::Docx),
            "pdf" => Some(DocFormat::Pdf),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            DocFormat::Docx => "docx",
            DocFormat::Pdf => "pdf",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            DocFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            DocFormat::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("--format {0} needs the `documents` feature, and this windowwatch was built without it (cargo build --features documents)")]
    NotBuilt(&'static str),
    #[error(
        "no CJK font for the PDF: looked for {looked}. Install one (apt-get install fonts-noto-cjk, or fonts-wqy-zenhei) or name a font file in windowwatch.toml: [documents] fonts = [\"/path/to/font.ttc\"]"
    )]
    NoFont { looked: String },
    #[error("font {path}: {message}")]
    Font { path: String, message: String },
    #[error("writing the {format}: {message}")]
    Write { format: &'static str, message: String },
}

/// Fills a 发文字号 template: `{year}` the year, `{seq}` the sequence number.
pub fn doc_number(template: &str, year: i32, seq: u32) -> String {
    template.replace("{year}", &year.to_string()).replace("{seq}", &seq.to_string())
}

/// Writes a document in one of the two forms; `fonts` are the configured PDF fonts.
pub fn write(doc: &Document, format: DocFormat, fonts: &[std::path::PathBuf]) -> Result<Vec<u8>, DocumentError> {
    #[cfg(feature = "documents")]
    {
        match format {
            DocFormat::Docx => super::docx::write(doc),
            DocFormat::Pdf => super::pdf::write(doc, fonts),
        }
    }
    #[cfg(not(feature = "documents"))]
    {
        let _ = (doc, fonts);
        Err(DocumentError::NotBuilt(format.ext()))
    }
}

// ---------------------------------------------------------------------------------------------
// The page (GB/T 9704-2012 §5.2): A4, text block 156 × 225 mm, top margin 37 mm, left 28 mm,
// 22 lines of 28 characters of 3号 (16 pt).

pub const MM_PER_INCH: f64 = 25.4;

pub fn mm_to_pt(mm: f64) -> f64 {
    mm * 72.0 / MM_PER_INCH
}

/// Twentieths of a point, the unit of WordprocessingML page measures.
pub fn mm_to_twips(mm: f64) -> i64 {
    (mm * 1440.0 / MM_PER_INCH).round() as i64
}

pub fn pt_to_twips(pt: f64) -> i64 {
    (pt * 20.0).round() as i64
}

/// Point sizes of the Chinese size names used here.
pub const SIZE_2HAO: f64 = 22.0;
pub const SIZE_3HAO: f64 = 16.0;
pub const SIZE_4HAO: f64 = 14.0;

/// A page: its size and margins in millimetres, and the grid of its text block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Page {
    pub width: f64,
    pub height: f64,
    pub top: f64,
    pub left: f64,
    pub text_width: f64,
    pub text_height: f64,
    pub lines: u32,
    pub chars: u32,
}

const LINE_MM: f64 = 225.0 / 22.0;
const CHAR_MM: f64 = 156.0 / 28.0;

impl Page {
    pub fn of(o: Orientation) -> Page {
        match o {
            Orientation::Portrait => Page { width: 210.0, height: 297.0, top: 37.0, left: 28.0, text_width: 156.0, text_height: 225.0, lines: 22, chars: 28 },
            // Turned: the same line and character pitch, 15 lines of 40 characters.
            Orientation::Landscape => Page {
                width: 297.0,
                height: 210.0,
                top: 28.0,
                left: 37.0,
                text_width: 225.0,
                text_height: 156.0,
                lines: (156.0 / LINE_MM) as u32,
                chars: (225.0 / CHAR_MM) as u32,
            },
        }
    }

    pub fn right(&self) -> f64 {
        self.width - self.left - self.text_width
    }

    pub fn bottom(&self) -> f64 {
        self.height - self.top - self.text_height
    }

    /// The line pitch: 225 mm / 22 lines.
    pub fn line_pitch_mm(&self) -> f64 {
        LINE_MM
    }

    /// The line pitch in twips, rounded down so that 22 lines fit the block (579, as the
    /// national template has it: 580 would leave room for 21).
    pub fn line_pitch_twips(&self) -> i64 {
        (LINE_MM * 1440.0 / MM_PER_INCH).floor() as i64
    }

    /// The character pitch: 156 mm / 28 characters.
    pub fn char_pitch_mm(&self) -> f64 {
        CHAR_MM
    }

    /// `w:docGrid w:charSpace`: how far the grid's character pitch is from the 16 pt body size,
    /// in 1/4096 of a point (negative: characters a little closer than their size).
    pub fn char_space(&self) -> i64 {
        ((mm_to_pt(CHAR_MM) - SIZE_3HAO) * 4096.0).round() as i64
    }
}

/// The point size of a table's text: smaller as it has more columns, so that a line of cells
/// fits the text block.
pub fn table_size(columns: usize) -> f64 {
    match columns {
        0..=6 => 12.0,
        7..=10 => 10.5,
        _ => 9.0,
    }
}

/// Display width of text in em: CJK and full-width characters 1, others ½.
pub fn em_width(text: &str) -> f64 {
    text.chars().map(|c| if is_wide(c) { 1.0 } else { 0.5 }).sum()
}

pub fn is_wide(c: char) -> bool {
    let u = c as u32;
    (0x1100..=0x115F).contains(&u) || (0x2E80..=0xA4CF).contains(&u) || (0xAC00..=0xD7A3).contains(&u) || (0xF900..=0xFAFF).contains(&u) || (0xFE30..=0xFE4F).contains(&u) || (0xFF00..=0xFF60).contains(&u) || (0xFFE0..=0xFFE6).contains(&u) || u == 0x2014
}

/// Column widths summing to `total`, for text `em` wide per character (in the same unit) and
/// cells `measure`d in em (e.g. [`em_width`]):
/// each column wants its widest cell (capped at 12 em) and needs its header's first four
/// characters and its cells' first six (2 em at least). When the wants do not fit, every column keeps its need and
/// the rest is shared in proportion to what each wants beyond it; so short codes stay whole and
/// long text wraps.
pub fn column_widths(t: &Table, total: f64, em: f64, measure: impl Fn(&str) -> f64) -> Vec<f64> {
    let n = t.header.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    if n == 0 {
        return Vec::new();
    }
    let mut need: Vec<f64> = (0..n).map(|j| t.header.get(j).map(|h| measure(h).clamp(2.0, 4.0)).unwrap_or(2.0)).collect();
    let mut want = need.clone();
    for row in t.rows.iter() {
        for (j, c) in row.iter().enumerate() {
            let e = measure(c);
            need[j] = need[j].max(e.min(6.0));
            want[j] = want[j].max(e.min(12.0));
        }
    }
    let (sum_need, sum_want): (f64, f64) = (need.iter().sum(), want.iter().sum());
    if sum_want * em <= total || sum_need * em >= total || sum_want <= sum_need {
        let base = if sum_need * em >= total { &need } else { &want };
        let sum: f64 = base.iter().sum();
        return base.iter().map(|e| e / sum * total).collect();
    }
    let spare = total - sum_need * em;
    need.iter().zip(&want).map(|(n, w)| n * em + (w - n) / (sum_want - sum_need) * spare).collect()
}

/// Characters that may not begin a line (行首禁则): they hang at the end of the previous one.
fn no_line_start(c: char) -> bool {
    "，。、；：？！）」』》〉】”’,.;:?!)%".contains(c)
}

/// Breaks text into lines no wider than `width`, measuring each character with `advance`: CJK
/// anywhere, a run of Latin letters and digits kept whole when it fits a line, closing
/// punctuation never at the start of a line. Newlines break.
pub fn wrap(text: &str, width: f64, advance: impl Fn(char) -> f64) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        wrap_one(para, width, &advance, &mut lines);
    }
    lines
}

fn wrap_one(text: &str, width: f64, advance: &impl Fn(char) -> f64, lines: &mut Vec<String>) {
    let mut line = String::new();
    let mut w = 0.0;
    for token in tokens(text) {
        let tw: f64 = token.chars().map(advance).sum();
        let hangs = token.chars().next().is_some_and(no_line_start);
        if w + tw > width + 1e-6 && !line.is_empty() && !hangs {
            w = break_line(&mut line, lines, advance);
        }
        if tw > width + 1e-6 {
            // A token wider than a line (a long code): broken by character.
            for c in token.chars() {
                let cw = advance(c);
                if w + cw > width + 1e-6 && !line.is_empty() && !no_line_start(c) {
                    w = break_line(&mut line, lines, advance);
                }
                line.push(c);
                w += cw;
            }
        } else {
            line.push_str(token);
            w += tw;
        }
    }
    lines.push(line);
}

/// Ends a line; opening brackets at its end (行尾禁则) move to the next, whose width is returned.
fn break_line(line: &mut String, lines: &mut Vec<String>, advance: &impl Fn(char) -> f64) -> f64 {
    let mut carry = String::new();
    while line.chars().count() > 1 && line.chars().last().is_some_and(no_line_end) {
        if let Some(c) = line.pop() {
            carry.insert(0, c);
        }
    }
    lines.push(std::mem::replace(line, carry));
    line.chars().map(advance).sum()
}

/// Characters that may not end a line: opening brackets and quotes.
fn no_line_end(c: char) -> bool {
    "（「『《〈【“‘(".contains(c)
}

/// Words of Latin letters and digits stay together; every other character is its own token.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, s) => {
                if let Some(s) = s {
                    out.push(&text[s..i]);
                    start = None;
                }
                out.push(&text[i..i + c.len_utf8()]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The date as a 公文 writes it: 2026年11月1日.
pub fn zh_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Text a document may carry: XML 1.0 and PDF strings refuse most control characters, and a
/// cell from an export may hold any; they become spaces (tabs too), newlines stay.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if c == '\n' { c } else if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gb9704_page_in_twips_and_points() {
        let p = Page::of(Orientation::Portrait);
        assert_eq!(mm_to_twips(p.top), 2098);
        assert_eq!(mm_to_twips(p.left), 1587);
        assert_eq!(mm_to_twips(p.right()), 1474);
        assert_eq!(mm_to_twips(p.bottom()), 1984);
        assert_eq!(mm_to_twips(p.width), 11906);
        assert_eq!(mm_to_twips(p.height), 16838);
        // 22 lines in 225 mm: a 29 pt line.
        assert_eq!(p.line_pitch_twips(), 579);
        assert!(22 * p.line_pitch_twips() <= mm_to_twips(p.text_height));
        assert!((mm_to_pt(p.line_pitch_mm()) - 28.99).abs() < 0.01);
        assert!((mm_to_pt(p.char_pitch_mm()) - 15.79).abs() < 0.01);
        assert_eq!(p.char_space(), -848);
        assert!((mm_to_pt(210.0) - 595.28).abs() < 0.01);
        let l = Page::of(Orientation::Landscape);
        assert_eq!((l.lines, l.chars), (15, 40));
        assert!((l.right() - 35.0).abs() < 1e-9 && (l.bottom() - 26.0).abs() < 1e-9);
    }

    #[test]
    fn wrapping_breaks_cjk_anywhere_keeps_words_and_hangs_punctuation() {
        let adv = |c: char| if is_wide(c) { 1.0 } else { 0.5 };
        assert_eq!(wrap("一二三四五六", 4.0, adv), vec!["一二三四", "五六"]);
        // The comma would begin line 2: it hangs at the end of line 1.
        assert_eq!(wrap("一二三四，五六", 4.0, adv), vec!["一二三四，", "五六"]);
        // A code stays whole when it fits on the next line.
        assert_eq!(wrap("窗口W01-02", 4.0, adv), vec!["窗口", "W01-02"]);
        // A code longer than a line is broken by character.
        assert_eq!(wrap("ABCDEFGHIJ", 2.0, adv), vec!["ABCD", "EFGH", "IJ"]);
        assert_eq!(wrap("甲\n乙", 4.0, adv), vec!["甲", "乙"]);
        // An opening bracket never ends a line: it goes down with what it opens.
        assert_eq!(wrap("一二三（四）", 4.0, adv), vec!["一二三", "（四）"]);
        assert_eq!(wrap("", 4.0, adv), vec![""]);
    }

    #[test]
    fn column_widths_follow_the_widest_cell_and_fill_the_block() {
        let t = Table { header: vec!["规则".into(), "说明".into()], rows: vec![vec!["a".into(), "很长很长很长很长很长很长很长很长很长很长".into()]] };
        let w = column_widths(&t, 140.0, 10.0, em_width);
        assert!((w.iter().sum::<f64>() - 140.0).abs() < 1e-9);
        assert!((w[0] - 20.0).abs() < 1e-9 && (w[1] - 120.0).abs() < 1e-9, "{w:?}");
        // Too narrow for the wants: the header's three characters stay, the long text gives way.
        let t = Table { header: vec!["申请人".into(), "理由".into(), "依据".into()], rows: vec![vec!["欧阳*".into(), "很".repeat(20), "很".repeat(20)]] };
        let w = column_widths(&t, 200.0, 10.0, em_width);
        assert!((w[0] - 30.0).abs() < 1e-9 && (w[1] - 85.0).abs() < 1e-9 && (w[2] - 85.0).abs() < 1e-9, "{w:?}");
        // Not even the needs fit: shared in their proportion.
        let w = column_widths(&t, 100.0, 10.0, em_width);
        assert!((w[0] - 20.0).abs() < 1e-9, "{w:?}");
        assert_eq!(table_size(4), 12.0);
        assert_eq!(table_size(11), 9.0);
    }

    #[test]
    fn the_doc_number_and_the_date_as_a_document_writes_them() {
        assert_eq!(doc_number("济医保监〔{year}〕{seq}号", 2026, 10), "济医保监〔2026〕10号");
        assert_eq!(zh_date(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()), "2026年11月1日");
        assert_eq!(clean("a\u{1}b\tc\nd"), "a b c\nd");
    }
}
