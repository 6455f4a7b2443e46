//! Seeded mutation tests of the readers: any input gives rows, quarantined rows or a clear error.
//!
//! Small seeds cut from `sample-data/` (a UTF-8 CSV, a GB18030 CSV, an XLSX, a JSON Lines file)
//! are mutated with a seeded generator (byte flips, truncation, duplicated and deleted ranges,
//! inserted delimiters, quotes, newlines, NUL, 0xFF, BOM and full-width characters; for a
//! workbook, bytes inside the zip and inside its XML parts) and run through the real ingest and
//! the inbox's header sniffing. Each call must return: an error that names the file, or a report
//! that reconciles. `WINDOWWATCH_FUZZ_ITERS` sets the mutants per seed (default 150).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{IngestOptions, ingest, sniff::sniff_table};
use crate::contract::Table;
use crate::store::Warehouse;

/// Mutants per seed: `WINDOWWATCH_FUZZ_ITERS`, or 150 (the suite's budget on two cores).
fn iterations() -> u64 {
    std::env::var("WINDOWWATCH_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(150)
}

fn sample(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A text seed: its first `lines` lines (a header and some rows).
fn head_lines(bytes: &[u8], lines: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for l in bytes.split_inclusive(|b| *b == b'\n').take(lines) {
        out.extend_from_slice(l);
    }
    out
}

/// What mutations insert: delimiters, quotes, line breaks, NUL, 0xFF, a BOM, full-width and
/// JSON punctuation.
const INSERTS: &[&[u8]] = &[
    b",", b"\t", b";", b"\"", b"\"\"", b"\n", b"\r\n", b"\r", b"\0", b"\xff", b"\xef\xbb\xbf", "，".as_bytes(), "＂".as_bytes(),
    "　".as_bytes(), b"{", b"}", b"[", b"]", b":", b"null", b"1e999", b"-", "办件编号".as_bytes(), b"\xe4\xb8",
];

/// What structural mutations insert: only text that keeps a UTF-8 or GB18030 file decodable.
const TEXT_INSERTS: &[&[u8]] = &[b",", b"\t", b";", b"\"", b"\"\"", b"\n", b"\r\n", b"\r", b"\0", b"{", b"}", b"[", b"]", b":", b"null", b"1e999", b"-", b" "];

/// Where a structural mutation cuts or inserts: before a delimiter, quote, colon or line break
/// (bytes no multi-byte character of UTF-8 or GB18030 holds), or at either end.
fn boundaries(data: &[u8]) -> Vec<usize> {
    let mut b: Vec<usize> = data.iter().enumerate().filter(|(_, c)| matches!(c, b',' | b'\t' | b'\n' | b'"' | b':')).map(|(i, _)| i).collect();
    b.push(0);
    b.push(data.len());
    b
}

/// One mutation: `structural` keeps the text decodable (so it reaches the parser), otherwise
/// any byte may change.
fn mutate(rng: &mut ChaCha8Rng, data: &mut Vec<u8>, structural: bool) {
    let len = data.len();
    let at = |rng: &mut ChaCha8Rng| {
        if structural {
            let b = boundaries(data);
            b[rng.random_range(0..b.len())]
        } else if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        }
    };
    match rng.random_range(0..6) {
        0 if len > 0 && !structural => {
            let i = rng.random_range(0..len);
            data[i] ^= 1 << rng.random_range(0..8);
        }
        1 => {
            let to = at(rng);
            data.truncate(to);
        }
        2 => {
            let (a, b) = (at(rng), at(rng));
            let (a, b) = (a.min(b), a.max(b).min(a.min(b) + 256));
            let copy = data[a..b].to_vec();
            let to = at(rng);
            data.splice(to..to, copy);
        }
        3 => {
            let (a, b) = (at(rng), at(rng));
            let (a, b) = (a.min(b), a.max(b));
            let b = if structural { b } else { b.min(a + 256) };
            data.drain(a..b);
        }
        4 if len > 0 && !structural => {
            let i = rng.random_range(0..len);
            data[i] = rng.random();
        }
        _ => {
            let set = if structural { TEXT_INSERTS } else { INSERTS };
            let ins = set[rng.random_range(0..set.len())];
            let to = at(rng);
            data.splice(to..to, ins.iter().copied());
        }
    }
}

/// A mutant of a seed: one to four mutations, structural ones for half the mutants.
fn mutant(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    let structural = rng.random_range(0..2) == 0;
    for _ in 0..rng.random_range(1..=4) {
        mutate(rng, &mut data, structural);
    }
    data
}

/// A workbook mutant: mostly its XML parts mutated and zipped again (so the mutation reaches the
/// sheet reader), sometimes the zip's own bytes.
fn xlsx_mutant(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    if rng.random_range(0..4) == 0 {
        return mutant(rng, seed);
    }
    let parts = zip::ZipArchive::new(Cursor::new(seed)).expect("the seed is a zip").len();
    let victim = rng.random_range(0..parts);
    rezip(seed, |i, name, bytes| if i == victim || (name.contains("sheet") && rng.random_range(0..2) == 0) { mutant(rng, &bytes) } else { bytes })
}

/// The seed's workbook zipped again, each part (index, name, bytes) passed through `part`.
fn rezip(seed: &[u8], mut part: impl FnMut(usize, &str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(seed)).expect("the seed is a zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("the seed's entries read");
        let name = f.name().expect("the seed's entry names read").to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("the seed's entries read");
        let bytes = part(i, &name, bytes);
        out.start_file(name, zip::write::SimpleFileOptions::default()).expect("zip writes");
        out.write_all(&bytes).expect("zip writes");
    }
    out.finish().expect("zip writes").into_inner()
}

/// Runs one mutant through the ingest (a fresh warehouse) and the header sniffing.
fn check(dir: &Path, table: Table, path: &PathBuf) {
    let wh = Warehouse::open(&dir.join("wh")).expect("a fresh warehouse");
    let opts = IngestOptions {
        table,
        files: vec![path.clone()],
        encoding: None,
        sheet: None,
        numeric_levels: None,
        aliases: Default::default(),
        force: true,
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    match ingest(&wh, &opts) {
        Ok(r) => {
            for f in &r.files {
                assert!(f.reconciles(), "{name}: does not reconcile: {f:?}");
            }
        }
        Err(e) => assert!(e.to_string().contains(&name), "{name}: the error does not name the file: {e}"),
    }
    if let Err(e) = sniff_table(path, &BTreeMap::new()) {
        assert!(e.to_string().contains(&name), "{name}: the sniffing error does not name the file: {e}");
    }
}

/// How long one mutant may take before it counts as a hang (a debug build on a busy machine).
const HANG_SECS: u64 = 60;

fn fuzz(seed: &[u8], ext: &str, table: Table, salt: u64) {
    let dir = tempfile::tempdir().expect("a temp dir");
    // The seed itself first: the readers accept it.
    for i in 0..=iterations() {
        let mut rng = ChaCha8Rng::seed_from_u64(salt * 1_000_003 + i);
        let data = match i {
            0 => seed.to_vec(),
            _ if ext == "xlsx" => xlsx_mutant(&mut rng, seed),
            _ => mutant(&mut rng, seed),
        };
        let case = dir.path().join(format!("case-{i}"));
        std::fs::create_dir_all(&case).expect("a case dir");
        let path = case.join(format!("mutant-{salt}-{i}.{ext}"));
        std::fs::write(&path, &data).expect("the mutant is written");
        // On its own thread, so a mutant that hangs fails the test instead of stalling it.
        let (tx, rx) = std::sync::mpsc::channel();
        let (c, p) = (case.clone(), path.clone());
        std::thread::spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(|| check(&c, table, &p)));
        });
        let outcome = rx.recv_timeout(std::time::Duration::from_secs(HANG_SECS));
        if !matches!(outcome, Ok(Ok(()))) {
            // Kept for a regression seed.
            let keep = std::env::temp_dir().join(format!("windowwatch-fuzz-{salt}-{i}.{ext}"));
            let _ = std::fs::write(&keep, &data);
            match outcome {
                Ok(Err(p)) => std::panic::resume_unwind(p),
                _ => panic!("mutant {i} of seed {salt} did not finish in {HANG_SECS} s (kept as {})", keep.display()),
            }
        }
        let _ = std::fs::remove_dir_all(&case);
    }
}

#[test]
fn csv_utf8_mutants() {
    fuzz(&sample("denials_supplement_2026-10-28.csv"), "csv", Table::Denials, 1);
}

#[test]
fn csv_gb18030_mutants() {
    fuzz(&head_lines(&sample("denials_2026-10-15.csv"), 21), "csv", Table::Denials, 2);
}

#[test]
fn tsv_bom_mutants() {
    fuzz(&head_lines(&sample("tickets_2026-09.tsv"), 21), "tsv", Table::Tickets, 3);
}

#[test]
fn xlsx_mutants() {
    fuzz(&sample("denials_370116.xlsx"), "xlsx", Table::Denials, 4);
}

#[test]
fn jsonl_mutants() {
    fuzz(&head_lines(&sample("denials_2026-11-03.jsonl"), 20), "jsonl", Table::Denials, 5);
}

/// A truncated JSON line is quarantined as not valid JSON; a file of nothing but broken lines
/// is refused as such, not as missing a column.
#[test]
fn truncated_json_lines_say_not_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = head_lines(&sample("denials_2026-11-03.jsonl"), 3);
    let broken = b"{\"case_id\": \"C1\", \"hall_id\": \"H0";
    let mut last_cut = good.clone();
    last_cut.extend_from_slice(broken);
    let p = dir.path().join("last_cut.jsonl");
    std::fs::write(&p, &last_cut).unwrap();
    let wh = Warehouse::open(&dir.path().join("wh1")).unwrap();
    let opts = |p: &Path| IngestOptions { table: Table::Denials, files: vec![p.to_path_buf()], encoding: None, sheet: None, numeric_levels: None, aliases: Default::default(), force: true };
    let r = ingest(&wh, &opts(&p)).unwrap();
    assert_eq!((r.total().loaded, r.total().quarantined), (3, 1), "{r:?}");
    let q = &r.quarantine_sample[0];
    assert_eq!(q.line, 4);
    assert!(q.reason.contains("not valid JSON") || q.message.contains("not valid JSON"), "{q:?}");

    let p = dir.path().join("only_cut.jsonl");
    std::fs::write(&p, broken).unwrap();
    let wh = Warehouse::open(&dir.path().join("wh2")).unwrap();
    let e = ingest(&wh, &opts(&p)).unwrap_err().to_string();
    assert!(e.contains("only_cut.jsonl") && e.contains("line 1") && e.contains("not valid JSON"), "{e}");
    assert!(!e.contains("missing"), "{e}");
}

/// The seed's workbook with `from` replaced by `to` in its sheet.
fn workbook_with(seed: &[u8], from: &str, to: &str) -> Vec<u8> {
    rezip(seed, |_, name, bytes| if name.ends_with("sheet1.xml") { String::from_utf8(bytes).unwrap().replacen(from, to, 1).into_bytes() } else { bytes })
}

/// Found by `xlsx_mutants` (seed 4, mutant 802): a cell reference of seven letters, or of eleven
/// digits, overflowed calamine's position arithmetic (a panic in a checked build). The workbook is
/// refused with an error naming it.
#[test]
fn overlong_cell_references_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let seed = sample("denials_370116.xlsx");
    for (k, r) in ["<c r=\"onships\"", "<c r=\"A99999999999\""].iter().enumerate() {
        let path = dir.path().join(format!("overlong-{k}.xlsx"));
        std::fs::write(&path, workbook_with(&seed, "<c r=\"A2\"", r)).unwrap();
        let case = dir.path().join(format!("case-{k}"));
        check(&case, Table::Denials, &path);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(4 * 1_000_003 + 802);
    let path = dir.path().join("mutant-4-802.xlsx");
    std::fs::write(&path, xlsx_mutant(&mut rng, &seed)).unwrap();
    check(&dir.path().join("case-802"), Table::Denials, &path);
}
