//! Names beside ids (supervision.md "Reference tables"): with `halls`, `windows` and `staff`
//! ingested, reports, attachments and SQL views show `历下区医疗保障服务大厅`, `1号窗口（门诊慢特病）`,
//! `张晓明（S11）`; an id they do not name shows as the id, never a blank; `[privacy] mask_staff`
//! masks staff names everywhere while applicants' data stay masked as before.

use std::path::Path;

use crate::common::Env;
use crate::reports::{all_files, file_text, render_everything, seed};

/// Staff names of the fixture: none may show under `mask_staff = true`.
pub const STAFF_NAMES: [&str; 3] = ["张晓明", "欧阳娜娜", "李建华"];

/// The reports fixture plus reference tables with gaps on purpose: H02 has no hall row, H01's W2
/// has a blank window name, H02's windows and staff S21, S22, S32 are not in the tables.
pub fn seed_named(env: &Env, halls: &str) {
    seed(env);
    env.write("halls.csv", halls);
    env.write(
        "windows.csv",
        "大厅编号,窗口号,窗口名称,A岗,B岗\nH01,W1,1号窗口（门诊慢特病）,S11,S12\nH01,W2,,S12,\nH03,W1,1号窗口（异地就医备案）,S31,\n",
    );
    env.write("staff.csv", "工号,姓名,大厅编号,人员类别\nS11,张晓明,H01,在编\nS12,欧阳娜娜,H01,非编\nS31,李建华,H03,在编\n");
    for t in ["halls", "windows", "staff"] {
        env.ww(&["ingest", "--table", t, &format!("{t}.csv")]).ok();
    }
}

pub const HALLS: &str = "大厅编号,大厅名称,所属区县,负责人,负责人邮箱\nH01,历下区医疗保障服务大厅,历下区,王建国,\nH03,市中区医疗保障服务大厅,市中区,,\n";

fn csv_rows(p: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = file_text(p);
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records().map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
}

/// The monthly report of 甲 names its halls, windows and staff; golden text and attachment.
#[test]
fn the_monthly_report_shows_names_beside_ids() {
    let env = Env::new();
    seed_named(&env, HALLS);
    render_everything(&env);
    let txt = file_text(&env.path("reports/jia/monthly-2026-10.txt"));
    let html = file_text(&env.path("reports/jia/monthly-2026-10.html"));
    for t in [&txt, &html] {
        assert!(t.contains("历下区医疗保障服务大厅、H02"), "the halls line: named, or the id\n{t}");
        assert!(t.contains("1号窗口（门诊慢特病）"), "{t}");
    }
    assert!(html.contains("张晓明（S11）") && html.contains("<td>S21</td>"), "staff named, or the id\n{html}");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/names");
    for rel in ["jia/monthly-2026-10.txt", "jia/monthly-2026-10-red-findings.csv", "jia/否定备案登记表-jia-2026-10-未登记.csv", "jia/daily-2026-11-02.txt"] {
        let text = file_text(&env.path(&format!("reports/{rel}"))).replace(&crate::reports::font_line_zh(), "图表字体：(machine dependent)");
        let g = golden.join(rel);
        if std::env::var("UPDATE_GOLDEN").is_ok() {
            std::fs::create_dir_all(g.parent().unwrap()).unwrap();
            std::fs::write(&g, &text).unwrap();
        } else {
            let want = std::fs::read_to_string(&g).unwrap_or_else(|_| panic!("missing golden file {} (run with UPDATE_GOLDEN=1)", g.display()));
            assert_eq!(text, want, "{rel} differs from its golden file");
        }
    }
}

/// Wherever an id is shown its name column is never blank: the name, or the id.
#[test]
fn no_report_attachment_or_sql_view_shows_a_blank_where_a_name_is_missing() {
    let env = Env::new();
    seed_named(&env, HALLS);
    render_everything(&env);
    let mut checked = 0;
    for f in all_files(&env.path("reports")).into_iter().filter(|f| f.extension().is_some_and(|e| e == "csv")) {
        for r in csv_rows(&f) {
            for (id, name) in [("大厅", "大厅名称"), ("大厅编码", "大厅名称"), ("窗口", "窗口名称"), ("窗口编号", "窗口名称"), ("工号", "人员姓名"), ("受理人员", "人员姓名")] {
                let (Some(i), Some(n)) = (r.get(id), r.get(name)) else { continue };
                assert_eq!(i.is_empty(), n.is_empty(), "{}: {id} `{i}` beside {name} `{n}`", f.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "{checked}");
    let red = csv_rows(&env.path("reports/jia/monthly-2026-10-red-findings.csv"));
    assert!(red.iter().any(|r| r["大厅"] == "H02" && r["大厅名称"] == "H02"), "{red:?}");
    // SQL: every view with ids has its names, the id where the tables have none.
    for view in ["tickets_at", "cases_at", "ratings_at", "case_deadlines", "window_rankings", "latest_findings", "findings"] {
        let q = format!("SELECT count(*) AS n FROM {view} WHERE (hall_id IS NOT NULL AND COALESCE(hall_name, '') = '') OR (window_id IS NOT NULL AND COALESCE(window_name, '') = '')");
        let out = env.ww(&["sql", "--format", "csv", "-c", &q]).ok().stdout;
        assert_eq!(out.trim(), "n\n0", "{view}: {out}");
    }
    let q = "SELECT case_id, hall_name, window_name, staff_name FROM cases_at WHERE case_id IN ('C-H01-1', 'C-H01-2', 'C-H02-1') ORDER BY case_id";
    let out = env.ww(&["sql", "--format", "csv", "-c", q]).ok().stdout;
    assert_eq!(out, "case_id,hall_name,window_name,staff_name\nC-H01-1,历下区医疗保障服务大厅,1号窗口（门诊慢特病）,张晓明\nC-H01-2,历下区医疗保障服务大厅,W2,欧阳娜娜\nC-H02-1,H02,W1,S21\n");
    let table = env.ww_env(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "table"], &[]).stdout;
    assert!(table.contains("hall_name") && table.contains("历下区医疗保障服务大厅"), "{table}");
}

/// `[privacy] mask_staff = true`: no staff name in any report, attachment, chart title or SQL
/// answer; by default staff are named and applicants stay masked.
#[test]
fn mask_staff_hides_staff_names_and_applicants_stay_masked_either_way() {
    for mask in [false, true] {
        let env = Env::new();
        seed_named(&env, HALLS);
        if mask {
            let config = format!("{}\n[privacy]\nmask_staff = true\n", crate::reports::CONFIG);
            env.write("windowwatch.toml", config);
        }
        render_everything(&env);
        let mut everything = String::new();
        for f in all_files(&env.path("reports")) {
            everything.push_str(&file_text(&f));
        }
        for q in ["SELECT * FROM staff", "SELECT * FROM cases_at", "SELECT * FROM latest_findings", "SELECT * FROM ratings_at"] {
            everything.push_str(&env.ww(&["sql", "--format", "csv", "-c", q]).ok().stdout);
        }
        everything.push_str(&env.ww(&["sql", "--office", "jia", "--format", "csv", "-c", "SELECT * FROM staff"]).ok().stdout);
        everything.push_str(&env.ww_env(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "table"], &[]).stdout);
        for name in STAFF_NAMES {
            assert_eq!(everything.contains(name), !mask, "mask_staff = {mask}: {name}");
        }
        if mask {
            assert!(everything.contains("张**（S11）"), "masked like an applicant's name, id kept");
        }
        for secret in crate::reports::IDS.iter().chain(crate::reports::PHONES.iter()).chain(["张三丰", "欧阳修"].iter()) {
            assert!(!everything.contains(secret), "mask_staff = {mask}: {secret} shows");
        }
    }
}
