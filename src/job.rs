//! One module that wires a whole run together: the demo today (sample data → ingest → check →
//! summary), and the jobs the daemon schedules.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::checks::{self, CheckOptions};
use crate::cli::DemoArgs;
use crate::commands::{check_summary, parse_instant, runtime};
use crate::contract::{NumericLevels, Table};
use crate::generate::{GenerateOptions, Manifest};
use crate::ingest::{self, IngestOptions};
use crate::settings::Settings;
use crate::store::Warehouse;
use crate::deliver::{self, DeliverOptions, DeliveryReport};
use crate::report::daily::DailyOptions;
use crate::report::monthly::MonthlyOptions;
use crate::report::register::{RegisterFormat, RegisterOptions};
use crate::report::{self, Month, Rendered};

/// Ingests every file of a generated set, in the manifest's order.
pub fn ingest_manifest(wh: &Warehouse, dir: &Path, m: &Manifest, quiet: bool) -> Result<()> {
    for f in &m.files {
        let table = Table::parse(&f.table).with_context(|| format!("manifest: unknown table {}", f.table))?;
        let opts = IngestOptions {
            table,
            files: vec![dir.join(&f.path)],
            encoding: None,
            sheet: None,
            numeric_levels: f.numeric_levels.as_deref().and_then(NumericLevels::parse),
            aliases: Default::default(),
            force: false,
        };
        let r = ingest::ingest(wh, &opts)?;
        if !quiet {
            for f in &r.files {
                match f.skipped_as_ingest {
                    Some(id) => println!("  {:<8} {:<44} already ingested as #{id}", r.table, f.file),
                    None => println!(
                        "  {:<8} {:<44} read {:>6} = loaded {:>6} + superseded {:>4} + quarantined {:>3}",
                        r.table, f.file, f.rows_read, f.loaded, f.superseded, f.quarantined
                    ),
                }
            }
        }
    }
    Ok(())
}

/// The sample set to use: `sample-data/` when it is here, else a freshly generated one.
fn sample_set(a: &DemoArgs, s: &Settings) -> Result<(PathBuf, Manifest)> {
    let shipped = PathBuf::from("sample-data");
    if shipped.join("manifest.json").exists() {
        return Ok((shipped.clone(), Manifest::load(&shipped)?));
    }
    if a.sample {
        anyhow::bail!("--sample: no sample-data/manifest.json in {}", std::env::current_dir()?.display());
    }
    let out = a.dir.join("exports");
    let m = crate::generate::generate(&GenerateOptions { out: out.clone(), seed: 20261101, scale: "small".into(), truth: true }, &s.calendar)?;
    Ok((out, m))
}

pub fn demo(a: &DemoArgs, s: &Settings) -> Result<u8> {
    let (dir, m) = sample_set(a, s)?;
    println!("== windowwatch demo: {} halls, months {}, exports in {}", m.halls.len(), m.months.join(", "), dir.display());
    let wh = Warehouse::open(&s.config.data_dir)?;
    println!("\n== ingest (rows read = loaded + superseded + quarantined; all rows: windowwatch sql -c \"SELECT * FROM ingests\")");
    ingest_manifest(&wh, &dir, &m, s.quiet)?;
    let as_of = parse_instant(&m.as_of)?;
    let rt = runtime()?;
    let opts = CheckOptions { as_of, only: None, record: true, engine: s.engine.clone() };
    let run = rt.block_on(checks::run_checks(&wh, &s.calendar, &s.catalog, &s.profile, &opts))?;
    println!("\n== findings per rule (as of {})", m.as_of);
    for (rule, n) in run.per_rule() {
        let title = s.catalog.rule(&rule).map(|r| r.meta.title.clone()).unwrap_or_default();
        println!("  {rule:<34} {n:>5}  {title}");
    }
    println!("\n{}", check_summary(&run));

    // Every report of the last month that has ended, and the morning warning at the as-of instant.
    let month = Month::of(as_of).prev();
    let out = s.config.reports_dir.clone();
    let mut rendered = rt.block_on(report::monthly::render_all(s, &wh, &MonthlyOptions { month, as_of: None, office: None, out: out.clone(), templates: None }))?;
    rendered.extend(rt.block_on(report::daily::render_all(s, &wh, &DailyOptions { as_of, office: None, out: out.clone(), templates: None }))?);
    rendered.extend(rt.block_on(report::register::render_all(
        s,
        &wh,
        &RegisterOptions { month, as_of, office: None, format: RegisterFormat::Xlsx, out: out.clone(), templates: None },
    ))?);
    println!("\n== reports for {month}");
    for r in &rendered {
        for f in &r.files {
            println!("  {}", f.display());
        }
    }
    let delivered = rt.block_on(deliver_rendered(s, &wh, &rendered, false, false))?;
    println!("\n== delivery\n{delivered}");
    println!("\nwarehouse: {} · reports: {} · outbox: {}", s.config.data_dir.display(), out.display(), s.config.outbox.display());
    Ok(0)
}

/// Delivers the messages of rendered reports (SMTP when configured, else the outbox), once per
/// recipient as the ledger says.
pub async fn deliver_rendered(s: &Settings, wh: &Warehouse, rendered: &[Rendered], resend: bool, dry_run: bool) -> Result<DeliveryReport> {
    let messages: Vec<deliver::Message> = rendered.iter().filter_map(|r| r.message.clone()).collect();
    let opts = DeliverOptions { resend, dry_run, ..DeliverOptions::default() };
    Ok(deliver::deliver(&messages, &s.config, wh, &opts).await?)
}
