//! The supervisors' own records in the sample set (supervision.md "Supervisors' records"):
//! inspections, complaints and attendance of the sample's staff, with the staff table that gives a
//! staff member's hall, planted with the edge cases of the six record rules (a 5th violation on
//! 31 December against one on 1 January, a reply on the deadline day, a holiday inside the reply
//! period, attendance crossing a yearly limit in a given month), written in mixed forms, and their
//! ground truth computed a second time here in plain Rust, independent of `queries/`.
//!
//! Everything is drawn from its own random stream (seeded from the set's seed), and the files are
//! written after the exports, so the exports' bytes and the other rules' truth do not move.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::model::{Ts, Val, at, eod, fmt_ts, month_of, ymd};
use super::oracle::{Finding, rule_meta};
use super::scenarios::{Expect, World};
use super::writers::{self, BoolForm, DateForm, Encoding, Format, Headers, Missing, Row, Style, TsForm};
use super::{GenerateError, ManifestFile};
use crate::calendar::Calendar;
use crate::contract::Table;

/// Mixed into the set's seed for this stream.
const STREAM: u64 = 0x05EC_04D5_u64;

/// What an inspection or a complaint is and whom it is about: its id, the hall, and the window
/// and staff member where it names them — the first four columns of both files.
pub struct Subject {
    pub id: String,
    pub hall: String,
    pub window: Option<String>,
    pub staff: Option<String>,
}

impl Subject {
    fn cells(&self) -> Vec<Val> {
        vec![Val::Text(self.id.clone()), Val::Text(self.hall.clone()), opt_text(&self.window), opt_text(&self.staff)]
    }
}

pub struct Inspection {
    pub about: Subject,
    pub at: Ts,
    pub violation: bool,
    pub rectify_by: Option<NaiveDate>,
    pub rectified_at: Option<Ts>,
}

pub struct Complaint {
    pub about: Subject,
    pub received: Ts,
    pub level: Option<&'static str>,
    pub substantiated: Option<bool>,
    pub replied: Option<Ts>,
    pub notified: Option<Ts>,
}

pub struct Attendance {
    pub staff: String,
    /// (year, month)
    pub month: (i32, u32),
    pub late_early: i64,
    /// Half days, as integers (9 = 4.5 days).
    pub personal_halves: i64,
    pub sick_halves: i64,
}

pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub hall: String,
    pub employment: Option<&'static str>,
}

#[derive(Default)]
pub struct RecordSet {
    pub staff: Vec<StaffRow>,
    pub inspections: Vec<Inspection>,
    pub complaints: Vec<Complaint>,
    pub attendance: Vec<Attendance>,
    pub expect: Vec<Expect>,
}

/// Profile defaults of supervision.md.
const REPLY_WORKDAYS: i64 = 5;
const REPEAT_COUNT: usize = 5;
const LATE_EARLY: i64 = 20;
const PERSONAL_HALVES: i64 = 18;
const SICK_HALVES: i64 = 30;

struct Gen<'a> {
    rng: ChaCha8Rng,
    cal: &'a Calendar,
    set: RecordSet,
    /// (hall, window, staff) of every sample staff member, shuffled.
    pool: Vec<(String, String, String)>,
    n: usize,
}

impl Gen<'_> {
    fn expect(&mut self, rule: &'static str, entity_id: &str, month: Option<&str>, present: bool, what: &'static str) {
        self.set.expect.push(Expect { rule, entity_id: entity_id.to_string(), month: month.map(String::from), present, what });
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("{prefix}{:04}", self.n)
    }

    fn inspection(&mut self, p: usize, at: Ts, violation: bool, rectify_by: Option<NaiveDate>, rectified_at: Option<Ts>) -> String {
        let (hall, window, staff) = self.pool[p].clone();
        let id = self.next_id("XC");
        let about = Subject { id: id.clone(), hall, window: Some(window), staff: Some(staff) };
        self.set.inspections.push(Inspection { about, at, violation, rectify_by, rectified_at });
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn complaint(&mut self, p: usize, received: Ts, level: Option<&'static str>, substantiated: Option<bool>, replied: Option<Ts>, notified: Option<Ts>, named: bool) -> String {
        let (hall, window, staff) = self.pool[p].clone();
        let id = self.next_id("TS");
        let (window, staff) = if named { (Some(window), Some(staff)) } else { (None, None) };
        let about = Subject { id: id.clone(), hall, window, staff };
        self.set.complaints.push(Complaint { about, received, level, substantiated, replied, notified });
        id
    }

    fn reply_due(&self, received: Ts) -> Ts {
        eod(self.cal.add_workdays(received.date(), REPLY_WORKDAYS))
    }

    fn staff_id(&self, p: usize) -> String {
        self.pool[p].2.clone()
    }
}

/// The staff table the records are read against: the roster's (the reference tables' generator
/// writes it), employment as the contract reads it.
pub fn staff_rows(roster: &super::reference::Roster) -> Vec<StaffRow> {
    roster
        .staff
        .iter()
        .map(|s| StaffRow {
            id: s.staff_id.clone(),
            name: s.staff_name.clone(),
            hall: s.hall_id.clone(),
            employment: s.employment.and_then(|e| crate::contract::EnumKind::Employment.parse(e)),
        })
        .collect()
}

/// The records of the sample's staff (`world.halls`), with every planted edge case.
pub fn build(seed: u64, world: &World, cal: &Calendar) -> RecordSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ STREAM);
    let mut pool: Vec<(String, String, String)> = Vec::new();
    let mut staff = Vec::new();
    for h in &world.halls {
        for w in &h.windows {
            for s in &w.staff {
                if !pool.iter().any(|p| p.2 == *s) {
                    pool.push((h.id.clone(), w.id.clone(), s.clone()));
                    let employment = [Some("在编"), Some("非编"), None][rng.random_range(0..3)];
                    staff.push(StaffRow { id: s.clone(), name: super::names::person_name(&mut rng), hall: h.id.clone(), employment });
                }
            }
        }
    }
    pool.shuffle(&mut rng);
    let mut g = Gen { rng, cal, set: RecordSet { staff, ..Default::default() }, pool, n: 0 };
    g.planted_inspections();
    g.planted_repeats();
    g.planted_complaints();
    g.planted_attendance();
    g.background();
    g.set
}

impl Gen<'_> {
    fn planted_inspections(&mut self) {
        let r = "inspection.rectification_late";
        let h = self.rng.random_range(8..=17);
        let id = self.inspection(10, at(ymd(2026, 9, 3), h, 20, 0), true, Some(ymd(2026, 9, 10)), Some(at(ymd(2026, 9, 11), 8, 30, 0)));
        self.expect(r, &id, Some("2026-09"), true, "rectified the morning after the rectify_by day");
        let id = self.inspection(11, at(ymd(2026, 9, 3), h, 40, 0), true, Some(ymd(2026, 9, 10)), Some(eod(ymd(2026, 9, 10))));
        self.expect(r, &id, None, false, "rectified at 23:59:59 of the rectify_by day (end of day)");
        let id = self.inspection(12, at(ymd(2026, 10, 20), 10, 0, 0), true, Some(ymd(2026, 10, 31)), None);
        self.expect(r, &id, Some("2026-10"), true, "not rectified, rectify_by 31 October, T is 1 November 00:00");
        let id = self.inspection(9, at(ymd(2026, 10, 21), 10, 0, 0), true, Some(ymd(2026, 11, 1)), None);
        self.expect(r, &id, None, false, "not rectified, rectify_by the day of T: not yet past");
        let id = self.inspection(10, at(ymd(2026, 10, 9), 15, 0, 0), true, Some(ymd(2026, 10, 16)), Some(at(ymd(2026, 11, 2), 9, 0, 0)));
        self.expect(r, &id, Some("2026-10"), true, "rectified after T: reads as not rectified at T");
        let id = self.inspection(11, at(ymd(2026, 8, 12), 9, 0, 0), false, Some(ymd(2026, 8, 20)), None);
        self.expect(r, &id, None, false, "no violation (无): a rectify_by date alone is no finding");
        let id = self.inspection(12, at(ymd(2026, 8, 14), 9, 0, 0), true, None, None);
        self.expect(r, &id, None, false, "a violation without rectify_by");
    }

    /// staff.inspection_repeat across the turn of the year.
    fn planted_repeats(&mut self) {
        let r = "staff.inspection_repeat";
        // Five violations in 2025, the 5th on 31 December.
        for (k, (m, d)) in [(3, 4), (5, 19), (8, 7), (11, 25), (12, 31)].into_iter().enumerate() {
            self.inspection(0, at(ymd(2025, m, d), 9 + k as u32, 0, 0), true, None, None);
        }
        let s = self.staff_id(0);
        self.expect(r, &s, Some("2025-12"), true, "the 5th violation of 2025 on 31 December");
        // Four in 2025 and the 5th on 1 January 2026: four in each year, no finding.
        for (m, d) in [(2, 10), (6, 3), (9, 9), (12, 30)] {
            self.inspection(1, at(ymd(2025, m, d), 10, 0, 0), true, None, None);
        }
        self.inspection(1, at(ymd(2026, 1, 1), 10, 0, 0), true, None, None);
        for (m, d) in [(3, 2), (7, 15), (9, 1)] {
            self.inspection(1, at(ymd(2026, m, d), 11, 0, 0), true, None, None);
        }
        let s = self.staff_id(1);
        self.expect(r, &s, None, false, "4 violations in 2025, the next 4 in 2026 (from 1 January)");
        // Six in 2026 among inspections without a violation: one finding, month of the 5th.
        let days = [(1, 12), (3, 3), (4, 20), (6, 8), (8, 18), (10, 9)];
        for (m, d) in days {
            self.inspection(2, at(ymd(2026, m, d), 14, 0, 0), true, None, None);
            self.inspection(2, at(ymd(2026, m, d + 1), 14, 0, 0), false, None, None);
        }
        let s = self.staff_id(2);
        self.expect(r, &s, Some("2026-08"), true, "6 violations in 2026: one finding, in the month of the 5th");
        // Five in 2026, the 5th after T.
        for (m, d) in [(2, 2), (4, 1), (6, 1), (9, 30), (11, 2)] {
            self.inspection(3, at(ymd(2026, m, d), 9, 30, 0), true, None, None);
        }
        let s = self.staff_id(3);
        self.expect(r, &s, None, false, "the 5th violation of 2026 is after T");
    }

    fn planted_complaints(&mut self) {
        let (rl, rn, rs) = ("complaint.reply_late", "complaint.result_not_notified", "staff.complaint_substantiated");
        // A holiday inside the reply period (国庆): replied on the deadline day is on time.
        let rec = at(ymd(2026, 9, 29), 10, 0, 0);
        let due = self.reply_due(rec);
        let on_day = at(due.date(), 17, 0, 0);
        let id = self.complaint(4, rec, None, Some(false), Some(on_day), Some(on_day), true);
        self.expect(rl, &id, None, false, "国庆 inside the reply period: replied on the (holiday-shifted) deadline day");
        let late = at(due.date() + chrono::Duration::days(1), 9, 0, 0);
        let id = self.complaint(5, rec, None, None, Some(late), Some(late), true);
        self.expect(rl, &id, Some(&month_of(due)), true, "国庆 inside the reply period: replied the day after the deadline");
        self.expect(rn, &id, Some(&month_of(due)), true, "told of the result the day after the deadline");
        // Replied at the last second of the deadline day, and at the first second after.
        let rec = at(ymd(2026, 8, 10), 9, 0, 0);
        let due = self.reply_due(rec);
        let id = self.complaint(6, rec, None, None, Some(due), Some(due), true);
        self.expect(rl, &id, None, false, "replied at 23:59:59 of the deadline day");
        self.expect(rn, &id, None, false, "told at 23:59:59 of the deadline day");
        let id = self.complaint(7, rec, None, None, Some(due + chrono::Duration::seconds(1)), None, false);
        self.expect(rl, &id, Some(&month_of(due)), true, "replied one second after the deadline day");
        self.expect(rn, &id, Some(&month_of(due)), true, "replied, never told, T past the deadline");
        // Open complaints: T past the deadline, and not yet.
        let rec = at(ymd(2026, 10, 20), 15, 0, 0);
        let id = self.complaint(8, rec, None, None, None, None, true);
        let m = month_of(self.reply_due(rec));
        self.expect(rl, &id, Some(&m), true, "no reply, T past the deadline");
        self.expect(rn, &id, None, false, "not replied: the result is not yet due");
        let rec = at(ymd(2026, 10, 28), 15, 0, 0);
        let id = self.complaint(9, rec, None, None, None, None, true);
        self.expect(rl, &id, None, false, "no reply, deadline after T");
        // Replied on time, told late; replied after T (reads as missing).
        let rec = at(ymd(2026, 9, 7), 11, 0, 0);
        let due = self.reply_due(rec);
        let id = self.complaint(10, rec, None, None, Some(at(ymd(2026, 9, 8), 10, 0, 0)), Some(at(due.date() + chrono::Duration::days(3), 10, 0, 0)), true);
        self.expect(rl, &id, None, false, "replied the next day");
        self.expect(rn, &id, Some(&month_of(due)), true, "told of the result three days after the deadline");
        let rec = at(ymd(2026, 10, 23), 9, 0, 0);
        let id = self.complaint(11, rec, None, None, Some(at(ymd(2026, 11, 2), 9, 0, 0)), None, true);
        self.expect(rl, &id, Some(&month_of(self.reply_due(rec))), true, "replied after T: no reply at T, T past the deadline");
        self.expect(rn, &id, None, false, "replied after T: not replied at T");
        // Substantiated complaints at every level, and the ones that are not findings.
        let levels = [Some("中心"), Some("厅效能办"), Some("省效能办"), Some("媒体曝光"), None];
        for (k, level) in levels.into_iter().enumerate() {
            let rec = at(ymd(2026, 8 + (k as u32 % 3), 3 + 4 * k as u32), 10, 0, 0);
            let id = self.complaint(4 + k, rec, level, Some(true), Some(rec + chrono::Duration::hours(30)), Some(rec + chrono::Duration::hours(32)), true);
            self.expect(rs, &id, Some(&month_of(rec)), true, "substantiated against a named staff member");
        }
        let rec = at(ymd(2026, 9, 15), 10, 0, 0);
        let id = self.complaint(4, rec, Some("中心"), Some(true), Some(rec + chrono::Duration::hours(2)), Some(rec + chrono::Duration::hours(3)), false);
        self.expect(rs, &id, None, false, "substantiated but no staff member named");
        let id = self.complaint(5, rec, None, Some(false), Some(rec + chrono::Duration::hours(2)), Some(rec + chrono::Duration::hours(3)), true);
        self.expect(rs, &id, None, false, "not substantiated (否)");
        let id = self.complaint(6, rec, None, None, Some(rec + chrono::Duration::hours(2)), Some(rec + chrono::Duration::hours(3)), true);
        self.expect(rs, &id, None, false, "not concluded (empty)");
        let rec = at(ymd(2026, 11, 2), 10, 0, 0);
        let id = self.complaint(7, rec, Some("中心"), Some(true), None, None, true);
        self.expect(rs, &id, None, false, "received after T");
    }

    fn month(&mut self, p: usize, ym: (i32, u32), late_early: i64, personal_halves: i64, sick_halves: i64) {
        let staff = self.staff_id(p);
        self.set.attendance.push(Attendance { staff, month: ym, late_early, personal_halves, sick_halves });
    }

    fn planted_attendance(&mut self) {
        let r = "staff.attendance";
        // 8 + 7 + 5 = 20 late arrivals: reached in October.
        for (m, n) in [(8, 8), (9, 7), (10, 5)] {
            self.month(0, (2026, m), n, 0, 0);
        }
        let s = self.staff_id(0);
        self.expect(r, &s, Some("2026-10"), true, "late/early 8 + 7 + 5 = 20 (含20次): reached in October");
        for (m, n) in [(8, 8), (9, 7), (10, 4)] {
            self.month(1, (2026, m), n, 0, 0);
        }
        let s = self.staff_id(1);
        self.expect(r, &s, None, false, "late/early 19 in the year");
        // 4.5 + 4.5 personal leave days: reached in September.
        self.month(2, (2026, 8), 1, 9, 0);
        self.month(2, (2026, 9), 0, 9, 0);
        self.month(2, (2026, 10), 2, 2, 0);
        let s = self.staff_id(2);
        self.expect(r, &s, Some("2026-09"), true, "personal leave 4.5 + 4.5 = 9 days (含9天): reached in September");
        // Sick leave across the turn of the year: 10 + 5 in two years.
        self.month(3, (2025, 12), 0, 0, 20);
        self.month(3, (2026, 1), 0, 0, 10);
        let s = self.staff_id(3);
        self.expect(r, &s, None, false, "sick leave 10 days in December 2025 and 5 in January 2026");
        // Sick leave reached in November: a month not ended by T.
        self.month(4, (2026, 10), 0, 0, 20);
        self.month(4, (2026, 11), 0, 0, 20);
        let s = self.staff_id(4);
        self.expect(r, &s, None, false, "sick leave reaches 15 days in November, not ended by T");
        // Two limits at once in August: one finding.
        self.month(5, (2026, 8), 21, 0, 30);
        self.month(5, (2026, 9), 3, 0, 0);
        let s = self.staff_id(5);
        self.expect(r, &s, Some("2026-08"), true, "late/early and sick leave both over in August: one finding");
    }

    /// Ordinary records of the other staff: inspections without violations (or one or two),
    /// complaints answered in time, attendance well under the limits.
    fn background(&mut self) {
        for p in 13..self.pool.len() {
            for m in 8..=10u32 {
                let day = self.rng.random_range(1..=28);
                let t = at(ymd(2026, m, day), self.rng.random_range(8..=17), self.rng.random_range(0..60), 0);
                let violation = self.rng.random_bool(0.2);
                let rectify = violation.then(|| t.date() + chrono::Duration::days(7));
                let done = rectify.map(|d| at(d, 9, 0, 0));
                self.inspection(p, t, violation, rectify, done);
                let late = self.rng.random_range(0..=3);
                let personal = self.rng.random_range(0..=2);
                let sick = self.rng.random_range(0..=3);
                self.month(p, (2026, m), late, personal * 2, sick * 2);
            }
            let day = self.rng.random_range(1..=28);
            let rec = at(ymd(2026, 9, day), self.rng.random_range(8..=17), 0, 0);
            let replied = rec + chrono::Duration::hours(self.rng.random_range(2..=48));
            self.complaint(p, rec, None, Some(false), Some(replied), Some(replied), true);
        }
    }
}

/// The ground truth of the six record rules at `t`, read as of T like the exports.
pub fn findings(set: &RecordSet, cal: &Calendar, t: Ts) -> Vec<Finding> {
    let staff_hall: BTreeMap<&str, &str> = set.staff.iter().map(|s| (s.id.as_str(), s.hall.as_str())).collect();
    let mut out = Vec::new();
    let seen = |v: Option<Ts>| v.filter(|x| *x <= t);
    let f = |rule: &str, hall: &str, window: Option<&String>, staff: Option<&String>, entity_id: &str, due: Option<Ts>, month: String| {
        let (id, severity, entity) = rule_meta(rule);
        Finding {
            rule: id.into(),
            severity: severity.into(),
            hall_id: hall.into(),
            window_id: window.cloned(),
            staff_id: staff.cloned(),
            entity: entity.into(),
            entity_id: entity_id.into(),
            due_at: due.map(fmt_ts),
            month,
        }
    };
    let about = |rule: &str, s: &Subject, due: Option<Ts>, month: String| f(rule, &s.hall, s.window.as_ref(), s.staff.as_ref(), &s.id, due, month);
    // Violations per (staff, year), in time order.
    let mut per_year: BTreeMap<(&str, i32), Vec<&Inspection>> = BTreeMap::new();
    for i in set.inspections.iter().filter(|i| i.at <= t) {
        if let (true, Some(due)) = (i.violation, i.rectify_by.map(eod)) {
            let done = seen(i.rectified_at);
            if done.is_some_and(|d| d > due) || (done.is_none() && t > due) {
                out.push(about("inspection.rectification_late", &i.about, Some(due), month_of(due)));
            }
        }
        if let (true, Some(s)) = (i.violation, &i.about.staff) {
            per_year.entry((s.as_str(), i.at.year())).or_default().push(i);
        }
    }
    for ((s, _), mut v) in per_year {
        v.sort_by(|a, b| (a.at, &a.about.id).cmp(&(b.at, &b.about.id)));
        if let Some(nth) = v.get(REPEAT_COUNT - 1) {
            let hall = staff_hall.get(s).copied().unwrap_or(nth.about.hall.as_str());
            out.push(f("staff.inspection_repeat", hall, None, Some(&s.to_string()), s, None, month_of(nth.at)));
        }
    }
    for c in set.complaints.iter().filter(|c| c.received <= t) {
        let due = eod(cal.add_workdays(c.received.date(), REPLY_WORKDAYS));
        let (replied, told) = (seen(c.replied), seen(c.notified));
        if replied.is_some_and(|r| r > due) || (replied.is_none() && t > due) {
            out.push(about("complaint.reply_late", &c.about, Some(due), month_of(due)));
        }
        if replied.is_some() && (told.is_some_and(|r| r > due) || (told.is_none() && t > due)) {
            out.push(about("complaint.result_not_notified", &c.about, Some(due), month_of(due)));
        }
        if c.substantiated == Some(true) && c.about.staff.is_some() {
            out.push(about("staff.complaint_substantiated", &c.about, None, month_of(c.received)));
        }
    }
    // Attendance of the months ended by T, summed per staff and year in month order.
    let mut months: BTreeMap<(&str, i32), Vec<&Attendance>> = BTreeMap::new();
    let ended = |(y, m): (i32, u32)| {
        let next = if m == 12 { ymd(y + 1, 1, 1) } else { ymd(y, m + 1, 1) };
        t >= at(next, 0, 0, 0)
    };
    for a in set.attendance.iter().filter(|a| ended(a.month)) {
        months.entry((a.staff.as_str(), a.month.0)).or_default().push(a);
    }
    for ((s, _), mut v) in months {
        v.sort_by_key(|a| a.month);
        let (mut late, mut personal, mut sick) = (0, 0, 0);
        for a in v {
            (late, personal, sick) = (late + a.late_early, personal + a.personal_halves, sick + a.sick_halves);
            if late >= LATE_EARLY || personal >= PERSONAL_HALVES || sick >= SICK_HALVES {
                if let Some(hall) = staff_hall.get(s) {
                    let m = format!("{:04}-{:02}", a.month.0, a.month.1);
                    out.push(f("staff.attendance", hall, None, Some(&s.to_string()), s, None, m));
                }
                break;
            }
        }
    }
    out
}

/// One file of records: its table, name, form and export instant.
struct Spec {
    table: Table,
    path: &'static str,
    style: Style,
    exported: Ts,
}

fn csv(encoding: Encoding, delimiter: u8, headers: Headers) -> Style {
    Style::new(Format::Csv { delimiter, encoding, crlf: encoding == Encoding::Gb18030, quote_all: false }, headers)
}

fn specs() -> Vec<Spec> {
    let mut insp_csv = csv(Encoding::Gb18030, b',', Headers::Zh(1));
    insp_csv.ts = vec![TsForm::Full, TsForm::Slash, TsForm::Minute];
    insp_csv.dates = vec![DateForm::Dash, DateForm::Slash];
    let mut insp_xlsx = Style::new(Format::Xlsx, Headers::Zh(0));
    insp_xlsx.ts = vec![TsForm::Excel, TsForm::Full];
    insp_xlsx.dates = vec![DateForm::Excel, DateForm::Dash];
    insp_xlsx.missing = vec![Missing::Native];
    let mut comp_jsonl = Style::new(Format::Jsonl, Headers::Zh(0));
    comp_jsonl.bools = vec![BoolForm::Native, BoolForm::ShiFou];
    comp_jsonl.missing = vec![Missing::Native, Missing::Omit];
    comp_jsonl.ts = vec![TsForm::Full, TsForm::T];
    let mut comp_xlsx = Style::new(Format::Xlsx, Headers::Zh(1));
    comp_xlsx.ts = vec![TsForm::Excel, TsForm::Slash];
    comp_xlsx.bools = vec![BoolForm::ShiFou, BoolForm::Native];
    comp_xlsx.missing = vec![Missing::Native, Missing::Empty];
    let att_csv = csv(Encoding::Utf8Bom, b',', Headers::Zh(1));
    let mut att_jsonl = Style::new(Format::Jsonl, Headers::Zh(0));
    att_jsonl.missing = vec![Missing::Omit, Missing::Native];
    let x = |d: u32| at(ymd(2026, 11, d), 8, 0, 0);
    vec![
        Spec { table: Table::Inspections, path: "inspections_2025.xlsx", style: insp_xlsx, exported: x(2) },
        Spec { table: Table::Inspections, path: "inspections_2026.csv", style: insp_csv, exported: x(3) },
        Spec { table: Table::Complaints, path: "complaints_2026-10-15.jsonl", style: comp_jsonl, exported: at(ymd(2026, 10, 15), 8, 0, 0) },
        Spec { table: Table::Complaints, path: "complaints_2026-11-03.xlsx", style: comp_xlsx, exported: x(3) },
        Spec { table: Table::Attendance, path: "attendance_2025.jsonl", style: att_jsonl, exported: x(2) },
        Spec { table: Table::Attendance, path: "attendance_2026.csv", style: att_csv, exported: x(3) },
    ]
}

fn opt_text(v: &Option<String>) -> Val {
    v.as_ref().map_or(Val::Null, |s| Val::Text(s.clone()))
}

fn opt_ts(v: Option<Ts>) -> Val {
    v.map_or(Val::Null, Val::Ts)
}

/// A month cell in one of the contract's spellings.
fn month_cell(rng: &mut ChaCha8Rng, (y, m): (i32, u32)) -> Val {
    match rng.random_range(0..3) {
        0 => Val::Text(format!("{y:04}-{m:02}")),
        1 => Val::Raw(format!("{y}/{m}")),
        _ => Val::Raw(format!("{y}年{m}月")),
    }
}

/// Leave days: whole days as numbers, half days as text ("4.5").
fn days_cell(halves: i64) -> Val {
    if halves % 2 == 0 { Val::Int(halves / 2) } else { Val::Raw(format!("{:.1}", halves as f64 / 2.0)) }
}

/// The rows of one file, as of its export instant.
fn rows(set: &RecordSet, spec: &Spec, rng: &mut ChaCha8Rng) -> Vec<Row> {
    let x = spec.exported;
    let mut out = Vec::new();
    match spec.table {
        Table::Staff => {
            for s in &set.staff {
                out.push(Row::Cells(vec![Val::Text(s.id.clone()), Val::Text(s.name.clone()), Val::Text(s.hall.clone()), s.employment.map_or(Val::Null, Val::Label)]));
            }
        }
        Table::Inspections => {
            let y2025 = spec.path.contains("2025");
            for i in set.inspections.iter().filter(|i| (i.at.year() == 2025) == y2025) {
                let found = if rng.random_bool(0.5) { Val::Raw(if i.violation { "有" } else { "无" }.into()) } else { Val::Bool(i.violation) };
                let kind = if i.violation && rng.random_bool(0.5) { "值班巡查" } else { ["巡查", "暗访", "抽查"][rng.random_range(0..3)] };
                let item = if i.violation { Val::Label(["擅离职守", "服务态度", "不按规定转办"][rng.random_range(0..3)]) } else { Val::Null };
                let mut cells = i.about.cells();
                cells.extend([
                    Val::Ts(i.at),
                    Val::Label(kind),
                    Val::Text(super::names::leader(rng)),
                    found,
                    item,
                    Val::Null,
                    i.rectify_by.map_or(Val::Null, Val::Date),
                    opt_ts(i.rectified_at),
                ]);
                out.push(Row::Cells(cells));
            }
        }
        Table::Complaints => {
            for c in set.complaints.iter().filter(|c| c.received <= x) {
                // An export before the reply shows the complaint still open: the later file wins.
                let shown = |v: Option<Ts>| v.filter(|v| *v <= x);
                let channel = ["电话", "网络", "意见箱", "现场", "12345"][rng.random_range(0..5)];
                let mut cells = c.about.cells();
                cells.extend([
                    Val::Ts(c.received),
                    Val::Label(channel),
                    c.level.map_or(Val::Null, Val::Label),
                    if shown(c.replied).is_some() { c.substantiated.map_or(Val::Null, Val::Bool) } else { Val::Null },
                    opt_ts(shown(c.replied)),
                    opt_ts(shown(c.notified)),
                ]);
                out.push(Row::Cells(cells));
            }
        }
        Table::Attendance => {
            let y2025 = spec.path.contains("2025");
            for a in set.attendance.iter().filter(|a| (a.month.0 == 2025) == y2025) {
                // Half days only in the CSV (text "4.5"); an empty cell reads as 0.
                let mut day = |h: i64| if h == 0 && rng.random_bool(0.3) { Val::Null } else { days_cell(h) };
                let (personal, sick) = (day(a.personal_halves), day(a.sick_halves));
                out.push(Row::Cells(vec![Val::Text(a.staff.clone()), month_cell(rng, a.month), Val::Int(a.late_early), personal, sick]));
            }
        }
        _ => {}
    }
    out
}

/// Writes the record files into `out` (after the exports, in ingest order).
pub fn write(out: &Path, seed: u64, set: &RecordSet) -> Result<Vec<ManifestFile>, GenerateError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ STREAM ^ 1);
    let mut files = Vec::new();
    for spec in specs() {
        let rows = rows(set, &spec, &mut rng);
        writers::write_file(&out.join(spec.path), spec.table, &spec.style, &rows, &mut rng, spec.exported)?;
        files.push(ManifestFile {
            table: spec.table.name().into(),
            path: spec.path.into(),
            format: spec.style.format.name().into(),
            encoding: spec.style.format.encoding().map(|e| e.name().into()),
            numeric_levels: None,
            rows: rows.len() as u64,
        });
    }
    Ok(files)
}


#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Ts {
        at(ymd(2026, 11, 1), 0, 0, 0)
    }

    fn set() -> RecordSet {
        let staff = ["A", "B", "C"].iter().map(|s| StaffRow { id: s.to_string(), name: "张三".into(), hall: "H1".into(), employment: Some("在编") }).collect();
        RecordSet { staff, ..Default::default() }
    }

    fn violation(staff: &str, at: Ts) -> Inspection {
        let about = Subject { id: format!("{staff}-{at}"), hall: "H9".into(), window: None, staff: Some(staff.into()) };
        Inspection { about, at, violation: true, rectify_by: None, rectified_at: None }
    }

    fn of<'a>(f: &'a [Finding], rule: &str) -> Vec<(&'a str, &'a str, Option<&'a str>)> {
        f.iter().filter(|x| x.rule == rule).map(|x| (x.entity_id.as_str(), x.month.as_str(), x.due_at.as_deref())).collect()
    }

    #[test]
    fn fifth_violation_on_31_december_counts_for_its_year_and_on_1_january_for_the_next() {
        let mut s = set();
        for d in [ymd(2025, 3, 1), ymd(2025, 5, 1), ymd(2025, 7, 1), ymd(2025, 9, 1), ymd(2025, 12, 31)] {
            s.inspections.push(violation("A", at(d, 23, 0, 0)));
        }
        for d in [ymd(2025, 3, 1), ymd(2025, 5, 1), ymd(2025, 7, 1), ymd(2025, 9, 1), ymd(2026, 1, 1)] {
            s.inspections.push(violation("B", at(d, 0, 0, 0)));
        }
        let f = findings(&s, &Calendar::builtin(), t());
        assert_eq!(of(&f, "staff.inspection_repeat"), vec![("A", "2025-12", None)]);
        // The hall is the staff table's, not the inspection's.
        assert!(f.iter().all(|x| x.hall_id == "H1"));
    }

    #[test]
    fn reply_period_skips_the_national_day_holiday_and_ends_at_the_end_of_the_deadline_day() {
        // Received Tue 29 Sep 2026: 30 Sep, 8, 9, 10 (调休 Saturday) and 12 October.
        let c = |id: &str, replied: Ts| Complaint {
            about: Subject { id: id.into(), hall: "H1".into(), window: None, staff: None },
            received: at(ymd(2026, 9, 29), 10, 0, 0),
            level: None,
            substantiated: None,
            replied: Some(replied),
            notified: Some(replied),
        };
        let mut s = set();
        s.complaints.push(c("on-time", eod(ymd(2026, 10, 12))));
        s.complaints.push(c("late", at(ymd(2026, 10, 13), 0, 0, 0)));
        let f = findings(&s, &Calendar::builtin(), t());
        assert_eq!(of(&f, "complaint.reply_late"), vec![("late", "2026-10", Some("2026-10-12 23:59:59"))]);
        assert_eq!(of(&f, "complaint.result_not_notified"), vec![("late", "2026-10", Some("2026-10-12 23:59:59"))]);
    }

    #[test]
    fn attendance_finding_in_the_month_a_yearly_limit_is_reached_and_months_not_ended_wait() {
        let mut s = set();
        let m = |staff: &str, month: (i32, u32), late_early: i64, personal_halves: i64, sick_halves: i64| Attendance { staff: staff.into(), month, late_early, personal_halves, sick_halves };
        s.attendance.extend([m("A", (2026, 8), 10, 0, 0), m("A", (2026, 9), 9, 0, 0), m("A", (2026, 10), 1, 0, 0)]);
        s.attendance.extend([m("B", (2025, 12), 0, 0, 29), m("B", (2026, 1), 0, 0, 29)]);
        s.attendance.extend([m("C", (2026, 10), 0, 17, 0), m("C", (2026, 11), 0, 1, 0)]);
        let f = findings(&s, &Calendar::builtin(), t());
        assert_eq!(of(&f, "staff.attendance"), vec![("A", "2026-10", None)]);
        let later = findings(&s, &Calendar::builtin(), at(ymd(2026, 12, 1), 0, 0, 0));
        assert_eq!(of(&later, "staff.attendance"), vec![("A", "2026-10", None), ("C", "2026-11", None)]);
    }
}
