//! Reading one cell as its contract type: timestamps in every accepted form and Excel date cells,
//! booleans, integers, enums and satisfaction levels, and the missing markers.
//!
//! Kept apart from the format readers so CSV text, JSON values and XLSX cells go through exactly
//! the same rules: a value that cannot be read is a reason to quarantine its row, never a guess.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

pub use crate::clock::{parse_date, parse_timestamp};
use crate::contract::{ColType, NumericLevels, parse_level_label};

/// One cell as a reader found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    /// An Excel date/time cell.
    DateTime(NaiveDateTime),
}

/// One value, typed as its column; text borrows the cell's when it can (no allocation per cell).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    /// Microseconds since 1970-01-01 00:00:00, local China time.
    Ts(i64),
    /// Days since 1970-01-01.
    Date(i32),
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// Why a cell could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum CellProblem {
    /// Not readable as the column's type.
    Bad(String),
    /// Not one of the enumeration's values.
    Unknown(String),
    /// A numeric satisfaction level while no direction is configured (a whole-file error).
    NumericLevelUnconfigured(String),
}

/// `""`, `NULL`, `null` and `-` mean missing (after trimming).
pub fn is_missing(s: &str) -> bool {
    matches!(s, "" | "NULL" | "null" | "-")
}

pub fn epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
}

pub fn ts_micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

pub fn micros_to_naive(us: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_micros(us).expect("timestamp in range").naive_utc()
}

pub fn date_days(d: NaiveDate) -> i32 {
    (d - epoch_date()).num_days() as i32
}

pub fn days_to_date(days: i32) -> NaiveDate {
    epoch_date() + chrono::Duration::days(days as i64)
}

/// An Excel date cell rounded to the second (Excel stores days as a float).
fn round_to_second(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() as i64;
    let base = t.with_nanosecond(0).unwrap();
    if nanos >= 500_000_000 { base + chrono::Duration::seconds(1) } else { base }
}

/// Reads a boolean: 是/否, true/false, 1/0, Y/N in any case.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "是" | "true" | "1" | "y" => Some(true),
        "否" | "false" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// Reads an integer written with ASCII digits (full-width digits are not numbers here).
pub fn parse_int(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A number cell as text, the way a person reads it in Excel (1001, not 1001.0).
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Reads a count: a whole number ≥ 0.
fn parse_count(s: &str) -> Option<i64> {
    parse_int(s).filter(|n| *n >= 0)
}

/// Reads a number ≥ 0 written with ASCII digits and at most one decimal point (1, 1.5, 0.5).
fn parse_number(s: &str) -> Option<f64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Reads a month as `YYYY-MM`: 2026-10, 2026/10, 2026.10, 2026年10月, 202610 (month 1–12).
pub fn parse_month(s: &str) -> Option<String> {
    let t = s.trim().trim_end_matches('月');
    let (y, m) = if let Some((y, m)) = t.split_once(['-', '/', '.', '年']) {
        (y, m)
    } else if t.len() == 6 && t.is_ascii() {
        t.split_at(4)
    } else {
        return None;
    };
    let ok = |p: &str, n: usize| (1..=n).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if y.len() != 4 || !ok(y, 4) || !ok(m, 2) {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((1..=12).contains(&m) && (1900..=2999).contains(&y)).then(|| format!("{y:04}-{m:02}"))
}

fn number_ok(ty: ColType, n: f64) -> bool {
    n.is_finite() && n >= 0.0 && (ty == ColType::Number || n.fract() == 0.0)
}

fn type_word(ty: ColType) -> &'static str {
    match ty {
        ColType::Timestamp => "timestamp",
        ColType::Date => "date",
        ColType::Bool | ColType::Found => "boolean",
        ColType::Int => "integer",
        ColType::Count => "whole number ≥ 0",
        ColType::Number => "number ≥ 0",
        ColType::Month => "month (YYYY-MM)",
        _ => "value",
    }
}

/// The exports' usual `YYYY-MM-DD HH:MM:SS` (or `T` between), read by position: exactly what
/// [`parse_timestamp`] makes of it, without its splitting. None when `s` has another shape (then
/// `parse_timestamp` reads it).
fn canonical_timestamp(s: &str) -> Option<Option<NaiveDateTime>> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    Some(NaiveDate::from_ymd_opt(y as i32, mo, d).and_then(|date| NaiveTime::from_hms_opt(h, mi, se).map(|t| date.and_time(t))))
}

/// Reads one cell as `ty`. `levels` is the configured direction of numeric satisfaction levels.
pub fn read_cell<'a>(cell: &Cell<'a>, ty: ColType, levels: Option<NumericLevels>) -> Result<Value<'a>, CellProblem> {
    let bad = |shown: &str| CellProblem::Bad(format!("`{shown}` is not a {}", type_word(ty)));
    let text: Cow<'a, str> = match cell {
        Cell::Empty => return Ok(Value::Null),
        Cell::Text(s) => {
            let s: &'a str = s;
            let t = s.trim();
            if is_missing(t) {
                return Ok(Value::Null);
            }
            t.into()
        }
        Cell::Number(n) => {
            match ty {
                ColType::Int => {
                    return if n.fract() == 0.0 && n.is_finite() { Ok(Value::Int(*n as i64)) } else { Err(bad(&number_text(*n))) };
                }
                ColType::Count => {
                    return if number_ok(ty, *n) { Ok(Value::Int(*n as i64)) } else { Err(bad(&number_text(*n))) };
                }
                ColType::Number => return if number_ok(ty, *n) { Ok(Value::Float(*n)) } else { Err(bad(&number_text(*n))) },
                ColType::Timestamp | ColType::Date => return Err(bad(&number_text(*n))),
                _ => number_text(*n).into(),
            }
        }
        Cell::Bool(b) => match ty {
            ColType::Bool | ColType::Found => return Ok(Value::Bool(*b)),
            _ => (if *b { "true" } else { "false" }).into(),
        },
        Cell::DateTime(t) => {
            let t = round_to_second(*t);
            return match ty {
                ColType::Timestamp => Ok(Value::Ts(ts_micros(t))),
                ColType::Date if t.time() == NaiveTime::MIN => Ok(Value::Date(date_days(t.date()))),
                ColType::Text => Ok(Value::Str(t.format("%Y-%m-%d %H:%M:%S").to_string().into())),
                // A month typed into Excel becomes the first day of that month.
                ColType::Month if t.time() == NaiveTime::MIN && t.day() == 1 => Ok(Value::Str(t.format("%Y-%m").to_string().into())),
                _ => Err(bad(&t.format("%Y-%m-%d %H:%M:%S").to_string())),
            };
        }
    };
    if ty == ColType::Text {
        return Ok(Value::Str(text));
    }
    let s: &str = &text;
    match ty {
        ColType::Text => Ok(Value::Str(s.to_string().into())),
        ColType::Timestamp => canonical_timestamp(s).unwrap_or_else(|| parse_timestamp(s)).map(|t| Value::Ts(ts_micros(t))).ok_or_else(|| bad(s)),
        ColType::Date => parse_date(s).map(|d| Value::Date(date_days(d))).ok_or_else(|| bad(s)),
        ColType::Bool => parse_bool(s).map(Value::Bool).ok_or_else(|| bad(s)),
        ColType::Int => parse_int(s).map(Value::Int).ok_or_else(|| bad(s)),
        ColType::Found => match s {
            "有" => Ok(Value::Bool(true)),
            "无" => Ok(Value::Bool(false)),
            _ => parse_bool(s).map(Value::Bool).ok_or_else(|| bad(s)),
        },
        ColType::Count => parse_count(s).map(Value::Int).ok_or_else(|| bad(s)),
        ColType::Number => parse_number(s).map(Value::Float).ok_or_else(|| bad(s)),
        ColType::Month => parse_month(s).map(|m| Value::Str(m.into())).ok_or_else(|| bad(s)),
        ColType::Enum(kind) => kind
            .parse(s)
            .map(|v| Value::Str(v.into()))
            .ok_or_else(|| CellProblem::Unknown(format!("`{s}` is not one of {}", kind.labels().join("/")))),
        ColType::Level => {
            if let Some(l) = parse_level_label(s) {
                return Ok(Value::Str(l.into()));
            }
            match parse_int(s) {
                Some(n) => match levels {
                    None => Err(CellProblem::NumericLevelUnconfigured(s.to_string())),
                    Some(dir) => dir
                        .label(n)
                        .map(|l| Value::Str(l.into()))
                        .ok_or_else(|| CellProblem::Unknown(format!("level `{s}` is outside 1–5"))),
                },
                None => Err(CellProblem::Unknown(format!(
                    "`{s}` is not a satisfaction level (非常满意/很满意, 满意, 基本满意/一般, 不满意, 非常不满意)"
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::EnumKind;

    fn ts(s: &str) -> Value<'static> {
        Value::Ts(ts_micros(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()))
    }
    fn text(s: &str) -> Cell<'_> {
        Cell::Text(s)
    }

    #[test]
    fn every_timestamp_form_of_the_contract() {
        for s in ["2026-10-08 09:15:00", "2026-10-08 09:15", "2026/10/8 9:15:00", "2026-10-08T09:15:00", " 2026/10/08 09:15 "] {
            assert_eq!(read_cell(&text(s), ColType::Timestamp, None), Ok(ts("2026-10-08 09:15:00")), "{s}");
        }
        for s in ["2026-10-08", "２０２６-10-08 09:15", "2026-10-08 9:5", "2026-10-08 25:00", "08/10/2026 09:15", "2026-10-08 09:15:00.5", "yesterday"] {
            assert!(matches!(read_cell(&text(s), ColType::Timestamp, None), Err(CellProblem::Bad(_))), "{s}");
        }
        let excel = NaiveDate::from_ymd_opt(2026, 10, 8).unwrap().and_hms_nano_opt(9, 14, 59, 999_900_000).unwrap();
        assert_eq!(read_cell(&Cell::DateTime(excel), ColType::Timestamp, None), Ok(ts("2026-10-08 09:15:00")));
        assert!(read_cell(&Cell::Number(46303.4), ColType::Timestamp, None).is_err(), "a plain number is not a date cell");
    }

    /// The positional reading of `YYYY-MM-DD HH:MM:SS` gives what `parse_timestamp` gives, for
    /// good and bad values of that shape; other shapes are left to `parse_timestamp`.
    #[test]
    fn canonical_timestamps_read_as_parse_timestamp_reads_them() {
        let same_shape = [
            "2026-10-08 09:15:00", "2026-10-08T23:59:59", "2024-02-29 00:00:00", "2026-02-29 10:00:00", "2026-13-01 10:00:00",
            "2026-00-10 10:00:00", "2026-10-00 10:00:00", "2026-10-08 24:00:00", "2026-10-08 09:60:00", "2026-10-08 09:15:60",
            "0000-01-01 00:00:00", "9999-12-31 23:59:59", "2026-1a-08 09:15:00", "2026-10-08 0x:15:00", "+026-10-08 09:15:00",
            "２０２６-10-08 09:15", "2026-10-08 -9:15:00", "2026/10/08 09:15:00", "2026-10-08_09:15:00",
        ];
        for s in same_shape {
            if let Some(t) = canonical_timestamp(s) {
                assert_eq!(t, parse_timestamp(s), "{s}");
            }
        }
        assert!(canonical_timestamp("2026-10-08 09:15:00").is_some_and(|t| t.is_some()));
        assert!(canonical_timestamp("2026-02-30 09:15:00").is_some_and(|t| t.is_none()));
        for s in ["2026-10-08 9:15:00", "2026-10-08 09:15", "2026/10/8 9:15:00", "2026-10-08 09:15:00.5", ""] {
            assert_eq!(canonical_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn dates_bools_ints_and_missing_markers() {
        let d = Value::Date(date_days(NaiveDate::from_ymd_opt(2026, 10, 8).unwrap()));
        assert_eq!(read_cell(&text("2026/10/8"), ColType::Date, None), Ok(d.clone()));
        let midnight = NaiveDate::from_ymd_opt(2026, 10, 8).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(read_cell(&Cell::DateTime(midnight), ColType::Date, None), Ok(d));
        for (s, b) in [("是", true), ("否", false), ("TRUE", true), ("False", false), ("1", true), ("0", false), ("y", true), ("N", false)] {
            assert_eq!(read_cell(&text(s), ColType::Bool, None), Ok(Value::Bool(b)), "{s}");
        }
        assert!(read_cell(&text("yes"), ColType::Bool, None).is_err());
        assert_eq!(read_cell(&text("15"), ColType::Int, None), Ok(Value::Int(15)));
        assert_eq!(read_cell(&Cell::Number(15.0), ColType::Int, None), Ok(Value::Int(15)));
        assert!(read_cell(&text("１５"), ColType::Int, None).is_err(), "full-width digits are rejected");
        assert!(read_cell(&text("15.0"), ColType::Int, None).is_err());
        assert!(read_cell(&Cell::Number(1.5), ColType::Int, None).is_err());
        for m in ["", "  ", "NULL", "null", "-"] {
            assert_eq!(read_cell(&text(m), ColType::Int, None), Ok(Value::Null), "{m:?}");
        }
        assert_eq!(read_cell(&Cell::Number(1001.0), ColType::Text, None), Ok(Value::Str("1001".into())));
        assert_eq!(read_cell(&text("  W01 "), ColType::Text, None), Ok(Value::Str("W01".into())));
    }

    #[test]
    fn enums_and_levels() {
        assert_eq!(read_cell(&text("2"), ColType::Enum(EnumKind::CaseType), None), Ok(Value::Str("承诺件".into())));
        assert_eq!(read_cell(&Cell::Number(1.0), ColType::Enum(EnumKind::CaseType), None), Ok(Value::Str("即办件".into())));
        assert!(matches!(read_cell(&text("已完成"), ColType::Enum(EnumKind::TicketStatus), None), Err(CellProblem::Unknown(_))));
        assert_eq!(read_cell(&text("很满意"), ColType::Level, None), Ok(Value::Str("非常满意".into())));
        assert_eq!(read_cell(&text("2"), ColType::Level, None), Err(CellProblem::NumericLevelUnconfigured("2".into())));
        assert_eq!(read_cell(&Cell::Number(2.0), ColType::Level, Some(NumericLevels::OneIsWorst)), Ok(Value::Str("不满意".into())));
        assert_eq!(read_cell(&text("2"), ColType::Level, Some(NumericLevels::OneIsBest)), Ok(Value::Str("满意".into())));
        assert!(matches!(read_cell(&text("7"), ColType::Level, Some(NumericLevels::OneIsBest)), Err(CellProblem::Unknown(_))));
    }

    #[test]
    fn the_supervision_tables_types() {
        let ok = |s: &'static str, ty| read_cell(&text(s), ty, None);
        for (s, m) in [("2026-10", "2026-10"), ("2026/1", "2026-01"), ("2026.10", "2026-10"), ("2026年10月", "2026-10"), ("202603", "2026-03")] {
            assert_eq!(ok(s, ColType::Month), Ok(Value::Str(m.into())), "{s}");
        }
        for s in ["2026-13", "2026-0", "26-10", "2026-10-08", "10月", "2026年", "２０２６-10", "2026-1a"] {
            assert!(ok(s, ColType::Month).is_err(), "{s}");
        }
        let first = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_time(NaiveTime::MIN);
        assert_eq!(read_cell(&Cell::DateTime(first), ColType::Month, None), Ok(Value::Str("2026-10".into())));
        assert!(read_cell(&Cell::DateTime(first + chrono::Duration::days(1)), ColType::Month, None).is_err());
        assert_eq!(ok("有", ColType::Found), Ok(Value::Bool(true)));
        assert_eq!(ok("无", ColType::Found), Ok(Value::Bool(false)));
        assert_eq!(ok("是", ColType::Found), Ok(Value::Bool(true)));
        assert!(ok("有", ColType::Bool).is_err(), "有/无 only where the contract says so");
        assert_eq!(ok("20", ColType::Count), Ok(Value::Int(20)));
        assert_eq!(read_cell(&Cell::Number(3.0), ColType::Count, None), Ok(Value::Int(3)));
        for s in ["-1", "1.5", "x"] {
            assert!(ok(s, ColType::Count).is_err(), "{s}");
        }
        assert!(read_cell(&Cell::Number(-2.0), ColType::Count, None).is_err());
        assert_eq!(ok("1.5", ColType::Number), Ok(Value::Float(1.5)));
        assert_eq!(ok("9", ColType::Number), Ok(Value::Float(9.0)));
        assert_eq!(read_cell(&Cell::Number(0.5), ColType::Number, None), Ok(Value::Float(0.5)));
        for s in ["-0.5", "1.", ".5", "1e3", "NaN", "inf", "1,5"] {
            assert!(ok(s, ColType::Number).is_err(), "{s}");
        }
        assert!(read_cell(&Cell::Number(f64::NAN), ColType::Number, None).is_err());
        assert_eq!(ok("合同制", ColType::Enum(crate::contract::EnumKind::Employment)), Ok(Value::Str("非编".into())));
        assert_eq!(ok("正式在编", ColType::Enum(crate::contract::EnumKind::Employment)), Ok(Value::Str("在编".into())));
    }
}
