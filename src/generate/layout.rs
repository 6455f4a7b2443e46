//! Which export files the sample set has, how each one spells its values, and which records (as
//! of which export instant) each one holds.
//!
//! Between them the files use every form the contract accepts: GB18030 and UTF-8 (with and
//! without BOM) CSV, a tab-separated file, XLSX with real date cells and text dates, JSON Lines
//! with Chinese and with canonical keys, every header alias, every timestamp/date/boolean form
//! and missing marker, case types as labels and codes, levels as labels, synonyms and numbers.
//! Cases, ratings and denials come in an earlier export (2026-10-15) and a later one
//! (2026-11-03) that overlap; the later one is ingested after and supersedes by key.

use super::model::{Case, Denial, Rating, Ticket, Ts, at, ymd};
use super::writers::{BoolForm, CaseTypeStyle, DateForm, Encoding, Format, Headers, LevelStyle, Missing, Style, TsForm};
use crate::contract::{NumericLevels, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileId {
    /// tickets, August: GB18030, CRLF, Chinese headers.
    T1,
    /// tickets, September: tab-separated UTF-8 with BOM, second Chinese aliases.
    T2,
    /// tickets, October: XLSX, third aliases, Excel date cells.
    T3,
    /// tickets, November (after the as-of instant): JSON Lines, canonical keys.
    T4,
    /// cases of halls A and B exported 2026-10-15: UTF-8 with BOM, Chinese headers.
    C1,
    /// cases of halls A and B exported 2026-11-03: XLSX, second aliases, case types as codes.
    C2,
    /// cases of hall C exported 2026-11-03: JSON Lines, canonical keys, JSON numbers.
    C3,
    /// ratings exported 2026-10-15: JSON Lines with Chinese keys.
    R1,
    /// hall B's window evaluators (窗口评价器): UTF-8 CSV without BOM, canonical headers, numeric
    /// levels 1 = 非常不满意.
    R2,
    /// ratings exported 2026-11-03: GB18030 CSV, second aliases, quoted comments.
    R3,
    /// denial register of halls A and B exported 2026-10-15: GB18030, Chinese headers.
    D1,
    /// denial register of halls A and B exported 2026-11-03: JSON Lines, canonical keys.
    D2,
    /// hall C's register kept in Excel: XLSX, second aliases.
    D3,
    /// rows entered late (补录) into the register: UTF-8 CSV, third aliases.
    D4,
}

/// Where a rating or register row comes from, besides its hall and date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Main,
    /// Hall B's window evaluators export on their own.
    Device,
    /// Rows entered late into the register (补录).
    Supplement,
}

pub struct FileSpec {
    pub id: FileId,
    pub table: Table,
    pub path: String,
    pub style: Style,
    /// The instant the export was taken: records show what had happened by then.
    pub exported_at: Ts,
    pub numeric_levels: Option<NumericLevels>,
}

impl FileSpec {
    /// A file of `table` written in `style`, exported at `exported_at`, with its levels in words.
    fn new(id: FileId, table: Table, path: impl Into<String>, style: Style, exported_at: Ts) -> FileSpec {
        FileSpec { id, table, path: path.into(), style, exported_at, numeric_levels: None }
    }
}

/// The halls by role: A and B share the overlapping exports, C has its own systems.
#[derive(Debug, Clone)]
pub struct Roles {
    pub a: String,
    pub b: String,
    pub c: String,
}

pub const EARLY: (i32, u32, u32) = (2026, 10, 15);
pub const LATE: (i32, u32, u32) = (2026, 11, 3);

pub fn early() -> Ts {
    at(ymd(EARLY.0, EARLY.1, EARLY.2), 8, 0, 0)
}

pub fn late() -> Ts {
    at(ymd(LATE.0, LATE.1, LATE.2), 8, 0, 0)
}

fn overlap_start() -> Ts {
    at(ymd(2026, 9, 1), 0, 0, 0)
}

/// The files in ingest order (later exports after earlier ones).
pub fn plan(roles: &Roles) -> Vec<FileSpec> {
    let mut v = tickets_files();
    v.extend(cases_files(roles));
    v.extend(ratings_files(roles));
    v.extend(denials_files(roles));
    v
}

/// A CSV format.
fn csv(delimiter: u8, encoding: Encoding, crlf: bool, quote_all: bool) -> Format {
    Format::Csv { delimiter, encoding, crlf, quote_all }
}

/// The queue system's monthly exports, one in each format.
fn tickets_files() -> Vec<FileSpec> {
    use FileId::*;
    let mut v = Vec::new();
    let mut s = Style::new(csv(b',', Encoding::Gb18030, true, false), Headers::Zh(0));
    s.ts = vec![TsForm::Full];
    s.bools = vec![BoolForm::ShiFou];
    s.missing = vec![Missing::Empty, Missing::Dash];
    v.push(FileSpec::new(T1, Table::Tickets, "tickets_2026-08.csv", s, at(ymd(2026, 9, 1), 8, 0, 0)));

    let mut s = Style::new(csv(b'\t', Encoding::Utf8Bom, false, false), Headers::Zh(1));
    s.ts = vec![TsForm::Slash];
    s.bools = vec![BoolForm::YnUpper, BoolForm::YnLower];
    s.missing = vec![Missing::NullUpper, Missing::Empty];
    s.pad_text = true;
    v.push(FileSpec::new(T2, Table::Tickets, "tickets_2026-09.tsv", s, at(ymd(2026, 10, 8), 8, 0, 0)));

    let mut s = Style::new(Format::Xlsx, Headers::Zh(2));
    s.ts = vec![TsForm::Full, TsForm::Minute];
    s.by_column = vec![("issued_at", vec![TsForm::Excel]), ("finished_at", vec![TsForm::Excel])];
    s.bools = vec![BoolForm::Native, BoolForm::OneZero];
    s.missing = vec![Missing::Native, Missing::Dash];
    s.sheet = "排队叫号记录";
    v.push(FileSpec::new(T3, Table::Tickets, "tickets_2026-10.xlsx", s, at(ymd(2026, 11, 2), 8, 0, 0)));

    let mut s = Style::new(Format::Jsonl, Headers::Canonical);
    s.ts = vec![TsForm::T, TsForm::Full];
    s.bools = vec![BoolForm::Native, BoolForm::TrueFalseUpper, BoolForm::TrueFalseTitle];
    s.missing = vec![Missing::Native, Missing::Omit, Missing::NullLower];
    v.push(FileSpec::new(T4, Table::Tickets, "tickets_2026-11.jsonl", s, at(ymd(2026, 11, 5), 8, 0, 0)));
    v
}

/// The business system's exports of cases, early and late.
fn cases_files(roles: &Roles) -> Vec<FileSpec> {
    use FileId::*;
    let mut v = Vec::new();
    let mut s = Style::new(csv(b',', Encoding::Utf8Bom, false, false), Headers::Zh(0));
    s.ts = vec![TsForm::Full, TsForm::Minute];
    s.dates = vec![DateForm::Dash, DateForm::Slash];
    s.bools = vec![BoolForm::ShiFou, BoolForm::YnUpper];
    s.missing = vec![Missing::Empty, Missing::Dash];
    s.case_type = CaseTypeStyle::Labels;
    s.pad_text = true;
    v.push(FileSpec::new(C1, Table::Cases, "cases_2026-10-15.csv", s, early()));

    let mut s = Style::new(Format::Jsonl, Headers::Canonical);
    s.ts = vec![TsForm::Full, TsForm::T];
    s.dates = vec![DateForm::Dash];
    s.bools = vec![BoolForm::Native, BoolForm::ShiFou];
    s.missing = vec![Missing::Native, Missing::Omit];
    s.case_type = CaseTypeStyle::Mixed;
    s.numbers = true;
    v.push(FileSpec::new(C3, Table::Cases, format!("cases_{}_2026-11-03.jsonl", roles.c), s, late()));

    let mut s = Style::new(Format::Xlsx, Headers::Zh(1));
    s.ts = vec![TsForm::Full];
    s.by_column = vec![
        ("accepted_at", vec![TsForm::Excel]),
        ("completed_at", vec![TsForm::Slash]),
        ("supplement_due", vec![TsForm::Excel]),
        ("overdue_notified_at", vec![TsForm::Excel]),
    ];
    s.dates = vec![DateForm::Slash];
    s.bools = vec![BoolForm::TrueFalse, BoolForm::Native];
    s.missing = vec![Missing::Native, Missing::NullUpper];
    s.case_type = CaseTypeStyle::Codes;
    s.sheet = "办件记录";
    v.push(FileSpec::new(C2, Table::Cases, "cases_2026-11-03.xlsx", s, late()));
    v
}

/// The evaluators' exports of ratings, early and late.
fn ratings_files(roles: &Roles) -> Vec<FileSpec> {
    use FileId::*;
    let mut v = Vec::new();
    let mut s = Style::new(Format::Jsonl, Headers::Zh(0));
    s.ts = vec![TsForm::Full];
    s.dates = vec![DateForm::Dash];
    s.missing = vec![Missing::Native, Missing::Omit, Missing::Empty];
    s.levels = LevelStyle::Synonyms;
    v.push(FileSpec::new(R1, Table::Ratings, "ratings_2026-10-15.jsonl", s, early()));

    let dir = NumericLevels::OneIsWorst;
    let mut s = Style::new(csv(b',', Encoding::Utf8, false, false), Headers::Canonical);
    s.ts = vec![TsForm::Minute, TsForm::Full];
    s.dates = vec![DateForm::Dash];
    s.missing = vec![Missing::Empty, Missing::NullLower];
    s.levels = LevelStyle::Numeric(dir);
    v.push(FileSpec { numeric_levels: Some(dir), ..FileSpec::new(R2, Table::Ratings, format!("ratings_evaluator_{}.csv", roles.b), s, late()) });

    let mut s = Style::new(csv(b',', Encoding::Gb18030, true, true), Headers::Zh(1));
    s.ts = vec![TsForm::Full, TsForm::Slash];
    s.dates = vec![DateForm::Slash, DateForm::Dash];
    s.missing = vec![Missing::Empty, Missing::NullLower, Missing::Dash];
    s.levels = LevelStyle::Synonyms;
    v.push(FileSpec::new(R3, Table::Ratings, "ratings_2026-11-03.csv", s, late()));
    v
}

/// The denial registers, early, supplemented and late.
fn denials_files(roles: &Roles) -> Vec<FileSpec> {
    use FileId::*;
    let mut v = Vec::new();
    let mut s = Style::new(csv(b',', Encoding::Gb18030, true, false), Headers::Zh(0));
    s.ts = vec![TsForm::Full];
    s.bools = vec![BoolForm::ShiFou];
    s.missing = vec![Missing::Empty, Missing::NullUpper];
    v.push(FileSpec::new(D1, Table::Denials, "denials_2026-10-15.csv", s, early()));

    let mut s = Style::new(csv(b',', Encoding::Utf8, false, false), Headers::Zh(2));
    s.ts = vec![TsForm::T];
    s.bools = vec![BoolForm::OneZero];
    s.missing = vec![Missing::Empty, Missing::Dash];
    v.push(FileSpec::new(D4, Table::Denials, "denials_supplement_2026-10-28.csv", s, at(ymd(2026, 10, 28), 8, 0, 0)));

    let mut s = Style::new(Format::Xlsx, Headers::Zh(1));
    s.ts = vec![TsForm::Slash];
    s.by_column = vec![("decided_at", vec![TsForm::Excel])];
    s.bools = vec![BoolForm::Native, BoolForm::ShiFou];
    s.missing = vec![Missing::Native];
    s.sheet = "否定备案登记";
    v.push(FileSpec::new(D3, Table::Denials, format!("denials_{}.xlsx", roles.c), s, late()));

    let mut s = Style::new(Format::Jsonl, Headers::Canonical);
    s.ts = vec![TsForm::Full, TsForm::Minute];
    s.bools = vec![BoolForm::Native, BoolForm::YnUpper, BoolForm::YnLower];
    s.missing = vec![Missing::Native, Missing::Omit];
    v.push(FileSpec::new(D2, Table::Denials, "denials_2026-11-03.jsonl", s, late()));
    v
}

/// The ticket file of a ticket (tickets have no overlapping exports).
pub fn ticket_file(t: &Ticket) -> FileId {
    use chrono::Datelike;
    match (t.issued_at.year(), t.issued_at.month()) {
        (2026, 8) => FileId::T1,
        (2026, 9) => FileId::T2,
        (2026, 10) => FileId::T3,
        _ => FileId::T4,
    }
}

/// The files a case appears in.
pub fn case_files(c: &Case, roles: &Roles) -> Vec<FileId> {
    if c.hall_id == roles.c {
        return vec![FileId::C3];
    }
    overlapping(c.accepted_at, FileId::C1, FileId::C2)
}

pub fn rating_files(r: &Rating, route: Route) -> Vec<FileId> {
    if route == Route::Device {
        return vec![FileId::R2];
    }
    overlapping(r.rated_at, FileId::R1, FileId::R3)
}

pub fn denial_files(d: &Denial, route: Route, roles: &Roles) -> Vec<FileId> {
    if d.hall_id == roles.c {
        return vec![FileId::D3];
    }
    if route == Route::Supplement {
        return vec![FileId::D4];
    }
    overlapping(d.decided_at, FileId::D1, FileId::D2)
}

/// A record made at `t` in the two overlapping exports of its table: the early one (taken at
/// `early()`) when made by then, the later one when made from `overlap_start()` on.
fn overlapping(t: Ts, early_file: FileId, later_file: FileId) -> Vec<FileId> {
    let mut v = Vec::new();
    if t <= early() {
        v.push(early_file);
    }
    if t >= overlap_start() {
        v.push(later_file);
    }
    v
}
