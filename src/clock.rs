//! China time, whatever the host's zone. Exports are local China time without a zone, and so are
//! the as-of instants, schedules and report stamps.
//!
//! `WINDOWWATCH_NOW="2026-11-01 08:00:00"` pins "now" (tests and golden files use it).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

pub fn now_china() -> NaiveDateTime {
    if let Ok(s) = std::env::var("WINDOWWATCH_NOW")
        && let Some(t) = parse_timestamp(&s) {
            return t;
        }
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).naive_local();
    now.with_nanosecond_zero()
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Reads a date in the contract's date-only forms: `2026-10-08` or `2026/10/8`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let sep = if s.contains('-') { '-' } else { '/' };
    let mut it = s.split(sep);
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    let all_ascii = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !(all_ascii(y) && all_ascii(m) && all_ascii(d)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Reads the contract's timestamp forms: `2026-10-08 09:15:00`, `2026-10-08 09:15`,
/// `2026/10/8 9:15:00`, `2026-10-08T09:15:00` (date part as in [`parse_date`], hour of one or
/// two digits, minutes and seconds of two).
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    let date = parse_date(date)?;
    let time = time.trim_start();
    let mut parts = time.split(':');
    let h = parts.next()?;
    let m = parts.next()?;
    let sec = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, 1..=2) || !digits(m, 2..=2) || !sec.is_none_or(|x| digits(x, 2..=2)) {
        return None;
    }
    let t = NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, sec.map_or(Some(0), |x| x.parse().ok())?)?;
    Some(date.and_time(t))
}

/// An instant a user typed (`--as-of`, `?as_of=`): the contract's timestamp forms, or a bare
/// date meaning its first instant.
pub fn parse_instant(s: &str) -> Result<NaiveDateTime, BadInstant> {
    parse_timestamp(s).or_else(|| parse_date(s).map(|d| d.and_time(NaiveTime::MIN))).ok_or_else(|| BadInstant(s.to_string()))
}

/// An instant that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an instant; write it as \"2026-11-01 00:00:00\" (China time)")]
pub struct BadInstant(pub String);
