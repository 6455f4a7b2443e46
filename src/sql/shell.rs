//! `windowwatch sql`: the interactive shell (rustyline: multi-line statements ended by `;`,
//! history, completion of table, view, column and function names), `-c SQL`, `-f FILE`, `\i FILE`
//! and scripts piped into stdin. Every statement of every path goes through
//! [`super::exec_and_print`]; the backslash commands are the shell's own ([`super::command`]).

use std::borrow::Cow;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use super::command::Command;
use super::{FileSink, PrintOptions, SqlError, SqlSession, exec_and_print};
use crate::output::PrintFormat;
use crate::settings::Settings;

/// Whether SQL text ends a statement: its last character outside quotes and comments is `;`.
pub fn statement_complete(sql: &str) -> bool {
    let mut last = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                last = Some(c);
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            c if c.is_whitespace() => {}
            c => last = Some(c),
        }
    }
    last == Some(';')
}

fn write_err(e: std::io::Error) -> SqlError {
    SqlError::Output(e.into())
}

/// What a backslash command asks of the loop.
enum Control {
    Continue,
    Quit,
}

/// The shell's state: the session and where results go.
pub struct Shell<'a> {
    pub settings: &'a Settings,
    pub session: SqlSession,
    pub opts: PrintOptions,
    sink: FileSink,
    /// An error ends a script run (`-f`, `\i`, piped stdin); the interactive loop goes on.
    pub stop_on_error: bool,
    pub errors: usize,
}

impl<'a> Shell<'a> {
    pub fn new(settings: &'a Settings, session: SqlSession, opts: PrintOptions) -> Shell<'a> {
        Shell { settings, session, opts, sink: FileSink::default(), stop_on_error: true, errors: 0 }
    }

    /// Runs SQL text (one or more statements) through the one exec-and-print path.
    pub async fn exec(&mut self, sql: &str, out: &mut dyn Write) -> Result<(), SqlError> {
        exec_and_print(&self.session, sql, &self.opts, out, &mut self.sink).await
    }

    /// Writes the results kept for `\o`/`-o` to their file.
    pub fn flush_file(&mut self) -> Result<(), SqlError> {
        let sink = std::mem::take(&mut self.sink);
        if let Some(path) = &self.opts.output {
            let format = file_format(path, self.opts.format);
            sink.finish(path, format)?;
        }
        Ok(())
    }

    /// Runs a script: statements ended by `;` and backslash commands on lines of their own.
    pub async fn run_script(&mut self, text: &str, out: &mut dyn Write) -> Result<bool, SqlError> {
        let mut buf = String::new();
        for line in text.lines() {
            if buf.trim().is_empty() && line.trim_start().starts_with('\\') {
                buf.clear();
                let r = Box::pin(self.command(line.trim(), out)).await;
                match self.step(r) {
                    Err(e) => return Err(e),
                    Ok(Some(Control::Quit)) => return Ok(false),
                    Ok(_) => continue,
                }
            }
            buf.push_str(line);
            buf.push('\n');
            if statement_complete(&buf) {
                let sql = std::mem::take(&mut buf);
                let r = self.exec(&sql, out).await;
                self.step(r.map(|_| Control::Continue))?;
            }
        }
        if !buf.trim().is_empty() {
            let r = self.exec(&buf, out).await;
            self.step(r.map(|_| Control::Continue))?;
        }
        Ok(true)
    }

    /// Counts an error; returns it when it should end the run, else prints it.
    fn step(&mut self, r: Result<Control, SqlError>) -> Result<Option<Control>, SqlError> {
        match r {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                self.errors += 1;
                if self.stop_on_error {
                    Err(e)
                } else {
                    eprintln!("{e}");
                    Ok(None)
                }
            }
        }
    }

    /// Runs one backslash command line.
    async fn command(&mut self, line: &str, out: &mut dyn Write) -> Result<Control, SqlError> {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        let arg = arg.trim_end_matches(';').trim();
        let Some(cmd) = Command::parse(name) else {
            return Err(SqlError::Usage(format!("unknown command `{name}`; \\? lists the commands")));
        };
        match cmd {
            Command::Quit => return Ok(Control::Quit),
            Command::Help => writeln!(out, "{}", super::command::help()).map_err(write_err)?,
            Command::Describe if arg.is_empty() => self.list_objects(out)?,
            Command::Describe => self.describe(arg, out).await?,
            Command::Include => return self.include(arg, out).await,
            Command::Output => self.output_to(arg, out)?,
            Command::Format => self.set_format(arg)?,
            Command::Timing => self.set_timing(arg, out)?,
            Command::AsOf => self.set_as_of(arg, out).await?,
        }
        Ok(Control::Continue)
    }

    /// `\d`: the tables, views and functions, with what each holds.
    fn list_objects(&self, out: &mut dyn Write) -> Result<(), SqlError> {
        let objects = self.session.objects();
        let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
        let kinds: Vec<&str> = objects.iter().map(|o| o.kind).collect();
        let descriptions: Vec<&str> = objects.iter().map(|o| o.description.as_str()).collect();
        self.print_meta(out, &[("name", names), ("kind", kinds), ("description", descriptions)])
    }

    /// `\d NAME`: the columns of a table or view, or what a function does.
    async fn describe(&self, arg: &str, out: &mut dyn Write) -> Result<(), SqlError> {
        let name = arg.trim_matches('"').to_lowercase();
        let objects = self.session.objects();
        let obj = objects.iter().find(|o| o.name == name);
        if let Some(o) = obj.filter(|o| o.kind == "function") {
            return writeln!(out, "function {}", o.description).map_err(write_err);
        }
        let Some(cols) = self.session.columns(&name).await else {
            return Err(SqlError::Usage(format!("\\d: no table, view or function named `{name}` (\\d lists them)")));
        };
        if let Some(o) = obj {
            writeln!(out, "{} {}: {}", o.kind, o.name, o.description).map_err(write_err)?;
        }
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let types: Vec<&str> = cols.iter().map(|c| c.1.as_str()).collect();
        let nullable: Vec<&str> = cols.iter().map(|c| if c.2 { "yes" } else { "no" }).collect();
        self.print_meta(out, &[("column", names), ("type", types), ("nullable", nullable)])
    }

    /// `\i FILE`: runs a script; an error in it ends it, and a `\q` in it ends the shell.
    async fn include(&mut self, arg: &str, out: &mut dyn Write) -> Result<Control, SqlError> {
        if arg.is_empty() {
            return Err(SqlError::Usage("\\i: name a file".into()));
        }
        let text = read_script(&PathBuf::from(arg))?;
        let was = self.stop_on_error;
        self.stop_on_error = true;
        let r = Box::pin(self.run_script(&text, out)).await;
        self.stop_on_error = was;
        Ok(if r? { Control::Continue } else { Control::Quit })
    }

    /// `\o [FILE]`: results to a file, or back to the screen.
    fn output_to(&mut self, arg: &str, out: &mut dyn Write) -> Result<(), SqlError> {
        self.flush_file()?;
        self.opts.output = if arg.is_empty() { None } else { Some(PathBuf::from(arg)) };
        if let Some(p) = &self.opts.output {
            writeln!(out, "results go to {} ({})", p.display(), format_name(file_format(p, self.opts.format))).map_err(write_err)?;
        }
        Ok(())
    }

    /// `\format FORMAT` (and psql's `\pset format FORMAT`).
    fn set_format(&mut self, arg: &str) -> Result<(), SqlError> {
        let f = PrintFormat::parse(arg.trim_start_matches("format").trim())
            .ok_or_else(|| SqlError::Usage(format!("\\format `{arg}`: expected table, csv, tsv, json, jsonl, parquet or xlsx")))?;
        if f.is_binary() && self.opts.output.is_none() {
            return Err(SqlError::Usage(format!("\\format {}: binary output goes to a file; first \\o FILE", format_name(f))));
        }
        self.opts.format = f;
        Ok(())
    }

    /// `\timing [on|off]`; alone it toggles.
    fn set_timing(&mut self, arg: &str, out: &mut dyn Write) -> Result<(), SqlError> {
        self.opts.timing = match arg {
            "" => !self.opts.timing,
            "on" => true,
            "off" => false,
            _ => return Err(SqlError::Usage(format!("\\timing `{arg}`: expected on or off"))),
        };
        writeln!(out, "Timing is {}.", if self.opts.timing { "on" } else { "off" }).map_err(write_err)
    }

    /// `\asof TIME`: the as-of views re-created for another instant.
    async fn set_as_of(&mut self, arg: &str, out: &mut dyn Write) -> Result<(), SqlError> {
        let t = crate::clock::parse_instant(arg.trim_matches('"').trim_matches('\'')).map_err(|e| SqlError::Usage(format!("\\asof: {e}")))?;
        let settings = self.settings;
        self.session.set_as_of(settings, t).await?;
        writeln!(out, "as-of views now as of {}", t.format("%Y-%m-%d %H:%M:%S")).map_err(write_err)
    }

    /// Listings print in the current text format (a table while results go to a file).
    fn print_meta(&self, out: &mut dyn Write, columns: &[(&str, Vec<&str>)]) -> Result<(), SqlError> {
        let schema = Arc::new(Schema::new(columns.iter().map(|(n, _)| Field::new(*n, DataType::Utf8, false)).collect::<Vec<_>>()));
        let arrays = columns.iter().map(|(_, v)| Arc::new(StringArray::from(v.clone())) as ArrayRef).collect();
        let b = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| SqlError::Output(e.into()))?;
        let f = if self.opts.format.is_binary() || self.opts.output.is_some() { PrintFormat::Table } else { self.opts.format };
        crate::output::print_batches(out, &schema, &[b], f)?;
        Ok(())
    }

    /// The interactive loop.
    pub async fn repl(&mut self) -> Result<(), SqlError> {
        self.stop_on_error = false;
        let words = self.session.words().await;
        let helper = ShellHelper { words };
        let config = rustyline::Config::builder().auto_add_history(false).completion_type(rustyline::CompletionType::List).build();
        let mut rl: Editor<ShellHelper, rustyline::history::FileHistory> =
            Editor::with_config(config).map_err(|e| SqlError::Usage(format!("cannot start the shell: {e}")))?;
        rl.set_helper(Some(helper));
        let history = history_file();
        if let Some(h) = &history {
            let _ = rl.load_history(h);
        }
        println!(
            "windowwatch SQL · warehouse {} (snapshot {}) · views as of {}{}{} · \\? for help, \\q to quit",
            self.settings.config.data_dir.display(),
            self.session.snapshot.map_or("none yet".into(), |s| s.to_string()),
            self.session.as_of.format("%Y-%m-%d %H:%M:%S"),
            match &self.session.access.office {
                Some(o) => format!(" · office {o} only"),
                None => String::new(),
            },
            if self.session.access.masked { " · personal data masked" } else { "" },
        );
        loop {
            match rl.readline("windowwatch> ") {
                Ok(line) => {
                    let text = line.trim();
                    if text.is_empty() {
                        continue;
                    }
                    let _ = rl.add_history_entry(text);
                    let mut out = std::io::stdout().lock();
                    let r = if text.starts_with('\\') {
                        match self.command(text, &mut out).await {
                            Ok(Control::Quit) => break,
                            Ok(Control::Continue) => Ok(()),
                            Err(e) => Err(e),
                        }
                    } else {
                        self.exec(text, &mut out).await
                    };
                    drop(out);
                    if let Err(e) = r {
                        self.errors += 1;
                        eprintln!("{e}");
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(rustyline::error::ReadlineError::Eof) => break,
                Err(e) => return Err(SqlError::Usage(format!("shell: {e}"))),
            }
        }
        if let Some(h) = &history {
            let _ = rl.save_history(h);
        }
        self.flush_file()
    }
}

fn format_name(f: PrintFormat) -> String {
    format!("{f:?}").to_lowercase()
}

/// The format of a results file: `--format`/`\format` when given as more than a table, else the
/// file's extension, else CSV.
pub fn file_format(path: &Path, chosen: PrintFormat) -> PrintFormat {
    if chosen != PrintFormat::Table {
        chosen
    } else {
        PrintFormat::from_extension(path).filter(|f| *f != PrintFormat::Table).unwrap_or(PrintFormat::Csv)
    }
}

pub fn read_script(path: &Path) -> Result<String, SqlError> {
    std::fs::read_to_string(path).map_err(|e| SqlError::Io { path: path.to_path_buf(), source: e })
}

/// `$WINDOWWATCH_HISTORY`, else `~/.windowwatch_history`.
fn history_file() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("WINDOWWATCH_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".windowwatch_history"))
}

/// Completion of names, multi-line input until `;`.
struct ShellHelper {
    words: Vec<String>,
}

const COMMANDS: [&str; 10] = ["\\d", "\\i", "\\o", "\\format", "\\timing", "\\asof", "\\?", "\\q", "\\pset", "\\help"];
const KEYWORDS: [&str; 28] = [
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "JOIN", "LEFT", "INNER", "ON", "AS", "AND", "OR", "NOT", "NULL", "IS",
    "COUNT", "SUM", "AVG", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "EXPLAIN",
];

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\')).map_or(0, |i| i + before[i..].chars().next().map_or(1, |c| c.len_utf8()));
        let word = &before[start..];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let lower = word.to_lowercase();
        let mut out: Vec<Pair> = Vec::new();
        if word.starts_with('\\') {
            out.extend(COMMANDS.iter().filter(|c| c.starts_with(word)).map(|c| Pair { display: c.to_string(), replacement: c.to_string() }));
        } else {
            out.extend(self.words.iter().filter(|w| w.to_lowercase().starts_with(&lower)).map(|w| Pair { display: w.clone(), replacement: w.clone() }));
            let upper = word.to_uppercase();
            let keep_case = |k: &str| if word.chars().next().is_some_and(|c| c.is_lowercase()) { k.to_lowercase() } else { k.to_string() };
            out.extend(KEYWORDS.iter().filter(|k| k.starts_with(&upper)).map(|k| Pair { display: keep_case(k), replacement: keep_case(k) }));
        }
        Ok((start, out))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, _default: bool) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input().trim();
        if input.is_empty() || input.starts_with('\\') || statement_complete(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Helper for ShellHelper {}

/// How `windowwatch sql` was asked to run.
pub struct Invocation {
    pub commands: Vec<String>,
    pub files: Vec<PathBuf>,
    pub opts: PrintOptions,
}

/// Runs `-c` commands and `-f` files in order, or the shell on a terminal, or the script on a
/// piped stdin. Returns the exit code: 0, or 2 after an error.
pub async fn main(settings: &Settings, session: SqlSession, inv: Invocation) -> Result<u8, SqlError> {
    let mut shell = Shell::new(settings, session, inv.opts);
    let mut out = std::io::stdout().lock();
    let scripted = !inv.commands.is_empty() || !inv.files.is_empty();
    let result: Result<(), SqlError> = async {
        if scripted {
            for c in &inv.commands {
                if c.trim_start().starts_with('\\') {
                    if let Control::Quit = shell.command(c.trim(), &mut out).await? {
                        break;
                    }
                } else {
                    shell.exec(c, &mut out).await?;
                }
            }
            for f in &inv.files {
                let text = read_script(f)?;
                if !shell.run_script(&text, &mut out).await? {
                    break;
                }
            }
        } else if std::io::stdin().is_terminal() {
            drop(out);
            shell.repl().await?;
            // A mistake typed at the prompt was answered there; the session itself went fine.
            shell.errors = 0;
            return Ok(());
        } else {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| SqlError::Io { path: "stdin".into(), source: e })?;
            shell.stop_on_error = false;
            shell.run_script(&text, &mut out).await?;
        }
        out.flush().map_err(|e| SqlError::Output(e.into()))?;
        Ok(())
    }
    .await;
    let flushed = shell.flush_file();
    result?;
    flushed?;
    Ok(if shell.errors > 0 { 2 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_ends_at_a_semicolon_outside_quotes_and_comments() {
        assert!(statement_complete("SELECT 1;"));
        assert!(statement_complete("SELECT 1;  -- done\n"));
        assert!(!statement_complete("SELECT ';'"));
        assert!(!statement_complete("SELECT 1 -- ;"));
        assert!(!statement_complete("SELECT 1 /* ; */"));
        assert!(statement_complete("SELECT \"a;\" FROM t\n;"));
        assert!(!statement_complete(""));
    }
}
