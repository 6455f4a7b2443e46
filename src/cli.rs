//! The command line as typed. Nothing here runs anything: `settings` resolves these raw
//! arguments (with windowwatch.toml) into one `Settings` before any command starts, as ripgrep does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::RegisterFormat;
use crate::output::PrintFormat;

#[derive(Debug, Parser)]
#[command(
    name = "windowwatch",
    version,
    about = "Supervises medical-insurance service windows (医疗保障窗口服务监督): exports in, rules as SQL, reports out",
    after_help = "Exit codes: 0 success (check: no red findings), 1 check found red findings, 2 error.\n\
                  Start with `windowwatch demo`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// The configuration file (default: ./windowwatch.toml when it exists).
    #[arg(long, global = true, env = "WINDOWWATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// The warehouse folder (default: data_dir from the config, else ./windowwatch-data).
    #[arg(long, global = true, env = "WINDOWWATCH_DATA")]
    pub data: Option<PathBuf>,
    /// A working-day calendar file laid over the built-in one (date,kind,name); may repeat.
    #[arg(long, global = true)]
    pub calendar: Vec<PathBuf>,
    /// Use only the --calendar files, not the built-in 2024–2026 calendar.
    #[arg(long, global = true)]
    pub no_builtin_calendar: bool,
    /// A rule profile (TOML) overriding the default parameters.
    #[arg(long, global = true)]
    pub profile: Option<PathBuf>,
    /// Read rules from this queries folder instead of the built-in ones.
    #[arg(long, global = true)]
    pub queries: Option<PathBuf>,
    /// Memory limit for queries, e.g. 2GiB (spills to disk beyond it).
    #[arg(long, global = true)]
    pub memory_limit: Option<String>,
    /// Less output (warnings and errors only).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log lines as text or as JSON objects (one per line; for journald, Loki, Elasticsearch).
    #[arg(long, global = true, value_enum, default_value = "text", env = "WINDOWWATCH_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load export files of one table into the warehouse (all files or none).
    Ingest(IngestArgs),
    /// Run every rule at an as-of instant and print the findings.
    Check(CheckArgs),
    /// List the rules with severity, seed clause and parameters.
    Rules(RulesArgs),
    /// Write sample exports with planted violations and their ground truth.
    Generate(GenerateArgs),
    /// The main job on built-in defaults: sample data → ingest → check → reports → outbox.
    Demo(DemoArgs),
    /// Render a report per office: the monthly supervision report or the daily warning.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write the denial-filing register (否定备案登记表) of a month per office.
    Register(RegisterArgs),
    /// Record a hall's response (回告) to a finding, or its appeal (申诉) with --appeal.
    Respond(RespondArgs),
    /// Record the supervisor's decision (审核) on a hall's appeal: 认可 excuses the finding.
    Decide(DecideArgs),
    /// Write the response form (回告单) of a month: the red findings for the halls to answer, as
    /// an XLSX that ingests back with `ingest --table responses`.
    ResponseForm(ResponseFormArgs),
    /// Render a report and deliver it: by SMTP when configured, else as .eml files in the outbox.
    #[command(subcommand)]
    Send(SendCommand),
    /// Run the daemon: the [[jobs]] of the config on their cron schedules (China time), with
    /// catch-up after downtime; stops cleanly on SIGTERM/SIGINT.
    Serve(ServeArgs),
    /// List the jobs with their cron, next run and last run.
    Jobs(JobsArgs),
    /// Run one job now (recorded in job_runs like a scheduled run).
    Run(RunArgs),
    /// Write a commented starter windowwatch.toml and its folders.
    Init(InitArgs),
    /// Exit 0 when a `serve` holds this data folder and its heartbeat is recent (for probes).
    Health(HealthArgs),
    /// Work with windowwatch.toml.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Query the warehouse in SQL: an interactive shell, or -c SQL / -f FILE / a script on stdin.
    Sql(SqlArgs),
    /// The annual accountability (年度问责, 第四十一条) of every staff member for a year: the
    /// `accountability` view's rows, with the clauses that apply and the bonus withheld.
    Accountability(AccountabilityArgs),
    /// Measure the whole job on generated data: ingest MB/s, the check suite rule by rule,
    /// reports, peak memory (benches/run.sh adds DuckDB on the same Parquet).
    Bench(BenchArgs),
    /// Serve the warehouse over the Postgres wire protocol (psql, DBeaver, ODBC, BI tools):
    /// password logins from [sql] users, read-only, office logins see only their halls.
    #[cfg(feature = "pgwire")]
    ServeSql(ServeSqlArgs),
    /// Serve the browser workspace: logins from [[web.users]], the findings of each login's
    /// halls, masked as its reports are (feature `web`).
    #[cfg(feature = "web")]
    ServeWeb(ServeWebArgs),
    /// Print an argon2 hash of the password read from standard input, for [[web.users]]
    /// password_hash (feature `web`).
    #[cfg(feature = "web")]
    Passwd(PasswdArgs),
}

#[derive(Debug, Args)]
pub struct ServeWebArgs {
    /// The address to listen on (default: [web] listen, else 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Run this SQL (or backslash command) and exit; may repeat.
    #[arg(short = 'c', long = "command")]
    pub commands: Vec<String>,
    /// Run the statements of this file and exit; may repeat.
    #[arg(short = 'f', long = "file")]
    pub files: Vec<PathBuf>,
    /// How results print: table, csv, tsv, json, jsonl; parquet and xlsx with -o FILE
    /// (default: table, or the -o file's extension).
    #[arg(long, value_enum)]
    pub format: Option<PrintFormat>,
    /// Write results to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// The instant the as-of views (cases_at, case_deadlines, window_rankings, …) are built for,
    /// China time (default: now).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only this office's halls, in every table and view.
    #[arg(long)]
    pub office: Option<String>,
    /// Show names, ID numbers and phone numbers unmasked.
    #[arg(long)]
    pub show_personal_data: bool,
    /// Run on an Apache DataFusion Ballista cluster (df://HOST:50050, or `standalone` in this
    /// process) instead of the local engine. Needs the `ballista` feature.
    #[arg(long)]
    pub engine: Option<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// province (≈ 3M tickets, 2.5M cases, 1.8M ratings, 20k denials), province10, medium, or a
    /// multiplier of the province such as 0.01.
    #[arg(long, default_value = "province")]
    pub scale: String,
    #[arg(long, default_value_t = 20261101)]
    pub seed: u64,
    /// Where the exports, the warehouse and the results go (a set of the same scale and seed
    /// already there is reused).
    #[arg(long, default_value = "windowwatch-bench")]
    pub dir: PathBuf,
    /// Rounds of the ingest (each into a fresh warehouse) and runs of each rule; the median counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Leave out the reports.
    #[arg(long)]
    pub no_reports: bool,
    /// Time only the checks (and reports) on the warehouse a previous run left in DIR.
    #[arg(long)]
    pub reuse_warehouse: bool,
    /// Print the results as JSON (they are always written to DIR/windowwatch.json).
    #[arg(long)]
    pub json: bool,
}

#[cfg(feature = "pgwire")]
#[derive(Debug, Args)]
pub struct ServeSqlArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:5433")]
    pub listen: String,
    /// The instant the as-of views are built for (default: now, renewed at each connection).
    #[arg(long)]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {}

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: PrintFormat,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job's name (see `windowwatch jobs`).
    pub job: String,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The oldest heartbeat still healthy, in seconds.
    #[arg(long, default_value_t = 60)]
    pub max_age_secs: u64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (default: the current folder).
    pub dir: Option<PathBuf>,
    /// Replace an existing windowwatch.toml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and report every problem at once, with its line.
    Check {
        /// The file (default: --config, else ./windowwatch.toml).
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Send the monthly supervision report of a month to every office.
    Monthly {
        #[command(flatten)]
        args: MonthlyArgs,
        #[command(flatten)]
        send: SendFlags,
    },
    /// Send the daily warning (offices with nothing to warn about get nothing).
    Daily {
        #[command(flatten)]
        args: DailyArgs,
        #[command(flatten)]
        send: SendFlags,
    },
    /// Send the denial-filing register of a month (XLSX attached).
    Register {
        #[command(flatten)]
        args: RegisterArgs,
        #[command(flatten)]
        send: SendFlags,
    },
}

#[derive(Debug, Args, Clone)]
pub struct SendFlags {
    /// Mail recipients again even if the ledger says they already have this report.
    #[arg(long)]
    pub resend: bool,
    /// Show what would be sent without sending or recording anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// 月度监督通报: headline figures and 环比, rankings, queue, every red finding.
    Monthly(MonthlyArgs),
    /// 预警日报: cases due within a working day, newly overdue cases, unverified bad reviews.
    Daily(DailyArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ReportOut {
    /// Only this office (default: every office in the config).
    #[arg(long)]
    pub office: Option<String>,
    /// Where the files go (default: reports_dir of the config, else ./reports).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Use these templates instead of the built-in ones (same file names as report-templates/).
    #[arg(long)]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct MonthlyArgs {
    /// The month, e.g. 2026-10.
    #[arg(long)]
    pub month: String,
    /// The as-of instant (default: the first instant of the next month).
    #[arg(long)]
    pub as_of: Option<String>,
    /// The report is always written (HTML, text, charts, red-findings XLSX/CSV); docx or pdf adds
    /// the 通报 as an official document (GB/T 9704 layout) beside it. Needs the `documents` feature.
    #[arg(long, value_enum)]
    pub format: Option<crate::config::DocFormat>,
    #[command(flatten)]
    pub out: ReportOut,
}

#[derive(Debug, Args, Clone)]
pub struct DailyArgs {
    /// The as-of instant (default: now, China time).
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub out: ReportOut,
}

#[derive(Debug, Args, Clone)]
pub struct RegisterArgs {
    /// The month whose decisions the register lists, e.g. 2026-10.
    #[arg(long)]
    pub month: String,
    #[arg(long, value_enum, default_value_t = RegisterFormat::Xlsx)]
    pub format: RegisterFormat,
    /// The as-of instant for completeness (default: now, China time).
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub out: ReportOut,
}

#[derive(Debug, Args)]
pub struct RespondArgs {
    /// The finding's rule id, e.g. time_limit.overdue_completed.
    pub rule: String,
    /// The finding's entity id, as the findings show it.
    pub entity: String,
    /// The finding's month, e.g. 2026-10.
    pub month: String,
    /// 情况说明: what the hall says about the finding.
    #[arg(long)]
    pub explanation: String,
    /// The hall asks that the finding be excused (申诉).
    #[arg(long)]
    pub appeal: bool,
    /// Who responds (回告人).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub rule: String,
    pub entity: String,
    pub month: String,
    /// The decision on the appeal.
    #[arg(value_parser = ["认可", "不认可"])]
    pub decision: String,
    /// Who decides (审核人).
    #[arg(long)]
    pub by: String,
}

#[derive(Debug, Args)]
pub struct ResponseFormArgs {
    /// The month whose red findings the form lists, e.g. 2026-10.
    #[arg(long)]
    pub month: String,
    /// Only this office (default: every office in the config).
    #[arg(long)]
    pub office: Option<String>,
    /// Only this hall's findings.
    #[arg(long)]
    pub hall: Option<String>,
    /// The as-of instant of the check the form is filled from (default: now, China time).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Where the files go (default: reports_dir of the config, else ./reports).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// An export: tickets (排队叫号), cases (办件), ratings (好差评), denials (否定备案); reference
    /// data: halls, windows, staff; a supervisors' record: inspections, complaints, attendance,
    /// responses.
    #[arg(long, short)]
    pub table: String,
    /// Export files: CSV (UTF-8/GB18030), XLSX or JSON Lines; later files supersede earlier ones.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Text encoding of CSV/JSONL files (default: detected; e.g. gb18030, gbk, utf-8).
    #[arg(long)]
    pub encoding: Option<String>,
    /// The XLSX sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// How the source codes numeric satisfaction levels: "1=非常满意" (GB/T 39046) or "1=非常不满意".
    #[arg(long)]
    pub numeric_levels: Option<String>,
    /// Map an extra header to a contract column, e.g. --map 柜台号=window_id; may repeat.
    #[arg(long = "map", value_name = "HEADER=COLUMN")]
    pub map: Vec<String>,
    /// Read files again even if the same content was ingested before.
    #[arg(long)]
    pub force: bool,
    /// Print the reconciliation as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The as-of instant T, China time, e.g. "2026-11-01 00:00:00" (default: now).
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: PrintFormat,
    /// Write the findings to a file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Run only these rules (ids or prefixes such as `denial`); may repeat.
    #[arg(long = "rule")]
    pub rules: Vec<String>,
    /// Do not record the run in the warehouse.
    #[arg(long)]
    pub no_record: bool,
    /// Print personal data unmasked (findings carry none; accepted for symmetry with reports).
    #[arg(long, hide = true)]
    pub unmask: bool,
    /// Run the rules on an Apache DataFusion Ballista cluster: df://HOST:50050, or `standalone`
    /// (a scheduler and executor in this process). The cluster must see the warehouse folder at
    /// the same path. Needs the `ballista` feature.
    #[arg(long)]
    pub engine: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountabilityArgs {
    /// The calendar year accounted for.
    #[arg(long)]
    pub year: i32,
    /// Only this office's halls' staff.
    #[arg(long)]
    pub office: Option<String>,
    /// table, csv, json, jsonl; xlsx with -o FILE (default: table, or the -o file's extension).
    #[arg(long, value_enum)]
    pub format: Option<PrintFormat>,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// The instant the records are read as of, China time (default: now).
    #[arg(long)]
    pub as_of: Option<String>,
    /// docx or pdf: the table as an official document (GB/T 9704 layout, landscape) in -o FILE
    /// (feature `documents`).
    #[arg(long, value_enum, requires = "output")]
    pub document: Option<crate::config::DocFormat>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: PrintFormat,
    /// Instead of listing: write every view and rule as plain SQL rendered for --as-of, and the
    /// calendar as Parquet, into this folder (to run the same rules on another engine).
    #[arg(long)]
    pub render: Option<PathBuf>,
    /// The as-of instant for --render (default: now).
    #[arg(long, requires = "render")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 20261101)]
    pub seed: u64,
    /// small (the sample), medium, province, province10, or a multiplier such as 0.5 or 3.
    #[arg(long, default_value = "small")]
    pub scale: String,
    /// Do not compute and write the ground truth (large scales).
    #[arg(long)]
    pub no_truth: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo generates its exports when there is no sample-data/ here (the warehouse,
    /// reports and outbox go where the config says: ./windowwatch-data, ./reports, ./outbox).
    #[arg(long, default_value = "windowwatch-demo")]
    pub dir: PathBuf,
    /// Use the shipped sample-data/ instead of generating.
    #[arg(long)]
    pub sample: bool,
}
