//! Group-chat robots: the reports' posts ([`Post`]) go to 企业微信 (WeCom) and 钉钉 (DingTalk)
//! group robots as their documented markdown messages, through the same ledger as the mail.
//!
//! It exists because many offices watch a group, not a mailbox. What it keeps in one place:
//!
//! - the two vendors' JSON (`{"msgtype":"markdown","markdown":{"content":…}}` for WeCom,
//!   `{"markdown":{"title":…,"text":…}}` for DingTalk), their size limits (WeCom 4096 bytes) and
//!   DingTalk's signing (`timestamp` in ms and `sign` = urlencode(base64(HmacSHA256(secret,
//!   timestamp + "\n" + secret))) added to the URL when a secret is set);
//! - the secrets: the robot URL carries the access key, so the URL and the secret are read from
//!   the environment variables the config names, used for the request and nowhere else — logs,
//!   errors, the report and the ledger name the office or hall and the kind, never the URL;
//! - the answer: both vendors answer HTTP 200 with `{"errcode":…,"errmsg":…}`, and only
//!   errcode 0 is a post; a refusal is recorded `failed` and posted again by the next run.
//!   Rate limits, HTTP 5xx and connection trouble are retried with the mail's backoff;
//! - once per period: the ledger key is (office, report, period, `robot:office` or
//!   `robot:hall:<id>`), so a second run posts nothing.
//!
//! The HTTP client is behind the cargo feature `robots`; without it a configured robot is
//! reported as not delivered (the mail still goes).

use std::path::Path;

use super::ledger::{self, Entry, Ledger};
use super::smtp::Failure;
use super::{DeliverError, DeliverOptions, DeliveryReport, Message, Outcome, RecipientReport};
use crate::config::{Config, RobotKind};
use crate::report::message::Post;
use crate::store::Warehouse;

/// Attempts after the first when the vendor or the network fails transiently.
const RETRIES: u32 = 3;
/// WeCom documents 4096 bytes of markdown, DingTalk 20000; both with some room left.
const WECOM_MAX: usize = 4000;
const DINGTALK_MAX: usize = 18000;
/// Vendor codes that mean "too many messages, try later" (WeCom 45009, DingTalk 130101).
const RATE_LIMITED: &[i64] = &[45009, 130101];

/// The ledger's recipient for a post: `robot:office` or `robot:hall:<hall>`.
pub fn recipient(p: &Post) -> String {
    match &p.hall {
        None => "robot:office".into(),
        Some(h) => format!("robot:hall:{h}"),
    }
}

/// Posts each post once per period (per the ledger), adding a line per post to `out`.
pub async fn post_all(posts: &[&Post], messages: &[Message], cfg: &Config, wh: &Warehouse, opts: &DeliverOptions, out: &mut DeliveryReport) -> Result<(), DeliverError> {
    let lock = if opts.dry_run { None } else { Some(wh.lock()?) };
    let mut ledger = Ledger::load(wh)?;
    let http = Http::new();
    for p in posts {
        let key = (p.office_id.clone(), p.report.clone(), p.period.clone(), recipient(p));
        if let Some(at) = ledger.get(&key).sent.filter(|_| !opts.resend) {
            out.recipients.push(line(p, Outcome::AlreadySent { at }));
            continue;
        }
        let Some(lock) = lock.as_ref() else {
            out.recipients.push(line(p, Outcome::WouldSend));
            continue;
        };
        let payload = payload(p, &content(p, messages, cfg));
        let (attempts, result) = match &http {
            Ok(h) => send(h, p, &payload, opts).await,
            Err(f) => (0, Err(f.clone())),
        };
        let outcome = record(p, attempts, result, &mut ledger, wh, lock, opts.resend)?;
        out.recipients.push(line(p, outcome));
    }
    Ok(())
}

/// Records one post's outcome in the ledger and logs it (office or hall and kind, never the URL).
fn record(p: &Post, attempts: u32, result: Result<String, Failure>, ledger: &mut Ledger, wh: &Warehouse, lock: &crate::store::WriteLock, resend: bool) -> Result<Outcome, DeliverError> {
    let who = recipient(p);
    let kind = p.webhook.kind.as_str();
    match result {
        Ok(answer) => {
            ledger
                .record(wh, lock, &[entry(p, ledger::SENT, attempts, None, &answer, resend)])
                .map_err(|source| DeliverError::LedgerAfterSend { recipient: who.clone(), source })?;
            tracing::info!("{} {} {}: posted to the {kind} robot {who} ({answer})", p.office_id, p.report, p.period);
            Ok(Outcome::Sent { attempts, answer })
        }
        Err(f) => {
            let permanent = !matches!(f, Failure::Transient { .. });
            let answer = f.answer().to_string();
            ledger.record(wh, lock, &[entry(p, ledger::FAILED, attempts, Some(if permanent { "permanent" } else { "transient" }), &answer, resend)])?;
            tracing::warn!("{} {} {}: not posted to the {kind} robot {who}: {answer}", p.office_id, p.report, p.period);
            Ok(Outcome::Failed { attempts, answer, permanent })
        }
    }
}

fn line(p: &Post, outcome: Outcome) -> RecipientReport {
    RecipientReport {
        office_id: p.office_id.clone(),
        report: p.report.clone(),
        period: p.period.clone(),
        recipient: recipient(p),
        header: p.webhook.kind.as_str().to_string(),
        message_id: String::new(),
        outcome,
    }
}

fn entry(p: &Post, status: &str, attempts: u32, failure: Option<&str>, answer: &str, resend: bool) -> Entry {
    Entry {
        office_id: p.office_id.clone(),
        report: p.report.clone(),
        period: p.period.clone(),
        recipient: recipient(p),
        header: p.webhook.kind.as_str().to_string(),
        status: status.to_string(),
        attempts: i64::from(attempts),
        failure: failure.map(str::to_string),
        answer: Some(answer.to_string()),
        message_id: String::new(),
        subject: p.title.clone(),
        transport: format!("robot {}", p.webhook.kind.as_str()),
        resend,
        at: crate::clock::now_china(),
    }
}

/// Reads the robot's URL (and DingTalk secret) from the environment, then posts with retries.
/// Returns the attempts made and the vendor's answer.
async fn send(http: &Http, p: &Post, payload: &serde_json::Value, opts: &DeliverOptions) -> (u32, Result<String, Failure>) {
    let (url, secret) = match secrets(p) {
        Ok(s) => s,
        Err(f) => return (0, Err(f)),
    };
    let body = payload.to_string().into_bytes();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let target = match (&secret, p.webhook.kind) {
            (Some(s), RobotKind::DingTalk) => signed_url(&url, s, unix_millis()),
            _ => url.clone(),
        };
        let result = match http.post(&target, &body).await {
            Ok((status, text)) => judge(status, &text),
            Err(f) => Err(f),
        };
        let result = result.map_err(|f| scrubbed(f, &[&url, &target, secret.as_deref().unwrap_or("")]));
        match result {
            Err(Failure::Transient { answer, .. }) if attempt <= RETRIES => {
                let wait = opts.backoff.delay(attempt);
                tracing::warn!("{} {}: the {} robot {}: {answer}; retrying in {wait:?} (attempt {attempt} of {})", p.office_id, p.report, p.webhook.kind.as_str(), recipient(p), RETRIES + 1);
                tokio::time::sleep(wait).await;
            }
            r => return (attempt, r),
        }
    }
}

/// The robot's URL and secret from the environment variables the config names.
fn secrets(p: &Post) -> Result<(String, Option<String>), Failure> {
    let read = |var: &str, what: &str| match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(Failure::Permanent { answer: format!("环境变量 {var} 未设置 / the environment variable {var} ({what}) is not set") }),
    };
    let url = read(&p.webhook.url_env, "the robot's URL")?;
    let secret = p.webhook.secret_env.as_deref().map(|v| read(v, "the robot's signing secret")).transpose()?;
    Ok((url, secret))
}

/// A failure's answer with any secret cut out (belt and braces: answers are built without them).
fn scrubbed(f: Failure, secrets: &[&str]) -> Failure {
    let clean = |a: String| secrets.iter().filter(|s| s.len() >= 4).fold(a, |a, s| a.replace(*s, "***"));
    match f {
        Failure::Transient { answer, connection } => Failure::Transient { answer: clean(answer), connection },
        Failure::Permanent { answer } => Failure::Permanent { answer: clean(answer) },
        Failure::Fatal { answer } => Failure::Fatal { answer: clean(answer) },
    }
}

/// What the vendor's answer means: errcode 0 is a post; a rate limit, 429 or 5xx is transient;
/// any other errcode or status is a refusal.
pub fn judge(status: u16, text: &str) -> Result<String, Failure> {
    let json: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let code = json.as_ref().and_then(|j| j.get("errcode")).and_then(serde_json::Value::as_i64);
    let msg = json.as_ref().and_then(|j| j.get("errmsg")).and_then(serde_json::Value::as_str).unwrap_or("").chars().take(200).collect::<String>();
    match code {
        Some(0) if (200..300).contains(&status) => Ok(format!("errcode 0 {msg}").trim().to_string()),
        Some(c) if RATE_LIMITED.contains(&c) => Err(Failure::Transient { answer: format!("errcode {c}: {msg}"), connection: false }),
        Some(c) if (200..300).contains(&status) => Err(Failure::Permanent { answer: format!("errcode {c}: {msg}") }),
        _ if status == 429 || status >= 500 => Err(Failure::Transient { answer: format!("HTTP {status}"), connection: false }),
        Some(c) => Err(Failure::Permanent { answer: format!("HTTP {status}, errcode {c}: {msg}") }),
        None => Err(Failure::Permanent { answer: format!("HTTP {status}: not a robot's answer: {}", text.chars().take(120).collect::<String>()) }),
    }
}

/// The vendor's JSON for a post whose markdown is `md`.
pub fn payload(p: &Post, md: &str) -> serde_json::Value {
    match p.webhook.kind {
        RobotKind::WeCom => serde_json::json!({"msgtype": "markdown", "markdown": {"content": md}}),
        RobotKind::DingTalk => serde_json::json!({"msgtype": "markdown", "markdown": {"title": p.title, "text": md}}),
    }
}

/// The post as markdown: its title, its text, and where the whole report is; cut to the
/// vendor's limit at a line (saying so) so the footer always fits.
pub fn content(p: &Post, messages: &[Message], cfg: &Config) -> String {
    let max = match p.webhook.kind {
        RobotKind::WeCom => WECOM_MAX,
        RobotKind::DingTalk => DINGTALK_MAX,
    };
    let footer = where_to_find(p, messages, cfg);
    let head = format!("### {}\n\n", escape(&p.title));
    let body = markdown(&p.text);
    let cut = if p.en { "…… (truncated; the whole report is below)\n\n" } else { "……（内容过长已截断，完整内容见下）\n\n" };
    fit(&head, &body, &footer, cut, max)
}

fn fit(head: &str, body: &str, footer: &str, cut: &str, max: usize) -> String {
    if head.len() + body.len() + footer.len() <= max {
        return format!("{head}{body}{footer}");
    }
    let budget = max.saturating_sub(head.len() + footer.len() + cut.len());
    let mut kept = String::new();
    for l in body.split_inclusive('\n') {
        if kept.len() + l.len() > budget {
            break;
        }
        kept.push_str(l);
    }
    format!("{head}{kept}{cut}{footer}")
}

/// The text body of a report as markdown both vendors show: section lines (`一、…`, `1. …`) in
/// bold, list items as items, other lines as paragraphs; `*` and backticks neutralised so a
/// masked value (`张*丰`) is shown as it is, not as emphasis.
pub fn markdown(text: &str) -> String {
    let mut out = String::new();
    for raw in text.lines() {
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(item) = t.strip_prefix("- ") {
            out.push_str("- ");
            out.push_str(&escape(item));
            out.push('\n');
            continue;
        }
        if out.ends_with('\n') && !out.ends_with("\n\n") {
            out.push('\n');
        }
        if is_section(t) {
            out.push_str(&format!("**{}**\n\n", escape(t)));
        } else {
            out.push_str(&escape(t));
            out.push_str("\n\n");
        }
    }
    if out.ends_with('\n') && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out
}

fn is_section(t: &str) -> bool {
    const NUMERALS: &str = "一二三四五六七八九十";
    let lead: String = t.chars().take_while(|c| NUMERALS.contains(*c)).collect();
    if !lead.is_empty() && t[lead.len()..].starts_with('、') {
        return true;
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && t[digits..].starts_with(". ")
}

fn escape(s: &str) -> String {
    s.replace('*', "＊").replace('`', "'")
}

/// Where the whole report is: its files in the archive, and the mail it went in (or the outbox
/// file it was written to).
fn where_to_find(p: &Post, messages: &[Message], cfg: &Config) -> String {
    let mut lines = Vec::new();
    let code = |path: &Path| format!("`{}`", path.display().to_string().replace('`', "'"));
    for f in &p.files {
        lines.push(if p.en { format!("- Full report: {}", code(f)) } else { format!("- 完整报告：{}", code(f)) });
    }
    if let Some(m) = messages.iter().find(|m| m.office_id == p.office_id && m.report == p.report && m.period == p.period) {
        let to = m.to.join(", ");
        lines.push(match (&cfg.smtp, p.en) {
            (Some(_), true) => format!("- Mailed to {to}: “{}”", escape(&m.subject)),
            (Some(_), false) => format!("- 已通过邮件发送至 {to}，主题《{}》", escape(&m.subject)),
            (None, true) => format!("- Mail in the outbox: {}", code(&super::outbox::path_for(&cfg.outbox, m))),
            (None, false) => format!("- 邮件（发件箱）：{}", code(&super::outbox::path_for(&cfg.outbox, m))),
        });
    }
    if lines.is_empty() { String::new() } else { format!("{}\n", lines.join("\n")) }
}

fn unix_millis() -> i64 {
    // DingTalk checks the timestamp against its own clock (within an hour): the real time, never
    // WINDOWWATCH_NOW.
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `url` with DingTalk's `timestamp` and `sign` appended.
pub fn signed_url(url: &str, secret: &str, timestamp: i64) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}timestamp={timestamp}&sign={}", sign(secret, timestamp))
}

/// DingTalk's signature: urlencode(base64(HmacSHA256(key = secret, timestamp + "\n" + secret))).
#[cfg(feature = "robots")]
pub fn sign(secret: &str, timestamp: i64) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    b64.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(not(feature = "robots"))]
pub fn sign(_secret: &str, _timestamp: i64) -> String {
    String::new()
}

/// The HTTP client (feature `robots`).
#[cfg(feature = "robots")]
struct Http(reqwest::Client);

#[cfg(feature = "robots")]
impl Http {
    fn new() -> Result<Http, Failure> {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map(Http)
            .map_err(|e| Failure::Fatal { answer: super::error_chain(&e.without_url()) })
    }

    async fn post(&self, url: &str, body: &[u8]) -> Result<(u16, String), Failure> {
        let sent = self.0.post(url).header("content-type", "application/json; charset=utf-8").body(body.to_vec()).send().await;
        let resp = sent.map_err(|e| Failure::Transient { answer: super::error_chain(&e.without_url()), connection: true })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| Failure::Transient { answer: super::error_chain(&e.without_url()), connection: true })?;
        Ok((status, text))
    }
}


#[cfg(not(feature = "robots"))]
struct Http;

#[cfg(not(feature = "robots"))]
impl Http {
    fn new() -> Result<Http, Failure> {
        Err(Failure::Fatal { answer: "windowwatch was built without the `robots` feature: group robots cannot be reached".into() })
    }

    async fn post(&self, _url: &str, _body: &[u8]) -> Result<(u16, String), Failure> {
        Err(Failure::Fatal { answer: "built without the `robots` feature".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Webhook;

    fn post(kind: RobotKind, text: &str) -> Post {
        Post {
            office_id: "jia".into(),
            hall: Some("H02".into()),
            webhook: Webhook { kind, url_env: "X".into(), secret_env: None },
            report: "daily".into(),
            period: "2026-11-02".into(),
            title: "【预警日报】甲 2026-11-02".into(),
            text: text.into(),
            files: vec!["reports/jia/daily-2026-11-02.html".into()],
            en: false,
        }
    }

    #[cfg(feature = "robots")]
    #[test]
    fn the_dingtalk_signature_matches_the_documented_algorithm() {
        // Computed with the Python of DingTalk's documentation (hmac, hashlib, base64, quote_plus).
        assert_eq!(sign("SECthis is secret", 1700000000000), "Rtm2YK4Eu5oP8gxZgn2C87ziY6Py5sJyH4pcuwAafMU%3D");
        let u = signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", "s", 5);
        assert!(u.starts_with("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=5&sign="), "{u}");
    }

    #[test]
    fn the_text_body_becomes_markdown_with_masks_shown_as_they_are() {
        let md = markdown("2026-11-02 医保窗口预警日报\n甲（jia）  监督大厅：H02\n\n一、一个工作日内到期的办件（1 件）\n  - H02 W1 C-H02-2 申请人 张*丰\n二、新超期（0 件）\n  无\n");
        assert_eq!(md, "2026-11-02 医保窗口预警日报\n\n甲（jia）  监督大厅：H02\n\n**一、一个工作日内到期的办件（1 件）**\n\n- H02 W1 C-H02-2 申请人 张＊丰\n\n**二、新超期（0 件）**\n\n无\n\n");
        assert!(is_section("1. Cases due") && !is_section("2026-11-02 x") && !is_section("一月"));
    }

    #[test]
    fn a_long_post_is_cut_at_a_line_and_keeps_its_footer() {
        let text: String = (0..400).map(|i| format!("  - H02 W1 C-{i} 门诊费用报销 申请人 张*丰\n")).collect();
        let p = post(RobotKind::WeCom, &text);
        let md = content(&p, &[], &Config::default());
        assert!(md.len() <= WECOM_MAX, "{}", md.len());
        assert!(md.contains("已截断") && md.ends_with("- 完整报告：`reports/jia/daily-2026-11-02.html`\n"), "{md}");
        let v = payload(&p, &md);
        assert_eq!(v["msgtype"], "markdown");
        assert!(v["markdown"]["content"].is_string() && v["markdown"].as_object().unwrap().len() == 1);
        let d = payload(&post(RobotKind::DingTalk, "x"), "md");
        assert_eq!((d["markdown"]["title"].as_str(), d["markdown"]["text"].as_str()), (Some("【预警日报】甲 2026-11-02"), Some("md")));
    }

    #[test]
    fn only_errcode_zero_is_a_post() {
        assert_eq!(judge(200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok("errcode 0 ok".into()));
        assert!(matches!(judge(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#), Err(Failure::Permanent { .. })));
        assert!(matches!(judge(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#), Err(Failure::Transient { .. })));
        assert!(matches!(judge(502, "bad gateway"), Err(Failure::Transient { .. })));
        assert!(matches!(judge(200, "<html>"), Err(Failure::Permanent { .. })));
        assert!(matches!(judge(404, ""), Err(Failure::Permanent { .. })));
    }

    #[test]
    fn a_missing_variable_is_named_and_nothing_else() {
        let mut p = post(RobotKind::WeCom, "x");
        p.webhook.url_env = "WW_ROBOT_SURELY_UNSET_4711".into();
        let Err(f) = secrets(&p) else { panic!("the variable is not set") };
        assert!(f.answer().contains("WW_ROBOT_SURELY_UNSET_4711"), "{f:?}");
        let f = scrubbed(Failure::Transient { answer: "error for http://h/x?key=ABCDEF".into(), connection: true }, &["http://h/x?key=ABCDEF"]);
        assert_eq!(f.answer(), "error for ***");
    }
}
