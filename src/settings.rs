//! Raw CLI arguments and windowwatch.toml resolved into one `Settings` before anything runs.
//! Command-line flags win over the file; the file wins over built-in defaults.

use std::path::PathBuf;

use crate::calendar::{Calendar, CalendarError};
use crate::checks::catalog::Catalog;
use crate::checks::profile::{Profile, ProfileError};
use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigError, parse_bytes};
use crate::engine::EngineSettings;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("queries: {0}")]
    Queries(String),
    #[error("--memory-limit `{0}`: expected a size such as 2GiB")]
    MemoryLimit(String),
    #[error("{0}")]
    Several(String),
}

pub struct Settings {
    pub config: Config,
    pub calendar: Calendar,
    pub catalog: Catalog,
    pub profile: Profile,
    pub engine: EngineSettings,
    pub quiet: bool,
}

impl Settings {
    /// The settings of every command: the config file (or the defaults) compiled with the flags.
    /// A bucket (`data_dir = "s3://…"`) stays a name here: it is met when the warehouse is opened
    /// (`store::Warehouse::open`).
    pub fn resolve(g: &GlobalArgs) -> Result<Settings, SettingsError> {
        let config = match Settings::config_file(g) {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        };
        Settings::compile(config, g).map_err(|problems| SettingsError::Several(problems.join("\n")))
    }

    /// The configuration file: `--config`, else `./windowwatch.toml` when there is one.
    pub fn config_file(g: &GlobalArgs) -> Option<PathBuf> {
        g.config.clone().or_else(|| {
            let p = PathBuf::from("windowwatch.toml");
            p.exists().then_some(p)
        })
    }

    /// Compiles a loaded config with the flags into settings: the calendar, the rule catalog and
    /// profile it names, the engine's limits. Every problem is listed at once (`config check` lists
    /// them the same way); nothing is written and no bucket is contacted.
    pub fn compile(mut config: Config, g: &GlobalArgs) -> Result<Settings, Vec<String>> {
        if let Some(d) = &g.data {
            config.data_dir = d.clone();
        }
        let mut errors: Vec<String> = Vec::new();
        #[cfg(not(feature = "s3"))]
        if is_bucket(&config) {
            errors.push(format!("--data {}: a bucket needs the `s3` feature (cargo build --features s3)", config.data_dir.display()));
        }
        let mut files = config.calendar_files.clone();
        files.extend(g.calendar.iter().cloned());
        let calendar = Calendar::load(config.calendar_builtin && !g.no_builtin_calendar, &files).map_err(|e| errors.push(e.to_string())).ok();
        let catalog = match g.queries.as_ref().or(config.queries.as_ref()) {
            Some(dir) => Catalog::from_dir(dir).map_err(|e| errors.push(e.to_string())).ok(),
            None => Some(Catalog::builtin()),
        };
        let profile = match (&catalog, g.profile.as_ref().or(config.profile.as_ref())) {
            (Some(c), Some(p)) => Profile::load(p, c).map_err(|e| errors.push(e.to_string())).ok(),
            (Some(c), None) => Some(Profile::defaults(c)),
            (None, _) => None,
        };
        let mut engine = EngineSettings { target_partitions: config.target_partitions, memory_limit: config.memory_limit, ..EngineSettings::default() };
        if let Some(m) = &g.memory_limit {
            match parse_bytes(m) {
                Some(b) => engine.memory_limit = Some(b),
                None => errors.push(SettingsError::MemoryLimit(m.clone()).to_string()),
            }
        }
        match (calendar, catalog, profile) {
            (Some(calendar), Some(catalog), Some(profile)) if errors.is_empty() => Ok(Settings { config, calendar, catalog, profile, engine, quiet: g.quiet }),
            _ => Err(errors),
        }
    }
}

/// Whether the data lives in a bucket (`s3://…`).
#[cfg(not(feature = "s3"))]
fn is_bucket(config: &Config) -> bool {
    config.data_dir.to_str().is_some_and(|d| d.starts_with("s3://"))
}
