//! Masking of personal data: ID numbers keep the first 6 and last 4 characters, phone numbers
//! keep 3 + 4 digits, names keep the surname. Used by every report, mail and export (unless an
//! office may see personal data) and by the SQL functions `mask_id`, `mask_phone`, `mask_name`.
//!
//! Free text (comments, reasons, details; SQL `mask_text`) is scrubbed of personal numbers in the
//! forms people type them, so a number in a comment does not slip through either. The text is
//! read with full-width digits, dashes, spaces and parentheses as their ASCII forms; a number may
//! be written in groups joined by one separator (space, full-width space, `-`, `－`, `—`, `.`) or
//! with its area code in parentheses, and letters or words right before it (`ID…`, `tel…`,
//! `电话:…`) do not hide it. Digits are masked in place with `*`; separators, prefixes and the
//! kept digits stay as written, so the text still reads:
//!
//! | form | example | masked |
//! |---|---|---|
//! | mobile, first 3 and last 4 kept | `138-0013-8000`, `+86 13800138000` | `138-****-8000`, `+86 138****8000` |
//! | ID (18 or 15), first 6 and last 4 kept | `110101 19900101 1234`, `11010119900101123x` | `110101 ******** 1234`, `110101********123x` |
//! | landline, area code and last 4 kept | `0531-88886666`, `(0531)88886666`, `010 1234 5678` | `0531-****6666`, `(0531)****6666`, `010 **** 5678` |
//! | any other run of 15 or more digits (a bank card), first 6 and last 4 kept | `6222021234567890123` | `622202*********0123` |
//!
//! Groups joined by separators are tried as every run of consecutive groups, longest first, so a
//! date or an amount next to a number does not hide it (`2026-10-08 13800138000`). Several groups
//! make a number only in its usual grouping (a mobile's first group starts it, an ID's first group
//! is the 6-digit region code followed by a birth date, a landline's is its area code), so dates
//! (`2026-10-08`), times, amounts (`1200元`), order numbers (`C20261008001`) and other runs of
//! fewer than 15 digits stay as they are. Local numbers without an area code are not masked.
use std::sync::LazyLock;

use regex::Regex;

/// Compound surnames (复姓) kept whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "轩辕", "端木",
    "独孤", "南宫", "西门", "百里", "呼延", "赫连", "澹台", "太史", "申屠", "闻人", "濮阳", "钟离", "宗政", "拓跋", "万俟", "公冶",
];

/// `110101199001011234` → `110101********1234` (any length: first 6 and last 4 kept).
pub fn mask_id(s: &str) -> String {
    keep_ends(s, 6, 4)
}

/// `13800138000` → `138****8000` (first 3 and last 4 digits kept).
pub fn mask_phone(s: &str) -> String {
    keep_ends(s, 3, 4)
}

/// The first `head` and last `tail` characters kept, every one between starred; all starred when
/// nothing would be left between.
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
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

/// The largest number of digit groups one number is written in (`110101 1990 0101 1234`).
const MAX_GROUPS: usize = 5;

/// The fewest digits a maskable number has (a landline: 3-digit area code + 7-digit number).
const MIN_DIGITS: usize = 10;

/// A character as the matcher sees it: full-width digits and separators as ASCII, every dash as
/// `-`, the full-width space as a space, `x` as `X`. One character in, one out, so a match's
/// positions are the original text's.
fn normalise(c: char) -> char {
    match c {
        '０'..='９' => char::from_digit(c as u32 - '０' as u32, 10).unwrap_or(c),
        '\u{3000}' | '\u{a0}' => ' ',
        '－' | '—' | '–' | '‐' | '‑' | '﹣' => '-',
        '．' => '.',
        '（' => '(',
        '）' => ')',
        '＋' => '+',
        'x' | 'ｘ' | 'Ｘ' => 'X',
        _ => c,
    }
}

/// What may stand, alone, between two digit groups of one number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.')
}

/// A maximal run of digits (char positions `start..end`), `x` when an ID's check letter follows.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    x: bool,
}

impl Group {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Whether the group starting at `next` continues the number `prev` belongs to: one separator
/// between them, or `(area)` with the closing parenthesis and at most one separator.
fn linked(n: &[char], prev: &Group, next: usize) -> bool {
    if prev.x {
        return false;
    }
    let opened = prev.start > 0 && n[prev.start - 1] == '(';
    match &n[prev.end..next] {
        [c] => is_separator(*c) || (opened && *c == ')'),
        [')', c] => opened && is_separator(*c),
        _ => false,
    }
}

/// The digit groups of a text, as chains of groups joined by separators.
fn chains(n: &[char]) -> Vec<Vec<Group>> {
    let mut out: Vec<Vec<Group>> = Vec::new();
    let mut cur: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < n.len() {
        if !n[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < n.len() && n[i].is_ascii_digit() {
            i += 1;
        }
        let x = n.get(i) == Some(&'X') && !n.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric());
        let g = Group { start, end: i, x };
        if !cur.last().is_some_and(|p| linked(n, p, start)) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(g);
        if x {
            i += 1;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1])
}

fn two(d: &[u8]) -> u32 {
    d.iter().take(2).fold(0, |a, b| a * 10 + (b - b'0') as u32)
}

/// `mmdd` of a plausible birth date.
fn month_day(d: &[u8]) -> bool {
    d.len() == 4 && (1..=12).contains(&two(d)) && (1..=31).contains(&two(&d[2..]))
}

/// The length of a landline's area code: 010 and 02x have three digits, 03xx–09xx four.
fn area_len(d: &[u8]) -> Option<usize> {
    match d {
        [b'0', b'1', b'0', ..] | [b'0', b'2', _, ..] => Some(3),
        [b'0', b'3'..=b'9', _, _, ..] => Some(4),
        _ => None,
    }
}

/// Which digits of a candidate (consecutive groups `gs`, digits `d`, an ID's check letter after
/// them when `x`) are masked, or None when it is not a personal number. Several groups must look
/// like the number's usual grouping (a mobile's first group starts it, an ID's first group is the
/// 6-digit region and a birth date follows, a landline's first group is its area code), so a date
/// or an amount next to nothing personal is never taken for part of one.
fn classify(gs: &[Group], d: &[u8], x: bool) -> Option<std::ops::Range<usize>> {
    let single = gs.len() == 1;
    let first = gs[0].len();
    let n = d.len();
    let born = |d: &[u8]| matches!(two(d), 18..=20) && month_day(&d[4..8]);
    if x && n == 17 && (single || (first == 6 && born(&d[6..14]))) {
        return Some(6..14);
    }
    if is_mobile(d) && (single || first >= 3) {
        return Some(3..7);
    }
    if single {
        if n == 13 && d.starts_with(b"86") && is_mobile(&d[2..]) {
            return Some(5..9);
        }
        if n == 15 && d.starts_with(b"0086") && is_mobile(&d[4..]) {
            return Some(7..11);
        }
        if n >= 15 {
            return Some(6..n - 4);
        }
    } else if first == 6 {
        if n == 18 && born(&d[6..14]) {
            return Some(6..14);
        }
        if n == 15 && month_day(&d[8..12]) {
            return Some(6..11);
        }
    }
    let area = area_len(d)?;
    let local = n.checked_sub(area)?;
    ((7..=8).contains(&local) && d[area] != b'0' && (single || first == area)).then(|| area..n - 4)
}

/// Masks every personal number in free text, in place (see the module comment for the forms and
/// what each keeps). Never fails: text without one comes back unchanged.
pub fn mask_text(s: &str) -> String {
    let digits = s.chars().filter(|c| normalise(*c).is_ascii_digit()).count();
    if digits < MIN_DIGITS {
        return s.to_string();
    }
    let mut out: Vec<char> = s.chars().collect();
    let n: Vec<char> = out.iter().map(|c| normalise(*c)).collect();
    for chain in chains(&n) {
        let mut i = 0;
        while i < chain.len() {
            let last = chain.len().min(i + MAX_GROUPS);
            let hit = (i..last).rev().find_map(|j| {
                let gs = &chain[i..=j];
                let pos: Vec<usize> = gs.iter().flat_map(|g| g.start..g.end).collect();
                let d: Vec<u8> = pos.iter().map(|&p| n[p] as u8).collect();
                classify(gs, &d, gs[gs.len() - 1].x).map(|r| (j, pos, r))
            });
            match hit {
                Some((j, pos, r)) => {
                    for &p in pos.get(r).unwrap_or_default() {
                        out[p] = '*';
                    }
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    out.into_iter().collect()
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
        // Free text a person wrote, which may name or number an applicant: the halls' answers
        // (回告 `explanation`) and the inspectors' `description` too.
        "detail" | "comment" | "reason" | "legal_basis" | "extension_reason" | "problems" | "rectify_extension_reason" | "approver" | "message" | "explanation" | "description" => {
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
/// a personal column of any table (or is the column's own name, which is how the readers write a
/// header that a user's alias mapped), or reads like one (姓名, 身份证, 电话, …), are masked by kind,
/// every other cell is scrubbed as free text; numbers and nested values too. Text that is not such
/// an object (a broken JSON line) has its `"key": value` pairs masked the same way where it can
/// find them, and is scrubbed whole.
pub fn mask_raw_row(raw: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v @ serde_json::Value::Object(_)) => mask_json(None, v).to_string(),
        _ => mask_text(&mask_pairs(raw)),
    }
}

/// The personal kind of a raw row's key: a header of any table, a canonical name (`#2` marks a
/// second key for one column), or a header that says what it holds.
fn key_personal(key: &str) -> Option<crate::contract::Personal> {
    use crate::contract::Personal;
    let resolve = |k: &str| {
        crate::contract::Table::ALL.iter().find_map(|t| {
            let spec = t.spec();
            spec.resolve_header(k).and_then(|i| spec.columns[i].personal)
        })
    };
    let base = key.rsplit_once('#').map_or(key, |(b, _)| b);
    resolve(key).or_else(|| resolve(base)).or_else(|| {
        let has = |words: &[&str]| words.iter().any(|w| key.contains(w));
        if has(&["身份证", "证件号"]) {
            Some(Personal::IdNumber)
        } else if has(&["电话", "手机"]) {
            Some(Personal::Phone)
        } else if has(&["姓名"]) {
            Some(Personal::Name)
        } else {
            None
        }
    })
}

fn mask_json(personal: Option<crate::contract::Personal>, v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let text = |s: &str| match personal {
        Some(p) => mask_personal(p, s),
        None => mask_text(s),
    };
    match v {
        Value::String(s) => Value::String(text(&s)),
        Value::Number(n) => {
            let s = n.to_string();
            let m = text(&s);
            if m == s { Value::Number(n) } else { Value::String(m) }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| mask_json(personal, x)).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| {
            let p = key_personal(&k).or(personal);
            (k, mask_json(p, x))
        }).collect()),
        other => other,
    }
}

static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""((?:[^"\\]|\\.)*)"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?[0-9][0-9.eE+-]*))"#).expect("valid regex")
});

/// `"key": value` pairs of a text that is not JSON, their values masked by the key's kind.
fn mask_pairs(raw: &str) -> String {
    PAIR.replace_all(raw, |c: &regex::Captures| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let key = c.get(1).map_or("", |m| m.as_str());
        let Some(p) = key_personal(key) else { return whole.to_string() };
        match (c.get(2), c.get(3)) {
            (Some(v), _) => format!("\"{key}\": \"{}\"", mask_personal(p, v.as_str())),
            (None, Some(v)) => format!("\"{key}\": \"{}\"", mask_personal(p, v.as_str())),
            _ => whole.to_string(),
        }
    })
    .into_owned()
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

    /// Every form a personal number is typed in, masked in place.
    #[test]
    fn free_text_masks_every_written_form() {
        let cases = [
            // Mobiles: first 3 and last 4 kept, prefixes and separators as written.
            ("13800138000", "138****8000"),
            ("+8613800138000", "+86138****8000"),
            ("8613800138000", "86138****8000"),
            ("008613800138000", "0086138****8000"),
            ("+86 138 0013 8000", "+86 138 **** 8000"),
            ("+86-138-0013-8000", "+86-138-****-8000"),
            ("138-0013-8000", "138-****-8000"),
            ("138 0013 8000", "138 **** 8000"),
            ("138.0013.8000", "138.****.8000"),
            ("138－0013－8000", "138－****－8000"),
            ("138—0013—8000", "138—****—8000"),
            ("138\u{3000}0013\u{3000}8000", "138\u{3000}****\u{3000}8000"),
            ("１３８００１３８０００", "１３８****８０００"),
            ("１３８－００１３－８０００", "１３８－****－８０００"),
            ("tel13800138000", "tel138****8000"),
            ("电话:138 0013 8000。", "电话:138 **** 8000。"),
            ("13800138000转123", "138****8000转123"),
            // IDs: first 6 and last 4 kept.
            ("ID110101199001011234", "ID110101********1234"),
            ("110101 19900101 1234", "110101 ******** 1234"),
            ("110101-19900101-1234", "110101-********-1234"),
            ("11010119900101123x", "110101********123x"),
            ("11010119900101123X", "110101********123X"),
            ("110101 19900101 123X", "110101 ******** 123X"),
            ("１１０１０１１９９００１０１１２３４", "１１０１０１********１２３４"),
            ("110101900101123", "110101*****1123"),
            // Landlines: area code and last 4 kept.
            ("0531-88886666", "0531-****6666"),
            ("(0531)88886666", "(0531)****6666"),
            ("（0531）88886666", "（0531）****6666"),
            ("(0531) 8888 6666", "(0531) **** 6666"),
            ("010-12345678", "010-****5678"),
            ("021 1234 5678", "021 **** 5678"),
            ("053188886666", "0531****6666"),
            ("01012345678", "010****5678"),
            ("０５３１－８８８８６６６６", "０５３１－****６６６６"),
            // A longer run (a bank card): first 6 and last 4 kept.
            ("6222021234567890123", "622202*********0123"),
            // Next to numbers that are not personal.
            ("2026-10-08 13800138000", "2026-10-08 138****8000"),
            ("2026-10-08 09:00:00 来电 138 0013 8000", "2026-10-08 09:00:00 来电 138 **** 8000"),
            ("13800138000 13900139000", "138****8000 139****9000"),
            ("0531-88886666-801", "0531-****6666-801"),
            ("2026-10-08 0531-88886666", "2026-10-08 0531-****6666"),
            ("13800138000,110101199001011234", "138****8000,110101********1234"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_text(input), want, "{input}");
        }
    }

    #[test]
    fn free_text_keeps_numbers_that_are_not_personal() {
        for s in [
            "C20261008001",
            "办件编号C20261008001",
            "1200元",
            "金额 1,380,013.80 元",
            "2026-10-08",
            "2026-10-08 09:00:00",
            "2026/10/08 09:15",
            "09:00:00",
            "20261008",
            "202610080001",
            "1380013800",
            "138001380001",
            "88886666",
            "0531-8888",
            "12 345 678 901",
            "2026-10-08 10:00 至 2026-10-09 17:30",
            "第1、2、3号窗口",
            "W01-0101-0002",
            "123456 789012345",
        ] {
            assert_eq!(mask_text(s), s, "{s}");
        }
    }

    /// Any text (odd characters, multibyte, digits and separators in every mix) comes back with
    /// the same characters except digits turned into `*`, and no run of 15 or more digits left.
    #[test]
    fn free_text_masking_never_fails_and_only_masks_digits() {
        use rand::{Rng, SeedableRng};
        const ALPHABET: &[char] = &[
            '0', '1', '3', '5', '8', '9', '０', '１', '８', ' ', '\u{3000}', '-', '－', '—', '.', '(', ')', '（', '）', '+', 'x', 'X',
            'ｘ', 'a', 'I', 'D', '张', '电', '话', ':', '：', '，', '元', '*', '#', '"', '\\', '\n', '\u{0}', '😀', '\u{301}', '\u{ffff}',
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261008);
        for _ in 0..20_000 {
            let len = rng.random_range(0..60);
            let s: String = (0..len)
                .map(|_| if rng.random_bool(0.6) { char::from(b'0' + rng.random_range(0..10u8)) } else { ALPHABET[rng.random_range(0..ALPHABET.len())] })
                .collect();
            let m = mask_text(&s);
            assert_eq!(m.chars().count(), s.chars().count(), "{s:?}");
            for (a, b) in s.chars().zip(m.chars()) {
                assert!(a == b || (b == '*' && normalise(a).is_ascii_digit()), "{s:?} → {m:?}");
            }
            let _ = mask_raw_row(&s);
            let longest = m.split(|c: char| !normalise(c).is_ascii_digit()).map(|r| r.chars().count()).max().unwrap_or(0);
            assert!(longest < 15, "a run of {longest} digits survives: {s:?} → {m:?}");
        }
        // A mobile between any two non-digit characters is always masked.
        for _ in 0..5_000 {
            let pick = |rng: &mut rand_chacha::ChaCha8Rng| -> String {
                (0..rng.random_range(0..12)).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect()
            };
            let (a, b) = (pick(&mut rng), pick(&mut rng));
            let s = format!("{a}张13800138000张{b}");
            assert!(!mask_text(&s).contains("13800138000") && mask_text(&s).contains("张138****8000张"), "{s:?}");
        }
    }

    #[test]
    fn the_halls_answers_and_the_inspectors_descriptions_are_free_text() {
        for c in ["explanation", "description", "comment"] {
            assert_eq!(column_mask(c), Some(MaskKind::FreeText), "{c}");
        }
        assert_eq!(mask_as(MaskKind::FreeText, "已电话联系13800138000"), mask_text("已电话联系13800138000"));
        assert!(!mask_as(MaskKind::FreeText, "已电话联系13800138000").contains("13800138000"));
    }

    #[test]
    fn raw_rows_are_masked_by_column_whatever_the_key() {
        let raw = serde_json::json!({
            "applicant_name": "张三丰",
            "applicant_id_no": "110101199001011234",
            "申请人": "欧阳修",
            "联系电话": "13800138000",
            "姓名": "李四",
            "身份证号": 110101199001011234u64,
            "applicant_phone#2": "13900139000",
            "备注": "请回电 138-0013-8000",
            "承诺时限": 5,
            "nested": {"applicant_name": "王五", "list": ["13700137000"]},
        })
        .to_string();
        let m = mask_raw_row(&raw);
        for s in ["张三丰", "欧阳修", "李四", "王五", "110101199001011234", "13800138000", "13900139000", "0013", "13700137000"] {
            assert!(!m.contains(s), "{s} in {m}");
        }
        let v: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["applicant_name"], "张**");
        assert_eq!(v["身份证号"], "110101********1234");
        assert_eq!(v["备注"], "请回电 138-****-8000");
        assert_eq!(v["承诺时限"], 5);
        // A broken JSON line: the pairs it still has are masked by key, the rest scrubbed.
        let broken = r#"{"applicant_name": "张三丰", "证件号码": "110101199001011234", "联系电话": 13800138000, "x": 1"#;
        let m = mask_raw_row(broken);
        assert!(!m.contains("张三丰") && !m.contains("110101199001011234") && !m.contains("13800138000"), "{m}");
        assert!(m.contains("张**") && m.contains("\"x\": 1"), "{m}");
    }
}
