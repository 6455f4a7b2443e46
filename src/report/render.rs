//! Handlebars rendering of `report-templates/` (HTML and plain text, per language). The templates
//! ship inside the binary; a jurisdiction can point `--templates DIR` at its own copies.

use std::path::Path;

use handlebars::Handlebars;
use include_dir::{Dir, include_dir};
use serde_json::Value;

use super::ReportError;

/// Text or an attribute value made safe for HTML and XML alike: `& < > " '` become entities. The
/// workspace's pages and the DOCX writer both escape through it.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/report-templates");

fn template_text(name: &str, dir: Option<&Path>) -> Result<String, ReportError> {
    if let Some(d) = dir {
        let p = d.join(name);
        if p.exists() {
            return std::fs::read_to_string(&p).map_err(|e| ReportError::Io { path: p.display().to_string(), source: e });
        }
    }
    TEMPLATES
        .get_file(name)
        .and_then(|f| f.contents_utf8())
        .map(String::from)
        .ok_or_else(|| ReportError::Template { name: name.into(), message: "no such template".into() })
}

fn registry(html: bool) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(false);
    if !html {
        hb.register_escape_fn(handlebars::no_escape);
    }
    hb
}

/// Renders `{report}.{lang}.{html|txt}.hbs` with `data`; the language falls back to zh-CN.
pub fn render(report: &str, lang: &str, html: bool, data: &Value, dir: Option<&Path>) -> Result<String, ReportError> {
    let ext = if html { "html" } else { "txt" };
    let name = format!("{report}.{lang}.{ext}.hbs");
    let text = template_text(&name, dir).or_else(|_| template_text(&format!("{report}.zh-CN.{ext}.hbs"), dir))?;
    let mut hb = registry(html);
    hb.register_partial("style", template_text("partials/style.css", dir)?.as_str())
        .map_err(|e| ReportError::Template { name: "partials/style.css".into(), message: e.to_string() })?;
    hb.render_template(&text, data).map_err(|e| ReportError::Template { name, message: e.to_string() })
}
