//! `windowwatch bench`: how fast the whole job is on generated data, measured the way a hall
//! runs it — generate, ingest every export (MB/s of CSV, UTF-8 and GB18030 apart; a later bulk
//! part, whose keys interleave with the stored ones, against the first and against itself
//! ingested as a first file; the parts each file rewrote), the check
//! suite (recorded, as `check` runs it, and rule by rule), the reports — with the peak memory of
//! each phase — and the floor: one scan of exactly the columns the rules read, the suite given as
//! a multiple of it. It also writes the rules as plain SQL and the findings beside the warehouse,
//! so `benches/duckdb_suite.py` runs the same rules on DuckDB over the same Parquet,
//! `benches/duckdb_ingest.py` times DuckDB's CSV → Parquet of the same exports, and
//! `benches/compare.py` prints the ratio per rule and for the suite (`benches/run.sh` does all).

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::io::Write;

use anyhow::{Context, Result};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::checks::{self, CheckOptions};
use crate::contract::Table;
use crate::generate::{GenerateOptions, Manifest};
use crate::ingest;
use crate::report::{self, Month};
use crate::settings::Settings;
use crate::store::Warehouse;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub scale: String,
    pub seed: u64,
    pub dir: PathBuf,
    /// Times each rule is run for its median.
    pub repeat: usize,
    /// Render the reports too.
    pub reports: bool,
    /// Skip the ingest: time the checks on the warehouse already in DIR/data.
    pub reuse_warehouse: bool,
}

/// Peak resident memory since the last reset, in MiB (Linux: VmHWM, reset by clear_refs 5).
fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    v[v.len() / 2]
}


/// The machine the figures are for.
pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()));
    let mem = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()));
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu": cpu,
        "memory_gib": mem.map(|k| (k / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "os": std::env::consts::OS,
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
    })
}

fn say(quiet: bool, msg: impl AsRef<str>) {
    if !quiet {
        eprintln!("bench: {}", msg.as_ref());
    }
}

/// Runs the benchmark; returns the results (also written to `DIR/windowwatch.json`).
pub fn run(settings: &Settings, o: &BenchOptions, rt: &tokio::runtime::Runtime) -> Result<Value> {
    let quiet = settings.quiet;
    std::fs::create_dir_all(&o.dir).with_context(|| format!("creating {}", o.dir.display()))?;
    let exports = o.dir.join("exports");
    let data = o.dir.join("data");
    let t = Instant::now();
    let manifest = generate(settings, o, &exports)?;
    let generate_seconds = t.elapsed().as_secs_f64();
    let mut rows = serde_json::Map::new();
    for tb in Table::EXPORTS {
        let n: u64 = manifest.files.iter().filter(|f| f.table == tb.name()).map(|f| f.rows).sum();
        rows.insert(tb.name().into(), n.into());
    }
    let ingest = ingest(quiet, o, &manifest, &exports, &data)?;
    let wh = Warehouse::open(&data)?;
    let as_of = crate::clock::parse_instant(&manifest.as_of)?;
    let check = check_suite(settings, &wh, as_of, &o.dir, rt)?;
    let rules = rt.block_on(rule_times(settings, &wh, as_of, o.repeat))?;
    checks::export_sql(&settings.catalog, &settings.profile, &settings.calendar, as_of, &o.dir.join("sql"))?;
    let floor = rt.block_on(floor(settings, &wh, as_of, o.repeat, rules.suite_seconds))?;
    say(quiet, format!("floor: one scan of the {} columns the rules read in {:.2} s; the suite is {:.1}× it", floor["columns"], floor["seconds"].as_f64().unwrap_or(0.0), floor["suite_multiple"].as_f64().unwrap_or(0.0)));
    let reports = if o.reports { reports(settings, &wh, as_of, &o.dir, rt)? } else { Value::Null };

    let warehouse_bytes = dir_size(&wh.current()?.map(|s| s.dir).unwrap_or_default());
    let result = json!({
        "engine": "windowwatch",
        "version": env!("CARGO_PKG_VERSION"),
        "machine": machine(),
        "scale": o.scale,
        "seed": o.seed,
        "target_partitions": settings.engine.target_partitions,
        "memory_limit": settings.engine.memory_limit,
        "rows": rows,
        "generate_seconds": generate_seconds,
        "ingest": ingest,
        "warehouse_bytes": warehouse_bytes,
        "check": check,
        "rules": rules.inline,
        "inline_seconds": rules.inline_seconds,
        "rules_cached": rules.cached,
        "cached_views": rules.cached_views,
        "materialize_seconds": rules.materialize_seconds,
        "rules_seconds": rules.rules_seconds,
        "suite_seconds": rules.suite_seconds,
        "floor": floor,
        "reports": reports,
    });
    std::fs::write(o.dir.join("windowwatch.json"), serde_json::to_vec_pretty(&result)?)?;
    Ok(result)
}

/// 1. The generated exports: reused when a set of this scale and seed is already there.
fn generate(settings: &Settings, o: &BenchOptions, exports: &Path) -> Result<Manifest> {
    if let Some(m) = Manifest::load(exports).ok().filter(|m| m.scale == o.scale && m.seed == o.seed && bulk_parts_interleave(exports)) {
        say(settings.quiet, format!("reusing the generated set in {}", exports.display()));
        return Ok(m);
    }
    let _ = std::fs::remove_dir_all(exports);
    say(settings.quiet, format!("generating scale {} into {}", o.scale, exports.display()));
    Ok(crate::generate::generate(&GenerateOptions { out: exports.to_path_buf(), seed: o.seed, scale: o.scale.clone(), truth: false }, &settings.calendar)?)
}

/// Whether a generated set's bulk parts interleave (part 2 begins with the second hall, 370202),
/// as the generator now writes them; a set from before, with each part a run of halls, is made
/// again rather than reused. No second part (a tiny scale): nothing to tell.
fn bulk_parts_interleave(exports: &Path) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(exports.join("bulk/tickets_2026-10_part2.csv")) else { return true };
    let first_row = std::io::BufReader::new(f).split(b'\n').nth(1).and_then(|l| l.ok());
    first_row.is_some_and(|l| l.split(|&b| b == b',').nth(1) == Some(b"370202".as_slice()))
}

/// The seconds of each file in each round of the ingest, the rounds' totals, and the rows read
/// of each file (first round).
struct IngestRounds {
    secs: Vec<Vec<f64>>,
    totals: Vec<f64>,
    rows_read: Vec<u64>,
    /// Per round and file, a later part of a bulk table (its keys interleave with the earlier
    /// parts') ingested again on its own into an empty warehouse: the seconds it takes as a first file.
    alone: Vec<Vec<Option<f64>>>,
    /// Per file (first round): what its ingest did to the table's parts.
    parts: Vec<Value>,
}

/// 2. Ingest into a fresh warehouse, file by file in the manifest's order, `repeat` rounds (each
///    into a fresh warehouse); none when reusing the warehouse of a previous run. A file's time is
///    its median round: the first round also pays for the kernel handing the process never-used
///    memory, which on a virtual machine costs from nothing to a second per GiB depending on the
///    host; it is kept apart ("first_round") rather than hidden.
fn ingest(quiet: bool, o: &BenchOptions, manifest: &Manifest, exports: &Path, data: &Path) -> Result<Value> {
    let reuse = o.reuse_warehouse && Warehouse::open_existing(data).ok().and_then(|w| w.current().ok().flatten()).is_some();
    let rounds = if reuse { 0 } else { o.repeat.max(1) };
    reset_peak();
    let mut r = IngestRounds { secs: Vec::new(), totals: Vec::new(), rows_read: Vec::new(), alone: Vec::new(), parts: Vec::new() };
    for round in 0..rounds {
        ingest_round(quiet, round, manifest, exports, data, &mut r)?;
    }
    let peak = peak_rss_mib();
    ingest_figures(manifest, exports, &r, peak)
}

/// One round: every file into a fresh warehouse, each timed and its reconciliation checked.
fn ingest_round(quiet: bool, round: usize, manifest: &Manifest, exports: &Path, data: &Path, r: &mut IngestRounds) -> Result<()> {
    let _ = std::fs::remove_dir_all(data);
    let wh = Warehouse::open(data)?;
    let t_round = Instant::now();
    let mut secs_of = Vec::new();
    for f in &manifest.files {
        let path = exports.join(&f.path);
        let opts = f.ingest_options(exports, true)?;
        let t = Instant::now();
        let rep = ingest::ingest(&wh, &opts)?;
        let secs = t.elapsed().as_secs_f64();
        let tot = rep.total();
        anyhow::ensure!(tot.reconciles(), "{}: the ingest does not reconcile", f.path);
        let bytes = std::fs::metadata(&path).with_context(|| path.display().to_string())?.len();
        if bytes > 10_000_000 {
            say(quiet, format!("round {}: ingested {} ({:.0} MB) in {secs:.2} s: {:.0} MB/s; parts rewritten {}, new {}", round + 1, f.path, bytes as f64 / 1e6, bytes as f64 / 1e6 / secs, tot.parts_rewritten, tot.parts_new));
        }
        secs_of.push(secs);
        if round == 0 {
            r.rows_read.push(tot.rows_read);
            r.parts.push(json!({"rewritten": tot.parts_rewritten, "new": tot.parts_new, "kept": rep.parts.kept, "compacted": rep.parts.compacted, "after": rep.parts.after}));
        }
    }
    r.totals.push(t_round.elapsed().as_secs_f64());
    r.secs.push(secs_of);
    r.alone.push(ingest_alone(manifest, exports, data)?);
    Ok(())
}

/// A later part of a bulk table (`bulk/ratings_2026-10_part2.csv`, …): its keys interleave with
/// the earlier parts' (each part holds every n-th hall).
fn later_part(path: &str) -> bool {
    path.starts_with("bulk/") && path.contains("_part") && !path.contains("_part1.")
}

/// Each later bulk part ingested again as a first file, into an empty warehouse beside `data`
/// (outside the round's time): what the same file costs when there are no stored keys.
fn ingest_alone(manifest: &Manifest, exports: &Path, data: &Path) -> Result<Vec<Option<f64>>> {
    let scratch = data.with_extension("alone");
    let mut out = Vec::new();
    for f in &manifest.files {
        if !later_part(&f.path) {
            out.push(None);
            continue;
        }
        let _ = std::fs::remove_dir_all(&scratch);
        let wh = Warehouse::open(&scratch)?;
        let opts = f.ingest_options(exports, true)?;
        let t = Instant::now();
        ingest::ingest(&wh, &opts)?;
        out.push(Some(t.elapsed().as_secs_f64()));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}

fn mbps(b: u64, s: f64) -> f64 {
    if s > 0.0 { b as f64 / 1e6 / s } else { 0.0 }
}

/// The ingest's figures: per file its median round, CSV MB/s overall and per encoding.
fn ingest_figures(manifest: &Manifest, exports: &Path, r: &IngestRounds, peak: Option<f64>) -> Result<Value> {
    let rounds = r.totals.len();
    let (mut csv_bytes, mut csv_secs, mut csv_first) = (0u64, 0f64, 0f64);
    let mut by_enc: std::collections::BTreeMap<String, (u64, f64)> = Default::default();
    let mut files = Vec::new();
    for (i, f) in manifest.files.iter().enumerate().filter(|_| rounds > 0) {
        let bytes = std::fs::metadata(exports.join(&f.path))?.len();
        let mut all: Vec<f64> = r.secs.iter().map(|s| s[i]).collect();
        let first = all[0];
        let secs = median(&mut all);
        if f.format == "csv" {
            csv_bytes += bytes;
            csv_secs += secs;
            csv_first += first;
            let e = by_enc.entry(f.encoding.clone().unwrap_or_else(|| "utf-8".into()).replace("utf-8-bom", "utf-8")).or_default();
            e.0 += bytes;
            e.1 += secs;
        }
        let mut alone: Vec<f64> = r.alone.iter().filter_map(|a| a[i]).collect();
        let alone = (!alone.is_empty()).then(|| median(&mut alone));
        files.push(json!({
            "file": f.path, "table": f.table, "format": f.format, "encoding": f.encoding, "bytes": bytes, "rows": r.rows_read[i], "seconds": secs,
            "first_round_seconds": first, "mb_per_s": mbps(bytes, secs), "parts": r.parts[i],
            "alone_seconds": alone, "alone_mb_per_s": alone.map(|a| mbps(bytes, a)),
        }));
    }
    let seconds = if rounds > 0 { median(&mut r.totals.clone()) } else { 0.0 };
    let encodings: serde_json::Map<String, Value> = by_enc.iter().map(|(k, (b, s))| (k.clone(), json!({"bytes": b, "seconds": s, "mb_per_s": mbps(*b, *s)}))).collect();
    Ok(json!({
        "seconds": seconds,
        "csv_bytes": csv_bytes,
        "csv_seconds": csv_secs,
        "csv_mb_per_s": mbps(csv_bytes, csv_secs),
        "rounds": rounds,
        "round_seconds": r.totals,
        "first_round_csv_mb_per_s": mbps(csv_bytes, csv_first),
        "by_encoding": encodings,
        "peak_rss_mib": peak,
        "interleaved": interleaved(&files),
        "files": files,
    }))
}

/// Per bulk table, its later parts against its first (their keys interleave with the stored
/// ones): MB/s of each, the ratio to the first part's (which is in the other encoding: the
/// generator writes each table half in UTF-8, half in GB18030) and to the same file ingested as a
/// first file, and the parts the later file rewrote.
fn interleaved(files: &[Value]) -> Value {
    let mut out = serde_json::Map::new();
    for first in files.iter().filter(|f| f["file"].as_str().is_some_and(|p| p.starts_with("bulk/") && p.contains("_part1."))) {
        let rate = |f: &Value| f["mb_per_s"].as_f64().unwrap_or(0.0);
        let later: Vec<Value> = files
            .iter()
            .filter(|f| f["table"] == first["table"] && f["file"].as_str().is_some_and(later_part))
            .map(|f| {
                let alone = f["alone_mb_per_s"].as_f64();
                json!({
                    "file": f["file"], "encoding": f["encoding"], "mb_per_s": rate(f), "vs_first": rate(f) / rate(first).max(1e-9),
                    "alone_mb_per_s": alone, "vs_alone": alone.map(|a| rate(f) / a.max(1e-9)),
                    "parts_rewritten": f["parts"]["rewritten"], "parts_new": f["parts"]["new"], "parts_kept": f["parts"]["kept"],
                })
            })
            .collect();
        if let Some(t) = first["table"].as_str() {
            out.insert(t.to_string(), json!({"first": first["file"], "first_encoding": first["encoding"], "first_mb_per_s": rate(first), "later": later}));
        }
    }
    Value::Object(out)
}

/// 3. The check suite as `check` runs it: every rule, the rates, the run recorded; its findings
///    written beside the warehouse for DuckDB's side to compare with.
fn check_suite(settings: &Settings, wh: &Warehouse, as_of: chrono::NaiveDateTime, dir: &Path, rt: &tokio::runtime::Runtime) -> Result<Value> {
    reset_peak();
    let t = Instant::now();
    let opts = CheckOptions { as_of, only: None, record: true, engine: settings.engine.clone() };
    let run = rt.block_on(checks::run_checks(wh, &settings.calendar, &settings.catalog, &settings.profile, &opts))?;
    let seconds = t.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    say(settings.quiet, format!("check suite: {} findings in {seconds:.2} s", run.findings.num_rows()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("findings.jsonl"))?);
    crate::output::print_batches(&mut f, &checks::findings_schema(), std::slice::from_ref(&run.findings), crate::output::PrintFormat::Jsonl)?;
    f.flush()?;
    Ok(json!({"seconds": seconds, "findings": run.findings.num_rows(), "rules": run.rules_run, "peak_rss_mib": peak, "spilled_bytes": run.spilled_bytes}))
}

/// The rules timed one by one, both ways.
struct RuleTimes {
    inline: serde_json::Map<String, Value>,
    cached: serde_json::Map<String, Value>,
    cached_views: Vec<checks::CachedView>,
    materialize_seconds: f64,
    inline_seconds: f64,
    rules_seconds: f64,
    suite_seconds: f64,
}

/// 4. Rule by rule, the same SQL the suite runs, each timed `repeat` times: first as the suite
///    runs them (the shared views computed once, then each rule), then each rule alone with its
///    views inlined (as DuckDB runs them in its `views` mode).
async fn rule_times(settings: &Settings, wh: &Warehouse, as_of: chrono::NaiveDateTime, repeat: usize) -> Result<RuleTimes> {
    let (materialize_seconds, cached_views, cached) = time_rules(settings, wh, as_of, repeat, true).await?;
    let (_, _, inline) = time_rules(settings, wh, as_of, repeat, false).await?;
    let sum = |m: &serde_json::Map<String, Value>| m.values().map(|r| r["median"].as_f64().unwrap_or(0.0)).sum::<f64>();
    let (rules_seconds, inline_seconds) = (sum(&cached), sum(&inline));
    Ok(RuleTimes { inline, cached, cached_views, materialize_seconds, inline_seconds, rules_seconds, suite_seconds: materialize_seconds + rules_seconds })
}

/// 6. The reports of the month, for every office, with the phase's peak memory.
fn reports(settings: &Settings, wh: &Warehouse, as_of: chrono::NaiveDateTime, dir: &Path, rt: &tokio::runtime::Runtime) -> Result<Value> {
    reset_peak();
    let t = Instant::now();
    let out = dir.join("reports");
    let month = Month::of(as_of).prev();
    let mut n = 0;
    for req in report::every_report(&out, month, as_of) {
        n += rt.block_on(req.render(settings, wh))?.iter().map(|r| r.files.len()).sum::<usize>();
    }
    let secs = t.elapsed().as_secs_f64();
    say(settings.quiet, format!("reports: {n} files in {secs:.2} s"));
    Ok(json!({"seconds": secs, "files": n, "peak_rss_mib": peak_rss_mib()}))
}

/// The rules timed (a rule over the run's findings, response.late, has no findings to read
/// alone, so it is not).
fn timed_rules(settings: &Settings) -> Vec<&crate::checks::catalog::Rule> {
    settings.catalog.rules.iter().filter(|r| !settings.profile.disabled.contains(&r.meta.id) && !r.meta.reads_findings).collect()
}

/// 5. The floor: the time to read, once, exactly the columns of the warehouse tables the timed
///    rules read (the columns of the scans in their optimized plans, views inlined), each table
///    scanned with those columns and the batches dropped; the median of `repeat`. The suite as a
///    multiple of it says how far the rules are from reading their data once.
async fn floor(settings: &Settings, wh: &Warehouse, as_of: chrono::NaiveDateTime, repeat: usize, suite_seconds: f64) -> Result<Value> {
    let snapshot = wh.current()?;
    let ctx = crate::checks::session(snapshot.as_ref(), &settings.calendar, &settings.catalog, &settings.profile, as_of, &settings.engine).await?;
    let stored: Vec<&str> = Table::ALL.iter().map(|t| t.name()).filter(|n| snapshot.as_ref().is_some_and(|s| s.files(n).is_ok_and(|f| !f.is_empty()))).collect();
    let vars = checks::template_vars(&settings.profile, as_of);
    let mut columns: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for rule in timed_rules(settings) {
        let sql = settings.catalog.render(&rule.path, &rule.sql, &vars)?;
        let plan = ctx.sql(&sql).await.with_context(|| rule.path.clone())?.into_optimized_plan()?;
        scanned_columns(&plan, &stored, &mut columns)?;
    }
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        rows = 0;
        for (table, cols) in &columns {
            let list: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            let mut stream = ctx.sql(&format!("SELECT {} FROM \"{table}\"", list.join(", "))).await?.execute_stream().await?;
            while let Some(b) = stream.next().await {
                rows += b?.num_rows();
            }
        }
        times.push(t.elapsed().as_secs_f64());
    }
    let all = times.clone();
    let seconds = median(&mut times);
    let tables: serde_json::Map<String, Value> = columns.iter().map(|(t, c)| (t.clone(), json!(c))).collect();
    Ok(json!({
        "tables": tables,
        "columns": columns.values().map(|c| c.len()).sum::<usize>(),
        "rows": rows,
        "seconds": seconds,
        "all_seconds": all,
        "suite_multiple": if seconds > 0.0 { suite_seconds / seconds } else { 0.0 },
    }))
}

/// Adds the columns each scan of a stored table in `plan` (subqueries too) reads to `out`.
fn scanned_columns(plan: &datafusion::logical_expr::LogicalPlan, stored: &[&str], out: &mut std::collections::BTreeMap<String, std::collections::BTreeSet<String>>) -> Result<()> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    plan.apply_with_subqueries(|node| {
        if let datafusion::logical_expr::LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table();
            if stored.contains(&name) {
                out.entry(name.to_string()).or_default().extend(scan.projected_schema.fields().iter().map(|f| f.name().clone()));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

/// Each rule's SQL in one session (views as of `as_of`), timed `repeat` times; with `cache`, the
/// shared views are first computed once as the check suite does (that time returned apart).
async fn time_rules(settings: &Settings, wh: &Warehouse, as_of: chrono::NaiveDateTime, repeat: usize, cache: bool) -> Result<(f64, Vec<checks::CachedView>, serde_json::Map<String, Value>)> {
    let snapshot = wh.current()?;
    let ctx = crate::checks::session(snapshot.as_ref(), &settings.calendar, &settings.catalog, &settings.profile, as_of, &settings.engine).await?;
    let vars = checks::template_vars(&settings.profile, as_of);
    let rules = timed_rules(settings);
    let t = Instant::now();
    let texts: Vec<&str> = rules.iter().map(|r| r.sql.as_str()).collect();
    let views = if cache { Some(checks::ViewCache::fill(&ctx, &settings.catalog, &texts).await?) } else { None };
    let materialize = t.elapsed().as_secs_f64();
    let mut out = serde_json::Map::new();
    for rule in rules {
        let sql = settings.catalog.render(&rule.path, &rule.sql, &vars)?;
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            let b = ctx.sql(&sql).await.with_context(|| rule.path.clone())?.collect().await.with_context(|| rule.path.clone())?;
            times.push(t.elapsed().as_secs_f64());
            n = crate::output::rows(&b);
        }
        let all = times.clone();
        let m = median(&mut times);
        out.insert(rule.meta.id.clone(), json!({"rows": n, "seconds": all, "median": m}));
    }
    let cached = views.as_ref().map(|v| v.views.clone()).unwrap_or_default();
    if let Some(v) = views {
        v.restore(&ctx)?;
    }
    Ok((materialize, cached, out))
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let p = e.path();
            n += if p.is_dir() { dir_size(&p) } else { e.metadata().map(|m| m.len()).unwrap_or(0) };
        }
    }
    n
}

/// The results as a person reads them.
pub fn summary(r: &Value) -> String {
    let mut s = String::new();
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    s.push_str(&format!(
        "windowwatch bench · scale {} · {} build · {} cores · rows: {}\n",
        r["scale"].as_str().unwrap_or(""),
        r["machine"]["build"].as_str().unwrap_or(""),
        r["machine"]["cpus"],
        r["rows"]
    ));
    s.push_str(&format!(
        "ingest   {:8.2} s  CSV {:.1} MB/s ({}), median of {} rounds; first round {:.1} MB/s; peak {:.0} MiB\n",
        f(&r["ingest"]["seconds"]),
        f(&r["ingest"]["csv_mb_per_s"]),
        r["ingest"]["by_encoding"].as_object().map(|m| m.iter().map(|(k, v)| format!("{k} {:.1} MB/s", f(&v["mb_per_s"]))).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
        r["ingest"]["rounds"],
        f(&r["ingest"]["first_round_csv_mb_per_s"]),
        f(&r["ingest"]["peak_rss_mib"])
    ));
    for (table, t) in r["ingest"]["interleaved"].as_object().into_iter().flatten() {
        for l in t["later"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "         {table}: first file {:.1} MB/s ({}); {} {:.1} MB/s ({}), keys interleaved: {:.2}× the first, {:.2}× itself as a first file ({:.1} MB/s); parts rewritten {}, new {}, kept {}\n",
                f(&t["first_mb_per_s"]),
                t["first_encoding"].as_str().unwrap_or("utf-8"),
                l["file"].as_str().unwrap_or(""),
                f(&l["mb_per_s"]),
                l["encoding"].as_str().unwrap_or("utf-8"),
                f(&l["vs_first"]),
                f(&l["vs_alone"]),
                f(&l["alone_mb_per_s"]),
                l["parts_rewritten"],
                l["parts_new"],
                l["parts_kept"]
            ));
        }
    }
    s.push_str(&format!("check    {:8.2} s  {} findings, peak {:.0} MiB, spilled {} bytes\n", f(&r["check"]["seconds"]), r["check"]["findings"], f(&r["check"]["peak_rss_mib"]), r["check"]["spilled_bytes"]));
    s.push_str(&format!(
        "rules    {:8.2} s  as the suite runs them: shared views once ({:.2} s) + every rule ({:.2} s); each rule alone, views inlined: {:.2} s\n",
        f(&r["suite_seconds"]),
        f(&r["materialize_seconds"]),
        f(&r["rules_seconds"]),
        f(&r["inline_seconds"])
    ));
    if !r["floor"].is_null() {
        s.push_str(&format!(
            "floor    {:8.2} s  one scan of the {} columns the rules read; the suite is {:.1}× it\n",
            f(&r["floor"]["seconds"]),
            r["floor"]["columns"],
            f(&r["floor"]["suite_multiple"])
        ));
    }
    if !r["reports"].is_null() {
        s.push_str(&format!("reports  {:8.2} s  {} files, peak {:.0} MiB\n", f(&r["reports"]["seconds"]), r["reports"]["files"], f(&r["reports"]["peak_rss_mib"])));
    }
    s
}
