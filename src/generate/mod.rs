//! Sample data: the four exports of a few halls over several months, in mixed formats, with
//! violations of every rule planted and a ground truth of the findings.
//!
//! `generate` builds the sample set (three halls, 2026-08 to 2026-10 plus a few days of November,
//! every file format and spelling the contract allows, overlapping exports, planted violations
//! and bad rows), splits it into export files, folds the files the way the ingest will (later
//! export wins by key, bad rows left out) and runs the independent oracle over the result for
//! `ground_truth.jsonl`. Larger scales add streamed CSV exports of many more halls (`bulk`),
//! whose findings the oracle computes as the rows are written.
//!
//! Beside the exports: the reference tables of the sample's halls (`reference`: halls, windows
//! with A岗/B岗, the staff roster, with planted gaps), `manifest.json` (files in ingest order), `ground_truth.jsonl` (the oracle's
//! findings at the as-of instant), `expected_quarantine.jsonl` (every planted bad row: table, file,
//! line, reason) and `planted.jsonl` (what each planted scenario is meant to produce or not).

pub mod assessment;
pub mod bulk;
pub mod layout;
pub mod model;
pub mod names;
pub mod oracle;
pub mod records;
pub mod reference;
pub mod scenarios;
pub mod writers;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::calendar::Calendar;
use crate::contract::Table;
use layout::FileSpec;
use model::{Record, Records, Ts, at, ymd};
use oracle::{Finding, Oracle};
use scenarios::{Expect, World};
use writers::Row;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("generate: {0}")]
    Io(#[from] std::io::Error),
    #[error("generate: --scale `{0}`: expected small, medium, province, province10 or a multiplier such as 0.5")]
    Scale(String),
    #[error("generate: {0}")]
    Other(String),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
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
    /// planted.jsonl: what each planted scenario is meant to produce (or not):
    /// {"rule","entity_id","month","present","what"}. The truth is the oracle's; this is the intent.
    #[serde(default)]
    pub planted: Option<String>,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Manifest, GenerateError> {
        let text = std::fs::read_to_string(dir.join("manifest.json"))?;
        serde_json::from_str(&text).map_err(|e| GenerateError::Other(format!("{}/manifest.json: {e}", dir.display())))
    }

    /// Ingests every file of the set (in `dir`), in the manifest's order; `force` ingests a file
    /// again even when its bytes were ingested before (the benchmark's rounds).
    pub fn ingest(&self, wh: &crate::store::Warehouse, dir: &Path, force: bool) -> Result<Vec<crate::ingest::IngestReport>, GenerateError> {
        self.files.iter().map(|f| Ok(crate::ingest::ingest(wh, &f.ingest_options(dir, force)?)?)).collect()
    }
}

impl ManifestFile {
    /// How this file is ingested: its table, its path under `dir`, its numeric levels.
    pub fn ingest_options(&self, dir: &Path, force: bool) -> Result<crate::ingest::IngestOptions, GenerateError> {
        let table = crate::contract::Table::parse(&self.table).ok_or_else(|| GenerateError::Other(format!("manifest: unknown table {}", self.table)))?;
        Ok(crate::ingest::IngestOptions {
            table,
            files: vec![dir.join(&self.path)],
            encoding: None,
            sheet: None,
            numeric_levels: self.numeric_levels.as_deref().and_then(crate::contract::NumericLevels::parse),
            aliases: Default::default(),
            force,
        })
    }
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub out: PathBuf,
    pub seed: u64,
    pub scale: String,
    pub truth: bool,
}

/// The as-of instant of every generated set: 2026-11-01 00:00:00 (October has ended).
pub fn as_of() -> Ts {
    at(ymd(2026, 11, 1), 0, 0, 0)
}

pub const TRUTH_FILE: &str = "ground_truth.jsonl";
pub const QUARANTINE_FILE: &str = "expected_quarantine.jsonl";
pub const PLANTED_FILE: &str = "planted.jsonl";

/// A multiplier of the province volume (per month ≈ 3M tickets, 2.5M cases, 1.8M ratings,
/// 20k denials) for the streamed part, or none (the sample only).
pub fn parse_scale(s: &str) -> Result<Option<f64>, GenerateError> {
    match s.trim() {
        "small" => Ok(None),
        // About ten times the sample's rows.
        "medium" => Ok(Some(0.005)),
        "province" => Ok(Some(1.0)),
        "province10" => Ok(Some(10.0)),
        other => match other.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 && x <= 100.0 => Ok(Some(x)),
            _ => Err(GenerateError::Scale(s.to_string())),
        },
    }
}

/// One expected quarantine line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantineLine {
    pub table: String,
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// The sample set once written: its files, what the warehouse will hold, what the planting meant.
pub struct Sample {
    pub files: Vec<ManifestFile>,
    pub halls: Vec<String>,
    pub finals: Records,
    pub quarantine: Vec<QuarantineLine>,
    pub expect: Vec<Expect>,
    /// The reference tables written beside the exports (halls, windows, staff).
    pub roster: reference::Roster,
    /// The supervisors' records (their own random stream, written last), of the roster's staff.
    pub records: records::RecordSet,
}

impl Sample {
    /// The oracle's findings of the sample at `t`: the exports' rules, the roster's and the
    /// records', sorted. `more_staff`: staff ids that other files of the set add to the staff table.
    pub fn truth(&self, cal: &Calendar, t: Ts, more_staff: &std::collections::BTreeSet<String>) -> Vec<Finding> {
        let oracle = Oracle::new(cal, t);
        let mut out = oracle.evaluate(&self.finals);
        let mut known = self.roster.staff_ids();
        known.extend(more_staff.iter().cloned());
        oracle.roster(&self.finals, &self.roster, &known, &mut out);
        // response.late over the records' red findings too (evaluate covered the exports').
        let mut recorded = records::findings(&self.records, cal, t);
        oracle.late_responses(&mut recorded);
        out.extend(recorded);
        // assessment.bottom scores every finding so far, the records' and response.late's included.
        oracle.assessment_bottom(&self.finals, &mut out);
        oracle::sort_findings(&mut out);
        out
    }
}

fn creation(r: &Record) -> Ts {
    match r {
        Record::Ticket(x) => x.issued_at,
        Record::Case(x) => x.accepted_at,
        Record::Rating(x) => x.rated_at,
        Record::Denial(x) => x.decided_at,
    }
}

/// The records file `spec` holds, as of its export instant, in time order.
fn records_for(w: &World, spec: &FileSpec, roles: &layout::Roles) -> Vec<Record> {
    let x = spec.exported_at;
    let mut out: Vec<Record> = Vec::new();
    match spec.table {
        Table::Tickets => {
            for t in &w.tickets {
                if layout::ticket_file(t) == spec.id && t.issued_at <= x {
                    out.push(Record::Ticket(t.clone()));
                }
            }
        }
        Table::Cases => {
            for c in &w.cases {
                if layout::case_files(c, roles).contains(&spec.id)
                    && let Some(c) = c.exported_at(x)
                {
                    out.push(Record::Case(c));
                }
            }
        }
        Table::Ratings => {
            for (r, route) in &w.ratings {
                if layout::rating_files(r, *route).contains(&spec.id)
                    && let Some(r) = r.exported_at(x)
                {
                    out.push(Record::Rating(r));
                }
            }
        }
        Table::Denials => {
            for (d, route) in &w.denials {
                if layout::denial_files(d, *route, roles).contains(&spec.id)
                    && let Some(d) = d.exported_at(x)
                {
                    out.push(Record::Denial(d));
                }
            }
        }
        // The reference tables and the supervisors' records are not the halls' exports.
        _ => {}
    }
    out.sort_by_key(|r| (creation(r), r.key()));
    out
}

/// Builds and writes the sample set into `out`.
pub fn write_sample(out: &Path, seed: u64, cal: &Calendar) -> Result<Sample, GenerateError> {
    std::fs::create_dir_all(out)?;
    let rng = ChaCha8Rng::seed_from_u64(seed);
    let (world, mut rng) = scenarios::build(rng, cal);
    let roles = world.roles();
    let specs = layout::plan(&roles);
    let mut files = Vec::new();
    let mut quarantine = Vec::new();
    // key → record, folded in ingest order: the later file's row replaces the earlier one.
    let mut finals: BTreeMap<(Table, String), Record> = BTreeMap::new();
    for spec in &specs {
        let good = records_for(&world, spec, &roles);
        let rows = with_bad_rows(&world, spec, &good, &mut rng);
        let path = out.join(&spec.path);
        let plain: Vec<Row> = rows.iter().map(|(r, _)| r.clone()).collect();
        let written = writers::write_file(&path, spec.table, &spec.style, &plain, &mut rng, spec.exported_at)?;
        for ((_, reason), line) in rows.iter().zip(&written.lines) {
            if let Some(reason) = reason {
                quarantine.push(QuarantineLine {
                    table: spec.table.name().into(),
                    file: spec.path.clone(),
                    line: *line,
                    reason: (*reason).into(),
                });
            }
        }
        for r in good {
            finals.insert((spec.table, r.key()), r);
        }
        files.push(ManifestFile {
            table: spec.table.name().into(),
            path: spec.path.clone(),
            format: spec.style.format.name().into(),
            encoding: spec.style.format.encoding().map(|e| e.name().into()),
            numeric_levels: spec.numeric_levels.map(|n| n.as_str().into()),
            rows: rows.len() as u64,
        });
    }
    let (file, tickets) = write_assessment_tickets(out, &world, seed)?;
    files.push(file);
    for t in tickets {
        finals.insert((Table::Tickets, t.key()), t);
    }
    let mut records = Records::default();
    for (_, r) in finals {
        records.push(r);
    }
    // The reference tables, after the exports (their own random stream: the exports are unchanged).
    let (roster, planted) = reference::build(seed, &world.halls, &roles, &records, as_of());
    files.extend(reference::write(out, seed, &roster, &roles, layout::late())?);
    // The monthly assessment scores the windows and staff of the reference tables as written.
    records.roster = assessment::Roster {
        windows: roster.windows.iter().map(|w| (w.hall_id.clone(), w.window_id.clone())).collect(),
        staff: roster.staff.iter().map(|s| (s.staff_id.clone(), s.hall_id.clone())).collect(),
    };
    // The supervisors' records, of the staff the roster lists (its staff table is the one written).
    let mut recs = records::build(seed, &world, cal);
    recs.staff = records::staff_rows(&roster);
    files.extend(records::write(out, seed, &recs)?);
    let mut expect = world.expect;
    expect.extend(planted);
    expect.append(&mut recs.expect);
    Ok(Sample { files, halls: world.halls.iter().map(|h| h.id.clone()).collect(), finals: records, quarantine, expect, roster, records: recs })
}

/// The rows of one export file: its good records, the world's bad rows for it put in at random
/// places (each with the reason it is quarantined for), and copies of good rows (exact duplicates
/// the ingest collapses) somewhere after their original.
fn with_bad_rows(world: &World, spec: &layout::FileSpec, good: &[Record], rng: &mut ChaCha8Rng) -> Vec<(Row, Option<&'static str>)> {
    let mut rows: Vec<(Row, Option<&'static str>)> = good.iter().map(|r| (Row::Cells(r.cells()), None)).collect();
    for b in world.bad.iter().filter(|b| b.file == spec.id) {
        let at = rng.random_range(0..=rows.len());
        rows.insert(at, (b.row.clone(), Some(b.reason)));
    }
    for _ in world.duplicates.iter().filter(|f| **f == spec.id) {
        let goods: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].1.is_none()).collect();
        if goods.is_empty() {
            continue;
        }
        let i = goods[rng.random_range(0..goods.len())];
        let copy = rows[i].0.clone();
        let at = rng.random_range(i + 1..=rows.len());
        rows.insert(at, (copy, None));
    }
    rows
}

/// The monthly assessment's planted tickets (`World::assessment_tickets`), in a UTF-8 CSV of
/// their own ingested last, drawn with a random stream of its own.
fn write_assessment_tickets(out: &Path, world: &World, seed: u64) -> Result<(ManifestFile, Vec<Record>), GenerateError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6173_7365_7373);
    let path = "tickets_assessment_2026-09_10.csv";
    let style = writers::Style::new(writers::Format::Csv { delimiter: b',', encoding: writers::Encoding::Utf8, crlf: false, quote_all: false }, writers::Headers::Zh(0));
    let records: Vec<Record> = world.assessment_tickets.iter().cloned().map(Record::Ticket).collect();
    let rows: Vec<Row> = records.iter().map(|r| Row::Cells(r.cells())).collect();
    writers::write_file(&out.join(path), Table::Tickets, &style, &rows, &mut rng, at(ymd(2026, 10, 31), 18, 0, 0))?;
    let file = ManifestFile { table: "tickets".into(), path: path.into(), format: "csv".into(), encoding: Some("utf-8".into()), numeric_levels: None, rows: rows.len() as u64 };
    Ok((file, records))
}

fn json_line<T: serde::Serialize>(w: &mut impl Write, v: &T) -> Result<(), GenerateError> {
    serde_json::to_writer(&mut *w, v).map_err(|e| GenerateError::Other(e.to_string()))?;
    w.write_all(b"\n")?;
    Ok(())
}

pub fn generate(opts: &GenerateOptions, cal: &Calendar) -> Result<Manifest, GenerateError> {
    let bulk_scale = parse_scale(&opts.scale)?;
    std::fs::create_dir_all(&opts.out)?;
    let t = as_of();
    let sample = write_sample(&opts.out, opts.seed, cal)?;
    let mut files = sample.files.clone();
    let mut halls = sample.halls.clone();
    let bulk = match bulk_scale {
        Some(mult) => Some(bulk::generate(&opts.out, opts.seed, mult, cal, if opts.truth { Some(t) } else { None })?),
        None => None,
    };
    if let Some(b) = &bulk {
        files.extend(b.files.iter().cloned());
        halls.extend(b.halls.iter().cloned());
    }

    let mut q = BufWriter::new(std::fs::File::create(opts.out.join(QUARANTINE_FILE))?);
    for line in &sample.quarantine {
        json_line(&mut q, line)?;
    }
    q.flush()?;

    let mut p = BufWriter::new(std::fs::File::create(opts.out.join(PLANTED_FILE))?);
    for e in &sample.expect {
        json_line(&mut p, e)?;
    }
    p.flush()?;

    let truth = if opts.truth {
        let bulk_staff = bulk.as_ref().map(|b| b.staff.clone()).unwrap_or_default();
        let findings = sample.truth(cal, t, &bulk_staff);
        write_truth(&opts.out.join(TRUTH_FILE), &findings, bulk.as_ref())?;
        Some(TRUTH_FILE.to_string())
    } else {
        let _ = std::fs::remove_file(opts.out.join(TRUTH_FILE));
        None
    };
    drop(bulk);
    let manifest = Manifest {
        seed: opts.seed,
        scale: opts.scale.clone(),
        as_of: model::fmt_ts(t),
        months: scenarios::MONTHS.iter().map(|(y, m)| format!("{y:04}-{m:02}")).collect(),
        halls,
        files,
        truth,
        quarantine: Some(QUARANTINE_FILE.to_string()),
        planted: Some(PLANTED_FILE.to_string()),
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| GenerateError::Other(e.to_string()))?;
    std::fs::write(opts.out.join("manifest.json"), text + "\n")?;
    Ok(manifest)
}

/// The sample's findings and the streamed part's, rule by rule: within a rule the sample's halls
/// sort before the bulk halls, and the bulk parts (each in order) are merged.
fn write_truth(path: &Path, sample: &[Finding], bulk: Option<&bulk::BulkOutput>) -> Result<(), GenerateError> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rules: Vec<&str> = oracle::RULES.iter().map(|r| r.0).collect();
    rules.sort();
    for rule in rules {
        for f in sample.iter().filter(|f| f.rule == rule) {
            json_line(&mut w, f)?;
        }
        if let Some(b) = bulk {
            b.merge_truth(rule, &mut w)?;
        }
    }
    w.flush()?;
    Ok(())
}
