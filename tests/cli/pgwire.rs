//! `serve-sql` with a real Postgres client (tokio-postgres, and psql when the machine has it):
//! SCRAM logins, the simple and the extended protocol, read-only, an office login that sees
//! only its halls, masked personal data.

use std::process::{Command, Stdio};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage};

use crate::common::{Env, Served, port_after};
use crate::reports::{CONFIG, IDS, PHONES, seed};

struct Server {
    _served: Served,
    port: u16,
}

fn start(env: &Env) -> Server {
    let config = format!(
        "{CONFIG}\n[sql]\n[[sql.users]]\nname = \"analyst\"\npassword_env = \"WW_TEST_ANALYST\"\n\n[[sql.users]]\nname = \"yi-analyst\"\npassword_env = \"WW_TEST_YI\"\noffice = \"yi\"\n\n[[sql.users]]\nname = \"nopass\"\npassword_env = \"WW_TEST_UNSET\"\n"
    );
    env.write("windowwatch.toml", config);
    let (served, line) = Served::start(
        Command::new(env!("CARGO_BIN_EXE_windowwatch"))
        .current_dir(env.dir.path())
        .args(["--data", env.data().to_str().unwrap(), "serve-sql", "--listen", "127.0.0.1:0", "--as-of", "2026-11-01 00:00:00"])
        .env("WW_TEST_ANALYST", "s3cret-analyst")
        .env("WW_TEST_YI", "s3cret-yi")
        .env_remove("WW_TEST_UNSET")
        .stderr(Stdio::inherit()),
    );
    let port = port_after(&line, "listening on 127.0.0.1:").unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { _served: served, port }
}

async fn connect(port: u16, user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
    let mut cfg = Config::new();
    cfg.host("127.0.0.1").port(port).user(user).password(password).dbname("windowwatch");
    let (client, conn) = cfg.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// The rows of a simple query as text.
async fn rows(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for m in c.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}")) {
        if let SimpleQueryMessage::Row(r) = m {
            out.push((0..r.len()).map(|i| r.get(i).map(String::from)).collect());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_client_queries_read_only_and_an_office_login_sees_only_its_halls() {
    let env = Env::new();
    seed(&env);
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    let server = start(&env);

    // Wrong password, unknown user and a login without a password in the environment: refused.
    for (user, pw) in [("analyst", "wrong"), ("nobody", "s3cret-analyst"), ("nopass", "")] {
        let e = connect(server.port, user, if pw.is_empty() { "x" } else { pw }).await.err().unwrap_or_else(|| panic!("{user} got in"));
        let db = e.as_db_error().unwrap_or_else(|| panic!("{user}: {e:?}"));
        assert_eq!(db.code(), &SqlState::INVALID_PASSWORD, "{user}: {db:?}");
        assert_eq!(db.severity(), "FATAL");
    }

    let c = connect(server.port, "analyst", "s3cret-analyst").await.unwrap();
    // Simple protocol.
    let r = rows(&c, "SELECT hall_id, count(*) AS n FROM cases GROUP BY hall_id ORDER BY hall_id").await;
    assert_eq!(r, vec![vec![Some("H01".into()), Some("2".into())], vec![Some("H02".into()), Some("3".into())], vec![Some("H03".into()), Some("3".into())]]);
    // Extended protocol with a parameter and typed results; the views and functions are there.
    let r = c.query("SELECT case_id, CAST(promised_days AS BIGINT) AS d, bucket FROM case_deadlines WHERE hall_id = $1 ORDER BY case_id", &[&"H01"]).await.unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].get::<_, &str>(0), "C-H01-1");
    assert_eq!(r[0].get::<_, Option<i64>>(1), Some(5));
    assert_eq!(r[0].get::<_, Option<&str>>(2), Some("超期"));
    let r = rows(&c, "SELECT add_workdays(TIMESTAMP '2026-09-30 10:00:00', 3), is_workday(DATE '2026-10-10')").await;
    assert!(r[0][0].as_deref().is_some_and(|t| t.starts_with("2026-10-10 23:59:59")), "{r:?}");
    assert_eq!(r[0][1].as_deref(), Some("t"));
    // Personal data masked for a login without show_personal_data.
    let all: String = rows(&c, "SELECT applicant_name, applicant_id_no, applicant_phone, extension_reason FROM cases").await.into_iter().flatten().flatten().collect::<Vec<_>>().join(" ");
    assert!(all.contains("110101********1234"), "{all}");
    for s in IDS.iter().chain(PHONES.iter()) {
        assert!(!all.contains(s), "{s} unmasked: {all}");
    }
    // What the catalog tools ask for answers (psql's \d, DBeaver's metadata queries).
    let tables = rows(&c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name").await;
    assert!(tables.iter().any(|t| t[0].as_deref() == Some("case_deadlines")), "{tables:?}");
    rows(&c, "SELECT relname FROM pg_catalog.pg_class LIMIT 5").await;
    rows(&c, "SET extra_float_digits = 3").await;
    rows(&c, "BEGIN").await;
    rows(&c, "COMMIT").await;

    // Read-only, on both protocols; the warehouse is unchanged.
    let before = env.state();
    for stmt in ["DELETE FROM cases", "INSERT INTO cases SELECT * FROM cases", "DROP TABLE cases", "CREATE TABLE x AS SELECT 1", "CREATE VIEW v AS SELECT 1", "COPY cases TO '/tmp/x.csv'", "SELECT * INTO y FROM cases", "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/tmp/'"] {
        let e = c.simple_query(stmt).await.expect_err(stmt);
        assert_eq!(e.code(), Some(&SqlState::READ_ONLY_SQL_TRANSACTION), "{stmt}: {e:?}");
        assert!(e.as_db_error().unwrap().message().contains("read-only"), "{stmt}: {e:?}");
        let e = c.query(stmt, &[]).await.expect_err(stmt);
        assert_eq!(e.code(), Some(&SqlState::READ_ONLY_SQL_TRANSACTION), "extended {stmt}: {e:?}");
    }
    assert_eq!(env.state(), before);
    // Mistakes: one readable error, the connection stays usable.
    let e = c.simple_query("SELECT nope FROM cases").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code(), &SqlState::UNDEFINED_COLUMN, "{db:?}");
    assert!(db.message().contains("No field named nope"), "{db:?}");
    let e = c.simple_query("SELEC 1").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::SYNTAX_ERROR), "{e:?}");
    assert_eq!(rows(&c, "SELECT 1").await, vec![vec![Some("1".into())]]);

    // The office login: only H03, in every table and view.
    let yi = connect(server.port, "yi-analyst", "s3cret-yi").await.unwrap();
    for view in ["cases", "tickets", "ratings", "denials", "cases_at", "case_deadlines", "denial_register", "bad_reviews", "window_rankings", "findings", "latest_findings", "rates", "latest_rates"] {
        let halls = rows(&yi, &format!("SELECT DISTINCT hall_id FROM {view} WHERE hall_id IS NOT NULL")).await;
        assert!(!halls.is_empty() || ["denials", "denial_register"].contains(&view), "{view} empty for yi");
        assert!(halls.iter().all(|h| h[0].as_deref() == Some("H03")), "yi sees {halls:?} in {view}");
    }
    let n = yi.query("SELECT count(*) FROM cases WHERE hall_id <> 'H03'", &[]).await.unwrap();
    assert_eq!(n[0].get::<_, i64>(0), 0);
    let e = yi.simple_query("SELECT * FROM quarantine").await.unwrap_err();
    assert!(e.as_db_error().unwrap().message().contains("quarantine"), "{e:?}");
    let ids: Vec<String> = rows(&yi, "SELECT case_id FROM cases ORDER BY case_id").await.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(ids, vec!["C-H03-1", "C-H03-2", "C-H03-3"]);

    // psql, when the machine has it: \d works and a query prints.
    if let Ok(out) = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "yi-analyst", "-d", "windowwatch", "-A", "-t", "-c", "SELECT count(*) FROM cases", "-c", "\\d"])
        .env("PGPASSWORD", "s3cret-yi")
        .output()
    {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "psql: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("3\n"), "{stdout}");
        assert!(stdout.contains("case_deadlines"), "psql \\d lists the views: {stdout}");
    }
}

/// The engine's settings are the server's: refused (42501) in every spelling, on both protocols,
/// for every login; nothing of them is applied (queries still run, no spill folder appears).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_login_changes_the_servers_settings_in_any_spelling() {
    let env = Env::new();
    seed(&env);
    let server = start(&env);
    let spill = env.dir.path().join("spill-here");
    let spill_sql = spill.display().to_string();
    let attempts = [
        "SET datafusion.runtime.memory_limit = '1K'".to_string(),
        "SET \"datafusion\".runtime.memory_limit = '1K'".into(),
        "SET \"datafusion\".\"runtime\".\"memory_limit\" TO '1K'".into(),
        "set DATAFUSION.RUNTIME.MEMORY_LIMIT = '1K'".into(),
        "SET /* x */ datafusion . runtime . memory_limit = '1K'".into(),
        "SET SESSION datafusion.runtime.memory_limit = '1K'".into(),
        format!("SET \"datafusion\".runtime.temp_directory = '{spill_sql}'"),
        "SET datafusion.execution.target_partitions = 1".into(),
        "RESET datafusion.runtime.memory_limit".into(),
        "SET memory_limit = '1K'".into(),
    ];
    for (user, pw) in [("analyst", "s3cret-analyst"), ("yi-analyst", "s3cret-yi")] {
        let c = connect(server.port, user, pw).await.unwrap();
        for stmt in &attempts {
            let e = c.simple_query(stmt).await.expect_err(stmt);
            assert_eq!(e.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{user}: {stmt}: {e:?}");
            let e = c.query(stmt.as_str(), &[]).await.expect_err(stmt);
            assert_eq!(e.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{user} extended: {stmt}: {e:?}");
        }
        // Client settings a driver sends still answer SET.
        for ok in ["SET extra_float_digits = 3", "SET client_encoding = 'UTF8'", "SET application_name = 'x'", "RESET ALL"] {
            rows(&c, ok).await;
        }
        // Nothing was applied: a query that needs memory runs, for this connection and a new one.
        let n = rows(&c, "SELECT count(*) FROM (SELECT c.case_id FROM cases c CROSS JOIN cases d ORDER BY 1)").await;
        assert!(n[0][0].is_some(), "{n:?}");
        let again = connect(server.port, user, pw).await.unwrap();
        rows(&again, "SELECT count(*) FROM cases").await;
    }
    assert!(!spill.exists(), "the read-only server created {spill:?}");
}

/// Every failed login looks the same: a real user, an unknown one, one whose password variable
/// is unset and an empty name all get a SCRAM challenge with salt and iterations, then the same
/// FATAL 28P01 worded the same way; a name's salt is stable, so asking twice tells nothing either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_names_cannot_be_enumerated() {
    let env = Env::new();
    seed(&env);
    let server = start(&env);
    let mut salts = Vec::new();
    for user in ["analyst", "nosuch", "nopass"] {
        let first = scram_challenge(server.port, user).await;
        assert!(first.contains(",s=") && first.contains(",i="), "{user:?}: {first}");
        let salt = |m: &str| m.split(',').find_map(|p| p.strip_prefix("s=")).map(String::from);
        let second = scram_challenge(server.port, user).await;
        assert_eq!(salt(&first), salt(&second), "{user:?}: the salt changes between attempts");
        salts.push(salt(&first));
        let e = connect(server.port, user, "wrong-password").await.err().unwrap_or_else(|| panic!("{user:?} got in"));
        let db = e.as_db_error().unwrap_or_else(|| panic!("{user:?}: {e:?}"));
        assert_eq!((db.code(), db.severity()), (&SqlState::INVALID_PASSWORD, "FATAL"), "{user:?}");
        assert_eq!(db.message(), format!("Password authentication failed for user \"{user}\""), "{user:?}");
    }
    salts.sort();
    salts.dedup();
    assert_eq!(salts.len(), 3, "each name its own salt: {salts:?}");
}

/// Speaks the start of the Postgres protocol by hand: startup for `user`, SCRAM-SHA-256 initial
/// response, and returns the server-first message (`r=…,s=…,i=…`).
async fn scram_challenge(port: u16, user: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut body = 196608u32.to_be_bytes().to_vec();
    for (k, v) in [("user", user), ("database", "windowwatch")] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend(body);
    s.write_all(&msg).await.unwrap();
    let (tag, first) = read_message(&mut s).await;
    assert_eq!(tag, b'R', "{user:?}: {first:?}");
    assert_eq!(&first[..4], &10u32.to_be_bytes(), "{user:?}: not SASL");
    let client_first = b"n,,n=,r=abcdefghijklmnopqrstuvwx";
    let mut body = b"SCRAM-SHA-256\0".to_vec();
    body.extend((client_first.len() as u32).to_be_bytes());
    body.extend(client_first);
    let mut msg = vec![b'p'];
    msg.extend(((body.len() + 4) as u32).to_be_bytes());
    msg.extend(body);
    s.write_all(&msg).await.unwrap();
    let (tag, cont) = read_message(&mut s).await;
    assert_eq!(tag, b'R', "{user:?}: {}", String::from_utf8_lossy(&cont));
    assert_eq!(&cont[..4], &11u32.to_be_bytes(), "{user:?}: not SASLContinue");
    let _ = s.shutdown().await;
    return String::from_utf8(cont[4..].to_vec()).unwrap();

    async fn read_message(s: &mut tokio::net::TcpStream) -> (u8, Vec<u8>) {
        let tag = s.read_u8().await.unwrap();
        let len = s.read_u32().await.unwrap() as usize;
        let mut buf = vec![0; len - 4];
        s.read_exact(&mut buf).await.unwrap();
        (tag, buf)
    }
}
