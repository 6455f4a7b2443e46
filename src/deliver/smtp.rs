//! The SMTP side of delivery: one lettre `AsyncSmtpTransport` per run, built from `[smtp]`, and
//! the rules that decide what a failure means.
//!
//! It exists to keep three things in one place: the connection modes (implicit TLS on 465,
//! STARTTLS on 587, plain for loopback and tests, with `ca_file` trusted besides the public
//! roots), the password (read from the environment variable `password_env` names, handed to
//! lettre and never formatted anywhere), and the classification of errors into transient (4xx,
//! connection trouble, timeouts: retried with backoff), permanent (5xx: reported with the server's
//! answer, not retried) and fatal for the whole run (TLS trust, authentication, configuration).

use std::net::IpAddr;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{Error as SmtpError, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::DeliverError;
use crate::config::{Security, Smtp};

/// What a failed attempt means for the recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 4xx, a dropped or refused connection, a timeout: try again after a pause.
    Transient { answer: String, connection: bool },
    /// 5xx: the server said no; the answer goes to the report and the ledger.
    Permanent { answer: String },
    /// Nothing that another recipient or a retry could change (TLS trust, a client-side refusal).
    Fatal { answer: String },
}

impl Failure {
    pub fn answer(&self) -> &str {
        match self {
            Failure::Transient { answer, .. } | Failure::Permanent { answer } | Failure::Fatal { answer } => answer,
        }
    }
}

/// The server's answer in the form people read in logs: `550 5.1.1 <x@y.cn>: user unknown`.
fn answer_of(e: &SmtpError) -> String {
    if let Some(code) = e.status() {
        // lettre's Display is "permanent error (550): 5.1.1 …"; the source is the server's text.
        let text = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
        let text = text.trim();
        return if text.is_empty() { code.to_string() } else { format!("{code} {text}") };
    }
    super::error_chain(e)
}

pub fn classify(e: &SmtpError) -> Failure {
    let answer = answer_of(e);
    if e.is_permanent() {
        Failure::Permanent { answer }
    } else if e.is_transient() {
        Failure::Transient { answer, connection: false }
    } else if e.is_tls() || e.is_client() || tls_trouble(&answer) {
        Failure::Fatal { answer }
    } else {
        // Network, connection, timeout, an unreadable response, a pool shut down: the connection
        // is at fault, not the recipient.
        Failure::Transient { answer, connection: true }
    }
}

/// A connection error that is really the TLS handshake failing (an untrusted or mismatched
/// certificate, TLS spoken to a plain port): retrying cannot help.
fn tls_trouble(answer: &str) -> bool {
    let a = answer.to_lowercase();
    ["certificate", "handshake", "alert", "corrupt message", "tls"].iter().any(|k| a.contains(k))
}

/// An SMTP code that means "your credentials were refused" (RFC 4954).
fn is_auth_refusal(answer: &str) -> bool {
    ["535", "534", "530", "538"].iter().any(|c| answer.starts_with(c))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A connected-on-demand SMTP transport for one delivery run.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `smtp://host:port (tls)`: for the ledger and the report.
    pub describe: String,
    host: String,
    user: Option<String>,
}

impl SmtpSender {
    pub fn new(smtp: &Smtp) -> Result<SmtpSender, DeliverError> {
        let host = smtp.host.trim().to_string();
        let mode = match smtp.security {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::Plain => "plain",
        };
        let describe = format!("smtp://{host}:{} ({mode})", smtp.port);
        let tls = match smtp.security {
            Security::Plain => Tls::None,
            Security::Tls | Security::StartTls => {
                let mut b = TlsParameters::builder(host.trim_matches(['[', ']']).to_string());
                if let Some(ca) = &smtp.ca_file {
                    let pem = std::fs::read(ca).map_err(|e| DeliverError::CaFile { path: ca.clone(), detail: e.to_string() })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| DeliverError::CaFile { path: ca.clone(), detail: e.to_string() })?;
                    b = b.add_root_certificate(cert);
                }
                let params = b.build_rustls().map_err(|e| DeliverError::Tls { server: describe.clone(), detail: answer_of(&e) })?;
                if smtp.security == Security::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(smtp.timeout_secs.max(1))))
            .pool_config(PoolConfig::new().max_size(1));
        let user = smtp.user.clone().filter(|u| !u.is_empty());
        if let Some(u) = &user {
            if smtp.security == Security::Plain && !is_loopback(&host) {
                return Err(DeliverError::PlainAuth { host });
            }
            let password = match std::env::var(&smtp.password_env) {
                Ok(p) if !p.is_empty() => p,
                _ => return Err(DeliverError::PasswordMissing { var: smtp.password_env.clone(), user: u.clone() }),
            };
            builder = builder.credentials(Credentials::new(u.clone(), password)).authentication(vec![Mechanism::Plain, Mechanism::Login]);
        } else if smtp.security == Security::Plain && !is_loopback(&host) {
            tracing::warn!("smtp.security = plain to {host}: mail leaves unencrypted (plain is meant for loopback and testing)");
        }
        Ok(SmtpSender { transport: builder.build(), describe, host, user })
    }

    /// Opens (and authenticates) the connection once, so a refused password or an untrusted
    /// certificate stops the run before any recipient is tried. Transient trouble is retried.
    pub async fn connect(&self, retries: u32, backoff: &Backoff) -> Result<(), DeliverError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.transport.test_connection().await {
                Ok(true) => return Ok(()),
                Ok(false) => Failure::Transient { answer: "the server closed the connection".into(), connection: true },
                Err(e) => classify(&e),
            };
            match failure {
                Failure::Transient { answer, .. } if attempt <= retries => {
                    let wait = backoff.delay(attempt);
                    tracing::warn!("{}: {answer}; retrying in {wait:?} (attempt {attempt} of {})", self.describe, retries + 1);
                    tokio::time::sleep(wait).await;
                }
                Failure::Transient { answer, .. } => return Err(DeliverError::Unreachable { server: self.describe.clone(), attempts: attempt, answer }),
                Failure::Permanent { answer } if is_auth_refusal(&answer) => {
                    return Err(DeliverError::Auth { server: self.describe.clone(), user: self.user.clone().unwrap_or_default(), answer });
                }
                Failure::Permanent { answer } => return Err(DeliverError::Refused { server: self.describe.clone(), answer }),
                Failure::Fatal { answer } => {
                    return Err(if tls_trouble(&answer) {
                        DeliverError::Tls { server: self.describe.clone(), detail: answer }
                    } else {
                        DeliverError::Refused { server: self.describe.clone(), answer }
                    });
                }
            }
        }
    }

    /// One SMTP transaction: `bytes` to the single address of `envelope`.
    pub async fn send_once(&self, envelope: &Envelope, bytes: &[u8]) -> Result<String, Failure> {
        match self.transport.send_raw(envelope, bytes).await {
            Ok(resp) => {
                let text: Vec<&str> = resp.message().collect();
                Ok(format!("{} {}", resp.code(), text.join(" ")).trim().to_string())
            }
            Err(e) => Err(classify(&e)),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Closes the pooled connection (QUIT).
    pub async fn close(&self) {
        self.transport.shutdown().await;
    }
}

/// Exponential backoff: `initial`, 2×, 4×, … capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The pause before attempt `n + 1`, after `n` failed attempts (n ≥ 1).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1).min(20)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff { initial: Duration::from_secs(2), max: Duration::from_secs(30) };
        let d: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(d, vec![2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("smtp.example.cn"));
        assert!(!is_loopback("10.0.0.5"));
    }
}
