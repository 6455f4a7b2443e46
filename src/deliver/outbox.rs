//! The outbox: with no `[smtp]` configured, each message is written as an `.eml` file
//! (`outbox/<office>/<report>-<period>.eml`) that any mail client opens, so the demo and a trial
//! need no mail server. The bytes are exactly those SMTP would carry (same headers, To and Cc).

use std::path::{Path, PathBuf};

use super::{DeliverError, Message};

/// A path component from an id: letters, digits, `-`, `_`, `.` and CJK are kept, the rest is `_`.
fn component(s: &str) -> String {
    let t: String = s.trim().chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    let t = t.trim_matches('.').to_string();
    if t.is_empty() { "_".to_string() } else { t }
}

/// Where the message goes: `<outbox>/<office>/<report>-<period>.eml`.
pub fn path_for(outbox: &Path, m: &Message) -> PathBuf {
    outbox.join(component(&m.office_id)).join(format!("{}-{}.eml", component(&m.report), component(&m.period)))
}

/// Writes the file atomically (a temporary beside it, fsynced, renamed over).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), DeliverError> {
    let err = |e: std::io::Error| DeliverError::Outbox { path: path.to_path_buf(), source: e };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("message"), std::process::id()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_safe_and_readable() {
        let m = Message {
            office_id: "../甲 监督科".into(),
            report: "monthly".into(),
            period: "2026-10".into(),
            to: vec![],
            cc: vec![],
            subject: String::new(),
            text: String::new(),
            html: String::new(),
            inline: vec![],
            attachments: vec![],
        };
        assert_eq!(path_for(Path::new("out"), &m), PathBuf::from("out/_甲_监督科/monthly-2026-10.eml"));
    }
}
