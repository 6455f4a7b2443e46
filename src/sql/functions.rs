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
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int64Array, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::{Result, exec_err};
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

fn date_of_days(d: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d + EPOCH_DAYS_FROM_CE).expect("date in range")
}

fn days_of_date(d: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&d) - EPOCH_DAYS_FROM_CE
}

/// Any accepted day argument as dates (text in the contract's date or timestamp forms).
fn to_dates(name: &str, a: &ArrayRef) -> Result<Date32Array> {
    match a.data_type() {
        DataType::Date32 => Ok(a.as_primitive().clone()),
        DataType::Timestamp(_, _) => Ok(cast(a, &DataType::Date32)?.as_primitive().clone()),
        _ => {
            let s = cast(a, &DataType::Utf8)?;
            let s = s.as_string::<i32>();
            let mut out = Vec::with_capacity(s.len());
            for v in s.iter() {
                out.push(match v {
                    None => None,
                    Some(t) => {
                        let d = crate::calendar::parse_date(t).or_else(|| crate::ingest::values::parse_timestamp(t).map(|x| x.date()));
                        match d {
                            Some(d) => Some(days_of_date(d)),
                            None => return exec_err!("{name}: `{t}` is not a date (write 2026-10-08 or 2026-10-08 09:15:00)"),
                        }
                    }
                });
            }
            Ok(Date32Array::from(out))
        }
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
                let d = to_dates(self.name, &arrays[0])?;
                Arc::new(d.iter().map(|v| v.map(|x| cal.is_workday(date_of_days(x)))).collect::<BooleanArray>())
            }
            Kind::AddWorkdays => {
                let d = to_dates(self.name, &arrays[0])?;
                let n = cast(&arrays[1], &DataType::Int64)?;
                let n = n.as_primitive::<Int64Type>();
                let mut out = Vec::with_capacity(d.len());
                for i in 0..d.len() {
                    if d.is_null(i) || n.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    let k = n.value(i);
                    if k.abs() > 100_000 {
                        return exec_err!("add_workdays: {k} working days is out of range");
                    }
                    let day = cal.add_workdays(date_of_days(d.value(i)), k);
                    let end = day.and_hms_opt(23, 59, 59).expect("valid time");
                    out.push(Some(end.and_utc().timestamp_micros()));
                }
                Arc::new(TimestampMicrosecondArray::from(out))
            }
            Kind::WorkdaysBetween => {
                let a = to_dates(self.name, &arrays[0])?;
                let b = to_dates(self.name, &arrays[1])?;
                let out: Int64Array = (0..a.len())
                    .map(|i| (!a.is_null(i) && !b.is_null(i)).then(|| cal.workdays_between(date_of_days(a.value(i)), date_of_days(b.value(i)))))
                    .collect();
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

    #[tokio::test]
    async fn working_day_functions_follow_the_2026_holidays() {
        let ctx = SessionContext::new();
        register(&ctx, Arc::new(Calendar::builtin()));
        // 2026-09-30 (Wed) + 3 working days: 10-01..10-07 are the National Day holiday, 10-10 (Sat) is 调休.
        assert_eq!(one(&ctx, "SELECT add_workdays(TIMESTAMP '2026-09-30 16:00:00', 3)").await, "2026-10-10 23:59:59");
        assert_eq!(one(&ctx, "SELECT add_workdays(DATE '2026-09-30', 1)").await, "2026-10-08 23:59:59");
        assert_eq!(one(&ctx, "SELECT add_workdays('2026/10/9', 0)").await, "2026-10-09 23:59:59");
        assert_eq!(one(&ctx, "SELECT is_workday(DATE '2026-10-10')").await, "true");
        assert_eq!(one(&ctx, "SELECT is_workday(TIMESTAMP '2026-10-05 10:00:00')").await, "false");
        assert_eq!(one(&ctx, "SELECT workdays_between(DATE '2026-09-30', DATE '2026-10-10')").await, "3");
        assert_eq!(one(&ctx, "SELECT workdays_between(DATE '2026-10-10', DATE '2026-09-30')").await, "-3");
        assert_eq!(one(&ctx, "SELECT CAST(add_workdays(NULL, 3) AS VARCHAR) IS NULL").await, "true");
        let e = ctx.sql("SELECT is_workday('next tuesday')").await.unwrap().collect().await.unwrap_err();
        assert!(e.to_string().contains("is not a date"), "{e}");
    }

    #[tokio::test]
    async fn masks_match_the_reports() {
        let ctx = SessionContext::new();
        register(&ctx, Arc::new(Calendar::builtin()));
        assert_eq!(one(&ctx, "SELECT mask_id('110101199001011234')").await, "110101********1234");
        assert_eq!(one(&ctx, "SELECT mask_phone('13800138000')").await, "138****8000");
        assert_eq!(one(&ctx, "SELECT mask_name('欧阳修')").await, "欧阳*");
        assert_eq!(one(&ctx, "SELECT mask_text('电话13800138000请回电')").await, "电话138****8000请回电");
    }
}
