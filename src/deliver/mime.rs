//! The MIME message a supervisory office receives, built with lettre's builder.
//!
//! It exists because "a mail with a report" has to open the same way in Outlook, Foxmail, WPS mail
//! and webmail: a `multipart/alternative` of plain text and a `multipart/related` HTML part whose
//! charts are inline images referenced by Content-ID, wrapped with the attachments in a
//! `multipart/mixed`. Chinese subjects are RFC 2047 encoded (lettre); a Chinese attachment name is
//! written the two ways clients read it: RFC 2047 in the Content-Type's `name=` (what Outlook,
//! Foxmail and WPS mail write and fall back to) and RFC 2231 `filename*=` in the
//! Content-Disposition (the standard).
//! Boundaries and the Message-ID are derived from (office, report, period), so the same report
//! renders to the same bytes and a resend is recognisable as the same message.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDateTime;
use lettre::message::header::{self, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::{DeliverError, Message};

/// The sender used when no `[smtp]` is configured (outbox only).
pub const DEFAULT_FROM: &str = "windowwatch <windowwatch@localhost>";

/// A recipient of a message: its address as configured and whether it is in To or Cc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub mailbox: Mailbox,
    /// `to` or `cc`.
    pub header: &'static str,
}

impl Recipient {
    /// The ledger key: the bare address, lower-cased.
    pub fn key(&self) -> String {
        self.mailbox.email.to_string().to_lowercase()
    }
}

/// Parses an address as the config writes it (`a@b.cn` or `张三 <a@b.cn>`).
pub fn parse_mailbox(s: &str, office: &str) -> Result<Mailbox, DeliverError> {
    s.trim().parse::<Mailbox>().map_err(|e| DeliverError::Address { office: office.to_string(), address: s.to_string(), detail: e.to_string() })
}

/// To then Cc, each address once (the first mention wins).
pub fn recipients(m: &Message) -> Result<Vec<Recipient>, DeliverError> {
    let mut out: Vec<Recipient> = Vec::new();
    for (list, header) in [(&m.to, "to"), (&m.cc, "cc")] {
        for a in list {
            let r = Recipient { mailbox: parse_mailbox(a, &m.office_id)?, header };
            if !out.iter().any(|o| o.key() == r.key()) {
                out.push(r);
            }
        }
    }
    if out.is_empty() {
        return Err(DeliverError::NoRecipients { office: m.office_id.clone(), report: m.report.clone(), period: m.period.clone() });
    }
    Ok(out)
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex()[..16].to_string()
}

fn token(s: &str) -> String {
    let t: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    t.trim_matches('-').to_string()
}

/// `<ww.monthly.2026-10.3f2a…@example.cn>`: the same for every recipient and every resend of one
/// (office, report, period), so a client can tell a resend from a new report.
pub fn message_id(m: &Message, from: &Mailbox) -> String {
    let domain = from.email.domain();
    let domain = if domain.is_empty() { "localhost" } else { domain };
    let mut parts = vec!["ww".to_string()];
    for p in [&m.report, &m.period] {
        let t = token(p);
        if !t.is_empty() {
            parts.push(t);
        }
    }
    parts.push(short_hash(&["message-id", &m.office_id, &m.report, &m.period]));
    format!("<{}@{}>", parts.join("."), domain)
}

/// China time (UTC+8, no daylight saving) as a system time, for the Date header.
fn china_to_system_time(t: NaiveDateTime) -> SystemTime {
    let secs = t.and_utc().timestamp() - 8 * 3600;
    if secs >= 0 { UNIX_EPOCH + Duration::from_secs(secs as u64) } else { UNIX_EPOCH }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): auto-responders do not answer a report.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// A header whose value we write ourselves, already encoded, as it stands.
macro_rules! raw_header {
    ($(#[$doc:meta])* $ty:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        struct $ty(String);

        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($ty(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::dangerous_new_pre_encoded(Self::name(), self.0.clone(), self.0.clone())
            }
        }
    };
}

raw_header!(
    /// A Content-Type we write ourselves (for the `name=` parameter of attachments).
    RawContentType,
    "Content-Type"
);
raw_header!(
    /// A Content-Disposition we write ourselves (RFC 2231 `filename*`).
    RawDisposition,
    "Content-Disposition"
);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Splits `s` into pieces of at most `max` UTF-8 bytes, never inside a character.
fn utf8_chunks(s: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if i + c.len_utf8() - start > max {
            out.push(&s[start..end]);
            start = i;
        }
        end = i + c.len_utf8();
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// RFC 2047 encoded words (UTF-8, base64), each at most 75 characters, separated by folding
/// white space: `=?UTF-8?B?5pyI5bqm?=\r\n =?UTF-8?B?…?=`.
fn rfc2047_words(s: &str) -> String {
    // 45 bytes → 60 base64 characters + 12 of `=?UTF-8?B?` and `?=` = 72 ≤ 75.
    utf8_chunks(s, 45).iter().map(|c| format!("=?UTF-8?B?{}?=", base64(c.as_bytes()))).collect::<Vec<_>>().join("\r\n ")
}

fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// RFC 2231 `key*=UTF-8''…` (continued as `key*0*=…; key*1*=…` when long), folded.
fn rfc2231_param(key: &str, value: &str) -> String {
    let pct = |s: &str| -> String {
        s.bytes().map(|b| if attr_char(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    // 20 bytes of Chinese are 60 percent-encoded characters: each line stays under 78.
    let chunks = utf8_chunks(value, 20);
    if chunks.len() <= 1 {
        return format!("{key}*=UTF-8''{}", pct(value));
    }
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| if i == 0 { format!("{key}*0*=UTF-8''{}", pct(c)) } else { format!("{key}*{i}*={}", pct(c)) })
        .collect::<Vec<_>>()
        .join(";\r\n ")
}

fn is_plain_token_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 60 && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' ')
}

/// The `name=` / `filename=` value: quoted ASCII as is, anything else as RFC 2047 words.
fn quoted_name(s: &str) -> String {
    if is_plain_token_name(s) { format!("\"{s}\"") } else { format!("\"{}\"", rfc2047_words(s)) }
}

/// `type/subtype`, lower-cased (application/octet-stream when unreadable).
fn clean_content_type(ct: &str) -> String {
    let t = ct.split(';').next().unwrap_or("").trim();
    if t.contains('/') && t.is_ascii() && !t.contains(char::is_whitespace) { t.to_ascii_lowercase() } else { "application/octet-stream".to_string() }
}

/// The parameters given with a content type (`charset=gb18030`), kept when they are plain ASCII.
fn content_type_params(ct: &str) -> Vec<String> {
    ct.split(';')
        .skip(1)
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.is_ascii() && p.contains('=') && !p.contains(['\r', '\n']))
        .filter(|p| !p.to_ascii_lowercase().starts_with("name"))
        .map(str::to_string)
        .collect()
}

/// An attachment part: base64 body, `Content-Type: …; name="=?UTF-8?B?…?="` (RFC 2047, read by
/// Outlook, Foxmail and WPS mail) and `Content-Disposition: attachment; filename*=UTF-8''…`
/// (RFC 2231, the standard; a client that does not know it falls back to `name`).
fn attachment_part(filename: &str, content_type: &str, bytes: &[u8]) -> SinglePart {
    let mut ct = clean_content_type(content_type);
    let params = content_type_params(content_type);
    for p in &params {
        ct.push_str("; ");
        ct.push_str(p);
    }
    if ct.starts_with("text/") && !params.iter().any(|p| p.to_ascii_lowercase().starts_with("charset")) {
        ct.push_str("; charset=utf-8");
    }
    let content_type = format!("{ct};\r\n name={}", quoted_name(filename));
    // One form per header: parsers that meet `filename` and `filename*` together may join them.
    let disposition = if is_plain_token_name(filename) {
        format!("attachment;\r\n filename={}", quoted_name(filename))
    } else {
        format!("attachment;\r\n {}", rfc2231_param("filename", filename))
    };
    SinglePart::builder()
        .header(RawContentType(content_type))
        .header(RawDisposition(disposition))
        .body(Body::new_with_encoding(bytes.to_vec(), header::ContentTransferEncoding::Base64).expect("base64 encodes any bytes"))
}

fn extension_for(content_type: &str) -> &'static str {
    match clean_content_type(content_type).as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/svg+xml" => "svg",
        "image/webp" => "webp",
        _ => "bin",
    }
}

/// The whole mail as bytes (CRLF line ends), ready for SMTP DATA or an `.eml` file.
pub fn build(m: &Message, from: &Mailbox, date: NaiveDateTime) -> Result<Vec<u8>, DeliverError> {
    let boundary = |part: &str| format!("=_ww_{}_{}", part, short_hash(&["boundary", part, &m.office_id, &m.report, &m.period]));

    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(m.text.clone());
    let html = SinglePart::builder().header(ContentType::TEXT_HTML).body(m.html.clone());
    let html_side = if m.inline.is_empty() {
        None
    } else {
        let mut related = MultiPart::related().boundary(boundary("related")).singlepart(html.clone());
        for img in &m.inline {
            let cid = img.cid.trim().trim_start_matches('<').trim_end_matches('>').to_string();
            let ct = ContentType::parse(&clean_content_type(&img.content_type))
                .map_err(|e| DeliverError::Build { office: m.office_id.clone(), detail: format!("inline image {cid}: content type {}: {e}", img.content_type) })?;
            let name = format!("{}.{}", token(&cid).trim_matches('-'), extension_for(&img.content_type));
            let body = Body::new_with_encoding(img.bytes.clone(), header::ContentTransferEncoding::Base64).expect("base64 encodes any bytes");
            related = related.singlepart(lettre::message::Attachment::new_inline_with_name(cid, name).body(body, ct));
        }
        Some(related)
    };
    let alternative = MultiPart::alternative().boundary(boundary("alternative")).singlepart(text);
    let alternative = match html_side {
        Some(related) => alternative.multipart(related),
        None => alternative.singlepart(html),
    };
    let body = if m.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().boundary(boundary("mixed")).multipart(alternative);
        for a in &m.attachments {
            mixed = mixed.singlepart(attachment_part(&a.filename, &a.content_type, &a.bytes));
        }
        mixed
    };

    let mut b = lettre::Message::builder()
        .from(from.clone())
        .subject(m.subject.clone())
        .message_id(Some(message_id(m, from)))
        .date(china_to_system_time(date))
        .header(AutoSubmitted)
        .user_agent(format!("windowwatch {}", env!("CARGO_PKG_VERSION")));
    for a in &m.to {
        b = b.to(parse_mailbox(a, &m.office_id)?);
    }
    for a in &m.cc {
        b = b.cc(parse_mailbox(a, &m.office_id)?);
    }
    let msg = b.multipart(body).map_err(|e| DeliverError::Build { office: m.office_id.clone(), detail: e.to_string() })?;
    Ok(msg.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn long_chinese_names_fold_into_short_words_and_lines() {
        let name = "某某市医疗保障局政务服务大厅二〇二六年十月份窗口服务监督通报红牌明细表.xlsx";
        let w = rfc2047_words(name);
        for word in w.split("\r\n ") {
            assert!(word.len() <= 75, "{word}");
        }
        let p = rfc2231_param("filename", name);
        assert!(p.starts_with("filename*0*=UTF-8''%E6%9F%90"), "{p}");
        for line in p.split("\r\n") {
            assert!(line.len() < 78, "{line}");
        }
        assert_eq!(rfc2231_param("filename", "a b.csv"), "filename*=UTF-8''a%20b.csv");
        assert_eq!(quoted_name("register.csv"), "\"register.csv\"");
    }

    #[test]
    fn attachment_headers_keep_a_given_charset_and_default_text_to_utf8() {
        let gb = String::from_utf8(attachment_part("登记表.csv", "text/csv; charset=GB18030", b"x").formatted()).unwrap();
        assert!(gb.contains("Content-Type: text/csv; charset=GB18030;\r\n name=\"=?UTF-8?B?"), "{gb}");
        assert!(!gb.contains("utf-8;"), "{gb}");
        assert!(gb.contains("filename*=UTF-8''%E7%99%BB%E8%AE%B0%E8%A1%A8.csv"), "{gb}");
        let u = String::from_utf8(attachment_part("a.csv", "text/csv", b"x").formatted()).unwrap();
        assert!(u.contains("Content-Type: text/csv; charset=utf-8;\r\n name=\"a.csv\""), "{u}");
        assert!(u.contains("Content-Disposition: attachment;\r\n filename=\"a.csv\""), "{u}");
    }
}
