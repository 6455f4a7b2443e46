//! Header sniffing: which table an export is, told from its headers alone.
//!
//! The inbox of `windowwatch serve` receives files whose names say nothing reliable. A file is
//! the table whose required columns its header row names, decided with the same header matching
//! the ingest uses (`contract` headers plus the configured aliases, title rows above the header
//! skipped), so a file sniffed as `cases` is exactly one the `cases` ingest accepts. A file that
//! fits no table, or fits two equally well, is not guessed at.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::path::Path;

use calamine::Reader;

use super::IngestError;
use super::read::{self, Aliases, Format, MAX_TITLE_ROWS};
use super::workbook::{self, SheetRows};
use crate::contract::Table;

#[derive(Debug, thiserror::Error)]
pub enum SniffError {
    #[error(
        "{file}: the headers fit no table: {why} (表头与任何数据表都不匹配；请按约定命名文件或补齐必需列)",
        file = .file.display(), why = .why.join("; ")
    )]
    NoTable { file: std::path::PathBuf, why: Vec<String> },
    #[error("{file}: the headers fit {tables} equally well; name the file so a pattern decides (表头同时匹配多个数据表)", file = .file.display(), tables = .tables.join(" and "))]
    Ambiguous { file: std::path::PathBuf, tables: Vec<&'static str> },
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// The first rows of a file as text: candidate header rows (for JSON Lines, the keys of the
/// first objects as one row).
pub fn head_rows(path: &Path) -> Result<Vec<Vec<String>>, IngestError> {
    let probe = read::probe(path, None)?;
    let unreadable = |reason: String| IngestError::Unreadable { file: path.to_path_buf(), reason };
    let mut rows: Vec<Vec<String>> = Vec::new();
    match probe.format {
        Format::Csv => {
            let mut first = Vec::new();
            std::io::BufRead::read_until(&mut BufReader::new(read::decoded_reader(&probe)?), b'\n', &mut first).map_err(|e| unreadable(e.to_string()))?;
            let tabs = first.iter().filter(|b| **b == b'\t').count();
            let commas = first.iter().filter(|b| **b == b',').count();
            let tsv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
            let delim = if tsv || tabs > commas { b'\t' } else { b',' };
            let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(read::decoded_reader(&probe)?);
            let mut rec = csv::StringRecord::new();
            while rows.len() < MAX_TITLE_ROWS && csv.read_record(&mut rec).map_err(|e| unreadable(e.to_string()))? {
                let row: Vec<String> = rec.iter().map(str::to_string).collect();
                if !row.iter().all(|c| c.trim().is_empty()) {
                    rows.push(row);
                }
            }
        }
        Format::Xlsx => {
            let mut wb = workbook::open(path)?;
            let Some(name) = wb.sheet_names().first().cloned() else { return Err(IngestError::Empty { file: path.to_path_buf() }) };
            let sheet_err = |e: calamine::XlsxError| unreadable(format!("sheet {name}: {e}"));
            if let Some(mut sheet) = SheetRows::open(&mut wb, &name).map_err(sheet_err)? {
                while rows.len() < MAX_TITLE_ROWS {
                    let Some(r) = sheet.next_row(workbook::LIMITS.max_columns).map_err(sheet_err)? else { break };
                    if !r.is_blank() {
                        rows.push(r.dense.iter().map(read::data_text).collect());
                    }
                }
            }
        }
        Format::Jsonl => {
            let reader = BufReader::new(read::decoded_reader(&probe)?);
            let mut keys: Vec<String> = Vec::new();
            for line in std::io::BufRead::lines(reader).take(MAX_TITLE_ROWS) {
                let line = line.map_err(|e| unreadable(e.to_string()))?;
                if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(line.trim()) {
                    for k in m.keys() {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                    }
                }
            }
            if !keys.is_empty() {
                rows.push(keys);
            }
        }
    }
    if rows.is_empty() {
        return Err(IngestError::Empty { file: path.to_path_buf() });
    }
    Ok(rows)
}

/// The table whose required columns the file's header row names. `aliases` holds each table's
/// configured extra headers (header → canonical column).
pub fn sniff_table(path: &Path, aliases: &BTreeMap<Table, BTreeMap<String, String>>) -> Result<Table, SniffError> {
    let rows = head_rows(path)?;
    let mut fits: Vec<(Table, usize)> = Vec::new();
    let mut why: Vec<String> = Vec::new();
    for table in Table::ALL {
        let spec = table.spec();
        let al: Aliases = aliases
            .get(&table)
            .map(|m| m.iter().filter_map(|(h, c)| spec.index_of(c).map(|i| (h.clone(), i))).collect::<HashMap<_, _>>())
            .unwrap_or_default();
        let mut best: Option<usize> = None;
        let mut first_err: Option<String> = None;
        for row in &rows {
            match read::map_headers(spec, row, &al, path) {
                Ok(m) => {
                    let named = m.targets.iter().filter(|t| t.is_some()).count();
                    best = best.max(Some(named));
                }
                Err(e) => {
                    if first_err.is_none() {
                        first_err = Some(match e {
                            IngestError::MissingColumn { column, .. } => format!("{}: no `{column}` column", table.name()),
                            other => format!("{}: {other}", table.name()),
                        });
                    }
                }
            }
        }
        match best {
            Some(n) => fits.push((table, n)),
            None => why.extend(first_err),
        }
    }
    fits.sort_by_key(|f| std::cmp::Reverse(f.1));
    match fits.as_slice() {
        [] => Err(SniffError::NoTable { file: path.to_path_buf(), why }),
        [(t, _)] => Ok(*t),
        [(t, a), (u, b), ..] if a == b => Err(SniffError::Ambiguous { file: path.to_path_buf(), tables: vec![t.name(), u.name()] }),
        [(t, _), ..] => Ok(*t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_decide_the_table_and_titles_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("export-1.csv");
        std::fs::write(&p, "某大厅办件记录 2026年10月\n办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果\nC1,H1,I1,即办件,,2026-10-08 09:00:00,,办理中\n").unwrap();
        assert_eq!(sniff_table(&p, &BTreeMap::new()).unwrap(), Table::Cases);
        let p = dir.path().join("x.jsonl");
        std::fs::write(&p, "{\"rating_id\":\"R1\",\"hall_id\":\"H1\",\"rated_at\":\"2026-10-08 09:00:00\",\"level\":\"满意\"}\n").unwrap();
        assert_eq!(sniff_table(&p, &BTreeMap::new()).unwrap(), Table::Ratings);
        let p = dir.path().join("y.csv");
        std::fs::write(&p, "甲,乙,丙\n1,2,3\n").unwrap();
        let e = sniff_table(&p, &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, SniffError::NoTable { .. }), "{e}");
        assert!(e.to_string().contains("tickets: no `ticket_id` column"), "{e}");
    }

    #[test]
    fn the_reference_tables_and_records_are_told_from_the_exports() {
        let dir = tempfile::tempdir().unwrap();
        for (body, want) in [
            ("大厅编号,大厅名称,所属区县\n370102,历下区医疗保障服务大厅,历下区\n", Table::Halls),
            ("大厅编号,窗口号,窗口名称,A岗,B岗\n370102,W05,5号窗口,YB1,YB2\n", Table::Windows),
            ("工号,姓名,大厅编号,人员类别\nYB1,张晓明,370102,在编\n", Table::Staff),
            ("工号,月份,迟到早退次数\nYB1,2026-10,3\n", Table::Attendance),
            ("投诉编号,大厅编号,投诉时间\nK1,370102,2026-10-08 09:00:00\n", Table::Complaints),
            ("记录编号,大厅编号,检查时间,检查方式,是否违规\nX1,370102,2026-10-08 09:00:00,巡查,否\n", Table::Inspections),
            ("规则,对象编号,月份,回告时间,情况说明\ntime_limit.overdue,C1,2026-10,2026-11-03 09:00:00,已整改\n", Table::Responses),
            ("票号,大厅编码,窗口编号,工号,取号时间,状态\nT1,H1,W1,S1,2026-10-08 09:00:00,过号\n", Table::Tickets),
        ] {
            let p = dir.path().join("f.csv");
            std::fs::write(&p, body).unwrap();
            assert_eq!(sniff_table(&p, &BTreeMap::new()).unwrap(), want, "{body}");
        }
    }
}
