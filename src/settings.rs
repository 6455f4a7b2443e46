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
    pub fn resolve(g: &GlobalArgs) -> Result<Settings, SettingsError> {
        let config_path = g.config.clone().or_else(|| {
            let p = PathBuf::from("windowwatch.toml");
            p.exists().then_some(p)
        });
        let mut config = match &config_path {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        if let Some(d) = &g.data {
            config.data_dir = d.clone();
        }
        // A bucket: the warehouse is opened at its local copy, synchronised with the bucket.
        if config.data_dir.to_str().is_some_and(|d| d.starts_with("s3://")) {
            #[cfg(feature = "s3")]
            {
                let url = config.data_dir.to_string_lossy().into_owned();
                config.data_dir = crate::store::remote::Remote::connect(&url).map_err(|e| SettingsError::Several(e.to_string()))?;
            }
            #[cfg(not(feature = "s3"))]
            return Err(SettingsError::Several(format!("--data {}: a bucket needs the `s3` feature (cargo build --features s3)", config.data_dir.display())));
        }
        // Everything below can fail independently; report all of it at once.
        let mut errors: Vec<String> = Vec::new();
        let mut files = config.calendar_files.clone();
        files.extend(g.calendar.iter().cloned());
        let calendar = match Calendar::load(config.calendar_builtin && !g.no_builtin_calendar, &files) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        let queries = g.queries.clone().or(config.queries.clone());
        let catalog = match &queries {
            Some(dir) => match Catalog::from_dir(dir) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            },
            None => Some(Catalog::builtin()),
        };
        let profile = match (&catalog, g.profile.clone().or(config.profile.clone())) {
            (Some(c), Some(p)) => match Profile::load(&p, c) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            },
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
        if !errors.is_empty() {
            return Err(SettingsError::Several(errors.join("\n")));
        }
        Ok(Settings {
            config,
            calendar: calendar.expect("no error"),
            catalog: catalog.expect("no error"),
            profile: profile.expect("no error"),
            engine,
            quiet: g.quiet,
        })
    }
}
