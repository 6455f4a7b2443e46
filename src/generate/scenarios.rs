//! What the sample set holds: three halls' ordinary business over August–October 2026 (plus the
//! first days of November, after the as-of instant), and, planted on top of it, violations of
//! every rule and the boundary cases around them, each with the finding it is meant to produce
//! (or not produce) written down as an [`Expect`]. Bad rows of every rejection class are planted
//! with the quarantine reason they are meant to get.
//!
//! The expectations are the intent; the oracle computes the truth independently, and the tests
//! hold one against the other.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::layout::{FileId, Roles, Route};
use super::model::{Case, Denial, Rating, Record, Ticket, Ts, Val, at, eod, label, ymd};
use super::names;
use super::writers::Row;
use crate::calendar::Calendar;

/// A medical-insurance service item (医疗保障经办政务服务事项) and its promised limit.
pub struct Item {
    pub code: &'static str,
    pub name: &'static str,
    /// Working days; None = 即办件.
    pub days: Option<i64>,
    pub weight: u32,
    /// The queue letter its tickets get.
    pub letter: char,
}

pub const ITEMS: &[Item] = &[
    Item { code: "YB-0101", name: "单位参保登记", days: None, weight: 10, letter: 'A' },
    Item { code: "YB-0102", name: "参保单位缴费基数申报", days: Some(5), weight: 6, letter: 'A' },
    Item { code: "YB-0201", name: "个人账户一次性支取", days: Some(10), weight: 6, letter: 'B' },
    Item { code: "YB-0301", name: "转移接续手续办理", days: Some(15), weight: 8, letter: 'B' },
    Item { code: "YB-0401", name: "异地就医备案（异地长期居住人员）", days: None, weight: 8, letter: 'C' },
    Item { code: "YB-0402", name: "异地就医备案（常驻异地工作人员）", days: None, weight: 6, letter: 'C' },
    Item { code: "YB-0403", name: "异地就医备案（异地转诊人员）", days: None, weight: 6, letter: 'C' },
    Item { code: "YB-0404", name: "异地就医备案（其他临时外出就医人员）", days: None, weight: 4, letter: 'C' },
    Item { code: "YB-0501", name: "门诊费用报销", days: Some(10), weight: 14, letter: 'D' },
    Item { code: "YB-0502", name: "住院费用报销", days: Some(10), weight: 12, letter: 'D' },
    Item { code: "YB-0601", name: "生育津贴支付", days: Some(10), weight: 6, letter: 'E' },
    Item { code: "YB-0701", name: "医疗机构申请定点协议管理", days: Some(20), weight: 2, letter: 'F' },
];

pub fn item(name: &str) -> &'static Item {
    ITEMS.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("item {name}"))
}

pub fn random_item(rng: &mut ChaCha8Rng) -> &'static Item {
    let total: u32 = ITEMS.iter().map(|i| i.weight).sum();
    let mut x = rng.random_range(0..total);
    for i in ITEMS {
        if x < i.weight {
            return i;
        }
        x -= i.weight;
    }
    &ITEMS[0]
}

/// The value of the first share whose cumulative bound the draw `x` (in [0, 1)) falls below, else `last`.
pub fn by_share<T: Copy>(x: f64, shares: &[(f64, T)], last: T) -> T {
    shares.iter().find(|(bound, _)| x < *bound).map_or(last, |&(_, v)| v)
}

/// A queue wait in seconds: mostly a few minutes, now and then long (integer arithmetic only,
/// so a seed gives the same waits on every platform).
pub fn wait_seconds(rng: &mut ChaCha8Rng) -> i64 {
    let mut w = rng.random_range(30..=900);
    if rng.random_range(0..4) == 0 {
        w += rng.random_range(0..=1500);
    }
    if rng.random_range(0..25) == 0 {
        w += rng.random_range(0..=2400);
    }
    w
}

pub const SATISFIED_COMMENTS: &[&str] =
    &["服务热情，办事效率高", "一次办好，点赞！", "工作人员耐心讲解政策", "不用跑第二趟，很方便", "异地备案当场就办好了", "窗口人员态度好"];

pub const BAD_COMMENTS: &[&str] = &[
    "等了很久，窗口人员态度冷淡",
    "材料要求前后说法不一,跑了三趟",
    "他说\"系统故障\"，让我明天再来",
    "窗口说缺材料,让我回去补\n第二次来又说要新表格",
    "叫号后窗口没人，等了二十分钟",
    "报销进度查不到，电话也打不通",
];

pub const DENIAL_REASONS: &[&str] = &[
    "申请材料不齐全，经一次性告知后逾期未补正",
    "申请人不符合异地就医备案条件",
    "所报销费用不属于基本医疗保险支付范围",
    "申请事项不属于本机关职权范围",
];

pub const LEGAL_BASES: &[&str] = &[
    "《社会保险法》第二十九条",
    "《医疗保障基金使用监督管理条例》第十五条",
    "《行政许可法》第三十二条",
    "《基本医疗保险用药管理暂行办法》第三十一条",
];

pub const EXTENSION_REASONS: &[&str] =
    &["需调取异地就医结算明细，等待参保地回函", "涉及跨省转移接续，需对方经办机构核对缴费记录", "票据需医疗机构补充盖章,申请人同意延期"];

/// A planted intent: this rule should (or should not) find this entity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expect {
    pub rule: &'static str,
    pub entity_id: String,
    /// For ranking findings: the ranked month.
    pub month: Option<String>,
    pub present: bool,
    pub what: &'static str,
}

/// A planted bad row and the reason the ingest should quarantine it for.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub file: FileId,
    pub row: Row,
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub struct Win {
    pub id: String,
    pub staff: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Hall {
    pub id: String,
    pub windows: Vec<Win>,
}

#[derive(Default)]
pub struct World {
    pub halls: Vec<Hall>,
    pub tickets: Vec<Ticket>,
    pub cases: Vec<Case>,
    pub ratings: Vec<(Rating, Route)>,
    pub denials: Vec<(Denial, Route)>,
    pub bad: Vec<BadRow>,
    /// Files where one good row is written twice (an identical duplicate).
    pub duplicates: Vec<FileId>,
    pub expect: Vec<Expect>,
    /// The monthly assessment's planted tickets, written in a file of their own after the others
    /// (so the other files and their random forms stay as they were).
    pub assessment_tickets: Vec<Ticket>,
}

impl World {
    pub fn roles(&self) -> Roles {
        Roles { a: self.halls[0].id.clone(), b: self.halls[1].id.clone(), c: self.halls[2].id.clone() }
    }
}

/// The three ranked months and the days after them that the exports reach.
pub const MONTHS: [(i32, u32); 3] = [(2026, 8), (2026, 9), (2026, 10)];

fn month_range(m: usize) -> (NaiveDate, NaiveDate) {
    let (y, mo) = MONTHS[m];
    let first = ymd(y, mo, 1);
    let next = if mo == 12 { ymd(y + 1, 1, 1) } else { ymd(y, mo + 1, 1) };
    (first, next - Duration::days(1))
}

/// Hall codes to choose the sample's three halls from (济南市 districts; bulk halls sort after).
const HALL_POOL: &[&str] = &["370102", "370103", "370104", "370105", "370112", "370113", "370114", "370115", "370116", "370117"];

struct Slot {
    unsat: u32,
    excluded: u32,
}

/// Ranking plan of one hall-month: which windows have ratings, and which tie on top, at the
/// bottom and for most unsatisfied votes.
#[derive(Default, Clone)]
struct RankPlan {
    ranked: Vec<usize>,
    top: Vec<usize>,
    bottom: Vec<usize>,
    most_unsat: Vec<usize>,
}

pub struct Gen<'a> {
    pub rng: ChaCha8Rng,
    cal: &'a Calendar,
    pub w: World,
    counters: HashMap<String, u32>,
    /// (hall, month, window) → indices of background cases accepted there.
    window_cases: HashMap<(usize, usize, usize), Vec<usize>>,
    slots: HashMap<(usize, usize, usize), Slot>,
    /// (hall, month, window) → (satisfied, neutral) votes still to write.
    plain_votes: HashMap<(usize, usize, usize), (u32, u32)>,
}

impl<'a> Gen<'a> {
    pub fn new(rng: ChaCha8Rng, cal: &'a Calendar) -> Gen<'a> {
        Gen {
            rng,
            cal,
            w: World::default(),
            counters: HashMap::new(),
            window_cases: HashMap::new(),
            slots: HashMap::new(),
            plain_votes: HashMap::new(),
        }
    }

    // ---- small helpers -------------------------------------------------------------------

    fn next_seq(&mut self, key: String, start_max: u32) -> u32 {
        if !self.counters.contains_key(&key) {
            let start = self.rng.random_range(1..=start_max);
            self.counters.insert(key.clone(), start);
        }
        let v = self.counters.get_mut(&key).expect("inserted");
        let out = *v;
        *v += 1;
        out
    }

    fn ticket_id(&mut self, h: usize, d: NaiveDate, letter: char) -> String {
        let n = self.next_seq(format!("t{h}{d}{letter}"), 9);
        format!("{}{letter}{n:03}", d.format("%Y%m%d"))
    }

    fn case_id(&mut self, h: usize, d: NaiveDate) -> String {
        let n = self.next_seq(format!("c{h}{d}"), 20);
        format!("YB{}{}{n:04}", self.w.halls[h].id, d.format("%Y%m%d"))
    }

    fn rating_id(&mut self, d: NaiveDate) -> String {
        let n = self.next_seq(format!("r{d}"), 300);
        format!("PJ{}{n:05}", d.format("%Y%m%d"))
    }

    fn register_id(&mut self, h: usize) -> String {
        let n = self.next_seq(format!("d{h}"), 40);
        format!("FDBA-{}-2026-{n:04}", self.w.halls[h].id)
    }

    /// A random working day in [lo, hi].
    fn workday_in(&mut self, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
        let days: Vec<NaiveDate> = lo.iter_days().take_while(|d| *d <= hi).filter(|d| self.cal.is_workday(*d)).collect();
        assert!(!days.is_empty(), "a working day between {lo} and {hi}");
        days[self.rng.random_range(0..days.len())]
    }

    /// A random instant of day `d` between h0:00 and h1:00.
    fn time_in(&mut self, d: NaiveDate, h0: u32, h1: u32) -> Ts {
        let s = self.rng.random_range(h0 * 3600..h1 * 3600);
        at(d, s / 3600, (s / 60) % 60, s % 60)
    }

    fn window(&mut self, h: usize) -> (usize, String, String) {
        let n = self.w.halls[h].windows.len();
        let i = self.rng.random_range(0..n);
        let win = &self.w.halls[h].windows[i];
        let s = win.staff[self.rng.random_range(0..win.staff.len())].clone();
        (i, win.id.clone(), s)
    }

    fn staff_of(&mut self, h: usize, wi: usize) -> String {
        let win = &self.w.halls[h].windows[wi];
        win.staff[self.rng.random_range(0..win.staff.len())].clone()
    }

    fn hall_ab(&mut self) -> usize {
        self.rng.random_range(0..2)
    }

    fn any_hall(&mut self) -> usize {
        self.rng.random_range(0..3)
    }

    fn expect(&mut self, rule: &'static str, id: &str, present: bool, what: &'static str) {
        self.w.expect.push(Expect { rule, entity_id: id.to_string(), month: None, present, what });
    }

    fn expect_window(&mut self, rule: &'static str, h: usize, wi: usize, m: usize, present: bool, what: &'static str) {
        let id = format!("{}/{}", self.w.halls[h].id, self.w.halls[h].windows[wi].id);
        let (y, mo) = MONTHS[m];
        self.w.expect.push(Expect { rule, entity_id: id, month: Some(format!("{y:04}-{mo:02}")), present, what });
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    // ---- the halls -----------------------------------------------------------------------

    pub fn halls(&mut self) {
        let mut pool: Vec<&str> = HALL_POOL.to_vec();
        let mut chosen = Vec::new();
        for _ in 0..3 {
            let i = self.rng.random_range(0..pool.len());
            chosen.push(pool.remove(i));
        }
        chosen.sort();
        let sizes = [self.rng.random_range(5..=6), self.rng.random_range(4..=5), self.rng.random_range(4..=6)];
        let mut staff_no = 0;
        for (code, n) in chosen.into_iter().zip(sizes) {
            let mut windows = Vec::new();
            for k in 0..n {
                let per = if self.rng.random_bool(0.4) { 2 } else { 1 };
                let staff = (0..per)
                    .map(|_| {
                        staff_no += self.rng.random_range(1..=7);
                        names::staff_id(code, staff_no)
                    })
                    .collect();
                windows.push(Win { id: format!("W{:02}", k + 1), staff });
            }
            self.w.halls.push(Hall { id: code.to_string(), windows });
        }
    }

    // ---- records with ordinary defaults -------------------------------------------------

    /// A case of `item` in hall `h`, accepted on day `d` between 9 and 16 h.
    fn case_on(&mut self, h: usize, d: NaiveDate, item: &'static Item) -> Case {
        let accepted = self.time_in(d, 9, 16);
        self.new_case(h, item, accepted)
    }

    fn new_case(&mut self, h: usize, item: &'static Item, accepted: Ts) -> Case {
        let (_, w, s) = self.window(h);
        self.new_case_at(h, Some(w), Some(s), item, accepted)
    }

    fn new_case_at(&mut self, h: usize, window: Option<String>, staff: Option<String>, item: &'static Item, accepted: Ts) -> Case {
        let case_id = self.case_id(h, accepted.date());
        let promised_days = match item.days {
            Some(d) => Some(d),
            None if self.rng.random_bool(0.3) => Some(0),
            None => None,
        };
        Case {
            case_id,
            hall_id: self.w.halls[h].id.clone(),
            window_id: window,
            staff_id: staff,
            item_code: item.code.to_string(),
            item_name: Some(item.name.to_string()),
            case_type: if item.days.is_some() { label::PROMISED } else { label::IMMEDIATE },
            promised_days,
            applicant_name: Some(names::person_name(&mut self.rng)),
            applicant_id_no: Some(names::id_number(&mut self.rng)),
            applicant_phone: if self.rng.random_bool(0.9) { Some(names::mobile(&mut self.rng)) } else { None },
            accepted_at: accepted,
            completed_at: None,
            outcome: label::OPEN,
            supplement_requests: if self.rng.random_bool(0.5) { None } else { Some(0) },
            rongque: if self.rng.random_bool(0.5) { None } else { Some(false) },
            ..Default::default()
        }
    }

    /// The deadline date of a 承诺件 without extension, or the acceptance date of a 即办件.
    fn deadline(&self, c: &Case) -> NaiveDate {
        match c.promised_days.filter(|_| c.case_type == label::PROMISED) {
            Some(p) => self.cal.add_workdays(c.accepted_at.date(), p),
            None => c.accepted_at.date(),
        }
    }

    /// A complete register row for a denied case, decided when the case was completed.
    fn register(&mut self, h: usize, c: &Case) -> Denial {
        let decided = c.completed_at.expect("a denied case is completed");
        let d = decided.date();
        let notice_day = self.cal.add_workdays(d, 1);
        let file_day = self.cal.add_workdays(d, self.rng.random_range(2..=4));
        let register_id = self.register_id(h);
        let approval_type = if self.rng.random_bool(0.7) { label::LEADER } else { label::MEETING };
        let approver = names::denial_approver(&mut self.rng, approval_type);
        let (reason, basis) = (self.pick(DENIAL_REASONS), self.pick(LEGAL_BASES));
        let mut d = Denial::of_case(c, register_id, decided, reason, basis, approval_type, approver);
        d.notice_served_at = Some(self.time_in(notice_day, 9, 17));
        d.filed_at = Some(self.time_in(file_day, 9, 17));
        d
    }

    fn new_rating(&mut self, h: usize, wi: Option<usize>, rated: Ts, level: &'static str) -> Rating {
        let rating_id = self.rating_id(rated.date());
        let (window_id, staff_id) = match wi {
            Some(i) => (Some(self.w.halls[h].windows[i].id.clone()), Some(self.staff_of(h, i))),
            None => (None, None),
        };
        let channel = if wi.is_some() {
            self.pick(&["窗口评价器", "窗口评价器", "窗口评价器", "二维码", "二维码", "意见箱"])
        } else {
            self.pick(&["移动端", "PC端", "短信", "电话", "投诉台"])
        };
        let bad = level == label::UNSATISFIED || level == label::VERY_UNSATISFIED;
        let comment = if bad {
            Some(self.pick(BAD_COMMENTS).to_string())
        } else if self.rng.random_bool(0.3) {
            Some(self.pick(SATISFIED_COMMENTS).to_string())
        } else {
            None
        };
        Rating {
            rating_id,
            case_id: None,
            ticket_id: None,
            hall_id: self.w.halls[h].id.clone(),
            window_id,
            staff_id,
            channel: Some(channel.to_string()),
            rated_at: rated,
            level,
            comment,
            ..Default::default()
        }
    }

    /// A bad review handled properly: verified within the day, rectified, feedback given.
    /// A call-back within 24 hours, in office hours: later the same afternoon, or the next
    /// morning no later than the time of day it was rated.
    fn verify_time(&mut self, rated: Ts) -> Ts {
        use chrono::Timelike;
        let tod = rated.num_seconds_from_midnight() as i64;
        let closing = 17 * 3600 + 1800;
        if tod + 1800 < closing {
            rated + Duration::seconds(self.rng.random_range(1800..=closing - tod))
        } else {
            let morning = at(rated.date() + Duration::days(1), 8, 30, 0);
            let latest = (tod - 8 * 3600 - 1800).clamp(60, 3 * 3600);
            morning + Duration::seconds(self.rng.random_range(0..latest))
        }
    }

    fn handle_confirmed(&mut self, r: &mut Rating) {
        let v = self.verify_time(r.rated_at);
        r.verified_at = Some(v);
        r.verification_result = Some(label::CONFIRMED);
        let fix_day = v.date() + Duration::days(self.rng.random_range(2..=10));
        let fixed = self.time_in(fix_day, 9, 17);
        r.rectified_at = Some(fixed);
        let fb_day = fix_day + Duration::days(self.rng.random_range(1..=2));
        r.feedback_at = Some(self.time_in(fb_day, 9, 17));
    }

    fn handle_excluded(&mut self, r: &mut Rating) {
        let v = self.verify_time(r.rated_at);
        r.verified_at = Some(v);
        r.verification_result = Some(if self.rng.random_bool(0.6) { label::MISTAKEN } else { label::MALICIOUS });
    }

    fn bad_level(&mut self) -> &'static str {
        if self.rng.random_bool(0.6) { label::UNSATISFIED } else { label::VERY_UNSATISFIED }
    }

    fn route_of(&self, r: &Rating) -> Route {
        if r.hall_id == self.w.halls[1].id && r.channel.as_deref() == Some("窗口评价器") { Route::Device } else { Route::Main }
    }

    fn push_rating(&mut self, r: Rating) {
        let route = self.route_of(&r);
        self.w.ratings.push((r, route));
    }

    // ---- background business -------------------------------------------------------------

    /// Tickets, and the cases served tickets lead to, for every working day from August to
    /// 2026-11-04; denied cases get complete register rows.
    pub fn background(&mut self) {
        let first = ymd(2026, 8, 1);
        let last = ymd(2026, 11, 4);
        for h in 0..3 {
            for d in first.iter_days().take_while(|d| *d <= last) {
                if !self.cal.is_workday(d) {
                    continue;
                }
                for wi in 0..self.w.halls[h].windows.len() {
                    let n = self.rng.random_range(1..=2);
                    for _ in 0..n {
                        self.ordinary_visit(h, wi, d);
                    }
                }
            }
        }
    }

    fn ordinary_visit(&mut self, h: usize, wi: usize, d: NaiveDate) {
        let item = random_item(&mut self.rng);
        let issued = self.time_in(d, 8, 16);
        let wait_s = wait_seconds(&mut self.rng);
        let x: f64 = self.rng.random();
        let status = by_share(x, &[(0.905, label::SERVED), (0.955, label::NO_SHOW), (0.99, label::CANCELLED)], label::NEVER_CALLED);
        let called = matches!(status, l if l == label::SERVED || l == label::NO_SHOW).then(|| issued + Duration::seconds(wait_s));
        let finished =
            (status == label::SERVED).then(|| called.expect("served is called") + Duration::seconds(self.rng.random_range(180..1500)));
        let (window_id, staff_id) =
            if called.is_some() { (Some(self.w.halls[h].windows[wi].id.clone()), Some(self.staff_of(h, wi))) } else { (None, None) };
        let ticket_id = self.ticket_id(h, d, item.letter);
        let is_appointment = match self.rng.random_range(0..10) {
            0 => None,
            1 | 2 => Some(true),
            _ => Some(false),
        };
        let t = Ticket {
            ticket_id: ticket_id.clone(),
            hall_id: self.w.halls[h].id.clone(),
            window_id: window_id.clone(),
            staff_id: staff_id.clone(),
            item_code: Some(item.code.to_string()),
            issued_at: issued,
            called_at: called,
            finished_at: finished,
            status,
            is_appointment,
        };
        self.w.tickets.push(t);
        if status != label::SERVED || !self.rng.random_bool(0.85) {
            return;
        }
        let accepted = called.expect("served") + Duration::seconds(self.rng.random_range(40..200));
        let mut c = self.new_case_at(h, window_id, staff_id, item, accepted);
        c.ticket_id = Some(ticket_id);
        self.ordinary_course(&mut c);
        let denied = c.outcome == label::REFUSED || c.outcome == label::DENIED;
        let idx = self.w.cases.len();
        if let Some(m) = MONTHS.iter().position(|(y, mo)| accepted.year() == *y && accepted.month() == *mo) {
            self.window_cases.entry((h, m, wi)).or_default().push(idx);
        }
        if denied {
            let mut reg = self.register(h, &c);
            // Now and then a register row is not kept properly.
            let day = reg.decided_at.date();
            match self.rng.random_range(0..12) {
                0 => reg.notice_served_at = Some(self.time_in(self.cal.add_workdays(day, 4), 9, 17)),
                1 => reg.filed_at = Some(self.time_in(self.cal.add_workdays(day, 6), 9, 17)),
                2 => reg.archived = Some(false),
                3 => reg.legal_basis = None,
                _ => {}
            }
            self.w.denials.push((reg, Route::Main));
        }
        self.w.cases.push(c);
    }

    /// How an ordinary case runs: mostly on time, now and then late (and usually told).
    fn ordinary_course(&mut self, c: &mut Case) {
        let acc = c.accepted_at;
        let x: f64 = self.rng.random();
        c.outcome = by_share(x, &[(0.93, label::DONE), (0.97, label::RETURNED), (0.99, label::DENIED)], label::REFUSED);
        if c.outcome == label::REFUSED {
            c.completed_at = Some(acc + Duration::minutes(self.rng.random_range(10..40)));
            return;
        }
        let late = self.rng.random_bool(0.03);
        let done = if c.case_type == label::IMMEDIATE {
            if late {
                let next = self.cal.add_workdays(acc.date(), 1);
                self.time_in(next, 9, 11)
            } else {
                let t = acc + Duration::minutes(self.rng.random_range(5..40));
                if t.date() == acc.date() { t } else { at(acc.date(), 23, 30, 0) }
            }
        } else {
            let p = c.promised_days.expect("承诺件");
            let k = if late { p + self.rng.random_range(1..=3) } else { self.rng.random_range(1..=p) };
            let day = self.cal.add_workdays(acc.date(), k);
            self.time_in(day, 9, 17)
        };
        c.completed_at = Some(done);
        if late && self.rng.random_bool(0.7) {
            let dl = self.deadline(c);
            let nd = self.cal.add_workdays(dl, 1);
            c.overdue_notified_at = Some(self.time_in(nd, 9, 12));
        }
        if c.case_type == label::PROMISED && self.rng.random_bool(0.06) {
            c.rongque = Some(true);
            let due = self.cal.add_workdays(acc.date(), 5);
            c.supplement_due = Some(due);
            let recv_day = self.cal.add_workdays(acc.date(), self.rng.random_range(1..=5));
            c.supplement_received_at = Some(self.time_in(recv_day, 9, 17));
        }
        if self.rng.random_bool(0.2) {
            c.supplement_requests = Some(1);
        }
    }

    // ---- ratings and the rankings ---------------------------------------------------------

    fn rank_counts(&mut self, nwin: usize, plan: &RankPlan) -> Vec<(u32, u32)> {
        let mut out = vec![(0u32, 0u32); nwin];
        if plan.ranked.len() == 1 {
            out[plan.ranked[0]] = (self.rng.random_range(5..=10), 0);
            return out;
        }
        let s_top = self.rng.random_range(16..=22);
        let u_top = self.rng.random_range(0..=1);
        let s_bot = self.rng.random_range(3..=6);
        let u_bot = self.rng.random_range(1..=3);
        let top: Vec<usize> = if plan.top.is_empty() {
            let cands: Vec<usize> =
                plan.ranked.iter().copied().filter(|w| !plan.bottom.contains(w) && !plan.most_unsat.contains(w)).collect();
            vec![cands[self.rng.random_range(0..cands.len())]]
        } else {
            plan.top.clone()
        };
        for &w in &plan.ranked {
            out[w] = if top.contains(&w) {
                (s_top, u_top)
            } else if plan.bottom.contains(&w) {
                (s_bot, u_bot)
            } else {
                (self.rng.random_range(s_bot + 1..s_top), self.rng.random_range(0..=3))
            };
        }
        if !plan.most_unsat.is_empty() {
            let others = plan.ranked.iter().filter(|w| !plan.most_unsat.contains(w)).map(|w| out[*w].1).max().unwrap_or(0);
            let u = others + self.rng.random_range(1..=2);
            for &w in &plan.most_unsat {
                out[w].1 = u;
            }
        }
        out
    }

    /// Decides every window's votes for every month, with the ranking scenarios:
    /// hall A — one window bottom in September and October (consecutive), another bottom in
    /// August only; hall B — tied model windows and tied most-unsatisfied in September, a tied
    /// bottom in October, one window bottom in August, September and October; hall C — only one
    /// ranked window in August, that window bottom in September (no consecutive finding).
    pub fn plan_rankings(&mut self) {
        let na = self.w.halls[0].windows.len();
        let nb = self.w.halls[1].windows.len();
        let nc = self.w.halls[2].windows.len();
        let perm = |g: &mut Gen, n: usize| -> Vec<usize> {
            let mut v: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = g.rng.random_range(0..=i);
                v.swap(i, j);
            }
            v
        };
        let pa = perm(self, na);
        let pb = perm(self, nb);
        let pc = perm(self, nc);
        let all = |n: usize| (0..n).collect::<Vec<usize>>();
        let plans: Vec<(usize, usize, RankPlan)> = vec![
            (0, 0, RankPlan { ranked: all(na), bottom: vec![pa[1]], ..Default::default() }),
            (0, 1, RankPlan { ranked: all(na), bottom: vec![pa[0]], ..Default::default() }),
            (0, 2, RankPlan { ranked: all(na), bottom: vec![pa[0]], most_unsat: vec![pa[2]], ..Default::default() }),
            (1, 0, RankPlan { ranked: all(nb), bottom: vec![pb[0]], ..Default::default() }),
            (1, 1, RankPlan { ranked: all(nb), top: vec![pb[2], pb[3]], bottom: vec![pb[0]], most_unsat: vec![pb[0], pb[1]] }),
            (1, 2, RankPlan { ranked: all(nb), bottom: vec![pb[0], pb[1]], ..Default::default() }),
            (2, 0, RankPlan { ranked: vec![pc[0]], ..Default::default() }),
            (2, 1, RankPlan { ranked: all(nc), bottom: vec![pc[0]], ..Default::default() }),
            (2, 2, RankPlan { ranked: all(nc), bottom: vec![pc[1]], ..Default::default() }),
        ];
        for (h, m, plan) in &plans {
            let n = self.w.halls[*h].windows.len();
            let counts = self.rank_counts(n, plan);
            for (w, &(s, u)) in counts.iter().enumerate() {
                if !plan.ranked.contains(&w) {
                    continue;
                }
                let neutral = self.rng.random_range(0..=3);
                let excluded = self.rng.random_range(0..=1);
                self.slots.insert((*h, *m, w), Slot { unsat: u, excluded });
                self.plain_votes.insert((*h, *m, w), (s, neutral));
            }
        }
        // What the plans mean for the findings.
        self.expect_window("ranking.consecutive_bottom", 0, pa[0], 2, true, "A: bottom in September and October");
        self.expect_window("ranking.consecutive_bottom", 0, pa[0], 1, false, "A: bottom in September, not in August");
        self.expect_window("ranking.consecutive_bottom", 0, pa[1], 0, false, "A: bottom in August only (no July)");
        self.expect_window("ranking.consecutive_bottom", 0, pa[1], 1, false, "A: bottom in August only");
        self.expect_window("ranking.most_unsatisfied", 0, pa[2], 2, true, "A: most unsatisfied in October");
        self.expect_window("ranking.model_window", 1, pb[2], 1, true, "B: tied for rank 1 in September");
        self.expect_window("ranking.model_window", 1, pb[3], 1, true, "B: tied for rank 1 in September");
        self.expect_window("ranking.most_unsatisfied", 1, pb[0], 1, true, "B: tied most unsatisfied in September");
        self.expect_window("ranking.most_unsatisfied", 1, pb[1], 1, true, "B: tied most unsatisfied in September");
        self.expect_window("ranking.consecutive_bottom", 1, pb[0], 1, true, "B: bottom in August and September");
        self.expect_window("ranking.consecutive_bottom", 1, pb[0], 2, true, "B: bottom (tied) in September and October");
        self.expect_window("ranking.consecutive_bottom", 1, pb[1], 2, false, "B: tied bottom in October only");
        self.expect_window("ranking.model_window", 2, pc[0], 0, true, "C: the only ranked window in August");
        self.expect_window("ranking.most_unsatisfied", 2, pc[0], 0, false, "C: no unsatisfied vote in August");
        self.expect_window("ranking.consecutive_bottom", 2, pc[0], 1, false, "C: bottom in September, alone in August");
        self.expect_window("ranking.consecutive_bottom", 2, pc[1], 2, false, "C: bottom in October only");
    }

    /// Takes a window of hall `h` in month `m` with an unsatisfied (or excluded) vote to spare;
    /// None when every such vote is taken (the rating then has no window).
    fn claim(&mut self, h: usize, m: usize, excluded: bool) -> Option<usize> {
        let n = self.w.halls[h].windows.len();
        let mut cands: Vec<usize> =
            (0..n).filter(|w| self.slots.get(&(h, m, *w)).is_some_and(|s| if excluded { s.excluded > 0 } else { s.unsat > 0 })).collect();
        if cands.is_empty() {
            return None;
        }
        cands.sort();
        let w = cands[self.rng.random_range(0..cands.len())];
        let s = self.slots.get_mut(&(h, m, w)).expect("candidate");
        if excluded {
            s.excluded -= 1;
        } else {
            s.unsat -= 1;
        }
        Some(w)
    }

    /// A rated instant at a window: when a case of that window-month was accepted, else a
    /// working-hours moment of the month.
    fn rated_instant(&mut self, h: usize, m: usize, wi: usize) -> (Ts, Option<(String, Option<String>)>) {
        let key = (h, m, wi);
        if let Some(list) = self.window_cases.get_mut(&key)
            && !list.is_empty()
        {
            let i = self.rng.random_range(0..list.len());
            let idx = list.swap_remove(i);
            let c = &self.w.cases[idx];
            let t = c.accepted_at + Duration::minutes(self.rng.random_range(2..15));
            return (t, Some((c.case_id.clone(), c.ticket_id.clone())));
        }
        let (lo, hi) = month_range(m);
        let d = self.workday_in(lo, hi);
        (self.time_in(d, 9, 17), None)
    }

    /// The votes the plans still call for, written as ordinary ratings.
    pub fn ordinary_ratings(&mut self) {
        let mut keys: Vec<(usize, usize, usize)> = self.plain_votes.keys().copied().collect();
        keys.sort();
        for key in keys {
            let (h, m, wi) = key;
            let (s, n) = self.plain_votes[&key];
            let Slot { unsat, excluded } = self.slots.remove(&key).unwrap_or(Slot { unsat: 0, excluded: 0 });
            let mut levels: Vec<(&'static str, u8)> = Vec::new();
            for _ in 0..s {
                levels.push((if self.rng.random_bool(0.6) { label::VERY_SATISFIED } else { label::SATISFIED }, 0));
            }
            for _ in 0..n {
                levels.push((label::NEUTRAL, 0));
            }
            for _ in 0..unsat {
                let l = self.bad_level();
                levels.push((l, 1));
            }
            for _ in 0..excluded {
                let l = self.bad_level();
                levels.push((l, 2));
            }
            for (level, kind) in levels {
                let (t, link) = self.rated_instant(h, m, wi);
                let mut r = self.new_rating(h, Some(wi), t, level);
                if let Some((case_id, ticket_id)) = link {
                    r.case_id = Some(case_id);
                    r.ticket_id = ticket_id;
                }
                match kind {
                    1 => self.handle_confirmed(&mut r),
                    2 => self.handle_excluded(&mut r),
                    _ => {}
                }
                self.push_rating(r);
            }
        }
        // Ratings without a window (mobile, web, SMS, phone): never ranked.
        for h in 0..3 {
            for m in 0..3 {
                let (lo, hi) = month_range(m);
                for _ in 0..self.rng.random_range(1..=4) {
                    let d = lo + Duration::days(self.rng.random_range(0..=(hi - lo).num_days()));
                    let t = self.time_in(d, 8, 22);
                    let x: f64 = self.rng.random();
                    let level = if x < 0.5 {
                        label::VERY_SATISFIED
                    } else if x < 0.65 {
                        label::NEUTRAL
                    } else {
                        self.bad_level()
                    };
                    let mut r = self.new_rating(h, None, t, level);
                    if level != label::VERY_SATISFIED && level != label::NEUTRAL {
                        self.handle_confirmed(&mut r);
                    }
                    self.push_rating(r);
                }
            }
            // After the as-of instant: left out.
            for _ in 0..self.rng.random_range(2..=4) {
                let d = self.workday_in(ymd(2026, 11, 2), ymd(2026, 11, 2));
                let t = self.time_in(d, 9, 17);
                let wi = self.rng.random_range(0..self.w.halls[h].windows.len());
                let level = if self.rng.random_bool(0.5) { label::UNSATISFIED } else { label::SATISFIED };
                let r = self.new_rating(h, Some(wi), t, level);
                let id = r.rating_id.clone();
                self.push_rating(r);
                self.expect("rating.verification_late", &id, false, "rated after T: left out");
            }
        }
    }

    // ---- planted bad reviews ----------------------------------------------------------------

    /// A planted bad review in hall `h`, month `m`, on a working day in [lo, hi]; at a window
    /// with a vote of the right kind to spare, else without a window.
    fn planted_rating(&mut self, h: usize, m: usize, lo: NaiveDate, hi: NaiveDate, excluded: bool) -> Rating {
        let wi = self.claim(h, m, excluded);
        let d = self.workday_in(lo, hi);
        let t = self.time_in(d, 9, 17);
        let level = self.bad_level();
        let mut r = self.new_rating(h, wi, t, level);
        if wi.is_some() && h == 1 {
            // Hall B: about half come from the window evaluators (their own export), half by QR code.
            r.channel = Some(if self.rng.random_bool(0.5) { "窗口评价器" } else { "二维码" }.to_string());
        }
        r
    }

    fn month_index(d: NaiveDate) -> usize {
        MONTHS.iter().position(|(y, m)| d.year() == *y && d.month() == *m).expect("a ranked month")
    }

    /// Picks a month whose part within [lo, hi] has a working day, and plants there.
    fn plant_between(&mut self, h: usize, lo: NaiveDate, hi: NaiveDate, excluded: bool) -> Rating {
        let d = self.workday_in(lo, hi);
        let m = Self::month_index(d);
        let (ml, mh) = month_range(m);
        self.planted_rating(h, m, lo.max(ml), hi.min(mh), excluded)
    }

    /// A bad review planted in any hall between `lo` and `hi` (`plant_between`), completed by
    /// `shape` and pushed: its id, for the expectations.
    fn plant_review(&mut self, lo: NaiveDate, hi: NaiveDate, excluded: bool, shape: impl FnOnce(&mut Self, &mut Rating)) -> String {
        let h = self.any_hall();
        let mut r = self.plant_between(h, lo, hi, excluded);
        shape(self, &mut r);
        let id = r.rating_id.clone();
        self.push_rating(r);
        id
    }

    pub fn planted_ratings(&mut self) {
        self.planted_verifications();
        self.planted_excluded_reviews();
        self.planted_rectification_deadlines();
        self.planted_feedback_and_later_exports();
    }

    /// Bad reviews verified in time to the second or late, without a result, never, or only after T.
    fn planted_verifications(&mut self) {
        let aug3 = ymd(2026, 8, 3);
        // In time to the second, then one second late.
        for late in [false, true] {
            let id = self.plant_review(ymd(2026, 9, 1), ymd(2026, 10, 20), false, |_, r| {
                let v = r.rated_at + Duration::hours(24) + Duration::seconds(late as i64);
                r.verified_at = Some(v);
                r.verification_result = Some(label::CONFIRMED);
                r.rectified_at = Some(v + Duration::days(3));
                r.feedback_at = Some(v + Duration::days(4));
            });
            let what = if late { "verified 24 h + 1 s after rating" } else { "verified exactly 24 h after rating" };
            self.expect("rating.verification_late", &id, late, what);
            self.expect("rating.rectification_late", &id, false, "rectified in 3 days");
            self.expect("rating.feedback_missing", &id, false, "feedback given");
        }
        // Verified, but no result recorded.
        for _ in 0..2 {
            let id = self.plant_review(aug3, ymd(2026, 10, 20), false, |_, r| r.verified_at = Some(r.rated_at + Duration::hours(5)));
            self.expect("rating.verification_late", &id, true, "verified without a result");
        }
        // Never verified.
        for _ in 0..2 {
            let id = self.plant_review(aug3, ymd(2026, 10, 28), false, |_, _| {});
            self.expect("rating.verification_late", &id, true, "never verified");
        }
        // Rated late on 2026-10-31 by phone app: T is not past rated_at + 24 h.
        {
            let h = self.any_hall();
            let t = self.time_in(ymd(2026, 10, 31), 20, 23);
            let level = self.bad_level();
            let mut r = self.new_rating(h, None, t, level);
            r.channel = Some("移动端".into());
            let id = r.rating_id.clone();
            self.push_rating(r);
            self.expect("rating.verification_late", &id, false, "unverified but rated_at + 24 h is after T");
        }
        // Verified (属实) only after T: no verification at T, so not confirmed either.
        let id = self.plant_review(ymd(2026, 10, 19), ymd(2026, 10, 28), false, |g, r| {
            r.verified_at = Some(g.time_in(ymd(2026, 11, 2), 9, 12));
            r.verification_result = Some(label::CONFIRMED);
        });
        self.expect("rating.verification_late", &id, true, "verified after T reads as unverified");
        self.expect("rating.rectification_late", &id, false, "a verification after T confirms nothing");
    }

    /// 误评 and 恶意差评: excluded from the counts, whether verified in time or late; a 误评 recorded only
    /// after T still counts at T.
    fn planted_excluded_reviews(&mut self) {
        let aug3 = ymd(2026, 8, 3);
        // 误评 in time: excluded, no rectification needed.
        for _ in 0..2 {
            let id = self.plant_review(aug3, ymd(2026, 10, 28), true, |_, r| {
                r.verified_at = Some(r.rated_at + Duration::hours(3));
                r.verification_result = Some(label::MISTAKEN);
            });
            self.expect("rating.verification_late", &id, false, "误评 verified in time");
            self.expect("rating.rectification_late", &id, false, "误评 needs no rectification");
        }
        // 恶意差评 verified late: a late verification, still excluded.
        let id = self.plant_review(aug3, ymd(2026, 10, 28), true, |_, r| {
            r.verified_at = Some(r.rated_at + Duration::hours(30));
            r.verification_result = Some(label::MALICIOUS);
        });
        self.expect("rating.verification_late", &id, true, "恶意差评 verified after 30 h");
        self.expect("rating.rectification_late", &id, false, "恶意差评 needs no rectification");
        // 误评 recorded only after T: at T it is an unverified, counted, bad review.
        let id = self.plant_review(ymd(2026, 10, 26), ymd(2026, 10, 30), false, |g, r| {
            r.verified_at = Some(g.time_in(ymd(2026, 11, 2), 9, 12));
            r.verification_result = Some(label::MISTAKEN);
        });
        self.expect("rating.verification_late", &id, true, "误评 recorded after T");
    }

    /// Rectifications late, never made, extended (reported in time or late), overrun, and to the second.
    fn planted_rectification_deadlines(&mut self) {
        let aug3 = ymd(2026, 8, 3);
        // Rectification: late, never, extension reported in time / late, after the extension.
        for kind in ["late", "never", "ext_ok", "ext_reported_late", "ext_overrun", "at_deadline", "deadline_plus_1s"] {
            let hi = if kind == "ext_overrun" { ymd(2026, 9, 20) } else { ymd(2026, 10, 5) };
            let id = self.plant_review(aug3, hi, false, |_, r| Self::rectify(r, kind));
            let (present, what) = match kind {
                "late" => (true, "rectified two days after the 15-day limit"),
                "never" => (true, "confirmed, never rectified"),
                "ext_ok" => (false, "extension reported on the deadline day, rectified within it"),
                "ext_reported_late" => (true, "extension reported a day late: the original limit holds"),
                "ext_overrun" => (true, "rectified the day after the extended limit"),
                "at_deadline" => (false, "rectified at 23:59:59 of the limit"),
                _ => (true, "rectified one second after the limit"),
            };
            self.expect("rating.rectification_late", &id, present, what);
        }
    }

    /// Planted bad review `r` confirmed 4 h after rating, rectified as `kind` of
    /// `planted_rectification_deadlines` says: late, never, extended, at the limit or just past it.
    fn rectify(r: &mut Rating, kind: &str) {
        let v = r.rated_at + Duration::hours(4);
        r.verified_at = Some(v);
        r.verification_result = Some(label::CONFIRMED);
        let original = v.date() + Duration::days(15);
        let extended = original + Duration::days(10);
        let fb = |t: Ts| Some(t + Duration::days(1));
        match kind {
            "late" => {
                let t = at(original + Duration::days(2), 10, 0, 0);
                r.rectified_at = Some(t);
                r.feedback_at = fb(t);
            }
            "never" => {}
            "ext_ok" | "ext_reported_late" | "ext_overrun" => {
                r.rectify_due_extended = Some(extended);
                r.rectify_extension_reason = Some("需协调信息中心升级叫号系统，延期整改".into());
                r.rectify_extension_reported_at =
                    Some(if kind == "ext_reported_late" { at(original + Duration::days(1), 9, 0, 0) } else { at(original, 16, 0, 0) });
                let t = if kind == "ext_overrun" {
                    at(extended + Duration::days(1), 10, 0, 0)
                } else {
                    at(original + Duration::days(5), 10, 0, 0)
                };
                r.rectified_at = Some(t);
                r.feedback_at = fb(t);
            }
            "at_deadline" => {
                r.rectified_at = Some(eod(original));
                r.feedback_at = fb(eod(original));
            }
            _ => {
                let t = eod(original) + Duration::seconds(1);
                r.rectified_at = Some(t);
                r.feedback_at = fb(t);
            }
        }
    }

    /// Rectified without written feedback or with it only after T; confirmed so late that the 15 days
    /// run past T; and a verification the later export completes.
    fn planted_feedback_and_later_exports(&mut self) {
        let aug3 = ymd(2026, 8, 3);
        // Rectified without written feedback; feedback only after T.
        for after_t in [false, false, true] {
            let (lo, hi) = if after_t { (ymd(2026, 10, 19), ymd(2026, 10, 23)) } else { (aug3, ymd(2026, 10, 20)) };
            let id = self.plant_review(lo, hi, false, |_, r| {
                let v = r.rated_at + Duration::hours(4);
                r.verified_at = Some(v);
                r.verification_result = Some(label::CONFIRMED);
                r.rectified_at = Some(if after_t { at(ymd(2026, 10, 30), 10, 0, 0) } else { v + Duration::days(3) });
                if after_t {
                    r.feedback_at = Some(at(ymd(2026, 11, 2), 10, 0, 0));
                }
            });
            let what = if after_t { "feedback after T" } else { "no written feedback" };
            self.expect("rating.feedback_missing", &id, true, what);
            self.expect("rating.rectification_late", &id, false, "rectified in time");
        }
        // Confirmed late in October: the 15 days run past T.
        let id = self.plant_review(ymd(2026, 10, 22), ymd(2026, 10, 26), false, |_, r| {
            r.verified_at = Some(r.rated_at + Duration::hours(4));
            r.verification_result = Some(label::CONFIRMED);
        });
        self.expect("rating.rectification_late", &id, false, "the rectification limit is after T");
        // Rated 10-14, verified 10-15 after the early export: the later export completes it.
        {
            let h = self.hall_ab();
            let wi = self.claim(h, 2, false);
            let t = self.time_in(ymd(2026, 10, 14), 15, 16);
            let level = self.bad_level();
            let mut r = self.new_rating(h, wi, t, level);
            r.channel = Some("二维码".into());
            r.verified_at = Some(at(ymd(2026, 10, 15), 10, 0, 0));
            r.verification_result = Some(label::CONFIRMED);
            r.rectified_at = Some(at(ymd(2026, 10, 22), 15, 0, 0));
            r.feedback_at = Some(at(ymd(2026, 10, 23), 9, 30, 0));
            let id = r.rating_id.clone();
            self.push_rating(r);
            self.expect("rating.verification_late", &id, false, "the later export supersedes the unverified earlier row");
            self.expect("rating.rectification_late", &id, false, "rectified in time");
            self.expect("rating.feedback_missing", &id, false, "feedback given");
        }
    }

    // ---- planted cases ---------------------------------------------------------------------

    fn push_case(&mut self, c: Case) -> String {
        let id = c.case_id.clone();
        self.w.cases.push(c);
        id
    }

    pub fn planted_cases(&mut self) {
        self.planted_calendar_cases();
        self.planted_extensions();
        self.planted_overdue_notices();
        self.planted_refusals();
        self.planted_late_exports();
        self.planted_rongque();
        self.planted_repeat_supplements();
    }

    /// Cases whose deadlines the calendar moves: National Day, and the 调休 weekend days that work.
    fn planted_calendar_cases(&mut self) {
        let outpatient = item("门诊费用报销");
        let inpatient = item("住院费用报销");
        let basis = item("参保单位缴费基数申报");

        // National Day: accepted 09-30, 10 working days → 10-20 (10-10 works).
        for late in [false, true] {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 9, 30), if late { inpatient } else { outpatient });
            let dl = self.deadline(&c);
            assert_eq!(dl, ymd(2026, 10, 20), "calendar: 10 working days after 2026-09-30");
            c.completed_at = Some(if late { eod(dl) + Duration::seconds(1) } else { eod(dl) });
            c.outcome = label::DONE;
            if late {
                c.overdue_notified_at = Some(at(ymd(2026, 10, 21), 10, 0, 0));
            }
            let id = self.push_case(c);
            if late {
                self.expect("time_limit.overdue_completed", &id, true, "completed 00:00:00 the day after the deadline (National Day)");
                self.expect("time_limit.overdue_not_notified", &id, false, "told the next working day");
            } else {
                self.expect("time_limit.overdue_completed", &id, false, "completed 23:59:59 on the deadline date (National Day)");
            }
        }
        // 调休 Sunday 09-20 counts: accepted Friday 09-18, 5 working days → 09-24.
        {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 9, 18), basis);
            assert_eq!(self.deadline(&c), ymd(2026, 9, 24), "calendar: 09-20 is a working Sunday");
            c.completed_at = Some(self.time_in(ymd(2026, 9, 25), 9, 12));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("time_limit.overdue_completed", &id, true, "due 09-24 because Sunday 09-20 works; done 09-25");
            self.expect("time_limit.overdue_not_notified", &id, true, "never told (notice due 09-28 after the Mid-Autumn break)");
        }
        // 调休 Saturday 10-10 counts: accepted 09-29, 5 working days → 10-12.
        for late in [false, true] {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 9, 29), basis);
            assert_eq!(self.deadline(&c), ymd(2026, 10, 12), "calendar: 10-10 is a working Saturday");
            let day = if late { ymd(2026, 10, 13) } else { ymd(2026, 10, 12) };
            c.completed_at = Some(self.time_in(day, 9, 17));
            c.outcome = label::DONE;
            c.overdue_notified_at = late.then(|| at(ymd(2026, 10, 13), 9, 0, 0));
            let id = self.push_case(c);
            self.expect(
                "time_limit.overdue_completed",
                &id,
                late,
                if late { "done 10-13, due 10-12" } else { "done on 10-12, its deadline" },
            );
            if late {
                self.expect("time_limit.overdue_not_notified", &id, false, "told on 10-13");
            }
        }
    }

    /// Extensions of a case accepted 10-09 (unextended deadline 10-22): approved on 10-22 (valid),
    /// on 10-23 (invalid), after T (reads missing: invalid), without approver.
    fn planted_extensions(&mut self) {
        let outpatient = item("门诊费用报销");
        let transfer = item("转移接续手续办理");
        let immediate = item("单位参保登记");
        let maternity = item("生育津贴支付");

        // Extensions of a case accepted 10-09 (unextended deadline 10-22): approved on 10-22
        // (valid), on 10-23 (invalid), after T (reads missing: invalid), without approver.
        for kind in ["on_deadline", "day_after"] {
            let h = self.hall_ab();
            let mut c = self.case_on(h, ymd(2026, 10, 9), maternity);
            let unext = self.deadline(&c);
            assert_eq!(unext, ymd(2026, 10, 22));
            c.extension_days = Some(5);
            c.extension_reason = Some(self.pick(EXTENSION_REASONS).to_string());
            c.extension_approver = Some(names::leader(&mut self.rng));
            c.extension_approved_at = Some(if kind == "on_deadline" { at(unext, 17, 30, 0) } else { at(ymd(2026, 10, 23), 9, 0, 0) });
            c.completed_at = Some(self.time_in(ymd(2026, 10, 28), 9, 17));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            if kind == "on_deadline" {
                self.expect("time_limit.invalid_extension", &id, false, "extension approved on the unextended deadline date");
                self.expect("time_limit.overdue_completed", &id, false, "done within the extended limit (10-29)");
            } else {
                self.expect("time_limit.invalid_extension", &id, true, "extension approved the day after the deadline");
                self.expect("time_limit.overdue_completed", &id, true, "the invalid extension is ignored: due 10-22");
                self.expect("time_limit.overdue_not_notified", &id, true, "never told");
            }
        }
        {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 10, 20), transfer);
            c.extension_days = Some(10);
            c.extension_reason = Some(self.pick(EXTENSION_REASONS).to_string());
            c.extension_approver = Some(names::leader(&mut self.rng));
            c.extension_approved_at = Some(at(ymd(2026, 11, 2), 10, 0, 0));
            let id = self.push_case(c);
            self.expect("time_limit.invalid_extension", &id, true, "extension approved after T reads as missing");
            self.expect("time_limit.due_soon", &id, false, "due 11-10");
        }
        {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 9, 10));
            let mut c = self.case_on(h, d, outpatient);
            let dl = self.deadline(&c);
            c.extension_days = Some(5);
            c.extension_reason = Some(self.pick(EXTENSION_REASONS).to_string());
            c.extension_approved_at = Some(at(self.cal.add_workdays(d, 7), 11, 0, 0));
            c.completed_at = Some(self.time_in(dl, 9, 16));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("time_limit.invalid_extension", &id, true, "extension without the head's signature");
            self.expect("time_limit.overdue_completed", &id, false, "done by the unextended deadline");
        }
        {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 10, 13), immediate);
            c.extension_days = Some(3);
            c.extension_reason = Some("系统升级".into());
            c.completed_at = Some(c.accepted_at + Duration::minutes(20));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("time_limit.invalid_extension", &id, false, "a 即办件's extension fields are ignored");
        }
    }

    /// Open cases past their deadline, told or not (to the second), completed only after T, or due soon.
    fn planted_overdue_notices(&mut self) {
        let outpatient = item("门诊费用报销");
        let basis = item("参保单位缴费基数申报");
        let transfer = item("转移接续手续办理");
        let remote = item("异地就医备案（异地长期居住人员）");

        // Open past the deadline: not told; told in time.
        for told in [false, true] {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 9, 7), ymd(2026, 9, 11));
            let mut c = self.case_on(h, d, outpatient);
            let dl = self.deadline(&c);
            if told {
                c.overdue_notified_at = Some(at(self.cal.add_workdays(dl, 1), 15, 0, 0));
            }
            let id = self.push_case(c);
            self.expect("time_limit.overdue_open", &id, true, "still open a month after its deadline");
            self.expect("time_limit.overdue_not_notified", &id, !told, if told { "told the next working day" } else { "never told" });
        }
        // Told exactly at 23:59:59 of the notification deadline, and one second later.
        for late in [false, true] {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 9, 4));
            let mut c = self.case_on(h, d, remote);
            let next = self.cal.add_workdays(d, 1);
            c.completed_at = Some(self.time_in(next, 9, 12));
            c.outcome = label::DONE;
            let by = eod(self.cal.add_workdays(d, 1));
            c.overdue_notified_at = Some(by + Duration::seconds(late as i64));
            let id = self.push_case(c);
            self.expect("time_limit.overdue_completed", &id, true, "即办件 done the next working day");
            self.expect(
                "time_limit.overdue_not_notified",
                &id,
                late,
                if late { "told one second late" } else { "told at 23:59:59 of the notice deadline" },
            );
        }
        // Completed after T: open at T.
        {
            let h = self.hall_ab();
            let mut c = self.case_on(h, ymd(2026, 10, 9), outpatient);
            c.completed_at = Some(at(ymd(2026, 11, 2), 10, 0, 0));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("time_limit.overdue_open", &id, true, "completed after T: open and overdue at T");
            self.expect("time_limit.overdue_completed", &id, false, "a completion after T has not happened");
        }
        // Due soon: deadline 11-02, the first working day after T's date; 11-03 is not.
        for (acc_day, it, soon) in [
            (ymd(2026, 10, 19), outpatient, true),
            (ymd(2026, 10, 26), basis, true),
            (ymd(2026, 10, 12), transfer, true),
            (ymd(2026, 10, 20), outpatient, false),
        ] {
            let h = self.any_hall();
            let mut c = self.case_on(h, acc_day, it);
            let dl = self.deadline(&c);
            assert_eq!(dl, if soon { ymd(2026, 11, 2) } else { ymd(2026, 11, 3) });
            if soon && it.days == Some(10) {
                c.completed_at = Some(at(ymd(2026, 11, 2), 15, 0, 0));
                c.outcome = label::DONE;
            }
            let id = self.push_case(c);
            self.expect("time_limit.due_soon", &id, soon, if soon { "due 11-02 and open at T" } else { "due 11-03" });
            self.expect("time_limit.overdue_open", &id, false, "not yet overdue");
        }
    }

    /// Refused at the door (不予受理): late (no time limit applies), and recorded only after T (open at
    /// T, so it does).
    fn planted_refusals(&mut self) {
        let outpatient = item("门诊费用报销");
        let immediate = item("单位参保登记");
        // Refused at the door (不予受理), late: no time limit applies.
        {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 8, 14));
            let mut c = self.case_on(h, d, outpatient);
            let dl = self.deadline(&c);
            c.completed_at = Some(self.time_in(self.cal.add_workdays(dl, 3), 9, 16));
            c.outcome = label::REFUSED;
            c.rongque = Some(true);
            c.supplement_requests = Some(2);
            let reg = self.register(h, &c);
            self.w.denials.push((reg, Route::Main));
            let id = self.push_case(c);
            self.expect("time_limit.overdue_completed", &id, false, "不予受理: no time limit");
            self.expect("rongque.no_due_date", &id, false, "不予受理: no 容缺 rules");
            self.expect("notice.repeat_supplement", &id, true, "sent back twice, whatever the outcome");
        }
        // 不予受理 recorded only after T: open at T, so the time limit applies; its register
        // row is decided before T and reads as an outcome mismatch.
        {
            let h = self.hall_ab();
            let acc = self.time_in(ymd(2026, 10, 30), 9, 11);
            let mut c = self.new_case(h, immediate, acc);
            c.completed_at = Some(at(ymd(2026, 11, 2), 9, 0, 0));
            c.outcome = label::REFUSED;
            let mut reg = self.register(h, &c);
            reg.decided_at = at(ymd(2026, 10, 30), 16, 0, 0);
            reg.notice_served_at = Some(at(ymd(2026, 10, 30), 16, 30, 0));
            reg.filed_at = Some(at(ymd(2026, 11, 2), 10, 0, 0));
            let rid = reg.register_id.clone();
            self.w.denials.push((reg, Route::Main));
            let id = self.push_case(c);
            self.expect("time_limit.overdue_open", &id, true, "不予受理 after T: open 即办件 at T");
            self.expect("time_limit.overdue_not_notified", &id, false, "notice deadline 11-02 is after T");
            self.expect("denial.outcome_mismatch", &rid, true, "register row decided before T, case still open at T");
            self.expect("denial.unregistered", &id, false, "not a denial at T");
        }
    }

    /// 办理中 with a completion time before T, a denial (不予批准) done late, and an open case a later
    /// export completes on its deadline day.
    fn planted_late_exports(&mut self) {
        let outpatient = item("门诊费用报销");
        let inpatient = item("住院费用报销");
        let designation = item("医疗机构申请定点协议管理");
        // 办理中 with a completion time before T: completed for the time limits.
        {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 9, 1), ymd(2026, 9, 4));
            let mut c = self.case_on(h, d, outpatient);
            let dl = self.deadline(&c);
            c.completed_at = Some(self.time_in(self.cal.add_workdays(dl, 4), 9, 16));
            c.outcome = label::OPEN;
            c.overdue_notified_at = Some(at(self.cal.add_workdays(dl, 1), 9, 30, 0));
            let id = self.push_case(c);
            self.expect("time_limit.overdue_completed", &id, true, "办理中 with completed_at before T counts as completed");
            self.expect("time_limit.overdue_open", &id, false, "it is completed");
        }
        // 不予批准, late: the time limit applies.
        {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 10), ymd(2026, 8, 21));
            let mut c = self.case_on(h, d, designation);
            let dl = self.deadline(&c);
            c.completed_at = Some(self.time_in(self.cal.add_workdays(dl, 2), 9, 16));
            c.outcome = label::DENIED;
            c.overdue_notified_at = Some(at(self.cal.add_workdays(dl, 1), 9, 0, 0));
            let reg = self.register(h, &c);
            self.w.denials.push((reg, Route::Main));
            let id = self.push_case(c);
            self.expect("time_limit.overdue_completed", &id, true, "不予批准 two working days late");
        }
        // The later export completes an open case on its deadline day.
        {
            let h = self.hall_ab();
            let d = self.workday_in(ymd(2026, 9, 28), ymd(2026, 10, 9));
            let mut c = self.case_on(h, d, inpatient);
            let dl = self.deadline(&c);
            c.completed_at = Some(at(dl, 15, 0, 0));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("time_limit.overdue_open", &id, false, "open in the 10-15 export, completed in the 11-03 one");
            self.expect("time_limit.overdue_completed", &id, false, "completed on its deadline date");
        }

    }

    /// 容缺受理: accepted with a promise to supply the missing material by a due date.
    fn planted_rongque(&mut self) {
        let outpatient = item("门诊费用报销");
        let inpatient = item("住院费用报销");

        // 容缺受理.
        let rongque_case = |g: &mut Gen| {
            let h = g.any_hall();
            let d = g.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 16));
            let mut c = g.case_on(h, d, outpatient);
            c.rongque = Some(true);
            let due = g.cal.add_workdays(d, 5);
            c.supplement_due = Some(due);
            c.completed_at = Some(g.time_in(g.cal.add_workdays(d, 8), 9, 16));
            c.outcome = label::DONE;
            (c, due)
        };
        for _ in 0..2 {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 20));
            let mut c = self.case_on(h, d, inpatient);
            c.rongque = Some(true);
            let id = self.push_case(c);
            self.expect("rongque.no_due_date", &id, true, "容缺 without a promised date for the material");
        }
        {
            let (mut c, due) = rongque_case(self);
            c.supplement_received_at = Some(at(due, 23, 0, 0));
            let id = self.push_case(c);
            self.expect("rongque.supplement_overdue", &id, false, "material arrived on the due date");
        }
        for _ in 0..2 {
            let (mut c, due) = rongque_case(self);
            c.supplement_received_at = Some(self.time_in(due + Duration::days(1), 9, 12));
            let id = self.push_case(c);
            self.expect("rongque.supplement_overdue", &id, true, "material a day late and the case went on");
        }
        {
            let (mut c, _) = rongque_case(self);
            c.outcome = label::RETURNED;
            let id = self.push_case(c);
            self.expect("rongque.supplement_overdue", &id, false, "never arrived, and the case was returned (退办)");
        }
        {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 10, 26), inpatient);
            c.rongque = Some(true);
            c.supplement_due = Some(ymd(2026, 11, 3));
            let id = self.push_case(c);
            self.expect("rongque.supplement_overdue", &id, false, "due after T");
        }
        {
            let h = self.any_hall();
            let mut c = self.case_on(h, ymd(2026, 10, 12), inpatient);
            c.rongque = Some(true);
            c.supplement_due = Some(ymd(2026, 10, 20));
            c.supplement_received_at = Some(at(ymd(2026, 11, 2), 9, 30, 0));
            let id = self.push_case(c);
            self.expect("rongque.supplement_overdue", &id, true, "material received after T reads as missing");
        }
        {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 20));
            let mut c = self.case_on(h, d, inpatient);
            c.rongque = Some(false);
            c.completed_at = Some(self.time_in(self.cal.add_workdays(d, 3), 9, 16));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect("rongque.no_due_date", &id, false, "not 容缺");
        }

    }

    /// 一次性告知: sent back two and three times; once is fine.
    fn planted_repeat_supplements(&mut self) {
        let maternity = item("生育津贴支付");

        // 一次性告知: sent back two and three times; once is fine.
        for n in [2i64, 3, 1] {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 23));
            let mut c = self.case_on(h, d, maternity);
            c.supplement_requests = Some(n);
            c.completed_at = Some(self.time_in(self.cal.add_workdays(d, 6), 9, 16));
            c.outcome = label::DONE;
            let id = self.push_case(c);
            self.expect(
                "notice.repeat_supplement",
                &id,
                n >= 2,
                if n >= 2 { "applicant sent back more than once" } else { "sent back once" },
            );
        }
    }

    // ---- planted denials ---------------------------------------------------------------------

    /// A denied case (不予批准 or 不予受理) completed at `done`.
    fn denied_case(&mut self, h: usize, done: Ts, outcome: &'static str) -> Case {
        let it = if outcome == label::REFUSED { item("异地就医备案（异地转诊人员）") } else { item("住院费用报销") };
        let acc = if outcome == label::REFUSED {
            done - Duration::minutes(self.rng.random_range(15..60))
        } else {
            let back = self.cal.add_workdays(done.date(), -(self.rng.random_range(2..=8)));
            self.time_in(back, 9, 16)
        };
        let mut c = self.new_case(h, it, acc);
        c.completed_at = Some(done);
        c.outcome = outcome;
        c
    }

    fn denial_scenario(
        &mut self,
        h: usize,
        done: Ts,
        outcome: &'static str,
        route: Route,
        edit: impl FnOnce(&mut Gen, &mut Denial),
    ) -> (String, String) {
        let c = self.denied_case(h, done, outcome);
        let mut d = self.register(h, &c);
        edit(self, &mut d);
        let ids = (d.register_id.clone(), c.case_id.clone());
        self.w.cases.push(c);
        self.w.denials.push((d, route));
        ids
    }

    pub fn planted_denials(&mut self) {
        self.planted_denial_deadlines();
        self.planted_incomplete_registers();
        self.planted_register_mismatches();
        self.planted_complete_registers();
    }

    /// The notice and filing deadlines of denials, on the calendar's working Saturday and to the second.
    fn planted_denial_deadlines(&mut self) {
        let sep30 = ymd(2026, 9, 30);
        // 2026-09-30: the notice deadline is 10-10 (a working Saturday), filing 10-13.
        for late in [false, true] {
            let h = self.hall_ab();
            let done = self.time_in(sep30, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |g, d| {
                assert_eq!(g.cal.add_workdays(sep30, 3), ymd(2026, 10, 10));
                assert_eq!(g.cal.add_workdays(sep30, 5), ymd(2026, 10, 13));
                d.notice_served_at = Some(at(if late { ymd(2026, 10, 12) } else { ymd(2026, 10, 10) }, 10, 0, 0));
                d.filed_at = Some(at(if late { ymd(2026, 10, 14) } else { ymd(2026, 10, 13) }, 10, 0, 0));
            });
            self.expect(
                "denial.notice_late",
                &rid,
                late,
                if late { "served 10-12, due 10-10 (working Saturday)" } else { "served 10-10, a working Saturday" },
            );
            self.expect("denial.filing_late", &rid, late, if late { "filed 10-14, due 10-13" } else { "filed on 10-13" });
        }
        // Served at 23:59:59 of the notice deadline, and one second later.
        for late in [false, true] {
            let h = self.any_hall();
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 9, 25));
            let done = self.time_in(d0, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::REFUSED, Route::Main, |g, d| {
                let by = eod(g.cal.add_workdays(d0, 3));
                d.notice_served_at = Some(by + Duration::seconds(late as i64));
            });
            self.expect(
                "denial.notice_late",
                &rid,
                late,
                if late { "served one second late" } else { "served at 23:59:59 of the deadline" },
            );
        }
    }

    /// Register rows missing an approval, a reason, a legal basis or the archiving.
    fn planted_incomplete_registers(&mut self) {
        // Approval: another signer, no approver, no approval type.
        for kind in ["科室负责人", "no_approver", "no_type"] {
            let h = self.any_hall();
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 23));
            let done = self.time_in(d0, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, d| match kind {
                "no_approver" => {
                    d.approval_type = Some(label::MEETING.into());
                    d.approver = None;
                }
                "no_type" => d.approval_type = None,
                other => d.approval_type = Some(other.into()),
            });
            self.expect("denial.no_approval", &rid, true, "approved by someone other than 分管领导/办公会, or unsigned");
        }
        // No reason, no legal basis (one of each entered late into the register).
        for (k, route) in [(0, Route::Main), (0, Route::Supplement), (1, Route::Main), (1, Route::Supplement)] {
            let h = if route == Route::Supplement { self.hall_ab() } else { self.any_hall() };
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 12));
            let done = self.time_in(d0, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, route, |_, d| {
                if k == 0 {
                    d.reason = None;
                } else {
                    d.legal_basis = None;
                }
            });
            if k == 0 {
                self.expect("denial.no_reason", &rid, true, "no reason given");
            } else {
                self.expect("denial.no_legal_basis", &rid, true, "no legal basis given");
            }
        }
        // Not archived (否, blank); filed only after T; decided too recently for any of it.
        for kind in ["no", "blank", "filed_after_t"] {
            let h = self.any_hall();
            let d0 = if kind == "filed_after_t" { ymd(2026, 10, 16) } else { self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 16)) };
            let done = self.time_in(d0, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, d| match kind {
                "no" => d.archived = Some(false),
                "blank" => d.archived = None,
                _ => {
                    d.filed_at = Some(at(ymd(2026, 11, 2), 10, 0, 0));
                    d.archived = Some(false);
                }
            });
            self.expect("denial.not_archived", &rid, true, "not archived and the filing deadline has passed");
            if kind == "filed_after_t" {
                self.expect("denial.filing_late", &rid, true, "filed after T reads as not filed");
            }
        }
        {
            let h = self.any_hall();
            let done = self.time_in(ymd(2026, 10, 28), 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, d| {
                d.notice_served_at = None;
                d.filed_at = None;
                d.archived = Some(false);
            });
            self.expect("denial.notice_late", &rid, false, "notice due 11-02, after T");
            self.expect("denial.filing_late", &rid, false, "filing due 11-04, after T");
            self.expect("denial.not_archived", &rid, false, "filing deadline after T");
        }
    }

    /// Register rows and cases that do not match: no such case, a granted case, no row, a row only after T.
    fn planted_register_mismatches(&mut self) {
        // A register row whose case is not in the cases table.
        {
            let h = self.any_hall();
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 16));
            let done = self.time_in(d0, 9, 16);
            let ghost = self.denied_case(h, done, label::DENIED);
            let mut d = self.register(h, &ghost);
            d.reason = None;
            let rid = d.register_id.clone();
            self.w.denials.push((d, Route::Main));
            self.expect("denial.no_reason", &rid, true, "case not in the cases table: still checked");
            self.expect("denial.outcome_mismatch", &rid, false, "no case to compare with");
        }
        // A register row whose case was granted (办结).
        {
            let h = self.any_hall();
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 16));
            let done = self.time_in(d0, 9, 16);
            let (rid, cid) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, _| {});
            let c = self.w.cases.iter_mut().find(|c| c.case_id == cid).expect("pushed");
            c.outcome = label::DONE;
            self.expect("denial.outcome_mismatch", &rid, true, "registered as denied, case outcome 办结");
        }
        // Denied cases without register rows.
        for (day, outcome, present) in
            [(ymd(2026, 10, 12), label::DENIED, true), (ymd(2026, 10, 20), label::REFUSED, true), (ymd(2026, 10, 29), label::DENIED, false)]
        {
            let h = self.any_hall();
            let done = self.time_in(day, 9, 16);
            let c = self.denied_case(h, done, outcome);
            let id = c.case_id.clone();
            self.w.cases.push(c);
            self.expect(
                "denial.unregistered",
                &id,
                present,
                if present { "denied, never registered" } else { "filing deadline 11-05 is after T" },
            );
        }
        // Registered only after T: unregistered at T.
        {
            let h = self.hall_ab();
            let done = self.time_in(ymd(2026, 10, 14), 9, 16);
            let (_, cid) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, d| {
                d.decided_at = at(ymd(2026, 11, 2), 9, 0, 0);
                d.notice_served_at = Some(at(ymd(2026, 11, 2), 11, 0, 0));
                d.filed_at = None;
                d.archived = Some(false);
            });
            self.expect("denial.unregistered", &cid, true, "its register row is decided after T");
        }
    }

    /// Rows a later export completes, and a complete row.
    fn planted_complete_registers(&mut self) {
        // The later export completes the filing.
        {
            let h = self.hall_ab();
            let done = self.time_in(ymd(2026, 10, 12), 9, 12);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, d| {
                d.notice_served_at = Some(at(ymd(2026, 10, 13), 10, 0, 0));
                d.filed_at = Some(at(ymd(2026, 10, 16), 15, 0, 0));
                d.archived = Some(true);
            });
            self.expect("denial.filing_late", &rid, false, "unfiled in the 10-15 export, filed 10-16 in the 11-03 one");
            self.expect("denial.not_archived", &rid, false, "archived in the later export");
        }
        // A complete row.
        {
            let h = self.any_hall();
            let d0 = self.workday_in(ymd(2026, 8, 17), ymd(2026, 10, 16));
            let done = self.time_in(d0, 9, 16);
            let (rid, _) = self.denial_scenario(h, done, label::DENIED, Route::Main, |_, _| {});
            for rule in [
                "denial.no_approval",
                "denial.no_reason",
                "denial.no_legal_basis",
                "denial.notice_late",
                "denial.filing_late",
                "denial.not_archived",
                "denial.outcome_mismatch",
            ] {
                self.expect(rule, &rid, false, "a complete register row");
            }
        }
    }

    // ---- planted tickets ---------------------------------------------------------------------

    fn planted_ticket(&mut self, h: usize, issued: Ts, wait: Option<i64>, status: &'static str) -> String {
        let (_, w, s) = self.window(h);
        let it = random_item(&mut self.rng);
        let ticket_id = self.ticket_id(h, issued.date(), it.letter);
        let called = wait.map(|x| issued + Duration::seconds(x));
        let finished = (status == label::SERVED).then(|| called.expect("served") + Duration::minutes(8));
        let t = Ticket {
            ticket_id,
            hall_id: self.w.halls[h].id.clone(),
            window_id: called.map(|_| w),
            staff_id: called.map(|_| s),
            item_code: Some(it.code.to_string()),
            issued_at: issued,
            called_at: called,
            finished_at: finished,
            status,
            is_appointment: Some(false),
        };
        let id = t.key();
        self.w.tickets.push(t);
        id
    }

    pub fn planted_tickets(&mut self) {
        for (wait, status, present, what) in [
            (1800, label::SERVED, false, "waited exactly 30:00"),
            (1801, label::SERVED, true, "waited 30:01"),
            (1800, label::NO_SHOW, false, "waited exactly 30:00, did not come"),
            (2700, label::NO_SHOW, true, "waited 45 minutes, then did not come (any status counts)"),
        ] {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 30));
            let issued = self.time_in(d, 9, 15);
            let id = self.planted_ticket(h, issued, Some(wait), status);
            self.expect("queue.long_wait", &id, present, what);
        }
        for _ in 0..3 {
            let h = self.any_hall();
            let d = self.workday_in(ymd(2026, 8, 3), ymd(2026, 10, 30));
            let issued = self.time_in(d, 15, 17);
            let id = self.planted_ticket(h, issued, None, label::NEVER_CALLED);
            self.expect("queue.unserved", &id, true, "ticket never called");
        }
        // Taken 23:40 on 10-31 (evening self-service), called after T: the call reads missing.
        {
            let h = self.any_hall();
            let issued = at(ymd(2026, 10, 31), 23, 40, 0);
            let id = self.planted_ticket(h, issued, Some(40 * 60), label::SERVED);
            self.expect("queue.long_wait", &id, false, "called after T: no wait at T");
        }
        // After T: left out.
        for (wait, status, rule) in [(None, label::NEVER_CALLED, "queue.unserved"), (Some(3600), label::SERVED, "queue.long_wait")] {
            let h = self.any_hall();
            let issued = self.time_in(ymd(2026, 11, 2), 9, 15);
            let id = self.planted_ticket(h, issued, wait, status);
            self.expect(rule, &id, false, "issued after T: left out");
        }
    }

    // ---- bad rows ----------------------------------------------------------------------------

    fn bad(&mut self, file: FileId, cells: Vec<Val>, reason: &'static str) {
        self.w.bad.push(BadRow { file, row: Row::Cells(cells), reason });
    }

    /// A row of `file` that writes record `r` right but for `column`, which reads `v`.
    fn bad_cell(&mut self, file: FileId, r: Record, column: &str, v: Val, reason: &'static str) {
        let mut cells = r.cells();
        let i = r.table().spec().index_of(column).unwrap_or_else(|| panic!("{column}"));
        cells[i] = v;
        self.bad(file, cells, reason);
    }

    fn fresh_ticket(&mut self, d: NaiveDate) -> Ticket {
        let h = self.any_hall();
        let (_, w, s) = self.window(h);
        let it = random_item(&mut self.rng);
        let issued = self.time_in(d, 9, 15);
        let ticket_id = self.ticket_id(h, d, it.letter);
        Ticket {
            ticket_id,
            hall_id: self.w.halls[h].id.clone(),
            window_id: Some(w),
            staff_id: Some(s),
            item_code: Some(it.code.to_string()),
            issued_at: issued,
            called_at: Some(issued + Duration::minutes(6)),
            finished_at: Some(issued + Duration::minutes(15)),
            status: label::SERVED,
            is_appointment: Some(false),
        }
    }

    fn fresh_case(&mut self, h: usize, d: NaiveDate) -> Case {
        let acc = self.time_in(d, 9, 15);
        let mut c = self.new_case(h, item("门诊费用报销"), acc);
        c.completed_at = Some(self.time_in(self.cal.add_workdays(d, 4), 9, 16));
        c.outcome = label::DONE;
        c
    }

    fn fresh_rating(&mut self, h: usize, d: NaiveDate) -> Rating {
        let t = self.time_in(d, 9, 16);
        let wi = self.rng.random_range(0..self.w.halls[h].windows.len());
        let mut r = self.new_rating(h, Some(wi), t, label::SATISFIED);
        r.channel = Some("二维码".into());
        r
    }

    fn fresh_denial(&mut self, h: usize, d: NaiveDate) -> Denial {
        let done = self.time_in(d, 9, 15);
        let c = self.denied_case(h, done, label::DENIED);
        self.register(h, &c)
    }

    pub fn bad_rows(&mut self) {
        self.bad_ticket_rows();
        self.bad_case_rows();
        self.bad_rating_rows();
        self.bad_denial_rows();
    }

    /// Ticket rows the exports write wrong, each to be quarantined for its reason.
    fn bad_ticket_rows(&mut self) {
        let (aug, sep, oct, nov) = bad_row_days();
        // tickets
        let mut t = self.fresh_ticket(aug);
        t.called_at = Some(t.issued_at - Duration::minutes(5));
        self.bad(FileId::T1, t.cells(), "called_before_issued");
        let t = self.fresh_ticket(aug);
        self.bad_cell(FileId::T1, Record::Ticket(t), "status", Val::Raw("已完成".into()), "unknown_value");
        let mut t = self.fresh_ticket(sep);
        t.finished_at = Some(t.called_at.expect("set") - Duration::minutes(1));
        self.bad(FileId::T2, t.cells(), "finished_before_called");
        let t = self.fresh_ticket(sep);
        self.bad_cell(FileId::T2, Record::Ticket(t), "issued_at", Val::Raw("2026-09-31 10:00:00".into()), "bad_value");
        let t = self.fresh_ticket(sep);
        let mut t2 = t.clone();
        t2.called_at = t2.called_at.map(|x| x + Duration::minutes(2));
        self.bad(FileId::T2, t.cells(), "conflicting_duplicate");
        self.bad(FileId::T2, t2.cells(), "conflicting_duplicate");
        let mut t = self.fresh_ticket(oct);
        t.called_at = None;
        t.finished_at = None;
        self.bad(FileId::T3, t.cells(), "served_without_call");
        let t = self.fresh_ticket(oct);
        self.bad_cell(FileId::T3, Record::Ticket(t), "issued_at", Val::Raw("２０２６-10-21 09:15:00".into()), "bad_value");
        let t = self.fresh_ticket(oct);
        self.bad_cell(FileId::T3, Record::Ticket(t), "is_appointment", Val::Raw("是的".into()), "bad_value");
        let t = self.fresh_ticket(nov);
        self.bad_cell(FileId::T4, Record::Ticket(t), "hall_id", Val::Null, "missing_value");
        let t = self.fresh_ticket(nov);
        let line = format!(r#"{{"ticket_id": "{}", "hall_id": "{}", "issued_at": "2026-11-02T09:"#, t.ticket_id, t.hall_id);
        self.w.bad.push(BadRow { file: FileId::T4, row: Row::Line(line), reason: "unreadable_row" });
        self.w.duplicates.push(FileId::T1);

    }

    /// Case rows the exports write wrong, each to be quarantined for its reason.
    fn bad_case_rows(&mut self) {
        let (aug, sep, oct, _) = bad_row_days();
        // cases
        let h = self.hall_ab();
        let mut c = self.fresh_case(h, sep);
        c.completed_at = Some(c.accepted_at - Duration::hours(1));
        self.bad(FileId::C1, c.cells(), "completed_before_accepted");
        let c = self.fresh_case(h, sep);
        self.bad_cell(FileId::C1, Record::Case(c), "outcome", Val::Raw("已办结".into()), "unknown_value");
        let c = self.fresh_case(h, ymd(2026, 9, 22));
        self.bad_cell(FileId::C1, Record::Case(c), "promised_days", Val::Raw("１０".into()), "bad_value");
        let c = self.fresh_case(h, ymd(2026, 8, 20));
        let mut c2 = c.clone();
        c2.completed_at = c2.completed_at.map(|x| x + Duration::days(1));
        self.bad(FileId::C1, c.cells(), "conflicting_duplicate");
        self.bad(FileId::C1, c2.cells(), "conflicting_duplicate");
        let h = self.hall_ab();
        let mut c = self.fresh_case(h, oct);
        c.promised_days = Some(0);
        self.bad(FileId::C2, c.cells(), "promised_days_invalid");
        let c = self.fresh_case(h, oct);
        self.bad_cell(FileId::C2, Record::Case(c), "case_type", Val::Raw("3".into()), "unknown_value");
        let c = self.fresh_case(h, oct);
        self.bad_cell(FileId::C2, Record::Case(c), "completed_at", Val::Raw("2026-10-27 9:5".into()), "bad_value");
        let mut c = self.fresh_case(2, oct);
        c.completed_at = None;
        self.bad(FileId::C3, c.cells(), "closed_without_completion");
        let c = self.fresh_case(2, sep);
        self.bad_cell(FileId::C3, Record::Case(c), "item_code", Val::Null, "missing_value");
        let c = self.fresh_case(2, aug);
        self.bad_cell(FileId::C3, Record::Case(c), "supplement_requests", Val::Raw("两次".into()), "bad_value");
        self.w.duplicates.push(FileId::C3);

    }

    /// Rating rows the exports write wrong, each to be quarantined for its reason.
    fn bad_rating_rows(&mut self) {
        let (aug, sep, oct, _) = bad_row_days();
        // ratings
        let h = self.any_hall();
        let r = self.fresh_rating(h, aug);
        self.bad_cell(FileId::R1, Record::Rating(r), "level", Val::Raw("较差".into()), "unknown_value");
        self.w.duplicates.push(FileId::R1);
        let r = self.fresh_rating(1, sep);
        self.bad_cell(FileId::R2, Record::Rating(r), "level", Val::Raw("7".into()), "unknown_value");
        let r = self.fresh_rating(1, sep);
        self.bad_cell(FileId::R2, Record::Rating(r), "rated_at", Val::Null, "missing_value");
        let h = self.any_hall();
        let mut r = self.fresh_rating(h, oct);
        r.level = label::UNSATISFIED;
        r.verified_at = Some(r.rated_at + Duration::hours(2));
        self.bad_cell(FileId::R3, Record::Rating(r), "verification_result", Val::Raw("核实中".into()), "unknown_value");
        let r = self.fresh_rating(h, oct);
        self.bad_cell(FileId::R3, Record::Rating(r), "verified_at", Val::Raw("2026-10-2109:15:00".into()), "bad_value");
        let r = self.fresh_rating(h, sep);
        let mut r2 = r.clone();
        r2.level = label::VERY_SATISFIED;
        self.bad(FileId::R3, r.cells(), "conflicting_duplicate");
        self.bad(FileId::R3, r2.cells(), "conflicting_duplicate");

    }

    /// Register rows the exports write wrong, each to be quarantined for its reason.
    fn bad_denial_rows(&mut self) {
        let (aug, _, oct, _) = bad_row_days();
        // denials
        let h = self.hall_ab();
        let d = self.fresh_denial(h, aug);
        self.bad_cell(FileId::D1, Record::Denial(d), "denial_type", Val::Raw("不予办理".into()), "unknown_value");
        let d = self.fresh_denial(h, aug);
        let mut d2 = d.clone();
        d2.approver = Some(names::leader(&mut self.rng));
        self.bad(FileId::D1, d.cells(), "conflicting_duplicate");
        self.bad(FileId::D1, d2.cells(), "conflicting_duplicate");
        self.w.duplicates.push(FileId::D1);
        let d = self.fresh_denial(h, oct);
        self.bad_cell(FileId::D2, Record::Denial(d), "decided_at", Val::Null, "missing_value");
        let d = self.fresh_denial(h, oct);
        self.bad_cell(FileId::D2, Record::Denial(d), "case_id", Val::Null, "missing_value");
        let d = self.fresh_denial(2, oct);
        self.bad_cell(FileId::D3, Record::Denial(d), "archived", Val::Raw("已归档".into()), "bad_value");
        let d = self.fresh_denial(h, ymd(2026, 10, 20));
        self.bad_cell(FileId::D4, Record::Denial(d), "decided_at", Val::Raw("２０２６-10-20 10:00:00".into()), "bad_value");
    }
}

impl Gen<'_> {
    /// response.late follows from the planted red findings, since the sample holds no response:
    /// at T (1 November) a red ranking finding of August or September is past its deadline (5
    /// working days after its month), one of October is not yet (due in November).
    fn late_responses(&mut self) {
        let answerable = ["ranking.most_unsatisfied", "ranking.consecutive_bottom"];
        let derived: Vec<Expect> = self
            .w
            .expect
            .iter()
            .filter(|e| e.present && answerable.contains(&e.rule) && e.month.is_some())
            .map(|e| {
                let october = e.month.as_deref() == Some("2026-10");
                let what = if october { "an October red finding: its response is not due before November" } else { "a red finding of a past month no hall answered" };
                Expect { rule: "response.late", entity_id: format!("{}:{}", e.rule, e.entity_id), month: e.month.clone(), present: !october, what }
            })
            .collect();
        self.w.expect.extend(derived);
    }
}

impl Gen<'_> {
    /// assessment.bottom (月考核): the second window of the second hall and the first of the third
    /// made last in their halls in September and October — 40 tickets a month there that waited
    /// 31 minutes (queue.long_wait, −1 each by default), far below any other window — so each has
    /// October's finding. Drawn from no random number (ids of their own, 'Z') and written in a file
    /// of their own, last, so the rest of the sample stays as it was.
    fn assessment_bottom(&mut self) {
        for (h, wi) in [(1, 1), (2, 0)] {
            let hall = self.w.halls[h].id.clone();
            let win = self.w.halls[h].windows[wi].clone();
            for month in [9, 10] {
                for i in 0..40u32 {
                    let d = ymd(2026, month, if month == 9 { 14 } else { 12 } + i / 8);
                    let issued = at(d, 9, (i % 8) * 5, 0);
                    let called = issued + Duration::minutes(31);
                    self.w.assessment_tickets.push(Ticket {
                        ticket_id: format!("{}Z{:03}", d.format("%Y%m%d"), 900 + i),
                        hall_id: hall.clone(),
                        window_id: Some(win.id.clone()),
                        staff_id: win.staff.first().cloned(),
                        item_code: None,
                        issued_at: issued,
                        called_at: Some(called),
                        finished_at: Some(called + Duration::minutes(8)),
                        status: label::SERVED,
                        is_appointment: Some(false),
                    });
                }
            }
            self.expect_window("assessment.bottom", h, wi, 2, true, "last in its hall's assessment in September and October");
        }
    }
}

/// Everything the sample set holds, before it is split into files.
pub fn build(rng: ChaCha8Rng, cal: &Calendar) -> (World, ChaCha8Rng) {
    let mut g = Gen::new(rng, cal);
    g.halls();
    g.background();
    g.plan_rankings();
    g.planted_tickets();
    g.planted_cases();
    g.planted_denials();
    g.planted_ratings();
    g.ordinary_ratings();
    g.bad_rows();
    g.late_responses();
    g.assessment_bottom();
    (g.w, g.rng)
}

/// The days the bad rows fall on: one in each month of the exports (August to November).
fn bad_row_days() -> (NaiveDate, NaiveDate, NaiveDate, NaiveDate) {
    (ymd(2026, 8, 20), ymd(2026, 9, 16), ymd(2026, 10, 21), ymd(2026, 11, 2))
}
