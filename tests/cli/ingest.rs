//! Ingest: formats, headers, values, rejections, reconciliation, superseding, atomicity.

use std::collections::BTreeMap;

use crate::common::{Env, declare_part_size, gb18030, xlsx_by_hand, xlsx_row};

const TICKETS_HEADER: &str = "票号,大厅编码,窗口编号,工号,事项编码,取号时间,叫号时间,完成时间,状态,是否预约";

fn reconciliation(stdout: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("ingest --json output");
    for f in v["files"].as_array().unwrap() {
        let n = |k: &str| f[k].as_u64().unwrap();
        assert_eq!(n("rows_read"), n("loaded") + n("superseded") + n("quarantined"), "{f}");
        assert_eq!(n("loaded"), n("new_records") + n("updated_records") + n("unchanged_records"), "{f}");
    }
    v
}

fn quarantine(env: &Env) -> Vec<(String, String, String)> {
    let mut q: Vec<(String, String, String)> = env
        .rows("quarantine")
        .into_iter()
        .map(|r| (r["file"].rsplit('/').next().unwrap().to_string(), r["line"].clone(), r["reason"].clone()))
        .collect();
    q.sort();
    q
}

#[test]
fn every_rejection_class_is_quarantined_with_file_line_and_reason() {
    let env = Env::new();
    let tickets = format!(
        "{TICKETS_HEADER}\n\
         T1,H1,W1,S1,I1,2026-10-08 09:00:00,2026-10-08 09:10:00,2026-10-08 09:20:00,已办理,否\n\
         T2,H1,W1,S1,I1,2026-10-08 09:00:00,2026-10-08 08:59:59,,过号,否\n\
         T3,H1,W1,S1,I1,2026-10-08 09:00:00,2026-10-08 09:10:00,2026-10-08 09:09:59,已办理,否\n\
         T4,H1,W1,S1,I1,2026-10-08 09:00:00,,,已办理,否\n\
         T5,H1,W1,S1,I1,2026-10-08 09:00:00,,,已完成,否\n\
         ,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n\
         T7,H1,W1,S1,I1,２０２６-10-08 09:00:00,,,未叫号,否\n\
         T8,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,也许\n\
         T9,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n\
         T9,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n\
         T10,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n\
         T10,H1,W2,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n\
         T11,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否,extra\n"
    );
    env.write("tickets.csv", tickets);
    let r = env.ww(&["ingest", "--table", "tickets", "--json", "tickets.csv"]).ok();
    let v = reconciliation(&r.stdout);
    let f = &v["files"][0];
    assert_eq!(f["rows_read"], 13);
    assert_eq!(f["loaded"], 2, "T1 and T9; {f}");
    assert_eq!(f["superseded"], 1, "the identical T9 twin collapses");
    assert_eq!(f["quarantined"], 10);

    let cases = "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果\n\
                 C1,H1,I1,承诺件,5,2026-10-08 09:00:00,2026-10-09 09:00:00,办结\n\
                 C2,H1,I1,承诺件,5,2026-10-08 09:00:00,2026-10-08 08:00:00,办结\n\
                 C3,H1,I1,承诺件,,2026-10-08 09:00:00,,办理中\n\
                 C4,H1,I1,承诺件,0,2026-10-08 09:00:00,,办理中\n\
                 C5,H1,I1,即办件,,2026-10-08 09:00:00,,办结\n\
                 C6,H1,I1,特办件,,2026-10-08 09:00:00,,办理中\n\
                 C7,H1,I1,即办件,,2026-10-08 09:00:00,2026-10-08 10:00:00,已完成\n\
                 C8,H1,I1,承诺件,１０,2026-10-08 09:00:00,,办理中\n\
                 C9,H1,,承诺件,10,2026-10-08 09:00:00,,办理中\n";
    env.write("cases.csv", gb18030(cases));
    let r = env.ww(&["ingest", "--table", "cases", "--json", "cases.csv"]).ok();
    let v = reconciliation(&r.stdout);
    assert_eq!(v["files"][0]["encoding"], "gb18030", "detected");
    assert_eq!(v["files"][0]["loaded"], 1);

    let ratings = "{\"rating_id\":\"R1\",\"hall_id\":\"H1\",\"rated_at\":\"2026-10-08 09:00:00\",\"level\":\"满意\"}\n\
                   {\"rating_id\":\"R2\",\"hall_id\":\"H1\",\"rated_at\":\"2026-10-08 09:00:00\",\"level\":\"差\"}\n\
                   {\"评价编号\":\"R3\",\"大厅编码\":\"H1\",\"评价时间\":\"2026-10-08 09:00:00\",\"评价等级\":\"不满意\",\"核实结果\":\"不属实\"}\n\
                   {\"rating_id\":\"R4\",\"hall_id\":\"H1\",\"rated_at\":\"2026-10-08\",\"level\":\"满意\"}\n\
                   {not json}\n\
                   {\"rating_id\":\"R6\",\"hall_id\":\"H1\",\"rated_at\":null,\"level\":\"满意\"}\n";
    env.write("ratings.jsonl", ratings);
    reconciliation(&env.ww(&["ingest", "--table", "ratings", "--json", "ratings.jsonl"]).ok().stdout);

    let denials = "备案编号\t办件编号\t大厅编码\t否定类型\t决定时间\n\
                   D1\tC1\tH1\t不予受理\t2026-10-08 09:00:00\n\
                   D2\tC1\tH1\t驳回\t2026-10-08 09:00:00\n\
                   D3\tC1\tH1\t不予批准\t\n";
    env.write("denials.tsv", denials);
    reconciliation(&env.ww(&["ingest", "--table", "denials", "--json", "denials.tsv"]).ok().stdout);

    let expected: Vec<(&str, &str, &str)> = vec![
        ("cases.csv", "10", "missing_value"),
        ("cases.csv", "3", "completed_before_accepted"),
        ("cases.csv", "4", "promised_days_invalid"),
        ("cases.csv", "5", "promised_days_invalid"),
        ("cases.csv", "6", "closed_without_completion"),
        ("cases.csv", "7", "unknown_value"),
        ("cases.csv", "8", "unknown_value"),
        ("cases.csv", "9", "bad_value"),
        ("denials.tsv", "3", "unknown_value"),
        ("denials.tsv", "4", "missing_value"),
        ("ratings.jsonl", "2", "unknown_value"),
        ("ratings.jsonl", "3", "unknown_value"),
        ("ratings.jsonl", "4", "bad_value"),
        ("ratings.jsonl", "5", "unreadable_row"),
        ("ratings.jsonl", "6", "missing_value"),
        ("tickets.csv", "12", "conflicting_duplicate"),
        ("tickets.csv", "13", "conflicting_duplicate"),
        ("tickets.csv", "14", "unreadable_row"),
        ("tickets.csv", "3", "called_before_issued"),
        ("tickets.csv", "4", "finished_before_called"),
        ("tickets.csv", "5", "served_without_call"),
        ("tickets.csv", "6", "unknown_value"),
        ("tickets.csv", "7", "missing_value"),
        ("tickets.csv", "8", "bad_value"),
        ("tickets.csv", "9", "bad_value"),
    ];
    let got = quarantine(&env);
    let got: Vec<(&str, &str, &str)> = got.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    assert_eq!(got, expected);

    // The quarantined row is kept whole, with a readable message naming the column.
    let q = env.rows("quarantine");
    let t7 = q.iter().find(|r| r["file"].ends_with("tickets.csv") && r["line"] == "8").unwrap();
    assert_eq!(t7["column_name"], "issued_at");
    assert!(t7["message"].contains("取号时间"), "{t7:?}");
    assert!(t7["raw"].contains("２０２６-10-08 09:00:00"), "{t7:?}");
    // Nothing quarantined reached the table; the good and the collapsed rows did.
    let tickets: Vec<String> = env.rows("tickets").into_iter().map(|r| r["ticket_id"].clone()).collect();
    assert_eq!(tickets, vec!["T1", "T9"]);
}

#[test]
fn a_missing_required_column_is_one_error_naming_file_column_and_headers_and_writes_nothing() {
    let env = Env::new();
    env.write("ok.csv", format!("{TICKETS_HEADER}\nT1,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n"));
    env.ww(&["ingest", "--table", "tickets", "ok.csv"]).ok();
    let before = env.state();
    env.write("no_key.csv", "大厅编码,事项编码,办件类型,受理时间,办理结果\nH1,I1,即办件,2026-10-08 09:00:00,办理中\n");
    let r = env.ww(&["ingest", "--table", "cases", "no_key.csv"]);
    assert_eq!(r.code, 2);
    let msg = r.stderr;
    assert!(msg.contains("no_key.csv") && msg.contains("`case_id`") && msg.contains("办件编号"), "{msg}");
    assert_eq!(msg.trim().lines().count(), 1, "one error: {msg}");
    assert_eq!(env.state(), before, "nothing written");
}

#[test]
fn numeric_levels_need_a_configured_direction() {
    let env = Env::new();
    env.write("r.csv", "评价编号,大厅编码,窗口编号,评价时间,满意度\nR1,H1,W1,2026-10-08 09:00:00,1\nR2,H1,W1,2026-10-08 09:00:00,满意\nR3,H1,W1,2026-10-08 09:00:00,5\n");
    let r = env.ww(&["ingest", "--table", "ratings", "r.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("r.csv") && r.stderr.contains("--numeric-levels") && r.stderr.contains("1=非常不满意"), "{}", r.stderr);
    assert!(!env.data().join("current").exists(), "nothing written");
    env.ww(&["ingest", "--table", "ratings", "--numeric-levels", "1=非常不满意", "r.csv"]).ok();
    let levels: Vec<String> = env.rows("ratings").into_iter().map(|r| r["level"].clone()).collect();
    assert_eq!(levels, vec!["非常不满意", "满意", "非常满意"]);
    // GB/T 39046 direction reads the other way.
    env.write("r2.csv", "评价编号,大厅编码,评价时间,满意度\nR1,H1,2026-10-08 09:00:00,1\n");
    env.ww(&["ingest", "--table", "ratings", "--numeric-levels", "1=非常满意", "r2.csv"]).ok();
    assert_eq!(env.rows("ratings")[0]["level"], "非常满意");
}

/// The same three cases written in every format the contract allows give the same records.
#[test]
fn every_format_and_header_form_reads_the_same_records() {
    let env = Env::new();
    let canonical = "case_id,hall_id,window_id,item_code,case_type,promised_days,accepted_at,completed_at,outcome,rongque,supplement_due\n\
                     C1,H1,W1,I1,承诺件,5,2026-10-08 09:15:00,2026-10-09 16:00:00,办结,true,2026-10-20\n\
                     C2,H1,W2,I2,即办件,,2026-10-08 09:15:00,,办理中,N,\n\
                     C3,H2,,I3,承诺件,10,2026-10-08 09:15:00,,办理中,,\n";
    env.write("ref/cases.csv", canonical);
    let reference = {
        let e = Env::new();
        e.write("cases.csv", canonical);
        e.ww(&["ingest", "--table", "cases", "cases.csv"]).ok();
        strip_lineage(e.rows("cases"))
    };

    // GB18030, Chinese headers (aliases), the other timestamp forms, codes for case_type.
    let gb = "办件编号,受理单位编码,窗口号,实施编码,办件类型,承诺办结时限,受理时间,办结时间,办件状态,是否容缺,补正期限\n\
              C1,H1,W1,I1,2,5,2026/10/8 9:15:00,2026-10-09T16:00:00,办结,是,2026/10/20\n\
              C2,H1,W2,I2,1,NULL,2026-10-08 09:15,-,办理中,否,null\n\
              C3,H2,,I3,承诺件,10,2026-10-08T09:15:00,,办理中,,\n";
    // UTF-8 with BOM, tab separated, a title row above the header, a quoted field with a newline.
    let tsv = "\u{feff}某某医保大厅办件登记 2026年10月\n\
               办件编号\t大厅编码\t窗口编号\t事项编码\t事项名称\t办件类型\t承诺时限\t受理时间\t办结时间\t办理结果\t容缺受理\t容缺补正期限\n\
               C1\tH1\tW1\tI1\t\"门诊费用\n报销\"\t承诺件\t5\t2026-10-08 09:15:00\t2026-10-09 16:00:00\t办结\tY\t2026-10-20\n\
               C2\tH1\tW2\tI2\t\t即办件\t\t2026-10-08 09:15:00\t\t办理中\tn\t\n\
               C3\tH2\t\tI3\t\t承诺件\t10\t2026-10-08 09:15:00\t\t办理中\t\t\n";
    // JSON Lines with Chinese and canonical keys, numbers and booleans.
    let jsonl = "{\"办件编号\":\"C1\",\"大厅编码\":\"H1\",\"窗口编号\":\"W1\",\"事项编码\":\"I1\",\"办件类型\":2,\"承诺时限\":5,\"受理时间\":\"2026-10-08 09:15:00\",\"办结时间\":\"2026-10-09 16:00:00\",\"办理结果\":\"办结\",\"容缺受理\":true,\"容缺补正期限\":\"2026-10-20\"}\n\
                 \n\
                 {\"case_id\":\"C2\",\"hall_id\":\"H1\",\"window_id\":\"W2\",\"item_code\":\"I2\",\"case_type\":\"即办件\",\"accepted_at\":\"2026-10-08 09:15:00\",\"outcome\":\"办理中\",\"rongque\":false,\"completed_at\":null}\n\
                 {\"case_id\":\"C3\",\"hall_id\":\"H2\",\"item_code\":\"I3\",\"case_type\":\"承诺件\",\"promised_days\":10,\"accepted_at\":\"2026-10-08T09:15:00\",\"outcome\":\"办理中\"}\n";
    env.write("gb.csv", gb18030(gb));
    env.write("bom.tsv", tsv);
    env.write("cases.jsonl", jsonl);
    xlsx_cases(&env.path("cases.xlsx"));

    for file in ["gb.csv", "bom.tsv", "cases.jsonl", "cases.xlsx"] {
        let e = Env::new();
        std::fs::copy(env.path(file), e.path(file)).unwrap();
        let r = e.ww(&["ingest", "--table", "cases", "--json", file]).ok();
        let v = reconciliation(&r.stdout);
        assert_eq!(v["files"][0]["quarantined"], 0, "{file}: {}", r.stdout);
        assert_eq!(strip_lineage(e.rows("cases")), reference, "{file}");
    }
}

/// Hostile workbooks, a couple of KB each: a far cell costs one quarantined row; a declared
/// four billion shared strings, a part declaring 3 GiB and a file that is no zip are each one
/// whole-file error naming the file, and nothing is written.
#[test]
fn hostile_workbooks_cost_one_row_or_one_whole_file_error_never_the_machine() {
    let env = Env::new();
    let header: Vec<&str> = TICKETS_HEADER.split(',').collect();
    let good = |r| xlsx_row(r, &["T1", "H1", "W1", "S1", "I1", "2026-10-08 09:00:00", "", "", "未叫号", "否"]);
    let far = "<row r=\"1048576\"><c r=\"A1048576\" t=\"inlineStr\"><is><t>T2</t></is></c><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>far</t></is></c></row>";
    let rows = format!("{}{}{}{far}", xlsx_row(1, &["排队记录 2026年10月"]), xlsx_row(2, &header), good(3));
    let bytes = xlsx_by_hand(&rows, None);
    assert!(bytes.len() < 4096);
    env.write("far.xlsx", &bytes);
    let started = std::time::Instant::now();
    let r = env.ww(&["ingest", "--table", "tickets", "--json", "far.xlsx"]).ok();
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    let v = reconciliation(&r.stdout);
    assert_eq!((v["files"][0]["loaded"].as_u64(), v["files"][0]["quarantined"].as_u64()), (Some(1), Some(1)), "{}", r.stdout);
    assert_eq!(quarantine(&env), vec![("far.xlsx".to_string(), "1048576".to_string(), "unreadable_row".to_string())]);
    let q = &env.rows("quarantine")[0];
    assert!(q["message"].contains("beyond the header's last column"), "{q:?}");
    assert!(q["raw"].contains("\"票号\":\"T2\"") && q["raw"].contains("\"column XFD\":\"far\""), "{q:?}");
    let before = env.state();

    let sst = "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"4000000000\"><si><t>T9</t></si></sst>";
    let rows = format!("{}{}", xlsx_row(1, &header), "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c></row>");
    env.write("sst.xlsx", xlsx_by_hand(&rows, Some(sst)));
    let mut declared = xlsx_by_hand(&format!("{}{}", xlsx_row(1, &header), good(2)), None);
    declare_part_size(&mut declared, "xl/worksheets/sheet1.xml", 3 << 30);
    env.write("declared.xlsx", declared);
    env.write("csv.xlsx", format!("{TICKETS_HEADER}\nT1,H1,W1,S1,I1,2026-10-08 09:00:00,,,未叫号,否\n"));
    for (file, expected) in [("sst.xlsx", "uniqueCount=\"4000000000\""), ("declared.xlsx", "xl/worksheets/sheet1.xml"), ("csv.xlsx", "not an XLSX workbook")] {
        let r = env.ww(&["ingest", "--table", "tickets", file]);
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(r.stderr.contains(file) && r.stderr.contains(expected), "{file}: {}", r.stderr);
        assert_eq!(env.state(), before, "{file}: nothing written");
    }
}

fn strip_lineage(rows: Vec<BTreeMap<String, String>>) -> Vec<BTreeMap<String, String>> {
    rows.into_iter()
        .map(|mut r| {
            for k in windowwatch::contract::LINEAGE {
                r.remove(k);
            }
            r.remove("item_name");
            r
        })
        .collect()
}

/// An XLSX export: a title row, real Excel date cells in one column, text dates in another.
fn xlsx_cases(path: &std::path::Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let day = Format::new().set_num_format("yyyy/m/d");
    ws.write(0, 0, "办件登记表").unwrap();
    let headers = ["办件编号", "大厅编码", "窗口编号", "事项编码", "办件类型", "承诺时限", "受理时间", "办结时间", "办理结果", "容缺受理", "容缺补正期限"];
    for (j, h) in headers.iter().enumerate() {
        ws.write(1, j as u16, *h).unwrap();
    }
    let dt = |s: &str| ExcelDateTime::parse_from_str(s).unwrap();
    // C1: numbers as numbers, Excel date cells.
    ws.write(2, 0, "C1").unwrap();
    ws.write(2, 1, "H1").unwrap();
    ws.write(2, 2, "W1").unwrap();
    ws.write(2, 3, "I1").unwrap();
    ws.write(2, 4, 2).unwrap();
    ws.write(2, 5, 5).unwrap();
    ws.write_datetime_with_format(2, 6, dt("2026-10-08 09:15:00"), &date).unwrap();
    ws.write_datetime_with_format(2, 7, dt("2026-10-09 16:00:00"), &date).unwrap();
    ws.write(2, 8, "办结").unwrap();
    ws.write(2, 9, true).unwrap();
    ws.write_datetime_with_format(2, 10, dt("2026-10-20"), &day).unwrap();
    // C2, C3: text dates.
    for (r, row) in [
        ["C2", "H1", "W2", "I2", "即办件", "", "2026/10/8 9:15:00", "", "办理中", "否", ""],
        ["C3", "H2", "", "I3", "承诺件", "10", "2026-10-08 09:15", "", "办理中", "", ""],
    ]
    .iter()
    .enumerate()
    {
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write(3 + r as u32, j as u16, *v).unwrap();
            }
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn a_later_export_supersedes_and_the_same_files_twice_change_nothing() {
    let env = Env::new();
    let h = "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果";
    env.write("oct15.csv", format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,,办理中\nC2,H1,I1,承诺件,5,2026-10-08 09:00:00,,办理中\n"));
    env.write(
        "nov03.csv",
        format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,2026-10-12 10:00:00,办结\nC2,H1,I1,承诺件,5,2026-10-08 09:00:00,2026-10-08 08:00:00,办结\nC3,H1,I1,即办件,,2026-10-09 09:00:00,2026-10-09 10:00:00,办结\n"),
    );
    let r = env.ww(&["ingest", "--table", "cases", "--json", "oct15.csv", "nov03.csv"]).ok();
    let v = reconciliation(&r.stdout);
    assert_eq!(v["files"][0]["superseded"], 1, "C1 of oct15 is superseded by nov03");
    assert_eq!(v["files"][0]["loaded"], 1, "C2 of oct15 stays: its later version is quarantined");
    assert_eq!(v["files"][1]["quarantined"], 1);
    let rows = env.rows("cases");
    let outcome: Vec<(String, String)> = rows.iter().map(|r| (r["case_id"].clone(), r["outcome"].clone())).collect();
    assert_eq!(outcome, vec![("C1".into(), "办结".into()), ("C2".into(), "办理中".into()), ("C3".into(), "办结".into())]);

    let tables = |e: &Env| -> BTreeMap<String, String> { e.state().into_iter().filter(|(k, _)| k.starts_with("cases/")).collect() };
    let first = tables(&env);
    // Again, as a batch and one by one: the records do not change and the files are recognised.
    let r = env.ww(&["ingest", "--table", "cases", "--json", "oct15.csv", "nov03.csv"]).ok();
    let v = reconciliation(&r.stdout);
    assert_eq!(v["files"][0]["skipped_as_ingest"], 1);
    assert_eq!(tables(&env), first);
    // Re-ingesting the older export alone is recognised too and does not revert the later one.
    env.ww(&["ingest", "--table", "cases", "oct15.csv"]).ok();
    assert_eq!(tables(&env), first);
    // Forced re-reading of the same batch: every record is unchanged, the table files identical.
    let r = env.ww(&["ingest", "--table", "cases", "--json", "--force", "oct15.csv", "nov03.csv"]).ok();
    let v = reconciliation(&r.stdout);
    assert_eq!(v["files"][1]["unchanged_records"], 2);
    assert_eq!(v["files"][1]["new_records"], 0);
    assert_eq!(tables(&env), first);
}

#[test]
fn a_batch_that_fails_half_way_leaves_the_previous_state_readable_and_unchanged() {
    let env = Env::new();
    let h = "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果";
    env.write("a.csv", format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,,办理中\n"));
    env.ww(&["ingest", "--table", "cases", "a.csv"]).ok();
    let before = env.state();
    env.write("b.csv", format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,2026-10-09 09:00:00,办结\nC2,H1,I1,即办件,,2026-10-08 09:00:00,,办理中\n"));
    env.write("broken.csv", "办件编号,大厅编码\nC3,H1\n");
    let r = env.ww(&["ingest", "--table", "cases", "b.csv", "broken.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.csv"), "{}", r.stderr);
    assert_eq!(env.state(), before);

    // Interrupted after the new table was written but before the commit: still the old state.
    let r = env.ww_env(&["ingest", "--table", "cases", "b.csv"], &[("WINDOWWATCH_FAILPOINT", "after_table_write")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(env.state(), before);
    let r = env.ww_env(&["ingest", "--table", "cases", "b.csv"], &[("WINDOWWATCH_FAILPOINT", "before_commit")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(env.state(), before);
    assert_eq!(env.rows("cases").len(), 1);
    // A staged snapshot left behind by a crash does not disturb the next write.
    std::fs::create_dir_all(env.data().join("snapshots/.tmp-000099-1/cases")).unwrap();
    env.ww(&["ingest", "--table", "cases", "b.csv"]).ok();
    assert_eq!(env.rows("cases").len(), 2);
    assert!(!env.data().join("snapshots/.tmp-000099-1").exists());
}

/// The snapshot `current` names, and the snapshot folders there are.
fn snapshots(env: &Env) -> (String, Vec<String>) {
    let current = std::fs::read_link(env.data().join("current")).unwrap().display().to_string();
    let mut all: Vec<String> = std::fs::read_dir(env.data().join("snapshots")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    all.sort();
    (current, all)
}

#[test]
fn a_write_killed_between_its_two_renames_does_not_wedge_the_next() {
    let env = Env::new();
    let h = "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果";
    env.write("a.csv", format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,,办理中\n"));
    env.write("b.csv", format!("{h}\nC2,H1,I1,即办件,,2026-10-08 09:00:00,,办理中\n"));
    env.ww(&["ingest", "--table", "cases", "a.csv"]).ok();
    // The snapshot is renamed into place, `current` is not moved: the state a kill there leaves.
    let r = env.ww_env(&["ingest", "--table", "cases", "b.csv"], &[("WINDOWWATCH_FAILPOINT", "before_current")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(snapshots(&env), ("snapshots/000001".to_string(), vec!["000001".to_string(), "000002".to_string()]));
    assert_eq!(env.rows("cases").len(), 1);
    // And a power cut that emptied the counters.
    std::fs::write(env.data().join("snapshots/000001/warehouse.json"), "").unwrap();
    let r = env.ww(&["ingest", "--table", "cases", "--json", "b.csv"]).ok();
    assert!(r.stderr.contains("warehouse.json") && r.stderr.contains("rebuilt"), "{}", r.stderr);
    assert_eq!(env.rows("cases").len(), 2);
    assert_eq!(snapshots(&env).0, "snapshots/000002");
    let mut ingests: Vec<String> = env.rows("ingests").into_iter().map(|r| r["ingest_id"].clone()).collect();
    ingests.sort();
    assert_eq!(ingests, ["1", "2"], "the ingest ids go on from the files, past the killed write's");
}

#[test]
fn a_write_killed_by_a_signal_in_the_current_swap_does_not_wedge_the_next() {
    // The reproduction from the issue: SIGKILL when the `current` symlink is about to be made.
    if std::process::Command::new("strace").args(["-f", "-o", "/dev/null", "true"]).status().map_or(true, |s| !s.success()) {
        eprintln!("note: strace is missing or cannot trace here; the kill test is skipped (the failpoint test covers the same state)");
        return;
    }
    let env = Env::new();
    let h = "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果";
    env.write("a.csv", format!("{h}\nC1,H1,I1,承诺件,5,2026-10-08 09:00:00,,办理中\n"));
    env.write("b.csv", format!("{h}\nC2,H1,I1,即办件,,2026-10-08 09:00:00,,办理中\n"));
    env.write("c.csv", format!("{h}\nC3,H1,I1,即办件,,2026-10-08 09:00:00,,办理中\n"));
    env.ww(&["ingest", "--table", "cases", "a.csv"]).ok();
    let strace = ["strace", "-f", "-o", "/dev/null", "-e", "inject=symlink,symlinkat:signal=SIGKILL"];
    let r = env.ww_under(&strace, &["ingest", "--table", "cases", "b.csv"], &[]);
    assert_ne!(r.code, 0, "killed: {}", r.stderr);
    assert_eq!(snapshots(&env), ("snapshots/000001".to_string(), vec!["000001".to_string(), "000002".to_string()]), "killed after the rename");
    env.ww(&["ingest", "--table", "cases", "c.csv"]).ok();
    let mut ids: Vec<String> = env.rows("cases").into_iter().map(|r| r["case_id"].clone()).collect();
    ids.sort();
    assert_eq!(ids, ["C1", "C3"], "the killed write never happened");
    assert_eq!(snapshots(&env), ("snapshots/000002".to_string(), vec!["000001".to_string(), "000002".to_string()]));
    assert!(std::fs::read_dir(env.data()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("tmp")), "no temporary left");
}

#[test]
fn unknown_columns_warn_and_mapped_ones_are_read() {
    let env = Env::new();
    env.write("t.csv", "票号,大厅编码,柜台号,备注,取号时间,状态\nT1,H1,W9,x,2026-10-08 09:00:00,未叫号\n");
    let r = env.ww(&["ingest", "--table", "tickets", "t.csv"]).ok();
    assert!(r.stdout.contains("unknown columns ignored: 柜台号, 备注"), "{}", r.stdout);
    assert_eq!(env.rows("tickets")[0]["window_id"], "∅");
    env.ww(&["ingest", "--table", "tickets", "--force", "--map", "柜台号=window_id", "t.csv"]).ok();
    assert_eq!(env.rows("tickets")[0]["window_id"], "W9");
}

#[test]
fn an_undecodable_file_is_a_whole_file_error() {
    let env = Env::new();
    let mut bytes = b"case_id,hall_id\n".to_vec();
    bytes.extend_from_slice(&[0x81, 0x20, 0xff, b'\n']);
    env.write("bad.csv", bytes);
    let r = env.ww(&["ingest", "--table", "cases", "bad.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.csv") && r.stderr.contains("--encoding"), "{}", r.stderr);
}

#[test]
fn line_numbers_are_the_lines_an_editor_shows_with_crlf_and_quoted_newlines() {
    let env = Env::new();
    let text = "评价编号,大厅编码,评价时间,评价等级,评价内容\r\n\
                R1,H1,2026-10-08 09:00:00,满意,\"很好\r\n第二行\"\r\n\
                R2,H1,2026-10-08 09:00:00,太差,\r\n\
                R3,H1,2026-10-08 09:00:00,满意,\"a,b\"\r\n\
                R4,H1,2026-10-08 25:00:00,满意,\r\n";
    env.write("r.csv", gb18030(text));
    env.ww(&["ingest", "--table", "ratings", "r.csv"]).ok();
    let q: Vec<(String, String)> = env.rows("quarantine").into_iter().map(|r| (r["line"].clone(), r["reason"].clone())).collect();
    assert_eq!(q, vec![("4".to_string(), "unknown_value".to_string()), ("6".to_string(), "bad_value".to_string())]);
    let comments: Vec<String> = env.rows("ratings").into_iter().map(|r| r["comment"].clone()).collect();
    assert_eq!(comments, vec!["很好\r\n第二行", "a,b"]);
}

/// The tickets (key: hall, ticket) `T0000`… of `ids`, at window W2 where `changed` names them.
fn tickets_csv(ids: impl Iterator<Item = usize>, changed: &[usize]) -> String {
    let mut s = format!("{TICKETS_HEADER}\n");
    for i in ids {
        let window = if changed.contains(&i) { "W2" } else { "W1" };
        s.push_str(&format!("T{i:04},H1,{window},S1,I1,2026-10-08 09:00:00,,,未叫号,否\n"));
    }
    s
}

/// The keys (ticket ids) each stored part of `table` holds, by part file name.
fn part_keys(env: &Env, table: &str, key: &str) -> BTreeMap<String, Vec<String>> {
    let snap = env.warehouse().current().unwrap().expect("a snapshot");
    let mut out = BTreeMap::new();
    for f in snap.files(table).unwrap() {
        let rows = crate::common::batches_to_maps(&windowwatch::store::read_parquet(&f).unwrap());
        out.insert(f.file_name().unwrap().to_string_lossy().into_owned(), rows.into_iter().map(|r| r[key].clone()).collect());
    }
    out
}

/// The table's records without lineage, in key order.
fn records(env: &Env, table: &str) -> Vec<BTreeMap<String, String>> {
    let mut rows = strip_lineage(env.rows(table));
    rows.sort_by(|a, b| (&a["hall_id"], &a["ticket_id"]).cmp(&(&b["hall_id"], &b["ticket_id"])));
    rows
}

#[test]
fn a_file_whose_keys_interleave_with_the_stored_ones_rewrites_only_the_parts_whose_records_it_replaces() {
    let env = Env::new();
    let small = [("WINDOWWATCH_PART_ROWS", "25")];
    // The first file: the even tickets. The second: every odd one (new, between the stored keys),
    // two even ones again unchanged and two changed, far apart.
    env.write("a.csv", tickets_csv((0..200).step_by(2), &[]));
    env.write("b.csv", tickets_csv((1..200).step_by(2).chain([10, 150, 20, 180]), &[20, 180]));
    let r = env.ww_env(&["ingest", "--table", "tickets", "--json", "a.csv"], &small).ok();
    let v = reconciliation(&r.stdout);
    let stored = part_keys(&env, "tickets", "ticket_id");
    assert!(stored.len() >= 4, "100 rows at 25 a part: {stored:?}");
    assert_eq!((v["files"][0]["parts_new"].as_u64(), v["parts"]["new"].as_u64()), (Some(stored.len() as u64), Some(stored.len() as u64)), "{v}");
    let holding = |k: &str| stored.iter().filter(|(_, keys)| keys.iter().any(|x| x == k)).map(|(p, _)| p.clone()).collect::<Vec<_>>();
    let mut touched: Vec<String> = holding("T0020").into_iter().chain(holding("T0180")).collect();
    touched.dedup();
    assert!(!touched.is_empty());
    let before = env.state();

    let r = env.ww_env(&["ingest", "--table", "tickets", "--json", "b.csv"], &small).ok();
    let v = reconciliation(&r.stdout);
    let f = &v["files"][0];
    let n = |k: &str| f[k].as_u64().unwrap();
    assert_eq!((n("new_records"), n("updated_records"), n("unchanged_records")), (100, 2, 2), "{v}");
    assert_eq!(n("parts_rewritten"), touched.len() as u64, "only the parts holding T0020 and T0180: {touched:?} {v}");
    assert_eq!(v["parts"]["rewritten"].as_u64(), Some(touched.len() as u64));
    assert_eq!(v["parts"]["kept"].as_u64(), Some((stored.len() - touched.len()) as u64), "{v}");
    assert!(n("parts_new") >= 4, "the 100 new keys in parts of their own: {v}");
    // Every stored part but those is kept byte for byte; the rewritten ones hold the same keys.
    let after = env.state();
    let now = part_keys(&env, "tickets", "ticket_id");
    for (part, keys) in &stored {
        let path = format!("tickets/{part}");
        if touched.contains(part) {
            assert_ne!(after.get(&path), before.get(&path), "{part} was rewritten");
        } else {
            assert_eq!(after.get(&path), before.get(&path), "{part} is kept as it was");
        }
        assert_eq!(now.get(part), Some(keys), "{part} holds the same keys in the same order");
    }
    // Each part in key order, each key stored once; the records as one ingest of both files.
    for keys in now.values() {
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }
    let all: Vec<String> = now.values().flatten().cloned().collect();
    assert_eq!(all.len(), 200);
    let once = Env::new();
    for name in ["a.csv", "b.csv"] {
        once.write(name, std::fs::read(env.path(name)).unwrap());
    }
    let r = once.ww(&["ingest", "--table", "tickets", "--json", "a.csv", "b.csv"]).ok();
    reconciliation(&r.stdout);
    assert_eq!(records(&env, "tickets"), records(&once, "tickets"));
    let window: Vec<(String, String)> = records(&env, "tickets").into_iter().filter(|r| ["T0020", "T0180", "T0010"].contains(&r["ticket_id"].as_str())).map(|r| (r["ticket_id"].clone(), r["window_id"].clone())).collect();
    assert_eq!(window, vec![("T0010".into(), "W1".into()), ("T0020".into(), "W2".into()), ("T0180".into(), "W2".into())]);

    // Again, forced: every record unchanged, no part written, the table as it was.
    let state = env.state();
    let r = env.ww_env(&["ingest", "--table", "tickets", "--json", "--force", "b.csv"], &small).ok();
    let v = reconciliation(&r.stdout);
    assert_eq!((v["files"][0]["unchanged_records"].as_u64(), v["parts"]["rewritten"].as_u64(), v["parts"]["new"].as_u64()), (Some(104), Some(0), Some(0)), "{v}");
    let tickets = |s: &BTreeMap<String, String>| -> BTreeMap<String, String> { s.iter().filter(|(k, _)| k.starts_with("tickets/")).map(|(k, v)| (k.clone(), v.clone())).collect() };
    assert_eq!(tickets(&env.state()), tickets(&state));
    // The first file forced again puts T0020 and T0180 back: the text reconciliation names the
    // parts it rewrote (those holding them).
    let r = env.ww_env(&["ingest", "--table", "tickets", "--force", "a.csv"], &small).ok();
    let rewritten = format!("{} rewritten, 0 new", touched.len());
    assert!(r.stdout.contains(&rewritten) && r.stdout.contains("parts: "), "{}", r.stdout);
}

#[test]
fn daily_files_do_not_leave_a_trail_of_small_parts() {
    let env = Env::new();
    let small = [("WINDOWWATCH_PART_ROWS", "25")];
    let mut compacted = 0;
    for day in 0..20 {
        // Five new tickets a day, between and after the earlier days' keys.
        env.write(&format!("d{day}.csv"), tickets_csv((0..5).map(|i| i * 20 + day), &[]));
        let r = env.ww_env(&["ingest", "--table", "tickets", "--json", &format!("d{day}.csv")], &small).ok();
        let v = reconciliation(&r.stdout);
        compacted += v["parts"]["compacted"].as_u64().unwrap();
        let parts = part_keys(&env, "tickets", "ticket_id");
        let rows: usize = parts.values().map(Vec::len).sum();
        assert_eq!(rows, 5 * (day + 1));
        assert_eq!(v["parts"]["after"].as_u64(), Some(parts.len() as u64));
        // The bound: twice the parts the rows need, and 8 more.
        assert!(parts.len() <= 2 * rows.div_ceil(25) + 8, "day {day}: {parts:?}");
        for keys in parts.values() {
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }
    assert!(compacted > 0, "small parts were merged");
    let ids: Vec<String> = records(&env, "tickets").into_iter().map(|r| r["ticket_id"].clone()).collect();
    let mut want: Vec<String> = (0..20).flat_map(|d| (0..5).map(move |i| format!("T{:04}", i * 20 + d))).collect();
    want.sort();
    assert_eq!(ids, want, "each key once");
}

#[test]
fn reference_tables_and_supervisors_records_ingest_like_the_exports() {
    let env = Env::new();
    // staff in GB18030 with the contract's Chinese headers; a row without a name is quarantined.
    env.write("人员名单.csv", gb18030("工号,姓名,大厅编号,人员类别\nYB1,张晓明,370102,正式在编\nYB2,李芳,370102,劳务派遣\nYB3,,370102,在编\nYB4,王强,370102,临时工\n"));
    let v = reconciliation(&env.ww(&["ingest", "--table", "staff", "--json", "人员名单.csv"]).ok().stdout);
    assert_eq!((v["files"][0]["loaded"].as_u64(), v["files"][0]["quarantined"].as_u64()), (Some(2), Some(2)), "{v}");
    let staff = env.rows("staff");
    let emp: BTreeMap<_, _> = staff.iter().map(|r| (r["staff_id"].clone(), r["employment"].clone())).collect();
    assert_eq!(emp["YB1"], "在编");
    assert_eq!(emp["YB2"], "非编");
    let q = quarantine(&env);
    assert!(q.contains(&("人员名单.csv".into(), "4".into(), "missing_value".into())), "{q:?}");
    assert!(q.contains(&("人员名单.csv".into(), "5".into(), "unknown_value".into())), "{q:?}");

    // attendance: counts ≥ 0, fractional leave, months in any written form; superseded by staff + month.
    env.write("考勤.csv", "工号,考勤月份,迟到早退次数,事假天数,病假天数\nYB1,2026年10月,3,1.5,\nYB1,2026/11,4,0.5,0\nYB2,2026-10,-1,,\nYB2,2026-13,1,,\nYB3,202610,1,,\nYB3,2026-10,2,,\n");
    let v = reconciliation(&env.ww(&["ingest", "--table", "attendance", "--json", "考勤.csv"]).ok().stdout);
    assert_eq!(v["files"][0]["quarantined"].as_u64(), Some(4), "a negative count, month 13, and YB3's one month written twice with different counts: {v}");
    let mut months: Vec<(String, String)> = env.rows("attendance").iter().map(|r| (r["staff_id"].clone(), r["month"].clone())).collect();
    months.sort();
    assert_eq!(months, vec![("YB1".into(), "2026-10".into()), ("YB1".into(), "2026-11".into())]);
    // a file without a required column is one error naming it, and writes nothing.
    env.write("halls.csv", "大厅编号,所属区县\n370102,历下区\n");
    let r = env.ww(&["ingest", "--table", "halls", "halls.csv"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("hall_name") || r.stderr.contains("大厅名称"), "{}", r.stderr);
    assert!(env.rows("halls").is_empty());

    // JSON Lines of a supervisors' record; 有/无 as the contract allows for 发现问题.
    env.write("a.csv", "大厅编号,大厅名称,所属区县,负责人,负责人邮箱\n370102,历下区医疗保障服务大厅,历下区,赵主任,zhao@example.org\n");
    env.write("b.jsonl", "{\"记录编号\":\"X1\",\"大厅编号\":\"370102\",\"检查时间\":\"2026-10-08 09:00:00\",\"检查方式\":\"暗访\",\"发现问题\":\"有\",\"整改期限\":\"2026-10-15\"}\n");
    reconciliation(&env.ww(&["ingest", "--table", "halls", "--json", "a.csv"]).ok().stdout);
    reconciliation(&env.ww(&["ingest", "--table", "inspections", "--json", "b.jsonl"]).ok().stdout);
    assert_eq!(env.rows("halls")[0]["hall_name"], "历下区医疗保障服务大厅");
    let insp = env.rows("inspections");
    assert_eq!((insp[0]["kind"].as_str(), insp[0]["violation"].as_str()), ("暗访", "true"), "{insp:?}");
}
