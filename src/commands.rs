//! One function per CLI command, on resolved `Settings`. Each returns the exit code; errors carry
//! their context up to `main`, which prints them once.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Context, Result, bail};

use crate::checks::{self, CheckOptions};
use crate::cli::{CheckArgs, Command, DailyArgs, DemoArgs, GenerateArgs, IngestArgs, MonthlyArgs, RegisterArgs, ReportCommand, ReportOut, RulesArgs, SendCommand, SendFlags};
use crate::report::{self, Month, Rendered, Request};
use crate::contract::{NumericLevels, Table};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::output::{self, PrintFormat};
use crate::settings::Settings;
use crate::store::Warehouse;
use crate::deliver::DeliverOptions;
use crate::generate::Manifest;
use std::path::PathBuf;
use crate::clock::parse_instant;

/// Runs one command. Settings are resolved only for the commands that need them: `init` and
/// `config check` work on the config file itself, so a broken or missing one must not stop them.
pub fn run(command: Command, global: &crate::cli::GlobalArgs) -> Result<u8> {
    let settings = || Settings::resolve(global);
    match command {
        Command::Ingest(a) => cmd_ingest(&a, &settings()?),
        Command::Check(a) => cmd_check(&a, &settings()?),
        Command::Rules(a) => cmd_rules(&a, &settings()?),
        Command::Generate(a) => cmd_generate(&a, &settings()?),
        Command::Demo(a) => cmd_demo(&a, &settings()?),
        Command::Report(ReportCommand::Monthly(a)) => cmd_report(settings()?, |s| monthly_request(&a, s)),
        Command::Report(ReportCommand::Daily(a)) => cmd_report(settings()?, |s| daily_request(&a, s)),
        Command::Register(a) => cmd_report(settings()?, |s| register_request(&a, s)),
        Command::Respond(a) => cmd_respond(&a, &settings()?),
        Command::Decide(a) => cmd_decide(&a, &settings()?),
        Command::ResponseForm(a) => cmd_response_form(&a, &settings()?),
        Command::Send(c) => cmd_send(c, &settings()?),
        Command::Serve(_) => {
            #[cfg(feature = "web")]
            web_beside(settings()?);
            crate::schedule::daemon::serve(settings()?)?;
            Ok(0)
        }
        Command::Jobs(a) => {
            let batch = crate::schedule::jobs_batch(&settings()?)?;
            output::print_batches(&mut std::io::stdout().lock(), &batch.schema(), std::slice::from_ref(&batch), a.format)?;
            Ok(0)
        }
        Command::Run(a) => cmd_run(&a.job, settings()?),
        Command::Health(a) => match crate::schedule::health::check(&crate::store::local_root(&settings()?.config.data_dir)?, std::time::Duration::from_secs(a.max_age_secs)) {
            Ok(m) => {
                println!("{m}");
                Ok(0)
            }
            Err(e) => {
                eprintln!("windowwatch: unhealthy: {e}");
                Ok(1)
            }
        },
        Command::Init(a) => cmd_init(a.dir.as_deref(), a.force),
        Command::Config(crate::cli::ConfigCommand::Check { file }) => cmd_config_check(file.as_deref(), global),
        Command::Sql(a) => cmd_sql(&a, &settings()?),
        Command::Accountability(a) => cmd_accountability(&a, &settings()?),
        Command::Bench(a) => {
            let o = crate::bench::BenchOptions { scale: a.scale.clone(), seed: a.seed, dir: a.dir.clone(), repeat: a.repeat, reports: !a.no_reports, reuse_warehouse: a.reuse_warehouse };
            let r = crate::bench::run(&settings()?, &o, &runtime()?)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", crate::bench::summary(&r));
            }
            Ok(0)
        }
        #[cfg(feature = "pgwire")]
        Command::ServeSql(a) => {
            let as_of = a.as_of.as_deref().map(parse_instant).transpose()?;
            runtime()?.block_on(crate::sql::pg::serve(std::sync::Arc::new(settings()?), &a.listen, as_of))?;
            Ok(0)
        }
        #[cfg(feature = "web")]
        Command::ServeWeb(a) => {
            runtime()?.block_on(crate::web::serve(std::sync::Arc::new(web_settings(settings()?)?), a.listen.as_deref()))?;
            Ok(0)
        }
        #[cfg(feature = "web")]
        Command::Passwd(_) => cmd_passwd(),
    }
}

/// `windowwatch passwd`: the argon2 hash of the first line of standard input.
#[cfg(feature = "web")]
fn cmd_passwd() -> Result<u8> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("password (the line is shown as typed; pipe it in to keep it off the screen):");
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        bail!("passwd: an empty password; give it on standard input (e.g. `printf %s \"$PW\" | windowwatch passwd`)");
    }
    let hash = crate::web::auth::hash_password(password).map_err(|e| anyhow::anyhow!("passwd: {e}"))?;
    println!("{hash}");
    Ok(0)
}

/// `windowwatch sql`: the shell, or -c/-f/stdin through the same exec-and-print path.
fn cmd_sql(a: &crate::cli::SqlArgs, s: &Settings) -> Result<u8> {
    let as_of = match &a.as_of {
        Some(t) => parse_instant(t)?,
        None => crate::clock::now_china(),
    };
    let access = crate::sql::access_for(s, a.office.as_deref(), a.show_personal_data)?;
    if let Some(url) = a.engine.as_deref().filter(|u| *u != "standalone")
        && access.masked {
            bail!(
                "--engine {url}: the cluster's executors do not have windowwatch's mask functions, so personal data cannot be masked there; \
                 add --show-personal-data if you may see it, or use --engine standalone or the local engine"
            );
        }
    let format = match (a.format, &a.output) {
        (Some(f), _) => f,
        (None, Some(p)) => crate::sql::shell::file_format(p, PrintFormat::Table),
        (None, None) => PrintFormat::Table,
    };
    if format.is_binary() && a.output.is_none() {
        bail!("--format {format:?}: binary output goes to a file; add -o FILE");
    }
    let opts = crate::sql::PrintOptions { format, output: a.output.clone(), timing: false };
    let rt = runtime()?;
    let code = rt.block_on(async {
        let session = crate::sql::SqlSession::open(s, as_of, access, a.engine.clone()).await?;
        crate::sql::shell::main(s, session, crate::sql::shell::Invocation { commands: a.commands.clone(), files: a.files.clone(), opts }).await
    })?;
    Ok(code)
}

/// `windowwatch accountability --year Y`: the `accountability` view's rows of that year, in the
/// session of the office (if any), as of --as-of (default now).
fn cmd_accountability(a: &crate::cli::AccountabilityArgs, s: &Settings) -> Result<u8> {
    let as_of = match &a.as_of {
        Some(t) => parse_instant(t)?,
        None => crate::clock::now_china(),
    };
    let format = match (a.format, &a.output) {
        (Some(f), _) => f,
        (None, Some(p)) => PrintFormat::from_extension(p).unwrap_or(PrintFormat::Table),
        (None, None) => PrintFormat::Table,
    };
    if format.is_binary() && a.output.is_none() {
        bail!("--format {format:?}: binary output goes to a file; add -o FILE");
    }
    let access = crate::sql::access_for(s, a.office.as_deref(), false)?;
    let sql = format!("SELECT * FROM accountability WHERE year = {} ORDER BY hall_id, staff_id", a.year);
    let (schema, batches) = runtime()?.block_on(async {
        let session = crate::sql::SqlSession::open(s, as_of, access, None).await?;
        let df = session.ctx.sql(&sql).await?;
        let schema = std::sync::Arc::clone(df.schema().inner());
        anyhow::Ok((schema, df.collect().await?))
    })?;
    if let (Some(kind), Some(path)) = (a.document, &a.output) {
        let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let issuer = a.office.as_deref().and_then(|id| s.config.offices.iter().find(|o| o.id == id)).map(|o| o.name.clone());
        let doc = report::circular::accountability(issuer.as_deref(), a.year, as_of.date(), &headers, &output::text_rows(&batches)?);
        std::fs::write(path, report::document::write(&doc, kind, &s.config.document_fonts)?).with_context(|| path.display().to_string())?;
        return Ok(0);
    }
    match &a.output {
        Some(path) => output::write_file(path, &schema, &batches, format).with_context(|| path.display().to_string())?,
        None => output::print_batches(&mut std::io::stdout().lock(), &schema, &batches, format)?,
    }
    Ok(0)
}

/// `windowwatch run JOB`: exit 0 when the run ended ok, 2 when it failed.
fn cmd_run(job: &str, settings: Settings) -> Result<u8> {
    let quiet = settings.quiet;
    let rec = runtime()?.block_on(crate::schedule::run_now(std::sync::Arc::new(settings), job))?;
    match rec {
        None => {
            if !quiet {
                println!("{job}: nothing to do");
            }
            Ok(0)
        }
        Some(r) => {
            println!("{} {} (scheduled {}): {}{}", r.job, r.status, r.scheduled_at.format("%Y-%m-%d %H:%M:%S"), r.detail.clone().unwrap_or_default(), r.error.as_ref().map(|e| format!("\n  error: {e}")).unwrap_or_default());
            Ok(if crate::schedule::succeeded(&r) { 0 } else { 2 })
        }
    }
}

/// `windowwatch init [DIR]`.
pub fn cmd_init(dir: Option<&std::path::Path>, force: bool) -> Result<u8> {
    let dir = dir.unwrap_or(std::path::Path::new("."));
    let made = crate::setup::init(dir, force)?;
    for p in &made {
        println!("created {}", p.display());
    }
    println!("next: edit {} (offices, smtp), check it with `windowwatch --config {} config check`, then `windowwatch --config {} serve`", made[0].display(), made[0].display(), made[0].display());
    Ok(0)
}

/// `windowwatch config check [FILE]`: 0 and a summary when valid, 2 with every problem otherwise.
pub fn cmd_config_check(file: Option<&std::path::Path>, global: &crate::cli::GlobalArgs) -> Result<u8> {
    match crate::setup::check(file, global) {
        Ok(c) => {
            println!("{}", crate::setup::summary(&c.config));
            for w in &c.warnings {
                eprintln!("warning: {w}");
            }
            Ok(0)
        }
        Err(e) => {
            eprintln!("windowwatch: {e}");
            Ok(2)
        }
    }
}

/// The settings the browser workspace is served with: its pages look at the warehouse's folder
/// themselves, so a bucket (`s3://…`) is named by its local copy, met here as opening the
/// warehouse would.
#[cfg(feature = "web")]
fn web_settings(mut s: Settings) -> Result<Settings, crate::store::StoreError> {
    s.config.data_dir = crate::store::local_root(&s.config.data_dir)?;
    Ok(s)
}

/// `serve` with `[[web.users]]` configured: the browser workspace on a thread and runtime of its
/// own beside the scheduler, ending with the process.
#[cfg(feature = "web")]
fn web_beside(s: Settings) {
    if s.config.web.users.is_empty() {
        return;
    }
    let s = match web_settings(s) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("serve: the browser workspace cannot open the warehouse: {e}");
            return;
        }
    };
    std::thread::spawn(move || {
        let served = runtime().map_err(|e| e.to_string()).and_then(|rt| rt.block_on(crate::web::serve(std::sync::Arc::new(s), None)).map_err(|e| e.to_string()));
        if let Err(e) = served {
            tracing::error!("serve: the browser workspace stopped: {e}");
        }
    });
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}


pub fn ingest_options(a: &IngestArgs, s: &Settings) -> Result<IngestOptions> {
    let table = Table::parse(&a.table).with_context(|| format!("--table `{}`: expected tickets, cases, ratings or denials", a.table))?;
    let encoding = match &a.encoding {
        Some(e) => Some(encoding_rs::Encoding::for_label(e.as_bytes()).with_context(|| format!("--encoding `{e}` is not an encoding name (try gb18030, gbk, utf-8)"))?),
        None => None,
    };
    let numeric_levels = match &a.numeric_levels {
        Some(n) => Some(NumericLevels::parse(n).with_context(|| format!("--numeric-levels `{n}`: expected {}", NumericLevels::ACCEPTED))?),
        None => s.config.numeric_levels,
    };
    let mut aliases: HashMap<String, String> = s.config.aliases.get(&table).map(|m| m.clone().into_iter().collect()).unwrap_or_default();
    for m in &a.map {
        let (h, c) = m.split_once('=').with_context(|| format!("--map `{m}`: expected HEADER=COLUMN"))?;
        if table.spec().column(c.trim()).is_none() {
            bail!("--map `{m}`: `{}` is not a column of {table}", c.trim());
        }
        aliases.insert(h.trim().to_string(), c.trim().to_string());
    }
    Ok(IngestOptions { table, files: a.files.clone(), encoding, sheet: a.sheet.clone(), numeric_levels, aliases, force: a.force })
}

fn cmd_ingest(a: &IngestArgs, s: &Settings) -> Result<u8> {
    let opts = ingest_options(a, s)?;
    let wh = Warehouse::open(&s.config.data_dir)?;
    let report = ingest::ingest(&wh, &opts)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else if !s.quiet {
        print_ingest(&mut out, &report)?;
    }
    Ok(0)
}

/// The reconciliation, as a person reads it.
pub fn print_ingest(out: &mut dyn Write, r: &IngestReport) -> Result<()> {
    writeln!(out, "ingest #{} → {} ({}), warehouse snapshot {}", r.ingest_id, r.table, r.table.zh_name(), r.snapshot)?;
    let mut rows = Vec::new();
    for f in r.files.iter().chain(std::iter::once(&r.total())) {
        let status = match f.skipped_as_ingest {
            Some(id) => format!("skipped: same content as ingest #{id}"),
            None => String::new(),
        };
        rows.push(vec![
            f.file.clone(),
            f.format.clone(),
            f.encoding.clone().unwrap_or_default(),
            f.rows_read.to_string(),
            format!("{} ({} new, {} updated, {} unchanged)", f.loaded, f.new_records, f.updated_records, f.unchanged_records),
            f.superseded.to_string(),
            f.quarantined.to_string(),
            if f.skipped_as_ingest.is_some() { String::new() } else { format!("{} rewritten, {} new", f.parts_rewritten, f.parts_new) },
            status,
        ]);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["file", "format", "encoding", "rows read", "loaded", "superseded", "quarantined", "parts", ""]);
    for r in rows {
        t.add_row(r);
    }
    writeln!(out, "{t}")?;
    let tot = r.total();
    writeln!(
        out,
        "reconciled: rows read {} = loaded {} + superseded {} + quarantined {}{}",
        tot.rows_read,
        tot.loaded,
        tot.superseded,
        tot.quarantined,
        if tot.rows_read == tot.loaded + tot.superseded + tot.quarantined { "" } else { "  ← DOES NOT ADD UP" }
    )?;
    writeln!(out, "{} now holds {} records", r.table, r.records_after)?;
    let p = &r.parts;
    let compacted = if p.compacted > 0 { format!(", {} small ones compacted into {}", p.compacted, p.compacted_into) } else { String::new() };
    writeln!(out, "parts: {} kept, {} rewritten (a stored record replaced), {} new{compacted}; {} in all", p.kept, p.rewritten, p.new, p.after)?;
    for f in &r.files {
        if !f.unknown_headers.is_empty() {
            writeln!(out, "warning: {}: unknown columns ignored: {}", f.file, f.unknown_headers.join(", "))?;
        }
        if f.title_rows_skipped > 0 {
            writeln!(out, "note: {}: {} title row(s) above the header skipped", f.file, f.title_rows_skipped)?;
        }
    }
    if !r.quarantine_by_reason.is_empty() {
        let by: Vec<String> = r.quarantine_by_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "quarantined by reason: {}", by.join(", "))?;
        for q in r.quarantine_sample.iter().take(10) {
            writeln!(out, "  {}:{}  {}  {}", q.file, q.line, q.reason, q.message)?;
        }
        writeln!(out, "  (all of them: windowwatch sql -c \"SELECT * FROM quarantine WHERE ingest_id = {}\")", r.ingest_id)?;
    }
    Ok(())
}

pub fn check_options(a: &CheckArgs, s: &Settings) -> Result<CheckOptions> {
    let as_of = match &a.as_of {
        Some(t) => parse_instant(t)?,
        None => crate::clock::now_china(),
    };
    for r in &a.rules {
        let known = s.catalog.rules.iter().any(|x| x.meta.id == *r || x.meta.id.starts_with(&format!("{}.", r.trim_end_matches('.'))));
        if !known {
            bail!("--rule `{r}` matches no rule (see `windowwatch rules`)");
        }
    }
    let mut engine = s.engine.clone();
    engine.distributed = a.engine.clone();
    Ok(CheckOptions { as_of, only: (!a.rules.is_empty()).then(|| a.rules.clone()), record: !a.no_record, engine })
}

fn cmd_check(a: &CheckArgs, s: &Settings) -> Result<u8> {
    let opts = check_options(a, s)?;
    let wh = Warehouse::open(&s.config.data_dir)?;
    let rt = runtime()?;
    let run = rt.block_on(checks::run_checks(&wh, &s.calendar, &s.catalog, &s.profile, &opts))?;
    let schema = checks::findings_schema();
    match &a.output {
        Some(path) => {
            let format = if a.format == PrintFormat::Table { PrintFormat::from_extension(path).unwrap_or(PrintFormat::Csv) } else { a.format };
            output::write_file(path, &schema, std::slice::from_ref(&run.findings), format)?;
        }
        None if a.format == PrintFormat::Table => {
            // The table is for people: names beside the ids when the reference tables have them.
            let names = rt.block_on(check_names(s, &wh))?;
            let batch = if names.is_empty() { run.findings.clone() } else { report::names::with_name_arrays(&run.findings, &names, s.config.mask_staff)? };
            output::print_batches(&mut std::io::stdout().lock(), &batch.schema(), std::slice::from_ref(&batch), a.format)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            output::print_batches(&mut out, &schema, std::slice::from_ref(&run.findings), a.format)?;
        }
    }
    if !s.quiet {
        eprintln!("{run}");
    }
    Ok(if run.count(checks::catalog::Severity::Red) > 0 { 1 } else { 0 })
}

/// The reference tables' names in the current snapshot.
async fn check_names(s: &Settings, wh: &Warehouse) -> Result<report::names::Names> {
    let snapshot = wh.current()?;
    let ctx = crate::engine::base_context(snapshot.as_ref(), &s.calendar, &s.engine).await?;
    Ok(report::names::Names::load(&ctx).await?)
}

fn cmd_rules(a: &RulesArgs, s: &Settings) -> Result<u8> {
    use datafusion::arrow::array::{AsArray, BooleanArray};
    use datafusion::arrow::compute::filter_record_batch;
    if let Some(dir) = &a.render {
        let as_of = match &a.as_of {
            Some(t) => parse_instant(t)?,
            None => crate::clock::now_china(),
        };
        checks::export_sql(&s.catalog, &s.profile, &s.calendar, as_of, dir)?;
        if !s.quiet {
            println!("wrote the views and rules as of {} and calendar_days.parquet to {}", as_of.format("%Y-%m-%d %H:%M:%S"), dir.display());
        }
        return Ok(0);
    }
    let all = s.catalog.rules_batch(Some(&s.profile));
    let ids = all.column(0).as_string::<i32>();
    let enabled = BooleanArray::from_iter(ids.iter().map(|id| Some(!s.profile.disabled.iter().any(|d| Some(d.as_str()) == id))));
    let shown = filter_record_batch(&all, &enabled)?;
    let cols = ["rule", "severity", "title", "entity", "month", "seed", "params", "file"];
    let idx: Vec<usize> = cols.iter().map(|c| shown.schema().index_of(c)).collect::<Result<_, _>>()?;
    let batch = shown.project(&idx)?;
    output::print_batches(&mut std::io::stdout().lock(), &batch.schema(), std::slice::from_ref(&batch), a.format)?;
    Ok(0)
}

fn cmd_generate(a: &GenerateArgs, s: &Settings) -> Result<u8> {
    let opts = crate::generate::GenerateOptions { out: a.out.clone(), seed: a.seed, scale: a.scale.clone(), truth: !a.no_truth };
    let m = crate::generate::generate(&opts, &s.calendar)?;
    if !s.quiet {
        println!("wrote {} files for {} halls, months {}, to {}", m.files.len(), m.halls.len(), m.months.join(", "), a.out.display());
        for f in &m.files {
            println!("  {:<8} {:<40} {:>9} rows  {}{}", f.table, f.path, f.rows, f.format, f.encoding.as_deref().map(|e| format!(" {e}")).unwrap_or_default());
        }
        if let Some(t) = &m.truth {
            println!("ground truth for as-of {}: {}", m.as_of, t);
        }
    }
    Ok(0)
}

/// The report request of `report monthly|daily`, `register` and `send`, from their arguments.
fn request(kind: report::Kind, as_of: Option<&str>, o: &ReportOut, s: &Settings) -> Result<Request> {
    Ok(Request {
        kind,
        as_of: as_of.map(parse_instant).transpose()?,
        office: o.office.clone(),
        out: o.out.clone().unwrap_or_else(|| s.config.reports_dir.clone()),
        templates: o.templates.clone(),
    })
}

pub fn monthly_request(a: &MonthlyArgs, s: &Settings) -> Result<Request> {
    request(report::Kind::Monthly(Month::parse(&a.month)?, a.format), a.as_of.as_deref(), &a.out, s)
}

pub fn daily_request(a: &DailyArgs, s: &Settings) -> Result<Request> {
    request(report::Kind::Daily, a.as_of.as_deref(), &a.out, s)
}

pub fn register_request(a: &RegisterArgs, s: &Settings) -> Result<Request> {
    request(report::Kind::Register(Month::parse(&a.month)?, a.format), a.as_of.as_deref(), &a.out, s)
}

fn finding_key(rule: &str, entity: &str, month: &str) -> ingest::answer::FindingKey {
    ingest::answer::FindingKey { rule: rule.to_string(), entity_id: entity.to_string(), month: month.to_string() }
}

fn cmd_respond(a: &crate::cli::RespondArgs, s: &Settings) -> Result<u8> {
    let wh = Warehouse::open_existing(&s.config.data_dir)?;
    let key = finding_key(&a.rule, &a.entity, &a.month);
    let now = crate::clock::now_china();
    let report = ingest::answer::respond(&wh, &key, &a.explanation, a.appeal, a.by.as_deref(), now)?;
    if !s.quiet {
        let what = if a.appeal { "appeal (申诉)" } else { "response (回告)" };
        println!("{what} to {} / {} / {} recorded at {} (ingest #{})", a.rule, a.entity, a.month, now.format("%Y-%m-%d %H:%M:%S"), report.ingest_id);
    }
    Ok(0)
}

fn cmd_decide(a: &crate::cli::DecideArgs, s: &Settings) -> Result<u8> {
    let wh = Warehouse::open_existing(&s.config.data_dir)?;
    let key = finding_key(&a.rule, &a.entity, &a.month);
    let now = crate::clock::now_china();
    let report = ingest::answer::decide(&wh, &key, &a.decision, &a.by, now)?;
    if !s.quiet {
        println!("decision {} on {} / {} / {} by {} recorded at {} (ingest #{})", a.decision, a.rule, a.entity, a.month, a.by, now.format("%Y-%m-%d %H:%M:%S"), report.ingest_id);
    }
    Ok(0)
}

fn cmd_response_form(a: &crate::cli::ResponseFormArgs, s: &Settings) -> Result<u8> {
    let opts = report::response_form::ResponseFormOptions {
        month: Month::parse(&a.month)?,
        as_of: match &a.as_of {
            Some(t) => parse_instant(t)?,
            None => crate::clock::now_china(),
        },
        office: a.office.clone(),
        hall: a.hall.clone(),
        out: a.out.clone().unwrap_or_else(|| s.config.reports_dir.clone()),
    };
    let wh = Warehouse::open_existing(&s.config.data_dir)?;
    let files = runtime()?.block_on(report::response_form::write_all(s, &wh, &opts))?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(0)
}

/// Lists what a report run wrote, office by office.
pub fn print_rendered(what: &str, rendered: &[Rendered]) {
    for r in rendered {
        match &r.message {
            None => println!("{what} · {} ({}): nothing to report, no message", r.office.id, r.office.name),
            Some(m) => {
                println!("{what} · {} ({}): {}", r.office.id, r.office.name, m.subject);
                for f in &r.files {
                    println!("  {}", f.display());
                }
            }
        }
    }
}

/// `report monthly|daily` and `register`: renders the files, delivers nothing.
fn cmd_report(s: Settings, request: impl FnOnce(&Settings) -> Result<Request>) -> Result<u8> {
    let (s, req) = (&s, request(&s)?);
    let wh = Warehouse::open(&s.config.data_dir)?;
    let r = runtime()?.block_on(req.render(s, &wh))?;
    print_rendered(req.name(), &r);
    Ok(0)
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
    let m = crate::generate::generate(&crate::generate::GenerateOptions { out: out.clone(), seed: 20261101, scale: "small".into(), truth: true }, &s.calendar)?;
    Ok((out, m))
}

/// `windowwatch demo`: the main job on built-in defaults — sample data → ingest → checks →
/// every report → delivery (the outbox unless SMTP is configured).
fn cmd_demo(a: &DemoArgs, s: &Settings) -> Result<u8> {
    let (dir, m) = sample_set(a, s)?;
    println!("== windowwatch demo: {} halls, months {}, exports in {}", m.halls.len(), m.months.join(", "), dir.display());
    let wh = Warehouse::open(&s.config.data_dir)?;
    println!("\n== ingest (rows read = loaded + superseded + quarantined; all rows: windowwatch sql -c \"SELECT * FROM ingests\")");
    for r in m.ingest(&wh, &dir, false)? {
        if !s.quiet {
            print_manifest_ingest(&r);
        }
    }
    let as_of = parse_instant(&m.as_of)?;
    let rt = runtime()?;
    let opts = CheckOptions { as_of, only: None, record: true, engine: s.engine.clone() };
    let run = rt.block_on(checks::run_checks(&wh, &s.calendar, &s.catalog, &s.profile, &opts))?;
    println!("\n== findings per rule (as of {})", m.as_of);
    for (rule, n) in run.per_rule() {
        let title = s.catalog.rule(&rule).map(|r| r.meta.title.clone()).unwrap_or_default();
        println!("  {rule:<34} {n:>5}  {title}");
    }
    println!("\n{run}");

    // Every report of the last month that has ended, and the morning warning at the as-of instant.
    let month = Month::of(as_of).prev();
    let out = s.config.reports_dir.clone();
    let mut rendered = Vec::new();
    for req in report::every_report(&out, month, as_of) {
        rendered.extend(rt.block_on(req.render(s, &wh))?);
    }
    println!("\n== reports for {month}");
    for r in &rendered {
        for f in &r.files {
            println!("  {}", f.display());
        }
    }
    let delivered = rt.block_on(crate::deliver::deliver_rendered(&rendered, &s.config, &wh, &DeliverOptions::default()))?;
    println!("\n== delivery\n{delivered}");
    println!("\nwarehouse: {} · reports: {} · outbox: {}", s.config.data_dir.display(), out.display(), s.config.outbox.display());
    Ok(0)
}

/// One line per file of a generated set's ingest.
fn print_manifest_ingest(r: &IngestReport) {
    for f in &r.files {
        match f.skipped_as_ingest {
            Some(id) => println!("  {:<8} {:<44} already ingested as #{id}", r.table, f.file),
            None => println!("  {:<8} {:<44} read {:>6} = loaded {:>6} + superseded {:>4} + quarantined {:>3}", r.table, f.file, f.rows_read, f.loaded, f.superseded, f.quarantined),
        }
    }
}

fn cmd_send(c: SendCommand, s: &Settings) -> Result<u8> {
    let wh = Warehouse::open(&s.config.data_dir)?;
    let rt = runtime()?;
    let (req, flags): (Request, SendFlags) = match c {
        SendCommand::Monthly { args, send } => (monthly_request(&args, s)?, send),
        SendCommand::Daily { args, send } => (daily_request(&args, s)?, send),
        SendCommand::Register { args, send } => (register_request(&args, s)?, send),
    };
    let rendered = rt.block_on(req.render(s, &wh))?;
    if !s.quiet {
        print_rendered(req.name(), &rendered);
    }
    let opts = crate::deliver::DeliverOptions { resend: flags.resend, dry_run: flags.dry_run, ..Default::default() };
    let report = rt.block_on(crate::deliver::deliver_rendered(&rendered, &s.config, &wh, &opts))?;
    println!("{report}");
    Ok(if report.complete() { 0 } else { 2 })
}
