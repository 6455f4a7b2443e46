//! The rule catalog: `queries/` as shipped in the binary, or a directory a jurisdiction points to.
//!
//! One SQL file per rule (`queries/rules/<rule id>.sql`) returning the failing rows, its metadata
//! beside it (`<rule id>.toml`: severity, seed clause, parameters), the shared as-of views under
//! `queries/views/` and the per-run metrics under `queries/metrics/`. SQL is rendered with
//! Handlebars (`{{as_of}}`, `{{wait_explain_minutes}}`, …) in strict mode: a misspelt parameter is
//! an error naming the file, never an empty string.

use std::collections::BTreeMap;
use std::path::Path;

use handlebars::Handlebars;
use include_dir::{Dir, include_dir};

use super::CheckError;

static QUERIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/queries");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Red,
    Yellow,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Red => "red",
            Severity::Yellow => "yellow",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub severity: Severity,
    pub entity: String,
    /// The instant the finding's month is taken from (documentation).
    pub month: String,
    /// The clause of the seeds the rule enforces.
    pub seed: String,
    /// The clause's words.
    pub seed_text: String,
    /// Profile parameters the rule uses.
    pub params: Vec<String>,
    /// The rule reads this run's findings of the other rules (`run_findings`), so it runs after
    /// them; its own findings are never excused.
    #[serde(default)]
    pub reads_findings: bool,
    /// For a rule over findings: runs after those of lower stages and reads their findings too
    /// (assessment.bottom, stage 2, scores response.late's findings, stage 1). Default 1.
    #[serde(default)]
    pub stage: Option<u8>,
}

impl RuleMeta {
    /// When the rule runs: 0 over the warehouse, then the rules over findings by stage.
    pub fn run_stage(&self) -> u8 {
        match self.reads_findings {
            false => 0,
            true => self.stage.unwrap_or(1).max(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    pub sql: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub sql: String,
    pub path: String,
}

#[derive(Debug)]
pub struct Catalog {
    pub views: Vec<View>,
    pub rules: Vec<Rule>,
    pub metrics: Vec<View>,
    /// The reports' queries (`queries/reports/`).
    pub reports: Vec<View>,
    /// The shipped rule profile (`queries/profile.toml`).
    pub default_profile: String,
    pub origin: String,
    /// SQL that views and rules share (`queries/partials/`, `{{> name param="…"}}`).
    partials: Vec<View>,
    hb: Handlebars<'static>,
}

/// `10_cases_at.sql` → `cases_at`.
fn view_name(file: &str) -> String {
    let stem = file.trim_end_matches(".sql");
    match stem.split_once('_') {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
        _ => stem.to_string(),
    }
}

fn handlebars() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb
}

/// The metadata beside rule file `path` (`rules/<file>`): present, well-formed, its id the file's.
fn rule_meta(files: &BTreeMap<String, String>, path: &str, file: &str) -> Result<RuleMeta, String> {
    let meta_path = path.replace(".sql", ".toml");
    let meta_text = files.get(&meta_path).ok_or_else(|| format!("{path}: no metadata file {meta_path} beside it"))?;
    let meta: RuleMeta = toml::from_str(meta_text).map_err(|e| format!("{meta_path}: {e}"))?;
    let expected = file.trim_end_matches(".sql");
    if meta.id != expected {
        return Err(format!("{meta_path}: id `{}` does not match the file name `{expected}`", meta.id));
    }
    Ok(meta)
}

impl Catalog {
    /// The queries compiled into the binary.
    pub fn builtin() -> Catalog {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        fn walk(d: &Dir<'_>, out: &mut BTreeMap<String, String>) {
            for f in d.files() {
                if let Some(t) = f.contents_utf8() {
                    out.insert(f.path().to_string_lossy().into_owned(), t.to_string());
                }
            }
            for sub in d.dirs() {
                walk(sub, out);
            }
        }
        walk(&QUERIES, &mut files);
        Catalog::from_files(files, "built-in queries/".into()).expect("the shipped queries are valid")
    }

    /// A queries directory on disk (same layout as `queries/`).
    pub fn from_dir(dir: &Path) -> Result<Catalog, CheckError> {
        let mut files = BTreeMap::new();
        for sub in ["views", "rules", "metrics", "reports", "partials"] {
            let d = dir.join(sub);
            if (sub == "reports" || sub == "partials") && !d.exists() {
                let builtin = Catalog::builtin();
                for r in if sub == "reports" { builtin.reports } else { builtin.partials } {
                    files.insert(r.path.clone(), r.sql.clone());
                }
                continue;
            }
            let rd = std::fs::read_dir(&d).map_err(|e| CheckError::Catalog(format!("{}: {e}", d.display())))?;
            for e in rd {
                let p = e.map_err(|e| CheckError::Catalog(format!("{}: {e}", d.display())))?.path();
                let text = std::fs::read_to_string(&p).map_err(|e| CheckError::Catalog(format!("{}: {e}", p.display())))?;
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                files.insert(format!("{sub}/{name}"), text);
            }
        }
        let prof = dir.join("profile.toml");
        if let Ok(t) = std::fs::read_to_string(&prof) {
            files.insert("profile.toml".into(), t);
        } else {
            files.insert("profile.toml".into(), Catalog::builtin().default_profile);
        }
        Catalog::from_files(files, dir.display().to_string())
    }

    /// Reads the catalog's files; every bad rule file is listed at once, not only the first.
    fn from_files(files: BTreeMap<String, String>, origin: String) -> Result<Catalog, CheckError> {
        let mut views = Vec::new();
        let mut metrics = Vec::new();
        let mut reports = Vec::new();
        let mut rules = Vec::new();
        let mut partials = Vec::new();
        let mut problems = Vec::new();
        for (path, text) in &files {
            let Some((dir, file)) = path.split_once('/') else { continue };
            if !file.ends_with(".sql") {
                continue;
            }
            match dir {
                "views" => views.push(View { name: view_name(file), sql: text.clone(), path: path.clone() }),
                "metrics" => metrics.push(View { name: view_name(file), sql: text.clone(), path: path.clone() }),
                "reports" => reports.push(View { name: view_name(file), sql: text.clone(), path: path.clone() }),
                "partials" => partials.push(View { name: view_name(file), sql: text.clone(), path: path.clone() }),
                "rules" => match rule_meta(&files, path, file) {
                    Ok(meta) => rules.push(Rule { meta, sql: text.clone(), path: path.clone() }),
                    Err(p) => problems.push(p),
                },
                _ => {}
            }
        }
        let mut hb = handlebars();
        for p in &partials {
            if let Err(e) = hb.register_partial(&p.name, &p.sql) {
                problems.push(format!("{}: {e}", p.path));
            }
        }
        match problems.len() {
            0 => {}
            1 => return Err(CheckError::Catalog(problems.remove(0))),
            n => return Err(CheckError::Catalog(format!("{n} bad rule files:\n  {}", problems.join("\n  ")))),
        }
        views.sort_by(|a, b| a.path.cmp(&b.path));
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        let default_profile = files.get("profile.toml").cloned().unwrap_or_default();
        Ok(Catalog { views, rules, metrics, reports, default_profile, origin, partials, hb })
    }

    /// The rules as a table (`rule_catalog`): id, titles, severity, entity, month, seed clause,
    /// parameters (with their values when a profile is given) and file.
    pub fn rules_batch(&self, profile: Option<&super::profile::Profile>) -> datafusion::arrow::array::RecordBatch {
        use datafusion::arrow::array::StringArray;
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use std::sync::Arc;
        let names = ["rule", "title", "title_en", "severity", "entity", "month", "seed", "seed_text", "params", "file"];
        let schema = Arc::new(Schema::new(names.iter().map(|n| Field::new(*n, DataType::Utf8, false)).collect::<Vec<_>>()));
        let col = |f: &dyn Fn(&Rule) -> String| -> Arc<dyn datafusion::arrow::array::Array> { Arc::new(StringArray::from_iter_values(self.rules.iter().map(f))) };
        datafusion::arrow::array::RecordBatch::try_new(
            schema,
            vec![
                col(&|r| r.meta.id.clone()),
                col(&|r| r.meta.title.clone()),
                col(&|r| r.meta.title_en.clone()),
                col(&|r| r.meta.severity.as_str().to_string()),
                col(&|r| r.meta.entity.clone()),
                col(&|r| r.meta.month.clone()),
                col(&|r| r.meta.seed.clone()),
                col(&|r| r.meta.seed_text.clone()),
                col(&|r| {
                    r.meta.params.iter().map(|p| match profile {
                        Some(pr) => format!("{p}={}", pr.get(p)),
                        None => p.clone(),
                    }).collect::<Vec<_>>().join(" ")
                }),
                col(&|r| format!("queries/{}", r.path)),
            ],
        )
        .expect("rule catalog batch")
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    /// Renders one SQL file with the run's variables.
    pub fn render(&self, path: &str, sql: &str, vars: &serde_json::Value) -> Result<String, CheckError> {
        self.hb
            .render_template(sql, vars)
            .map_err(|e| CheckError::Catalog(format!("{path}: {}", e.reason())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule id of rules.md and supervision.md, in the order the specs list them.
    pub const SPEC_RULES: [&str; 34] = [
        "time_limit.overdue_completed",
        "time_limit.overdue_open",
        "time_limit.due_soon",
        "time_limit.invalid_extension",
        "time_limit.overdue_not_notified",
        "rongque.no_due_date",
        "rongque.supplement_overdue",
        "notice.repeat_supplement",
        "denial.unregistered",
        "denial.outcome_mismatch",
        "denial.no_approval",
        "denial.no_reason",
        "denial.no_legal_basis",
        "denial.notice_late",
        "denial.filing_late",
        "denial.not_archived",
        "rating.verification_late",
        "rating.rectification_late",
        "rating.feedback_missing",
        "ranking.model_window",
        "ranking.most_unsatisfied",
        "ranking.consecutive_bottom",
        "queue.long_wait",
        "queue.unserved",
        "roster.no_backup",
        "roster.unknown_staff",
        "inspection.rectification_late",
        "complaint.reply_late",
        "complaint.result_not_notified",
        "staff.inspection_repeat",
        "staff.complaint_substantiated",
        "staff.attendance",
        "response.late",
        "assessment.bottom",
    ];

    #[test]
    fn one_partial_serves_the_windows_and_the_staff_assessment() {
        let c = Catalog::builtin();
        let vars = serde_json::json!({"assessment_points": "SELECT 'r' AS rule, 1.0 AS points", "assessment_findings": "latest_findings", "assessment_base": "100", "assessment_grade": "'A'"});
        let render = |name: &str| {
            let v = c.views.iter().find(|v| v.name == name).unwrap();
            c.render(&v.path, &v.sql, &vars).unwrap()
        };
        let windows = render("assessment_windows");
        assert!(windows.contains("SELECT f.hall_id, f.window_id AS unit_id") && windows.contains("ON a.hall_id = s.hall_id AND a.unit_id") && windows.contains("AS hall_windows"), "{windows}");
        let staff = render("assessment_staff");
        assert!(staff.contains("SELECT f.staff_id AS unit_id") && staff.contains("ON a.unit_id = s.unit_id") && staff.contains("AS staff_name") && staff.contains("AS hall_staff"), "{staff}");
    }

    #[test]
    fn every_spec_rule_has_exactly_one_sql_file_with_metadata() {
        let c = Catalog::builtin();
        let mut ids: Vec<&str> = c.rules.iter().map(|r| r.meta.id.as_str()).collect();
        ids.sort();
        let mut spec: Vec<&str> = SPEC_RULES.to_vec();
        spec.sort();
        assert_eq!(ids, spec);
        for r in &c.rules {
            assert!(!r.meta.seed.is_empty() && !r.meta.seed_text.is_empty(), "{}", r.meta.id);
            assert!(["case", "denial", "rating", "ticket", "window", "inspection", "complaint", "staff", "finding"].contains(&r.meta.entity.as_str()), "{}", r.meta.id);
        }
        let views: Vec<&str> = c.views.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(&views[..4], &["tickets_at", "cases_at", "ratings_at", "denials_at"]);
    }

    #[test]
    fn strict_templates_name_the_file_of_a_misspelt_parameter() {
        let c = Catalog::builtin();
        let e = c.render("rules/x.sql", "SELECT {{no_such_param}}", &serde_json::json!({})).unwrap_err().to_string();
        assert!(e.contains("rules/x.sql"), "{e}");
    }

    #[test]
    fn every_bad_rule_file_is_listed_at_once() {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let meta = |id: &str| format!("id = \"{id}\"\ntitle = \"t\"\ntitle_en = \"t\"\nseverity = \"red\"\nentity = \"case\"\nmonth = \"m\"\nseed = \"s\"\nseed_text = \"s\"\nparams = []\n");
        for id in ["a.good", "b.no_meta", "c.bad_toml", "d.wrong_id"] {
            files.insert(format!("rules/{id}.sql"), "SELECT 1".into());
        }
        files.insert("rules/a.good.toml".into(), meta("a.good"));
        files.insert("rules/c.bad_toml.toml".into(), "id = ".into());
        files.insert("rules/d.wrong_id.toml".into(), meta("d.other"));
        let e = Catalog::from_files(files.clone(), "test".into()).unwrap_err().to_string();
        assert!(e.starts_with("queries: 3 bad rule files:\n  rules/b.no_meta.sql: no metadata file rules/b.no_meta.toml beside it\n  rules/c.bad_toml.toml: "), "{e}");
        assert!(e.contains("\n  rules/d.wrong_id.toml: id `d.other` does not match the file name `d.wrong_id`"), "{e}");
        assert!(!e.contains("a.good"), "{e}");
        files.retain(|k, _| !k.starts_with("rules/b") && !k.starts_with("rules/c"));
        let e = Catalog::from_files(files, "test".into()).unwrap_err().to_string();
        assert_eq!(e, "queries: rules/d.wrong_id.toml: id `d.other` does not match the file name `d.wrong_id`");
    }
}
