//! Masking of personal data: ID numbers keep the first 6 and last 4 characters, phone numbers
//! keep 3 + 4 digits, names keep the surname. Used by every report, mail and export (unless an
//! office may see personal data) and by the SQL functions `mask_id`, `mask_phone`, `mask_name`.
//! Free text (comments, reasons, details) is scrubbed of anything shaped like an ID or a mobile
//! number, so a number typed into a comment does not slip through either.

use std::sync::LazyLock;

use regex::Regex;

/// Compound surnames (复姓) kept whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "轩辕", "端木",
    "独孤", "南宫", "西门", "百里", "呼延", "赫连", "澹台", "太史", "申屠", "闻人", "濮阳", "钟离", "宗政", "拓跋", "万俟", "公冶",
];

/// `110101199001011234` → `110101********1234` (any length: first 6 and last 4 kept).
pub fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 10));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// `13800138000` → `138****8000` (first 3 and last 4 digits kept).
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 7));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// `张三丰` → `张**`; `欧阳修` → `欧阳*`; `John Smith` → `John *****`.
pub fn mask_name(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return String::new();
    }
    if s.is_ascii() {
        let mut parts = s.splitn(2, ' ');
        let first = parts.next().unwrap_or("");
        return match parts.next() {
            Some(rest) => format!("{first} {}", "*".repeat(rest.chars().count())),
            None => format!("{}{}", &first[..1], "*".repeat(first.len() - 1)),
        };
    }
    let keep = COMPOUND_SURNAMES.iter().find(|c| s.starts_with(*c)).map_or(1, |c| c.chars().count());
    let chars: Vec<char> = s.chars().collect();
    let keep = keep.min(chars.len());
    let mut out: String = chars[..keep].iter().collect();
    out.push_str(&"*".repeat((chars.len() - keep).max(1)));
    out
}

static ID_OR_PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9A-Za-z])([0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})(?:$|[^0-9A-Za-z])").expect("valid regex"));

/// Masks every ID-number-shaped (15 or 18 characters) and mobile-shaped run of digits in free text.
pub fn mask_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut pos = 0;
    while let Some(c) = ID_OR_PHONE.captures_at(s, pos) {
        let m = c.get(1).expect("group 1");
        out.push_str(&s[last..m.start()]);
        let digits = m.as_str();
        out.push_str(&if digits.len() == 11 { mask_phone(digits) } else { mask_id(digits) });
        last = m.end();
        pos = m.end();
    }
    out.push_str(&s[last..]);
    out
}

/// How a column of any output is masked: personal data by its kind, free text scrubbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskKind {
    Name,
    IdNumber,
    Phone,
    /// Free text: ID- and mobile-shaped numbers masked.
    FreeText,
    /// A quarantined row's raw cells (JSON, header → value).
    RawRow,
}

/// Columns holding personal data, and free-text columns scrubbed of ID/phone-shaped numbers: the
/// one list every report, export and SQL session masks by.
pub fn column_mask(column: &str) -> Option<MaskKind> {
    match column {
        "applicant_name" => Some(MaskKind::Name),
        "applicant_id_no" => Some(MaskKind::IdNumber),
        "applicant_phone" => Some(MaskKind::Phone),
        "detail" | "comment" | "reason" | "legal_basis" | "extension_reason" | "problems" | "rectify_extension_reason" | "approver" | "message" => {
            Some(MaskKind::FreeText)
        }
        "raw" => Some(MaskKind::RawRow),
        _ => None,
    }
}

/// The name of the SQL function that applies a mask (see `engine::functions`).
pub fn mask_function(kind: MaskKind) -> &'static str {
    match kind {
        MaskKind::Name => "mask_name",
        MaskKind::IdNumber => "mask_id",
        MaskKind::Phone => "mask_phone",
        MaskKind::FreeText => "mask_text",
        MaskKind::RawRow => "mask_raw",
    }
}

pub fn mask_as(kind: MaskKind, s: &str) -> String {
    match kind {
        MaskKind::Name => mask_name(s),
        MaskKind::IdNumber => mask_id(s),
        MaskKind::Phone => mask_phone(s),
        MaskKind::FreeText => mask_text(s),
        MaskKind::RawRow => mask_raw_row(s),
    }
}

/// A quarantined row as its file held it (`{"header": "value", …}`): the cells whose header names
/// a personal column of any table are masked by kind, every other cell is scrubbed as free text.
/// Text that is not such an object is scrubbed whole.
pub fn mask_raw_row(raw: &str) -> String {
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str::<serde_json::Value>(raw) else {
        return mask_text(raw);
    };
    for (k, v) in m.iter_mut() {
        let Some(s) = v.as_str() else { continue };
        let personal = crate::contract::Table::ALL.iter().find_map(|t| {
            let spec = t.spec();
            spec.resolve_header(k).and_then(|i| spec.columns[i].personal)
        });
        let masked = match personal {
            Some(p) => mask_personal(p, s),
            None => mask_text(s),
        };
        *v = serde_json::Value::String(masked);
    }
    serde_json::Value::Object(m).to_string()
}

/// How a column is masked, from the contract's personal-data kinds.
pub fn mask_personal(kind: crate::contract::Personal, s: &str) -> String {
    match kind {
        crate::contract::Personal::Name => mask_name(s),
        crate::contract::Personal::IdNumber => mask_id(s),
        crate::contract::Personal::Phone => mask_phone(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_what_the_rules_say() {
        assert_eq!(mask_id("110101199001011234"), "110101********1234");
        assert_eq!(mask_id("11010119900101123X"), "110101********123X");
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("欧阳修"), "欧阳*");
        assert_eq!(mask_name("王"), "王*");
        assert_eq!(mask_name("John Smith"), "John *****");
    }

    #[test]
    fn free_text_loses_ids_and_mobiles_but_keeps_other_numbers() {
        let t = "申请人13800138000来电，证件110101199001011234，办件编号C20261008001，金额1200元";
        let m = mask_text(t);
        assert_eq!(m, "申请人138****8000来电，证件110101********1234，办件编号C20261008001，金额1200元");
        assert_eq!(mask_text("电话:13912345678"), "电话:139****5678");
        assert_eq!(mask_text("12345"), "12345");
    }
}
