//! What a rendered report hands to delivery: one message per office and report, with its body,
//! inline images and attachments. Defined here, with the reports that make them, so delivery
//! takes them from below (`deliver` re-exports them).

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    /// e.g. `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, `text/csv`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An image shown inside the HTML part (`<img src="cid:{cid}">`).
#[derive(Debug, Clone, PartialEq)]
pub struct InlineImage {
    pub cid: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One rendered report for one office, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub office_id: String,
    /// `monthly`, `daily` or `register`.
    pub report: String,
    /// The period it covers: `2026-10` for monthly and register, `2026-11-02` for daily.
    pub period: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub inline: Vec<InlineImage>,
    pub attachments: Vec<Attachment>,
}

impl Message {
    /// A report's message to an office's recipients, with no inline images or attachments yet.
    pub fn for_office(office: &crate::config::Office, report: &str, period: String, subject: String, text: String, html: String) -> Message {
        Message { office_id: office.id.clone(), report: report.into(), period, to: office.to.clone(), cc: office.cc.clone(), subject, text, html, inline: Vec::new(), attachments: Vec::new() }
    }
}

/// What a group-chat robot posts (企业微信 or 钉钉): the office's robot, or one hall's robot
/// with only that hall's findings. Always masked (a group is read by many); the text is the
/// report's text body (the daily warning) or a one-paragraph summary (the monthly report), made
/// into markdown by delivery, which adds where the full report is.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub office_id: String,
    /// `None`: the office's own robot; `Some(hall)`: that hall's robot.
    pub hall: Option<String>,
    pub webhook: crate::config::Webhook,
    /// `daily` or `monthly`.
    pub report: String,
    pub period: String,
    pub title: String,
    pub text: String,
    /// The report's files on disk (the archive), to say where to find it.
    pub files: Vec<std::path::PathBuf>,
    pub en: bool,
}

/// The MIME type of an XLSX attachment.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The MIME type of a CSV attachment.
pub const CSV: &str = "text/csv";
