//! `windowwatch config check` and `windowwatch init`: every mistake of a file at once with its
//! line; the starter config (as written, and with every example uncommented) is valid.

use crate::common::Env;

#[test]
fn config_check_lists_every_mistake_with_its_line() {
    let env = Env::new();
    let text = "data_dir = 5\n\
                colour = \"blue\"\n\
                [[offices]]\n\
                name = \"无编号\"\n\
                halls = [\"H01\"]\n\
                to = [\"not-an-address\"]\n\
                [[jobs]]\n\
                type = \"montly\"\n\
                cron = \"0 0 8 1 * *\"\n\
                [[jobs]]\n\
                type = \"inbox\"\n\
                cron = \"*/5 * * * *\"\n\
                settle_secs = -3\n\
                tickets = \"[abc\"\n\
                [[jobs]]\n\
                type = \"monthly\"\n\
                cron = \"0 0 8 1 * *\"\n\
                send = \"yes\"\n\
                catch_up = \"sometimes\"\n";
    env.write("windowwatch.toml", text);
    let r = env.ww(&["config", "check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let expect = [
        "line 1: data_dir",
        "line 2: colour",
        "offices[0].id: missing",
        "line 6: offices[0]",
        "line 8: jobs[0].type",
        "line 12: jobs[1].cron",
        "line 13: jobs[1].settle_secs",
        "line 14: jobs[1].tickets",
        "line 18: jobs[2].send",
        "line 19: jobs[2].catch_up",
    ];
    for e in expect {
        assert!(r.stderr.contains(e), "missing `{e}` in:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("10 problems"), "{}", r.stderr);
    // An explicit file, and --config, work the same.
    assert_eq!(env.ww(&["config", "check", "windowwatch.toml"]).code, 2);
    assert_eq!(env.ww(&["--config", "windowwatch.toml", "config", "check"]).code, 2);
    // No file at all is an error too.
    let empty = Env::new();
    let r = empty.ww(&["config", "check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("windowwatch init"), "{}", r.stderr);
}

#[test]
fn init_writes_a_starter_that_passes_config_check_and_refuses_to_overwrite() {
    let env = Env::new();
    let r = env.ww(&["init", "site"]).ok();
    assert!(r.stdout.contains("site/windowwatch.toml"), "{}", r.stdout);
    for d in ["site/data", "site/inbox/processed", "site/inbox/rejected", "site/outbox", "site/reports"] {
        assert!(env.path(d).is_dir(), "{d}");
    }
    let r = env.ww(&["--config", "site/windowwatch.toml", "config", "check"]).ok();
    assert!(r.stdout.contains("valid"), "{}", r.stdout);
    for job in ["inbox", "check", "daily", "monthly", "register"] {
        assert!(r.stdout.contains(job), "{}", r.stdout);
    }
    let again = env.ww(&["init", "site"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    env.ww(&["init", "site", "--force"]).ok();
    // `jobs` reads it.
    let j = env.ww(&["--config", "site/windowwatch.toml", "jobs"]).ok();
    assert!(j.stdout.contains("0 0 8 1 * *"), "{}", j.stdout);
}

#[test]
fn every_example_in_the_starter_is_valid_when_uncommented() {
    let text = windowwatch::setup::STARTER;
    // Examples are `#key = value` / `#[section]` (no space after #); prose is `# text`.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c == '[' || c == '"' || c.is_ascii_lowercase()) => rest.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = windowwatch::config::Config::parse(&uncommented, std::path::Path::new("/srv/ww/windowwatch.toml"))
        .unwrap_or_else(|e| panic!("{e}\n---\n{uncommented}"));
    assert_eq!(c.offices.len(), 1);
    assert!(c.smtp.is_some());
    assert_eq!(c.jobs.len(), 6);
    assert_eq!(c.sql_users.len(), 1);
    assert_eq!(c.web.users.len(), 1);
    assert!(c.memory_limit.is_some() && c.numeric_levels.is_some() && !c.aliases.is_empty());
    // And nothing was left commented that looks like an example.
    assert!(!uncommented.lines().any(|l| l.starts_with("#[") || l.starts_with("#name")), "{uncommented}");
}
