//! The rule profile: the numbers a jurisdiction sets (limits in minutes, hours, days, working days,
//! months) and the rules it turns off. The shipped `queries/profile.toml` holds the documented
//! defaults; a user's profile overrides any of them. Every problem in a profile is reported at once.

use std::collections::BTreeMap;
use std::path::Path;

use super::catalog::Catalog;

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub params: BTreeMap<String, i64>,
    pub disabled: Vec<String>,
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
        for (k, v) in &doc {
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
        if problems.is_empty() {
            Ok(Profile { params, disabled, source: name.to_string() })
        } else {
            Err(err(problems))
        }
    }

    pub fn get(&self, name: &str) -> i64 {
        self.params[name]
    }
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
    fn a_users_profile_overrides_and_every_mistake_is_listed() {
        let c = Catalog::builtin();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "filing_within_workdays = 7\n").unwrap();
        let p = Profile::load(&f, &c).unwrap();
        assert_eq!(p.get("filing_within_workdays"), 7);
        assert_eq!(p.get("notice_within_workdays"), 3);
        std::fs::write(&f, "filing_within_workdays = 0\nwait_minutes = 20\ndisabled = [\"queue.nope\"]\n").unwrap();
        let e = Profile::load(&f, &c).unwrap_err();
        assert_eq!(e.problems.len(), 3, "{e}");
    }
}
