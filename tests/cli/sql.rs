//! The analysts' SQL through the CLI: `-c`, `-f`, `\i` and an interactive session on stdin all
//! print through the one exec path in every format; Parquet and XLSX results read back; the
//! session is read-only, masks personal data, limits an office to its halls, and answers mistakes
//! with one readable message. The working-day functions agree with the deadlines the rules use.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{Env, batches_to_maps, jsonl};
use crate::reports::{IDS, PHONES, seed};

const Q: &str = "SELECT case_id, hall_id, promised_days, accepted_at FROM cases ORDER BY case_id LIMIT 3";

#[test]
fn every_format_prints_the_same_rows_and_files_read_back() {
    let env = Env::new();
    seed(&env);
    let table = env.ww(&["sql", "-c", Q]).ok().stdout;
    assert!(table.contains("| case_id ") && table.contains("| C-H01-1 ") && table.contains("2026-10-09 09:00:00"), "{table}");

    let csv = env.ww(&["sql", "--format", "csv", "-c", Q]).ok().stdout;
    assert_eq!(csv, "case_id,hall_id,promised_days,accepted_at\nC-H01-1,H01,5,2026-10-09 09:00:00\nC-H01-2,H01,,2026-10-12 09:00:00\nC-H02-1,H02,10,2026-10-20 09:00:00\n");
    let tsv = env.ww(&["sql", "--format", "tsv", "-c", Q]).ok().stdout;
    assert_eq!(tsv.lines().nth(1), Some("C-H01-1\tH01\t5\t2026-10-09 09:00:00"));
    let lines = jsonl(&env.ww(&["sql", "--format", "jsonl", "-c", Q]).ok().stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], serde_json::json!({"case_id": "C-H01-1", "hall_id": "H01", "promised_days": 5, "accepted_at": "2026-10-09 09:00:00"}));
    assert_eq!(lines[1]["promised_days"], serde_json::Value::Null);
    let json: serde_json::Value = serde_json::from_str(&env.ww(&["sql", "--format", "json", "-c", Q]).ok().stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[2]["case_id"], "C-H02-1");

    // Binary formats go to files, and read back with real readers.
    env.ww(&["sql", "-c", Q, "-o", "out.parquet"]).ok();
    let f = std::fs::File::open(env.path("out.parquet")).unwrap();
    let batches: Vec<_> = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap().build().unwrap().collect::<Result<_, _>>().unwrap();
    let rows = batches_to_maps(&batches);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["case_id"], "C-H01-1");
    assert_eq!(rows[0]["accepted_at"], "2026-10-09 09:00:00");
    assert_eq!(rows[2]["promised_days"], "10");

    env.ww(&["sql", "-c", Q, "-c", "SELECT count(*) AS n FROM ratings", "-o", "out.xlsx"]).ok();
    use calamine::{Data, Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(env.path("out.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), vec!["result 1".to_string(), "result 2".to_string()], "one sheet per result");
    let r = wb.worksheet_range("result 1").unwrap();
    assert_eq!(r.get((0, 0)), Some(&Data::String("case_id".into())));
    assert_eq!(r.get((1, 0)), Some(&Data::String("C-H01-1".into())));
    assert_eq!(r.get((1, 2)), Some(&Data::Float(5.0)), "numbers stay numbers");
    assert!(matches!(r.get((1, 3)), Some(Data::DateTime(_))), "instants are Excel dates: {:?}", r.get((1, 3)));
    let r2 = wb.worksheet_range("result 2").unwrap();
    assert_eq!(r2.get((1, 0)), Some(&Data::Float(7.0)));

    // Text formats to a file: the extension decides.
    env.ww(&["sql", "-c", Q, "-o", "out.csv"]).ok();
    assert_eq!(std::fs::read_to_string(env.path("out.csv")).unwrap(), csv);
    // A binary format without a file is refused, not dumped on the terminal.
    let r = env.ww(&["sql", "--format", "parquet", "-c", Q]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("-o FILE"), "{}", r.stderr);
}

#[test]
fn files_and_includes_run_statements_and_commands_in_order() {
    let env = Env::new();
    seed(&env);
    env.write("inner.sql", "-- included\nSELECT count(*) AS tickets FROM tickets;\n");
    env.write(
        "script.sql",
        "\\format csv\n\
         SELECT hall_id,\n       count(*) AS n\n  FROM cases\n GROUP BY hall_id\n ORDER BY hall_id;\n\
         CREATE VIEW open_cases AS SELECT * FROM cases_at WHERE completed_at IS NULL;\n\
         SELECT count(*) AS open FROM open_cases; SELECT 'a;b' AS text;\n\
         \\i inner.sql\n",
    );
    let r = env.ww(&["sql", "--as-of", "2026-11-01", "-f", "script.sql"]).ok();
    assert_eq!(r.stdout, "hall_id,n\nH01,2\nH02,3\nH03,3\nopen\n3\ntext\na;b\ntickets\n21\n", "{}", r.stdout);

    // The first error ends a script with exit 2 and nothing after it runs.
    env.write("bad.sql", "SELECT 1 AS one;\nSELECT nope FROM cases;\nSELECT 2 AS two;\n");
    let r = env.ww(&["sql", "--format", "csv", "-f", "bad.sql"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("one\n1\n") && !r.stdout.contains("two"), "{}", r.stdout);
    assert!(r.stderr.contains("No field named nope"), "{}", r.stderr);
}

/// An interactive session: statements typed over several lines, the backslash commands, an error
/// that does not end the session.
#[test]
fn an_interactive_session_on_stdin() {
    let env = Env::new();
    seed(&env);
    let mut child = Command::new(env!("CARGO_BIN_EXE_windowwatch"))
        .current_dir(env.dir.path())
        .args(["--data", env.data().to_str().unwrap(), "sql", "--as-of", "2026-11-01 00:00:00"])
        .env("WINDOWWATCH_HISTORY", env.path("history").to_str().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = "\\?\n\\d\n\\d case_deadlines\n\\d add_workdays\nSELECT case_id,\n  bucket\nFROM case_deadlines\nWHERE case_id = 'C-H01-1';\nSELECT broken FROM cases;\n\\format jsonl\n\\timing on\nSELECT count(*) AS n FROM tickets_at;\n\\timing off\n\\format csv\nSELECT mask_id('110101199003071234') AS m;\n\\q\nSELECT 'after quit';\n";
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "an error happened in the session\n{stdout}\n{stderr}");
    assert!(stdout.contains("\\asof TIME"), "help: {stdout}");
    for name in ["tickets", "case_deadlines", "window_rankings", "latest_findings", "calendar_days", "add_workdays", "workdays_between", "is_workday", "mask_phone"] {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("| {name} "))), "\\d lists {name}: {stdout}");
    }
    assert!(stdout.contains("view case_deadlines: Every case the time limits apply to"), "{stdout}");
    assert!(stdout.contains("| deadline_at ") && stdout.contains("| bucket "), "\\d case_deadlines: {stdout}");
    assert!(stdout.contains("function add_workdays(t, n): the deadline n working days after t"), "{stdout}");
    assert!(stdout.contains("| C-H01-1 | 超期   |"), "multi-line statement: {stdout}");
    assert!(stderr.contains("ERROR: No field named broken") && stderr.contains("LINE 1: SELECT broken FROM cases"), "{stderr}");
    assert!(stdout.contains("{\"n\":21}\nTime: "), "jsonl and timing: {stdout}");
    assert!(stdout.contains("m\n110101********1234\n"), "{stdout}");
    assert!(!stdout.contains("after quit"), "\\q ends the session");
}

/// The line editor itself, on a real terminal (a pty from util-linux `script`): each line is typed
/// once the prompt is back, a statement spans two lines, the history file keeps it whole.
#[test]
fn the_shell_on_a_terminal_edits_lines_and_keeps_history() {
    use std::io::Read;
    use std::sync::mpsc;
    if Command::new("script").arg("--version").output().is_err() {
        panic!("this test needs `script` (util-linux) for a pty");
    }
    let env = Env::new();
    seed(&env);
    let cmd = format!("{} --data {} sql --as-of 2026-11-01", env!("CARGO_BIN_EXE_windowwatch"), env.data().display());
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env.dir.path())
        .env("WINDOWWATCH_HISTORY", env.path("history").to_str().unwrap())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(String::from_utf8_lossy(&buf[..n]).into_owned()).is_err() {
                break;
            }
        }
    });
    // What the terminal shows, without the editor's escape sequences and carriage returns.
    let ansi = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    let mut raw = String::new();
    let wait_for = |needle: &str, raw: &mut String| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !ansi.replace_all(raw, "").replace('\r', "").contains(needle) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(s) => raw.push_str(&s),
                Err(_) => panic!("waited for {needle:?}; the terminal showed:\n{raw}"),
            }
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    // `case_dead<Tab>` completes to the view's name.
    let lines = [
        ("SELECT count(*)", None),
        ("  AS n FROM tickets;", Some("| 21 |")),
        ("\\timing on", Some("Timing is on.")),
        ("SELECT nope FROM cases;", Some("ERROR: No field named nope")),
        ("SELECT 'still here' AS s;", Some("| still here |")),
        ("SELECT count(*) AS completed FROM case_dead\t;", Some("| completed |")),
        ("\\q", None),
    ];
    wait_for("windowwatch> ", &mut raw);
    for (line, marker) in lines {
        stdin.write_all(format!("{line}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
        match marker {
            Some(m) => wait_for(m, &mut raw),
            None => std::thread::sleep(std::time::Duration::from_millis(300)),
        }
    }
    let status = child.wait().unwrap();
    while let Ok(s) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
        raw.push_str(&s);
    }
    let seen = ansi.replace_all(&raw, "").replace('\r', "");
    assert!(status.success(), "{seen}");
    assert!(seen.contains("Time: "), "{seen}");
    assert!(seen.contains("FROM case_deadlines;"), "Tab completed the name: {seen}");
    let history = std::fs::read_to_string(env.path("history")).unwrap();
    assert!(history.contains("SELECT count(*)\\n  AS n FROM tickets;"), "{history}");
}

/// Quarantined rows whose personal columns came under a user's headers (`--map`, or
/// `[ingest.aliases]` in the config; CSV and JSON Lines, rows refused by a rule and rows that
/// cannot be read) are masked like any other: the raw row is masked by column, not by header.
#[test]
fn quarantined_rows_under_mapped_headers_are_masked() {
    let env = Env::new();
    let (id, phone) = ("110101199001011234", "13800138000");
    let head = "办件编号,大厅编码,事项编码,办件类型,承诺时限";
    env.write(
        "mapped.csv",
        format!(
            "{head},姓名,身份证,手机,受理时间,办理结果\n\
             C-1,H01,I1,承诺件,0,张三丰,{id},{phone},2026-10-09 09:00:00,办理中\n\
             C-2,H01,I1,即办件,,欧阳修,{id},{phone},2026-10-09 09:00:00,办理中,stray\n"
        ),
    );
    let map = ["--map", "姓名=applicant_name", "--map", "身份证=applicant_id_no", "--map", "手机=applicant_phone"];
    env.ww(&[&["ingest", "--table", "cases"][..], &map, &["mapped.csv"]].concat()).ok();
    // Headers that do not say what they hold, named in the config.
    env.write("w.toml", "[ingest.aliases.cases]\n\"办事人\" = \"applicant_name\"\n\"证照\" = \"applicant_id_no\"\n\"联络\" = \"applicant_phone\"\n");
    env.write("aliased.csv", format!("{head},办事人,证照,联络,受理时间,办理结果\nC-3,H01,I1,承诺件,0,诸葛亮,{id},{phone},2026-10-09 09:00:00,办理中\n"));
    env.write(
        "aliased.jsonl",
        format!(
            "{{\"办件编号\":\"C-4\",\"大厅编码\":\"H01\",\"事项编码\":\"I1\",\"办件类型\":\"承诺件\",\"承诺时限\":0,\"办事人\":\"司马懿\",\"证照\":\"{id}\",\"联络\":{phone},\"受理时间\":\"2026-10-09 09:00:00\",\"办理结果\":\"办理中\"}}\n\
             {{\"办件编号\":\"C-5\",\"办事人\": \"上官婉儿\", \"证照\": \"{id}\", \"联络\": {phone}\n"
        ),
    );
    env.ww(&["--config", "w.toml", "ingest", "--table", "cases", "aliased.csv"]).ok();
    env.ww(&["--config", "w.toml", "ingest", "--table", "cases", "aliased.jsonl"]).ok();

    let names = ["张三丰", "欧阳修", "诸葛亮", "司马懿", "上官婉儿"];
    let shown = env.ww(&["sql", "--show-personal-data", "--format", "csv", "-c", "SELECT raw FROM quarantine"]).ok().stdout;
    for s in names.iter().chain([&id, &phone]) {
        assert!(shown.contains(s), "{s} is kept in the quarantine:\n{shown}");
    }
    let mut masked = String::new();
    for fmt in ["csv", "jsonl"] {
        masked.push_str(&env.ww(&["sql", "--format", fmt, "-c", "SELECT * FROM quarantine"]).ok().stdout);
    }
    assert_eq!(masked.matches("110101********1234").count(), 10, "five rows, two formats:\n{masked}");
    for s in names.iter().chain([&id, &phone]) {
        assert!(!masked.contains(s), "{s} shown unmasked:\n{masked}");
    }
}

#[test]
fn personal_data_is_masked_unless_asked_and_the_warehouse_cannot_be_written() {
    let env = Env::new();
    seed(&env);
    // A quarantined row keeps its raw cells: they are masked too.
    env.write("bad-cases.csv", format!("办件编号,大厅编码,事项编码,办件类型,承诺时限,申请人,证件号码,联系电话,受理时间,办理结果\nC-BAD,H01,I1,承诺件,0,张三丰,{},{},2026-10-09 09:00:00,办理中\n", IDS[0], PHONES[0]));
    env.ww(&["ingest", "--table", "cases", "bad-cases.csv"]).ok();
    let queries = [
        "SELECT * FROM cases",
        "SELECT * FROM cases_at",
        "SELECT * FROM case_deadlines",
        "SELECT * FROM denials",
        "SELECT * FROM ratings",
        "SELECT * FROM quarantine",
        "SELECT * FROM denial_register",
    ];
    let mut all = String::new();
    for q in queries {
        for fmt in ["csv", "jsonl"] {
            all.push_str(&env.ww(&["sql", "--format", fmt, "-c", q]).ok().stdout);
        }
    }
    assert!(all.contains("张**") && all.contains("110101********1234") && all.contains("138****8000"), "{all}");
    for s in IDS.iter().chain(PHONES.iter()) {
        assert!(!all.contains(s), "{s} shown unmasked:\n{all}");
    }
    assert!(!all.contains("张三丰") && !all.contains("欧阳修"), "names shown");
    let shown = env.ww(&["sql", "--show-personal-data", "--format", "csv", "-c", "SELECT applicant_name, applicant_id_no FROM cases WHERE case_id = 'C-H01-1'"]).ok().stdout;
    assert_eq!(shown, format!("applicant_name,applicant_id_no\n张三丰,{}\n", IDS[0]));

    // Read-only: nothing that writes gets through, and the warehouse is unchanged.
    let before = env.state();
    for stmt in [
        "DELETE FROM cases",
        "INSERT INTO cases SELECT * FROM cases",
        "UPDATE cases SET hall_id = 'X'",
        "COPY cases TO 'copy.parquet'",
        "COPY (SELECT * FROM cases) TO 'copy.csv'",
    ] {
        let r = env.ww(&["sql", "-c", stmt]);
        assert_eq!(r.code, 2, "{stmt}: {}", r.stdout);
        assert!(r.stderr.contains("read-only") || r.stderr.contains("not supported"), "{stmt}: {}", r.stderr);
    }
    assert_eq!(env.state(), before);
    assert!(!env.path("copy.parquet").exists() && !env.path("copy.csv").exists());
}

#[test]
fn an_office_sees_only_its_halls_in_every_table_and_view() {
    let env = Env::new();
    seed(&env);
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    let halls = |office: &str, q: &str| -> Vec<String> {
        let out = env.ww(&["sql", "--office", office, "--as-of", "2026-11-01", "--format", "csv", "-c", q]).ok().stdout;
        out.lines().skip(1).map(|s| s.to_string()).collect()
    };
    for view in ["cases", "tickets", "ratings", "denials", "cases_at", "tickets_at", "case_deadlines", "denial_register", "bad_reviews", "window_rankings", "findings", "latest_findings", "rates", "latest_rates"] {
        let q = format!("SELECT DISTINCT hall_id FROM {view} WHERE hall_id IS NOT NULL ORDER BY hall_id");
        let yi = halls("yi", &q);
        assert!(yi.iter().all(|h| h == "H03"), "yi sees {yi:?} in {view}");
        let jia = halls("jia", &q);
        assert!(jia.iter().all(|h| h == "H01" || h == "H02"), "jia sees {jia:?} in {view}");
        let all = halls_all(&env, &q);
        assert!(all.len() >= yi.len() + jia.len(), "{view}: {all:?}");
    }
    assert_eq!(halls("yi", "SELECT DISTINCT hall_id FROM cases ORDER BY 1"), vec!["H03"]);
    // Joins and subqueries cannot reach around the limit either.
    assert_eq!(halls("yi", "SELECT count(*) FROM cases c JOIN ratings r ON r.hall_id <> c.hall_id"), vec!["0"]);
    // Whole-warehouse tables are not there for an office; run counts over every hall are hidden.
    let r = env.ww(&["sql", "--office", "yi", "-c", "SELECT * FROM quarantine"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("quarantine") && r.stderr.contains("not found"), "{}", r.stderr);
    assert_eq!(halls("yi", "SELECT run_id, findings IS NULL FROM check_runs"), vec!["1,true"]);
    let r = env.ww(&["sql", "--office", "nowhere", "-c", "SELECT 1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--office `nowhere`") && r.stderr.contains("jia, yi"), "{}", r.stderr);
}

/// A limited session (an office, or masked) reaches no file and no engine setting: the external
/// table over the warehouse's own Parquet, COPY and LOCATION in several spellings are refused,
/// and so are the engine's settings however they are quoted. Unlimited, the analyst may.
#[test]
fn a_limited_shell_reaches_no_file_and_no_engine_setting() {
    let env = Env::new();
    seed(&env);
    let cases = env.data().join("current").join("cases");
    let loc = cases.display().to_string();
    let spill = env.path("spill-here");
    let attempts = [
        format!("CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{loc}/'"),
        format!("create external table \"X\" stored as parquet location 'file://{loc}/'"),
        format!("CREATE UNBOUNDED EXTERNAL TABLE x STORED AS PARQUET LOCATION '{loc}/'"),
        format!("EXPLAIN CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{loc}/'"),
        "COPY (SELECT 1) TO 'out.csv'".to_string(),
        "SET \"datafusion\".runtime.memory_limit = '1K'".into(),
        format!("SET \"datafusion\".runtime.temp_directory = '{}'", spill.display()),
        "SET datafusion.execution.target_partitions = 1".into(),
        "RESET datafusion.runtime.memory_limit".into(),
    ];
    for office in [Some("yi"), Some("jia"), None] {
        for stmt in &attempts {
            let mut args = vec!["sql", "-c", stmt.as_str()];
            if let Some(o) = office {
                args.extend(["--office", o]);
            }
            let r = env.ww(&args);
            assert_eq!(r.code, 2, "{office:?}: {stmt} ran: {}", r.stdout);
            assert!(!r.stdout.contains("H01") && !r.stdout.contains("张"), "{office:?}: {stmt}: {}", r.stdout);
        }
        // Even with --show-personal-data, an office stays limited.
        if let Some(o) = office {
            let r = env.ww(&["sql", "--office", o, "--show-personal-data", "-c", &attempts[0]]);
            assert_eq!(r.code, 2, "{o}: {}", r.stdout);
        }
    }
    assert!(!spill.exists() && !env.path("out.csv").exists());
    // Unlimited (all halls, personal data shown) the analyst could read the files anyway.
    let q = format!("CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{loc}/'; SELECT count(*) AS n FROM x");
    let r = env.ww(&["sql", "--show-personal-data", "--format", "csv", "-c", &q]).ok();
    assert!(r.stdout.contains("n\n8\n"), "{}", r.stdout);
}

fn halls_all(env: &Env, q: &str) -> Vec<String> {
    let out = env.ww(&["sql", "--as-of", "2026-11-01", "--format", "csv", "-c", q]).ok().stdout;
    out.lines().skip(1).map(|s| s.to_string()).collect()
}

#[test]
fn mistakes_get_one_readable_message_with_the_position() {
    let env = Env::new();
    seed(&env);
    let cases = [
        ("SELECT case_idd FROM cases", "No field named case_idd", Some("LINE 1: SELECT case_idd FROM cases")),
        ("SELECT *\n  FROMM cases", "syntax error", Some("LINE 2:   FROMM cases")),
        ("SELECT * FROM casez", "casez", None),
        ("SELECT hall_id + 1 FROM cases", "Cannot coerce", None),
        ("SELECT add_workdays(accepted_at) FROM cases", "add_workdays", None),
        ("SELECT is_workday('someday')", "is not a date", None),
        // Out of range: an error naming the function, the argument and the range, not a panic.
        ("SELECT is_workday(arrow_cast(100000000,'Date32'))", "is_workday: argument 1", None),
        ("SELECT add_workdays(arrow_cast(95000000,'Date32'), 100000)", "0000-01-01 to 9999-12-31", None),
        ("SELECT add_workdays(DATE '2026-10-08', 9223372036854775807)", "add_workdays: argument 2", None),
    ];
    for (sql, says, line) in cases {
        let r = env.ww(&["sql", "-c", sql]);
        assert_eq!(r.code, 2, "{sql}");
        assert!(r.stderr.contains("ERROR: ") && r.stderr.contains(says), "{sql}: {}", r.stderr);
        if let Some(l) = line {
            assert!(r.stderr.contains(l), "{sql}: {}", r.stderr);
            let caret = r.stderr.lines().skip_while(|x| !x.starts_with("LINE")).nth(1).unwrap_or("");
            assert!(caret.trim() == "^", "a caret under the position: {}", r.stderr);
        }
        assert!(!r.stderr.contains("panicked") && !r.stderr.contains("backtrace") && r.stderr.lines().count() <= 4, "{sql}: {}", r.stderr);
    }
}

/// `add_workdays` is the deadline the time-limit rules compute: every acceptance day of 2026
/// (the holidays and their 调休 Saturdays included), promised 1 to 20 working days.
#[test]
fn add_workdays_agrees_with_the_deadlines_of_the_time_limit_rules_across_2026() {
    let env = Env::new();
    let mut csv = String::from("办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办理结果\n");
    let mut d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut n = 0;
    while d.format("%Y").to_string() == "2026" {
        for days in [1, 3, 5, 10, 15, 20] {
            n += 1;
            csv.push_str(&format!("C{n},H1,I1,承诺件,{days},{} 16:30:00,办理中\n", d.format("%Y-%m-%d")));
        }
        n += 1;
        csv.push_str(&format!("C{n},H1,I1,即办件,,{} 10:00:00,办理中\n", d.format("%Y-%m-%d")));
        d = d.succ_opt().unwrap();
    }
    env.write("year.csv", csv);
    env.ww(&["ingest", "--table", "cases", "year.csv"]).ok();
    let q = "SELECT count(*) AS cases,
                    sum(CASE WHEN deadline_at = CASE WHEN case_type = '即办件' THEN add_workdays(accepted_at, 0)
                                                     ELSE add_workdays(accepted_at, promised_days) END THEN 1 ELSE 0 END) AS same_deadline,
                    sum(CASE WHEN notify_at = add_workdays(deadline_at, 1) THEN 1 ELSE 0 END) AS same_notice,
                    sum(CASE WHEN case_type = '承诺件' AND workdays_between(accepted_at, deadline_at) = promised_days THEN 1 ELSE 0 END) AS between_ok,
                    sum(CASE WHEN is_workday(deadline_at) THEN 1 ELSE 0 END) AS on_workdays
             FROM case_deadlines";
    let out = env.ww(&["sql", "--as-of", "2027-01-01", "--format", "csv", "-c", q]).ok().stdout;
    let total = 365 * 7;
    let promised = 365 * 6;
    let cal = windowwatch::calendar::Calendar::builtin();
    let workdays_2026 = (0..365).filter(|i| cal.is_workday(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(*i))).count();
    assert_eq!(out, format!("cases,same_deadline,same_notice,between_ok,on_workdays\n{total},{total},{total},{promised},{}\n", promised + workdays_2026), "{out}");

    // And against the findings themselves: every open case's red card is due at add_workdays.
    let r = env.ww(&["check", "--as-of", "2027-01-01 00:00:00", "--rule", "time_limit.overdue_open", "--format", "jsonl", "--no-record"]);
    let findings = jsonl(&r.stdout);
    assert!(findings.len() > 2000, "{}", findings.len());
    let expected = env.ww(&["sql", "--format", "csv", "-c", "SELECT case_id, CASE WHEN case_type = '即办件' THEN add_workdays(accepted_at, 0) ELSE add_workdays(accepted_at, promised_days) END FROM cases"]).ok().stdout;
    let due: std::collections::HashMap<&str, &str> = expected.lines().skip(1).filter_map(|l| l.split_once(',')).collect();
    for f in &findings {
        let id = f["entity_id"].as_str().unwrap();
        assert_eq!(Some(&f["due_at"].as_str().unwrap()), due.get(id), "{id}");
    }
    // The National Day week: accepted Wednesday 2026-09-30, 3 working days → Saturday 10-10 (调休).
    let one = env.ww(&["sql", "--format", "csv", "-c", "SELECT deadline_at FROM case_deadlines WHERE accepted_at = TIMESTAMP '2026-09-30 16:30:00' AND promised_days = 3"]).ok().stdout;
    assert_eq!(one, "deadline_at\n2026-10-10 23:59:59\n");
}

#[test]
fn the_example_query_of_docs_sql_md_finds_the_items_a_holiday_made_overdue() {
    let env = Env::new();
    // 住院费用报销: C1 accepted the day before National Day, 3 working days, still open; C4 the
    // same, completed late — the holiday falls inside both time limits. C3 and 门诊费用报销's C2
    // are overdue in ordinary weeks; C5 was completed ahead of its deadline (提前).
    env.write(
        "cases.csv",
        "办件编号,大厅编码,事项编码,事项名称,办件类型,承诺时限,受理时间,办结时间,办理结果\n\
         C1,H1,I1,住院费用报销,承诺件,3,2026-09-30 10:00:00,,办理中\n\
         C2,H1,I2,门诊费用报销,承诺件,3,2026-10-19 10:00:00,,办理中\n\
         C3,H1,I1,住院费用报销,承诺件,3,2026-10-27 10:00:00,,办理中\n\
         C4,H1,I1,住院费用报销,承诺件,3,2026-09-30 11:00:00,2026-10-28 10:00:00,办结\n\
         C5,H1,I2,门诊费用报销,承诺件,3,2026-09-30 11:00:00,2026-10-09 10:00:00,办结\n",
    );
    env.ww(&["ingest", "--table", "cases", "cases.csv"]).ok();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sql.md")).unwrap();
    let example = doc.split("```sql\n").nth(1).and_then(|s| s.split("```").next()).expect("docs/sql.md has an SQL example");
    assert!(example.contains("kind = 'holiday'"), "{example}");
    let out = env.ww(&["sql", "--as-of", "2026-11-01 00:00:00", "--format", "csv", "-c", example]).ok().stdout;
    assert_eq!(out, "item_name,overdue\n住院费用报销,2\n");
    // The cases themselves, as the rules see them: C4 late (超期), C5 early (提前), C1 open and overdue.
    let q = "SELECT case_id, bucket, is_overdue FROM case_deadlines WHERE case_id IN ('C1', 'C4', 'C5') ORDER BY case_id";
    let out = env.ww(&["sql", "--as-of", "2026-11-01 00:00:00", "--format", "csv", "-c", q]).ok().stdout;
    assert_eq!(out, "case_id,bucket,is_overdue\nC1,,true\nC4,超期,true\nC5,提前,false\n");
}
