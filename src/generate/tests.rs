//! Tests of the generator: the oracle on hand-made records with literal dates, every planted
//! intent against the oracle's truth (several seeds), determinism, the files read back through the
//! real ingest (quarantine lines and final rows), the forms the files use, and the streamed
//! province-scale truth against the in-memory oracle.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use datafusion::arrow::array::{Array, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::DataType;

use super::model::*;
use super::oracle::{Finding, Oracle, RULES};
use super::*;
use crate::calendar::Calendar;
use crate::contract::Table;

fn ts(s: &str) -> Ts {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn t() -> Ts {
    as_of()
}

fn case(id: &str, ty: &'static str, p: Option<i64>, acc: &str) -> Case {
    Case {
        case_id: id.into(),
        hall_id: "H".into(),
        window_id: Some("W01".into()),
        staff_id: Some("S1".into()),
        item_code: "YB-0501".into(),
        case_type: ty,
        promised_days: p,
        accepted_at: ts(acc),
        outcome: label::OPEN,
        ..Default::default()
    }
}

fn rules_of(f: &[Finding], id: &str) -> Vec<(String, Option<String>, String)> {
    f.iter().filter(|x| x.entity_id == id).map(|x| (x.rule.clone(), x.due_at.clone(), x.month.clone())).collect()
}

#[test]
fn oracle_time_limits_on_literal_dates() {
    let cal = Calendar::builtin();
    let o = Oracle::new(&cal, t());
    let mut r = Records::default();
    // 10 working days after 2026-09-30 is 2026-10-20.
    let mut a = case("on_time", label::PROMISED, Some(10), "2026-09-30 10:00:00");
    a.completed_at = Some(ts("2026-10-20 23:59:59"));
    a.outcome = label::DONE;
    let mut b = a.clone();
    b.case_id = "late".into();
    b.completed_at = Some(ts("2026-10-21 00:00:00"));
    // Extension approved on the unextended deadline: valid.
    let mut e = case("ext_ok", label::PROMISED, Some(10), "2026-10-09 10:00:00");
    e.extension_days = Some(5);
    e.extension_reason = Some("r".into());
    e.extension_approver = Some("a".into());
    e.extension_approved_at = Some(ts("2026-10-22 23:59:59"));
    e.completed_at = Some(ts("2026-10-29 12:00:00"));
    e.outcome = label::DONE;
    let mut f = e.clone();
    f.case_id = "ext_bad".into();
    f.extension_approved_at = Some(ts("2026-10-23 00:00:00"));
    // Open, due 2026-11-02 (the first working day after T's date).
    let soon = case("soon", label::PROMISED, Some(10), "2026-10-19 09:00:00");
    // 即办件 accepted on a Saturday evening and still open.
    let sat = case("sat", label::IMMEDIATE, None, "2026-10-31 20:00:00");
    r.cases = vec![a, b, e, f, soon, sat];
    let out = o.evaluate(&r);
    assert!(rules_of(&out, "on_time").is_empty(), "{out:?}");
    assert_eq!(
        rules_of(&out, "late"),
        vec![
            ("time_limit.overdue_completed".into(), Some("2026-10-20 23:59:59".into()), "2026-10".into()),
            ("time_limit.overdue_not_notified".into(), Some("2026-10-21 23:59:59".into()), "2026-10".into()),
        ]
    );
    assert!(rules_of(&out, "ext_ok").is_empty(), "{out:?}");
    let bad: Vec<String> = rules_of(&out, "ext_bad").into_iter().map(|x| x.0).collect();
    assert_eq!(bad, vec!["time_limit.invalid_extension", "time_limit.overdue_completed", "time_limit.overdue_not_notified"]);
    assert_eq!(rules_of(&out, "soon"), vec![("time_limit.due_soon".into(), Some("2026-11-02 23:59:59".into()), "2026-11".into())]);
    // Due at the end of 10-31; T is 11-01 00:00:00: overdue, and told-by is 11-02.
    assert_eq!(rules_of(&out, "sat"), vec![("time_limit.overdue_open".into(), Some("2026-10-31 23:59:59".into()), "2026-10".into())]);
}

#[test]
fn oracle_ratings_denials_queue_and_rankings_on_literal_values() {
    let cal = Calendar::builtin();
    let o = Oracle::new(&cal, t());
    let rating = |id: &str, w: Option<&str>, at: &str, level: &'static str| Rating {
        rating_id: id.into(),
        case_id: None,
        ticket_id: None,
        hall_id: "H".into(),
        window_id: w.map(String::from),
        staff_id: None,
        channel: None,
        rated_at: ts(at),
        level,
        comment: None,
        ..Default::default()
    };
    let mut r = Records::default();
    let mut v = rating("exact", Some("W1"), "2026-10-12 10:00:00", label::UNSATISFIED);
    v.verified_at = Some(ts("2026-10-13 10:00:00"));
    v.verification_result = Some(label::CONFIRMED);
    v.rectified_at = Some(ts("2026-10-28 23:59:59"));
    v.feedback_at = Some(ts("2026-10-29 09:00:00"));
    let mut late = v.clone();
    late.rating_id = "late".into();
    late.verified_at = Some(ts("2026-10-13 10:00:01"));
    late.rectified_at = Some(ts("2026-10-29 00:00:00"));
    late.feedback_at = None;
    let mut excl = rating("excl", Some("W2"), "2026-09-10 10:00:00", label::VERY_UNSATISFIED);
    excl.verified_at = Some(ts("2026-09-12 10:00:00"));
    excl.verification_result = Some(label::MALICIOUS);
    r.ratings = vec![
        v,
        late,
        excl,
        rating("s1", Some("W1"), "2026-09-10 10:00:00", label::SATISFIED),
        rating("s2", Some("W2"), "2026-09-11 10:00:00", label::VERY_SATISFIED),
        rating("nowin", None, "2026-09-11 10:00:00", label::SATISFIED),
    ];
    r.tickets = vec![Ticket {
        ticket_id: "A001".into(),
        hall_id: "H".into(),
        window_id: Some("W1".into()),
        staff_id: None,
        item_code: None,
        issued_at: ts("2026-10-12 09:00:00"),
        called_at: Some(ts("2026-10-12 09:30:01")),
        finished_at: None,
        status: label::NO_SHOW,
        is_appointment: None,
    }];
    let mut c = case("denied", label::PROMISED, Some(10), "2026-09-20 09:00:00");
    c.completed_at = Some(ts("2026-09-30 10:00:00"));
    c.outcome = label::DENIED;
    r.cases = vec![c];
    r.denials = vec![Denial {
        register_id: "R1".into(),
        case_id: "denied".into(),
        hall_id: "H".into(),
        item_code: None,
        applicant_name: None,
        denial_type: label::DENIED,
        decided_at: ts("2026-09-30 10:00:00"),
        reason: Some("r".into()),
        legal_basis: None,
        approval_type: Some("科室负责人".into()),
        approver: Some("x".into()),
        notice_served_at: Some(ts("2026-10-10 23:59:59")),
        filed_at: Some(ts("2026-10-14 00:00:00")),
        archived: Some(true),
    }];
    let out = o.evaluate(&r);
    assert!(rules_of(&out, "exact").is_empty(), "{out:?}");
    let late: Vec<String> = rules_of(&out, "late").into_iter().map(|x| x.0).collect();
    assert_eq!(late, vec!["rating.feedback_missing", "rating.rectification_late", "rating.verification_late"]);
    assert_eq!(rules_of(&out, "excl").into_iter().map(|x| x.0).collect::<Vec<_>>(), vec!["rating.verification_late"]);
    assert_eq!(rules_of(&out, "H/A001").into_iter().map(|x| x.0).collect::<Vec<_>>(), vec!["queue.long_wait"]);
    let den: Vec<(String, Option<String>, String)> = rules_of(&out, "R1");
    assert_eq!(
        den,
        vec![
            ("denial.filing_late".into(), Some("2026-10-13 23:59:59".into()), "2026-10".into()),
            ("denial.no_approval".into(), None, "2026-09".into()),
            ("denial.no_legal_basis".into(), None, "2026-09".into()),
        ]
    );
    // September: W1 and W2 both 1 satisfied, 0 unsatisfied (W2's bad review is 恶意差评): tied.
    let sep: Vec<(String, String)> =
        out.iter().filter(|f| f.month == "2026-09" && f.entity == "window").map(|f| (f.rule.clone(), f.entity_id.clone())).collect();
    assert_eq!(sep, vec![("ranking.model_window".into(), "H/W1".into()), ("ranking.model_window".into(), "H/W2".into())]);
    // October: only W1 ranked (1 unsatisfied… two in fact): most unsatisfied, no consecutive.
    let oct: Vec<String> = out.iter().filter(|f| f.month == "2026-10" && f.entity == "window").map(|f| f.rule.clone()).collect();
    assert_eq!(oct, vec!["ranking.most_unsatisfied"]);
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn check_expectations(seed: u64) -> (Vec<Finding>, Sample) {
    let cal = Calendar::builtin();
    let dir = tmp();
    let s = write_sample(dir.path(), seed, &cal).unwrap();
    let truth = s.truth(&cal, t(), &BTreeSet::new());
    let mut problems = Vec::new();
    for e in &s.expect {
        let found = truth.iter().any(|f| f.rule == e.rule && f.entity_id == e.entity_id && e.month.as_ref().is_none_or(|m| *m == f.month));
        if found != e.present {
            problems.push(format!(
                "seed {seed}: {} {} {:?} expected {} ({})",
                e.rule,
                e.entity_id,
                e.month,
                if e.present { "present" } else { "absent" },
                e.what
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    (truth, s)
}

#[test]
fn planted_scenarios_produce_the_intended_findings() {
    for seed in [20261101u64, 7, 1, 2, 3, 12345] {
        let (truth, s) = check_expectations(seed);
        // Every rule is planted, several times over.
        for (rule, _, _) in RULES {
            let planted = s.expect.iter().filter(|e| e.rule == *rule && e.present).count();
            let found = truth.iter().filter(|f| f.rule == *rule).count();
            assert!(planted >= 1 && found >= 2, "seed {seed}: rule {rule}: planted {planted}, found {found}");
        }
        // The boundary non-findings are there too.
        assert!(s.expect.iter().filter(|e| !e.present).count() > 30);
    }
}

fn read_all(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let cal = Calendar::builtin();
    let (a, b, c) = (tmp(), tmp(), tmp());
    let opts = |out: &Path, seed: u64| GenerateOptions { out: out.to_path_buf(), seed, scale: "small".into(), truth: true };
    let ma = generate(&opts(a.path(), 20261101), &cal).unwrap();
    let mb = generate(&opts(b.path(), 20261101), &cal).unwrap();
    let mc = generate(&opts(c.path(), 20261102), &cal).unwrap();
    assert_eq!(ma, mb);
    let (fa, fb, fc) = (read_all(a.path()), read_all(b.path()), read_all(c.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(fb[k] == *v, "{k} differs between two runs with the same seed");
    }
    let differ = fa.iter().filter(|(k, v)| fc.get(*k) != Some(*v)).count();
    assert!(differ >= fa.len() - 1, "another seed changes the data ({differ} of {} files differ)", fa.len());
    let rows = |m: &Manifest| m.files.iter().map(|f| f.rows).collect::<Vec<_>>();
    assert_ne!(rows(&ma), rows(&mc), "another seed changes the counts");
    // Under 2 MB: the sample is committed.
    let total: usize = fa.values().map(|v| v.len()).sum();
    assert!(total < 2_000_000, "sample is {total} bytes");
}

/// One value of a warehouse column as text (the normal form both sides are compared in).
fn arrow_text(col: &dyn Array, i: usize) -> Option<String> {
    if col.is_null(i) {
        return None;
    }
    Some(match col.data_type() {
        DataType::Utf8 => col.as_any().downcast_ref::<StringArray>().unwrap().value(i).to_string(),
        DataType::Int64 => col.as_any().downcast_ref::<Int64Array>().unwrap().value(i).to_string(),
        DataType::Boolean => col.as_any().downcast_ref::<BooleanArray>().unwrap().value(i).to_string(),
        DataType::Date32 => {
            crate::ingest::values::days_to_date(col.as_any().downcast_ref::<Date32Array>().unwrap().value(i)).format("%Y-%m-%d").to_string()
        }
        DataType::Timestamp(_, _) => {
            fmt_ts(crate::ingest::values::micros_to_naive(col.as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().value(i)))
        }
        other => panic!("unexpected type {other}"),
    })
}

fn val_text(v: &Val) -> Option<String> {
    match v {
        Val::Null => None,
        Val::Text(s) | Val::Raw(s) => Some(s.clone()),
        Val::Label(l) => Some(l.to_string()),
        Val::Ts(t) => Some(fmt_ts(*t)),
        Val::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Val::Int(n) => Some(n.to_string()),
        Val::Bool(b) => Some(b.to_string()),
    }
}

fn table_rows(batches: &[RecordBatch], table: Table) -> BTreeMap<String, Vec<Option<String>>> {
    let spec = table.spec();
    let mut out = BTreeMap::new();
    for b in batches {
        for i in 0..b.num_rows() {
            let row: Vec<Option<String>> = (0..spec.columns.len()).map(|j| arrow_text(b.column(j).as_ref(), i)).collect();
            let key = spec.key_indices().iter().map(|k| row[*k].clone().unwrap()).collect::<Vec<_>>().join("/");
            out.insert(key, row);
        }
    }
    out
}

fn record_rows(recs: Vec<Vec<Val>>, table: Table) -> BTreeMap<String, Vec<Option<String>>> {
    let spec = table.spec();
    recs.into_iter()
        .map(|cells| {
            let row: Vec<Option<String>> = cells.iter().map(val_text).collect();
            let key = spec.key_indices().iter().map(|k| row[*k].clone().unwrap()).collect::<Vec<_>>().join("/");
            (key, row)
        })
        .collect()
}

/// A small set of `seed` generated under `dir/set` and ingested through the real ingest into
/// `dir/wh`, and the same seed's sample in memory: the set's folder, its manifest, the sample,
/// what each file's ingest reported and the warehouse's snapshot.
fn ingested_set(dir: &Path, seed: u64, truth: bool) -> (PathBuf, Manifest, Sample, Vec<crate::ingest::IngestReport>, crate::store::Snapshot) {
    let cal = Calendar::builtin();
    let out = dir.join("set");
    let m = generate(&GenerateOptions { out: out.clone(), seed, scale: "small".into(), truth }, &cal).unwrap();
    let sample = write_sample(&dir.join("again"), seed, &cal).unwrap();
    let wh = crate::store::Warehouse::open(&dir.join("wh")).unwrap();
    let reports = m.ingest(&wh, &out, false).unwrap();
    let snap = wh.current().unwrap().unwrap();
    (out, m, sample, reports, snap)
}

#[test]
fn files_read_back_through_the_real_ingest() {
    let dir = tmp();
    let (out, m, sample, _, snap) = ingested_set(dir.path(), 7, true);

    // Quarantine: exactly the planted bad rows, at the planted lines, for the planted reasons.
    let mut got: Vec<(String, String, u64, String)> = Vec::new();
    for b in snap.read("quarantine").unwrap() {
        let s = |n: &str| b.column_by_name(n).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
        let (tables, files, reasons) = (s("table_name"), s("file"), s("reason"));
        let lines = b.column_by_name("line").unwrap().as_any().downcast_ref::<Int64Array>().unwrap().clone();
        for i in 0..b.num_rows() {
            let file = Path::new(files.value(i)).strip_prefix(&out).unwrap().display().to_string();
            got.push((tables.value(i).into(), file, lines.value(i) as u64, reasons.value(i).into()));
        }
    }
    got.sort();
    let text = std::fs::read_to_string(out.join(QUARANTINE_FILE)).unwrap();
    let mut want: Vec<(String, String, u64, String)> =
        text.lines().map(|l| serde_json::from_str::<QuarantineLine>(l).unwrap()).map(|q| (q.table, q.file, q.line, q.reason)).collect();
    want.sort();
    // CRLF files are among them: the lines are the physical lines there too.
    assert!(m.files.iter().any(|f| f.format == "csv" && std::fs::read(out.join(&f.path)).unwrap().windows(2).any(|w| w == b"\r\n")));
    assert_eq!(got, want);
    let reasons: BTreeSet<&str> = want.iter().map(|w| w.3.as_str()).collect();
    // The generator writes no responses file yet: `unknown_finding` is tested through the CLI
    // (tests/cli/responses.rs) until it plants one.
    let all: BTreeSet<&str> = crate::ingest::parse::REASONS.iter().map(|r| r.0).filter(|r| *r != "unknown_finding").collect();
    assert_eq!(reasons, all, "every quarantine reason is planted");

    // The warehouse holds exactly the final records the oracle judged.
    for table in Table::EXPORTS {
        let stored = table_rows(&snap.read(table.name()).unwrap(), table);
        let cells: Vec<Vec<Val>> = match table {
            Table::Tickets => sample.finals.tickets.iter().map(|r| r.cells()).collect(),
            Table::Cases => sample.finals.cases.iter().map(|r| r.cells()).collect(),
            Table::Ratings => sample.finals.ratings.iter().map(|r| r.cells()).collect(),
            Table::Denials => sample.finals.denials.iter().map(|r| r.cells()).collect(),
            _ => unreachable!("only the exports"),
        };
        let mine = record_rows(cells, table);
        assert_eq!(stored.len(), mine.len(), "{table}: row count");
        for (k, row) in &mine {
            let s = stored.get(k).unwrap_or_else(|| panic!("{table} {k} not in the warehouse"));
            for (j, c) in table.spec().columns.iter().enumerate() {
                assert_eq!(&s[j], &row[j], "{table} {k} column {}", c.name);
            }
        }
    }
}

/// The reference files (halls CSV UTF-8, windows XLSX, staff CSV GB18030 and JSON Lines, Chinese
/// headers throughout) read back through the real ingest into exactly the generator's roster.
#[test]
fn reference_files_read_back_through_the_real_ingest() {
    let dir = tmp();
    let (out, m, sample, reports, snap) = ingested_set(dir.path(), 11, false);
    let forms: BTreeSet<(String, String, Option<String>)> =
        m.files.iter().filter(|f| Table::parse(&f.table).is_some_and(|t| Table::REFERENCE.contains(&t))).map(|f| (f.table.clone(), f.format.clone(), f.encoding.clone())).collect();
    let want_forms: BTreeSet<(String, String, Option<String>)> = [
        ("halls", "csv", Some("utf-8")),
        ("windows", "xlsx", None),
        ("staff", "csv", Some("gb18030")),
        ("staff", "jsonl", Some("utf-8")),
    ]
    .into_iter()
    .map(|(t, f, e)| (t.to_string(), f.to_string(), e.map(String::from)))
    .collect();
    assert_eq!(forms, want_forms);
    let staff_csv = encoding_rs::GB18030.decode(&std::fs::read(out.join("staff.csv")).unwrap()).0.into_owned();
    assert!(staff_csv.starts_with("工号,姓名,大厅编号,人员类别"), "{}", &staff_csv[..40]);
    assert!(reports.iter().filter(|r| Table::REFERENCE.contains(&r.table)).all(|r| r.quarantine_by_reason.is_empty()), "no reference row is quarantined");
    let r = &sample.roster;
    let expected: [(Table, Vec<Vec<Val>>); 3] = [
        (Table::Halls, r.halls.iter().map(|h| h.cells()).collect()),
        (Table::Windows, r.windows.iter().map(|w| w.cells()).collect()),
        (
            Table::Staff,
            r.staff
                .iter()
                .map(|s| {
                    let mut c = s.cells();
                    c[3] = s.employment_label().map_or(Val::Null, Val::Label);
                    c
                })
                .collect(),
        ),
    ];
    for (table, cells) in expected {
        let stored = table_rows(&snap.read(table.name()).unwrap(), table);
        let mine = record_rows(cells, table);
        assert_eq!(stored, mine, "{table}");
    }
    // The planted gaps: a window without B岗, a window with B = A, a staff id of the exports that
    // the roster lacks; the rest of the windows have a B岗 other than their A岗.
    assert_eq!(r.windows.iter().filter(|w| w.b_staff_id.is_none()).count(), 1);
    assert_eq!(r.windows.iter().filter(|w| w.b_staff_id.is_some() && w.b_staff_id == w.a_staff_id).count(), 1);
    let known = r.staff_ids();
    assert!(sample.finals.tickets.iter().filter_map(|t| t.staff_id.as_ref()).any(|s| !known.contains(s)));
    assert!(r.halls.iter().all(|h| h.hall_name.ends_with("医疗保障服务大厅") && h.district.is_some()));
    assert!(r.windows.iter().filter_map(|w| w.window_name.as_ref()).all(|n| n.contains("号窗口（")));
}

#[test]
fn oracle_roster_rules_on_literal_values() {
    use super::reference::{Roster, WindowRow};
    let cal = Calendar::builtin();
    let o = Oracle::new(&cal, t());
    let win = |w: &str, a: Option<&str>, b: Option<&str>| WindowRow {
        hall_id: "370102".into(),
        window_id: w.into(),
        window_name: None,
        a_staff_id: a.map(String::from),
        b_staff_id: b.map(String::from),
    };
    let roster = Roster {
        windows: vec![win("W01", Some("S1"), Some("S2")), win("W02", Some("S2"), None), win("W03", Some("S3"), Some("S3")), win("W04", None, None)],
        ..Default::default()
    };
    let mut r = Records::default();
    let mut c1 = case("C1", label::IMMEDIATE, None, "2026-10-09 10:00:00");
    c1.staff_id = Some("GHOST".into());
    c1.hall_id = "370114".into();
    let mut c2 = c1.clone();
    c2.case_id = "C2".into();
    c2.hall_id = "370102".into();
    let mut c3 = c1.clone();
    c3.case_id = "C3".into();
    c3.accepted_at = ts("2026-09-30 10:00:00");
    // After T: not yet a record.
    let mut c4 = c1.clone();
    c4.case_id = "C4".into();
    c4.accepted_at = ts("2026-11-02 10:00:00");
    c4.staff_id = Some("LATE".into());
    let mut c5 = c1.clone();
    c5.case_id = "C5".into();
    c5.staff_id = Some("S1".into());
    r.cases = vec![c1, c2, c3, c4, c5];
    let known: BTreeSet<String> = ["S1", "S2", "S3"].into_iter().map(String::from).collect();
    let mut out = Vec::new();
    o.roster(&r, &roster, &known, &mut out);
    let got: Vec<(String, String, String, Option<String>, Option<String>, String)> =
        out.iter().map(|f| (f.rule.clone(), f.entity_id.clone(), f.hall_id.clone(), f.window_id.clone(), f.staff_id.clone(), f.month.clone())).collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        got,
        vec![
            ("roster.no_backup".into(), "370102/W02".into(), "370102".into(), s("W02"), s("S2"), "2026-11".into()),
            ("roster.no_backup".into(), "370102/W03".into(), "370102".into(), s("W03"), s("S3"), "2026-11".into()),
            ("roster.no_backup".into(), "370102/W04".into(), "370102".into(), s("W04"), None, "2026-11".into()),
            ("roster.unknown_staff".into(), "GHOST".into(), "370102".into(), None, s("GHOST"), "2026-10".into()),
            ("roster.unknown_staff".into(), "GHOST".into(), "370114".into(), None, s("GHOST"), "2026-09".into()),
        ]
    );
}

#[test]
fn files_use_every_form_the_contract_allows() {
    use calamine::{Data, Reader};
    let cal = Calendar::builtin();
    let dir = tmp();
    let m =
        generate(&GenerateOptions { out: dir.path().to_path_buf(), seed: 20261101, scale: "small".into(), truth: false }, &cal).unwrap();
    let mut headers: HashMap<Table, BTreeSet<String>> = HashMap::new();
    let mut texts = String::new();
    let mut date_cells = 0;
    for f in &m.files {
        let table = Table::parse(&f.table).unwrap();
        let path = dir.path().join(&f.path);
        let hs = headers.entry(table).or_default();
        match f.format.as_str() {
            "xlsx" => {
                let mut wb = calamine::open_workbook_auto(&path).unwrap();
                let sheet = wb.sheet_names()[0].clone();
                let range = wb.worksheet_range(&sheet).unwrap();
                for (i, row) in range.rows().enumerate() {
                    for c in row {
                        match c {
                            Data::String(s) if i == 0 => {
                                hs.insert(s.clone());
                            }
                            Data::String(s) => {
                                texts.push_str(s);
                                texts.push('\n');
                            }
                            Data::DateTime(_) => date_cells += 1,
                            Data::Bool(_) => texts.push_str("<excel-bool>\n"),
                            _ => {}
                        }
                    }
                }
            }
            "jsonl" => {
                let text = std::fs::read_to_string(&path).unwrap();
                texts.push_str(&text);
                for l in text.lines() {
                    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(l) {
                        hs.extend(o.keys().cloned());
                    }
                }
            }
            _ => {
                let bytes = std::fs::read(&path).unwrap();
                let text = match f.encoding.as_deref() {
                    Some("gb18030") => {
                        assert!(std::str::from_utf8(&bytes).is_err(), "{} is really GB18030", f.path);
                        encoding_rs::GB18030.decode(&bytes).0.into_owned()
                    }
                    Some("utf-8-bom") => {
                        assert!(bytes.starts_with("\u{feff}".as_bytes()));
                        String::from_utf8(bytes).unwrap()
                    }
                    _ => String::from_utf8(bytes).unwrap(),
                };
                let first = text.trim_start_matches('\u{feff}').lines().next().unwrap().to_string();
                let d = if first.contains('\t') { '\t' } else { ',' };
                hs.extend(first.split(d).map(String::from));
                texts.push_str(&text);
            }
        }
    }
    for table in Table::EXPORTS {
        for c in table.spec().columns {
            for h in c.accepted_headers() {
                assert!(headers[&table].contains(h), "{table}: header {h} of {} is used nowhere", c.name);
            }
        }
    }
    assert!(date_cells > 100, "real Excel date cells");
    for needle in [
        "2026-10-08 ",
        "2026/9/",
        "T09:",
        "<excel-bool>",
        ",是,",
        "\tY\n",
        "\ty\n",
        "\"TRUE\"",
        "\"False\"",
        ",1\n",
        "NULL",
        "null",
        ",-,",
        "很满意",
        "一般",
        "非常不满意",
        "基本满意",
        "\"case_type\":2",
        "\"promised_days\":10",
        "\"case_type\":\"承诺件\"",
        "\n第二次来又说要新表格",
        "\"他说\"\"系统故障\"\"",
        "２０２６",
        "１０",
    ] {
        assert!(texts.contains(needle), "no {needle:?} anywhere in the files");
    }
    let minute_form = regex_like_minute(&texts);
    assert!(minute_form, "a 2026-10-08 09:15 form");
    // The evaluator file has numeric levels and says so.
    let numeric: Vec<&ManifestFile> = m.files.iter().filter(|f| f.numeric_levels.is_some()).collect();
    assert_eq!(numeric.len(), 1);
    assert_eq!(numeric[0].numeric_levels.as_deref(), Some("1=非常不满意"));
}

/// Some timestamp written as `YYYY-MM-DD HH:MM` without seconds.
fn regex_like_minute(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(17)).any(|i| {
        let w = &b[i..i + 17];
        w[4] == b'-'
            && w[7] == b'-'
            && w[10] == b' '
            && w[13] == b':'
            && !w[16].is_ascii_digit()
            && w[16] != b':'
            && w[..4].iter().all(u8::is_ascii_digit)
    })
}

#[test]
fn xlsx_dates_read_back_with_calamine() {
    use calamine::{Data, Reader};
    let cal = Calendar::builtin();
    let dir = tmp();
    let m = generate(&GenerateOptions { out: dir.path().to_path_buf(), seed: 7, scale: "small".into(), truth: false }, &cal).unwrap();
    let f = m.files.iter().find(|f| f.table == "tickets" && f.format == "xlsx").unwrap();
    let mut wb = calamine::open_workbook_auto(dir.path().join(&f.path)).unwrap();
    let range = wb.worksheet_range("排队叫号记录").unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let issued = header.iter().position(|h| h == "取号时间").unwrap();
    let called = header.iter().position(|h| h == "叫号时间").unwrap();
    let mut dates = 0;
    let mut texts = 0;
    for row in range.rows().skip(1) {
        if let Data::DateTime(dt) = &row[issued] {
            let t = dt.as_datetime().unwrap();
            assert!(t >= ts("2026-10-01 00:00:00") && t < ts("2026-11-01 00:00:00"), "{t}");
            dates += 1;
        }
        if let Data::String(s) = &row[called] {
            if s == "-" {
                continue;
            }
            assert!(crate::clock::parse_timestamp(s).is_some(), "{s}");
            texts += 1;
        }
    }
    assert!(dates > 100 && texts > 100, "{dates} date cells, {texts} text dates");
}

#[test]
fn streamed_truth_equals_the_in_memory_oracle() {
    let cal = Calendar::builtin();
    let dir = tmp();
    let b = bulk::generate_inner(dir.path(), 5, 0.012, &cal, Some(t()), true).unwrap();
    let kept = b.kept.clone().unwrap();
    let mut want = Oracle::new(&cal, t()).evaluate(&kept);
    oracle::sort_findings(&mut want);
    let mut got: Vec<Finding> = Vec::new();
    let mut rules: Vec<&str> = RULES.iter().map(|r| r.0).collect();
    rules.sort();
    for rule in rules {
        let mut text = Vec::new();
        b.merge_truth(rule, &mut text).unwrap();
        for l in String::from_utf8(text).unwrap().lines() {
            got.push(serde_json::from_str(l).unwrap());
        }
    }
    assert_eq!(got.len(), want.len());
    assert!(got == want, "the streamed truth is in order and equals the in-memory oracle");
    assert!(b.halls.len() >= 2 && b.files.len() == 9);
    // The streamed halls' staff table holds every staff id their exports use.
    assert!(kept.tickets.iter().filter_map(|t| t.staff_id.as_ref()).all(|s| b.staff.contains(s)));
    let per_rule: BTreeSet<&str> = got.iter().map(|f| f.rule.as_str()).collect();
    assert!(per_rule.len() >= 18, "bulk data has findings of most rules: {per_rule:?}");
}

#[test]
fn medium_scale_merges_sample_and_bulk_in_order() {
    let cal = Calendar::builtin();
    let dir = tmp();
    let m = generate(&GenerateOptions { out: dir.path().to_path_buf(), seed: 3, scale: "medium".into(), truth: true }, &cal).unwrap();
    assert!(m.files.iter().any(|f| f.path.starts_with("bulk/")));
    let text = std::fs::read_to_string(dir.path().join(TRUTH_FILE)).unwrap();
    let all: Vec<Finding> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut sorted = all.clone();
    oracle::sort_findings(&mut sorted);
    assert!(all == sorted, "ground_truth.jsonl is sorted by rule, hall, month, entity");
    assert!(!dir.path().join(".truth-parts").exists());
    // The streamed files go through the real ingest without a single rejected row.
    let wh = crate::store::Warehouse::open(&dir.path().join("wh")).unwrap();
    m.ingest(&wh, dir.path(), false).unwrap();
    let snap = wh.current().unwrap().unwrap();
    let quarantined: usize = snap.read("quarantine").unwrap().iter().map(|b| b.num_rows()).sum();
    let planted = std::fs::read_to_string(dir.path().join(QUARANTINE_FILE)).unwrap().lines().count();
    assert_eq!(quarantined, planted);
    let tickets: usize = snap.read("tickets").unwrap().iter().map(|b| b.num_rows()).sum();
    let bulk_tickets: u64 = m.files.iter().filter(|f| f.table == "tickets" && f.path.starts_with("bulk/")).map(|f| f.rows).sum();
    assert!(tickets as u64 > bulk_tickets && bulk_tickets > 10_000);
    assert!(parse_scale("nonsense").is_err());
    assert_eq!(parse_scale("0.01").unwrap(), Some(0.01));
}

#[test]
fn fast_gb18030_matches_encoding_rs() {
    use super::scenarios::*;
    let mut text = String::new();
    for i in ITEMS {
        text.push_str(i.name);
    }
    for list in [SATISFIED_COMMENTS, BAD_COMMENTS, DENIAL_REASONS, LEGAL_BASES, EXTENSION_REASONS] {
        for x in list {
            text.push_str(x);
            text.push_str(",\r\n");
        }
    }
    text.push_str("２０２６-10-20 10:00:00 ① € 𠀀 龥 鿿 ABC xyz 是否 非常不满意\u{feff}");
    for c in (0x4E00u32..=0x9FFF).step_by(7) {
        text.push(char::from_u32(c).unwrap());
    }
    let mut fast = Vec::new();
    bulk::gb18030(&text, &mut fast);
    assert_eq!(fast, encoding_rs::GB18030.encode(&text).0.into_owned());
}
