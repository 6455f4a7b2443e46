//! Delivery: rendered reports leave as mail (SMTP over implicit TLS, STARTTLS or plain loopback)
//! or, with no SMTP configured, as `.eml` files in an outbox; a ledger in the warehouse makes
//! every (office, report, period, recipient) go out once.
//!
//! The reports produce [`Message`] values; [`deliver`] takes them to their recipients:
//!
//! - each recipient gets its own SMTP transaction (the headers still show the whole To and Cc),
//!   so the ledger knows exactly who has the report;
//! - a recipient already `sent` (or, for the outbox, `written`) is skipped unless
//!   [`DeliverOptions::resend`];
//! - transient failures (4xx, connection trouble, timeouts) are retried with exponential backoff,
//!   at most `smtp.retries` times; permanent ones (5xx) are not, and are reported with the
//!   server's answer; either way the recipient stays unsent and the next run tries again;
//! - each outcome is committed to the ledger as soon as the server has answered, so a run cut
//!   short resumes without mailing anyone twice.
//!
//! `mime` builds the mail, `smtp` talks to the server, `outbox` writes files, `ledger` remembers,
//! `robot` posts to the offices' and halls' group robots (企业微信, 钉钉) after the mail, with the
//! same ledger.

pub mod ledger;
pub mod mime;
pub mod outbox;
pub mod robot;
pub mod smtp;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;
use lettre::address::Envelope;
use lettre::message::Mailbox;

use crate::config::Config;
use crate::store::{StoreError, Warehouse};
use ledger::{Entry, Ledger};
pub use smtp::Backoff;
use smtp::{Failure, SmtpSender};

pub use crate::report::message::{Attachment, CSV, InlineImage, Message, XLSX};

/// How a delivery run behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverOptions {
    /// Send (or write) again to recipients the ledger says already have the report.
    pub resend: bool,
    /// Say what would happen; connect to nothing, write nothing.
    pub dry_run: bool,
    /// Pauses between attempts after a transient failure: `initial`, doubling, at most `max`.
    pub backoff: Backoff,
}

impl Default for DeliverOptions {
    fn default() -> Self {
        DeliverOptions { resend: false, dry_run: false, backoff: Backoff { initial: Duration::from_secs(2), max: Duration::from_secs(60) } }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("办公室 {office} 的收件地址无效 / invalid address for office {office}: `{address}`: {detail}")]
    Address { office: String, address: String, detail: String },
    #[error("smtp.from 不是有效的发件地址 / smtp.from is not a valid sender: `{from}`: {detail}")]
    From { from: String, detail: String },
    #[error("办公室 {office} 的 {report} {period} 没有收件人 / has no recipients: set `to` (and `cc`) for the office in the config")]
    NoRecipients { office: String, report: String, period: String },
    #[error("无法生成办公室 {office} 的邮件 / cannot build the mail for office {office}: {detail}")]
    Build { office: String, detail: String },
    #[error(
        "SMTP 密码未设置 / no SMTP password: smtp.user is `{user}` but the environment variable {var} is not set (or empty); \
         set it before sending (the password is never read from the config file)"
    )]
    PasswordMissing { var: String, user: String },
    #[error(
        "拒绝以明文发送 SMTP 密码 / refusing to send the SMTP password unencrypted to {host}: smtp.security = \"plain\" \
         is for loopback and testing; use \"tls\" (465) or \"starttls\" (587)"
    )]
    PlainAuth { host: String },
    #[error("无法读取 smtp.ca_file / cannot use smtp.ca_file {path}: {detail}", path = .path.display())]
    CaFile { path: PathBuf, detail: String },
    #[error(
        "与 {server} 的 TLS 连接失败 / TLS with {server} failed: {detail} \
         (服务器证书不受信任时，在 smtp.ca_file 中配置其根证书 / if the server's certificate is not trusted, put its root in smtp.ca_file)"
    )]
    Tls { server: String, detail: String },
    #[error(
        "SMTP 登录被拒绝 / {server} refused the login of user `{user}`: {answer} \
         (检查 smtp.user 和密码环境变量 / check smtp.user and the password environment variable)"
    )]
    Auth { server: String, user: String, answer: String },
    #[error("邮件服务器拒绝 / {server} refused: {answer}")]
    Refused { server: String, answer: String },
    #[error("无法连接邮件服务器 / cannot reach {server} after {attempts} attempt(s): {answer}; nothing was sent, run again later")]
    Unreachable { server: String, attempts: u32, answer: String },
    #[error("无法写入发件箱 / cannot write the outbox file {path}: {source}", path = .path.display())]
    Outbox { path: PathBuf, source: std::io::Error },
    #[error(
        "已发送给 {recipient} 但未能记入投递台账 / sent to {recipient} but could not record it in the ledger: {source} \
         (the next run would send it again)"
    )]
    LedgerAfterSend { recipient: String, source: StoreError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one recipient of one message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The server accepted it in this run.
    Sent { attempts: u32, answer: String },
    /// The ledger says it was sent before; nothing was done.
    AlreadySent { at: NaiveDateTime },
    /// Written to the outbox in this run.
    Written { path: PathBuf },
    /// The ledger says it was written to the outbox before; nothing was done.
    AlreadyWritten { path: PathBuf, at: NaiveDateTime },
    /// Refused (permanent) or still failing after the retries (transient); stays unsent.
    Failed { attempts: u32, answer: String, permanent: bool },
    /// Not tried: the server became unreachable or the run hit a fatal error before it.
    NotAttempted { reason: String },
    /// Dry run: would be sent.
    WouldSend,
    /// Dry run: would be written to the outbox.
    WouldWrite { path: PathBuf },
}

/// One line of the report: a recipient of a message and its outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecipientReport {
    pub office_id: String,
    pub report: String,
    pub period: String,
    pub recipient: String,
    /// `to` or `cc`.
    pub header: String,
    pub message_id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of a delivery run, per recipient.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeliveryReport {
    /// `smtp://host:port (mode)` or `outbox <folder>`.
    pub transport: String,
    pub dry_run: bool,
    pub recipients: Vec<RecipientReport>,
}

impl DeliveryReport {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.recipients.iter().filter(|r| f(&r.outcome)).count()
    }
    pub fn sent(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Sent { .. }))
    }
    pub fn written(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Written { .. }))
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::AlreadySent { .. } | Outcome::AlreadyWritten { .. }))
    }
    /// Recipients that did not get the report in this run and will be tried again next run.
    pub fn failures(&self) -> Vec<&RecipientReport> {
        self.recipients.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::NotAttempted { .. })).collect()
    }
    /// Every recipient has the report (now or before).
    pub fn complete(&self) -> bool {
        self.failures().is_empty()
    }
}

impl fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}{}", if self.dry_run { "演练 dry run · " } else { "" }, self.transport)?;
        for r in &self.recipients {
            let what = match &r.outcome {
                Outcome::Sent { attempts, answer } if *attempts > 1 => format!("已发送 sent (第 {attempts} 次 / attempt {attempts}): {answer}"),
                Outcome::Sent { answer, .. } => format!("已发送 sent: {answer}"),
                Outcome::AlreadySent { at } => format!("此前已发送 already sent {at}"),
                Outcome::Written { path } => format!("已写入发件箱 written to {}", path.display()),
                Outcome::AlreadyWritten { at, .. } => format!("此前已写入发件箱 already written {at}"),
                Outcome::Failed { attempts, answer, permanent: true } => format!("失败 failed (永久 permanent, {attempts} 次 attempt(s)): {answer}"),
                Outcome::Failed { attempts, answer, permanent: false } => format!("失败 failed (暂时 transient, {attempts} 次 attempt(s)): {answer}"),
                Outcome::NotAttempted { reason } => format!("未尝试 not attempted: {reason}"),
                Outcome::WouldSend => "将发送 would send".to_string(),
                Outcome::WouldWrite { path } => format!("将写入 would write {}", path.display()),
            };
            writeln!(f, "  {} {} {} {} {}: {what}", r.office_id, r.report, r.period, r.header, r.recipient)?;
        }
        let failures = self.failures().len();
        write!(
            f,
            "发送 {} · 写入 {} · 跳过 {} · 未送达 {} / sent {}, written {}, skipped {}, not delivered {}",
            self.sent(),
            self.written(),
            self.skipped(),
            failures,
            self.sent(),
            self.written(),
            self.skipped(),
            failures
        )?;
        if failures > 0 {
            write!(f, " (下次运行将重试 / the next run tries them again)")?;
        }
        Ok(())
    }
}

/// A message ready to go: its recipients, bytes and Message-ID.
struct Prepared<'a> {
    msg: &'a Message,
    recipients: Vec<mime::Recipient>,
    bytes: Vec<u8>,
    message_id: String,
}

fn sender(cfg: &Config) -> Result<Mailbox, DeliverError> {
    match &cfg.smtp {
        Some(s) => s.from.trim().parse::<Mailbox>().map_err(|e| DeliverError::From { from: s.from.clone(), detail: e.to_string() }),
        None => Ok(mime::DEFAULT_FROM.parse().expect("the default sender parses")),
    }
}

/// Delivers `messages`: by SMTP when `cfg.smtp` is set, otherwise as `.eml` files under
/// `cfg.outbox`; the ledger (`deliveries` in `wh`) decides who still needs each one.
///
/// Returns `Err` only when nothing sensible can be done (an invalid address, a missing password,
/// TLS or login refused, the server unreachable, the warehouse failing); recipients that fail one
/// by one are in the report, see [`DeliveryReport::failures`].
/// The one path from rendered reports to delivery (the CLI's `send`, the demo and the daemon's
/// jobs): each report's message, once per recipient as the ledger says.
pub async fn deliver_rendered(rendered: &[crate::report::Rendered], cfg: &Config, wh: &Warehouse, opts: &DeliverOptions) -> Result<DeliveryReport, DeliverError> {
    let messages: Vec<Message> = rendered.iter().filter_map(|r| r.message.clone()).collect();
    let mut report = deliver(&messages, cfg, wh, opts).await?;
    let posts: Vec<&crate::report::message::Post> = rendered.iter().flat_map(|r| &r.posts).collect();
    if !posts.is_empty() {
        robot::post_all(&posts, &messages, cfg, wh, opts, &mut report).await?;
    }
    Ok(report)
}

pub async fn deliver(messages: &[Message], cfg: &Config, wh: &Warehouse, opts: &DeliverOptions) -> Result<DeliveryReport, DeliverError> {
    let from = sender(cfg)?;
    let now = crate::clock::now_china();
    let mut prepared = Vec::with_capacity(messages.len());
    for m in messages {
        let recipients = mime::recipients(m)?;
        let bytes = mime::build(m, &from, now)?;
        prepared.push(Prepared { msg: m, recipients, bytes, message_id: mime::message_id(m, &from) });
    }
    // One delivery run at a time per warehouse: the lock makes "sent once" hold between runs too.
    let lock = if opts.dry_run { None } else { Some(wh.lock()?) };
    let mut ledger = Ledger::load(wh)?;
    match &cfg.smtp {
        None => to_outbox(&prepared, cfg, wh, lock.as_ref(), &mut ledger, opts),
        Some(smtp) => {
            let mut run = SmtpRun { prepared: &prepared, smtp, from: &from, wh, lock: lock.as_ref(), ledger: &mut ledger, opts };
            run.go().await
        }
    }
}

fn line(p: &Prepared<'_>, r: &mime::Recipient, outcome: Outcome) -> RecipientReport {
    RecipientReport {
        office_id: p.msg.office_id.clone(),
        report: p.msg.report.clone(),
        period: p.msg.period.clone(),
        recipient: r.key(),
        header: r.header.to_string(),
        message_id: p.message_id.clone(),
        outcome,
    }
}

fn key(p: &Prepared<'_>, r: &mime::Recipient) -> ledger::Key {
    (p.msg.office_id.clone(), p.msg.report.clone(), p.msg.period.clone(), r.key())
}

#[allow(clippy::too_many_arguments)]
fn entry(p: &Prepared<'_>, r: &mime::Recipient, status: &str, attempts: u32, failure: Option<&str>, answer: Option<String>, transport: &str, resend: bool) -> Entry {
    Entry {
        office_id: p.msg.office_id.clone(),
        report: p.msg.report.clone(),
        period: p.msg.period.clone(),
        recipient: r.key(),
        header: r.header.to_string(),
        status: status.to_string(),
        attempts: i64::from(attempts),
        failure: failure.map(str::to_string),
        answer,
        message_id: p.message_id.clone(),
        subject: p.msg.subject.clone(),
        transport: transport.to_string(),
        resend,
        at: crate::clock::now_china(),
    }
}

fn to_outbox(
    prepared: &[Prepared<'_>],
    cfg: &Config,
    wh: &Warehouse,
    lock: Option<&crate::store::WriteLock>,
    ledger: &mut Ledger,
    opts: &DeliverOptions,
) -> Result<DeliveryReport, DeliverError> {
    let mut out = DeliveryReport { transport: format!("outbox {}", cfg.outbox.display()), dry_run: opts.dry_run, recipients: Vec::new() };
    for p in prepared {
        let path = outbox::path_for(&cfg.outbox, p.msg);
        let mut pending = Vec::new();
        for r in &p.recipients {
            let served = ledger.get(&key(p, r));
            match (opts.resend, served.sent, served.written) {
                (false, Some(at), _) => out.recipients.push(line(p, r, Outcome::AlreadySent { at })),
                (false, None, Some(at)) => out.recipients.push(line(p, r, Outcome::AlreadyWritten { path: path.clone(), at })),
                _ => pending.push(r),
            }
        }
        if pending.is_empty() {
            continue;
        }
        if opts.dry_run {
            for r in pending {
                out.recipients.push(line(p, r, Outcome::WouldWrite { path: path.clone() }));
            }
            continue;
        }
        outbox::write(&path, &p.bytes)?;
        let rows: Vec<Entry> = pending
            .iter()
            .map(|r| entry(p, r, ledger::WRITTEN, 1, None, Some(path.display().to_string()), "outbox", opts.resend))
            .collect();
        ledger.record(wh, lock.expect("a write holds the lock"), &rows)?;
        tracing::info!("{} {} {}: written to {}", p.msg.office_id, p.msg.report, p.msg.period, path.display());
        for r in pending {
            out.recipients.push(line(p, r, Outcome::Written { path: path.clone() }));
        }
    }
    Ok(out)
}

struct SmtpRun<'a, 'p> {
    prepared: &'a [Prepared<'p>],
    smtp: &'a crate::config::Smtp,
    from: &'a Mailbox,
    wh: &'a Warehouse,
    lock: Option<&'a crate::store::WriteLock>,
    ledger: &'a mut Ledger,
    opts: &'a DeliverOptions,
}

impl SmtpRun<'_, '_> {
    async fn go(&mut self) -> Result<DeliveryReport, DeliverError> {
        let mode = match self.smtp.security {
            crate::config::Security::Tls => "tls",
            crate::config::Security::StartTls => "starttls",
            crate::config::Security::Plain => "plain",
        };
        let describe = format!("smtp://{}:{} ({mode})", self.smtp.host, self.smtp.port);
        let mut out = DeliveryReport { transport: describe, dry_run: self.opts.dry_run, recipients: Vec::new() };

        // Who still needs each message, per the ledger.
        let mut todo: Vec<(usize, usize)> = Vec::new();
        for (pi, p) in self.prepared.iter().enumerate() {
            for (ri, r) in p.recipients.iter().enumerate() {
                if self.opts.resend || self.ledger.get(&key(p, r)).sent.is_none() {
                    todo.push((pi, ri));
                }
            }
        }
        if self.opts.dry_run || todo.is_empty() {
            for p in self.prepared {
                for r in &p.recipients {
                    let o = match self.ledger.get(&key(p, r)).sent {
                        Some(at) if !self.opts.resend => Outcome::AlreadySent { at },
                        _ => Outcome::WouldSend,
                    };
                    out.recipients.push(line(p, r, o));
                }
            }
            return Ok(out);
        }

        let sender = SmtpSender::new(self.smtp)?;
        out.transport = sender.describe.clone();
        sender.connect(self.smtp.retries, &self.opts.backoff).await?;
        let result = self.send_all(&sender, &todo, &mut out).await;
        sender.close().await;
        result.map(|()| out)
    }

    async fn send_all(&mut self, sender: &SmtpSender, todo: &[(usize, usize)], out: &mut DeliveryReport) -> Result<(), DeliverError> {
        let mut stop: Option<String> = None;
        for (pi, p) in self.prepared.iter().enumerate() {
            for (ri, r) in p.recipients.iter().enumerate() {
                if !todo.contains(&(pi, ri)) {
                    let at = self.ledger.get(&key(p, r)).sent.unwrap_or_default();
                    out.recipients.push(line(p, r, Outcome::AlreadySent { at }));
                    continue;
                }
                if let Some(reason) = &stop {
                    out.recipients.push(line(p, r, Outcome::NotAttempted { reason: reason.clone() }));
                    continue;
                }
                let outcome = self.send_one(sender, p, r, &mut stop).await?;
                out.recipients.push(line(p, r, outcome));
            }
        }
        Ok(())
    }

    /// Sends one message to one recipient with retries, and records the outcome.
    async fn send_one(&mut self, sender: &SmtpSender, p: &Prepared<'_>, r: &mime::Recipient, stop: &mut Option<String>) -> Result<Outcome, DeliverError> {
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![r.mailbox.email.clone()])
            .map_err(|e| DeliverError::Build { office: p.msg.office_id.clone(), detail: e.to_string() })?;
        let max_attempts = self.smtp.retries + 1;
        let mut attempt = 0;
        let lock = self.lock.expect("a write holds the lock");
        loop {
            attempt += 1;
            match sender.send_once(&envelope, &p.bytes).await {
                Ok(answer) => {
                    let row = entry(p, r, ledger::SENT, attempt, None, Some(answer.clone()), &sender.describe, self.opts.resend);
                    self.ledger
                        .record(self.wh, lock, &[row])
                        .map_err(|source| DeliverError::LedgerAfterSend { recipient: r.key(), source })?;
                    tracing::info!("{} {} {}: sent to {} ({answer})", p.msg.office_id, p.msg.report, p.msg.period, r.key());
                    return Ok(Outcome::Sent { attempts: attempt, answer });
                }
                Err(Failure::Transient { answer, .. }) if attempt < max_attempts => {
                    let wait = self.opts.backoff.delay(attempt);
                    tracing::warn!("{}: {} — {answer}; retrying in {wait:?} (attempt {attempt} of {max_attempts})", sender.host(), r.key());
                    tokio::time::sleep(wait).await;
                }
                Err(f) => {
                    let (failure, permanent) = match &f {
                        Failure::Permanent { .. } => ("permanent", true),
                        Failure::Transient { .. } => ("transient", false),
                        Failure::Fatal { .. } => ("permanent", true),
                    };
                    let answer = f.answer().to_string();
                    match &f {
                        Failure::Transient { connection: true, .. } => {
                            *stop = Some(format!("邮件服务器无法连接 / the server became unreachable: {answer}"));
                        }
                        Failure::Fatal { .. } => *stop = Some(format!("投递中止 / delivery stopped: {answer}")),
                        _ => {}
                    }
                    let row = entry(p, r, ledger::FAILED, attempt, Some(failure), Some(answer.clone()), &sender.describe, self.opts.resend);
                    self.ledger.record(self.wh, lock, &[row])?;
                    tracing::warn!("{} {} {}: not delivered to {}: {answer}", p.msg.office_id, p.msg.report, p.msg.period, r.key());
                    return Ok(Outcome::Failed { attempts: attempt, answer, permanent });
                }
            }
        }
    }
}

/// An error and its sources in one line, each source once (`a: b: c`), for a ledger row or a
/// report (the SMTP answer and the robots' HTTP errors, the URL already taken out).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}
