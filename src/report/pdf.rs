//! A [`Document`] as PDF, from the same model as the DOCX: set on the GB/T 9704 grid (lines of
//! 29 pt, 28 characters of 3号 to a line), wrapped by the font's own advances (Chinese needs no
//! shaping), tables as ruled grids with the header repeated on each page, the page number
//! "— 1 —" outside. The Chinese comes from a CJK font on the machine (`[documents] fonts`, else
//! the Debian paths of fonts-noto-cjk, fonts-arphic and fonts-wqy), embedded as a subset of the
//! glyphs used (typst's `subsetter`) with a ToUnicode map, so the text renders everywhere and can
//! be searched and copied. No font, no PDF: one error says what was looked for.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::document::{Block, DocumentError, Document, Page, SIZE_2HAO, SIZE_3HAO, SIZE_4HAO, Table, clean, column_widths, mm_to_pt, table_size, wrap, zh_date};

/// Where Debian (and its derivatives) put the CJK fonts, best first: a serif (宋/仿宋-like) face
/// before the sans ones.
pub const KNOWN_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

/// A font file and the face of it that draws simplified Chinese.
pub struct FontFile {
    pub path: String,
    pub data: Vec<u8>,
    pub index: u32,
}

/// The first candidate that exists and draws 中文: configured files first, then [`KNOWN_FONTS`].
/// `file.ttc#2` names a face of a collection; otherwise the simplified-Chinese face is chosen
/// by its name (SC, GB), else the first face that has the glyphs.
pub fn find_font(configured: &[PathBuf], known: &[&str]) -> Result<FontFile, DocumentError> {
    let candidates: Vec<String> = configured.iter().map(|p| p.display().to_string()).chain(known.iter().map(|s| s.to_string())).collect();
    for c in &candidates {
        let (path, forced) = match c.rsplit_once('#') {
            Some((p, i)) if i.parse::<u32>().is_ok() => (p, i.parse::<u32>().ok()),
            _ => (c.as_str(), None),
        };
        let Ok(data) = std::fs::read(path) else { continue };
        if let Some(index) = choose_face(&data, forced) {
            return Ok(FontFile { path: path.to_string(), data, index });
        }
        tracing::warn!(font = path, "not a CJK font this PDF writer can use; trying the next");
    }
    Err(DocumentError::NoFont { looked: candidates.join(", ") })
}

fn choose_face(data: &[u8], forced: Option<u32>) -> Option<u32> {
    let draws = |i: u32| ttf_parser::Face::parse(data, i).ok().is_some_and(|f| "中文医保".chars().all(|c| f.glyph_index(c).is_some()));
    if let Some(i) = forced {
        return draws(i).then_some(i);
    }
    let n = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let named_sc = (0..n).find(|&i| {
        ttf_parser::Face::parse(data, i).ok().is_some_and(|f| {
            f.names().into_iter().filter(|nm| nm.name_id == ttf_parser::name_id::FAMILY || nm.name_id == ttf_parser::name_id::TYPOGRAPHIC_FAMILY).filter_map(|nm| nm.to_string()).any(|s| s.contains(" SC") || s.contains("GB"))
        })
    });
    named_sc.filter(|&i| draws(i)).or_else(|| (0..n).find(|&i| draws(i)))
}

pub fn write(doc: &Document, fonts: &[PathBuf]) -> Result<Vec<u8>, DocumentError> {
    let font = find_font(fonts, KNOWN_FONTS)?;
    let ferr = |m: String| DocumentError::Font { path: font.path.clone(), message: m };
    let face = ttf_parser::Face::parse(&font.data, font.index).map_err(|e| ferr(e.to_string()))?;
    let metrics = Metrics::new(&face);
    let pages = Layout::run(doc, &metrics);
    emit(doc, &pages, &font, &face, &metrics).map_err(ferr)
}

/// Glyphs and advances of the chosen face; a character it lacks is drawn as `?`, never a box.
pub struct Metrics<'a> {
    face: &'a ttf_parser::Face<'a>,
    upem: f64,
    fallback: u16,
}

impl<'a> Metrics<'a> {
    fn new(face: &'a ttf_parser::Face<'a>) -> Metrics<'a> {
        let fallback = face.glyph_index('?').map(|g| g.0).unwrap_or(0);
        Metrics { face, upem: face.units_per_em() as f64, fallback }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map(|g| g.0).unwrap_or(self.fallback)
    }

    /// Advance of a glyph in thousandths of the size.
    fn advance_glyph(&self, g: u16) -> f64 {
        self.face.glyph_hor_advance(ttf_parser::GlyphId(g)).map(|a| a as f64 * 1000.0 / self.upem).unwrap_or(1000.0)
    }

    /// Advance of a character at `size` points.
    fn advance(&self, c: char, size: f64) -> f64 {
        self.advance_glyph(self.glyph(c)) * size / 1000.0
    }
}

/// What a page holds, in points from its lower-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text { x: f64, y: f64, size: f64, spacing: f64, text: String, red: bool },
    Line { x1: f64, y1: f64, x2: f64, y2: f64, width: f64, red: bool },
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Centre,
    Right,
}

struct Layout<'m, 'a> {
    m: &'m Metrics<'a>,
    page: Page,
    pages: Vec<Vec<Op>>,
    /// The top of the next line.
    y: f64,
    pitch: f64,
    /// The character spacing that puts 3号 characters on the grid's character pitch.
    grid_spacing: f64,
}

impl<'m, 'a> Layout<'m, 'a> {
    fn run(doc: &Document, m: &'m Metrics<'a>) -> Vec<Vec<Op>> {
        let page = Page::of(doc.orientation);
        let pitch = mm_to_pt(page.line_pitch_mm());
        let grid_spacing = mm_to_pt(page.char_pitch_mm()) - SIZE_3HAO;
        let mut l = Layout { m, page, pages: Vec::new(), y: 0.0, pitch, grid_spacing };
        l.new_page();
        l.masthead(doc);
        let mut addressed = false;
        for (i, b) in doc.blocks.iter().enumerate() {
            l.block(b, doc.blocks.get(i + 1));
            if matches!(b, Block::Title(_)) && !addressed {
                addressed = true;
                l.y -= l.pitch;
                if let Some(a) = &doc.frame.addressee {
                    l.text(&format!("{a}："), SIZE_3HAO, Align::Left, 0.0, false, l.pitch);
                }
            }
        }
        l.signature(doc);
        l.page_numbers();
        l.pages
    }

    fn x0(&self) -> f64 {
        mm_to_pt(self.page.left)
    }
    fn width(&self) -> f64 {
        mm_to_pt(self.page.text_width)
    }
    fn top(&self) -> f64 {
        mm_to_pt(self.page.height - self.page.top)
    }
    fn floor(&self) -> f64 {
        mm_to_pt(self.page.bottom())
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top();
    }

    fn ensure(&mut self, h: f64) {
        if self.y - h < self.floor() - 0.01 && self.y < self.top() {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    fn spacing(&self, size: f64) -> f64 {
        if (size - SIZE_3HAO).abs() < 1e-9 { self.grid_spacing } else { 0.0 }
    }

    fn measure(&self, s: &str, size: f64) -> f64 {
        let sp = self.spacing(size);
        s.chars().map(|c| self.m.advance(c, size) + sp).sum()
    }

    /// Wrapped lines of one text, each `lead` high, inside the block less `inset` on the right.
    fn text(&mut self, text: &str, size: f64, align: Align, inset: f64, red: bool, lead: f64) {
        let sp = self.spacing(size);
        let width = self.width() - inset;
        let lines = wrap(&clean(text), width, |c| self.m.advance(c, size) + sp);
        for line in lines {
            self.ensure(lead);
            let w = self.measure(&line, size);
            let x = match align {
                Align::Left => self.x0(),
                Align::Centre => self.x0() + (width - w) / 2.0,
                Align::Right => self.x0() + width - w,
            };
            // The baseline sits a little below the middle of the line's box.
            let y = self.y - lead / 2.0 - size * 0.35;
            self.push(Op::Text { x, y, size, spacing: sp, text: line, red });
            self.y -= lead;
        }
    }

    fn masthead(&mut self, doc: &Document) {
        self.y -= self.pitch * 0.5;
        self.text(&doc.frame.issuer, 30.0, Align::Centre, 0.0, true, 30.0 * 1.5);
        if let Some(n) = &doc.frame.doc_number {
            self.y -= self.pitch;
            self.text(n, SIZE_3HAO, Align::Centre, 0.0, false, self.pitch);
        }
        self.y -= 4.0;
        let (x0, x1, y) = (self.x0(), self.x0() + self.width(), self.y);
        self.push(Op::Line { x1: x0, y1: y, x2: x1, y2: y, width: 1.5, red: true });
        self.y -= self.pitch;
    }

    /// One block; a heading keeps with what follows it (a line, or a table's header and first row).
    fn block(&mut self, b: &Block, next: Option<&Block>) {
        match b {
            Block::Title(t) => {
                self.text(t, SIZE_2HAO, Align::Centre, 0.0, false, self.pitch * 1.25);
            }
            Block::Heading(_, t) => {
                let after = match next {
                    Some(Block::Table(t)) => self.table_start(t),
                    _ => self.pitch,
                };
                self.ensure(self.pitch + after);
                self.text(&format!("\u{3000}\u{3000}{t}"), SIZE_3HAO, Align::Left, 0.0, false, self.pitch);
            }
            Block::Paragraph(t) => {
                let indented: String = t.split('\n').map(|p| format!("\u{3000}\u{3000}{p}")).collect::<Vec<_>>().join("\n");
                self.text(&indented, SIZE_3HAO, Align::Left, 0.0, false, self.pitch);
            }
            Block::Table(t) => self.table(t),
        }
    }

    fn signature(&mut self, doc: &Document) {
        self.y -= self.pitch;
        self.ensure(self.pitch * 3.0);
        let inset = mm_to_pt(self.page.char_pitch_mm()) * 4.0;
        self.y -= self.pitch;
        self.text(&doc.frame.issuer, SIZE_3HAO, Align::Right, inset, false, self.pitch);
        self.text(&zh_date(doc.frame.date), SIZE_3HAO, Align::Right, inset, false, self.pitch);
    }

    /// A table's cells wrapped to its columns.
    fn grid(&self, t: &Table) -> Option<Grid> {
        let size = table_size(t.header.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0)));
        // An em with its share of the 2 pt padding each side of a cell.
        let widths = column_widths(t, self.width(), size + 2.5, |s| s.chars().map(|c| self.m.advance(c, 1.0)).sum());
        if widths.is_empty() {
            return None;
        }
        let lead = size * 1.3;
        // A cell never holds more lines than a page does.
        let max_lines = ((self.top() - self.floor() - 8.0) / lead).floor().max(1.0) as usize;
        let cells = |row: &[String]| -> Vec<Vec<String>> {
            widths
                .iter()
                .enumerate()
                .map(|(j, w)| {
                    let mut lines = wrap(&clean(row.get(j).map(String::as_str).unwrap_or("")), (w - 4.0).max(size), |c| self.m.advance(c, size));
                    lines.truncate(max_lines);
                    lines
                })
                .collect()
        };
        let header = cells(&t.header);
        let body = t.rows.iter().map(|r| cells(r)).collect();
        Some(Grid { widths, size, lead, header, body })
    }

    /// The height of a table's header and first row: what must fit under its heading.
    fn table_start(&self, t: &Table) -> f64 {
        self.grid(t).map(|g| 4.0 + row_height(&g.header, g.lead) + g.body.first().map(|r| row_height(r, g.lead)).unwrap_or(0.0)).unwrap_or(0.0)
    }

    fn table(&mut self, t: &Table) {
        let Some(g) = self.grid(t) else { return };
        let (widths, size, lead) = (&g.widths, g.size, g.lead);
        // The header never stands alone at the foot of a page.
        if self.y - self.table_start(t) < self.floor() && self.y < self.top() - 1.0 {
            self.new_page();
        }
        self.y -= 4.0;
        self.row(&g.header, widths, size, lead, true);
        for r in &g.body {
            if self.y - row_height(r, lead) < self.floor() {
                self.new_page();
                self.row(&g.header, widths, size, lead, true);
            }
            self.row(r, widths, size, lead, false);
        }
        self.y -= self.pitch * 0.5;
    }

    fn row(&mut self, cells: &[Vec<String>], widths: &[f64], size: f64, lead: f64, header: bool) {
        let h = row_height(cells, lead);
        if self.y - h < self.floor() {
            self.new_page();
        }
        let (top, mut x) = (self.y, self.x0());
        for (j, w) in widths.iter().enumerate() {
            for (k, line) in cells.get(j).map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
                let lw: f64 = line.chars().map(|c| self.m.advance(c, size)).sum();
                let lx = if header { x + (w - lw) / 2.0 } else { x + 2.0 };
                let y = top - 2.0 - lead * (k as f64 + 1.0) + (lead - size) / 2.0 + size * 0.12;
                self.push(Op::Text { x: lx, y, size, spacing: 0.0, text: line.clone(), red: false });
            }
            x += w;
        }
        let (x0, x1, bottom) = (self.x0(), self.x0() + widths.iter().sum::<f64>(), top - h);
        let hw = if header { 0.8 } else { 0.5 };
        self.push(Op::Line { x1: x0, y1: top, x2: x1, y2: top, width: hw, red: false });
        self.push(Op::Line { x1: x0, y1: bottom, x2: x1, y2: bottom, width: 0.5, red: false });
        let mut vx = x0;
        for w in std::iter::once(&0.0).chain(widths.iter()) {
            vx += w;
            self.push(Op::Line { x1: vx, y1: top, x2: vx, y2: bottom, width: 0.5, red: false });
        }
        self.y = bottom;
    }

    /// "— N —" in 4号, its top 7 mm under the block, one character in from the outside edge.
    fn page_numbers(&mut self) {
        let y = self.floor() - mm_to_pt(7.0) - SIZE_4HAO * 0.88;
        let (x0, x1) = (self.x0(), self.x0() + self.width());
        for (i, ops) in self.pages.iter_mut().enumerate() {
            let n = i + 1;
            let text = format!("— {n} —");
            let w: f64 = text.chars().map(|c| self.m.advance(c, SIZE_4HAO)).sum();
            let x = if n % 2 == 1 { x1 - SIZE_4HAO - w } else { x0 + SIZE_4HAO };
            ops.push(Op::Text { x, y, size: SIZE_4HAO, spacing: 0.0, text, red: false });
        }
    }
}

struct Grid {
    widths: Vec<f64>,
    size: f64,
    lead: f64,
    header: Vec<Vec<String>>,
    body: Vec<Vec<Vec<String>>>,
}

fn row_height(cells: &[Vec<String>], lead: f64) -> f64 {
    cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64 * lead + 4.0
}

/// The PDF: one Type0 font (Identity-H over the subset's glyph ids), a ToUnicode map, pages.
fn emit(doc: &Document, pages: &[Vec<Op>], font: &FontFile, face: &ttf_parser::Face, m: &Metrics) -> Result<Vec<u8>, String> {
    // Every glyph used, remapped to the subset's consecutive ids.
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
    let mut missing: Vec<char> = Vec::new();
    for op in pages.iter().flatten() {
        if let Op::Text { text, .. } = op {
            for c in text.chars() {
                let g = m.glyph(c);
                if face.glyph_index(c).is_none() && !missing.contains(&c) {
                    missing.push(c);
                }
                let new = remapper.remap(g);
                unicode.entry(new).or_insert(c);
            }
        }
    }
    if !missing.is_empty() {
        tracing::warn!(font = font.path, missing = %missing.iter().collect::<String>(), "characters the font lacks are drawn as ?");
    }
    let subset = subsetter::subset(&font.data, font.index, &remapper).map_err(|e| format!("subsetting: {e}"))?;
    let cff = face.raw_face().table(ttf_parser::Tag::from_bytes(b"CFF ")).is_some();

    let mut alloc = Ref::new(1);
    let mut next = || alloc.bump();
    let (catalog, tree, type0, cid, descriptor, file, cmap, info) = (next(), next(), next(), next(), next(), next(), next(), next());
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next(), next())).collect();
    pdf.pages(tree).kids(page_ids.iter().map(|(p, _)| *p)).count(page_ids.len() as i32);
    let title = doc.blocks.iter().find_map(|b| if let Block::Title(t) = b { Some(t.as_str()) } else { None }).unwrap_or("");
    pdf.document_info(info).title(pdf_writer::TextStr(title)).producer(pdf_writer::TextStr("windowwatch"));

    let page = Page::of(doc.orientation);
    let media = Rect::new(0.0, 0.0, mm_to_pt(page.width) as f32, mm_to_pt(page.height) as f32);
    for ((pid, cid_ref), ops) in page_ids.iter().zip(pages) {
        let mut p = pdf.page(*pid);
        p.media_box(media).parent(tree).contents(*cid_ref);
        p.resources().fonts().pair(Name(b"F1"), type0);
        p.finish();
        let content = content(ops, &remapper, m);
        pdf.stream(*cid_ref, &content);
    }

    let base = format!("WWDOCS+{}", postscript_name(face));
    pdf.type0_font(type0).base_font(Name(base.as_bytes())).encoding_predefined(Name(b"Identity-H")).descendant_font(cid).to_unicode(cmap);
    let sys = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    // The subset's glyph n is the n-th glyph remapped.
    let widths: Vec<f32> = remapper.remapped_gids().map(|old| m.advance_glyph(old) as f32).collect();
    let mut c = pdf.cid_font(cid);
    c.subtype(if cff { CidFontType::Type0 } else { CidFontType::Type2 }).base_font(Name(base.as_bytes())).system_info(sys).font_descriptor(descriptor).default_width(1000.0);
    c.widths().consecutive(0, widths);
    if !cff {
        c.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    c.finish();
    descriptor_of(&mut pdf, descriptor, file, face, &base, cff);
    let mut s = pdf.stream(file, &subset);
    if cff {
        s.pair(Name(b"Subtype"), Name(b"OpenType"));
    } else {
        s.pair(Name(b"Length1"), subset.len() as i32);
    }
    s.finish();
    let mut map = UnicodeCmap::new(Name(b"Custom"), sys);
    for (g, c) in &unicode {
        map.pair(*g, *c);
    }
    pdf.cmap(cmap, &map.finish());
    Ok(pdf.finish())
}

fn descriptor_of(pdf: &mut Pdf, id: Ref, file: Ref, face: &ttf_parser::Face, base: &str, cff: bool) {
    let k = 1000.0 / face.units_per_em() as f32;
    let b = face.global_bounding_box();
    let mut d = pdf.font_descriptor(id);
    d.name(Name(base.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(b.x_min as f32 * k, b.y_min as f32 * k, b.x_max as f32 * k, b.y_max as f32 * k))
        .italic_angle(0.0)
        .ascent(face.ascender() as f32 * k)
        .descent(face.descender() as f32 * k)
        .cap_height(face.capital_height().unwrap_or(face.ascender()) as f32 * k)
        .stem_v(80.0);
    if cff {
        d.font_file3(file);
    } else {
        d.font_file2(file);
    }
}

fn postscript_name(face: &ttf_parser::Face) -> String {
    let n = face.names().into_iter().filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME).find_map(|n| n.to_string()).unwrap_or_else(|| "CJK".into());
    n.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

fn content(ops: &[Op], remapper: &subsetter::GlyphRemapper, m: &Metrics) -> Vec<u8> {
    let mut c = Content::new();
    for op in ops {
        match op {
            Op::Text { x, y, size, spacing, text, red } => {
                let bytes: Vec<u8> = text.chars().flat_map(|ch| remapper.get(m.glyph(ch)).unwrap_or(0).to_be_bytes()).collect();
                if *red {
                    c.set_fill_rgb(0.9, 0.0, 0.0);
                }
                c.begin_text();
                c.set_font(Name(b"F1"), *size as f32);
                c.set_char_spacing(*spacing as f32);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x as f32, *y as f32]);
                c.show(Str(&bytes));
                c.end_text();
                if *red {
                    c.set_fill_gray(0.0);
                }
            }
            Op::Line { x1, y1, x2, y2, width, red } => {
                if *red {
                    c.set_stroke_rgb(0.9, 0.0, 0.0);
                } else {
                    c.set_stroke_gray(0.0);
                }
                c.set_line_width(*width as f32);
                c.move_to(*x1 as f32, *y1 as f32);
                c.line_to(*x2 as f32, *y2 as f32);
                c.stroke();
            }
        }
    }
    c.finish().into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_font_is_one_error_naming_every_place_looked() {
        let e = find_font(&[PathBuf::from("/nowhere/mine.ttc")], &["/nowhere/noto.ttc"]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("/nowhere/mine.ttc, /nowhere/noto.ttc") && e.contains("fonts-noto-cjk") && e.contains("[documents] fonts"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_a_font_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.ttf");
        std::fs::write(&p, b"not a font").unwrap();
        assert!(find_font(&[p], &[]).is_err());
    }

    #[test]
    fn a_system_cjk_font_is_found_and_its_simplified_face_chosen() {
        let Ok(f) = find_font(&[], KNOWN_FONTS) else { return }; // none on this machine
        let face = ttf_parser::Face::parse(&f.data, f.index).unwrap();
        assert!(face.glyph_index('医').is_some(), "{}", f.path);
    }
}
