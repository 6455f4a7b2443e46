//! The generator's own typed records of the four exports, what they look like in an export taken
//! at a given instant, and the cells they are written as.
//!
//! The oracle reads these records (never the written files), and the writers render their cells;
//! both sides share only this plain data, so the truth does not depend on any rendering choice.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::contract::{Table, TableSpec};

pub type Ts = NaiveDateTime;

/// End of a day: 23:59:59 (the end of a deadline date).
pub fn eod(d: NaiveDate) -> Ts {
    d.and_hms_opt(23, 59, 59).expect("valid time")
}

pub fn at(d: NaiveDate, h: u32, m: u32, s: u32) -> Ts {
    d.and_hms_opt(h, m, s).expect("valid time")
}

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn month_of(t: Ts) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

pub fn fmt_ts(t: Ts) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The contract's enumerations, as the canonical labels the records hold.
pub mod label {
    pub const SERVED: &str = "已办理";
    pub const NO_SHOW: &str = "过号";
    pub const CANCELLED: &str = "弃号";
    pub const NEVER_CALLED: &str = "未叫号";
    pub const IMMEDIATE: &str = "即办件";
    pub const PROMISED: &str = "承诺件";
    pub const OPEN: &str = "办理中";
    pub const DONE: &str = "办结";
    pub const REFUSED: &str = "不予受理";
    pub const DENIED: &str = "不予批准";
    pub const RETURNED: &str = "退办";
    pub const CONFIRMED: &str = "属实";
    pub const MISTAKEN: &str = "误评";
    pub const MALICIOUS: &str = "恶意差评";
    pub const VERY_SATISFIED: &str = "非常满意";
    pub const SATISFIED: &str = "满意";
    pub const NEUTRAL: &str = "基本满意";
    pub const UNSATISFIED: &str = "不满意";
    pub const VERY_UNSATISFIED: &str = "非常不满意";
    pub const LEADER: &str = "分管领导";
    pub const MEETING: &str = "办公会";
    pub const EMPLOYED: &str = "在编";
    pub const NOT_EMPLOYED: &str = "非编";
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub ticket_id: String,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub item_code: Option<String>,
    pub issued_at: Ts,
    pub called_at: Option<Ts>,
    pub finished_at: Option<Ts>,
    pub status: &'static str,
    pub is_appointment: Option<bool>,
}

/// A case (办件); `Default` is a case of nothing, for literals that name only what they set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Case {
    pub case_id: String,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub item_code: String,
    pub item_name: Option<String>,
    pub case_type: &'static str,
    pub promised_days: Option<i64>,
    pub applicant_name: Option<String>,
    pub applicant_id_no: Option<String>,
    pub applicant_phone: Option<String>,
    pub accepted_at: Ts,
    pub completed_at: Option<Ts>,
    pub outcome: &'static str,
    pub supplement_requests: Option<i64>,
    pub rongque: Option<bool>,
    pub supplement_due: Option<NaiveDate>,
    pub supplement_received_at: Option<Ts>,
    pub extension_days: Option<i64>,
    pub extension_reason: Option<String>,
    pub extension_approver: Option<String>,
    pub extension_approved_at: Option<Ts>,
    pub overdue_notified_at: Option<Ts>,
    pub ticket_id: Option<String>,
}

/// A rating (评价); `Default` is a rating of nothing, for literals that name only what they set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rating {
    pub rating_id: String,
    pub case_id: Option<String>,
    pub ticket_id: Option<String>,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    pub channel: Option<String>,
    pub rated_at: Ts,
    pub level: &'static str,
    pub comment: Option<String>,
    pub verified_at: Option<Ts>,
    pub verification_result: Option<&'static str>,
    pub rectify_due_extended: Option<NaiveDate>,
    pub rectify_extension_reason: Option<String>,
    pub rectify_extension_reported_at: Option<Ts>,
    pub rectified_at: Option<Ts>,
    pub feedback_at: Option<Ts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub register_id: String,
    pub case_id: String,
    pub hall_id: String,
    pub item_code: Option<String>,
    pub applicant_name: Option<String>,
    pub denial_type: &'static str,
    pub decided_at: Ts,
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub approval_type: Option<String>,
    pub approver: Option<String>,
    pub notice_served_at: Option<Ts>,
    pub filed_at: Option<Ts>,
    pub archived: Option<bool>,
}

impl Denial {
    /// The denial registered for case `c` (refused or denied), decided at `decided`: with its
    /// reason, legal basis and approval, archived, its notice not served nor the filing made yet.
    pub fn of_case(c: &Case, register_id: String, decided: Ts, reason: &str, legal_basis: &str, approval_type: &str, approver: String) -> Denial {
        Denial {
            register_id,
            case_id: c.case_id.clone(),
            hall_id: c.hall_id.clone(),
            item_code: Some(c.item_code.clone()),
            applicant_name: c.applicant_name.clone(),
            denial_type: if c.outcome == label::REFUSED { label::REFUSED } else { label::DENIED },
            decided_at: decided,
            reason: Some(reason.to_string()),
            legal_basis: Some(legal_basis.to_string()),
            approval_type: Some(approval_type.to_string()),
            approver: Some(approver),
            notice_served_at: None,
            filed_at: None,
            archived: Some(true),
        }
    }
}

/// One cell as the generator means it; the writers decide how it is spelt.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Ts(Ts),
    Date(NaiveDate),
    Int(i64),
    Bool(bool),
    /// An enumeration value or satisfaction level, as its canonical label.
    Label(&'static str),
    /// Written exactly as given (bad rows: unreadable values, unknown labels).
    Raw(String),
}

fn text(v: &Option<String>) -> Val {
    v.as_ref().map_or(Val::Null, |s| Val::Text(s.clone()))
}
fn ts(v: &Option<Ts>) -> Val {
    v.map_or(Val::Null, Val::Ts)
}
fn int(v: &Option<i64>) -> Val {
    v.map_or(Val::Null, Val::Int)
}
fn boolean(v: &Option<bool>) -> Val {
    v.map_or(Val::Null, Val::Bool)
}
fn date(v: &Option<NaiveDate>) -> Val {
    v.map_or(Val::Null, Val::Date)
}

/// Cells in the contract's column order. Records set them in that order, naming each column;
/// the names are checked against the contract in debug builds (every test run), and cost
/// nothing when streaming millions of rows.
struct Cells {
    spec: &'static TableSpec,
    cells: Vec<Val>,
}

impl Cells {
    fn new(table: Table) -> Cells {
        let spec = table.spec();
        Cells { spec, cells: Vec::with_capacity(spec.columns.len()) }
    }
    fn set(mut self, column: &str, v: Val) -> Cells {
        debug_assert_eq!(self.spec.columns.get(self.cells.len()).map(|c| c.name), Some(column), "{}: column order", self.spec.table);
        self.cells.push(v);
        self
    }
    fn done(self) -> Vec<Val> {
        debug_assert_eq!(self.cells.len(), self.spec.columns.len(), "{}: every column is written", self.spec.table);
        self.cells
    }
}

impl Ticket {
    pub fn cells(&self) -> Vec<Val> {
        Cells::new(Table::Tickets)
            .set("ticket_id", Val::Text(self.ticket_id.clone()))
            .set("hall_id", Val::Text(self.hall_id.clone()))
            .set("window_id", text(&self.window_id))
            .set("staff_id", text(&self.staff_id))
            .set("item_code", text(&self.item_code))
            .set("issued_at", Val::Ts(self.issued_at))
            .set("called_at", ts(&self.called_at))
            .set("finished_at", ts(&self.finished_at))
            .set("status", Val::Label(self.status))
            .set("is_appointment", boolean(&self.is_appointment))
            .done()
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.hall_id, self.ticket_id)
    }
}

impl Case {
    pub fn cells(&self) -> Vec<Val> {
        Cells::new(Table::Cases)
            .set("case_id", Val::Text(self.case_id.clone()))
            .set("hall_id", Val::Text(self.hall_id.clone()))
            .set("window_id", text(&self.window_id))
            .set("staff_id", text(&self.staff_id))
            .set("item_code", Val::Text(self.item_code.clone()))
            .set("item_name", text(&self.item_name))
            .set("case_type", Val::Label(self.case_type))
            .set("promised_days", int(&self.promised_days))
            .set("applicant_name", text(&self.applicant_name))
            .set("applicant_id_no", text(&self.applicant_id_no))
            .set("applicant_phone", text(&self.applicant_phone))
            .set("accepted_at", Val::Ts(self.accepted_at))
            .set("completed_at", ts(&self.completed_at))
            .set("outcome", Val::Label(self.outcome))
            .set("supplement_requests", int(&self.supplement_requests))
            .set("rongque", boolean(&self.rongque))
            .set("supplement_due", date(&self.supplement_due))
            .set("supplement_received_at", ts(&self.supplement_received_at))
            .set("extension_days", int(&self.extension_days))
            .set("extension_reason", text(&self.extension_reason))
            .set("extension_approver", text(&self.extension_approver))
            .set("extension_approved_at", ts(&self.extension_approved_at))
            .set("overdue_notified_at", ts(&self.overdue_notified_at))
            .set("ticket_id", text(&self.ticket_id))
            .done()
    }

    /// The record as an export taken at `x` shows it: None if accepted later; events after `x`
    /// not yet there (an unfinished case reads 办理中; an extension not yet approved is blank).
    pub fn exported_at(&self, x: Ts) -> Option<Case> {
        if self.accepted_at > x {
            return None;
        }
        let mut c = self.clone();
        if c.completed_at.is_some_and(|t| t > x) {
            c.completed_at = None;
            c.outcome = label::OPEN;
        }
        if c.supplement_received_at.is_some_and(|t| t > x) {
            c.supplement_received_at = None;
        }
        if c.extension_approved_at.is_some_and(|t| t > x) {
            c.extension_approved_at = None;
            c.extension_days = None;
            c.extension_reason = None;
            c.extension_approver = None;
        }
        if c.overdue_notified_at.is_some_and(|t| t > x) {
            c.overdue_notified_at = None;
        }
        Some(c)
    }
}

impl Rating {
    pub fn cells(&self) -> Vec<Val> {
        Cells::new(Table::Ratings)
            .set("rating_id", Val::Text(self.rating_id.clone()))
            .set("case_id", text(&self.case_id))
            .set("ticket_id", text(&self.ticket_id))
            .set("hall_id", Val::Text(self.hall_id.clone()))
            .set("window_id", text(&self.window_id))
            .set("staff_id", text(&self.staff_id))
            .set("channel", text(&self.channel))
            .set("rated_at", Val::Ts(self.rated_at))
            .set("level", Val::Label(self.level))
            .set("comment", text(&self.comment))
            .set("verified_at", ts(&self.verified_at))
            .set("verification_result", self.verification_result.map_or(Val::Null, Val::Label))
            .set("rectify_due_extended", date(&self.rectify_due_extended))
            .set("rectify_extension_reason", text(&self.rectify_extension_reason))
            .set("rectify_extension_reported_at", ts(&self.rectify_extension_reported_at))
            .set("rectified_at", ts(&self.rectified_at))
            .set("feedback_at", ts(&self.feedback_at))
            .done()
    }

    pub fn exported_at(&self, x: Ts) -> Option<Rating> {
        if self.rated_at > x {
            return None;
        }
        let mut r = self.clone();
        if r.verified_at.is_some_and(|t| t > x) {
            r.verified_at = None;
            r.verification_result = None;
        }
        if r.rectify_extension_reported_at.is_some_and(|t| t > x) {
            r.rectify_extension_reported_at = None;
            r.rectify_due_extended = None;
            r.rectify_extension_reason = None;
        }
        if r.rectified_at.is_some_and(|t| t > x) {
            r.rectified_at = None;
        }
        if r.feedback_at.is_some_and(|t| t > x) {
            r.feedback_at = None;
        }
        Some(r)
    }
}

impl Denial {
    pub fn cells(&self) -> Vec<Val> {
        Cells::new(Table::Denials)
            .set("register_id", Val::Text(self.register_id.clone()))
            .set("case_id", Val::Text(self.case_id.clone()))
            .set("hall_id", Val::Text(self.hall_id.clone()))
            .set("item_code", text(&self.item_code))
            .set("applicant_name", text(&self.applicant_name))
            .set("denial_type", Val::Label(self.denial_type))
            .set("decided_at", Val::Ts(self.decided_at))
            .set("reason", text(&self.reason))
            .set("legal_basis", text(&self.legal_basis))
            .set("approval_type", text(&self.approval_type))
            .set("approver", text(&self.approver))
            .set("notice_served_at", ts(&self.notice_served_at))
            .set("filed_at", ts(&self.filed_at))
            .set("archived", boolean(&self.archived))
            .done()
    }

    /// Papers are archived when the copy is filed: before the filing an export shows 否.
    pub fn exported_at(&self, x: Ts) -> Option<Denial> {
        if self.decided_at > x {
            return None;
        }
        let mut d = self.clone();
        if d.notice_served_at.is_some_and(|t| t > x) {
            d.notice_served_at = None;
        }
        if d.filed_at.is_some_and(|t| t > x) {
            d.filed_at = None;
            if d.archived == Some(true) {
                d.archived = Some(false);
            }
        }
        Some(d)
    }
}

/// A record of any table, for the writers.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Ticket(Ticket),
    Case(Case),
    Rating(Rating),
    Denial(Denial),
}

impl Record {
    pub fn cells(&self) -> Vec<Val> {
        match self {
            Record::Ticket(r) => r.cells(),
            Record::Case(r) => r.cells(),
            Record::Rating(r) => r.cells(),
            Record::Denial(r) => r.cells(),
        }
    }

    pub fn table(&self) -> Table {
        match self {
            Record::Ticket(_) => Table::Tickets,
            Record::Case(_) => Table::Cases,
            Record::Rating(_) => Table::Ratings,
            Record::Denial(_) => Table::Denials,
        }
    }

    pub fn key(&self) -> String {
        match self {
            Record::Ticket(r) => r.key(),
            Record::Case(r) => r.case_id.clone(),
            Record::Rating(r) => r.rating_id.clone(),
            Record::Denial(r) => r.register_id.clone(),
        }
    }
}

/// The final state of every table: what the warehouse holds after all files are ingested.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The reference tables written beside the exports (the monthly assessment scores them).
    pub roster: super::assessment::Roster,
    pub tickets: Vec<Ticket>,
    pub cases: Vec<Case>,
    pub ratings: Vec<Rating>,
    pub denials: Vec<Denial>,
}

impl Records {
    pub fn push(&mut self, r: Record) {
        match r {
            Record::Ticket(x) => self.tickets.push(x),
            Record::Case(x) => self.cases.push(x),
            Record::Rating(x) => self.ratings.push(x),
            Record::Denial(x) => self.denials.push(x),
        }
    }
}
