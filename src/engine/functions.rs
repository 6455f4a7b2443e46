//! The SQL functions windowwatch adds for analysts: working-day arithmetic on the same calendar the
//! checks count with, and the masks the reports apply. They exist so an analyst never re-derives a
//! deadline by hand (and gets it subtly wrong across 调休) or prints an ID number in full.
//!
//! `add_workdays(t, n)` is the deadline rules.md defines: the end (23:59:59) of the n-th working
//! day strictly after the date of `t`; a test holds it equal to the deadlines the time-limit rules
//! compute with `calendar_days`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::{Result, exec_datafusion_err, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;

use crate::calendar::Calendar;

/// The functions, as `\d` lists them: name, call form, what it returns.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("is_workday", "is_workday(day)", "true when the date (or the date of a timestamp) is a working day: Mon–Fri minus holidays plus 调休 workdays"),
    ("add_workdays", "add_workdays(t, n)", "the deadline n working days after t: the end (23:59:59) of the n-th working day strictly after the date of t"),
    ("workdays_between", "workdays_between(a, b)", "working days after the date of a up to and including the date of b (negative when b < a)"),
    ("mask_id", "mask_id(text)", "an ID number with only its first 6 and last 4 characters kept: 110101********1234"),
    ("mask_phone", "mask_phone(text)", "a phone number with only 3 + 4 digits kept: 138****8000"),
    ("mask_name", "mask_name(text)", "a name with only the surname kept: 张**"),
    ("mask_text", "mask_text(text)", "free text with every ID, mobile or landline number masked in place, in any typed form"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    IsWorkday,
    AddWorkdays,
    WorkdaysBetween,
    MaskId,
    MaskPhone,
    MaskName,
    MaskText,
    /// Internal: masks the personal values of a quarantined row's raw JSON (`mask_raw(raw)`).
    MaskRaw,
}

#[derive(Debug)]
struct WwFunction {
    kind: Kind,
    name: &'static str,
    signature: Signature,
    calendar: Arc<Calendar>,
}

impl PartialEq for WwFunction {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.calendar, &other.calendar)
    }
}
impl Eq for WwFunction {}
impl Hash for WwFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

/// The argument types a day may come as.
fn day_types() -> Vec<DataType> {
    let mut v = vec![DataType::Date32, DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8];
    for u in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
        v.push(DataType::Timestamp(u, None));
    }
    v
}

fn signature(kind: Kind) -> Signature {
    let v = Volatility::Immutable;
    match kind {
        Kind::IsWorkday => Signature::one_of(day_types().into_iter().map(|t| TypeSignature::Exact(vec![t])).collect(), v),
        Kind::AddWorkdays => Signature::one_of(day_types().into_iter().map(|t| TypeSignature::Exact(vec![t, DataType::Int64])).collect(), v),
        Kind::WorkdaysBetween => {
            let mut s = Vec::new();
            for a in day_types() {
                for b in day_types() {
                    s.push(TypeSignature::Exact(vec![a.clone(), b]));
                }
            }
            Signature::one_of(s, v)
        }
        _ => Signature::string(1, v),
    }
}

/// Registers every function on `ctx`, counting working days with `calendar`.
pub fn register(ctx: &SessionContext, calendar: Arc<Calendar>) {
    for f in udfs(calendar) {
        ctx.register_udf(f);
    }
}

/// Every function, counting working days with `calendar`.
pub fn udfs(calendar: Arc<Calendar>) -> Vec<ScalarUDF> {
    let all = [
        (Kind::IsWorkday, "is_workday"),
        (Kind::AddWorkdays, "add_workdays"),
        (Kind::WorkdaysBetween, "workdays_between"),
        (Kind::MaskId, "mask_id"),
        (Kind::MaskPhone, "mask_phone"),
        (Kind::MaskName, "mask_name"),
        (Kind::MaskText, "mask_text"),
        (Kind::MaskRaw, "mask_raw"),
    ];
    all.into_iter().map(|(kind, name)| ScalarUDF::from(WwFunction { kind, name, signature: signature(kind), calendar: Arc::clone(&calendar) })).collect()
}

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The days the working-day functions accept, as days since 1970-01-01: 0000-01-01 to
/// 9999-12-31, the dates a four-digit year can write (text arguments cannot say more either).
const FIRST_DAY: i64 = -719_528;
const LAST_DAY: i64 = 2_932_896;
const DAY_RANGE: &str = "0000-01-01 to 9999-12-31";

/// A day (days since 1970-01-01) within [`FIRST_DAY`]..=[`LAST_DAY`] as a date.
fn date_of_days(d: i64) -> Option<NaiveDate> {
    if !(FIRST_DAY..=LAST_DAY).contains(&d) {
        return None;
    }
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(d).ok()? + EPOCH_DAYS_FROM_CE)
}

/// Units of a timestamp per day.
fn per_day(unit: &TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 86_400,
        TimeUnit::Millisecond => 86_400_000,
        TimeUnit::Microsecond => 86_400_000_000,
        TimeUnit::Nanosecond => 86_400_000_000_000,
    }
}

/// Argument `arg` (1-based) of function `name`, any accepted day type, as dates (text in the
/// contract's date or timestamp forms). A day outside [`DAY_RANGE`] is an error naming both.
fn to_dates(name: &str, arg: usize, a: &ArrayRef) -> Result<Vec<Option<NaiveDate>>> {
    let out_of_range = |what: String| exec_datafusion_err!("{name}: argument {arg} ({what}) is outside the days it accepts, {DAY_RANGE}");
    match a.data_type() {
        DataType::Null => Ok(vec![None; a.len()]),
        DataType::Date32 => a
            .as_primitive::<datafusion::arrow::datatypes::Date32Type>()
            .iter()
            .map(|v| match v {
                None => Ok(None),
                Some(d) => date_of_days(i64::from(d)).map(Some).ok_or_else(|| out_of_range(format!("day {d} since 1970-01-01"))),
            })
            .collect(),
        DataType::Timestamp(unit, _) => {
            let per = per_day(unit);
            let raw = cast(a, &DataType::Int64)?;
            raw.as_primitive::<Int64Type>()
                .iter()
                .map(|v| match v {
                    None => Ok(None),
                    Some(t) => date_of_days(t.div_euclid(per)).map(Some).ok_or_else(|| out_of_range(format!("timestamp {t} {unit:?}s since 1970-01-01"))),
                })
                .collect()
        }
        _ => {
            let s = cast(a, &DataType::Utf8)?;
            let s = s.as_string::<i32>();
            let mut out = Vec::with_capacity(s.len());
            for v in s.iter() {
                out.push(match v {
                    None => None,
                    Some(t) => {
                        let d = crate::clock::parse_date(t).or_else(|| crate::clock::parse_timestamp(t).map(|x| x.date()));
                        match d {
                            Some(d) if date_of_days(i64::from(days_of_date(d))).is_some() => Some(d),
                            Some(_) => return Err(out_of_range(format!("`{}`", shorten(t)))),
                            None => return exec_err!("{name}: argument {arg}: `{}` is not a date (write 2026-10-08 or 2026-10-08 09:15:00)", shorten(t)),
                        }
                    }
                });
            }
            Ok(out)
        }
    }
}

/// Text quoted in a message, cut at 40 characters.
fn shorten(t: &str) -> String {
    match t.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

fn days_of_date(d: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&d) - EPOCH_DAYS_FROM_CE
}

/// The most working days `add_workdays` counts, either way (about 400 years).
const MAX_WORKDAYS: i64 = 100_000;

/// `add_workdays` on one row: the end of the working day, in microseconds since 1970.
fn deadline(cal: &Calendar, d: NaiveDate, k: i64) -> Result<i64> {
    if !(-MAX_WORKDAYS..=MAX_WORKDAYS).contains(&k) {
        return exec_err!("add_workdays: argument 2 ({k} working days) is outside the counts it accepts, -{MAX_WORKDAYS} to {MAX_WORKDAYS}");
    }
    let Some(day) = cal.checked_add_workdays(d, k) else {
        return exec_err!("add_workdays: {k} working days from {d} fall outside the dates there are");
    };
    match day.and_hms_opt(23, 59, 59) {
        Some(end) => Ok(end.and_utc().timestamp_micros()),
        None => exec_err!("add_workdays: no end of day for {day}"),
    }
}

fn mask_strings(a: &ArrayRef, f: impl Fn(&str) -> String) -> Result<ArrayRef> {
    let s = cast(a, &DataType::Utf8)?;
    let out: StringArray = s.as_string::<i32>().iter().map(|v| v.map(&f)).collect();
    Ok(Arc::new(out))
}

impl ScalarUDFImpl for WwFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::IsWorkday => DataType::Boolean,
            Kind::AddWorkdays => DataType::Timestamp(TimeUnit::Microsecond, None),
            Kind::WorkdaysBetween => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let cal = &self.calendar;
        let out: ArrayRef = match self.kind {
            Kind::IsWorkday => {
                let d = to_dates(self.name, 1, &arrays[0])?;
                Arc::new(d.iter().map(|v| v.map(|x| cal.is_workday(x))).collect::<BooleanArray>())
            }
            Kind::AddWorkdays => {
                let d = to_dates(self.name, 1, &arrays[0])?;
                let n = cast(&arrays[1], &DataType::Int64)?;
                let n = n.as_primitive::<Int64Type>();
                let out = d
                    .iter()
                    .zip(n.iter())
                    .map(|(d, k)| match (d, k) {
                        (Some(d), Some(k)) => deadline(cal, *d, k).map(Some),
                        _ => Ok(None),
                    })
                    .collect::<Result<TimestampMicrosecondArray>>()?;
                Arc::new(out)
            }
            Kind::WorkdaysBetween => {
                let a = to_dates(self.name, 1, &arrays[0])?;
                let b = to_dates(self.name, 2, &arrays[1])?;
                let out: Int64Array = a.iter().zip(&b).map(|(a, b)| Some(cal.workdays_between((*a)?, (*b)?))).collect();
                Arc::new(out)
            }
            Kind::MaskId => mask_strings(&arrays[0], crate::mask::mask_id)?,
            Kind::MaskPhone => mask_strings(&arrays[0], crate::mask::mask_phone)?,
            Kind::MaskName => mask_strings(&arrays[0], crate::mask::mask_name)?,
            Kind::MaskText => mask_strings(&arrays[0], crate::mask::mask_text)?,
            Kind::MaskRaw => mask_strings(&arrays[0], crate::mask::mask_raw_row)?,
        };
        if scalar {
            Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn one(ctx: &SessionContext, sql: &str) -> String {
        let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let t = crate::output::textual(&b[0]).unwrap();
        datafusion::arrow::util::display::array_value_to_string(t.column(0), 0).unwrap()
    }

    /// Each query's one value, as text, is the one given beside it.
    async fn answers(ctx: &SessionContext, cases: &[(&str, &str)]) {
        for (sql, want) in cases {
            assert_eq!(one(ctx, sql).await, *want, "{sql}");
        }
    }

    /// A context with the functions over the built-in calendar.
    fn with_functions() -> SessionContext {
        let ctx = SessionContext::new();
        register(&ctx, Arc::new(Calendar::builtin()));
        ctx
    }

    #[tokio::test]
    async fn working_day_functions_follow_the_2026_holidays() {
        let ctx = with_functions();
        // 2026-09-30 (Wed) + 3 working days: 10-01..10-07 are the National Day holiday, 10-10 (Sat) is 调休.
        answers(
            &ctx,
            &[
                ("SELECT add_workdays(TIMESTAMP '2026-09-30 16:00:00', 3)", "2026-10-10 23:59:59"),
                ("SELECT add_workdays(DATE '2026-09-30', 1)", "2026-10-08 23:59:59"),
                ("SELECT add_workdays('2026/10/9', 0)", "2026-10-09 23:59:59"),
                ("SELECT is_workday(DATE '2026-10-10')", "true"),
                ("SELECT is_workday(TIMESTAMP '2026-10-05 10:00:00')", "false"),
                ("SELECT workdays_between(DATE '2026-09-30', DATE '2026-10-10')", "3"),
                ("SELECT workdays_between(DATE '2026-10-10', DATE '2026-09-30')", "-3"),
                ("SELECT CAST(add_workdays(NULL, 3) AS VARCHAR) IS NULL", "true"),
            ],
        )
        .await;
        let e = ctx.sql("SELECT is_workday('next tuesday')").await.unwrap().collect().await.unwrap_err();
        assert!(e.to_string().contains("is not a date"), "{e}");
    }

    /// The extremes of every argument type the functions take, as SQL.
    fn day_args() -> Vec<String> {
        let mut v: Vec<String> = [i32::MIN, -719_529, -1, 0, 2_932_897, 100_000_000, i32::MAX].iter().map(|d| format!("arrow_cast(arrow_cast({d}, 'Int32'), 'Date32')")).collect();
        for unit in ["Second", "Millisecond", "Microsecond", "Nanosecond"] {
            for t in [i64::MIN, -1, 0, 253_402_300_800, i64::MAX] {
                v.push(format!("arrow_cast({t}, 'Timestamp({unit}, None)')"));
            }
        }
        for t in ["", "0000-01-01", "9999-12-31", "9999-12-31 23:59:59", "２０２６-10-08", "二〇二六年十月八日", "2026-02-30", "-001-01-01"] {
            v.push(format!("'{t}'"));
        }
        v.push(format!("'{}'", "9".repeat(100_000)));
        v.extend(["NULL".to_string(), "CAST(NULL AS DATE)".into(), "CAST(NULL AS TIMESTAMP)".into(), "CAST(NULL AS VARCHAR)".into()]);
        v
    }

    fn count_args() -> Vec<String> {
        let mut v: Vec<String> = [i64::MIN, -100_001, -100_000, -1, 0, 1_000_000, 100_000, i64::MAX].iter().map(|n| format!("arrow_cast({n}, 'Int64')")).collect();
        v.push("CAST(NULL AS BIGINT)".into());
        v
    }

    fn text_args() -> Vec<String> {
        let mut v: Vec<String> = ["", " ", "1", "张", "欧阳", "a b", "{\"姓名\":\"张三\"}", "[[[[", "😀😀😀😀😀😀😀😀😀😀😀😀"].iter().map(|t| format!("'{t}'")).collect();
        v.push(format!("'{}'", "1".repeat(100_000)));
        v.push(format!("'{}'", "{\"a\":".repeat(1000)));
        v.push(format!("'{}'", "身".repeat(50_000)));
        v.extend(["NULL".to_string(), "CAST(NULL AS VARCHAR)".into(), "arrow_cast(7, 'Int64')".into(), "arrow_cast(0, 'Date32')".into()]);
        v
    }

    /// Runs one call: its value, or the error as text. A panic would fail the test.
    async fn call(ctx: &SessionContext, sql: &str) -> std::result::Result<String, String> {
        let r = match ctx.sql(sql).await {
            Ok(df) => df.collect().await,
            Err(e) => Err(e),
        };
        match r {
            Ok(b) => Ok(crate::output::textual(&b[0]).map_or_else(|e| e.to_string(), |t| datafusion::arrow::util::display::array_value_to_string(t.column(0), 0).unwrap_or_default())),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn every_function_answers_the_extremes_of_every_argument_with_a_value_or_an_error() {
        let ctx = with_functions();
        let mut calls = Vec::new();
        for d in day_args() {
            calls.push(format!("is_workday({d})"));
            for n in count_args() {
                calls.push(format!("add_workdays({d}, {n})"));
            }
            for e in day_args() {
                calls.push(format!("workdays_between({d}, {e})"));
            }
        }
        for t in text_args() {
            for f in ["mask_id", "mask_phone", "mask_name", "mask_text", "mask_raw"] {
                calls.push(format!("{f}({t})"));
            }
        }
        for c in &calls {
            let _ = call(&ctx, &format!("SELECT {c}")).await;
        }
        // Whole columns too, not only constants.
        let column = format!("SELECT is_workday(d), add_workdays(d, 1), workdays_between(d, d) FROM (VALUES {}) t(d)", day_args()[..7].iter().map(|d| format!("({d})")).collect::<Vec<_>>().join(", "));
        assert!(call(&ctx, &column).await.is_err());
    }

    #[tokio::test]
    async fn out_of_range_arguments_name_the_function_the_argument_and_the_range() {
        let ctx = with_functions();
        let err = |sql: &'static str, parts: &'static [&'static str]| {
            let ctx = ctx.clone();
            async move {
                let e = call(&ctx, sql).await.expect_err(sql);
                for p in parts {
                    assert!(e.contains(p), "{sql}: `{p}` missing from {e}");
                }
            }
        };
        err("SELECT is_workday(arrow_cast(100000000, 'Date32'))", &["is_workday", "argument 1", "0000-01-01 to 9999-12-31"]).await;
        err("SELECT add_workdays(arrow_cast(95000000, 'Date32'), 100000)", &["add_workdays", "argument 1", "0000-01-01 to 9999-12-31"]).await;
        err("SELECT add_workdays(DATE '2026-10-08', 100001)", &["add_workdays", "argument 2", "-100000 to 100000"]).await;
        err("SELECT add_workdays(DATE '2026-10-08', arrow_cast(-9223372036854775808, 'Int64'))", &["add_workdays", "argument 2"]).await;
        err("SELECT workdays_between(DATE '2026-10-08', arrow_cast(9223372036854775807, 'Timestamp(Second, None)'))", &["workdays_between", "argument 2"]).await;
        err("SELECT is_workday(arrow_cast(-9223372036854775808, 'Timestamp(Second, None)'))", &["is_workday", "argument 1", "timestamp"]).await;
        err("SELECT is_workday('')", &["is_workday", "argument 1", "is not a date"]).await;
        // The ends of the range still answer (a nanosecond timestamp cannot pass 2262), and NULL in is NULL out.
        assert_eq!(call(&ctx, "SELECT workdays_between(DATE '2026-10-08', arrow_cast(9223372036854775807, 'Timestamp(Nanosecond, None)'))").await.unwrap(), "61442");
        let far = call(&ctx, "SELECT add_workdays(DATE '9999-12-31', 100000)").await.unwrap();
        assert!(far.ends_with("23:59:59"), "{far}");
        assert_eq!(call(&ctx, "SELECT workdays_between(DATE '0000-01-01', DATE '9999-12-31')").await.unwrap(), "2608838", "weekdays of 10,000 years, less the 2024–2026 holidays");
        assert_eq!(call(&ctx, "SELECT is_workday(arrow_cast(0, 'Timestamp(Nanosecond, None)'))").await.unwrap(), "true");
        assert_eq!(call(&ctx, "SELECT add_workdays(DATE '2026-10-08', CAST(NULL AS BIGINT)) IS NULL").await.unwrap(), "true");
        assert_eq!(call(&ctx, "SELECT workdays_between(NULL, DATE '2026-10-08') IS NULL").await.unwrap(), "true");
        assert_eq!(call(&ctx, "SELECT mask_id(NULL) IS NULL").await.unwrap(), "true");
        assert_eq!(call(&ctx, "SELECT mask_name('')").await.unwrap(), "");
    }

    #[test]
    fn the_accepted_day_range_is_years_0000_to_9999() {
        assert_eq!(date_of_days(FIRST_DAY), NaiveDate::from_ymd_opt(0, 1, 1));
        assert_eq!(date_of_days(LAST_DAY), NaiveDate::from_ymd_opt(9999, 12, 31));
        assert_eq!(date_of_days(FIRST_DAY - 1), None);
        assert_eq!(date_of_days(LAST_DAY + 1), None);
    }

    #[tokio::test]
    async fn masks_match_the_reports() {
        let ctx = with_functions();
        answers(
            &ctx,
            &[
                ("SELECT mask_id('110101199001011234')", "110101********1234"),
                ("SELECT mask_phone('13800138000')", "138****8000"),
                ("SELECT mask_name('欧阳修')", "欧阳*"),
                ("SELECT mask_text('电话13800138000请回电')", "电话138****8000请回电"),
            ],
        )
        .await;
    }
}
