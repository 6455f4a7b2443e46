//! The 通报 and the register as official documents: the DOCX read back by a real reader
//! (python-docx, `tests/docx_dump.py`) — every paragraph and table, the GB/T 9704 page and both
//! footers — and the PDF through poppler: the CJK font embedded, the Chinese text extracted
//! through its ToUnicode map (so every glyph is the font's own, never a box), the page number
//! "— 1 —", and page 1 rasterised. The monthly mail carries the DOCX.
//!
//! These tests need `WINDOWWATCH_TEST_PYTHON` with python-docx, poppler-utils and a CJK font
//! (scripts/test installs all three); without them they fail, they never skip.

use std::path::Path;
use std::process::Command;

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;

use crate::common::Env;
use crate::reports;

const NOW: [(&str, &str); 1] = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];

fn seeded() -> Env {
    let env = Env::new();
    reports::seed(&env);
    let config = reports::CONFIG.replace("to = [\"jia@example.cn\"]", "to = [\"jia@example.cn\"]\ndoc_number = \"甲医保监〔{year}〕{seq}号\"\naddressee = \"甲区各医保服务大厅\"");
    env.write("windowwatch.toml", config);
    env
}

fn python() -> String {
    std::env::var("WINDOWWATCH_TEST_PYTHON").unwrap_or_else(|_| panic!("WINDOWWATCH_TEST_PYTHON is not set: the document tests read the DOCX with python-docx. Run scripts/test."))
}

/// The DOCX as python-docx reads it.
fn read_docx(p: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docx_dump.py");
    let out = Command::new(python()).arg(script).arg(p).output().expect("python runs");
    assert!(out.status.success(), "python-docx could not read {}: {}", p.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name}: {e} (apt-get install poppler-utils; scripts/test does)"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn texts(d: &Value) -> Vec<(String, String)> {
    d["paragraphs"].as_array().unwrap().iter().map(|p| (p["style"].as_str().unwrap().to_string(), p["text"].as_str().unwrap().to_string())).collect()
}

#[test]
fn the_monthly_circular_as_docx_reads_back_with_its_frame_sections_tables_and_footers() {
    let env = seeded();
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--format", "docx", "--out", "reports"], &NOW).ok();
    let d = read_docx(&env.path("reports/jia/monthly-2026-10.docx"));
    let paras = texts(&d);
    let find = |style: &str| paras.iter().filter(|(s, _)| s == style).map(|(_, t)| t.as_str()).collect::<Vec<_>>();
    assert_eq!(find("发文机关标志"), ["甲区医保局监督科"], "{paras:?}");
    assert_eq!(find("发文字号"), ["甲医保监〔2026〕10号"]);
    assert_eq!(find("Title"), ["关于2026年10月医保经办窗口服务监督情况的通报"]);
    assert_eq!(find("主送机关"), ["甲区各医保服务大厅："]);
    assert_eq!(find("落款"), ["甲区医保局监督科", "2026年11月1日"]);
    let h1 = find("Heading 1");
    assert_eq!(h1.first(), Some(&"一、总体情况"), "{h1:?}");
    assert!(h1.iter().any(|h| h.ends_with("、红色问题")) && h1.iter().any(|h| h.ends_with("、窗口满意度排名")), "{h1:?}");
    // The headline in prose, and the findings by rule with the clause they break.
    let body = find("正文").join("\n");
    assert!(body.contains("本月共受理办件5件"), "{body}");
    assert!(body.contains("依据："), "{body}");
    let h2 = find("Heading 2");
    assert!(h2.iter().any(|h| h.contains("超期未办结")), "{h2:?}");
    // Tables: the headline, the rankings of H01 and H02, the overdue case of H02 as a finding row.
    let tables = d["tables"].as_array().unwrap();
    assert_eq!(tables[0][0], serde_json::json!(["指标", "本月", "上月", "环比"]));
    let rows: Vec<Vec<String>> = tables.iter().flat_map(|t| t.as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect())).collect();
    assert!(rows.iter().any(|r| r.len() == 6 && r[0] == "H02" && r[3] == "C-H02-2"), "{rows:?}");
    assert!(!rows.iter().flatten().any(|c| c.contains("H03")), "乙's hall in 甲's document");
    assert!(!rows.iter().flatten().any(|c| c.contains("张三丰") || c.contains("13800138000")), "personal data unmasked");
    // The page of GB/T 9704 and the page numbers outside.
    let s = &d["sections"][0];
    assert_eq!((s["orientation"].as_str(), s["width_mm"].as_f64(), s["height_mm"].as_f64()), (Some("portrait"), Some(210.0), Some(297.0)));
    assert_eq!((s["top_mm"].as_f64(), s["left_mm"].as_f64()), (Some(37.0), Some(28.0)));
    assert_eq!(s["odd_footer"][0], serde_json::json!(["— 1 —", "RIGHT (2)"]));
    assert_eq!(s["even_footer"][0], serde_json::json!(["— 1 —", "LEFT (0)"]));
    assert_eq!(d["odd_and_even"], Value::Bool(true));
}

#[test]
fn the_monthly_circular_as_pdf_embeds_its_cjk_font_and_every_character_is_real_text() {
    let env = seeded();
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--format", "pdf", "--out", "reports"], &NOW).ok();
    let pdf = env.path("reports/jia/monthly-2026-10.pdf");
    let p = pdf.to_str().unwrap();
    let fonts = tool("pdffonts", &[p]);
    let line = fonts.lines().find(|l| l.contains("WWDOCS+")).unwrap_or_else(|| panic!("no embedded subset: {fonts}"));
    assert!(line.contains("CID") && line.split_whitespace().filter(|w| *w == "yes").count() >= 3, "embedded, subset, with ToUnicode: {line}");
    let info = tool("pdfinfo", &[p]);
    let pages: u32 = info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    assert!(pages >= 2, "{info}");
    assert!(info.contains("595.28 x 841.89") || info.contains("595.276 x 841.89"), "A4: {info}");
    // Every glyph drawn maps back to its character: the text is the font's own glyphs, none
    // replaced (a missing character would come back as `?`).
    // Compared without whitespace: a title wraps, and poppler reads the spaces of "— 1 —" as gaps.
    let text: String = tool("pdftotext", &[p, "-"]).split_whitespace().collect();
    for want in ["甲区医保局监督科", "甲医保监〔2026〕10号", "关于2026年10月医保经办窗口服务监督情况的通报", "甲区各医保服务大厅：", "一、总体情况", "C-H02-2", "— 1 —", "— 2 —", "2026年11月1日"] {
        let want: String = want.split_whitespace().collect();
        assert!(text.contains(&want), "{want} missing from the PDF text:\n{text}");
    }
    assert!(!text.contains('?'), "a character fell back to ?:\n{text}");
    // Page 1 rasterised: ink where the title and masthead are.
    let out = env.path("page");
    tool("pdftoppm", &["-r", "40", "-f", "1", "-l", "1", "-gray", p, out.to_str().unwrap()]);
    let pgm = std::fs::read_dir(env.dir.path()).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "pgm")).expect("a rasterised page");
    let dark = dark_share(&std::fs::read(pgm).unwrap());
    assert!(dark > 0.003 && dark < 0.3, "page 1 has {dark} of its pixels inked");
}

/// The share of pixels darker than mid-grey in a binary PGM.
fn dark_share(pgm: &[u8]) -> f64 {
    // Header: P5 <w> <h> <max>, each followed by whitespace.
    let mut fields = 0;
    let mut i = 0;
    while fields < 4 && i < pgm.len() {
        while i < pgm.len() && pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        while i < pgm.len() && !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields += 1;
    }
    let pixels = &pgm[i + 1..];
    pixels.iter().filter(|&&v| v < 128).count() as f64 / pixels.len().max(1) as f64
}

#[test]
fn the_register_as_documents_is_landscape_with_both_tables() {
    let env = seeded();
    for f in ["docx", "pdf"] {
        env.ww_env(&["register", "--month", "2026-10", "--format", f, "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &NOW).ok();
    }
    let d = read_docx(&env.path("reports/jia/否定备案登记表-jia-2026-10.docx"));
    assert_eq!(d["sections"][0]["orientation"].as_str(), Some("landscape"));
    assert_eq!(texts(&d).iter().find(|(s, _)| s == "Title").map(|(_, t)| t.as_str()), Some("2026年10月否定备案登记表"));
    let tables = d["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0][0][0], "备案编号");
    assert_eq!(tables[1][0][0], "办件编号");
    let pdf = env.path("reports/jia/否定备案登记表-jia-2026-10.pdf");
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains("841.89 x 595.28") || info.contains("841.89 x 595.276"), "A4 landscape: {info}");
    let text: String = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).split_whitespace().collect();
    assert!(text.contains("未登记的否定决定") && text.contains("—1—"), "{text}");
}

#[test]
fn the_monthly_mail_carries_the_circular_as_docx() {
    let env = seeded();
    env.ww_env(&["send", "monthly", "--month", "2026-10"], &NOW).ok();
    let eml = std::fs::read(env.path("outbox/jia/monthly-2026-10.eml")).expect("the monthly mail in the outbox");
    let m = MessageParser::default().parse(&eml).expect("parses");
    let docx = m.attachments().find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".docx"))).expect("a DOCX attachment");
    assert_eq!(docx.attachment_name(), Some("月度监督通报-jia-2026-10.docx"));
    let p = env.write("attached.docx", docx.contents());
    let d = read_docx(&p);
    assert!(texts(&d).iter().any(|(_, t)| t == "甲医保监〔2026〕10号"));
}

#[test]
fn a_wrong_doc_number_placeholder_is_a_config_problem() {
    let env = Env::new();
    env.write("windowwatch.toml", "[[offices]]\nid = \"a\"\nname = \"甲\"\nhalls = [\"H01\"]\ndoc_number = \"甲〔{year}〕{n}号\"\n");
    let r = env.ww(&["config", "check"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("offices[0].doc_number") && r.stderr.contains("{year} and {seq}"), "{}", r.stderr);
}
