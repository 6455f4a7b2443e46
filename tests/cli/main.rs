//! The one integration-test binary: it drives the real `windowwatch` CLI on real files in a
//! temporary folder and reads back what it wrote (Parquet, XLSX, mail).

mod common;
mod ingest;
mod checks;
pub mod reports;
pub mod truth;
mod deliver;
mod formulas;
mod serve;
mod config;
mod sql;
pub mod names;
mod records;
mod responses;
mod assessment;
mod scale;
#[cfg(feature = "pgwire")]
mod pgwire;
#[cfg(feature = "ballista")]
mod ballista;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "robots")]
mod robots;
#[cfg(feature = "web")]
mod web;
mod documents;
