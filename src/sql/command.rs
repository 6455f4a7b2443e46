//! The shell's backslash commands as one enum: the names each answers to, its arguments and what
//! it does live together here, and the help text (`\?`) is generated from them, so the help can
//! never list a command the shell does not know or miss one it does (as datafusion-cli's
//! `command.rs`).

/// A backslash command of `windowwatch sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `\d` lists tables, views and functions; `\d NAME` describes one.
    Describe,
    Include,
    Output,
    Format,
    Timing,
    AsOf,
    Help,
    Quit,
}

impl Command {
    /// Every command, in the order the help lists them.
    pub const ALL: [Command; 8] = [Command::Describe, Command::Include, Command::Output, Command::Format, Command::Timing, Command::AsOf, Command::Help, Command::Quit];

    /// The names the command answers to, the one the help shows first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Command::Describe => &["\\d"],
            Command::Include => &["\\i", "\\include"],
            Command::Output => &["\\o", "\\out"],
            Command::Format => &["\\format", "\\pset"],
            Command::Timing => &["\\timing"],
            Command::AsOf => &["\\asof"],
            Command::Help => &["\\?", "\\h", "\\help"],
            Command::Quit => &["\\q", "\\quit"],
        }
    }

    /// The help lines of the command: (usage, what it does; further lines of it after `\n`).
    pub fn help(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Command::Describe => &[
                ("\\d", "list tables, views and functions, with what each holds"),
                ("\\d NAME", "the columns of a table or view (or what a function does)"),
            ],
            Command::Include => &[("\\i FILE", "run the statements and commands of FILE")],
            Command::Output => &[(
                "\\o [FILE]",
                "write results to FILE (format from its extension or \\format; csv, tsv, json,\njsonl, parquet, xlsx); \\o alone goes back to the screen",
            )],
            Command::Format => &[("\\format FORMAT", "table, csv, tsv, json, jsonl (parquet and xlsx need \\o FILE)")],
            Command::Timing => &[("\\timing [on|off]", "print the time each statement took")],
            Command::AsOf => &[("\\asof TIME", "re-create the as-of views (cases_at, case_deadlines, …) for another instant")],
            Command::Help => &[("\\?", "this help")],
            Command::Quit => &[("\\q", "quit (Ctrl-D too)")],
        }
    }

    /// The command a name stands for.
    pub fn parse(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.names().contains(&name))
    }
}

/// The shell's help: how statements end, a line per command usage, what the session may do.
pub fn help() -> String {
    const WIDTH: usize = 15;
    let mut s = String::from("Statements end with `;` and may span lines. Backslash commands:\n");
    for (usage, what) in Command::ALL.iter().flat_map(|c| c.help()) {
        let mut lines = what.lines();
        s.push_str(&format!("  {usage:<WIDTH$} {}\n", lines.next().unwrap_or_default()));
        for more in lines {
            s.push_str(&format!("  {:<WIDTH$} {more}\n", ""));
        }
    }
    s.push_str("The session is read-only: the warehouse changes only by `windowwatch ingest` and `check`.");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_to_its_command_and_no_name_is_used_twice() {
        let mut seen = Vec::new();
        for c in Command::ALL {
            for n in c.names() {
                assert_eq!(Command::parse(n), Some(c), "{n}");
                assert!(!seen.contains(n), "{n} twice");
                seen.push(*n);
            }
            assert!(c.help().iter().all(|(usage, _)| c.names().iter().any(|n| usage.starts_with(n))), "{c:?}: its help names it");
        }
        assert_eq!(Command::parse("\\x"), None);
    }

    #[test]
    fn the_help_lines_up_the_usages_and_lists_every_command() {
        let h = help();
        assert!(h.contains("\n  \\d              list tables"), "{h}");
        assert!(h.contains("\n  \\timing [on|off] print the time"), "{h}");
        assert!(h.contains("json,\n                  jsonl, parquet, xlsx); \\o alone"), "{h}");
        for c in Command::ALL {
            assert!(h.contains(&format!("\n  {}", c.names()[0])), "{c:?}");
        }
    }
}
