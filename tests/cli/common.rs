//! Shared helpers: a temporary workspace, running the CLI, reading the warehouse back.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use windowwatch::store::Warehouse;

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn data(&self) -> PathBuf {
        self.path("data")
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs `windowwatch --data <tmp>/data ARGS` in the temp folder.
    pub fn ww(&self, args: &[&str]) -> Run {
        self.ww_env(args, &[])
    }

    pub fn ww_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.ww_under(&[], args, env)
    }

    /// Runs `windowwatch` as [`Env::ww_env`] does, under a wrapper command (`strace -f …`).
    pub fn ww_under(&self, wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Run {
        let data = self.data();
        let bin = env!("CARGO_BIN_EXE_windowwatch");
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.current_dir(self.dir.path()).arg("--data").arg(&data).args(args);
        cmd.env_remove("WINDOWWATCH_CONFIG").env_remove("WINDOWWATCH_DATA").env_remove("WINDOWWATCH_FAILPOINT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out: Output = cmd.output().expect("run windowwatch");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn warehouse(&self) -> Warehouse {
        Warehouse::open_existing(&self.data()).expect("warehouse exists")
    }

    /// All rows of a warehouse table as maps of column → displayed value.
    pub fn rows(&self, table: &str) -> Vec<BTreeMap<String, String>> {
        let snap = self.warehouse().current().unwrap().expect("a snapshot");
        batches_to_maps(&snap.read(table).unwrap())
    }

    /// Every file of the current snapshot with its bytes' hash (to compare warehouse states).
    pub fn state(&self) -> BTreeMap<String, String> {
        let snap = self.warehouse().current().unwrap().expect("a snapshot");
        let mut out = BTreeMap::new();
        walk(&snap.dir, &snap.dir, &mut out);
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            out.insert(p.strip_prefix(root).unwrap().display().to_string(), blake3::hash(&bytes).to_hex().to_string());
        }
    }
}

pub fn batches_to_maps(batches: &[RecordBatch]) -> Vec<BTreeMap<String, String>> {
    let mut rows = Vec::new();
    for b in batches {
        let t = windowwatch::output::textual(b).unwrap();
        for i in 0..t.num_rows() {
            let mut m = BTreeMap::new();
            for (f, c) in t.schema().fields().iter().zip(t.columns()) {
                let v = if c.is_null(i) {
                    "∅".to_string()
                } else if let Some(s) = c.as_string_opt::<i32>() {
                    s.value(i).to_string()
                } else {
                    datafusion::arrow::util::display::array_value_to_string(c, i).unwrap()
                };
                m.insert(f.name().clone(), v);
            }
            rows.push(m);
        }
    }
    rows
}

/// Encodes text as GB18030 bytes.
pub fn gb18030(s: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GB18030.encode(s);
    assert!(!bad);
    b.into_owned()
}

/// Parses JSON Lines output.
pub fn jsonl(s: &str) -> Vec<serde_json::Value> {
    s.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// A workbook written by hand, part by part (no writer library would write a hostile one):
/// one sheet named Sheet1 whose `<sheetData>` is `rows`, and a shared-strings part if given.
pub fn xlsx_by_hand(rows: &str, shared: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    const NS: &str = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const RELS: &str = "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"";
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, text: &str| {
        z.start_file(name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    };
    part("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>");
    part("_rels/.rels", &format!("<Relationships {RELS}><Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"));
    part("xl/workbook.xml", &format!("<workbook {NS} xmlns:r=\"{REL}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"));
    part("xl/_rels/workbook.xml.rels", &format!("<Relationships {RELS}><Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{REL}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"));
    part("xl/worksheets/sheet1.xml", &format!("<worksheet {NS}><sheetData>{rows}</sheetData></worksheet>"));
    if let Some(s) = shared {
        part("xl/sharedStrings.xml", s);
    }
    z.finish().unwrap().into_inner()
}

/// One row of inline-string cells starting at column A of sheet row `r` (1-based).
pub fn xlsx_row(r: u32, cells: &[&str]) -> String {
    let cols = |j: usize| ((b'A' + j as u8) as char).to_string();
    let cs: String = cells.iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(j, v)| format!("<c r=\"{}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>", cols(j))).collect();
    format!("<row r=\"{r}\">{cs}</row>")
}

/// Sets the uncompressed size the zip's central directory declares for the part `name`.
pub fn declare_part_size(bytes: &mut [u8], name: &str, size: u32) {
    let mut at = 0;
    while let Some(p) = bytes[at..].windows(4).position(|w| w == b"PK\x01\x02") {
        let h = at + p;
        let len = u16::from_le_bytes([bytes[h + 28], bytes[h + 29]]) as usize;
        if &bytes[h + 46..h + 46 + len] == name.as_bytes() {
            bytes[h + 24..h + 28].copy_from_slice(&size.to_le_bytes());
        }
        at = h + 4;
    }
}

/// A server a test starts on loopback (`serve-sql`, `serve-web`, the Python SMTP and robot
/// servers): it announces itself on the first line of its standard output, and is killed when
/// dropped.
pub struct Served {
    pub child: Child,
    /// Held open: the Python servers stop when their standard input closes.
    _stdin: Option<ChildStdin>,
}

impl Served {
    /// Spawns `cmd` with its standard output piped; returns it with that first line.
    pub fn start(cmd: &mut Command) -> (Served, String) {
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("starting {}: {e} (run scripts/test)", cmd.get_program().to_string_lossy()));
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        (Served { child, _stdin: stdin }, line)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port a server's first line names after `prefix` (`READY `, `listening on 127.0.0.1:`).
pub fn port_after(line: &str, prefix: &str) -> Option<u16> {
    line.split(prefix).nth(1)?.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// Tells a test server how to answer: it reads the rules file `path` on every request.
pub fn set_rules(path: &Path, rules: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec(rules).unwrap()).unwrap();
}

/// The `.json` files a test server recorded into `dir`, in name order (none when it wrote none).
pub fn recorded(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}
