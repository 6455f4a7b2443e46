//! Getting a hall started and keeping its configuration right: `windowwatch init [DIR]` writes a
//! commented starter `windowwatch.toml` and the folders it names; `windowwatch config check`
//! validates a configuration and reports every problem at once, each with its line.
//!
//! The starter is the documentation of the file: every section is there, active where a sensible
//! default exists, commented out (`#key = value`, ready to uncomment) where it needs the hall's own
//! facts. Tests keep it honest: the starter passes `config check`, and so does the starter with
//! every example uncommented.

use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigError};
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{path} already exists; not overwriting it (use --force to replace it)", path = .0.display())]
    Exists(PathBuf),
    #[error("{path}: {source}", path = .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no configuration file: none given with --config and no windowwatch.toml here (`windowwatch init` writes one)")]
    NoConfig,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{file}: {n} problem{s} beyond the file itself:\n{list}", file = .file.display(), n = .problems.len(), s = if .problems.len() == 1 { "" } else { "s" }, list = .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Resolve { file: PathBuf, problems: Vec<String> },
}

/// The starter configuration `init` writes.
pub const STARTER: &str = include_str!("windowwatch.starter.toml");

/// Writes `dir/windowwatch.toml` and the folders it names. Returns the files and folders made.
pub fn init(dir: &Path, force: bool) -> Result<Vec<PathBuf>, SetupError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SetupError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let file = dir.join("windowwatch.toml");
    if file.exists() && !force {
        return Err(SetupError::Exists(file));
    }
    let mut made = Vec::new();
    std::fs::write(&file, STARTER).map_err(io(&file))?;
    made.push(file.clone());
    let cfg = Config::parse(STARTER, &file)?;
    for d in [cfg.data_dir.clone(), cfg.inbox.clone(), cfg.inbox.join("processed"), cfg.inbox.join("rejected"), cfg.outbox.clone(), cfg.reports_dir.clone()] {
        if !d.exists() {
            std::fs::create_dir_all(&d).map_err(io(&d))?;
            made.push(d);
        }
    }
    Ok(made)
}

/// What `config check` found: the config, and warnings that are not errors.
pub struct Checked {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Validates a configuration: the file (every problem with its line), then what it refers to
/// (calendar files, rule profile, queries folder), resolved with the flags exactly as every other
/// command resolves them ([`Settings::compile`]). Fails with all problems at once.
pub fn check(file: Option<&Path>, g: &GlobalArgs) -> Result<Checked, SetupError> {
    let path = file.map(Path::to_path_buf).or_else(|| Settings::config_file(g)).ok_or(SetupError::NoConfig)?;
    let config = Settings::compile(Config::load(&path)?, g).map_err(|problems| SetupError::Resolve { file: path, problems })?.config;
    let mut warnings = Vec::new();
    if let Some(s) = &config.smtp
        && s.user.is_some()
        && std::env::var(&s.password_env).map(|v| v.is_empty()).unwrap_or(true)
    {
        warnings.push(format!("smtp.user is set but ${} is not set in this environment (the daemon needs it to send)", s.password_env));
    }
    for (what, dir) in [("inbox", &config.inbox), ("data_dir", &config.data_dir)] {
        if !dir.exists() {
            warnings.push(format!("{what} {} does not exist yet (serve creates it)", dir.display()));
        }
    }
    if config.jobs.is_empty() {
        warnings.push("no [[jobs]]: `windowwatch serve` would have nothing to do".into());
    }
    Ok(Checked { config, warnings })
}

/// The short summary `config check` prints for a valid file.
pub fn summary(c: &Config) -> String {
    let file = c.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
    let mut s = format!("{file}: valid\n");
    s.push_str(&format!("  data_dir    {}\n", c.data_dir.display()));
    s.push_str(&format!("  inbox       {}\n  outbox      {}\n  reports_dir {}\n", c.inbox.display(), c.outbox.display(), c.reports_dir.display()));
    s.push_str(&format!(
        "  offices     {}\n",
        if c.offices.is_empty() { "none (every report covers all halls and goes to the outbox)".to_string() } else { c.offices.iter().map(|o| o.id.as_str()).collect::<Vec<_>>().join(", ") }
    ));
    s.push_str(&format!(
        "  delivery    {}\n",
        match &c.smtp {
            Some(m) => format!("smtp {}:{} from {}", m.host, m.port, m.from),
            None => format!("outbox {} (no [smtp])", c.outbox.display()),
        }
    ));
    s.push_str(&format!("  jobs        {}", if c.jobs.is_empty() { "none".to_string() } else { String::new() }));
    for j in &c.jobs {
        s.push_str(&format!("\n    {:<10} {:<9} {}", j.name, j.kind.name(), j.cron));
    }
    s
}
