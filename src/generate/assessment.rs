//! The oracle's monthly assessment (月考核, supervision.md "Monthly assessment"): the score, grade
//! and rank of every window and staff member of the roster the generator writes, in every month
//! their hall has a ticket, case or rating by T, computed from the oracle's own findings with the
//! default points and grades written out here (not read from the profile), and `assessment.bottom`
//! from the window scores. The CLI tests hold the SQL views and the rule to these.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Records, Ts, month_of};
use super::oracle::Finding;

/// The reference tables the generator writes: windows (hall, window) and staff (staff id, hall).
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub windows: Vec<(String, String)>,
    pub staff: Vec<(String, String)>,
}

/// One scored window (`id` its window id) or staff member (`id` the staff id) in one month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub month: String,
    pub hall_id: String,
    pub id: String,
    pub points: f64,
    pub score: f64,
    pub grade: &'static str,
    pub rank: usize,
}

/// `assessment_base`'s default.
pub const BASE: f64 = 100.0;

/// The default points of a finding: 文明窗口 +5, most unsatisfied −5, the roster., staff. and
/// assessment. families 0, else red −2, yellow −1, info 0.
pub fn points(f: &Finding) -> f64 {
    match f.rule.as_str() {
        "ranking.model_window" => 5.0,
        "ranking.most_unsatisfied" => -5.0,
        r if ["roster.", "staff.", "assessment."].iter().any(|p| r.starts_with(p)) => 0.0,
        _ => match f.severity.as_str() {
            "red" => -2.0,
            "yellow" => -1.0,
            _ => 0.0,
        },
    }
}

/// The default grades: 优秀 ≥ 95, 良好 ≥ 85, 合格 ≥ 70, else 不合格.
pub fn grade(score: f64) -> &'static str {
    match score {
        s if s >= 95.0 => "优秀",
        s if s >= 85.0 => "良好",
        s if s >= 70.0 => "合格",
        _ => "不合格",
    }
}

/// (hall, month) with at least one ticket, case or rating created by `t`.
pub fn active_months(r: &Records, t: Ts) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut add = |hall: &str, at: Ts| {
        if at <= t {
            out.insert((hall.to_string(), month_of(at)));
        }
    };
    r.tickets.iter().for_each(|x| add(&x.hall_id, x.issued_at));
    r.cases.iter().for_each(|x| add(&x.hall_id, x.accepted_at));
    r.ratings.iter().for_each(|x| add(&x.hall_id, x.rated_at));
    out
}

/// Scores of every window of the roster (findings carrying its hall and window).
pub fn window_scores(roster: &Roster, active: &BTreeSet<(String, String)>, findings: &[Finding]) -> Vec<Score> {
    let mut added: BTreeMap<(String, String), f64> = BTreeMap::new();
    for f in findings {
        if let Some(w) = &f.window_id {
            *added.entry((format!("{}/{}", f.hall_id, w), f.month.clone())).or_default() += points(f);
        }
    }
    let who: Vec<(String, String, String)> = roster.windows.iter().map(|(h, w)| (h.clone(), w.clone(), format!("{h}/{w}"))).collect();
    scores(&who, active, &added)
}

/// Scores of every staff member of the roster (findings carrying their staff id).
pub fn staff_scores(roster: &Roster, active: &BTreeSet<(String, String)>, findings: &[Finding]) -> Vec<Score> {
    let mut added: BTreeMap<(String, String), f64> = BTreeMap::new();
    for f in findings {
        if let Some(s) = &f.staff_id {
            *added.entry((s.clone(), f.month.clone())).or_default() += points(f);
        }
    }
    let who: Vec<(String, String, String)> = roster.staff.iter().map(|(s, h)| (h.clone(), s.clone(), s.clone())).collect();
    scores(&who, active, &added)
}

/// `who` = (hall, id, key of `added`), scored in every active month of their hall and ranked.
fn scores(who: &[(String, String, String)], active: &BTreeSet<(String, String)>, added: &BTreeMap<(String, String), f64>) -> Vec<Score> {
    let mut out = Vec::new();
    for (hall, id, key) in who {
        for (_, month) in active.iter().filter(|(h, _)| h == hall) {
            let p = added.get(&(key.clone(), month.clone())).copied().unwrap_or(0.0);
            out.push(Score { month: month.clone(), hall_id: hall.clone(), id: id.clone(), points: p, score: BASE + p, grade: grade(BASE + p), rank: 0 });
        }
    }
    let ranks: Vec<usize> = out.iter().map(|s| 1 + out.iter().filter(|o| o.hall_id == s.hall_id && o.month == s.month && o.score > s.score).count()).collect();
    for (s, r) in out.iter_mut().zip(ranks) {
        s.rank = r;
    }
    out
}

/// `assessment.bottom`: (hall, window, month) of a window last in its hall (ties included, the
/// hall with ≥ 2 scored windows) in `month` and the `consecutive` − 1 months before it, all
/// ended (`ended`).
pub fn bottom(scores: &[Score], consecutive: u32, ended: impl Fn(&str) -> bool, previous: impl Fn(&str) -> String) -> Vec<(String, String, String)> {
    let mut last: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for s in scores {
        let e = last.entry((s.hall_id.as_str(), s.month.as_str())).or_default();
        e.0 = e.0.max(s.rank);
        e.1 += 1;
    }
    let at_bottom: BTreeSet<(&str, &str, &str)> = scores
        .iter()
        .filter(|s| ended(&s.month) && last.get(&(s.hall_id.as_str(), s.month.as_str())).is_some_and(|(l, n)| *n >= 2 && s.rank == *l))
        .map(|s| (s.hall_id.as_str(), s.id.as_str(), s.month.as_str()))
        .collect();
    let mut out = Vec::new();
    for (h, w, m) in &at_bottom {
        let mut month = m.to_string();
        let mut run = true;
        for _ in 1..consecutive {
            month = previous(&month);
            run &= at_bottom.contains(&(*h, *w, month.as_str()));
        }
        if run {
            out.push((h.to_string(), w.to_string(), m.to_string()));
        }
    }
    out
}
