//! The ground-truth oracle: rules.md and the lead's readings (notes/readings.md) written a second
//! time, as plain Rust over the generator's final records, so the SQL checks have something
//! independent to be compared with.
//!
//! Every rule is a straightforward loop here; nothing is shared with `queries/`. The functions
//! work one record at a time (plus the per-window tallies the rankings need), so the same code
//! serves the in-memory sample set and the streaming province-scale generator.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};

use super::model::{Case, Denial, Rating, Records, Ticket, Ts, eod, fmt_ts, label, month_of};
use super::reference::Roster;
use crate::calendar::Calendar;

/// Parameters of the rule profile (rules.md defaults).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub wait_explain_minutes: i64,
    pub verify_within_hours: i64,
    pub rectify_within_days: i64,
    pub notice_within_workdays: i64,
    pub filing_within_workdays: i64,
    pub consecutive_months: u32,
    pub response_workdays: i64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            wait_explain_minutes: 30,
            verify_within_hours: 24,
            rectify_within_days: 15,
            notice_within_workdays: 3,
            filing_within_workdays: 5,
            consecutive_months: 2,
            response_workdays: 5,
        }
    }
}

/// Rule ids with their severity and entity, as rules.md gives them.
pub const RULES: &[(&str, &str, &str)] = &[
    ("assessment.bottom", "red", "window"),
    ("complaint.reply_late", "red", "complaint"),
    ("complaint.result_not_notified", "yellow", "complaint"),
    ("denial.filing_late", "red", "denial"),
    ("denial.no_approval", "red", "denial"),
    ("denial.no_legal_basis", "red", "denial"),
    ("denial.no_reason", "red", "denial"),
    ("denial.not_archived", "red", "denial"),
    ("denial.notice_late", "red", "denial"),
    ("denial.outcome_mismatch", "red", "denial"),
    ("denial.unregistered", "red", "case"),
    ("inspection.rectification_late", "red", "inspection"),
    ("notice.repeat_supplement", "red", "case"),
    ("queue.long_wait", "yellow", "ticket"),
    ("queue.unserved", "red", "ticket"),
    ("ranking.consecutive_bottom", "red", "window"),
    ("ranking.model_window", "info", "window"),
    ("ranking.most_unsatisfied", "red", "window"),
    ("roster.no_backup", "yellow", "window"),
    ("roster.unknown_staff", "yellow", "staff"),
    ("rating.feedback_missing", "red", "rating"),
    ("rating.rectification_late", "red", "rating"),
    ("rating.verification_late", "red", "rating"),
    ("response.late", "yellow", "finding"),
    ("rongque.no_due_date", "red", "case"),
    ("rongque.supplement_overdue", "red", "case"),
    ("staff.attendance", "red", "staff"),
    ("staff.complaint_substantiated", "red", "complaint"),
    ("staff.inspection_repeat", "red", "staff"),
    ("time_limit.due_soon", "yellow", "case"),
    ("time_limit.invalid_extension", "red", "case"),
    ("time_limit.overdue_completed", "red", "case"),
    ("time_limit.overdue_not_notified", "red", "case"),
    ("time_limit.overdue_open", "red", "case"),
];

pub(super) fn rule_meta(rule: &str) -> (&'static str, &'static str, &'static str) {
    *RULES.iter().find(|r| r.0 == rule).unwrap_or_else(|| panic!("unknown rule {rule}"))
}

/// One finding, with exactly the fields of `check --format jsonl` (readings R15).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: String,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub entity: String,
    pub entity_id: String,
    pub due_at: Option<String>,
    pub month: String,
}

impl Finding {
    /// The stable order of R15: rule, hall_id, month, entity_id.
    pub fn sort_key(&self) -> (&str, &str, &str, &str) {
        (&self.rule, &self.hall_id, &self.month, &self.entity_id)
    }
}

pub fn sort_findings(f: &mut [Finding]) {
    f.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Satisfied / unsatisfied / all votes of one window in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub satisfied: u64,
    pub unsatisfied: u64,
    pub total: u64,
}

/// (hall_id, month "YYYY-MM") → window_id → tally.
pub type Tallies = BTreeMap<(String, String), BTreeMap<String, Tally>>;

pub struct Oracle<'a> {
    pub cal: &'a Calendar,
    pub t: Ts,
    pub p: Params,
}

fn is_denial(outcome: &str) -> bool {
    outcome == label::REFUSED || outcome == label::DENIED
}

fn is_bad(level: &str) -> bool {
    level == label::UNSATISFIED || level == label::VERY_UNSATISFIED
}

fn first_of_next_month(month: &str) -> NaiveDate {
    let (y, m) = parse_month(month);
    if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) }.expect("valid month")
}

fn parse_month(month: &str) -> (i32, u32) {
    let (y, m) = month.split_once('-').expect("YYYY-MM");
    (y.parse().expect("year"), m.parse().expect("month"))
}

fn previous_month(month: &str) -> String {
    let (y, m) = parse_month(month);
    if m == 1 { format!("{:04}-12", y - 1) } else { format!("{y:04}-{:02}", m - 1) }
}

impl<'a> Oracle<'a> {
    pub fn new(cal: &'a Calendar, t: Ts) -> Oracle<'a> {
        Oracle { cal, t, p: Params::default() }
    }

    /// A timestamp after T has not happened yet (R1).
    fn seen(&self, v: Option<Ts>) -> Option<Ts> {
        v.filter(|x| *x <= self.t)
    }

    /// Whether something due by `by` was late at T: done after it, or not done by T and T past it.
    fn late(&self, done: Option<Ts>, by: Ts) -> bool {
        match self.seen(done) {
            Some(x) => x > by,
            None => self.t > by,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        rule: &str,
        hall: &str,
        window: Option<&String>,
        staff: Option<&String>,
        entity_id: String,
        due: Option<Ts>,
        month: String,
    ) -> Finding {
        let (id, severity, entity) = rule_meta(rule);
        Finding {
            rule: id.to_string(),
            severity: severity.to_string(),
            hall_id: hall.to_string(),
            window_id: window.cloned(),
            staff_id: staff.cloned(),
            entity: entity.to_string(),
            entity_id,
            due_at: due.map(fmt_ts),
            month,
        }
    }

    /// The case's outcome at T and its completion at T (R1).
    pub fn case_at_t(&self, c: &Case) -> (&'static str, Option<Ts>) {
        let completed = self.seen(c.completed_at);
        (if completed.is_some() { c.outcome } else { label::OPEN }, completed)
    }

    /// Queue rules (R11).
    pub fn ticket(&self, t: &Ticket, out: &mut Vec<Finding>) {
        if t.issued_at > self.t {
            return;
        }
        let id = format!("{}/{}", t.hall_id, t.ticket_id);
        if let Some(called) = self.seen(t.called_at)
            && (called - t.issued_at).num_seconds() > self.p.wait_explain_minutes * 60
        {
            out.push(self.finding(
                "queue.long_wait",
                &t.hall_id,
                t.window_id.as_ref(),
                t.staff_id.as_ref(),
                id.clone(),
                None,
                month_of(t.issued_at),
            ));
        }
        if t.status == label::NEVER_CALLED {
            out.push(self.finding(
                "queue.unserved",
                &t.hall_id,
                t.window_id.as_ref(),
                t.staff_id.as_ref(),
                id,
                None,
                month_of(t.issued_at),
            ));
        }
    }

    /// Time limits, 容缺 and the one-time notice (R4, R5, R7, R13).
    pub fn case(&self, c: &Case, out: &mut Vec<Finding>) {
        if c.accepted_at > self.t {
            return;
        }
        let (outcome, completed) = self.case_at_t(c);
        let f = |rule: &str, due: Option<Ts>, month: String| {
            self.finding(rule, &c.hall_id, c.window_id.as_ref(), c.staff_id.as_ref(), c.case_id.clone(), due, month)
        };
        if c.supplement_requests.unwrap_or(0) >= 2 {
            out.push(f("notice.repeat_supplement", None, month_of(c.accepted_at)));
        }
        if outcome == label::REFUSED {
            return;
        }
        // Deadline.
        let accepted = c.accepted_at.date();
        let deadline = if c.case_type == label::IMMEDIATE {
            accepted
        } else {
            let promised = c.promised_days.expect("a 承诺件 has promised_days (the ingest rejects it otherwise)");
            let unextended = self.cal.add_workdays(accepted, promised);
            match c.extension_days.filter(|d| *d > 0) {
                None => unextended,
                Some(ext) => {
                    let valid = c.extension_reason.is_some()
                        && c.extension_approver.is_some()
                        && self.seen(c.extension_approved_at).is_some_and(|a| a <= eod(unextended));
                    if valid {
                        self.cal.add_workdays(accepted, promised + ext)
                    } else {
                        out.push(f("time_limit.invalid_extension", Some(eod(unextended)), month_of(eod(unextended))));
                        unextended
                    }
                }
            }
        };
        let due = eod(deadline);
        let overdue = match completed {
            Some(done) => {
                let late = done > due;
                if late {
                    out.push(f("time_limit.overdue_completed", Some(due), month_of(due)));
                }
                late
            }
            None => {
                if self.t > due {
                    out.push(f("time_limit.overdue_open", Some(due), month_of(due)));
                    true
                } else {
                    if deadline <= self.cal.add_workdays(self.t.date(), 1) {
                        out.push(f("time_limit.due_soon", Some(due), month_of(due)));
                    }
                    false
                }
            }
        };
        if overdue {
            let notify_by = eod(self.cal.add_workdays(deadline, 1));
            if self.late(c.overdue_notified_at, notify_by) {
                out.push(f("time_limit.overdue_not_notified", Some(notify_by), month_of(notify_by)));
            }
        }
        // 容缺受理.
        if c.rongque == Some(true) {
            match c.supplement_due {
                None => out.push(f("rongque.no_due_date", None, month_of(c.accepted_at))),
                Some(d) => {
                    let received_in_time = self.seen(c.supplement_received_at).is_some_and(|r| r.date() <= d);
                    if self.t > eod(d) && !received_in_time && outcome != label::RETURNED {
                        out.push(f("rongque.supplement_overdue", Some(eod(d)), month_of(eod(d))));
                    }
                }
            }
        }
    }

    /// Rules about one register row (R6, R12); `case` is the cases row with its case_id, if any.
    pub fn denial(&self, d: &Denial, case: Option<&Case>, out: &mut Vec<Finding>) {
        if d.decided_at > self.t {
            return;
        }
        let case = case.filter(|c| c.accepted_at <= self.t);
        let window = case.and_then(|c| c.window_id.as_ref());
        let staff = case.and_then(|c| c.staff_id.as_ref());
        let f =
            |rule: &str, due: Option<Ts>, month: String| self.finding(rule, &d.hall_id, window, staff, d.register_id.clone(), due, month);
        let decided_month = month_of(d.decided_at);
        if let Some(c) = case
            && !is_denial(self.case_at_t(c).0)
        {
            out.push(f("denial.outcome_mismatch", None, decided_month.clone()));
        }
        let approved = matches!(d.approval_type.as_deref(), Some(label::LEADER) | Some(label::MEETING)) && d.approver.is_some();
        if !approved {
            out.push(f("denial.no_approval", None, decided_month.clone()));
        }
        if d.reason.is_none() {
            out.push(f("denial.no_reason", None, decided_month.clone()));
        }
        if d.legal_basis.is_none() {
            out.push(f("denial.no_legal_basis", None, decided_month));
        }
        let decided = d.decided_at.date();
        let notice_by = eod(self.cal.add_workdays(decided, self.p.notice_within_workdays));
        if self.late(d.notice_served_at, notice_by) {
            out.push(f("denial.notice_late", Some(notice_by), month_of(notice_by)));
        }
        let file_by = eod(self.cal.add_workdays(decided, self.p.filing_within_workdays));
        if self.late(d.filed_at, file_by) {
            out.push(f("denial.filing_late", Some(file_by), month_of(file_by)));
        }
        if d.archived != Some(true) && self.t > file_by {
            out.push(f("denial.not_archived", Some(file_by), month_of(file_by)));
        }
    }

    /// `denial.unregistered` for one case; `registered` = some register row (decided ≤ T) names it.
    pub fn unregistered(&self, c: &Case, registered: bool, out: &mut Vec<Finding>) {
        if c.accepted_at > self.t || registered {
            return;
        }
        let (outcome, completed) = self.case_at_t(c);
        if !is_denial(outcome) {
            return;
        }
        let done = completed.expect("a denial at T is completed at T");
        let file_by = eod(self.cal.add_workdays(done.date(), self.p.filing_within_workdays));
        if self.t > file_by {
            out.push(self.finding(
                "denial.unregistered",
                &c.hall_id,
                c.window_id.as_ref(),
                c.staff_id.as_ref(),
                c.case_id.clone(),
                Some(file_by),
                month_of(file_by),
            ));
        }
    }

    /// Bad-review rules (R2, R3, R8, R9).
    pub fn rating(&self, r: &Rating, out: &mut Vec<Finding>) {
        if r.rated_at > self.t || !is_bad(r.level) {
            return;
        }
        let f = |rule: &str, due: Option<Ts>, month: String| {
            self.finding(rule, &r.hall_id, r.window_id.as_ref(), r.staff_id.as_ref(), r.rating_id.clone(), due, month)
        };
        let verified = self.seen(r.verified_at);
        let verify_by = r.rated_at + Duration::hours(self.p.verify_within_hours);
        let late = match verified {
            Some(v) => v > verify_by || r.verification_result.is_none(),
            None => self.t > verify_by,
        };
        if late {
            out.push(f("rating.verification_late", Some(verify_by), month_of(verify_by)));
        }
        let result = verified.and(r.verification_result);
        if result != Some(label::CONFIRMED) {
            return;
        }
        let v = verified.expect("a result counts only with its verification");
        let original = eod(v.date() + Duration::days(self.p.rectify_within_days));
        let extended = match (r.rectify_due_extended, &r.rectify_extension_reason, self.seen(r.rectify_extension_reported_at)) {
            (Some(new_due), Some(_), Some(reported)) if reported <= original => Some(eod(new_due)),
            _ => None,
        };
        let deadline = extended.unwrap_or(original);
        let rectified = self.seen(r.rectified_at);
        if self.late(r.rectified_at, deadline) {
            out.push(f("rating.rectification_late", Some(deadline), month_of(deadline)));
        }
        if rectified.is_some() && self.seen(r.feedback_at).is_none() {
            out.push(f("rating.feedback_missing", None, month_of(r.rated_at)));
        }
    }

    /// Adds one rating to the window tallies of its month (R10).
    pub fn tally(&self, r: &Rating, tallies: &mut Tallies) {
        if r.rated_at > self.t {
            return;
        }
        let Some(w) = &r.window_id else { return };
        let t = tallies.entry((r.hall_id.clone(), month_of(r.rated_at))).or_default().entry(w.clone()).or_default();
        t.total += 1;
        if r.level == label::VERY_SATISFIED || r.level == label::SATISFIED {
            t.satisfied += 1;
        }
        if is_bad(r.level) {
            let excluded =
                self.seen(r.verified_at).and(r.verification_result).is_some_and(|x| x == label::MISTAKEN || x == label::MALICIOUS);
            if !excluded {
                t.unsatisfied += 1;
            }
        }
    }

    /// Monthly rankings of every month that has ended by T (R10).
    pub fn rankings(&self, tallies: &Tallies, out: &mut Vec<Finding>) {
        // (hall, month) → window → (rank, is-bottom-with-≥2-windows)
        let mut bottoms: HashMap<(String, String), HashSet<String>> = HashMap::new();
        let mut ranked: Vec<(String, String, String, u64, Tally, u64, u64)> = Vec::new();
        for ((hall, month), windows) in tallies {
            if self.t < first_of_next_month(month).and_hms_opt(0, 0, 0).expect("midnight") {
                continue;
            }
            let ranks: BTreeMap<&String, u64> = windows
                .iter()
                .map(|(w, t)| {
                    let better = windows
                        .values()
                        .filter(|o| o.satisfied > t.satisfied || (o.satisfied == t.satisfied && o.unsatisfied < t.unsatisfied))
                        .count() as u64;
                    (w, better + 1)
                })
                .collect();
            let worst = ranks.values().copied().max().unwrap_or(0);
            let max_unsat = windows.values().map(|t| t.unsatisfied).max().unwrap_or(0);
            if windows.len() >= 2 {
                let set = bottoms.entry((hall.clone(), month.clone())).or_default();
                for (w, r) in &ranks {
                    if *r == worst {
                        set.insert((*w).clone());
                    }
                }
            }
            for (w, t) in windows {
                ranked.push((hall.clone(), month.clone(), w.clone(), ranks[w], *t, worst, max_unsat));
            }
        }
        for (hall, month, w, rank, t, _worst, max_unsat) in ranked {
            let id = format!("{hall}/{w}");
            let f = |rule: &str| self.finding(rule, &hall, Some(&w), None, id.clone(), None, month.clone());
            if rank == 1 && t.satisfied > 0 {
                out.push(f("ranking.model_window"));
            }
            if t.unsatisfied == max_unsat && t.unsatisfied > 0 {
                out.push(f("ranking.most_unsatisfied"));
            }
            let mut m = month.clone();
            let mut all = true;
            for _ in 0..self.p.consecutive_months {
                if !bottoms.get(&(hall.clone(), m.clone())).is_some_and(|s| s.contains(&w)) {
                    all = false;
                    break;
                }
                m = previous_month(&m);
            }
            if all {
                out.push(f("ranking.consecutive_bottom"));
            }
        }
    }

    /// `roster.no_backup` for one window of the windows table: reference data, read "as now"
    /// (no as-of reading); the finding's month is T's.
    pub fn no_backup(&self, hall: &str, window: &str, a: Option<&String>, b: Option<&String>, out: &mut Vec<Finding>) {
        if b.is_none() || (a.is_some() && a == b) {
            let w = window.to_string();
            out.push(self.finding("roster.no_backup", hall, Some(&w), a, format!("{hall}/{window}"), None, month_of(self.t)));
        }
    }

    /// `roster.unknown_staff`: a staff id of a ticket, case or rating created by T that `known`
    /// (the staff table) lacks; one finding per staff id and month, in the lowest hall id.
    pub fn unknown_staff(&self, r: &Records, known: &BTreeSet<String>, out: &mut Vec<Finding>) {
        let mut first: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut add = |hall: &String, staff: &Option<String>, at: Ts| {
            let Some(s) = staff else { return };
            if at > self.t || known.contains(s) {
                return;
            }
            let h = first.entry((s.clone(), month_of(at))).or_insert_with(|| hall.clone());
            if *hall < *h {
                *h = hall.clone();
            }
        };
        r.tickets.iter().for_each(|x| add(&x.hall_id, &x.staff_id, x.issued_at));
        r.cases.iter().for_each(|x| add(&x.hall_id, &x.staff_id, x.accepted_at));
        r.ratings.iter().for_each(|x| add(&x.hall_id, &x.staff_id, x.rated_at));
        for ((staff, month), hall) in first {
            out.push(self.finding("roster.unknown_staff", &hall, None, Some(&staff), staff.clone(), None, month));
        }
    }

    /// The roster rules over the final records and the reference tables; `known` is every staff
    /// id the staff table holds (the sample's roster and any other the set adds).
    pub fn roster(&self, r: &Records, roster: &Roster, known: &BTreeSet<String>, out: &mut Vec<Finding>) {
        for w in &roster.windows {
            self.no_backup(&w.hall_id, &w.window_id, w.a_staff_id.as_ref(), w.b_staff_id.as_ref(), out);
        }
        self.unknown_staff(r, known, out);
        sort_findings(out);
    }

    /// Every finding over the final records, sorted (R15).
    pub fn evaluate(&self, r: &Records) -> Vec<Finding> {
        let mut out = Vec::new();
        for t in &r.tickets {
            self.ticket(t, &mut out);
        }
        for c in &r.cases {
            self.case(c, &mut out);
        }
        let cases: HashMap<&str, &Case> = r.cases.iter().map(|c| (c.case_id.as_str(), c)).collect();
        let registered: BTreeSet<&str> = r.denials.iter().filter(|d| d.decided_at <= self.t).map(|d| d.case_id.as_str()).collect();
        for d in &r.denials {
            self.denial(d, cases.get(d.case_id.as_str()).copied(), &mut out);
        }
        for c in &r.cases {
            self.unregistered(c, registered.contains(c.case_id.as_str()), &mut out);
        }
        let mut tallies = Tallies::new();
        for x in &r.ratings {
            self.rating(x, &mut out);
            self.tally(x, &mut tallies);
        }
        self.rankings(&tallies, &mut out);
        self.late_responses(&mut out);
        sort_findings(&mut out);
        out
    }

    /// The monthly assessment of the roster's windows and staff over `findings` (the oracle's,
    /// [`Oracle::evaluate`]): (window scores, staff scores).
    pub fn assessment(&self, r: &Records, findings: &[Finding]) -> (Vec<super::assessment::Score>, Vec<super::assessment::Score>) {
        let active = super::assessment::active_months(r, self.t);
        (super::assessment::window_scores(&r.roster, &active, findings), super::assessment::staff_scores(&r.roster, &active, findings))
    }

    /// assessment.bottom over the findings so far (response.late's included). Call last.
    pub fn assessment_bottom(&self, r: &Records, out: &mut Vec<Finding>) {
        let (windows, _) = self.assessment(r, out);
        let t = self.t.date();
        let found = super::assessment::bottom(&windows, self.p.consecutive_months, |m| first_of_next_month(m) <= t, previous_month);
        for (h, w, m) in found {
            out.push(self.finding("assessment.bottom", &h, Some(&w), None, format!("{h}/{w}"), None, m));
        }
    }

    /// response.late (supervision.md): the generator writes no response, so every red finding of
    /// the answerable families whose month's response deadline (`response_workdays` working days
    /// after the month's last day, end of day) has passed by T is answered late; the finding
    /// carries the answered one's hall, window, staff and month. Call once the rest are in `out`.
    pub fn late_responses(&self, out: &mut Vec<Finding>) {
        const FAMILIES: [&str; 9] = ["time_limit", "rongque", "notice", "denial", "rating", "queue", "ranking", "inspection", "complaint"];
        let mut late = Vec::new();
        for f in out.iter() {
            let family = f.rule.split('.').next().unwrap_or_default();
            if f.severity != "red" || !FAMILIES.contains(&family) {
                continue;
            }
            let Some(last) = first_of_next_month(&f.month).pred_opt() else { continue };
            let due = eod(self.cal.add_workdays(last, self.p.response_workdays));
            if self.t > due {
                late.push(self.finding("response.late", &f.hall_id, f.window_id.as_ref(), f.staff_id.as_ref(), format!("{}:{}", f.rule, f.entity_id), Some(due), f.month.clone()));
            }
        }
        out.extend(late);
    }
}

/// Months "YYYY-MM" from `first` to `last` inclusive.
pub fn months_between(first: NaiveDate, last: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (first.year(), first.month());
    while (y, m) <= (last.year(), last.month()) {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}
