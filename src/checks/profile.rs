//! The rule profile: the numbers a jurisdiction sets (limits in minutes, hours, days, working days,
//! months) and the rules it turns off. The shipped `queries/profile.toml` holds the documented
//! defaults; a user's profile overrides any of them. Every problem in a profile is reported at once.
//!
//! It also holds the monthly assessment's (月考核) scale: `assessment_base`, the points each rule's
//! findings add (`[assessment.points]`, over defaults by severity and family) and the grades
//! (`[assessment.grades]`), rendered into the assessment's SQL as a points table and a CASE.

use std::collections::BTreeMap;
use std::path::Path;

use super::catalog::{Catalog, RuleMeta, Severity};

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub params: BTreeMap<String, i64>,
    pub disabled: Vec<String>,
    /// Points a finding of each rule of the catalog adds to a monthly score: the default of
    /// [`default_points`], or the profile's `[assessment.points]` entry.
    pub points: BTreeMap<String, f64>,
    /// `[assessment.grades]`: each grade with its minimum score, highest first; the last also
    /// takes every score below its minimum.
    pub grades: Vec<(String, f64)>,
    /// Where it came from (for the run record).
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
#[error("rule profile {source_name}:\n  {}", problems.join("\n  "))]
pub struct ProfileError {
    pub source_name: String,
    pub problems: Vec<String>,
}

impl Profile {
    /// The defaults shipped with the catalog.
    pub fn defaults(catalog: &Catalog) -> Profile {
        Profile::parse(&catalog.default_profile, "defaults (queries/profile.toml)", None, catalog).expect("the shipped profile is valid")
    }

    /// The defaults with a user's profile file laid over them.
    pub fn load(path: &Path, catalog: &Catalog) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError { source_name: path.display().to_string(), problems: vec![e.to_string()] })?;
        let base = Profile::defaults(catalog);
        Profile::parse(&text, &path.display().to_string(), Some(&base), catalog)
    }

    fn parse(text: &str, name: &str, base: Option<&Profile>, catalog: &Catalog) -> Result<Profile, ProfileError> {
        let err = |problems: Vec<String>| ProfileError { source_name: name.to_string(), problems };
        let doc: toml::Table = toml::from_str(text).map_err(|e| err(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let mut params = base.map(|b| b.params.clone()).unwrap_or_default();
        let mut disabled = base.map(|b| b.disabled.clone()).unwrap_or_default();
        let mut points = match base {
            Some(b) => b.points.clone(),
            None => catalog.rules.iter().map(|r| (r.meta.id.clone(), default_points(&r.meta))).collect(),
        };
        let mut grades = base.map(|b| b.grades.clone()).unwrap_or_default();
        for (k, v) in &doc {
            if k == "assessment" {
                parse_assessment(v, catalog, &mut points, &mut grades, &mut problems);
                continue;
            }
            if k == "disabled" {
                match v.as_array() {
                    Some(a) => {
                        disabled.clear();
                        for x in a {
                            match x.as_str() {
                                Some(id) if catalog.rule(id).is_some() => disabled.push(id.to_string()),
                                Some(id) => problems.push(format!("disabled: `{id}` is not a rule id (see `windowwatch rules`)")),
                                None => problems.push(format!("disabled: `{x}` is not a rule id string")),
                            }
                        }
                    }
                    None => problems.push("disabled: expected a list of rule ids".into()),
                }
                continue;
            }
            if base.is_some() && !params.contains_key(k) {
                let known: Vec<&str> = params.keys().map(|s| s.as_str()).collect();
                problems.push(format!("`{k}` is not a profile parameter (known: {})", known.join(", ")));
                continue;
            }
            match v.as_integer() {
                Some(n) if n >= 1 => {
                    params.insert(k.clone(), n);
                }
                _ => problems.push(format!("`{k}` = {v}: expected a whole number of at least 1")),
            }
        }
        if grades.is_empty() {
            problems.push("[assessment.grades]: expected at least one grade (name = minimum score)".into());
        }
        if problems.is_empty() {
            Ok(Profile { params, disabled, points, grades, source: name.to_string() })
        } else {
            Err(err(problems))
        }
    }

    pub fn get(&self, name: &str) -> i64 {
        self.params[name]
    }

    /// The points a finding of `rule` adds to a score (0 for a rule the catalog lacks).
    pub fn points_of(&self, rule: &str) -> f64 {
        self.points.get(rule).copied().unwrap_or(0.0)
    }

    /// The grade of a score: the first whose minimum it reaches, else the lowest.
    pub fn grade(&self, score: f64) -> &str {
        self.grades.iter().find(|(_, min)| score >= *min).or(self.grades.last()).map_or("", |(g, _)| g.as_str())
    }

    /// The points table as SQL (`SELECT rule, points` over a VALUES list), for the assessment's SQL.
    pub fn points_sql(&self) -> String {
        let rows: Vec<String> = self.points.iter().map(|(r, p)| format!("({}, CAST({} AS DOUBLE))", sql_text(r), sql_number(*p))).collect();
        format!("SELECT column1 AS rule, column2 AS points FROM (VALUES {}) AS p", rows.join(", "))
    }

    /// The grade of the column `score` as a SQL CASE.
    pub fn grade_sql(&self) -> String {
        let mut arms: Vec<String> = Vec::new();
        let (last, higher) = match self.grades.split_last() {
            Some(x) => x,
            None => return "CAST(NULL AS VARCHAR)".into(),
        };
        for (g, min) in higher {
            arms.push(format!("WHEN score >= {} THEN {}", sql_number(*min), sql_text(g)));
        }
        match arms.is_empty() {
            true => sql_text(&last.0),
            false => format!("CASE {} ELSE {} END", arms.join(" "), sql_text(&last.0)),
        }
    }
}

/// The default points of a rule's findings (supervision.md "Monthly assessment": a documented
/// starting point, not the seeds' words): red −2, yellow −1, info 0; 文明窗口 +5 and the most
/// unsatisfied window −5 (第八条); the roster., staff. and assessment. families 0.
pub fn default_points(rule: &RuleMeta) -> f64 {
    match rule.id.as_str() {
        "ranking.model_window" => return 5.0,
        "ranking.most_unsatisfied" => return -5.0,
        _ => {}
    }
    if matches!(rule.id.split('.').next(), Some("roster" | "staff" | "assessment")) {
        return 0.0;
    }
    match rule.severity {
        Severity::Red => -2.0,
        Severity::Yellow => -1.0,
        Severity::Info => 0.0,
    }
}

/// `[assessment]`: `points` (rule id → number) laid over `points`; `grades` (name → minimum)
/// replacing `grades`. Every problem goes to `problems`.
fn parse_assessment(v: &toml::Value, catalog: &Catalog, points: &mut BTreeMap<String, f64>, grades: &mut Vec<(String, f64)>, problems: &mut Vec<String>) {
    let Some(t) = v.as_table() else {
        problems.push("assessment: expected a table ([assessment.points], [assessment.grades])".into());
        return;
    };
    for (k, v) in t {
        let Some(entries) = v.as_table() else {
            problems.push(format!("assessment.{k}: expected a table"));
            continue;
        };
        match k.as_str() {
            "points" => {
                for (id, p) in entries {
                    match (catalog.rule(id).is_some(), number(p)) {
                        (false, _) => problems.push(format!("[assessment.points] `{id}` is not a rule id (see `windowwatch rules`)")),
                        (true, None) => problems.push(format!("[assessment.points] `{id}` = {p}: expected a number")),
                        (true, Some(n)) => {
                            points.insert(id.clone(), n);
                        }
                    }
                }
            }
            "grades" => {
                let mut list = Vec::new();
                for (g, min) in entries {
                    match number(min) {
                        Some(n) => list.push((g.clone(), n)),
                        None => problems.push(format!("[assessment.grades] `{g}` = {min}: expected a number (the grade's minimum score)")),
                    }
                }
                list.sort_by(|a, b| b.1.total_cmp(&a.1));
                *grades = list;
            }
            _ => problems.push(format!("assessment.{k}: not a part of the assessment (known: points, grades)")),
        }
    }
}

/// A TOML integer or finite float.
fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(n) => Some(*n as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A number as SQL (`-2`, `2.5`).
fn sql_number(n: f64) -> String {
    format!("{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Catalog::builtin();
        let p = Profile::defaults(&c);
        assert_eq!(p.get("wait_explain_minutes"), 30);
        assert_eq!(p.get("verify_within_hours"), 24);
        assert_eq!(p.get("rectify_within_days"), 15);
        assert_eq!(p.get("notice_within_workdays"), 3);
        assert_eq!(p.get("filing_within_workdays"), 5);
        assert_eq!(p.get("consecutive_months"), 2);
        assert_eq!(p.get("complaint_reply_workdays"), 5);
        assert_eq!(p.get("inspection_repeat_count"), 5);
        assert_eq!(p.get("late_early_per_year"), 20);
        assert_eq!(p.get("personal_leave_per_year"), 9);
        assert_eq!(p.get("sick_leave_per_year"), 15);
        assert!(p.disabled.is_empty());
    }

    #[test]
    fn the_assessment_defaults_are_the_documented_ones() {
        let c = Catalog::builtin();
        let p = Profile::defaults(&c);
        assert_eq!(p.get("assessment_base"), 100);
        assert_eq!(p.points.len(), c.rules.len(), "every rule has its points");
        for (rule, points) in [("time_limit.overdue_open", -2.0), ("queue.long_wait", -1.0), ("response.late", -1.0), ("ranking.model_window", 5.0), ("ranking.most_unsatisfied", -5.0), ("ranking.consecutive_bottom", -2.0), ("assessment.bottom", 0.0)] {
            assert_eq!(p.points_of(rule), points, "{rule}");
        }
        for (score, grade) in [(100.0, "优秀"), (95.0, "优秀"), (94.5, "良好"), (85.0, "良好"), (70.0, "合格"), (69.0, "不合格"), (-10.0, "不合格")] {
            assert_eq!(p.grade(score), grade, "{score}");
        }
        assert_eq!(p.grade_sql(), "CASE WHEN score >= 95 THEN '优秀' WHEN score >= 85 THEN '良好' WHEN score >= 70 THEN '合格' ELSE '不合格' END");
        assert!(p.points_sql().contains("('ranking.model_window', CAST(5 AS DOUBLE))"), "{}", p.points_sql());
    }

    /// The built-in catalog's profile loaded from a file holding `text`.
    fn load(text: &str) -> Result<Profile, ProfileError> {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, text).unwrap();
        Profile::load(&f, &Catalog::builtin())
    }

    #[test]
    fn a_profile_entry_replaces_a_rules_points_and_its_grades_replace_the_table() {
        let p = load("[assessment.points]\n\"queue.long_wait\" = -0.5\n[assessment.grades]\n\"达标\" = 80\n\"不达标\" = 0\n").unwrap();
        assert_eq!(p.points_of("queue.long_wait"), -0.5);
        assert_eq!(p.points_of("queue.unserved"), -2.0);
        assert_eq!((p.grade(80.0), p.grade(79.5)), ("达标", "不达标"));
        let e = load("[assessment]\nweights = 1\n[assessment.points]\n\"x.y\" = 1\n\"queue.unserved\" = true\n").unwrap_err();
        assert_eq!(e.problems.len(), 3, "{e}");
    }

    #[test]
    fn a_users_profile_overrides_and_every_mistake_is_listed() {
        let p = load("filing_within_workdays = 7\n").unwrap();
        assert_eq!(p.get("filing_within_workdays"), 7);
        assert_eq!(p.get("notice_within_workdays"), 3);
        let e = load("filing_within_workdays = 0\nwait_minutes = 20\ndisabled = [\"queue.nope\"]\n").unwrap_err();
        assert_eq!(e.problems.len(), 3, "{e}");
    }
}
