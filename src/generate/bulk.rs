//! Province-scale exports, streamed: October 2026 for many halls, written as CSV by two threads
//! (each table half in UTF-8 with canonical headers, half in GB18030 with Chinese headers) while
//! the oracle judges every record the moment it is made.
//!
//! Memory stays flat: a hall's records are written as they are generated; only that hall's
//! findings and window tallies are held, sorted when the hall is done and appended to one
//! temporary file per rule and part. Part p takes every n-th hall from the p-th (so a later
//! part's keys interleave with an earlier one's, as a later export's do with the stored records),
//! each in id order: each of those files is already in the truth's order and the final
//! `ground_truth.jsonl` merges them.
//! Beside them, `bulk/staff.csv` lists every staff id the streamed exports use (a complete roster).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::model::{Case, Denial, Rating, Ticket, Ts, Val, at, label, ymd};
use super::oracle::{Finding, Oracle, RULES, Tallies, sort_findings};
use super::scenarios::{BAD_COMMENTS, DENIAL_REASONS, EXTENSION_REASONS, Item, LEGAL_BASES, SATISFIED_COMMENTS, by_share, random_item, wait_seconds};
use super::writers::{Encoding, Headers, header_of};
use super::{GenerateError, ManifestFile, names};
use crate::calendar::Calendar;
use crate::contract::{ColType, EnumKind, Table};

/// Province volume per month (the brief's figures).
pub const PROVINCE_TICKETS: f64 = 3_000_000.0;
/// Halls of a province; the volume per hall stays the same at every multiplier.
pub const PROVINCE_HALLS: f64 = 160.0;

const TMP_DIR: &str = ".truth-parts";

pub struct BulkOutput {
    pub files: Vec<ManifestFile>,
    pub halls: Vec<String>,
    tmp: PathBuf,
    parts: usize,
    /// The records, kept only when asked (tests compare the streamed truth with the oracle's
    /// in-memory evaluation).
    pub kept: Option<super::model::Records>,
    /// Every staff id of `bulk/staff.csv`.
    pub staff: BTreeSet<String>,
}

impl BulkOutput {
    pub fn truth_parts(&self, rule: &str) -> Vec<PathBuf> {
        (0..self.parts).map(|p| self.tmp.join(format!("{rule}.{p}.jsonl"))).filter(|p| p.exists()).collect()
    }

    /// The rule's findings of every part, merged into the truth's order (the parts' halls
    /// interleave, each part's findings are in order).
    pub fn merge_truth(&self, rule: &str, w: &mut dyn Write) -> Result<(), GenerateError> {
        use std::io::BufRead;
        let mut parts = Vec::new();
        for p in self.truth_parts(rule) {
            parts.push(std::io::BufReader::new(File::open(p)?).lines());
        }
        let mut next = |n: usize| -> Result<Option<(Finding, String)>, GenerateError> {
            match parts[n].next() {
                Some(line) => {
                    let line = line?;
                    let f: Finding = serde_json::from_str(&line).map_err(|e| GenerateError::Other(e.to_string()))?;
                    Ok(Some((f, line)))
                }
                None => Ok(None),
            }
        };
        let mut heads = Vec::new();
        for n in 0..self.truth_parts(rule).len() {
            heads.push(next(n)?);
        }
        while let Some(n) = (0..heads.len()).filter(|&n| heads[n].is_some()).min_by(|&a, &b| {
            let key = |n: usize| heads[n].as_ref().map(|h| h.0.sort_key());
            key(a).cmp(&key(b))
        }) {
            if let Some((_, line)) = std::mem::replace(&mut heads[n], next(n)?) {
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    pub fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

impl Drop for BulkOutput {
    /// The per-rule parts are scratch: gone once the truth is written (or the run failed).
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// The export instant of the streamed files.
fn exported_at() -> Ts {
    at(ymd(2026, 11, 3), 8, 0, 0)
}

/// A CSV file being streamed: rows are rendered into a buffer, encoded and written in chunks.
struct Stream {
    path: String,
    file: BufWriter<File>,
    buf: String,
    encoding: Encoding,
    headers: Headers,
    table: Table,
    rows: u64,
}

impl Stream {
    fn create(dir: &Path, rel: String, table: Table, encoding: Encoding, headers: Headers) -> Result<Stream, GenerateError> {
        let file = BufWriter::with_capacity(1 << 20, File::create(dir.join(&rel))?);
        let mut s = Stream { path: rel, file, buf: String::with_capacity(1 << 21), encoding, headers, table, rows: 0 };
        if encoding == Encoding::Utf8Bom {
            s.buf.push('\u{feff}');
        }
        let names: Vec<&str> = table.spec().columns.iter().map(|c| header_of(c, headers)).collect();
        s.buf.push_str(&names.join(","));
        s.buf.push('\n');
        Ok(s)
    }

    fn row(&mut self, cells: &[Val]) -> Result<(), GenerateError> {
        let spec = self.table.spec();
        for (i, (v, c)) in cells.iter().zip(spec.columns).enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            match v {
                Val::Null => {}
                Val::Text(s) | Val::Raw(s) => {
                    // Single-character searches: they run on the standard library's optimised memchr.
                    if s.contains(',') || s.contains('"') || s.contains('\n') || s.contains('\r') {
                        self.buf.push('"');
                        self.buf.push_str(&s.replace('"', "\"\""));
                        self.buf.push('"');
                    } else {
                        self.buf.push_str(s);
                    }
                }
                Val::Ts(t) => push_ts(&mut self.buf, *t),
                Val::Date(d) => push_date(&mut self.buf, *d),
                Val::Int(n) => self.buf.push_str(&n.to_string()),
                Val::Bool(b) => self.buf.push_str(match (self.headers, b) {
                    (Headers::Canonical, true) => "true",
                    (Headers::Canonical, false) => "false",
                    (_, true) => "是",
                    (_, false) => "否",
                }),
                Val::Label(l) => match c.ty {
                    ColType::Enum(EnumKind::CaseType) if self.headers == Headers::Canonical => {
                        self.buf.push_str(if *l == label::IMMEDIATE { "1" } else { "2" })
                    }
                    _ => self.buf.push_str(l),
                },
            }
        }
        self.buf.push('\n');
        self.rows += 1;
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        match self.encoding {
            Encoding::Gb18030 => {
                let mut bytes = Vec::with_capacity(self.buf.len());
                gb18030(&self.buf, &mut bytes);
                self.file.write_all(&bytes)?;
            }
            // The BOM, if any, is the first character of the first chunk.
            Encoding::Utf8 | Encoding::Utf8Bom => self.file.write_all(self.buf.as_bytes())?,
        }
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<ManifestFile, GenerateError> {
        self.flush()?;
        self.file.flush()?;
        Ok(ManifestFile {
            table: self.table.name().into(),
            path: self.path,
            format: "csv".into(),
            encoding: Some(self.encoding.name().into()),
            numeric_levels: None,
            rows: self.rows,
        })
    }
}

/// GB18030 bytes of the CJK ideographs U+4E00..=U+9FFF, built once with encoding_rs.
fn cjk_table() -> &'static [([u8; 4], u8)] {
    static TABLE: std::sync::OnceLock<Vec<([u8; 4], u8)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0x4E00u32..=0x9FFF)
            .map(|c| {
                let ch = char::from_u32(c).expect("a CJK ideograph");
                let mut tmp = [0u8; 4];
                let (bytes, _, _) = encoding_rs::GB18030.encode(ch.encode_utf8(&mut tmp));
                let mut out = [0u8; 4];
                out[..bytes.len()].copy_from_slice(&bytes);
                (out, bytes.len() as u8)
            })
            .collect()
    })
}

/// Encodes `s` as GB18030 into `out`: ASCII runs are copied, ideographs come from a table and
/// anything else (punctuation, full-width forms) goes through encoding_rs. The same bytes as
/// encoding_rs alone, several times faster on these mostly-ASCII rows.
pub fn gb18030(s: &str, out: &mut Vec<u8>) {
    let table = cjk_table();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i] < 0x80 {
            i += 1;
        }
        out.extend_from_slice(&b[start..i]);
        if i >= b.len() {
            break;
        }
        let len = match b[i] {
            x if x >= 0xF0 => 4,
            x if x >= 0xE0 => 3,
            _ => 2,
        };
        let piece = &s[i..i + len];
        let c = piece.chars().next().expect("a character") as u32;
        if (0x4E00..=0x9FFF).contains(&c) {
            let (bytes, n) = &table[(c - 0x4E00) as usize];
            out.extend_from_slice(&bytes[..*n as usize]);
        } else {
            out.extend_from_slice(&encoding_rs::GB18030.encode(piece).0);
        }
        i += len;
    }
}

fn push2(buf: &mut String, n: u32) {
    buf.push((b'0' + (n / 10) as u8) as char);
    buf.push((b'0' + (n % 10) as u8) as char);
}

fn push_date(buf: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    let y = d.year() as u32;
    push2(buf, y / 100);
    push2(buf, y % 100);
    buf.push('-');
    push2(buf, d.month());
    buf.push('-');
    push2(buf, d.day());
}

fn push_ts(buf: &mut String, t: Ts) {
    use chrono::Timelike;
    push_date(buf, t.date());
    buf.push(' ');
    push2(buf, t.hour());
    buf.push(':');
    push2(buf, t.minute());
    buf.push(':');
    push2(buf, t.second());
}

/// The four streams of one thread and its per-rule truth files.
struct Part {
    tickets: Stream,
    cases: Stream,
    ratings: Stream,
    denials: Stream,
    truth: Option<Vec<(String, BufWriter<File>)>>,
    keep: Option<super::model::Records>,
}

struct HallGen<'a> {
    rng: ChaCha8Rng,
    cal: &'a Calendar,
    hall: String,
    windows: Vec<(String, Vec<String>)>,
    oracle: Option<&'a Oracle<'a>>,
    findings: Vec<Finding>,
    tallies: Tallies,
    seq: u32,
}

fn write_out(part: &mut Part, g: &mut HallGen, rec: Rec) -> Result<(), GenerateError> {
    let x = exported_at();
    match rec {
        Rec::Ticket(t) => {
            if t.issued_at > x {
                return Ok(());
            }
            part.tickets.row(&t.cells())?;
            if let Some(o) = g.oracle {
                o.ticket(&t, &mut g.findings);
            }
            if let Some(k) = &mut part.keep {
                k.tickets.push(t);
            }
        }
        Rec::Case(c, reg) => {
            let Some(c) = c.exported_at(x) else { return Ok(()) };
            part.cases.row(&c.cells())?;
            let reg = reg.and_then(|(d, linked)| d.exported_at(x).map(|d| (d, linked)));
            if let Some((d, _)) = &reg {
                part.denials.row(&d.cells())?;
            }
            if let Some(o) = g.oracle {
                o.case(&c, &mut g.findings);
                let registered = reg.as_ref().is_some_and(|(d, linked)| *linked && d.decided_at <= o.t);
                o.unregistered(&c, registered, &mut g.findings);
                if let Some((d, linked)) = &reg {
                    o.denial(d, if *linked { Some(&c) } else { None }, &mut g.findings);
                }
            }
            if let Some(k) = &mut part.keep {
                if let Some((d, _)) = reg {
                    k.denials.push(d);
                }
                k.cases.push(c);
            }
        }
        Rec::Rating(r) => {
            let Some(r) = r.exported_at(x) else { return Ok(()) };
            part.ratings.row(&r.cells())?;
            if let Some(o) = g.oracle {
                o.rating(&r, &mut g.findings);
                o.tally(&r, &mut g.tallies);
            }
            if let Some(k) = &mut part.keep {
                k.ratings.push(r);
            }
        }
    }
    Ok(())
}

#[allow(clippy::large_enum_variant)]
enum Rec {
    Ticket(Ticket),
    /// A case and its register row; `false` = the row names a case that is not in the export.
    Case(Case, Option<(Denial, bool)>),
    Rating(Rating),
}

impl HallGen<'_> {
    fn time(&mut self, d: NaiveDate, h0: u32, h1: u32) -> Ts {
        let s = self.rng.random_range(h0 * 3600..h1 * 3600);
        at(d, s / 3600, (s / 60) % 60, s % 60)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    fn next_id(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    /// One visit: the ticket, maybe a case (and its register row), maybe a rating.
    /// `tag` is the day as YYYYMMDD (ids are made from it).
    fn visit(&mut self, part: &mut Part, wi: usize, tag: &str, issued: Ts) -> Result<(), GenerateError> {
        let item: &'static Item = random_item(&mut self.rng);
        let x: f64 = self.rng.random();
        let status = by_share(x, &[(0.90, label::SERVED), (0.95, label::NO_SHOW), (0.995, label::CANCELLED)], label::NEVER_CALLED);
        let wait = wait_seconds(&mut self.rng);
        let called = (status == label::SERVED || status == label::NO_SHOW).then(|| issued + Duration::seconds(wait));
        let finished = (status == label::SERVED).then(|| called.expect("served") + Duration::seconds(self.rng.random_range(120..1500)));
        let (win, staff) = {
            let (w, s) = &self.windows[wi];
            (w.clone(), s[self.rng.random_range(0..s.len())].clone())
        };
        let n = self.next_id();
        let ticket_id = format!("{tag}{}{n:05}", item.letter);
        let t = Ticket {
            ticket_id: ticket_id.clone(),
            hall_id: self.hall.clone(),
            window_id: called.map(|_| win.clone()),
            staff_id: called.map(|_| staff.clone()),
            item_code: Some(item.code.to_string()),
            issued_at: issued,
            called_at: called,
            finished_at: finished,
            status,
            is_appointment: Some(self.rng.random_bool(0.2)),
        };
        write_out(part, self, Rec::Ticket(t))?;
        if status != label::SERVED || !self.rng.random_bool(0.926) {
            return Ok(());
        }
        let accepted = called.expect("served") + Duration::seconds(self.rng.random_range(30..180));
        let c = self.case(item, accepted, &win, &staff, &ticket_id, tag, n);
        let reg = self.register(&c);
        let rated = if self.rng.random_bool(0.72) {
            let at = accepted + Duration::minutes(self.rng.random_range(2..12));
            Some(self.rating(&c, at, tag))
        } else {
            None
        };
        write_out(part, self, Rec::Case(c, reg))?;
        if let Some(r) = rated {
            write_out(part, self, Rec::Rating(r))?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn case(&mut self, item: &'static Item, accepted: Ts, win: &str, staff: &str, ticket_id: &str, tag: &str, n: u32) -> Case {
        let d = accepted.date();
        let promised = item.days;
        let x: f64 = self.rng.random();
        let outcome = by_share(x, &[(0.9436, label::DONE), (0.9916, label::RETURNED), (0.9966, label::DENIED)], label::REFUSED);
        let late = self.rng.random_bool(0.02);
        let deadline = promised.map_or(d, |p| self.cal.add_workdays(d, p));
        let completed = if outcome == label::REFUSED {
            accepted + Duration::minutes(self.rng.random_range(10..40))
        } else if let Some(p) = promised {
            let k = if late { p + self.rng.random_range(1..=3) } else { self.rng.random_range(1..=p) };
            let day = self.cal.add_workdays(d, k);
            self.time(day, 9, 17)
        } else if late {
            let day = self.cal.add_workdays(d, 1);
            self.time(day, 9, 11)
        } else {
            accepted + Duration::minutes(self.rng.random_range(5..30))
        };
        let mut c = Case {
            case_id: format!("YB{}{tag}{n:06}", self.hall),
            hall_id: self.hall.clone(),
            window_id: Some(win.to_string()),
            staff_id: Some(staff.to_string()),
            item_code: item.code.to_string(),
            item_name: Some(item.name.to_string()),
            case_type: if promised.is_some() { label::PROMISED } else { label::IMMEDIATE },
            promised_days: promised,
            applicant_name: Some(names::person_name(&mut self.rng)),
            applicant_id_no: Some(names::id_number(&mut self.rng)),
            applicant_phone: Some(names::mobile(&mut self.rng)),
            accepted_at: accepted,
            completed_at: Some(completed),
            outcome,
            supplement_requests: Some(if self.rng.random_bool(0.005) {
                2
            } else if self.rng.random_bool(0.2) {
                1
            } else {
                0
            }),
            rongque: Some(false),
            ticket_id: Some(ticket_id.to_string()),
            ..Default::default()
        };
        if late && self.rng.random_bool(0.7) {
            let nd = self.cal.add_workdays(deadline, 1);
            c.overdue_notified_at = Some(self.time(nd, 9, 17));
        }
        if let Some(p) = promised {
            if self.rng.random_bool(0.04) {
                c.rongque = Some(true);
                if self.rng.random_bool(0.05) {
                    // 容缺 without a due date.
                } else {
                    let due = self.cal.add_workdays(d, 5);
                    c.supplement_due = Some(due);
                    let k = if self.rng.random_bool(0.05) { 6 } else { self.rng.random_range(1..=5) };
                    let day = self.cal.add_workdays(d, k);
                    c.supplement_received_at = Some(self.time(day, 9, 17));
                }
            }
            if self.rng.random_bool(0.01) {
                c.extension_days = Some(5);
                c.extension_reason = Some(self.pick(EXTENSION_REASONS).to_string());
                c.extension_approver = Some(names::leader(&mut self.rng));
                let unext = self.cal.add_workdays(d, p);
                let day = if self.rng.random_bool(0.1) { self.cal.add_workdays(unext, 1) } else { unext };
                c.extension_approved_at = Some(self.time(day, 9, 17));
            }
        }
        c
    }

    /// The register row of a denied case (5% never registered); 0.05% of granted cases get a
    /// row by mistake, and 0.2% of rows name a case the business system does not have.
    fn register(&mut self, c: &Case) -> Option<(Denial, bool)> {
        let denied = c.outcome == label::REFUSED || c.outcome == label::DENIED;
        let mistaken = !denied && self.rng.random_bool(0.0005);
        if !(denied || mistaken) || (denied && self.rng.random_bool(0.05)) {
            return None;
        }
        let decided = c.completed_at.expect("completed");
        let day = decided.date();
        let n = self.next_id();
        let approval_type = self.pick(&[label::LEADER, label::LEADER, label::MEETING]);
        let approver = names::denial_approver(&mut self.rng, approval_type);
        let (reason, basis) = (self.pick(DENIAL_REASONS), self.pick(LEGAL_BASES));
        let mut d = Denial::of_case(c, format!("FDBA-{}-2026-{:06}", self.hall, n), decided, reason, basis, approval_type, approver);
        let notice_k = if self.rng.random_bool(0.05) { 4 } else { self.rng.random_range(1..=3) };
        let nd = self.cal.add_workdays(day, notice_k);
        d.notice_served_at = Some(self.time(nd, 9, 17));
        let file_k = if self.rng.random_bool(0.05) { 6 } else { self.rng.random_range(2..=5) };
        let fd = self.cal.add_workdays(day, file_k);
        d.filed_at = Some(self.time(fd, 9, 17));
        match self.rng.random_range(0..100) {
            0 => d.reason = None,
            1 => d.legal_basis = None,
            2 => d.approval_type = Some("科室负责人".into()),
            3 => d.approver = None,
            4 => d.archived = Some(false),
            _ => {}
        }
        let linked = !self.rng.random_bool(0.002);
        if !linked {
            d.case_id = format!("{}X", c.case_id);
        }
        Some((d, linked))
    }

    fn rating(&mut self, c: &Case, rated: Ts, tag: &str) -> Rating {
        let x: f64 = self.rng.random();
        let level = by_share(x, &[(0.62, label::VERY_SATISFIED), (0.88, label::SATISFIED), (0.96, label::NEUTRAL), (0.985, label::UNSATISFIED)], label::VERY_UNSATISFIED);
        let n = self.next_id();
        let bad = level == label::UNSATISFIED || level == label::VERY_UNSATISFIED;
        let mut r = Rating {
            rating_id: format!("PJ{}{}{n:07}", &self.hall[2..], &tag[4..]),
            case_id: Some(c.case_id.clone()),
            ticket_id: c.ticket_id.clone(),
            hall_id: self.hall.clone(),
            window_id: if self.rng.random_bool(0.97) { c.window_id.clone() } else { None },
            staff_id: c.staff_id.clone(),
            channel: Some(self.pick(&["窗口评价器", "窗口评价器", "二维码", "移动端"]).to_string()),
            rated_at: rated,
            level,
            comment: if bad {
                Some(self.pick(BAD_COMMENTS).to_string())
            } else if self.rng.random_bool(0.1) {
                Some(self.pick(SATISFIED_COMMENTS).to_string())
            } else {
                None
            },
            ..Default::default()
        };
        if bad {
            let hours = if self.rng.random_bool(0.05) { self.rng.random_range(25..60) } else { self.rng.random_range(1..24) };
            let v = rated + Duration::hours(hours);
            r.verified_at = Some(v);
            let y: f64 = self.rng.random();
            r.verification_result = Some(if y < 0.75 {
                label::CONFIRMED
            } else if y < 0.92 {
                label::MISTAKEN
            } else {
                label::MALICIOUS
            });
            if r.verification_result == Some(label::CONFIRMED) {
                let days = if self.rng.random_bool(0.05) { 17 } else { self.rng.random_range(2..=14) };
                let fixed = self.time(v.date() + Duration::days(days), 9, 17);
                r.rectified_at = Some(fixed);
                if !self.rng.random_bool(0.03) {
                    r.feedback_at = Some(fixed + Duration::hours(self.rng.random_range(2..48)));
                }
            }
        }
        r
    }
}

fn hall_id(i: usize) -> String {
    // 3702xx onwards: after the sample's 3701xx halls.
    format!("37{:04}", 201 + i)
}

/// A hall's windows and their staff ids: the first draws of its random stream.
fn hall_windows(rng: &mut ChaCha8Rng, hall: &str) -> Vec<(String, Vec<String>)> {
    let nwin = rng.random_range(12..=24);
    let mut staff_no = 0;
    (0..nwin)
        .map(|k| {
            let per = if rng.random_bool(0.3) { 2 } else { 1 };
            let staff = (0..per)
                .map(|_| {
                    staff_no += 1;
                    names::staff_id(hall, staff_no)
                })
                .collect();
            (format!("W{:02}", k + 1), staff)
        })
        .collect()
}

/// The staff table of the streamed halls (`bulk/staff.csv`, UTF-8, canonical headers): every
/// staff id their exports use, once (ids of halls far apart can coincide: the first hall keeps
/// it), so `roster.unknown_staff` finds nothing there. The ids are returned for the sample's truth.
fn write_staff(out: &Path, seed: u64, nhalls: usize) -> Result<(ManifestFile, BTreeSet<String>), GenerateError> {
    let mut names_rng = ChaCha8Rng::seed_from_u64(seed);
    names_rng.set_stream(999);
    let mut s = Stream::create(out, "bulk/staff.csv".into(), Table::Staff, Encoding::Utf8, Headers::Canonical)?;
    let mut seen = BTreeSet::new();
    for i in 0..nhalls {
        let hall = hall_id(i);
        for (_, staff) in hall_windows(&mut hall_rng(seed, i), &hall) {
            for id in staff {
                if seen.insert(id.clone()) {
                    let emp = if names_rng.random_bool(0.6) { label::EMPLOYED } else { label::NOT_EMPLOYED };
                    s.row(&[Val::Text(id), Val::Text(names::person_name(&mut names_rng)), Val::Text(hall.clone()), Val::Label(emp)])?;
                }
            }
        }
    }
    Ok((s.finish()?, seen))
}

fn hall_rng(seed: u64, i: usize) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(1000 + i as u64);
    r
}

/// One thread's files, and its records when asked to keep them.
type PartResult = Result<(Vec<ManifestFile>, Option<super::model::Records>), GenerateError>;

#[allow(clippy::too_many_arguments)]
fn run_part(
    out: &Path,
    seed: u64,
    cal: &Calendar,
    oracle: Option<&Oracle>,
    halls: Vec<usize>,
    per_hall: f64,
    p: usize,
    keep: bool,
) -> PartResult {
    if halls.is_empty() {
        return Ok((Vec::new(), keep.then(super::model::Records::default)));
    }
    // Each table comes half in UTF-8 with canonical headers, half in GB18030 with Chinese ones;
    // odd parts (1, 3, …) encode their cases, even ones their tickets, ratings and denials.
    let stream = |table: Table| {
        let gb = p.is_multiple_of(2) == (table == Table::Cases);
        let (enc, headers) = if gb { (Encoding::Gb18030, Headers::Zh(0)) } else { (Encoding::Utf8, Headers::Canonical) };
        Stream::create(out, format!("bulk/{}_2026-10_part{}.csv", table.name(), p + 1), table, enc, headers)
    };
    let mut part = Part {
        tickets: stream(Table::Tickets)?,
        cases: stream(Table::Cases)?,
        ratings: stream(Table::Ratings)?,
        denials: stream(Table::Denials)?,
        truth: None,
        keep: keep.then(super::model::Records::default),
    };
    if oracle.is_some() {
        let mut v = Vec::new();
        for (rule, _, _) in RULES {
            let f = File::create(out.join(TMP_DIR).join(format!("{rule}.{p}.jsonl")))?;
            v.push((rule.to_string(), BufWriter::new(f)));
        }
        part.truth = Some(v);
    }
    let days: Vec<NaiveDate> =
        ymd(2026, 10, 1).iter_days().take_while(|d| *d <= ymd(2026, 10, 31)).filter(|d| cal.is_workday(*d)).collect();
    for i in halls {
        let mut rng = hall_rng(seed, i);
        let hall = hall_id(i);
        let windows = hall_windows(&mut rng, &hall);
        let nwin = windows.len();
        let mut g = HallGen { rng, cal, hall, windows, oracle, findings: Vec::new(), tallies: Tallies::new(), seq: 0 };
        let mean = per_hall / (days.len() as f64 * nwin as f64);
        for &d in &days {
            let tag = d.format("%Y%m%d").to_string();
            for wi in 0..nwin {
                let n = (mean * g.rng.random_range(0.7..1.3)).round() as usize;
                let mut times: Vec<Ts> = (0..n).map(|_| g.time(d, 8, 16)).collect();
                times.sort();
                for t in times {
                    g.visit(&mut part, wi, &tag, t)?;
                }
            }
        }
        if let (Some(o), Some(truth)) = (oracle, part.truth.as_mut()) {
            o.rankings(&g.tallies, &mut g.findings);
            o.late_responses(&mut g.findings);
            sort_findings(&mut g.findings);
            for f in &g.findings {
                let w = &mut truth.iter_mut().find(|(r, _)| *r == f.rule).expect("a known rule").1;
                serde_json::to_writer(&mut *w, f).map_err(|e| GenerateError::Other(e.to_string()))?;
                w.write_all(b"\n")?;
            }
        }
    }
    if let Some(truth) = part.truth.take() {
        for (_, mut w) in truth {
            w.flush()?;
        }
    }
    let files = vec![part.tickets.finish()?, part.cases.finish()?, part.ratings.finish()?, part.denials.finish()?];
    Ok((files, part.keep))
}

/// Streams `mult` × the province volume into `out/bulk/`; with `truth`, the oracle's findings
/// at that instant go to per-rule parts that `BulkOutput::truth_parts` lists.
pub fn generate(out: &Path, seed: u64, mult: f64, cal: &Calendar, truth: Option<Ts>) -> Result<BulkOutput, GenerateError> {
    generate_inner(out, seed, mult, cal, truth, false)
}

pub fn generate_inner(
    out: &Path,
    seed: u64,
    mult: f64,
    cal: &Calendar,
    truth: Option<Ts>,
    keep: bool,
) -> Result<BulkOutput, GenerateError> {
    std::fs::create_dir_all(out.join("bulk"))?;
    let tmp = out.join(TMP_DIR);
    if truth.is_some() {
        std::fs::create_dir_all(&tmp)?;
    }
    let nhalls = ((PROVINCE_HALLS * mult).ceil() as usize).max(1);
    let per_hall = PROVINCE_TICKETS * mult / nhalls as f64;
    let oracle = truth.map(|t| Oracle::new(cal, t));
    // Parts of about half a province each (two at province size, twenty at 10×), so every file
    // is ingested in the memory half a province takes; two threads write them, alternating.
    let nparts = (2 * (mult.ceil() as usize).max(1)).min(nhalls.max(2));
    // Every nparts-th hall: the parts' keys (all of which begin with the hall's code) interleave.
    let ranges: Vec<Vec<usize>> = (0..nparts).map(|p| (p..nhalls).step_by(nparts).collect()).collect();
    let mut results: Vec<Option<PartResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let ranges = &ranges;
                let o = oracle.as_ref();
                s.spawn(move || (t..nparts).step_by(2).map(|p| (p, run_part(out, seed, cal, o, ranges[p].clone(), per_hall, p, keep))).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<Option<PartResult>> = (0..nparts).map(|_| None).collect();
        for h in handles {
            match h.join() {
                Ok(done) => done.into_iter().for_each(|(p, r)| all[p] = Some(r)),
                Err(_) => all[0] = Some(Err(GenerateError::Other("a bulk thread panicked".into()))),
            }
        }
        all
    });
    let results: Vec<PartResult> = results.iter_mut().map(|r| r.take().unwrap_or_else(|| Err(GenerateError::Other("a bulk part was not written".into())))).collect();
    let mut files = Vec::new();
    let mut kept: Option<super::model::Records> = keep.then(Default::default);
    for r in results {
        let (f, k) = r?;
        files.extend(f);
        if let (Some(all), Some(k)) = (kept.as_mut(), k) {
            all.tickets.extend(k.tickets);
            all.cases.extend(k.cases);
            all.ratings.extend(k.ratings);
            all.denials.extend(k.denials);
        }
    }
    let (staff_file, staff) = write_staff(out, seed, nhalls)?;
    files.push(staff_file);
    // Ingest order: the table's parts together.
    files.sort_by_key(|f| (Table::parse(&f.table).map(|t| t as usize).unwrap_or(9), f.path.clone()));
    Ok(BulkOutput { files, halls: (0..nhalls).map(hall_id).collect(), tmp, parts: nparts, kept, staff })
}
