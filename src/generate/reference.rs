//! The reference tables of the sample's halls (supervision.md, "Reference tables"): the halls with
//! their districts, the windows with their names and A岗/B岗, and the staff roster — written in
//! mixed contract forms beside the exports, with gaps planted on purpose: a staff id the exports
//! use that the roster lacks, a window without B岗, a window whose B岗 is its own A岗.
//!
//! A random stream of its own: the exports and their bad rows come out byte for byte as before.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::layout::Roles;
use super::model::{Records, Ts, Val, label, month_of};
use super::scenarios::{Expect, Hall};
use super::writers::{self, Encoding, Format, Headers, Missing, Row, Style};
use super::{GenerateError, ManifestFile, names};
use crate::contract::Table;

/// 济南市 districts by 行政区划代码 (the sample's hall ids); other codes get a numbered name.
const DISTRICTS: &[(&str, &str)] = &[
    ("370102", "历下区"),
    ("370103", "市中区"),
    ("370104", "槐荫区"),
    ("370105", "天桥区"),
    ("370112", "历城区"),
    ("370113", "长清区"),
    ("370114", "章丘区"),
    ("370115", "济阳区"),
    ("370116", "莱芜区"),
    ("370117", "钢城区"),
];

/// What a window handles, for its name (`5号窗口（异地就医备案）`).
const BUSINESS: &[&str] = &[
    "综合受理",
    "异地就医备案",
    "门诊慢特病待遇认定",
    "医保关系转移接续",
    "零星医疗费用报销",
    "参保登记",
    "生育保险待遇",
    "医保电子凭证激活",
    "灵活就业人员参保",
    "医疗救助",
];

/// The district of a hall id (the sample's 济南 codes), if known.
pub fn district(hall_id: &str) -> Option<&'static str> {
    DISTRICTS.iter().find(|(c, _)| *c == hall_id).map(|(_, d)| *d)
}

/// A hall's name: `历下区医疗保障服务大厅`.
pub fn hall_name(hall_id: &str) -> String {
    match district(hall_id) {
        Some(d) => format!("{d}医疗保障服务大厅"),
        None => format!("{hall_id}医疗保障服务大厅"),
    }
}

#[derive(Debug, Clone)]
pub struct HallRow {
    pub hall_id: String,
    pub hall_name: String,
    pub district: Option<String>,
    pub leader_name: Option<String>,
    pub leader_email: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WindowRow {
    pub hall_id: String,
    pub window_id: String,
    pub window_name: Option<String>,
    pub a_staff_id: Option<String>,
    pub b_staff_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub staff_id: String,
    pub staff_name: String,
    pub hall_id: String,
    /// As written in the file: 在编 / 非编 or a synonym the contract maps (正式在编, 合同制, …).
    pub employment: Option<&'static str>,
}

fn text(v: &Option<String>) -> Val {
    v.as_ref().map_or(Val::Null, |s| Val::Text(s.clone()))
}

impl HallRow {
    pub fn cells(&self) -> Vec<Val> {
        vec![Val::Text(self.hall_id.clone()), Val::Text(self.hall_name.clone()), text(&self.district), text(&self.leader_name), text(&self.leader_email)]
    }
}

impl WindowRow {
    pub fn cells(&self) -> Vec<Val> {
        vec![Val::Text(self.hall_id.clone()), Val::Text(self.window_id.clone()), text(&self.window_name), text(&self.a_staff_id), text(&self.b_staff_id)]
    }
}

impl StaffRow {
    pub fn cells(&self) -> Vec<Val> {
        let emp = self.employment.map_or(Val::Null, |e| if e == label::EMPLOYED || e == label::NOT_EMPLOYED { Val::Label(e) } else { Val::Raw(e.into()) });
        vec![Val::Text(self.staff_id.clone()), Val::Text(self.staff_name.clone()), Val::Text(self.hall_id.clone()), emp]
    }

    /// The label the warehouse stores.
    pub fn employment_label(&self) -> Option<&'static str> {
        self.employment.map(|e| if matches!(e, label::EMPLOYED | "正式在编") { label::EMPLOYED } else { label::NOT_EMPLOYED })
    }
}

/// The three reference tables of a generated set.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub halls: Vec<HallRow>,
    pub windows: Vec<WindowRow>,
    pub staff: Vec<StaffRow>,
}

impl Roster {
    pub fn staff_ids(&self) -> BTreeSet<String> {
        self.staff.iter().map(|s| s.staff_id.clone()).collect()
    }
}

/// Staff ids the final records name (tickets, cases, ratings created by `t`), with their months.
fn used_staff(finals: &Records, t: Ts) -> BTreeMap<String, BTreeSet<String>> {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |s: &Option<String>, at: Ts| {
        if let Some(s) = s
            && at <= t
        {
            used.entry(s.clone()).or_default().insert(month_of(at));
        }
    };
    finals.tickets.iter().for_each(|x| add(&x.staff_id, x.issued_at));
    finals.cases.iter().for_each(|x| add(&x.staff_id, x.accepted_at));
    finals.ratings.iter().for_each(|x| add(&x.staff_id, x.rated_at));
    used
}

fn employment(rng: &mut ChaCha8Rng) -> Option<&'static str> {
    match rng.random_range(0..20) {
        0 => None,
        1..=9 => Some(label::EMPLOYED),
        10..=11 => Some("正式在编"),
        12..=15 => Some(label::NOT_EMPLOYED),
        16 => Some("合同制"),
        17 => Some("劳务派遣"),
        _ => Some("编外"),
    }
}

/// The reference tables of `halls`, with the planted gaps and what they are meant to produce.
pub fn build(seed: u64, halls: &[Hall], roles: &Roles, finals: &Records, t: Ts) -> (Roster, Vec<Expect>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(15);
    let mut r = Roster::default();
    let mut expect = Vec::new();
    for h in halls {
        r.halls.push(HallRow {
            hall_id: h.id.clone(),
            hall_name: hall_name(&h.id),
            district: district(&h.id).map(String::from),
            leader_name: Some(names::leader(&mut rng)),
            // Only hall A's head has a mailbox: the others' warnings reach the office alone.
            leader_email: (h.id == roles.a).then(|| format!("leader-{}@example.org", h.id)),
        });
        let mut business = BUSINESS.to_vec();
        business.shuffle(&mut rng);
        let n = h.windows.len();
        for (k, w) in h.windows.iter().enumerate() {
            let num: u32 = w.id.trim_start_matches('W').parse().unwrap_or(k as u32 + 1);
            let a = w.staff.first().cloned();
            // 第三条: a window of one person gets its B岗 from a neighbouring window (互为AB岗).
            let b = w.staff.get(1).cloned().or_else(|| h.windows[(k + 1) % n].staff.first().cloned()).filter(|b| Some(b) != a.as_ref());
            r.windows.push(WindowRow {
                hall_id: h.id.clone(),
                window_id: w.id.clone(),
                window_name: Some(format!("{num}号窗口（{}）", business[k % business.len()])),
                a_staff_id: a,
                b_staff_id: b,
            });
        }
    }
    plant_windows(&mut r, &mut rng, roles, t, &mut expect);
    let used = used_staff(finals, t);
    let mut roster_ids: BTreeMap<String, String> = BTreeMap::new();
    for h in halls {
        for w in &h.windows {
            for s in &w.staff {
                roster_ids.insert(s.clone(), h.id.clone());
            }
        }
    }
    // The staff member the roster forgot: the one the records name in the most months.
    let missing = used.iter().filter(|(s, _)| roster_ids.contains_key(*s)).max_by_key(|(s, m)| (m.len(), std::cmp::Reverse((*s).clone()))).map(|(s, _)| s.clone());
    for (id, hall) in &roster_ids {
        if Some(id) == missing.as_ref() {
            continue;
        }
        r.staff.push(StaffRow { staff_id: id.clone(), staff_name: names::person_name(&mut rng), hall_id: hall.clone(), employment: employment(&mut rng) });
    }
    if let Some(m) = missing {
        expect.push(Expect { rule: "roster.unknown_staff", entity_id: m, month: None, present: true, what: "a staff id of the exports left out of the staff table" });
    }
    if let Some(s) = r.staff.first() {
        expect.push(Expect { rule: "roster.unknown_staff", entity_id: s.staff_id.clone(), month: None, present: false, what: "a staff id in the staff table" });
    }
    (r, expect)
}

/// Hall A: one window loses its B岗; hall B: one window's B岗 is its A岗 (both roster.no_backup).
fn plant_windows(r: &mut Roster, rng: &mut ChaCha8Rng, roles: &Roles, t: Ts, expect: &mut Vec<Expect>) {
    let month = Some(month_of(t));
    for (hall, what) in [(&roles.a, "a window without B岗"), (&roles.b, "a window whose B岗 is its A岗")] {
        let idx: Vec<usize> = (0..r.windows.len()).filter(|i| r.windows[*i].hall_id == *hall && r.windows[*i].a_staff_id.is_some()).collect();
        if idx.is_empty() {
            continue;
        }
        let w = &mut r.windows[idx[rng.random_range(0..idx.len())]];
        w.b_staff_id = if *hall == roles.a { None } else { w.a_staff_id.clone() };
        expect.push(Expect { rule: "roster.no_backup", entity_id: format!("{}/{}", w.hall_id, w.window_id), month: month.clone(), present: true, what });
    }
    if let Some(w) = r.windows.iter().find(|w| w.hall_id == roles.c) {
        expect.push(Expect {
            rule: "roster.no_backup",
            entity_id: format!("{}/{}", w.hall_id, w.window_id),
            month,
            present: false,
            what: "a window with its own B岗 or a neighbour's",
        });
    }
    // Hall C's last window has no name: reports show its id.
    if let Some(w) = r.windows.iter_mut().rev().find(|w| w.hall_id == roles.c) {
        w.window_name = None;
    }
}

/// One reference file to write: table, file name, style, rows.
struct RefFile {
    table: Table,
    path: &'static str,
    style: Style,
    rows: Vec<Vec<Val>>,
}

fn files(r: &Roster, roles: &Roles) -> Vec<RefFile> {
    let csv = |encoding: Encoding| Format::Csv { delimiter: b',', encoding, crlf: false, quote_all: false };
    let mut halls = Style::new(csv(Encoding::Utf8), Headers::Zh(0));
    halls.missing = vec![Missing::Empty];
    let mut windows = Style::new(Format::Xlsx, Headers::Zh(1));
    windows.missing = vec![Missing::Native];
    windows.sheet = "窗口与AB岗";
    let mut staff_gb = Style::new(csv(Encoding::Gb18030), Headers::Zh(0));
    staff_gb.missing = vec![Missing::Empty];
    let mut staff_json = Style::new(Format::Jsonl, Headers::Zh(1));
    staff_json.missing = vec![Missing::Native, Missing::Omit];
    let (c_staff, ab_staff): (Vec<&StaffRow>, Vec<&StaffRow>) = r.staff.iter().partition(|s| s.hall_id == roles.c);
    vec![
        RefFile { table: Table::Halls, path: "halls.csv", style: halls, rows: r.halls.iter().map(HallRow::cells).collect() },
        RefFile { table: Table::Windows, path: "windows.xlsx", style: windows, rows: r.windows.iter().map(WindowRow::cells).collect() },
        RefFile { table: Table::Staff, path: "staff.csv", style: staff_gb, rows: ab_staff.iter().map(|s| s.cells()).collect() },
        RefFile { table: Table::Staff, path: "staff_c.jsonl", style: staff_json, rows: c_staff.iter().map(|s| s.cells()).collect() },
    ]
}

/// Writes the reference files into `out`: halls (CSV UTF-8), windows (XLSX), staff (CSV GB18030
/// for halls A and B, JSON Lines for hall C), all with Chinese headers.
pub fn write(out: &Path, seed: u64, r: &Roster, roles: &Roles, created: Ts) -> Result<Vec<ManifestFile>, GenerateError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(16);
    let mut manifest = Vec::new();
    for f in files(r, roles) {
        let rows: Vec<Row> = f.rows.into_iter().map(Row::Cells).collect();
        let path = if f.path == "staff_c.jsonl" { format!("staff_{}.jsonl", roles.c) } else { f.path.to_string() };
        writers::write_file(&out.join(&path), f.table, &f.style, &rows, &mut rng, created)?;
        manifest.push(ManifestFile {
            table: f.table.name().into(),
            path,
            format: f.style.format.name().into(),
            encoding: f.style.format.encoding().map(|e| e.name().into()),
            numeric_levels: None,
            rows: rows.len() as u64,
        });
    }
    Ok(manifest)
}
