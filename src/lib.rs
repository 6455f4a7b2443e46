//! windowwatch — supervision of medical-insurance service windows (医疗保障窗口服务监督).
//!
//! The data flows contract/calendar → ingest → store → checks → report → deliver; `schedule`
//! `sql` and `web` sit beside them, and `commands` (the CLI edge) wires a whole run together. Which
//! module may import which is drawn in `docs/architecture.md`, and `scripts/layers.py` holds the
//! code to it.

pub mod bench;
pub mod calendar;
pub mod contract;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod engine;
pub mod generate;
pub mod ingest;
pub mod output;
pub mod progress;
pub mod schedule;
pub mod setup;
pub mod sql;
#[cfg(feature = "web")]
pub mod web;
pub mod session;
pub mod settings;
pub mod store;
pub mod mask;
pub mod deliver;
pub mod report;
