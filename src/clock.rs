//! China time, whatever the host's zone. Exports are local China time without a zone, and so are
//! the as-of instants, schedules and report stamps.
//!
//! `WINDOWWATCH_NOW="2026-11-01 08:00:00"` pins "now" (tests and golden files use it).

use chrono::NaiveDateTime;

pub fn now_china() -> NaiveDateTime {
    if let Ok(s) = std::env::var("WINDOWWATCH_NOW")
        && let Some(t) = crate::ingest::values::parse_timestamp(&s) {
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
