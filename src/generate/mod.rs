//! Sample data: the four exports of a few halls over several months, in mixed formats, with
//! violations of every rule planted and a ground truth of the findings.
//!
//! (Being written; the manifest below is the interface the demo and the tests rely on.)

use std::path::{Path, PathBuf};

use crate::calendar::Calendar;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("generate: {0}")]
    Io(#[from] std::io::Error),
    #[error("generate: --scale `{0}`: expected small, medium, province, province10 or a multiplier such as 0.5")]
    Scale(String),
    #[error("generate: {0}")]
    Other(String),
}

/// One generated export file, in the order it is to be ingested.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestFile {
    pub table: String,
    /// Relative to the manifest's folder.
    pub path: String,
    /// csv, xlsx or jsonl.
    pub format: String,
    /// For text files: utf-8, utf-8-bom, gb18030.
    pub encoding: Option<String>,
    /// For ratings files with numeric levels: "1=非常满意" or "1=非常不满意".
    pub numeric_levels: Option<String>,
    /// Rows in the file (data rows, not the header).
    pub rows: u64,
}

/// `manifest.json` of a generated set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub seed: u64,
    pub scale: String,
    /// The as-of instant the ground truth is for ("YYYY-MM-DD HH:MM:SS").
    pub as_of: String,
    pub months: Vec<String>,
    pub halls: Vec<String>,
    /// In ingest order.
    pub files: Vec<ManifestFile>,
    /// ground_truth.jsonl: one finding per line, same fields as `check --format jsonl`.
    pub truth: Option<String>,
    /// expected_quarantine.jsonl: {"table","file","line","reason"} per planted bad row.
    pub quarantine: Option<String>,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Manifest, GenerateError> {
        let text = std::fs::read_to_string(dir.join("manifest.json"))?;
        serde_json::from_str(&text).map_err(|e| GenerateError::Other(format!("{}/manifest.json: {e}", dir.display())))
    }
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub out: PathBuf,
    pub seed: u64,
    pub scale: String,
    pub truth: bool,
}

pub fn generate(_opts: &GenerateOptions, _cal: &Calendar) -> Result<Manifest, GenerateError> {
    Err(GenerateError::Other("not yet written".into()))
}
