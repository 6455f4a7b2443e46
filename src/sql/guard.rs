//! What a limited SQL session may run, judged on the parsed statement and never on its text, so
//! quoting (`"datafusion".runtime…`), case, comments or spacing cannot slip past.
//!
//! Two entry points share the rule: every login of the Postgres server (`pg`), and the local
//! shell whenever it is limited to an office or masks personal data. Reading the warehouse is
//! fine; the engine's own settings (memory limit, spill folder, …), files outside the warehouse
//! (`CREATE EXTERNAL TABLE`, `COPY`, `LOCATION`) and anything that writes are not. Only the
//! client settings a Postgres driver sends are accepted, by an explicit list.

use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{ObjectName, ObjectNamePart, Set, Statement};

/// Client settings the wire server applies to the connection (its `SET`/`SHOW` hook keeps them
/// per client): harmless, and drivers send them.
const APPLIED: &[&str] = &["application_name", "bytea_output", "datestyle", "extra_float_digits", "intervalstyle", "search_path", "statement_timeout"];

/// Client settings acknowledged and not applied: drivers send them at connect and expect `SET`.
const ACKNOWLEDGED: &[&str] = &[
    "client_encoding",
    "client_min_messages",
    "default_transaction_isolation",
    "default_transaction_read_only",
    "idle_in_transaction_session_timeout",
    "lc_messages",
    "lock_timeout",
    "standard_conforming_strings",
    "timezone",
    "transaction_isolation",
];

/// What to do with a `SET` or `RESET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetVerdict {
    /// Let the session apply it (a client setting it keeps per connection).
    Apply,
    /// Answer `SET` and do nothing.
    Acknowledge,
    /// Refuse, with the reason.
    Refuse(String),
}

/// The one plain name of a setting: `DateStyle` → `datestyle`; None for a dotted, quoted or
/// computed name (`"datafusion".runtime.memory_limit`, `a.b`).
fn plain_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] if id.quote_style.is_none() => Some(id.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The name as written, for the message.
fn shown(name: &ObjectName) -> String {
    name.to_string()
}

fn refuse(name: &str) -> SetVerdict {
    SetVerdict::Refuse(format!(
        "setting {name} is the server's, not a session's to change (a session may set only {})",
        APPLIED.iter().chain(ACKNOWLEDGED).copied().collect::<Vec<_>>().join(", ")
    ))
}

/// Judges one setting name.
fn judge_name(name: &ObjectName) -> SetVerdict {
    match plain_name(name) {
        Some(n) if APPLIED.contains(&n.as_str()) => SetVerdict::Apply,
        Some(n) if ACKNOWLEDGED.contains(&n.as_str()) => SetVerdict::Acknowledge,
        _ => refuse(&shown(name)),
    }
}

/// Judges a `SET` statement of a limited session.
pub fn judge_set(set: &Set) -> SetVerdict {
    match set {
        Set::SingleAssignment { scope: None, hivevar: false, variable, values } if !values.is_empty() => judge_name(variable),
        // `SET SESSION x = …`, `SET LOCAL x = …`: the hook applies only the plain form.
        Set::SingleAssignment { hivevar: false, variable, .. } => match judge_name(variable) {
            SetVerdict::Apply => SetVerdict::Acknowledge,
            v => v,
        },
        Set::SetTimeZone { local: false, .. } => SetVerdict::Apply,
        Set::SetTimeZone { local: true, .. } | Set::SetNames { .. } | Set::SetNamesDefault {} | Set::SetTransaction { .. } => SetVerdict::Acknowledge,
        Set::ParenthesizedAssignments { variables, .. } => first_refusal(variables.iter()),
        Set::MultipleAssignments { assignments } => first_refusal(assignments.iter().map(|a| &a.name)),
        other => SetVerdict::Refuse(format!("{other} is not a session's to run")),
    }
}

/// Several settings at once: acknowledged only when every one may be set (never applied: the
/// wire hook applies single assignments only).
fn first_refusal<'a>(names: impl Iterator<Item = &'a ObjectName>) -> SetVerdict {
    for n in names {
        if let r @ SetVerdict::Refuse(_) = judge_name(n) {
            return r;
        }
    }
    SetVerdict::Acknowledge
}

/// Judges a `RESET name` (None: `RESET ALL`): a client setting or all of them is acknowledged.
pub fn judge_reset(name: Option<&ObjectName>) -> SetVerdict {
    match name {
        None => SetVerdict::Acknowledge,
        Some(n) => match judge_name(n) {
            SetVerdict::Refuse(r) => SetVerdict::Refuse(r),
            _ => SetVerdict::Acknowledge,
        },
    }
}

/// Refused for a limited session of the local shell: what reaches files or the engine's
/// settings. Everything else goes on to the read-only plan check (`SQLOptions`).
pub fn check_limited(stmt: &DfStatement) -> Result<(), String> {
    const FILES: &str = "reads files outside the warehouse; a session limited to an office or masking personal data reads only the warehouse (docs/sql.md)";
    match stmt {
        DfStatement::CreateExternalTable(_) => Err(format!("CREATE EXTERNAL TABLE {FILES}")),
        DfStatement::CopyTo(_) => Err("COPY … TO writes a file: windowwatch SQL is read-only (write results with -o FILE or \\o FILE)".into()),
        DfStatement::Explain(e) => check_limited(&e.statement),
        DfStatement::Reset(datafusion::sql::parser::ResetStatement::Variable(n)) => verdict_result(judge_reset(Some(n))),
        DfStatement::Statement(s) => match s.as_ref() {
            Statement::Set(set) => verdict_result(judge_set(set)),
            Statement::CreateTable(t) if t.external || t.location.is_some() => Err(format!("CREATE TABLE … LOCATION {FILES}")),
            Statement::Copy { .. } | Statement::CopyIntoSnowflake { .. } | Statement::Unload { .. } | Statement::Install { .. } | Statement::Load { .. } | Statement::LoadData { .. } | Statement::AttachDatabase { .. } | Statement::AttachDuckDBDatabase { .. } => Err(format!("{} {FILES}", head(s))),
            _ => Ok(()),
        },
    }
}

fn verdict_result(v: SetVerdict) -> Result<(), String> {
    match v {
        SetVerdict::Refuse(r) => Err(r),
        _ => Ok(()),
    }
}

/// The first two words of a statement, for a message.
pub fn head(s: &Statement) -> String {
    s.to_string().split_whitespace().take(2).map(str::to_uppercase).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(sql: &str) -> DfStatement {
        crate::sql::parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).remove(0)
    }

    fn set_of(sql: &str) -> SetVerdict {
        match stmt(sql) {
            DfStatement::Statement(s) => match *s {
                Statement::Set(set) => judge_set(&set),
                other => panic!("{sql}: {other:?}"),
            },
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn the_engines_settings_are_refused_in_every_spelling() {
        for sql in [
            "SET datafusion.runtime.memory_limit = '1K'",
            "SET \"datafusion\".runtime.memory_limit = '1K'",
            "SET \"datafusion\".\"runtime\".\"temp_directory\" = '/tmp/x'",
            "SET DataFusion.Execution.target_partitions = 1",
            "set /* c */ datafusion . runtime . temp_directory to '/x'",
            "SET SESSION datafusion.runtime.memory_limit = '1K'",
            "SET LOCAL datafusion.execution.batch_size = 1",
            "SET \"statement_timeout\" = 0",
            "SET memory_limit = '1K'",
            "SET a = 1, datafusion.runtime.memory_limit = '1K'",
        ] {
            assert!(matches!(set_of(sql), SetVerdict::Refuse(_)), "{sql} passed");
            assert!(check_limited(&stmt(sql)).is_err(), "{sql} passed the shell");
        }
    }

    #[test]
    fn client_settings_pass() {
        assert_eq!(set_of("SET extra_float_digits = 3"), SetVerdict::Apply);
        assert_eq!(set_of("SET DateStyle = 'ISO, MDY'"), SetVerdict::Apply);
        assert_eq!(set_of("SET client_encoding = 'UTF8'"), SetVerdict::Acknowledge);
        assert_eq!(set_of("SET TIME ZONE 'Asia/Shanghai'"), SetVerdict::Apply);
        assert_eq!(set_of("SET SESSION statement_timeout = 1000"), SetVerdict::Acknowledge);
        assert!(matches!(judge_reset(Some(&ObjectName::from(vec!["datafusion".into(), "runtime".into()]))), SetVerdict::Refuse(_)));
        assert_eq!(judge_reset(None), SetVerdict::Acknowledge);
    }

    #[test]
    fn files_are_out_of_reach_of_a_limited_shell() {
        for sql in [
            "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/data/current/cases/'",
            "create external table x stored as csv location 'file:///etc/passwd'",
            "EXPLAIN CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/d/'",
            "COPY (SELECT 1) TO '/tmp/x.csv'",
            "COPY cases TO '/tmp/x.parquet' STORED AS PARQUET",
            "RESET datafusion.runtime.temp_directory",
            "RESET \"datafusion\".runtime.memory_limit",
        ] {
            assert!(check_limited(&stmt(sql)).is_err(), "{sql} passed");
        }
        for sql in ["SELECT 1", "CREATE VIEW v AS SELECT 1", "CREATE TABLE t AS SELECT 1", "EXPLAIN SELECT 1", "SHOW TABLES"] {
            assert_eq!(check_limited(&stmt(sql)), Ok(()), "{sql}");
        }
    }
}
