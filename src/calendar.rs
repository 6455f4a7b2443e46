//! The working-day calendar: Monday–Friday, minus State Council holidays, plus 调休 working days.
//!
//! Every deadline in rules.md counts working days, so one calendar serves the checks (as the
//! `calendar_days` table their SQL joins), the SQL functions analysts call, the generator and the
//! reports. The project ships 2024–2026 (`calendar/cn-2024-2026.csv`); users add or override
//! dates with their own files in the same `date,kind,name` form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use datafusion::arrow::array::{BooleanArray, Date32Array, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

const BUILTIN: &str = include_str!("../calendar/cn-2024-2026.csv");

/// Days tabulated for fast arithmetic; outside this range the calendar still answers, slowly.
const FAST_FROM: (i32, u32, u32) = (1990, 1, 1);
const FAST_TO: (i32, u32, u32) = (2100, 12, 31);

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar {path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("calendar {path}, line {line}: {message} (expected `date,kind,name` with kind holiday or workday, e.g. `2026-10-01,holiday,国庆节`)")]
    Line { path: PathBuf, line: usize, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    Holiday,
    Workday,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    entries: BTreeMap<NaiveDate, Entry>,
    /// Years for which some file gave holiday facts.
    covered_years: BTreeSet<i32>,
    /// Working days within the fast range, as days since CE, ascending.
    workdays: Vec<i32>,
    fast_from: i32,
    fast_to: i32,
    /// Where the entries came from, for messages.
    pub sources: Vec<String>,
}

fn day_number(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

fn from_day_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).expect("day in chrono range")
}

pub use crate::clock::parse_date;

/// Monday–Friday days from an arbitrary origin up to and including day number `n` (day 1,
/// 0001-01-01, is a Monday), so `weekdays_upto(b) - weekdays_upto(a)` counts them in (a, b].
fn weekdays_upto(n: i32) -> i64 {
    let n = i64::from(n);
    5 * n.div_euclid(7) + n.rem_euclid(7).min(5)
}

impl Calendar {
    /// The shipped calendar, 2024–2026.
    pub fn builtin() -> Calendar {
        let mut c = Calendar::empty();
        c.merge_text(BUILTIN, Path::new("calendar/cn-2024-2026.csv")).expect("shipped calendar is valid");
        c.sources.push("built-in 2024–2026 (国办发明电〔2023〕7号, 〔2024〕12号, 2025-11)".into());
        c.rebuild();
        c
    }

    /// Only weekends are non-working; used as the base when the built-in calendar is turned off.
    pub fn empty() -> Calendar {
        let mut c = Calendar {
            entries: BTreeMap::new(),
            covered_years: BTreeSet::new(),
            workdays: Vec::new(),
            fast_from: day_number(NaiveDate::from_ymd_opt(FAST_FROM.0, FAST_FROM.1, FAST_FROM.2).unwrap()),
            fast_to: day_number(NaiveDate::from_ymd_opt(FAST_TO.0, FAST_TO.1, FAST_TO.2).unwrap()),
            sources: Vec::new(),
        };
        c.rebuild();
        c
    }

    /// The built-in calendar (unless `builtin` is false) with the users' files laid over it; a
    /// date in a later file overrides the same date earlier.
    pub fn load(builtin: bool, files: &[PathBuf]) -> Result<Calendar, CalendarError> {
        let mut c = if builtin { Calendar::builtin() } else { Calendar::empty() };
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|source| CalendarError::Io { path: f.clone(), source })?;
            c.merge_text(&text, f)?;
            c.sources.push(f.display().to_string());
        }
        c.rebuild();
        Ok(c)
    }

    fn merge_text(&mut self, text: &str, path: &Path) -> Result<(), CalendarError> {
        let err = |line: usize, message: String| CalendarError::Line { path: path.to_path_buf(), line, message };
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        for (i, rec) in reader.records().enumerate() {
            let line = i + 1;
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let first = rec.get(0).unwrap_or("").trim().trim_start_matches('\u{feff}');
            if first.is_empty() || first.starts_with('#') || (line == 1 && first.eq_ignore_ascii_case("date")) {
                continue;
            }
            let date = parse_date(first).ok_or_else(|| err(line, format!("`{first}` is not a date")))?;
            let kind = match rec.get(1).unwrap_or("").trim() {
                "holiday" | "休" | "假" => DayKind::Holiday,
                "workday" | "班" => DayKind::Workday,
                other => return Err(err(line, format!("kind `{other}` is neither holiday nor workday"))),
            };
            let name = rec.get(2).unwrap_or("").trim().to_string();
            self.covered_years.insert(date.year());
            self.entries.insert(date, Entry { kind, name });
        }
        Ok(())
    }

    fn rebuild(&mut self) {
        self.workdays = (self.fast_from..=self.fast_to).filter(|&n| self.is_workday_slow(from_day_number(n))).collect();
    }

    fn is_workday_slow(&self, d: NaiveDate) -> bool {
        match self.entries.get(&d) {
            Some(e) => e.kind == DayKind::Workday,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        let n = day_number(d);
        if (self.fast_from..=self.fast_to).contains(&n) {
            self.workdays.binary_search(&n).is_ok()
        } else {
            self.is_workday_slow(d)
        }
    }

    pub fn entry(&self, d: NaiveDate) -> Option<&Entry> {
        self.entries.get(&d)
    }

    /// Years with holiday facts; a date outside them counts only weekends as non-working.
    pub fn covered_years(&self) -> &BTreeSet<i32> {
        &self.covered_years
    }

    pub fn covers(&self, d: NaiveDate) -> bool {
        self.covered_years.contains(&d.year())
    }

    /// The `n`-th working day strictly after `d` (n > 0), strictly before it (n < 0), or `d` (n = 0).
    /// At the ends of chrono's range (±262,000 years) it stops at the last day there is; callers
    /// with dates from input use [`Calendar::checked_add_workdays`].
    pub fn add_workdays(&self, d: NaiveDate, n: i64) -> NaiveDate {
        self.checked_add_workdays(d, n).unwrap_or(if n > 0 { NaiveDate::MAX } else { NaiveDate::MIN })
    }

    /// [`Calendar::add_workdays`], or `None` when the day counted to lies beyond chrono's range.
    pub fn checked_add_workdays(&self, d: NaiveDate, n: i64) -> Option<NaiveDate> {
        if n == 0 {
            return Some(d);
        }
        let dn = day_number(d);
        if (self.fast_from..=self.fast_to).contains(&dn) {
            // Index of the first working day > d.
            let after = self.workdays.partition_point(|&w| w <= dn) as i64;
            let before = self.workdays.partition_point(|&w| w < dn) as i64;
            let idx = if n > 0 { after.checked_add(n - 1) } else { before.checked_add(n) };
            if let Some(&w) = idx.and_then(|i| usize::try_from(i).ok()).and_then(|i| self.workdays.get(i)) {
                return NaiveDate::from_num_days_from_ce_opt(w);
            }
        }
        let mut left = n.unsigned_abs();
        let mut cur = d;
        while left > 0 {
            cur = if n > 0 { cur.succ_opt()? } else { cur.pred_opt()? };
            if self.is_workday(cur) {
                left -= 1;
            }
        }
        Some(cur)
    }

    /// Working days in the half-open interval (a, b]; negative when b < a.
    pub fn workdays_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.workdays_between(b, a);
        }
        let (an, bn) = (day_number(a), day_number(b));
        if an >= self.fast_from && bn <= self.fast_to {
            let upto = |x: i32| self.workdays.partition_point(|&w| w <= x) as i64;
            return upto(bn) - upto(an);
        }
        // Outside the table: Monday–Friday counted by arithmetic, then the dated entries between.
        let mut count = weekdays_upto(bn) - weekdays_upto(an);
        for (day, e) in self.entries.range((std::ops::Bound::Excluded(a), std::ops::Bound::Included(b))) {
            let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            match (e.kind, weekday) {
                (DayKind::Workday, false) => count += 1,
                (DayKind::Holiday, true) => count -= 1,
                _ => {}
            }
        }
        count
    }

    pub fn days_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("day", DataType::Date32, false),
            Field::new("is_workday", DataType::Boolean, false),
            Field::new("workday_seq", DataType::Int32, false),
            // The end of the day (23:59:59): where a deadline of this day falls.
            Field::new("day_end", DataType::Timestamp(TimeUnit::Microsecond, None), false),
            Field::new("kind", DataType::Utf8, true),
            Field::new("name", DataType::Utf8, true),
        ]))
    }

    /// One row per day from `from` to `to`: whether it is a working day, and `workday_seq`, the
    /// number of working days from `from` up to and including it — so the N-th working day
    /// strictly after day d is the working day whose seq is seq(d) + N. This is how the checks'
    /// SQL counts working days on any engine.
    pub fn days_batch(&self, from: NaiveDate, to: NaiveDate) -> RecordBatch {
        let mut days = Vec::new();
        let mut work = Vec::new();
        let mut seqs = Vec::new();
        let mut ends = Vec::new();
        let mut kinds = Vec::new();
        let mut names = Vec::new();
        let mut seq = 0i32;
        let mut d = from;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        while d <= to {
            let w = self.is_workday(d);
            if w {
                seq += 1;
            }
            days.push((d - epoch).num_days() as i32);
            work.push(w);
            seqs.push(seq);
            ends.push(d.and_hms_opt(23, 59, 59).expect("valid time").and_utc().timestamp_micros());
            let e = self.entries.get(&d);
            kinds.push(e.map(|e| match e.kind {
                DayKind::Holiday => "holiday",
                DayKind::Workday => "workday",
            }));
            names.push(e.map(|e| e.name.clone()));
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        RecordBatch::try_new(
            Calendar::days_schema(),
            vec![
                Arc::new(Date32Array::from(days)),
                Arc::new(BooleanArray::from(work)),
                Arc::new(Int32Array::from(seqs)),
                Arc::new(TimestampMicrosecondArray::from(ends)),
                Arc::new(StringArray::from(kinds)),
                Arc::new(StringArray::from(names)),
            ],
        )
        .expect("calendar batch matches its schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shipped_facts() {
        let c = Calendar::builtin();
        assert!(!c.is_workday(d("2026-10-01")));
        assert!(!c.is_workday(d("2026-10-07")));
        assert!(c.is_workday(d("2026-10-10")), "调休 Saturday works");
        assert!(c.is_workday(d("2026-09-20")), "调休 Sunday works");
        assert!(c.is_workday(d("2024-02-09")), "2024-02-09 is a working day");
        assert!(!c.is_workday(d("2025-10-08")));
        assert!(!c.is_workday(d("2026-02-23")), "2026 Spring Festival ends on a Monday");
        assert!(c.is_workday(d("2026-02-28")));
        assert_eq!(c.covered_years().iter().copied().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
    }

    #[test]
    fn working_day_arithmetic_skips_the_national_day_week() {
        let c = Calendar::builtin();
        // Accepted Wednesday 2026-09-30; the next working day is Thursday 10-08.
        assert_eq!(c.add_workdays(d("2026-09-30"), 1), d("2026-10-08"));
        assert_eq!(c.add_workdays(d("2026-09-30"), 2), d("2026-10-09"));
        assert_eq!(c.add_workdays(d("2026-09-30"), 3), d("2026-10-10"), "Saturday 10-10 is 调休上班");
        assert_eq!(c.add_workdays(d("2026-09-30"), 4), d("2026-10-12"));
        // From a holiday, the start day still does not count.
        assert_eq!(c.add_workdays(d("2026-10-03"), 1), d("2026-10-08"));
        assert_eq!(c.add_workdays(d("2026-10-08"), -1), d("2026-09-30"));
        assert_eq!(c.add_workdays(d("2026-10-08"), 0), d("2026-10-08"));
        assert_eq!(c.workdays_between(d("2026-09-30"), d("2026-10-12")), 4);
        assert_eq!(c.workdays_between(d("2026-10-12"), d("2026-09-30")), -4);
        // Outside the tabulated range the slow path agrees with plain weekends.
        assert_eq!(c.add_workdays(d("2150-01-02"), 1), d("2150-01-05"));
    }

    #[test]
    fn arithmetic_at_the_ends_of_chrono_never_panics() {
        let c = Calendar::builtin();
        assert_eq!(c.checked_add_workdays(NaiveDate::MAX, 1), None);
        assert_eq!(c.checked_add_workdays(NaiveDate::MIN, -1), None);
        assert_eq!(c.checked_add_workdays(NaiveDate::MAX - chrono::Duration::days(10), i64::MAX), None);
        assert_eq!(c.checked_add_workdays(NaiveDate::MIN + chrono::Duration::days(10), i64::MIN), None);
        assert_eq!(c.add_workdays(NaiveDate::MAX, 5), NaiveDate::MAX);
        assert_eq!(c.checked_add_workdays(d("2026-10-08"), 0), Some(d("2026-10-08")));
        let whole = c.workdays_between(NaiveDate::MIN, NaiveDate::MAX);
        assert!(whole > 0 && whole == -c.workdays_between(NaiveDate::MAX, NaiveDate::MIN));
        assert_eq!(c.days_batch(NaiveDate::MAX, NaiveDate::MAX).num_rows(), 1);
    }

    #[test]
    fn counting_outside_the_table_agrees_with_day_by_day() {
        let mut c = Calendar::builtin();
        c.entries.insert(d("2101-01-03"), Entry { kind: DayKind::Workday, name: "调休".into() });
        c.entries.insert(d("1989-12-29"), Entry { kind: DayKind::Holiday, name: "x".into() });
        for (a, b) in [("1989-12-01", "1990-01-20"), ("2100-12-01", "2101-01-20"), ("1989-06-01", "2101-02-01"), ("0001-01-01", "0003-02-01"), ("2026-09-01", "2026-11-01")] {
            let (a, b) = (d(a), d(b));
            let by_day = a.iter_days().skip(1).take_while(|x| *x <= b).filter(|x| c.is_workday(*x)).count() as i64;
            assert_eq!(c.workdays_between(a, b), by_day, "{a}..{b}");
            assert_eq!(c.workdays_between(b, a), -by_day);
        }
    }

    #[test]
    fn days_batch_seq_matches_add_workdays() {
        let c = Calendar::builtin();
        let b = c.days_batch(d("2026-01-01"), d("2026-12-31"));
        let seq = b.column(2).as_any().downcast_ref::<Int32Array>().unwrap();
        let work = b.column(1).as_any().downcast_ref::<BooleanArray>().unwrap();
        let start = d("2026-01-01");
        for i in 0..300usize {
            let day = start + chrono::Duration::days(i as i64);
            for n in [1i64, 3, 5, 15] {
                let target = c.add_workdays(day, n);
                let j = (target - start).num_days() as usize;
                assert!(work.value(j));
                assert_eq!(seq.value(j) as i64, seq.value(i) as i64 + n, "{day} + {n}");
            }
        }
    }

    #[test]
    fn user_file_overrides_and_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("local.csv");
        std::fs::write(&p, "date,kind,name\n2027/1/1,holiday,元旦\n2026-10-12,holiday,地方假日\n").unwrap();
        let c = Calendar::load(true, std::slice::from_ref(&p)).unwrap();
        assert!(!c.is_workday(d("2027-01-01")));
        assert!(!c.is_workday(d("2026-10-12")));
        assert!(c.covers(d("2027-06-01")));
        std::fs::write(&p, "date,kind,name\n2027-01-01,day off,x\n").unwrap();
        let e = Calendar::load(true, &[p]).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("day off"), "{e}");
    }

    #[test]
    fn date_forms() {
        assert_eq!(parse_date("2026-10-08"), Some(d("2026-10-08")));
        assert_eq!(parse_date("2026/10/8"), Some(d("2026-10-08")));
        assert_eq!(parse_date("2026-10-8"), Some(d("2026-10-08")));
        assert_eq!(parse_date("2026-10/08"), None);
        assert_eq!(parse_date("26-10-08"), None);
        assert_eq!(parse_date("２０２６-10-08"), None);
        assert_eq!(parse_date("2026-02-30"), None);
    }
}
