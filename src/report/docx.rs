//! A [`Document`] as DOCX, for the office to edit in WPS or Word before it goes out: the
//! WordprocessingML parts written directly into the zip crate the XLSX reader already uses (the
//! docx-rs crate would bring a second zip major, image 0.25 and another quick-xml). The layout
//! is GB/T 9704-2012's: A4, margins 37/26/35/28 mm, a grid of 22 lines × 28 characters
//! (`w:docGrid`), the title 2号 方正小标宋简体, the body 3号 仿宋_GB2312, headings 黑体 and
//! 楷体_GB2312, and the page number "— 1 —" in 4号 宋体 on the outside (odd pages right, even
//! left). The fonts are named, not embedded: the offices' WPS and Word have them.

use std::io::Write;

use super::document::{Block, DocumentError, Document, Orientation, Page, SIZE_2HAO, SIZE_3HAO, SIZE_4HAO, Table, clean, column_widths, mm_to_twips, pt_to_twips, zh_date};

const FONT_TITLE: &str = "方正小标宋简体";
const FONT_BODY: &str = "仿宋_GB2312";
const FONT_H1: &str = "黑体";
const FONT_H2: &str = "楷体_GB2312";
const FONT_PAGE: &str = "宋体";
const LATIN: &str = "Times New Roman";
const RED: &str = "FF0000";

pub fn write(doc: &Document) -> Result<Vec<u8>, DocumentError> {
    let err = |e: std::io::Error| DocumentError::Write { format: "DOCX", message: e.to_string() };
    let zerr = |e: zip::result::ZipError| DocumentError::Write { format: "DOCX", message: e.to_string() };
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let title = doc.blocks.iter().find_map(|b| if let Block::Title(t) = b { Some(t.as_str()) } else { None }).unwrap_or("");
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", CONTENT_TYPES.into()),
        ("_rels/.rels", ROOT_RELS.into()),
        ("docProps/core.xml", core(title, &doc.frame.issuer)),
        ("docProps/app.xml", APP.into()),
        ("word/_rels/document.xml.rels", DOC_RELS.into()),
        ("word/styles.xml", styles()),
        ("word/settings.xml", SETTINGS.into()),
        ("word/footer1.xml", footer(true)),
        ("word/footer2.xml", footer(false)),
    ];
    for (name, text) in parts.iter().map(|(n, t)| (*n, t.as_str())).chain(std::iter::once(("word/document.xml", document(doc).as_str()))) {
        z.start_file(name, opts).map_err(zerr)?;
        z.write_all(text.as_bytes()).map_err(err)?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}

/// Text for the document's XML: characters XML cannot hold dropped ([`clean`]), markup escaped.
fn esc(s: &str) -> String {
    super::render::escape_markup(&clean(s))
}

/// Run properties naming the Chinese font (`eastAsia`) beside a Latin one, at `size` points.
fn rpr(font: &str, size: f64, bold: bool, color: Option<&str>) -> String {
    let hs = (size * 2.0).round() as i64;
    format!(
        r#"<w:rPr><w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{font}" w:cs="{LATIN}"/>{}{}<w:sz w:val="{hs}"/><w:szCs w:val="{hs}"/></w:rPr>"#,
        if bold { "<w:b/>" } else { "" },
        color.map(|c| format!(r#"<w:color w:val="{c}"/>"#)).unwrap_or_default()
    )
}

/// Runs of text, newlines as `w:br`.
fn runs(text: &str, props: &str) -> String {
    esc(text).split('\n').map(|l| format!(r#"<w:r>{props}<w:t xml:space="preserve">{l}</w:t></w:r>"#)).collect::<Vec<_>>().join("<w:r><w:br/></w:r>")
}

fn para(style: &str, ppr_extra: &str, text: &str, props: &str) -> String {
    format!(r#"<w:p><w:pPr><w:pStyle w:val="{style}"/>{ppr_extra}</w:pPr>{}</w:p>"#, runs(text, props))
}

fn document(doc: &Document) -> String {
    let page = Page::of(doc.orientation);
    let mut body = masthead(doc);
    let mut addressed = false;
    for b in &doc.blocks {
        body.push_str(&block(b, &page));
        if matches!(b, Block::Title(_)) && !addressed {
            addressed = true;
            body.push_str(&para("Body", "", "", ""));
            if let Some(a) = &doc.frame.addressee {
                body.push_str(&para("Addressee", "", &format!("{a}："), ""));
            }
        }
    }
    body.push_str(&signature(doc));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{body}{}</w:body></w:document>"#,
        sect(&page, doc.orientation)
    )
}

/// 版头: the issuer in red, the 发文字号, the red rule under them.
fn masthead(doc: &Document) -> String {
    let f = &doc.frame;
    let mut s = para("Masthead", "", &f.issuer, "");
    if let Some(n) = &f.doc_number {
        s.push_str(&para("Body", "", "", ""));
        s.push_str(&para("DocNumber", "", n, ""));
    }
    // The rule: a red bottom border on an empty paragraph the width of the block.
    s.push_str(&format!(r#"<w:p><w:pPr><w:pStyle w:val="Body"/><w:pBdr><w:bottom w:val="single" w:sz="12" w:space="1" w:color="{RED}"/></w:pBdr><w:spacing w:line="240" w:lineRule="auto"/></w:pPr></w:p>"#));
    s
}

/// 落款 and 成文日期: right-aligned, four characters in from the right edge.
fn signature(doc: &Document) -> String {
    let mut s = para("Body", "", "", "");
    s.push_str(&para("Body", "", "", ""));
    s.push_str(&para("Signature", "", &doc.frame.issuer, ""));
    s.push_str(&para("Signature", "", &zh_date(doc.frame.date), ""));
    s
}

fn block(b: &Block, page: &Page) -> String {
    match b {
        Block::Title(t) => para("Title", "", t, ""),
        Block::Heading(level, t) => para(&format!("Heading{}", (*level).clamp(1, 4)), "", t, ""),
        Block::Paragraph(t) => para("Body", "", t, ""),
        Block::Table(t) => table(t, page),
    }
}

fn table(t: &Table, page: &Page) -> String {
    let total = mm_to_twips(page.text_width) as f64;
    let size = super::document::table_size(t.header.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0)));
    // A character and its share of the cell margins (57 twips each side) per em; Latin letters
    // and digits of the reader's fonts a little wider than half an em.
    let widths: Vec<i64> = column_widths(t, total, pt_to_twips(size) as f64 + 60.0, |s| super::document::em_width(s) * 1.15).iter().map(|w| w.floor() as i64).collect();
    if widths.is_empty() {
        return String::new();
    }
    let grid: String = widths.iter().map(|w| format!(r#"<w:gridCol w:w="{w}"/>"#)).collect();
    let border = |side: &str| format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#);
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"].iter().map(|s| border(s)).collect();
    let mut s = format!(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="DocTable"/><w:tblW w:w="{}" w:type="dxa"/><w:jc w:val="center"/><w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid>"#,
        widths.iter().sum::<i64>()
    );
    s.push_str(&row(&t.header, &widths, size, true));
    for r in &t.rows {
        s.push_str(&row(r, &widths, size, false));
    }
    s.push_str("</w:tbl>");
    s
}

fn row(cells: &[String], widths: &[i64], size: f64, header: bool) -> String {
    let props = rpr(FONT_BODY, size, header, None);
    let trpr = if header { "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" } else { "<w:trPr><w:cantSplit/></w:trPr>" };
    let mut s = format!("<w:tr>{trpr}");
    for (j, w) in widths.iter().enumerate() {
        let text = cells.get(j).map(String::as_str).unwrap_or("");
        let jc = if header { r#"<w:jc w:val="center"/>"# } else { "" };
        s.push_str(&format!(
            r#"<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/>{jc}</w:pPr>{}</w:p></w:tc>"#,
            runs(text, &props)
        ));
    }
    s.push_str("</w:tr>");
    s
}

fn sect(page: &Page, o: Orientation) -> String {
    let (w, h) = (mm_to_twips(page.width), mm_to_twips(page.height));
    let orient = if o == Orientation::Landscape { r#" w:orient="landscape""# } else { "" };
    // The number's rule is 7 mm under the block: the footer's baseline a line of 4号 lower.
    let footer = mm_to_twips(page.bottom() - 7.0) - pt_to_twips(SIZE_4HAO * 1.2);
    format!(
        r#"<w:sectPr><w:footerReference w:type="default" r:id="rIdFooterOdd"/><w:footerReference w:type="even" r:id="rIdFooterEven"/><w:pgSz w:w="{w}" w:h="{h}"{orient}/><w:pgMar w:top="{}" w:right="{}" w:bottom="{}" w:left="{}" w:header="851" w:footer="{footer}" w:gutter="0"/><w:docGrid w:type="linesAndChars" w:linePitch="{}" w:charSpace="{}"/></w:sectPr>"#,
        mm_to_twips(page.top),
        mm_to_twips(page.right()),
        mm_to_twips(page.bottom()),
        mm_to_twips(page.left),
        page.line_pitch_twips(),
        page.char_space()
    )
}

/// The page number "— N —", 4号 宋体, one character in from the outside edge.
fn footer(odd: bool) -> String {
    let one_char = pt_to_twips(SIZE_4HAO);
    let (jc, ind) = if odd { ("right", format!(r#"<w:ind w:right="{one_char}"/>"#)) } else { ("left", format!(r#"<w:ind w:left="{one_char}"/>"#)) };
    let p = rpr(FONT_PAGE, SIZE_4HAO, false, None);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:p><w:pPr><w:pStyle w:val="Footer"/>{ind}<w:jc w:val="{jc}"/></w:pPr><w:r>{p}<w:t xml:space="preserve">— </w:t></w:r><w:r>{p}<w:fldChar w:fldCharType="begin"/></w:r><w:r>{p}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r>{p}<w:fldChar w:fldCharType="separate"/></w:r><w:r>{p}<w:t>1</w:t></w:r><w:r>{p}<w:fldChar w:fldCharType="end"/></w:r><w:r>{p}<w:t xml:space="preserve"> —</w:t></w:r></w:p></w:ftr>"#
    )
}

fn style(id: &str, name: &str, ppr: &str, rpr: &str) -> String {
    format!(r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="{id}"><w:name w:val="{name}"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>{ppr}</w:pPr>{rpr}</w:style>"#)
}

fn styles() -> String {
    let line = Page::of(Orientation::Portrait).line_pitch_twips();
    let indent2 = pt_to_twips(SIZE_3HAO * 2.0);
    let right4 = pt_to_twips(SIZE_3HAO * 4.0);
    let exact = format!(r#"<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>"#);
    let list = [
        style("Masthead", "发文机关标志", r#"<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/>"#, &rpr(FONT_TITLE, 30.0, false, Some(RED))),
        style("DocNumber", "发文字号", r#"<w:jc w:val="center"/>"#, &rpr(FONT_BODY, SIZE_3HAO, false, None)),
        format!(
            r#"<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:before="0" w:after="0" w:line="{}" w:lineRule="exact"/><w:jc w:val="center"/></w:pPr>{}</w:style>"#,
            pt_to_twips(SIZE_2HAO * 1.6),
            rpr(FONT_TITLE, SIZE_2HAO, false, None)
        ),
        style("Addressee", "主送机关", "", ""),
        style("Body", "正文", &format!(r#"<w:ind w:firstLine="{indent2}"/><w:jc w:val="both"/>"#), ""),
        heading(1, FONT_H1, false, indent2),
        heading(2, FONT_H2, false, indent2),
        heading(3, FONT_BODY, true, indent2),
        heading(4, FONT_BODY, false, indent2),
        style("Signature", "落款", &format!(r#"<w:ind w:right="{right4}"/><w:jc w:val="right"/>"#), ""),
        style("TableText", "表格文字", r#"<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>"#, ""),
        style("Footer", "页脚", r#"<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>"#, ""),
    ]
    .concat();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault>{}</w:rPrDefault><w:pPrDefault><w:pPr>{exact}</w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style><w:style w:type="table" w:customStyle="1" w:styleId="DocTable"><w:name w:val="公文表格"/><w:basedOn w:val="TableNormal"/></w:style>{list}</w:styles>"#,
        rpr(FONT_BODY, SIZE_3HAO, false, None)
    )
}

/// `Heading1`…`Heading4` (Word's own ids, so the navigation pane and outline see them).
fn heading(level: u8, font: &str, bold: bool, indent: i64) -> String {
    format!(
        r#"<w:style w:type="paragraph" w:styleId="Heading{level}"><w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Body"/><w:qFormat/><w:pPr><w:keepNext/><w:ind w:firstLine="{indent}"/><w:outlineLvl w:val="{}"/></w:pPr>{}</w:style>"#,
        level - 1,
        rpr(font, SIZE_3HAO, bold, None)
    )
}

fn core(title: &str, creator: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>{}</dc:creator></cp:coreProperties>"#,
        esc(title),
        esc(creator)
    )
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rIdFooterOdd" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/><Relationship Id="rIdFooterEven" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer2.xml"/></Relationships>"#;

/// Odd and even pages have their own footers (the number on the outside). Elements here and in
/// every `pPr` are in the schema's order: Word refuses a document whose order is wrong.
const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:defaultTabStop w:val="420"/><w:evenAndOddHeaders/><w:characterSpacingControl w:val="compressPunctuation"/></w:settings>"#;

const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>windowwatch</Application></Properties>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::document::Frame;

    fn doc() -> Document {
        Document {
            frame: Frame { issuer: "甲区医保局".into(), doc_number: Some("甲医保监〔2026〕10号".into()), addressee: Some("各大厅".into()), date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() },
            blocks: vec![Block::Title("通报".into()), Block::Paragraph("a<b & \"c\"\u{1}".into()), Block::Table(Table { header: vec!["规则".into()], rows: vec![vec!["x".into()]] })],
            orientation: Orientation::Portrait,
        }
    }

    #[test]
    fn the_document_part_escapes_text_and_carries_the_grid_and_both_footers() {
        let x = document(&doc());
        assert!(x.contains("a&lt;b &amp; &quot;c&quot; "), "{x}");
        assert!(x.contains(r#"<w:docGrid w:type="linesAndChars" w:linePitch="579" w:charSpace="-848"/>"#));
        assert!(x.contains(r#"w:top="2098" w:right="1474" w:bottom="1984" w:left="1587""#));
        assert!(x.contains(r#"w:type="even""#) && x.contains("各大厅："));
        let f = footer(false);
        assert!(f.contains(r#"<w:jc w:val="left"/>"#) && f.contains(" PAGE "));
        let bytes = write(&doc()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
