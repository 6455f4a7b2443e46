//! `windowwatch.toml`: one file for the data folder, calendar, rule profile, ingest settings,
//! engine limits, offices, SMTP and jobs.
//!
//! The file is validated as a whole (as vector does): syntax errors are recovered from, every key
//! is checked for its type and meaning, unknown keys are named, and every problem is reported at
//! once with its line, so a user fixes the file in one pass. Paths in the file are relative to the
//! file's folder.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::contract::{NumericLevels, Table};

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {n} problem{s}:\n{list}", file = .file.display(), n = .problems.len(), s = if .problems.len() == 1 { "" } else { "s" },
        list = .problems.iter().map(|p| format!("  line {}: {}: {}", p.line, p.key, p.message)).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<ConfigProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Security {
    /// Implicit TLS (port 465).
    Tls,
    /// STARTTLS (port 587).
    StartTls,
    /// No TLS: loopback and testing only.
    Plain,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    /// The environment variable holding the password (never the password itself).
    pub password_env: String,
    pub from: String,
    pub timeout_secs: u64,
    /// Extra root certificate (PEM) to trust, e.g. a hall's own mail server.
    pub ca_file: Option<PathBuf>,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub halls: Vec<String>,
    /// Districts (所属区县) whose halls the office supervises as well, from the halls table:
    /// resolved where the halls are used (`crate::session::office_halls`), never here.
    pub districts: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// zh-CN (default) or en.
    pub language: String,
    pub show_personal_data: bool,
    /// The office's group-chat robot (企业微信 or 钉钉), if it watches a group.
    pub webhook: Option<Webhook>,
    /// The 发文字号 of its documents, e.g. `济医保监〔{year}〕{seq}号`: `{year}` the report's year,
    /// `{seq}` its month number (the monthly 通报 is the office's monthly series).
    pub doc_number: Option<String>,
    /// The 主送 line of its documents (default: 各医保经办服务大厅).
    pub addressee: Option<String>,
}

impl Office {
    /// An office not configured but made for a report: `halls` alone, mailed to `to` in Chinese,
    /// personal data masked, no robot and no document settings.
    pub fn mail_only(id: String, name: String, halls: Vec<String>, to: Vec<String>) -> Office {
        Office {
            id,
            name,
            halls,
            districts: Vec::new(),
            to,
            cc: Vec::new(),
            language: "zh-CN".into(),
            show_personal_data: false,
            webhook: None,
            doc_number: None,
            addressee: None,
        }
    }
}

/// Which vendor's group robot a webhook posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotKind {
    /// 企业微信 群机器人: `{"msgtype":"markdown","markdown":{"content":…}}`.
    WeCom,
    /// 钉钉 自定义机器人: `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`, signed when a secret is set.
    DingTalk,
}

impl RobotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::WeCom => "wecom",
            RobotKind::DingTalk => "dingtalk",
        }
    }
}

/// A group robot: its kind and the environment variables holding its URL (which carries the
/// access key) and, for DingTalk, its signing secret. Neither value is ever in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Webhook {
    pub kind: RobotKind,
    pub url_env: String,
    pub secret_env: Option<String>,
}

/// A hall's own robot (`[[hall_webhooks]]`): it gets only that hall's findings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HallWebhook {
    pub hall: String,
    pub webhook: Webhook,
}

/// The file format of the denial-filing register: one XLSX workbook (two sheets) or two CSV files.
/// Both `register --format` and a register job's `format` are read into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegisterFormat {
    #[default]
    Xlsx,
    Csv,
    /// The register as an official document (GB/T 9704 layout, landscape; feature `documents`).
    Docx,
    Pdf,
}

/// The official document's written forms (`report monthly --format docx|pdf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    Docx,
    Pdf,
}

/// A job of `[[jobs]]`, its options read into typed values once, here.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Job {
    pub name: String,
    pub kind: JobKind,
    pub cron: String,
    /// The catch-up policy (default: [`JobKind::default_catch_up`]).
    pub catch_up: CatchUp,
    /// Seconds after a failed run before it is tried again (0: at the next tick).
    pub retry_secs: u64,
}

/// What the daemon does with occurrences it missed while it was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CatchUp {
    /// Run every owed occurrence, oldest first.
    All,
    /// Run only the newest owed occurrence; it stands for the older ones.
    Latest,
}

/// A job's type with that type's options (docs/operations.md describes each).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum JobKind {
    /// Ingests the files arriving in the inbox: `pattern` (all tables' files), a pattern per table,
    /// header sniffing, and how long a file must stay unchanged.
    Inbox { pattern: Option<String>, tables: Vec<(Table, String)>, sniff: bool, settle_secs: u64 },
    /// Runs the checks, as of the scheduled instant or (`as_of_now`) the start of the run.
    Check { as_of_now: bool },
    /// The daily warning; `send = false` renders without delivering.
    Daily { send: bool },
    /// The monthly report of the month before the occurrence, or (`current_month`) its own.
    Monthly { send: bool, current_month: bool },
    /// The denial-filing register, like the monthly report, in `format`.
    Register { send: bool, current_month: bool, format: RegisterFormat },
}

impl JobKind {
    /// The kind's name in the config (`type = "…"`), the ledger and the logs.
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::Inbox { .. } => "inbox",
            JobKind::Check { .. } => "check",
            JobKind::Daily { .. } => "daily",
            JobKind::Monthly { .. } => "monthly",
            JobKind::Register { .. } => "register",
        }
    }

    /// The catch-up policy when the job does not set `catch_up`: a report of each missed month,
    /// only the latest look, check and warning.
    pub fn default_catch_up(&self) -> CatchUp {
        match self {
            JobKind::Monthly { .. } | JobKind::Register { .. } => CatchUp::All,
            _ => CatchUp::Latest,
        }
    }

    /// Reads a known type's options, each already checked by [`validate_job_option`].
    fn read(kind: &str, o: &BTreeMap<String, String>) -> Option<JobKind> {
        let is = |k: &str, v: &str| o.get(k).is_some_and(|x| x == v);
        let send = !is("send", "false");
        let current_month = is("month", "current");
        Some(match kind {
            "inbox" => JobKind::Inbox {
                pattern: o.get("pattern").cloned(),
                tables: Table::ALL.into_iter().filter_map(|t| Some((t, o.get(t.name())?.clone()))).collect(),
                sniff: !is("sniff", "false"),
                settle_secs: o.get("settle_secs").map_or(Some(10), |v| seconds(v))?,
            },
            "check" => JobKind::Check { as_of_now: is("as_of", "now") },
            "daily" => JobKind::Daily { send },
            "monthly" => JobKind::Monthly { send, current_month },
            "register" => JobKind::Register { send, current_month, format: match o.get("format").map(String::as_str) {
                Some("csv") => RegisterFormat::Csv,
                Some("docx") => RegisterFormat::Docx,
                Some("pdf") => RegisterFormat::Pdf,
                _ => RegisterFormat::Xlsx,
            } },
            _ => return None,
        })
    }
}

/// Whole seconds in 0..=86400 (`_` allowed as a digit separator).
fn seconds(v: &str) -> Option<u64> {
    v.replace('_', "").parse().ok().filter(|n| *n <= 86_400)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SqlUser {
    pub name: String,
    pub password_env: String,
    pub office: Option<String>,
    /// Personal data unmasked for this login (else masked unless its office may see it).
    pub show_personal_data: bool,
}

/// What a login of the browser workspace may do (`[[web.users]]` role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebRole {
    /// An office's supervisors: the findings of its halls.
    Supervisor,
    /// One hall: its own findings.
    Hall,
    /// A bureau: the findings and the denial register of its office's halls.
    Bureau,
    /// Everything.
    Admin,
}

impl WebRole {
    pub fn parse(s: &str) -> Option<WebRole> {
        match s {
            "supervisor" => Some(WebRole::Supervisor),
            "hall" => Some(WebRole::Hall),
            "bureau" => Some(WebRole::Bureau),
            "admin" => Some(WebRole::Admin),
            _ => None,
        }
    }
}

/// A login of the browser workspace: its password as an argon2 hash (`windowwatch passwd`) or
/// in an environment variable, as the SQL logins are.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WebUser {
    pub name: String,
    pub role: WebRole,
    /// The office of a supervisor or bureau login.
    pub office: Option<String>,
    /// The hall of a hall login.
    pub hall: Option<String>,
    /// An argon2 PHC string.
    pub password_hash: Option<String>,
    /// The environment variable holding the password (never the password itself).
    pub password_env: Option<String>,
    /// Personal data unmasked for this login (else masked unless its office may see it).
    pub show_personal_data: bool,
}

/// `[web]`: the browser workspace (`windowwatch serve-web`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Web {
    /// The address `serve-web` listens on unless `--listen` says otherwise.
    pub listen: Option<String>,
    /// How long a login lasts.
    pub session_minutes: u64,
    /// The environment variable holding the key sessions are signed with (else one per process).
    pub secret_env: Option<String>,
    pub users: Vec<WebUser>,
}

impl Default for Web {
    fn default() -> Self {
        Web { listen: None, session_minutes: 480, secret_env: None, users: Vec::new() }
    }
}

/// The whole configuration, paths resolved.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Config {
    pub file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub outbox: PathBuf,
    pub reports_dir: PathBuf,
    pub inbox: PathBuf,
    pub calendar_builtin: bool,
    pub calendar_files: Vec<PathBuf>,
    pub profile: Option<PathBuf>,
    pub queries: Option<PathBuf>,
    pub numeric_levels: Option<NumericLevels>,
    /// Per table: extra header → contract column.
    pub aliases: BTreeMap<Table, BTreeMap<String, String>>,
    pub target_partitions: usize,
    pub memory_limit: Option<usize>,
    pub offices: Vec<Office>,
    /// Halls' own group robots.
    pub hall_webhooks: Vec<HallWebhook>,
    pub smtp: Option<Smtp>,
    pub jobs: Vec<Job>,
    pub sql_users: Vec<SqlUser>,
    /// `[privacy] mask_staff`: staff names masked like applicants' names (shown by default).
    pub mask_staff: bool,
    pub web: Web,
    /// `[documents] fonts`: CJK font files for the PDF documents, tried before the known system
    /// paths (`path.ttc#2` picks a face of a collection).
    pub document_fonts: Vec<PathBuf>,
    /// `[reports] findings_per_rule`: the red findings of a rule the monthly report's body lists
    /// (the rest are counted, and every one is in the attachments).
    pub findings_per_rule: usize,
}

/// The red findings per rule a monthly report's body lists unless `[reports]` says otherwise.
pub const FINDINGS_PER_RULE: usize = 50;

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            data_dir: PathBuf::from("windowwatch-data"),
            outbox: PathBuf::from("outbox"),
            reports_dir: PathBuf::from("reports"),
            inbox: PathBuf::from("inbox"),
            calendar_builtin: true,
            calendar_files: Vec::new(),
            profile: None,
            queries: None,
            numeric_levels: None,
            aliases: BTreeMap::new(),
            target_partitions: 0,
            memory_limit: None,
            offices: Vec::new(),
            hall_webhooks: Vec::new(),
            smtp: None,
            jobs: Vec::new(),
            sql_users: Vec::new(),
            mask_staff: false,
            web: Web::default(),
            document_fonts: Vec::new(),
            findings_per_rule: FINDINGS_PER_RULE,
        }
    }
}

/// A 发文字号 template may hold `{year}` and `{seq}` and no other placeholder.
pub fn doc_number_check(t: &str) -> Result<(), String> {
    let rest = t.replace("{year}", "").replace("{seq}", "");
    if rest.contains('{') || rest.contains('}') {
        return Err(format!("`{t}`: the only placeholders are {{year}} and {{seq}}, e.g. \"济医保监〔{{year}}〕{{seq}}号\""));
    }
    Ok(())
}

/// Parses `"2GiB"`, `"512MiB"`, `"1.5G"`, `"1000000"` into bytes.
pub fn parse_bytes(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as usize)
}

/// The job kinds `serve` knows and their options (docs/operations.md describes each).
/// `catch_up` and `retry_secs` apply to every kind.
pub const JOB_KINDS: &[(&str, &[&str])] = &[
    (
        "inbox",
        &[
            "pattern", "settle_secs", "tickets", "cases", "ratings", "denials", "halls", "windows", "staff", "inspections", "complaints",
            "attendance", "responses", "sniff", "catch_up", "retry_secs",
        ],
    ),
    ("check", &["as_of", "catch_up", "retry_secs"]),
    ("daily", &["send", "catch_up", "retry_secs"]),
    ("monthly", &["send", "month", "catch_up", "retry_secs"]),
    ("register", &["send", "month", "format", "catch_up", "retry_secs"]),
];

/// Reads a file-name pattern of an inbox job: `re:<regex>` or a glob (`*`, `?`, `[…]`) matched
/// against the whole file name, case-insensitively.
pub fn name_pattern(s: &str) -> Result<regex::Regex, String> {
    let source = match s.strip_prefix("re:") {
        Some(re) => re.to_string(),
        None => {
            let mut out = String::from("^");
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '*' => out.push_str(".*"),
                    '?' => out.push('.'),
                    '[' => {
                        let mut class = String::from("[");
                        if chars.peek() == Some(&'!') {
                            chars.next();
                            class.push('^');
                        }
                        let mut closed = false;
                        for d in chars.by_ref() {
                            if d == ']' {
                                closed = true;
                                break;
                            }
                            if d == '\\' || d == '[' {
                                class.push('\\');
                            }
                            class.push(d);
                        }
                        if !closed {
                            return Err(format!("`{s}`: a `[` without its `]`"));
                        }
                        class.push(']');
                        out.push_str(&class);
                    }
                    c => out.push_str(&regex::escape(&c.to_string())),
                }
            }
            out.push('$');
            out
        }
    };
    regex::RegexBuilder::new(&source).case_insensitive(true).build().map_err(|e| format!("`{s}`: {e}"))
}

/// Checks the value of one job option (already read as text).
pub fn validate_job_option(key: &str, value: &str) -> Result<(), String> {
    let one_of = |allowed: &[&str]| {
        if allowed.contains(&value) { Ok(()) } else { Err(format!("`{value}`: expected {}", allowed.join(" or "))) }
    };
    match key {
        "settle_secs" | "retry_secs" => seconds(value).map(|_| ()).ok_or_else(|| format!("`{value}`: expected a whole number of seconds in 0..=86400")),
        "send" | "sniff" => one_of(&["true", "false"]),
        "month" => one_of(&["previous", "current"]),
        "format" => one_of(&["xlsx", "csv", "docx", "pdf"]),
        "as_of" => one_of(&["scheduled", "now"]),
        "catch_up" => one_of(&["all", "latest"]),
        "pattern" => name_pattern(value).map(|_| ()),
        t if crate::contract::Table::parse(t).is_some() => name_pattern(value).map(|_| ()),
        _ => Ok(()),
    }
}

struct Walk<'s> {
    src: &'s str,
    problems: Vec<ConfigProblem>,
}

type Tbl<'i> = DeTable<'i>;

impl<'s> Walk<'s> {
    fn line(&self, span: &Range<usize>) -> usize {
        self.src[..span.start.min(self.src.len())].matches('\n').count() + 1
    }

    fn problem(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        let line = self.line(span);
        self.problems.push(ConfigProblem { line, key: key.to_string(), message: message.into() });
    }

    fn unknown_keys(&mut self, t: &Tbl<'_>, path: &str, known: &[&str]) {
        for (k, _) in t.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                let name = join(path, k.get_ref());
                self.problem(&k.span(), &name, format!("unknown key (known here: {})", known.join(", ")));
            }
        }
    }

    fn get<'t, 'i>(&self, t: &'t Tbl<'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        t.iter().find(|(k, _)| k.get_ref().as_ref() == key).map(|(_, v)| v)
    }

    fn str(&mut self, t: &Tbl<'_>, path: &str, key: &str) -> Option<String> {
        let v = self.get(t, key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.problem(&v.span(), &join(path, key), format!("expected a string, found {}", v.get_ref().type_str()));
                None
            }
        }
    }

    fn req_str(&mut self, t: &Tbl<'_>, span: &Range<usize>, path: &str, key: &str) -> Option<String> {
        let r = self.str(t, path, key);
        if r.is_none() && self.get(t, key).is_none() {
            self.problem(span, &join(path, key), "missing (required)");
        }
        r
    }

    fn int(&mut self, t: &Tbl<'_>, path: &str, key: &str, min: i64, max: i64) -> Option<i64> {
        let v = self.get(t, key)?;
        let parsed = v.get_ref().as_integer().and_then(|i| i64::from_str_radix(i.as_str().replace('_', "").as_str(), i.radix()).ok());
        match parsed {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.problem(&v.span(), &join(path, key), format!("{n} is outside {min}..={max}"));
                None
            }
            None => {
                self.problem(&v.span(), &join(path, key), format!("expected a whole number, found {}", v.get_ref().type_str()));
                None
            }
        }
    }

    fn bool(&mut self, t: &Tbl<'_>, path: &str, key: &str) -> Option<bool> {
        let v = self.get(t, key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                self.problem(&v.span(), &join(path, key), format!("expected true or false, found {}", v.get_ref().type_str()));
                None
            }
        }
    }

    fn str_list(&mut self, t: &Tbl<'_>, path: &str, key: &str) -> Option<Vec<String>> {
        let v = self.get(t, key)?;
        let Some(a) = v.get_ref().as_array() else {
            self.problem(&v.span(), &join(path, key), format!("expected a list of strings, found {}", v.get_ref().type_str()));
            return None;
        };
        let mut out = Vec::new();
        for x in a.iter() {
            match x.get_ref().as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.problem(&x.span(), &join(path, key), format!("expected a string, found {}", x.get_ref().type_str())),
            }
        }
        Some(out)
    }

    fn table<'t, 'i>(&mut self, t: &'t Tbl<'i>, path: &str, key: &str) -> Option<(&'t Tbl<'i>, Range<usize>)> {
        let v = self.get(t, key)?;
        match v.get_ref().as_table() {
            Some(tt) => Some((tt, v.span())),
            None => {
                self.problem(&v.span(), &join(path, key), format!("expected a table, found {}", v.get_ref().type_str()));
                None
            }
        }
    }

    fn tables<'t, 'i>(&mut self, t: &'t Tbl<'i>, key: &str) -> Vec<(&'t Tbl<'i>, Range<usize>)> {
        let Some(v) = self.get(t, key) else { return Vec::new() };
        let Some(a) = v.get_ref().as_array() else {
            self.problem(&v.span(), key, format!("expected [[{key}]] tables, found {}", v.get_ref().type_str()));
            return Vec::new();
        };
        let mut out = Vec::new();
        for x in a.iter() {
            match x.get_ref().as_table() {
                Some(tt) => out.push((tt, x.span())),
                None => self.problem(&x.span(), key, format!("expected a table, found {}", x.get_ref().type_str())),
            }
        }
        out
    }
}

impl Walk<'_> {
    /// A robot's keys (`kind`, `url_env`, `secret_env`) in table `t`; `extra` keys (a hall
    /// robot's `hall`) are allowed beside them. The URL and the secret themselves never go in
    /// the file, and their values are never echoed in a problem.
    fn webhook(&mut self, t: &Tbl<'_>, span: &Range<usize>, path: &str) -> Option<Webhook> {
        let known: &[&str] = if path.starts_with("hall_webhooks") { &["hall", "kind", "url_env", "secret_env"] } else { &["kind", "url_env", "secret_env"] };
        for secret in ["url", "secret"] {
            if let Some(v) = self.get(t, secret) {
                let sp = v.span();
                self.problem(&sp, &join(path, secret), format!("the robot's {secret} never goes in the file (it holds the access key): set {secret}_env to the name of an environment variable"));
            }
        }
        let known_plus: Vec<&str> = known.iter().copied().chain(["url", "secret"]).collect();
        self.unknown_keys(t, path, &known_plus);
        let kind = match self.req_str(t, span, path, "kind").as_deref() {
            Some("wecom") => Some(RobotKind::WeCom),
            Some("dingtalk") => Some(RobotKind::DingTalk),
            Some(other) => {
                let sp = self.get(t, "kind").map(|v| v.span()).unwrap_or(span.clone());
                self.problem(&sp, &join(path, "kind"), format!("`{other}`: expected wecom (企业微信) or dingtalk (钉钉)"));
                None
            }
            None => None,
        };
        let url_env = self.req_str(t, span, path, "url_env");
        let secret_env = self.str(t, path, "secret_env");
        for (key, var) in [("url_env", &url_env), ("secret_env", &secret_env)] {
            if let Some(v) = var
                && !env_name(v) {
                    let sp = self.get(t, key).map(|x| x.span()).unwrap_or(span.clone());
                    self.problem(&sp, &join(path, key), "expected the name of an environment variable (letters, digits and _, not starting with a digit), not its value");
                }
        }
        if kind == Some(RobotKind::WeCom) && secret_env.is_some() {
            let sp = self.get(t, "secret_env").map(|x| x.span()).unwrap_or(span.clone());
            self.problem(&sp, &join(path, "secret_env"), "a WeCom (企业微信) robot is not signed: secret_env is for dingtalk");
        }
        let ok = url_env.as_deref().is_some_and(env_name) && secret_env.as_deref().is_none_or(env_name);
        match (kind, url_env) {
            (Some(kind), Some(url_env)) if ok && !(kind == RobotKind::WeCom && secret_env.is_some()) => Some(Webhook { kind, url_env, secret_env }),
            _ => None,
        }
    }
}

/// An environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
fn env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn valid_email(s: &str) -> bool {
    let addr = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    let mut parts = addr.trim().split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(u), Some(d), None) if !u.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !addr.contains(char::is_whitespace))
}

/// The sections of the file, one method each, in the order `Config::parse` reads them (the order
/// of problems on one line).
impl Walk<'_> {
    /// The folders, `[calendar]` and `[rules]`: paths relative to the file's folder `base`.
    fn files(&mut self, root: &Tbl<'_>, c: &mut Config, base: &Path) {
        for (key, slot) in [("data_dir", &mut c.data_dir), ("outbox", &mut c.outbox), ("reports_dir", &mut c.reports_dir), ("inbox", &mut c.inbox)] {
            if let Some(s) = self.str(root, "", key) {
                *slot = resolve(base, &s);
            }
        }
        if !base.as_os_str().is_empty() {
            for (key, slot) in [("data_dir", &mut c.data_dir), ("outbox", &mut c.outbox), ("reports_dir", &mut c.reports_dir), ("inbox", &mut c.inbox)] {
                if self.get(root, key).is_none() {
                    *slot = base.join(&*slot);
                }
            }
        }
        if let Some((t, _)) = self.table(root, "", "calendar") {
            self.unknown_keys(t, "calendar", &["builtin", "files"]);
            if let Some(b) = self.bool(t, "calendar", "builtin") {
                c.calendar_builtin = b;
            }
            if let Some(files) = self.str_list(t, "calendar", "files") {
                c.calendar_files = files.iter().map(|f| resolve(base, f)).collect();
            }
        }
        if let Some((t, _)) = self.table(root, "", "rules") {
            self.unknown_keys(t, "rules", &["profile", "queries"]);
            c.profile = self.str(t, "rules", "profile").map(|s| resolve(base, &s));
            c.queries = self.str(t, "rules", "queries").map(|s| resolve(base, &s));
        }
    }

    /// `[ingest]`: the numeric satisfaction levels and column aliases.
    fn ingest(&mut self, root: &Tbl<'_>, c: &mut Config) {
        if let Some((t, _)) = self.table(root, "", "ingest") {
            self.unknown_keys(t, "ingest", &["numeric_levels", "aliases"]);
            if let Some(s) = self.str(t, "ingest", "numeric_levels") {
                match NumericLevels::parse(&s) {
                    Some(n) => c.numeric_levels = Some(n),
                    None => {
                        let span = self.get(t, "numeric_levels").map(|v| v.span()).unwrap_or_default();
                        self.problem(&span, "ingest.numeric_levels", format!("`{s}`: expected {}", NumericLevels::ACCEPTED));
                    }
                }
            }
            if let Some((al, _)) = self.table(t, "ingest", "aliases") {
                self.unknown_keys(al, "ingest.aliases", &["tickets", "cases", "ratings", "denials"]);
                for table in Table::ALL {
                    let path = format!("ingest.aliases.{}", table.name());
                    if let Some((m, _)) = self.table(al, "ingest.aliases", table.name()) {
                        let mut map = BTreeMap::new();
                        for (k, v) in m.iter() {
                            let key = join(&path, k.get_ref());
                            match v.get_ref().as_str() {
                                Some(col) if table.spec().column(col).is_some() => {
                                    map.insert(k.get_ref().to_string(), col.to_string());
                                }
                                Some(col) => self.problem(&v.span(), &key, format!("`{col}` is not a column of {}", table.name())),
                                None => self.problem(&v.span(), &key, "expected the canonical column name as a string"),
                            }
                        }
                        c.aliases.insert(table, map);
                    }
                }
            }
        }
    }

    /// `[privacy]`: staff names masked like applicants'.
    fn privacy(&mut self, root: &Tbl<'_>, c: &mut Config) {
        if let Some((t, _)) = self.table(root, "", "privacy") {
            self.unknown_keys(t, "privacy", &["mask_staff"]);
            c.mask_staff = self.bool(t, "privacy", "mask_staff").unwrap_or(false);
        }
    }

    /// `[reports]`: how many red findings of a rule the monthly report's body lists.
    fn reports(&mut self, root: &Tbl<'_>, c: &mut Config) {
        if let Some((t, _)) = self.table(root, "", "reports") {
            self.unknown_keys(t, "reports", &["findings_per_rule"]);
            if let Some(n) = self.int(t, "reports", "findings_per_rule", 0, 100_000) {
                c.findings_per_rule = n as usize;
            }
        }
    }

    /// `[engine]`: partitions and the memory limit.
    fn engine(&mut self, root: &Tbl<'_>, c: &mut Config) {
        if let Some((t, _)) = self.table(root, "", "engine") {
            self.unknown_keys(t, "engine", &["target_partitions", "memory_limit"]);
            if let Some(n) = self.int(t, "engine", "target_partitions", 0, 1024) {
                c.target_partitions = n as usize;
            }
            if let Some(s) = self.str(t, "engine", "memory_limit") {
                match parse_bytes(&s) {
                    Some(b) if b >= 16 * 1024 * 1024 => c.memory_limit = Some(b),
                    _ => {
                        let span = self.get(t, "memory_limit").map(|v| v.span()).unwrap_or(0..0);
                        self.problem(&span, "engine.memory_limit", format!("`{s}`: expected a size of at least 16MiB such as \"2GiB\""));
                    }
                }
            }
        }
    }

    /// `[[offices]]`; returns the ids read (a `[sql]` user names one).
    fn offices(&mut self, root: &Tbl<'_>, c: &mut Config) -> Vec<String> {
        let mut office_ids: Vec<String> = Vec::new();
        for (t, span) in self.tables(root, "offices") {
            let i = c.offices.len();
            let path = format!("offices[{i}]");
            self.unknown_keys(t, &path, &["id", "name", "halls", "districts", "to", "cc", "language", "show_personal_data", "webhook", "doc_number", "addressee"]);
            let id = self.req_str(t, &span, &path, "id");
            let name = self.req_str(t, &span, &path, "name");
            let halls = self.str_list(t, &path, "halls");
            let districts = self.str_list(t, &path, "districts");
            if halls.is_none() && self.get(t, "halls").is_none() && districts.is_none() && self.get(t, "districts").is_none() {
                self.problem(&span, &join(&path, "halls"), "missing (required): the halls this office supervises (or its districts)");
            }
            let to = self.str_list(t, &path, "to").unwrap_or_default();
            let cc = self.str_list(t, &path, "cc").unwrap_or_default();
            for a in to.iter().chain(cc.iter()) {
                if !valid_email(a) {
                    let sp = self.get(t, if to.contains(a) { "to" } else { "cc" }).map(|v| v.span()).unwrap_or(span.clone());
                    self.problem(&sp, &path, format!("`{a}` is not an e-mail address"));
                }
            }
            let language = self.str(t, &path, "language").unwrap_or_else(|| "zh-CN".into());
            if !["zh-CN", "en"].contains(&language.as_str()) {
                let sp = self.get(t, "language").map(|v| v.span()).unwrap_or(span.clone());
                self.problem(&sp, &join(&path, "language"), format!("`{language}`: expected zh-CN or en"));
            }
            let show = self.bool(t, &path, "show_personal_data").unwrap_or(false);
            let webhook = self.table(t, &path, "webhook").and_then(|(wt, sp)| self.webhook(wt, &sp, &join(&path, "webhook")));
            let doc_number = self.str(t, &path, "doc_number");
            if let Some(d) = &doc_number
                && let Err(why) = doc_number_check(d)
            {
                let sp = self.get(t, "doc_number").map(|v| v.span()).unwrap_or(span.clone());
                self.problem(&sp, &join(&path, "doc_number"), why);
            }
            let addressee = self.str(t, &path, "addressee");
            if let Some(id) = &id {
                if let Err(why) = plain_name(id) {
                    let sp = self.get(t, "id").map(|v| v.span()).unwrap_or(span.clone());
                    self.problem(&sp, &join(&path, "id"), format!("office id `{}`: {why}", id.escape_debug()));
                }
                if office_ids.contains(id) {
                    let sp = self.get(t, "id").map(|v| v.span()).unwrap_or(span.clone());
                    self.problem(&sp, &join(&path, "id"), format!("office id `{id}` is used twice"));
                }
                office_ids.push(id.clone());
            }
            c.offices.push(Office {
                id: id.unwrap_or_default(),
                name: name.unwrap_or_default(),
                halls: halls.unwrap_or_default(),
                districts: districts.unwrap_or_default(),
                to,
                cc,
                language,
                show_personal_data: show,
                webhook,
                doc_number,
                addressee,
            });
        }
        office_ids
    }

    /// `[[hall_webhooks]]`: a robot per hall, of a hall an office supervises.
    fn hall_webhooks(&mut self, root: &Tbl<'_>, c: &mut Config) {
        for (i, (t, span)) in self.tables(root, "hall_webhooks").into_iter().enumerate() {
            let path = format!("hall_webhooks[{i}]");
            let hall = self.req_str(t, &span, &path, "hall");
            let webhook = self.webhook(t, &span, &path);
            if let Some(h) = &hall {
                let sp = self.get(t, "hall").map(|v| v.span()).unwrap_or(span.clone());
                if c.hall_webhooks.iter().any(|x| &x.hall == h) {
                    self.problem(&sp, &join(&path, "hall"), format!("hall `{h}` has a robot already"));
                } else if !c.offices.is_empty() && !c.offices.iter().any(|o| o.halls.contains(h) || !o.districts.is_empty()) {
                    // (An office by district may supervise it; that is known only from the halls table.)
                    self.problem(&sp, &join(&path, "hall"), format!("no office supervises hall `{h}`: its robot would never post"));
                }
            }
            if let (Some(hall), Some(webhook)) = (hall, webhook) {
                c.hall_webhooks.push(HallWebhook { hall, webhook });
            }
        }
    }

    /// `[documents]`: the CJK fonts of the PDF documents, relative to the file's folder.
    fn documents(&mut self, root: &Tbl<'_>, c: &mut Config, base: &Path) {
        if let Some((t, _)) = self.table(root, "", "documents") {
            self.unknown_keys(t, "documents", &["fonts"]);
            if let Some(files) = self.str_list(t, "documents", "fonts") {
                c.document_fonts = files.iter().map(|f| resolve(base, f)).collect();
            }
        }
    }

    /// `[smtp]`: the mail server; its password only through an environment variable.
    fn smtp(&mut self, root: &Tbl<'_>, c: &mut Config, base: &Path) {
        if let Some((t, span)) = self.table(root, "", "smtp") {
            self.unknown_keys(t, "smtp", &["host", "port", "security", "user", "password", "password_env", "from", "timeout_secs", "ca_file", "retries"]);
            let host = self.req_str(t, &span, "smtp", "host");
            let security = match self.str(t, "smtp", "security").as_deref() {
                None | Some("tls") => Security::Tls,
                Some("starttls") => Security::StartTls,
                Some("plain") => Security::Plain,
                Some(other) => {
                    let sp = self.get(t, "security").map(|v| v.span()).unwrap_or_default();
                    self.problem(&sp, "smtp.security", format!("`{other}`: expected tls (465), starttls (587) or plain"));
                    Security::Tls
                }
            };
            let default_port = match security {
                Security::Tls => 465,
                Security::StartTls => 587,
                Security::Plain => 25,
            };
            let port = self.int(t, "smtp", "port", 1, 65535).unwrap_or(default_port) as u16;
            let from = self.req_str(t, &span, "smtp", "from");
            if let Some(f) = &from
                && !valid_email(f) {
                    let sp = self.get(t, "from").map(|v| v.span()).unwrap_or_default();
                    self.problem(&sp, "smtp.from", format!("`{f}` is not an e-mail address"));
                }
            if self.get(t, "password").is_some() {
                let sp = self.get(t, "password").map(|v| v.span()).unwrap_or_default();
                self.problem(&sp, "smtp.password", "passwords never go in the file: set password_env to the name of an environment variable");
            }
            c.smtp = Some(Smtp {
                host: host.unwrap_or_default(),
                port,
                security,
                user: self.str(t, "smtp", "user"),
                password_env: self.str(t, "smtp", "password_env").unwrap_or_else(|| "WINDOWWATCH_SMTP_PASSWORD".into()),
                from: from.unwrap_or_default(),
                timeout_secs: self.int(t, "smtp", "timeout_secs", 1, 3600).unwrap_or(30) as u64,
                ca_file: self.str(t, "smtp", "ca_file").map(|s| resolve(base, &s)),
                retries: self.int(t, "smtp", "retries", 0, 20).unwrap_or(3) as u32,
            });
        }
    }

    /// `[[jobs]]`: each read into a typed [`Job`]; a job of an unknown type is a problem.
    fn jobs(&mut self, root: &Tbl<'_>, c: &mut Config) {
        let mut job_names: Vec<String> = Vec::new();
        for (i, (t, span)) in self.tables(root, "jobs").into_iter().enumerate() {
            let path = format!("jobs[{i}]");
            let kind = self.req_str(t, &span, &path, "type");
            let known_opts: &[&str] = kind.as_deref().and_then(|k| JOB_KINDS.iter().find(|(n, _)| *n == k)).map(|(_, o)| *o).unwrap_or(&[]);
            let mut known = vec!["name", "type", "cron"];
            known.extend_from_slice(known_opts);
            self.unknown_keys(t, &path, &known);
            if let Some(k) = &kind
                && !JOB_KINDS.iter().any(|(n, _)| n == k) {
                    let sp = self.get(t, "type").map(|v| v.span()).unwrap_or_default();
                    let kinds: Vec<&str> = JOB_KINDS.iter().map(|(n, _)| *n).collect();
                    self.problem(&sp, &join(&path, "type"), format!("`{k}`: expected one of {}", kinds.join(", ")));
                }
            let name = self.str(t, &path, "name").or_else(|| kind.clone()).unwrap_or_default();
            if job_names.contains(&name) {
                self.problem(&span, &join(&path, "name"), format!("job name `{name}` is used twice"));
            }
            job_names.push(name.clone());
            let cron = self.req_str(t, &span, &path, "cron");
            if let Some(cr) = &cron
                && let Err(e) = crate::config::validate_cron(cr) {
                    let sp = self.get(t, "cron").map(|v| v.span()).unwrap_or_default();
                    self.problem(&sp, &join(&path, "cron"), e);
                }
            let options = self.job_options(t, &path, known_opts);
            // An unknown or missing type is a problem reported above; the file is refused.
            if let Some(kind) = kind.as_deref().and_then(|k| JobKind::read(k, &options)) {
                let catch_up = match options.get("catch_up").map(String::as_str) {
                    Some("all") => CatchUp::All,
                    Some("latest") => CatchUp::Latest,
                    _ => kind.default_catch_up(),
                };
                let retry_secs = options.get("retry_secs").and_then(|v| seconds(v)).unwrap_or(0);
                c.jobs.push(Job { name, kind, cron: cron.unwrap_or_default(), catch_up, retry_secs });
            }
        }
    }

    /// The options of a job (`known` for its type), each checked by [`validate_job_option`].
    fn job_options(&mut self, t: &Tbl<'_>, path: &str, known: &[&str]) -> BTreeMap<String, String> {
        let mut options = BTreeMap::new();
        for o in known {
            if let Some(v) = self.get(t, o) {
                let s = match v.get_ref() {
                    DeValue::String(s) => s.to_string(),
                    DeValue::Integer(i) => i.as_str().to_string(),
                    DeValue::Boolean(b) => b.to_string(),
                    other => {
                        self.problem(&v.span(), &join(path, o), format!("expected a string, number or boolean, found {}", other.type_str()));
                        continue;
                    }
                };
                if let Err(e) = validate_job_option(o, &s) {
                    self.problem(&v.span(), &join(path, o), e);
                    continue;
                }
                options.insert(o.to_string(), s);
            }
        }
        options
    }

    /// `[sql]`: the users of `serve-sql`, each of an office of `office_ids` or of none.
    fn sql_users(&mut self, root: &Tbl<'_>, c: &mut Config, office_ids: &[String]) {
        if let Some((t, _)) = self.table(root, "", "sql") {
            self.unknown_keys(t, "sql", &["users"]);
            for (u, span) in self.tables(t, "users") {
                let i = c.sql_users.len();
                let path = format!("sql.users[{i}]");
                self.unknown_keys(u, &path, &["name", "password_env", "office", "show_personal_data"]);
                let name = self.req_str(u, &span, &path, "name");
                let password_env = self.req_str(u, &span, &path, "password_env");
                let office = self.str(u, &path, "office");
                let show_personal_data = self.bool(u, &path, "show_personal_data").unwrap_or(false);
                if let Some(o) = &office
                    && !office_ids.contains(o) {
                        let sp = self.get(u, "office").map(|v| v.span()).unwrap_or_default();
                        self.problem(&sp, &join(&path, "office"), format!("no office with id `{o}`"));
                    }
                c.sql_users.push(SqlUser { name: name.unwrap_or_default(), password_env: password_env.unwrap_or_default(), office, show_personal_data });
            }
        }
    }
}

/// A path of the file, relative to the file's folder `base` unless absolute (or a bucket URL).
fn resolve(base: &Path, p: &str) -> PathBuf {
    let pb = PathBuf::from(p);
    // A bucket URL (data_dir = "s3://…") is not a path relative to this file.
    if pb.is_absolute() || base.as_os_str().is_empty() || p.contains("://") { pb } else { base.join(pb) }
}

impl Config {
    /// Reads and validates a config file; every problem is reported at once.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![ConfigProblem { line: 0, key: "(file)".into(), message: e.to_string() }],
        })?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let (doc, syntax) = DeTable::parse_recoverable(text);
        let mut w = Walk { src: text, problems: Vec::new() };
        for e in syntax {
            let span = e.span().unwrap_or(0..0);
            w.problem(&span, "(syntax)", e.message().trim().to_string());
        }
        let root = doc.get_ref();
        let mut c = Config { file: Some(path.to_path_buf()), ..Config::default() };
        w.unknown_keys(root, "", &["data_dir", "outbox", "reports_dir", "inbox", "calendar", "rules", "ingest", "engine", "offices", "hall_webhooks", "smtp", "jobs", "sql", "privacy", "web", "documents", "reports"]);
        w.files(root, &mut c, &base);
        w.ingest(root, &mut c);
        w.privacy(root, &mut c);
        w.reports(root, &mut c);
        w.engine(root, &mut c);
        let office_ids = w.offices(root, &mut c);
        w.hall_webhooks(root, &mut c);
        w.documents(root, &mut c, &base);
        w.smtp(root, &mut c, &base);
        w.jobs(root, &mut c);
        w.sql_users(root, &mut c, &office_ids);
        if let Some((t, _)) = w.table(root, "", "web") {
            read_web(&mut w, t, &office_ids, &mut c.web);
        }
        if w.problems.is_empty() {
            Ok(c)
        } else {
            w.problems.sort_by_key(|p| p.line);
            Err(ConfigError { file: path.to_path_buf(), problems: w.problems })
        }
    }
}

/// `[web]` and its `[[web.users]]`: a role each, the office or hall the role needs, and exactly
/// one of `password_hash` and `password_env`.
fn read_web(w: &mut Walk<'_>, t: &Tbl<'_>, office_ids: &[String], web: &mut Web) {
    w.unknown_keys(t, "web", &["listen", "session_minutes", "secret_env", "users"]);
    web.listen = w.str(t, "web", "listen");
    if let Some(m) = w.int(t, "web", "session_minutes", 1, 7 * 24 * 60) {
        web.session_minutes = m as u64;
    }
    web.secret_env = w.str(t, "web", "secret_env");
    for (u, span) in w.tables(t, "users") {
        let path = format!("web.users[{}]", web.users.len());
        w.unknown_keys(u, &path, &["name", "role", "office", "hall", "password_hash", "password_env", "show_personal_data"]);
        let name = w.req_str(u, &span, &path, "name").unwrap_or_default();
        let role_text = w.req_str(u, &span, &path, "role");
        let role = role_text.as_deref().and_then(WebRole::parse);
        if let (Some(r), None) = (&role_text, role) {
            let sp = w.get(u, "role").map(|v| v.span()).unwrap_or(span.clone());
            w.problem(&sp, &join(&path, "role"), format!("`{r}` is no role (supervisor, hall, bureau or admin)"));
        }
        let office = w.str(u, &path, "office");
        let hall = w.str(u, &path, "hall");
        let password_hash = w.str(u, &path, "password_hash");
        let password_env = w.str(u, &path, "password_env");
        let show_personal_data = w.bool(u, &path, "show_personal_data").unwrap_or(false);
        if let Some(o) = &office
            && !office_ids.contains(o) {
                let sp = w.get(u, "office").map(|v| v.span()).unwrap_or(span.clone());
                w.problem(&sp, &join(&path, "office"), format!("no office with id `{o}`"));
            }
        match role {
            Some(WebRole::Supervisor | WebRole::Bureau) if office.is_none() => w.problem(&span, &join(&path, "office"), "a supervisor or bureau login needs the office it belongs to"),
            Some(WebRole::Hall) if hall.is_none() => w.problem(&span, &join(&path, "hall"), "a hall login needs its hall"),
            _ => {}
        }
        match (&password_hash, &password_env) {
            (None, None) => w.problem(&span, &join(&path, "password_hash"), "give password_hash (from `windowwatch passwd`) or password_env"),
            (Some(_), Some(_)) => w.problem(&span, &join(&path, "password_hash"), "give password_hash or password_env, not both"),
            (Some(h), None) if !h.starts_with("$argon2") => {
                let sp = w.get(u, "password_hash").map(|v| v.span()).unwrap_or(span.clone());
                w.problem(&sp, &join(&path, "password_hash"), "not an argon2 hash: `windowwatch passwd` prints one ($argon2id$…)");
            }
            _ => {}
        }
        if web.users.iter().any(|x| x.name == name) {
            w.problem(&span, &join(&path, "name"), format!("`{name}` is already a login"));
        }
        web.users.push(WebUser { name, role: role.unwrap_or(WebRole::Supervisor), office, hall, password_hash, password_env, show_personal_data });
    }
}

/// Reads a cron expression exactly as tokio-cron-scheduler does (6 fields, seconds first;
/// day-of-month and day-of-week must both match).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let n = expr.split_whitespace().count();
    if !(6..=7).contains(&n) {
        return Err(format!("`{expr}`: expected 6 fields (sec min hour day month weekday), found {n}"));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("`{expr}`: {e}"))
}

/// An id that becomes a folder or file name (an office's reports land in `OUT/<id>/`): a plain
/// name — not empty, at most 64 characters, no path separator or character Windows refuses, no
/// control character, not starting with a dot or a space.
pub fn plain_name(id: &str) -> Result<(), &'static str> {
    const REFUSED: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];
    if id.is_empty() {
        return Err("must not be empty");
    }
    if id.chars().count() > 64 {
        return Err("at most 64 characters");
    }
    if id.starts_with('.') || id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace) {
        return Err("must not start with a dot, nor start or end with a space (it names a folder)");
    }
    if id.chars().any(|c| c.is_control() || REFUSED.contains(&c)) {
        return Err("must be a plain name: no / \\ : * ? \" < > | or control characters (it names a folder)");
    }
    Ok(())
}

pub fn validate_cron(expr: &str) -> Result<(), String> {
    parse_cron(expr).map(|_| ())
}

fn china(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono_tz::Tz> {
    use chrono::TimeZone;
    let sh = chrono_tz::Asia::Shanghai;
    sh.from_local_datetime(&t).earliest().unwrap_or_else(|| sh.from_utc_datetime(&t))
}

/// The first firing of `cron` strictly after `t`, China time (the zone the scheduler fires in):
/// a job's next run.
pub fn next_after(cron: &croner::Cron, t: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
    cron.find_next_occurrence(&china(t), false).ok().map(|d| d.naive_local())
}

/// The latest firing of `cron` at or before `t`, China time.
pub fn latest_at_or_before(cron: &croner::Cron, t: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
    cron.find_previous_occurrence(&china(t), true).ok().map(|d| d.naive_local())
}

/// The next run after `t` of the job whose cron expression is `expr` (None: an expression
/// `config check` refuses, or one that never fires again).
pub fn next_run(expr: &str, t: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
    next_after(&parse_cron(expr).ok()?, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_of_a_cron_is_its_first_firing_after_the_instant_in_china_time() {
        let t = |s: &str| crate::clock::parse_timestamp(s).unwrap();
        assert_eq!(next_run("0 0 7 * * *", t("2026-12-07 22:20:00")), Some(t("2026-12-08 07:00:00")));
        assert_eq!(next_run("0 0 7 * * *", t("2026-12-07 06:59:59")), Some(t("2026-12-07 07:00:00")));
        // Strictly after: a firing at the instant itself is the last one, not the next.
        assert_eq!(next_run("0 0 7 * * *", t("2026-12-07 07:00:00")), Some(t("2026-12-08 07:00:00")));
        assert_eq!(next_run("0 0 8 1 * *", t("2026-12-07 00:00:00")), Some(t("2027-01-01 08:00:00")));
        assert_eq!(next_run("0 30 9 * * Mon-Fri", t("2026-12-11 10:00:00")), Some(t("2026-12-14 09:30:00")));
        assert_eq!(next_run("not a cron", t("2026-12-07 00:00:00")), None);
    }

    #[test]
    fn a_good_file_resolves_paths_relative_to_itself() {
        let text = r#"
data_dir = "data"
[calendar]
files = ["local.csv"]
[ingest]
numeric_levels = "1=非常不满意"
[ingest.aliases.tickets]
"柜台号" = "window_id"
[engine]
memory_limit = "2GiB"
[[offices]]
id = "a"
name = "甲监督科"
halls = ["H01"]
to = ["a@example.cn"]
"#;
        let c = Config::parse(text, Path::new("/etc/ww/windowwatch.toml")).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/etc/ww/data"));
        assert_eq!(c.outbox, PathBuf::from("/etc/ww/outbox"));
        assert_eq!(c.calendar_files, vec![PathBuf::from("/etc/ww/local.csv")]);
        assert_eq!(c.numeric_levels, Some(NumericLevels::OneIsWorst));
        assert_eq!(c.aliases[&Table::Tickets]["柜台号"], "window_id");
        assert_eq!(c.memory_limit, Some(2 * 1024 * 1024 * 1024));
        assert_eq!(c.offices[0].language, "zh-CN");
    }

    #[test]
    fn every_mistake_is_reported_with_its_line() {
        let text = r#"data_dir = 5
colour = "blue"
[ingest]
numeric_levels = "1=好"
[[offices]]
name = "无编号"
halls = ["H01"]
to = ["not-an-address"]
[smtp]
host = "smtp.example.cn"
security = "ssl"
from = "ww@example.cn"
password = "secret"
[[jobs]]
type = "monthly"
cron = "0 0 8 1 * *"
colour = 1
"#;
        let e = Config::parse(text, Path::new("w.toml")).unwrap_err();
        let lines: Vec<(usize, &str)> = e.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert!(lines.contains(&(1, "data_dir")), "{e}");
        assert!(lines.contains(&(2, "colour")), "{e}");
        assert!(lines.contains(&(4, "ingest.numeric_levels")), "{e}");
        assert!(lines.iter().any(|(_, k)| *k == "offices[0].id"), "{e}");
        assert!(lines.contains(&(8, "offices[0]")), "{e}");
        assert!(lines.contains(&(11, "smtp.security")), "{e}");
        assert!(lines.contains(&(13, "smtp.password")), "{e}");
        assert!(lines.contains(&(17, "jobs[0].colour")), "{e}");
        assert_eq!(e.problems.len(), 8, "{e}");
        assert!(!e.to_string().contains("secret"), "the password itself is never echoed");
    }

    #[test]
    fn the_findings_a_monthly_body_lists_per_rule_are_a_bounded_whole_number() {
        assert_eq!(Config::parse("", Path::new("w.toml")).unwrap().findings_per_rule, FINDINGS_PER_RULE);
        assert_eq!(Config::parse("[reports]\nfindings_per_rule = 0\n", Path::new("w.toml")).unwrap().findings_per_rule, 0);
        for bad in ["findings_per_rule = -1", "findings_per_rule = 1_000_000", "findings_per_rule = \"20\"", "rows = 3"] {
            let e = Config::parse(&format!("[reports]\n{bad}\n"), Path::new("w.toml")).unwrap_err();
            assert_eq!((e.problems.len(), e.problems[0].line), (1, 2), "{bad}: {e}");
        }
    }

    #[test]
    fn web_logins_need_a_known_role_their_office_or_hall_and_one_password() {
        let good = "[[offices]]\nid = \"jia\"\nname = \"n\"\nhalls = [\"H01\"]\n[web]\nsession_minutes = 30\n\
                    [[web.users]]\nname = \"a\"\nrole = \"supervisor\"\noffice = \"jia\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\n\
                    [[web.users]]\nname = \"h\"\nrole = \"hall\"\nhall = \"H01\"\npassword_env = \"WW_H\"\n";
        let c = Config::parse(good, Path::new("w.toml")).unwrap();
        assert_eq!(c.web.session_minutes, 30);
        assert_eq!(c.web.users.len(), 2);
        assert_eq!(c.web.users[1].role, WebRole::Hall);
        let bad = "[[offices]]\nid = \"jia\"\nname = \"n\"\nhalls = [\"H01\"]\n[web]\n\
                   [[web.users]]\nname = \"a\"\nrole = \"boss\"\npassword_env = \"X\"\n\
                   [[web.users]]\nname = \"b\"\nrole = \"supervisor\"\npassword_hash = \"plain\"\n\
                   [[web.users]]\nname = \"c\"\nrole = \"hall\"\n\
                   [[web.users]]\nname = \"d\"\nrole = \"admin\"\npassword_env = \"X\"\npassword_hash = \"$argon2id$x\"\ncolour = 1\n";
        let e = Config::parse(bad, Path::new("w.toml")).unwrap_err().to_string();
        for want in ["`boss` is no role", "needs the office", "not an argon2 hash", "a hall login needs its hall", "give password_hash (from", "not both", "web.users[3].colour"] {
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn name_patterns_are_globs_or_regexes_on_the_whole_name() {
        let g = name_pattern("*排队*.csv").unwrap();
        assert!(g.is_match("大厅排队记录.CSV") && !g.is_match("排队.csv.tmp"));
        let g = name_pattern("cases-[0-9]?.xlsx").unwrap();
        assert!(g.is_match("cases-12.xlsx") && !g.is_match("xcases-12.xlsx"));
        assert!(name_pattern("re:^q_\\d+\\.csv$").unwrap().is_match("q_7.csv"));
        assert!(name_pattern("[abc").is_err() && name_pattern("re:(").is_err());
        assert!(validate_job_option("settle_secs", "30").is_ok() && validate_job_option("settle_secs", "-1").is_err());
        assert!(validate_job_option("catch_up", "all").is_ok() && validate_job_option("send", "yes").is_err());
    }

    #[test]
    fn office_ids_are_plain_names() {
        for bad in ["../../x", "..", ".", "a/b", "a\\b", "/etc", "x\0y", "C:x", " a", "a\n", "", &"长".repeat(65)] {
            assert!(plain_name(bad).is_err(), "{bad:?} passed");
            let text = format!("[[offices]]\nid = {}\nname = \"n\"\nhalls = [\"H01\"]\n", toml::Value::String(bad.to_string()));
            let e = Config::parse(&text, Path::new("w.toml")).unwrap_err();
            assert!(e.problems.iter().any(|p| p.key == "offices[0].id"), "{bad:?}: {e}");
        }
        for good in ["a", "南城监督科", "office-1_B", "甲 监督科"] {
            assert_eq!(plain_name(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn robots_are_read_and_every_mistake_reported_without_echoing_a_secret() {
        let good = r#"
[[offices]]
id = "jia"
name = "甲"
halls = ["H01", "H02"]
webhook = { kind = "dingtalk", url_env = "WW_ROBOT_JIA", secret_env = "WW_ROBOT_JIA_SECRET" }
[[hall_webhooks]]
hall = "H02"
kind = "wecom"
url_env = "WW_ROBOT_H02"
"#;
        let c = Config::parse(good, Path::new("w.toml")).unwrap();
        assert_eq!(c.offices[0].webhook, Some(Webhook { kind: RobotKind::DingTalk, url_env: "WW_ROBOT_JIA".into(), secret_env: Some("WW_ROBOT_JIA_SECRET".into()) }));
        assert_eq!(c.hall_webhooks, vec![HallWebhook { hall: "H02".into(), webhook: Webhook { kind: RobotKind::WeCom, url_env: "WW_ROBOT_H02".into(), secret_env: None } }]);
        let bad = r#"
[[offices]]
id = "jia"
name = "甲"
halls = ["H01"]
webhook = { kind = "feishu", url = "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET" }
[[hall_webhooks]]
hall = "H09"
kind = "wecom"
url_env = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ALSOSECRET"
secret_env = "X"
colour = 1
[[hall_webhooks]]
kind = "dingtalk"
"#;
        let e = Config::parse(bad, Path::new("w.toml")).unwrap_err();
        let keys: Vec<&str> = e.problems.iter().map(|p| p.key.as_str()).collect();
        for k in ["offices[0].webhook.url", "offices[0].webhook.kind", "offices[0].webhook.url_env", "hall_webhooks[0].hall", "hall_webhooks[0].url_env", "hall_webhooks[0].secret_env", "hall_webhooks[0].colour", "hall_webhooks[1].hall", "hall_webhooks[1].url_env"] {
            assert!(keys.contains(&k), "{k} missing: {e}");
        }
        let text = e.to_string();
        assert!(!text.contains("TOPSECRET") && !text.contains("ALSOSECRET"), "{text}");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("512MiB"), Some(512 * 1024 * 1024));
        assert_eq!(parse_bytes("1.5G"), Some(1536 * 1024 * 1024));
        assert_eq!(parse_bytes("lots"), None);
    }
}
