//! Delivery against a real SMTP server on loopback: aiosmtpd (`tests/smtp_server.py`, installed
//! by `scripts/test`) over plain, STARTTLS and implicit TLS with AUTH. Every received mail is
//! parsed with a real MIME parser (mail-parser); the XLSX attachment is read back with calamine.
//! The ledger is checked through the warehouse and through SQL.
//!
//! These tests need `WINDOWWATCH_TEST_PYTHON` (set by `scripts/test`); without it they fail, they
//! never skip.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use windowwatch::config::{Config, Security, Smtp};
use windowwatch::deliver::ledger::{self, Entry};
use windowwatch::deliver::{self, Attachment, Backoff, DeliverError, DeliverOptions, DeliveryReport, InlineImage, Message, Outcome};
use windowwatch::store::Warehouse;

use crate::common::{Env, Served, batches_to_maps, port_after, recorded, set_rules};

const USER: &str = "jiandu";
/// The password the tests put in the environment; no output may ever contain it.
const PASSWORD: &str = "Tr0ub4dor&3-窗口-secret";
const PASSWORD_ENV: &str = "WW_DELIVER_TEST_SMTP_PASSWORD";
const FROM: &str = "窗口监督 <ww@jiandu.example.cn>";

/// A 1×1 PNG (the chart stand-in); compared byte for byte after the round trip.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];
const XLSX_NAME: &str = "红牌明细-某某市医疗保障局政务服务大厅二〇二六年十月.xlsx";
const CSV_NAME: &str = "否定备案登记表 2026-10.csv";
const CSV_BYTES: &str = "\u{feff}登记编号,办件编号,完整性\nR1,C1,完整\nR2,C7,缺少告知书\n";

fn python() -> String {
    std::env::var("WINDOWWATCH_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "WINDOWWATCH_TEST_PYTHON is not set: the delivery tests need a real SMTP server (Python's aiosmtpd). \
             Run scripts/test, which installs it into a venv and runs cargo test."
        )
    })
}

fn set_password_env() {
    static ONCE: Once = Once::new();
    // SAFETY: set once, before any delivery test reads it; std serialises its own environment
    // access and nothing in this test binary reads the environment through libc directly.
    ONCE.call_once(|| unsafe { std::env::set_var(PASSWORD_ENV, PASSWORD) });
}

struct Certs {
    cert: PathBuf,
    key: PathBuf,
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with rcgen.
fn certs(env: &Env) -> Certs {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("rcgen");
    Certs { cert: env.write("tls/cert.pem", ck.cert.pem()), key: env.write("tls/key.pem", ck.signing_key.serialize_pem()) }
}

struct Server {
    served: Served,
    port: u16,
    dir: PathBuf,
    rules: PathBuf,
}

#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_tos: Vec<String>,
    login: Option<String>,
    tls: bool,
    raw: Vec<u8>,
}

impl Server {
    /// Starts `tests/smtp_server.py` on a free loopback port; AUTH with USER and `password`.
    fn start(env: &Env, name: &str, mode: &str, certs: Option<&Certs>, password: Option<&str>) -> Server {
        let dir = env.path(&format!("smtp-{name}"));
        let rules = env.path(&format!("smtp-{name}-rules.json"));
        let log = std::fs::File::create(env.path(&format!("smtp-{name}.log"))).unwrap();
        let mut cmd = Command::new(python());
        cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py"))
            .args(["--mode", mode])
            .arg("--dir")
            .arg(&dir)
            .arg("--rules")
            .arg(&rules);
        if let Some(c) = certs {
            cmd.arg("--cert").arg(&c.cert).arg("--key").arg(&c.key);
        }
        if let Some(p) = password {
            cmd.args(["--user", USER, "--password", p]);
        }
        let (served, line) = Served::start(cmd.stdin(Stdio::piped()).stderr(log));
        let port = port_after(&line, "READY ").unwrap_or_else(|| {
            let log = std::fs::read_to_string(env.path(&format!("smtp-{name}.log"))).unwrap_or_default();
            panic!("the test SMTP server did not start (got {line:?}); is aiosmtpd installed? run scripts/test\n{log}")
        });
        Server { served, port, dir, rules }
    }

    fn set_rules(&self, rules: serde_json::Value) {
        set_rules(&self.rules, &rules);
    }

    fn received(&self) -> Vec<Received> {
        recorded(&self.dir)
            .iter()
            .map(|m| {
                let v: serde_json::Value = serde_json::from_slice(&std::fs::read(m).unwrap()).unwrap();
                Received {
                    mail_from: v["mail_from"].as_str().unwrap().to_string(),
                    rcpt_tos: v["rcpt_tos"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_lowercase()).collect(),
                    login: v["login"].as_str().map(str::to_string),
                    tls: v["tls"].as_bool().unwrap(),
                    raw: std::fs::read(m.with_extension("eml")).unwrap(),
                }
            })
            .collect()
    }

    /// Every RCPT the server saw for `addr`, with the answer it gave.
    fn rcpt_attempts(&self, addr: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.dir.join("attempts.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["rcpt"] == addr)
            .map(|v| v["answer"].as_str().unwrap().to_string())
            .collect()
    }

    /// How many mails each address received (envelope).
    fn per_recipient(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for r in self.received() {
            assert_eq!(r.rcpt_tos.len(), 1, "one SMTP transaction per recipient: {:?}", r.rcpt_tos);
            *m.entry(r.rcpt_tos[0].clone()).or_default() += 1;
        }
        m
    }
}

fn smtp(server: &Server, security: Security, user: bool, ca_file: Option<&Path>) -> Smtp {
    set_password_env();
    Smtp {
        host: "127.0.0.1".into(),
        port: server.port,
        security,
        user: user.then(|| USER.to_string()),
        password_env: PASSWORD_ENV.into(),
        from: FROM.into(),
        timeout_secs: 10,
        ca_file: ca_file.map(Path::to_path_buf),
        retries: 3,
    }
}

fn config(env: &Env, smtp: Option<Smtp>) -> Config {
    Config { data_dir: env.data(), outbox: env.path("outbox"), smtp, ..Config::default() }
}

fn opts() -> DeliverOptions {
    DeliverOptions { backoff: Backoff { initial: Duration::from_millis(100), max: Duration::from_millis(400) }, ..DeliverOptions::default() }
}

fn resend() -> DeliverOptions {
    DeliverOptions { resend: true, ..opts() }
}

fn xlsx_bytes() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("红牌明细").unwrap();
    for (c, h) in ["规则", "办件编号", "窗口", "超期工作日"].iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    ws.write(1, 0, "time_limit.overdue_open").unwrap();
    ws.write(1, 1, "C1").unwrap();
    ws.write(1, 2, "W1").unwrap();
    ws.write(1, 3, 3).unwrap();
    wb.save_to_buffer().unwrap()
}

fn message(office: &str, report: &str, period: &str, to: &[&str], cc: &[&str]) -> Message {
    Message {
        office_id: office.into(),
        report: report.into(),
        period: period.into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        cc: cc.iter().map(|s| s.to_string()).collect(),
        subject: format!("【月度监督通报】{office} {period} 医疗保障窗口服务监督通报（按时办结率 98.5%）"),
        text: format!("{office} {period} 窗口服务监督通报\n按时办结率 98.5%，红牌 1 件。\n"),
        html: format!("<html><body><h1>{office} {period} 窗口服务监督通报</h1><p>按时办结率 98.5%</p><img src=\"cid:chart1\" alt=\"窗口排名\"></body></html>"),
        inline: vec![InlineImage { cid: "chart1".into(), content_type: "image/png".into(), bytes: PNG.to_vec() }],
        attachments: vec![
            Attachment { filename: XLSX_NAME.into(), content_type: deliver::XLSX.into(), bytes: xlsx_bytes() },
            Attachment { filename: CSV_NAME.into(), content_type: deliver::CSV.into(), bytes: CSV_BYTES.as_bytes().to_vec() },
        ],
    }
}

fn ledger_rows(env: &Env) -> Vec<Entry> {
    let wh = Warehouse::open(&env.data()).unwrap();
    ledger::read(wh.current().unwrap().as_ref()).unwrap()
}

fn outcomes(r: &DeliveryReport) -> Vec<(String, String)> {
    r.recipients
        .iter()
        .map(|x| {
            let o = match &x.outcome {
                Outcome::Sent { .. } => "sent",
                Outcome::AlreadySent { .. } => "already_sent",
                Outcome::Written { .. } => "written",
                Outcome::AlreadyWritten { .. } => "already_written",
                Outcome::Failed { permanent: true, .. } => "failed_permanent",
                Outcome::Failed { permanent: false, .. } => "failed_transient",
                Outcome::NotAttempted { .. } => "not_attempted",
                Outcome::WouldSend => "would_send",
                Outcome::WouldWrite { .. } => "would_write",
            };
            (x.recipient.clone(), o.to_string())
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Everything a person sees in the mail, checked on the parsed MIME.
fn check_mime(raw: &[u8], office: &str, period: &str) {
    let text = String::from_utf8(raw.to_vec()).expect("the mail is ASCII/UTF-8");
    assert!(text.is_ascii(), "every header and body is 7-bit encoded (base64 / quoted-printable / RFC 2047)");
    let m = MessageParser::default().parse(raw).expect("the mail parses");
    assert_eq!(m.subject().unwrap(), format!("【月度监督通报】{office} {period} 医疗保障窗口服务监督通报（按时办结率 98.5%）"));
    let from = m.from().unwrap().first().unwrap();
    assert_eq!((from.name().unwrap(), from.address().unwrap()), ("窗口监督", "ww@jiandu.example.cn"));
    let to: Vec<(Option<&str>, &str)> = m.to().unwrap().iter().map(|a| (a.name(), a.address().unwrap())).collect();
    assert_eq!(to, vec![(None, "a@office.example.cn"), (Some("王科长"), "b@office.example.cn")]);
    let cc: Vec<&str> = m.cc().unwrap().iter().map(|a| a.address().unwrap()).collect();
    assert_eq!(cc, vec!["c@bureau.example.cn"]);
    assert!(m.message_id().unwrap().starts_with("ww.monthly.2026-10."), "{:?}", m.message_id());
    assert!(m.message_id().unwrap().ends_with("@jiandu.example.cn"));
    assert_eq!(m.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));

    // Structure: mixed[ alternative[ text, related[ html, png ] ], xlsx, csv ].
    let root = m.root_part();
    assert!(root.is_content_type("multipart", "mixed"));
    let alt = m.part(root.sub_parts().unwrap()[0]).unwrap();
    assert!(alt.is_content_type("multipart", "alternative"));
    let alt_parts = alt.sub_parts().unwrap();
    assert!(m.part(alt_parts[0]).unwrap().is_content_type("text", "plain"));
    let related = m.part(alt_parts[1]).unwrap();
    assert!(related.is_content_type("multipart", "related"));

    assert_eq!(m.body_text(0).unwrap().replace("\r\n", "\n"), format!("{office} {period} 窗口服务监督通报\n按时办结率 98.5%，红牌 1 件。\n"));
    let html = m.body_html(0).unwrap();
    assert!(html.contains("<img src=\"cid:chart1\""), "{html}");
    assert!(html.contains(&format!("<h1>{office} {period} 窗口服务监督通报</h1>")), "{html}");

    // The inline image: in the related part, Content-ID <chart1>, the same bytes.
    let img = m.part(related.sub_parts().unwrap()[1]).unwrap();
    assert!(img.is_content_type("image", "png"));
    assert_eq!(img.content_id(), Some("chart1"));
    assert_eq!(img.content_disposition().map(|d| d.ctype()), Some("inline"));
    assert_eq!(img.contents(), PNG);

    // The attachments: Chinese names decoded, the files open.
    let atts: Vec<_> = m.attachments().filter(|a| a.content_disposition().is_some_and(|d| d.ctype() == "attachment")).collect();
    assert_eq!(atts.len(), 2);
    let xlsx = atts.iter().find(|a| a.attachment_name() == Some(XLSX_NAME)).unwrap_or_else(|| {
        panic!("no attachment named {XLSX_NAME}: {:?}", atts.iter().map(|a| a.attachment_name()).collect::<Vec<_>>())
    });
    assert_eq!(xlsx.content_type().and_then(|c| c.attribute("name")), Some(XLSX_NAME), "RFC 2047 name= for Outlook/Foxmail");
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.contents().to_vec())).expect("the XLSX opens");
    let range = wb.worksheet_range("红牌明细").expect("the sheet is there");
    assert_eq!(range.get_value((0, 1)), Some(&Data::String("办件编号".into())));
    assert_eq!(range.get_value((1, 1)), Some(&Data::String("C1".into())));
    assert_eq!(range.get_value((1, 3)), Some(&Data::Float(3.0)));
    let csv = atts.iter().find(|a| a.attachment_name() == Some(CSV_NAME)).expect("the CSV attachment");
    assert!(matches!(csv.body, PartType::Binary(_) | PartType::Text(_)));
    assert_eq!(csv.contents(), CSV_BYTES.as_bytes());
    assert!(csv.is_content_type("text", "csv"));
    let mut rd = csv::Reader::from_reader(csv.contents().strip_prefix("\u{feff}".as_bytes()).unwrap());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(&rows[1][2], "缺少告知书");

    // RFC 2231 filename* as well, for clients that read only the standard form.
    let unfolded = text.replace("\r\n ", " ");
    let pct: String = XLSX_NAME.bytes().take(6).map(|b| format!("%{b:02X}")).collect();
    assert!(unfolded.contains(&format!("filename*0*=UTF-8''{pct}")), "RFC 2231 filename* in the XLSX part");
}

async fn sql_rows(env: &Env, sql: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let wh = Warehouse::open(&env.data()).unwrap();
    let snap = wh.current().unwrap();
    let ctx = windowwatch::engine::new_context(&Default::default(), Vec::new(), None).await.unwrap();
    windowwatch::engine::register_tables(&ctx, snap.as_ref(), &windowwatch::calendar::Calendar::builtin()).await.unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    batches_to_maps(&batches)
}

const A: &str = "a@office.example.cn";
const B: &str = "王科长 <b@office.example.cn>";
const C: &str = "c@bureau.example.cn";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_smtp_mails_each_recipient_once_with_a_complete_mime_message() {
    let env = Env::new();
    let server = Server::start(&env, "plain", "plain", None, Some(PASSWORD));
    let cfg = config(&env, Some(smtp(&server, Security::Plain, true, None)));
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C])];

    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(
        outcomes(&r),
        pairs(&[("a@office.example.cn", "sent"), ("b@office.example.cn", "sent"), ("c@bureau.example.cn", "sent")]),
        "{r}"
    );
    assert!(r.complete());
    assert!(r.to_string().contains("已发送 sent"), "{r}");

    // One transaction per recipient, authenticated, from smtp.from; every copy shows To and Cc.
    let got = server.received();
    assert_eq!(got.len(), 3);
    let mut envelope: Vec<String> = got.iter().map(|g| g.rcpt_tos[0].clone()).collect();
    envelope.sort();
    assert_eq!(envelope, vec!["a@office.example.cn", "b@office.example.cn", "c@bureau.example.cn"]);
    let mut ids = Vec::new();
    for g in &got {
        assert_eq!(g.mail_from, "ww@jiandu.example.cn");
        assert_eq!(g.login.as_deref(), Some(USER));
        assert!(!g.tls);
        check_mime(&g.raw, "南城监督科", "2026-10");
        ids.push(MessageParser::default().parse(&g.raw).unwrap().message_id().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one Message-ID for the message, whoever receives it");

    // The ledger: a row per recipient, with the server's answer; readable with SQL.
    let rows = ledger_rows(&env);
    assert_eq!(rows.len(), 3);
    for e in &rows {
        assert_eq!((e.office_id.as_str(), e.report.as_str(), e.period.as_str(), e.status.as_str()), ("南城监督科", "monthly", "2026-10", "sent"));
        assert_eq!(e.attempts, 1);
        assert!(e.answer.as_deref().unwrap().starts_with("250 2.0.0 Ok: queued as WW"), "{e:?}");
        assert_eq!(format!("<{}>", ids[0]), e.message_id);
        assert!(e.transport.starts_with("smtp://127.0.0.1:"), "{e:?}");
        assert!(!e.resend);
    }
    let b = rows.iter().find(|e| e.recipient == "b@office.example.cn").unwrap();
    assert_eq!(b.header, "to");
    assert_eq!(rows.iter().find(|e| e.recipient == "c@bureau.example.cn").unwrap().header, "cc");
    let sql = sql_rows(&env, "SELECT recipient, status, attempts FROM deliveries ORDER BY recipient").await;
    assert_eq!(sql.len(), 3);
    assert_eq!(sql[0]["recipient"], "a@office.example.cn");
    assert_eq!(sql[0]["status"], "sent");
    assert_eq!(sql[0]["attempts"], "1");

    // A second delivery of the same period mails nothing and does not even connect.
    let r2 = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert!(r2.recipients.iter().all(|x| matches!(x.outcome, Outcome::AlreadySent { .. })), "{r2}");
    assert_eq!(server.received().len(), 3);
    assert_eq!(ledger_rows(&env).len(), 3);

    // A dry run says what would happen and does nothing.
    let dry = deliver::deliver(&msgs, &cfg, &wh, &DeliverOptions { dry_run: true, resend: true, ..opts() }).await.unwrap();
    assert!(dry.recipients.iter().all(|x| x.outcome == Outcome::WouldSend), "{dry}");
    assert_eq!(server.received().len(), 3);

    // resend: everyone again, marked as a resend, the same Message-ID.
    let r3 = deliver::deliver(&msgs, &cfg, &wh, &resend()).await.unwrap();
    assert_eq!(r3.sent(), 3, "{r3}");
    assert_eq!(server.per_recipient().values().copied().collect::<Vec<_>>(), vec![2, 2, 2]);
    let rows = ledger_rows(&env);
    assert_eq!(rows.iter().filter(|e| e.resend).count(), 3);
    assert!(rows.iter().all(|e| e.message_id == format!("<{}>", ids[0])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_is_reported_and_that_recipient_alone_is_tried_next_run() {
    let env = Env::new();
    let server = Server::start(&env, "perm", "plain", None, None);
    server.set_rules(serde_json::json!({"b@office.example.cn": {"reply": "550 5.1.1 <b@office.example.cn>: Recipient address rejected: User unknown"}}));
    let cfg = config(&env, Some(smtp(&server, Security::Plain, false, None)));
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C]), message("北城监督科", "monthly", "2026-10", &["d@north.example.cn"], &[])];

    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(
        outcomes(&r),
        pairs(&[
            ("a@office.example.cn", "sent"),
            ("b@office.example.cn", "failed_permanent"),
            ("c@bureau.example.cn", "sent"),
            ("d@north.example.cn", "sent"),
        ])
    );
    let Outcome::Failed { attempts, answer, .. } = &r.recipients[1].outcome else { unreachable!() };
    assert_eq!(*attempts, 1, "a permanent refusal is not retried");
    assert_eq!(answer, "550 5.1.1 <b@office.example.cn>: Recipient address rejected: User unknown");
    assert_eq!(server.rcpt_attempts("b@office.example.cn").len(), 1);
    assert!(!r.complete());
    assert!(r.to_string().contains("550 5.1.1"), "{r}");
    let failed: Vec<Entry> = ledger_rows(&env).into_iter().filter(|e| e.status == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].failure.as_deref(), failed[0].attempts), (Some("permanent"), 1));
    assert!(failed[0].answer.as_deref().unwrap().contains("User unknown"));

    // Who still lacks the report, in SQL (the query docs/delivery.md shows).
    let unsent = sql_rows(
        &env,
        "SELECT office_id, report, period, recipient FROM deliveries GROUP BY office_id, report, period, recipient \
         HAVING sum(CASE WHEN status IN ('sent', 'written') THEN 1 ELSE 0 END) = 0",
    )
    .await;
    assert_eq!(unsent.len(), 1);
    assert_eq!(unsent[0]["recipient"], "b@office.example.cn");

    // Still refused: the next run tries b again and only b.
    let r2 = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(r2.sent(), 0);
    assert_eq!(r2.failures().len(), 1);
    assert_eq!(server.rcpt_attempts("b@office.example.cn").len(), 2);

    // The mailbox is fixed: b gets it, nobody gets a second copy.
    server.set_rules(serde_json::json!({}));
    let r3 = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(r3.sent(), 1, "{r3}");
    assert!(r3.complete());
    let per = server.per_recipient();
    assert_eq!(per.len(), 4);
    assert!(per.values().all(|n| *n == 1), "{per:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_with_backoff_and_delivered_once() {
    let env = Env::new();
    let server = Server::start(&env, "transient", "plain", None, None);
    server.set_rules(serde_json::json!({
        "a@office.example.cn": {"reply": "451 4.3.0 Temporary lookup failure", "times": 2},
        "b@office.example.cn": {"reply": "421 4.7.0 Too many connections, try later"},
        "c@bureau.example.cn": {"reply": "452 4.3.1 Insufficient system storage", "at": "data", "times": 1},
    }));
    let cfg = config(&env, Some(smtp(&server, Security::Plain, false, None)));
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C])];

    let t0 = Instant::now();
    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    let elapsed = t0.elapsed();
    assert_eq!(
        outcomes(&r),
        pairs(&[("a@office.example.cn", "sent"), ("b@office.example.cn", "failed_transient"), ("c@bureau.example.cn", "sent")]),
        "{r}"
    );
    // a: refused twice, accepted on the third attempt, delivered once.
    assert!(matches!(&r.recipients[0].outcome, Outcome::Sent { attempts: 3, .. }), "{r}");
    assert_eq!(server.rcpt_attempts("a@office.example.cn"), vec!["451 4.3.0 Temporary lookup failure", "451 4.3.0 Temporary lookup failure", "250 OK"]);
    // b: 1 attempt + smtp.retries (3), then reported with the server's answer.
    let Outcome::Failed { attempts, answer, permanent } = &r.recipients[1].outcome else { unreachable!() };
    assert_eq!((*attempts, *permanent), (4, false));
    assert_eq!(answer, "421 4.7.0 Too many connections, try later");
    assert_eq!(server.rcpt_attempts("b@office.example.cn").len(), 4);
    // c: refused at DATA once, then accepted.
    assert!(matches!(&r.recipients[2].outcome, Outcome::Sent { attempts: 2, .. }), "{r}");
    // Backoff 100, 200 ms for a; 100, 200, 400 ms for b; 100 ms for c.
    assert!(elapsed >= Duration::from_millis(1100), "backoff waited only {elapsed:?}");
    let per = server.per_recipient();
    assert_eq!((per.get("a@office.example.cn"), per.get("b@office.example.cn"), per.get("c@bureau.example.cn")), (Some(&1), None, Some(&1)));
    let rows = ledger_rows(&env);
    let a = rows.iter().find(|e| e.recipient == "a@office.example.cn").unwrap();
    assert_eq!((a.status.as_str(), a.attempts), ("sent", 3));
    let b = rows.iter().find(|e| e.recipient == "b@office.example.cn").unwrap();
    assert_eq!((b.status.as_str(), b.attempts, b.failure.as_deref()), ("failed", 4, Some("transient")));

    // The server recovers: the next run sends b only.
    server.set_rules(serde_json::json!({}));
    let r2 = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(
        outcomes(&r2),
        pairs(&[("a@office.example.cn", "already_sent"), ("b@office.example.cn", "sent"), ("c@bureau.example.cn", "already_sent")])
    );
    assert!(server.per_recipient().values().all(|n| *n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_short_resumes_without_mailing_anyone_twice() {
    let env = Env::new();
    let server = Server::start(&env, "cut", "plain", None, None);
    // The server sits on c's RCPT: the run is killed while waiting there.
    server.set_rules(serde_json::json!({"c@bureau.example.cn": {"delay": 60}}));
    let cfg = config(&env, Some(smtp(&server, Security::Plain, false, None)));
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C, "d@bureau.example.cn"])];

    let (cfg2, msgs2, data) = (cfg.clone(), msgs.clone(), env.data());
    let run = tokio::spawn(async move {
        let wh = Warehouse::open(&data).unwrap();
        deliver::deliver(&msgs2, &cfg2, &wh, &opts()).await
    });
    let marker = server.dir.join("delaying-c@bureau.example.cn");
    let t0 = Instant::now();
    while !marker.exists() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the run never reached c");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());

    // What was accepted before the cut is in the ledger, nothing else.
    let rows = ledger_rows(&env);
    let mut sent: Vec<&str> = rows.iter().filter(|e| e.status == "sent").map(|e| e.recipient.as_str()).collect();
    sent.sort();
    assert_eq!(sent, vec!["a@office.example.cn", "b@office.example.cn"]);

    server.set_rules(serde_json::json!({}));
    let wh = Warehouse::open(&env.data()).unwrap();
    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(
        outcomes(&r),
        pairs(&[
            ("a@office.example.cn", "already_sent"),
            ("b@office.example.cn", "already_sent"),
            ("c@bureau.example.cn", "sent"),
            ("d@bureau.example.cn", "sent"),
        ])
    );
    let per = server.per_recipient();
    assert_eq!(per.len(), 4);
    assert!(per.values().all(|n| *n == 1), "{per:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_mid_run_stops_the_run_and_the_next_run_finishes_it() {
    let env = Env::new();
    let mut server = Server::start(&env, "gone", "plain", None, None);
    server.set_rules(serde_json::json!({"c@bureau.example.cn": {"delay": 60}}));
    let cfg = config(&env, Some(smtp(&server, Security::Plain, false, None)));
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C, "d@bureau.example.cn"])];

    let (cfg2, msgs2, data) = (cfg.clone(), msgs.clone(), env.data());
    let run = tokio::spawn(async move {
        let wh = Warehouse::open(&data).unwrap();
        deliver::deliver(&msgs2, &cfg2, &wh, &opts()).await
    });
    let marker = server.dir.join("delaying-c@bureau.example.cn");
    let t0 = Instant::now();
    while !marker.exists() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the run never reached c");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The mail server dies while c waits: c is retried (the server stays down), d is not tried.
    server.served.child.kill().unwrap();
    let r = run.await.unwrap().unwrap();
    assert_eq!(
        outcomes(&r),
        pairs(&[
            ("a@office.example.cn", "sent"),
            ("b@office.example.cn", "sent"),
            ("c@bureau.example.cn", "failed_transient"),
            ("d@bureau.example.cn", "not_attempted"),
        ]),
        "{r}"
    );
    assert!(matches!(&r.recipients[2].outcome, Outcome::Failed { attempts: 4, .. }), "{r}");
    let rows = ledger_rows(&env);
    assert_eq!(rows.len(), 3, "a and b sent, c failed; d was not attempted: {rows:?}");

    // The server is back (on another port): c and d get it, a and b do not get it again.
    let back = Server::start(&env, "back", "plain", None, None);
    let cfg = config(&env, Some(smtp(&back, Security::Plain, false, None)));
    let wh = Warehouse::open(&env.data()).unwrap();
    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(
        outcomes(&r),
        pairs(&[
            ("a@office.example.cn", "already_sent"),
            ("b@office.example.cn", "already_sent"),
            ("c@bureau.example.cn", "sent"),
            ("d@bureau.example.cn", "sent"),
        ])
    );
    assert_eq!(server.per_recipient().len(), 2);
    assert_eq!(back.per_recipient().keys().cloned().collect::<Vec<_>>(), vec!["c@bureau.example.cn", "d@bureau.example.cn"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_implicit_tls_with_a_self_signed_certificate_trusted_via_ca_file() {
    let env = Env::new();
    let certs = certs(&env);
    for (mode, security) in [("starttls", Security::StartTls), ("tls", Security::Tls)] {
        let server = Server::start(&env, mode, mode, Some(&certs), Some(PASSWORD));
        let data = env.path(&format!("data-{mode}"));
        let wh = Warehouse::open(&data).unwrap();
        let mut cfg = config(&env, Some(smtp(&server, security.clone(), true, Some(&certs.cert))));
        cfg.data_dir = data.clone();
        let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A, B], &[C])];

        // Without ca_file the self-signed certificate is not trusted: a clear error, nothing sent.
        let mut untrusted = cfg.clone();
        untrusted.smtp.as_mut().unwrap().ca_file = None;
        let e = deliver::deliver(&msgs, &untrusted, &wh, &opts()).await.unwrap_err();
        assert!(matches!(e, DeliverError::Tls { .. }), "{mode}: {e}");
        assert!(e.to_string().contains("smtp.ca_file"), "{e}");
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
        assert!(server.received().is_empty());

        let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(r.sent(), 3, "{mode}: {r}");
        assert!(r.transport.contains(&format!("({mode})")), "{}", r.transport);
        let got = server.received();
        assert_eq!(got.len(), 3);
        for g in &got {
            assert!(g.tls, "{mode}: the mail went over TLS");
            assert_eq!(g.login.as_deref(), Some(USER));
            check_mime(&g.raw, "南城监督科", "2026-10");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_password_fails_clearly_and_the_password_never_shows() {
    let env = Env::new();
    let certs = certs(&env);
    let server = Server::start(&env, "auth", "starttls", Some(&certs), Some("the-right-password"));
    let cfg = config(&env, Some(smtp(&server, Security::StartTls, true, Some(&certs.cert))));
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A], &[])];

    let e = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap_err();
    let shown = format!("{e}\n{e:?}");
    assert!(matches!(e, DeliverError::Auth { .. }), "{shown}");
    assert!(shown.contains("535"), "the server's answer is shown: {shown}");
    assert!(shown.contains(USER), "{shown}");
    assert!(shown.contains("登录被拒绝"), "{shown}");
    assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    assert!(!shown.contains("Tr0ub4dor"), "part of the password leaked: {shown}");
    assert!(server.received().is_empty());
    assert!(ledger_rows(&env).is_empty(), "nothing was attempted per recipient");

    // The variable is not set: said so by name, before connecting.
    let mut unset = cfg.clone();
    unset.smtp.as_mut().unwrap().password_env = "WW_DELIVER_TEST_UNSET_PASSWORD".into();
    let e = deliver::deliver(&msgs, &unset, &wh, &opts()).await.unwrap_err();
    assert!(matches!(e, DeliverError::PasswordMissing { .. }), "{e}");
    assert!(e.to_string().contains("WW_DELIVER_TEST_UNSET_PASSWORD"), "{e}");

    // The config's Debug/serialisation carries the variable's name, never its value.
    let dbg = format!("{cfg:?}{}", serde_json::to_string(&cfg).unwrap());
    assert!(!dbg.contains(PASSWORD));

    // The right password: delivered.
    let right = Server::start(&env, "auth-ok", "starttls", Some(&certs), Some(PASSWORD));
    let cfg = config(&env, Some(smtp(&right, Security::StartTls, true, Some(&certs.cert))));
    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(r.sent(), 1);
    assert!(!format!("{r}{r:?}{}", serde_json::to_string(&r).unwrap()).contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_retried_then_reported_and_nothing_is_recorded() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = config(
        &env,
        Some(Smtp {
            host: "127.0.0.1".into(),
            port,
            security: Security::Plain,
            user: None,
            password_env: "UNUSED".into(),
            from: FROM.into(),
            timeout_secs: 5,
            ca_file: None,
            retries: 2,
        }),
    );
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![message("南城监督科", "monthly", "2026-10", &[A], &[])];
    let e = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap_err();
    assert!(matches!(e, DeliverError::Unreachable { attempts: 3, .. }), "{e}");
    assert!(e.to_string().contains("无法连接邮件服务器"), "{e}");
    assert!(ledger_rows(&env).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_outbox_gets_parseable_eml_files_and_respects_the_ledger() {
    let env = Env::new();
    let cfg = config(&env, None);
    let wh = Warehouse::open(&env.data()).unwrap();
    let msgs = vec![
        message("南城监督科", "monthly", "2026-10", &[A, B], &[C]),
        Message { report: "daily".into(), period: "2026-11-02".into(), attachments: vec![], inline: vec![], ..message("north", "daily", "2026-11-02", &["d@north.example.cn"], &[]) },
    ];

    // A dry run writes nothing.
    let dry = deliver::deliver(&msgs, &cfg, &wh, &DeliverOptions { dry_run: true, ..opts() }).await.unwrap();
    assert!(dry.recipients.iter().all(|x| matches!(x.outcome, Outcome::WouldWrite { .. })), "{dry}");
    assert!(!env.path("outbox").exists());
    assert!(wh.current().unwrap().is_none());

    let r = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(r.written(), 4, "{r}");
    let monthly = env.path("outbox/南城监督科/monthly-2026-10.eml");
    let daily = env.path("outbox/north/daily-2026-11-02.eml");
    assert!(monthly.is_file() && daily.is_file(), "{r}");

    let raw = std::fs::read(&monthly).unwrap();
    let m = MessageParser::default().parse(&raw).unwrap();
    let from = m.from().unwrap().first().unwrap();
    assert_eq!((from.name(), from.address()), (Some("windowwatch"), Some("windowwatch@localhost")));
    assert_eq!(m.to().unwrap().iter().count(), 2);
    assert_eq!(m.cc().unwrap().first().unwrap().address(), Some("c@bureau.example.cn"));
    assert!(m.subject().unwrap().starts_with("【月度监督通报】南城监督科"));
    assert_eq!(m.attachment_count(), 3, "the inline chart and two attachments");
    let names: Vec<Option<&str>> = m.attachments().map(|a| a.attachment_name()).collect();
    assert!(names.contains(&Some(XLSX_NAME)), "{names:?}");
    let daily_raw = std::fs::read(&daily).unwrap();
    let d = MessageParser::default().parse(&daily_raw).unwrap();
    assert!(d.root_part().is_content_type("multipart", "alternative"), "no attachments, no inline images: just text + HTML");
    assert!(d.body_html(0).unwrap().contains("窗口服务监督通报"));

    let rows = ledger_rows(&env);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|e| e.status == "written" && e.transport == "outbox"));
    assert_eq!(rows[0].answer.as_deref(), Some(monthly.display().to_string().as_str()));

    // Again: nothing is written (a deleted file stays deleted), nothing recorded.
    std::fs::remove_file(&monthly).unwrap();
    let r2 = deliver::deliver(&msgs, &cfg, &wh, &opts()).await.unwrap();
    assert!(r2.recipients.iter().all(|x| matches!(x.outcome, Outcome::AlreadyWritten { .. })), "{r2}");
    assert!(!monthly.exists());
    assert_eq!(ledger_rows(&env).len(), 4);

    // A recipient added to the office: the file is written again, one ledger row for the newcomer.
    let mut more = msgs.clone();
    more[0].cc.push("e@bureau.example.cn".into());
    let r3 = deliver::deliver(&more, &cfg, &wh, &opts()).await.unwrap();
    assert_eq!(r3.written(), 1, "{r3}");
    assert!(monthly.is_file());
    assert_eq!(ledger_rows(&env).len(), 5);

    // resend rewrites everything.
    let r4 = deliver::deliver(&more, &cfg, &wh, &resend()).await.unwrap();
    assert_eq!(r4.written(), 5);
    assert_eq!(sql_rows(&env, "SELECT count(*) AS n FROM deliveries WHERE status = 'written' AND resend").await[0]["n"], "5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_addresses_and_empty_recipient_lists_stop_before_anything_goes_out() {
    let env = Env::new();
    let cfg = config(&env, None);
    let wh = Warehouse::open(&env.data()).unwrap();
    let good = message("南城监督科", "monthly", "2026-10", &[A], &[]);
    let bad = message("北城监督科", "monthly", "2026-10", &["not an address"], &[]);
    let e = deliver::deliver(&[good.clone(), bad], &cfg, &wh, &opts()).await.unwrap_err();
    assert!(matches!(e, DeliverError::Address { .. }), "{e}");
    assert!(e.to_string().contains("北城监督科"), "{e}");
    let empty = message("北城监督科", "monthly", "2026-10", &[], &[]);
    let e = deliver::deliver(&[good, empty], &cfg, &wh, &opts()).await.unwrap_err();
    assert!(matches!(e, DeliverError::NoRecipients { .. }), "{e}");
    assert!(!env.path("outbox").exists());
    assert!(wh.current().unwrap().is_none());
}

/// The whole path through the CLI: two offices, real reports, a real SMTP server. Each office's
/// recipients get their own office's report only, with inline charts and attachments that open,
/// masked; a second `send` of the same period mails nothing.
#[test]
fn send_through_the_cli_mails_each_office_its_own_reports_once() {
    let env = Env::new();
    crate::reports::seed(&env);
    let server = Server::start(&env, "cli", "plain", None, None);
    let config = format!("{}\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\nfrom = \"窗口监督 <ww@jiandu.example.cn>\"\nretries = 1\n", crate::reports::CONFIG, server.port);
    env.write("windowwatch.toml", config);
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    env.ww_env(&["send", "monthly", "--month", "2026-10"], &now).ok();
    env.ww_env(&["send", "register", "--month", "2026-10", "--as-of", "2026-11-05 09:00:00"], &now).ok();
    let per = server.per_recipient();
    assert_eq!(per.get("jia@example.cn"), Some(&2), "{per:?}");
    assert_eq!(per.get("yi@example.cn"), Some(&2), "{per:?}");
    assert_eq!(per.get("yi-boss@example.cn"), Some(&2), "{per:?}");
    for r in server.received() {
        let m = MessageParser::default().parse(&r.raw).expect("parses");
        let subject = m.subject().unwrap().to_string();
        let body = format!("{}\n{}", m.body_text(0).unwrap_or_default(), m.body_html(0).unwrap_or_default());
        let mut everything = body.clone();
        let office_jia = r.rcpt_tos[0].starts_with("jia@");
        let atts: Vec<_> = m.attachments().filter(|a| a.content_disposition().is_some_and(|d| d.ctype() == "attachment")).collect();
        for a in &atts {
            let name = a.attachment_name().unwrap_or_default().to_string();
            if name.ends_with(".xlsx") {
                let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(a.contents().to_vec())).expect("the XLSX opens");
                for sheet in wb.sheet_names() {
                    for row in wb.worksheet_range(&sheet).unwrap().rows() {
                        for c in row {
                            everything.push_str(&c.to_string());
                            everything.push('\t');
                        }
                    }
                }
            } else if name.ends_with(".docx") {
                // The 通报 (feature documents): its text, for the isolation checks below.
                let mut z = zip::ZipArchive::new(Cursor::new(a.contents().to_vec())).expect("the DOCX is a zip");
                let mut xml = String::new();
                std::io::Read::read_to_string(&mut z.by_name("word/document.xml").expect("word/document.xml"), &mut xml).expect("UTF-8");
                assert!(xml.contains("通报"), "{xml}");
                everything.push_str(&xml);
            } else {
                everything.push_str(&String::from_utf8_lossy(a.contents()));
            }
        }
        if subject.contains("月度监督通报") || subject.starts_with("Monthly") {
            let html = m.body_html(0).unwrap();
            let cids: Vec<&str> = html.match_indices("cid:").map(|(i, _)| &html[i + 4..i + 4 + html[i + 4..].find('"').unwrap()]).collect();
            assert!(cids.len() >= 3, "charts inline: {cids:?}");
            for cid in cids {
                let part = m.parts.iter().find(|p| p.content_id() == Some(cid)).unwrap_or_else(|| panic!("no part for cid:{cid}"));
                assert!(part.contents().starts_with(b"\x89PNG"));
            }
            assert_eq!(atts.len(), if cfg!(feature = "documents") { 3 } else { 2 }, "the 通报 as DOCX (feature documents), findings as XLSX and CSV");
        } else {
            assert_eq!(atts.len(), 1, "the register as XLSX");
            assert!(everything.contains("备案编号"));
        }
        let theirs: &[&str] = if office_jia { &["H03", "C-H03-", "R-H03-"] } else { &["H01", "H02", "C-H01-", "C-H02-", "D-H0"] };
        for mark in theirs {
            assert!(!everything.contains(mark), "{} got {mark} of the other office in {subject}", r.rcpt_tos[0]);
        }
        for secret in crate::reports::IDS.iter().chain(crate::reports::PHONES.iter()) {
            assert!(!everything.contains(secret), "{subject} shows {secret}");
        }
    }
    let before = server.received().len();
    let r = env.ww_env(&["send", "monthly", "--month", "2026-10"], &now).ok();
    assert!(r.stdout.contains("sent 0"), "{}", r.stdout);
    assert_eq!(server.received().len(), before, "a second send of the same period mails nothing");
}

/// A hall with `leader_email` gets its own hall's daily warning besides the office's, greeted by
/// name, holding only that hall; a second run mails nobody twice.
#[test]
fn a_hall_leader_gets_only_that_halls_daily_warning_once() {
    let env = Env::new();
    let halls = "大厅编号,大厅名称,所属区县,负责人,负责人邮箱\nH01,历下区医疗保障服务大厅,历下区,王建国,\nH02,槐荫区医疗保障服务大厅,槐荫区,李芳,leader-h02@example.cn\n";
    crate::names::seed_named(&env, halls);
    let server = Server::start(&env, "leader", "plain", None, None);
    let config = format!("{}\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\nfrom = \"窗口监督 <ww@jiandu.example.cn>\"\nretries = 1\n", crate::reports::CONFIG, server.port);
    env.write("windowwatch.toml", config);
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    env.ww_env(&["send", "daily", "--as-of", "2026-11-02 08:00:00"], &now).ok();
    let per = server.per_recipient();
    assert_eq!(per.get("leader-h02@example.cn"), Some(&1), "{per:?}");
    assert_eq!(per.get("jia@example.cn"), Some(&1), "the office still gets its own: {per:?}");
    let mut office_mail = String::new();
    for r in server.received() {
        let m = MessageParser::default().parse(&r.raw).expect("parses");
        let body = format!("{}\n{}\n{}", m.subject().unwrap_or_default(), m.body_text(0).unwrap_or_default(), m.body_html(0).unwrap_or_default());
        if r.rcpt_tos[0] == "jia@example.cn" {
            office_mail = body;
            continue;
        }
        if r.rcpt_tos[0] != "leader-h02@example.cn" {
            continue;
        }
        assert!(body.contains("李芳：您好"), "greeted by name: {body}");
        assert!(body.contains("槐荫区医疗保障服务大厅") && body.contains("C-H02-2"), "{body}");
        for other in ["H01", "历下区", "C-H01-", "R-H01-", "H03", "C-H03-", "R-H03-"] {
            assert!(!body.contains(other), "the leader's mail holds {other}: {body}");
        }
        for secret in crate::reports::IDS.iter().chain(crate::reports::PHONES.iter()) {
            assert!(!body.contains(secret), "{secret}");
        }
    }
    assert!(!office_mail.is_empty() && !office_mail.contains("李芳：您好"), "{office_mail}");
    let before = server.received().len();
    let r = env.ww_env(&["send", "daily", "--as-of", "2026-11-02 08:00:00"], &now).ok();
    assert!(r.stdout.contains("sent 0"), "{}", r.stdout);
    assert_eq!(server.received().len(), before, "a second run mails nobody twice");
}
