//! Which occurrences of a job are owed: the ones its cron produced, in China time, after the
//! latest occurrence the run ledger says was served, up to now.
//!
//! This one rule gives catch-up, retries and "never twice" together: an occurrence missed while
//! the daemon was stopped is owed at the next start; one whose run failed stays owed, so the next
//! tick (or `retry_secs` later) runs it again; one that ran ok is behind the served mark and is
//! never owed again, however often the daemon restarts. Jobs that fire often (`catch_up =
//! "latest"`, the default for inbox, check and daily) run only the newest owed occurrence, which
//! stands for the ones before it; monthly and register (`"all"`) run every owed occurrence,
//! oldest first, at most [`MAX_CATCH_UP`] of them.

use chrono::NaiveDateTime;
use croner::Cron;

/// The most occurrences one job runs in one catch-up with `catch_up = "all"`; older ones are
/// dropped (and logged).
pub const MAX_CATCH_UP: usize = 31;

/// Occurrences counted at most when folding (a per-second cron after a long downtime).
const MAX_COUNT: usize = 100_000;

pub use crate::config::CatchUp;

/// What is owed for one job now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owed {
    /// The occurrences to run, oldest first, each with how many older occurrences it stands for.
    pub runs: Vec<(NaiveDateTime, i64)>,
    /// Occurrences beyond [`MAX_CATCH_UP`] that will not run.
    pub dropped: usize,
}

/// The next and the latest firing of a cron, China time: computed in `config`, beside the cron's
/// parser, so that the pages (which may not import the scheduler) say the same next run.
pub use crate::config::{latest_at_or_before, next_after};

/// The occurrences in (`served_until`, `now`] to run under `policy`.
pub fn owed(cron: &Cron, served_until: NaiveDateTime, now: NaiveDateTime, policy: CatchUp) -> Owed {
    match policy {
        CatchUp::Latest => {
            let Some(latest) = latest_at_or_before(cron, now) else { return Owed::default() };
            if latest <= served_until {
                return Owed::default();
            }
            let mut folded = 0i64;
            let mut t = served_until;
            while let Some(n) = next_after(cron, t) {
                if n >= latest || folded as usize >= MAX_COUNT {
                    break;
                }
                folded += 1;
                t = n;
            }
            Owed { runs: vec![(latest, folded)], dropped: 0 }
        }
        CatchUp::All => {
            let mut all: std::collections::VecDeque<NaiveDateTime> = std::collections::VecDeque::new();
            let mut dropped = 0usize;
            let mut t = served_until;
            while let Some(n) = next_after(cron, t) {
                if n > now || dropped >= MAX_COUNT {
                    break;
                }
                all.push_back(n);
                if all.len() > MAX_CATCH_UP {
                    all.pop_front();
                    dropped += 1;
                }
                t = n;
            }
            Owed { runs: all.into_iter().map(|t| (t, 0)).collect(), dropped }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cron;

    fn t(s: &str) -> NaiveDateTime {
        crate::clock::parse_timestamp(s).unwrap()
    }

    #[test]
    fn a_missed_monthly_occurrence_is_owed_once() {
        let c = parse_cron("0 0 8 1 * *").unwrap();
        let o = owed(&c, t("2026-10-01 08:00:00"), t("2026-11-03 10:00:00"), CatchUp::All);
        assert_eq!(o.runs, vec![(t("2026-11-01 08:00:00"), 0)]);
        // Served: nothing more.
        assert!(owed(&c, t("2026-11-01 08:00:00"), t("2026-11-30 23:59:59"), CatchUp::All).runs.is_empty());
        // The instant itself is owed (the tick fires at it).
        assert_eq!(owed(&c, t("2026-10-01 08:00:00"), t("2026-11-01 08:00:00"), CatchUp::All).runs.len(), 1);
        // Three months down: three reports, oldest first.
        let o = owed(&c, t("2026-07-01 08:00:00"), t("2026-10-02 00:00:00"), CatchUp::All);
        assert_eq!(o.runs.iter().map(|r| r.0).collect::<Vec<_>>(), vec![t("2026-08-01 08:00:00"), t("2026-09-01 08:00:00"), t("2026-10-01 08:00:00")]);
    }

    #[test]
    fn latest_folds_older_occurrences_and_all_is_capped() {
        let c = parse_cron("0 */5 * * * *").unwrap();
        let o = owed(&c, t("2026-11-01 00:00:00"), t("2026-11-01 01:02:03"), CatchUp::Latest);
        assert_eq!(o.runs, vec![(t("2026-11-01 01:00:00"), 11)]);
        let o = owed(&c, t("2026-11-01 00:00:00"), t("2026-11-02 00:00:00"), CatchUp::All);
        assert_eq!(o.runs.len(), MAX_CATCH_UP);
        assert_eq!(o.runs.last().unwrap().0, t("2026-11-02 00:00:00"));
        assert_eq!(o.dropped, 288 - MAX_CATCH_UP);
    }

    #[test]
    fn weekday_crons_use_china_dates() {
        // 2026-11-02 is a Monday: Mon–Fri 08:00 after a weekend.
        let c = parse_cron("0 0 8 * * Mon-Fri").unwrap();
        assert_eq!(next_after(&c, t("2026-10-30 09:00:00")), Some(t("2026-11-02 08:00:00")));
        assert_eq!(latest_at_or_before(&c, t("2026-11-01 12:00:00")), Some(t("2026-10-30 08:00:00")));
    }
}
