//! The pages' HTML, written by hand: every value that reaches a page goes through [`esc`] (text
//! and attribute values alike), and every link's query through [`query`]; nothing else puts
//! input into markup. One layout frames every page: who is signed in, the navigation, the
//! logout form with its CSRF token, and "数据截至 …".

use std::fmt::Write;

/// Text or an attribute value made safe for HTML: `& < > " '` become entities.
pub use crate::report::render::escape_markup as esc;

/// A percent-encoded query string (`?a=1&b=2`, empty values left out); escape it with [`esc`]
/// when it goes into an attribute.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&pct(k));
        out.push('=');
        out.push_str(&pct(v));
    }
    out
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What the layout says about the person and the data.
pub struct Frame<'a> {
    pub title: &'a str,
    /// The signed-in user's name and role label (None on the login page).
    pub user: Option<(&'a str, &'a str)>,
    pub csrf: &'a str,
    /// "数据截至 …" text.
    pub data_as_of: &'a str,
    /// The `as_of` query of the page, carried over to the navigation.
    pub as_of: &'a str,
    /// The login reads the denial register (not a hall).
    pub register: bool,
    /// The login is an admin (the jobs' page).
    pub admin: bool,
    /// The login's office reads English.
    pub en: bool,
}

/// The CJK font the charts ship (WenQuanYi Micro Hei, GB2312 subset), served to browsers that
/// have none: the halls' machines are often offline, so no font comes from a CDN.
pub static CJK_FONT: &[u8] = include_bytes!("../../report-templates/fonts/wqy-microhei-gb2312.ttf");

pub const CSS: &str = "@font-face{font-family:'WW CJK';src:url('/static/cjk.ttf') format('truetype')}\
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','WW CJK',sans-serif;margin:0;color:#222}\
header{background:#1f4e79;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}\
header a{color:#fff}header form{margin:0}button,input,select{font:inherit}main{padding:12px 16px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#eef3f8}.red{color:#b00;font-weight:bold}.yellow{color:#a60;font-weight:bold}\
.asof{color:#555;font-size:90%}.skip{color:#888}form.filters label{margin-right:8px}.err{color:#b00}";

/// The whole page around `body`.
pub fn page(f: &Frame<'_>, body: &str) -> String {
    let mut h = String::new();
    let _ = write!(h, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{} · 窗口服务监督</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><header><strong>医保窗口服务监督</strong>", esc(f.title));
    if let Some((name, role)) = f.user {
        let q = esc(&query(&[("as_of", f.as_of)]));
        let _ = write!(h, "<a href=\"/{q}\">概览</a><a href=\"/findings{q}\">发现</a>{}<span>{}（{}）</span>", nav_extra(f, &q), esc(name), esc(role));
        let _ = write!(h, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" id=\"logout\">退出</button></form>", esc(f.csrf));
    }
    let _ = write!(h, "</header><main><p class=\"asof\" id=\"data-as-of\">{}</p><h1>{}</h1>{body}</main></body></html>", esc(f.data_as_of), esc(f.title));
    if f.en { super::lang::translate(&h).replacen("<html lang=\"zh-CN\">", "<html lang=\"en\">", 1) } else { h }
}

/// The register's link, and the admin's.
fn nav_extra(f: &Frame<'_>, q: &str) -> String {
    let mut h = String::new();
    if f.register {
        let _ = write!(h, "<a href=\"/register{q}\" id=\"nav-register\">登记表</a><a href=\"/archive\" id=\"nav-archive\">报告存档</a>");
    }
    if f.admin {
        let _ = write!(h, "<a href=\"/admin{q}\" id=\"nav-admin\">运行状态</a>");
    }
    h
}

/// A table of text cells (escaped here); `link` gives a cell's href (already a path with query).
pub fn table(headers: &[&str], rows: &[Vec<String>], link: &dyn Fn(usize, usize) -> Option<String>) -> String {
    let mut h = String::from("<table><thead><tr>");
    for c in headers {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for (i, r) in rows.iter().enumerate() {
        h.push_str("<tr>");
        for (j, v) in r.iter().enumerate() {
            let class = match v.as_str() {
                "red" | "红牌" => " class=\"red\"",
                "yellow" | "黄牌" => " class=\"yellow\"",
                _ => "",
            };
            match link(i, j) {
                Some(href) => {
                    let _ = write!(h, "<td{class}><a href=\"{}\">{}</a></td>", esc(&href), esc(v));
                }
                None => {
                    let _ = write!(h, "<td{class}>{}</td>", esc(v));
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h
}

/// The Chinese name of a severity.
pub fn severity_zh(s: &str) -> &str {
    match s {
        "red" => "红牌",
        "yellow" => "黄牌",
        "info" => "提示",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_that_could_be_markup_is_escaped() {
        assert_eq!(esc("<script>alert('x')</script>&\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
        let t = table(&["a"], &[vec!["<b>".into()]], &|_, _| Some("/x?a=\"><script>".into()));
        assert!(!t.contains("<b>") && !t.contains("<script>"), "{t}");
    }

    #[test]
    fn queries_are_percent_encoded_and_skip_empty_values() {
        assert_eq!(query(&[("hall", "H01"), ("rule", ""), ("as_of", "2026-11-01 00:00:00")]), "?hall=H01&as_of=2026-11-01%2000%3A00%3A00");
        assert_eq!(query(&[("q", "&<甲>")]), "?q=%26%3C%E7%94%B2%3E");
    }
}
