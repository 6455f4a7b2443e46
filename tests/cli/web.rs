//! `serve-web`, the browser workspace: over HTTP from here (logins, cookies, CSRF, the brake on
//! guessing, what an office's supervisor may see, escaping, masking, the XLSX export), and in a
//! real headless Chromium driven through chromedriver (tests/web_browser.py).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::common::{Env, Served, port_after};
use crate::reports::{CONFIG, IDS, PHONES, file_text, seed};

struct Server {
    _served: Served,
    port: u16,
}

/// A server started by `cmd` that names its workspace (`http://127.0.0.1:PORT/`) on its first line.
fn serving(cmd: &mut Command) -> Server {
    let (served, line) = Served::start(cmd);
    let port = port_after(&line, "http://127.0.0.1:").unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { _served: served, port }
}

/// `windowwatch passwd` with `pw` on standard input.
fn passwd(env: &Env, pw: &str) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_windowwatch")).current_dir(env.dir.path()).arg("passwd").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    c.stdin.take().unwrap().write_all(format!("{pw}\n").as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The seeded month, a case whose extension reason is markup, checked as of 2026-11-01, and a
/// config with a supervisor login of each office (one by hash, one by environment variable).
fn workspace() -> Env {
    let env = Env::new();
    seed(&env);
    env.write(
        "cases-script.csv",
        "办件编号,大厅编码,窗口编号,受理人员,事项编码,事项名称,办件类型,承诺时限,申请人,证件号码,联系电话,受理时间,办结时间,办理结果,补正次数,延期天数,延期理由\n\
         C-H01-1,H01,W1,S11,I1,门诊费用报销,承诺件,5,张三丰,110101199003071234,13800138000,2026-10-09 09:00:00,2026-10-20 10:00:00,办结,0,,<script>alert(1)</script>\n",
    );
    env.ww(&["ingest", "--table", "cases", "cases-script.csv"]).ok();
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    let hash = passwd(&env, "jia-s3cret");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let config = format!(
        "{CONFIG}\n[web]\nsession_minutes = 60\n\n[[web.users]]\nname = \"jia\"\nrole = \"supervisor\"\noffice = \"jia\"\npassword_hash = \"{hash}\"\n\n[[web.users]]\nname = \"yi\"\nrole = \"supervisor\"\noffice = \"yi\"\npassword_env = \"WW_TEST_WEB_YI\"\n"
    );
    env.write("windowwatch.toml", config);
    env.ww(&["config", "check"]).ok();
    env
}

/// The logins of every role (name, its `[[web.users]]` lines, its password variable, password).
const ROLE_LOGINS: [(&str, &str, &str, &str); 5] = [
    ("h01", "role = \"hall\"\nhall = \"H01\"", "WW_TEST_WEB_H01", "h01-s3cret"),
    ("h02", "role = \"hall\"\nhall = \"H02\"", "WW_TEST_WEB_H02", "h02-s3cret"),
    ("jia-bureau", "role = \"bureau\"\noffice = \"jia\"", "WW_TEST_WEB_BUREAU", "bureau-s3cret"),
    ("admin", "role = \"admin\"", "WW_TEST_WEB_ADMIN", "admin-s3cret"),
    ("jia2", "role = \"supervisor\"\noffice = \"jia\"", "WW_TEST_WEB_JIA2", "jia2-s3cret"),
];

/// The workspace with a login of every role besides the two supervisors.
fn workspace_with_roles() -> Env {
    let env = workspace();
    let mut config = std::fs::read_to_string(env.path("windowwatch.toml")).unwrap();
    for (name, role, var, _) in ROLE_LOGINS {
        config.push_str(&format!("\n[[web.users]]\nname = \"{name}\"\n{role}\npassword_env = \"{var}\"\n"));
    }
    env.write("windowwatch.toml", config);
    env.ww(&["config", "check"]).ok();
    env
}

fn start(env: &Env) -> Server {
    start_with(env, &[])
}

/// `serve-web` with more environment (e.g. `WINDOWWATCH_NOW`).
fn start_with(env: &Env, vars: &[(&str, &str)]) -> Server {
    serving(
        Command::new(env!("CARGO_BIN_EXE_windowwatch"))
            .current_dir(env.dir.path())
            .args(["--data", env.data().to_str().unwrap(), "serve-web", "--listen", "127.0.0.1:0"])
            .env("WW_TEST_WEB_YI", "yi-s3cret")
            .envs(vars.iter().copied())
            .envs(ROLE_LOGINS.iter().map(|(_, _, var, pw)| (*var, *pw)))
            .stderr(Stdio::inherit()),
    )
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    /// The value a Set-Cookie gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.header("set-cookie").into_iter().find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
    }

    fn csrf(&self) -> String {
        let t = self.text();
        let i = t.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf in {t}"));
        t[i + 19..].split('"').next().unwrap().to_string()
    }
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn http(port: u16, method: &str, path: &str, cookie: &str, form: Option<&[(&str, &str)]>) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = form.map(|f| f.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if form.is_some() {
        req.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 4 + n..];
    }
    out
}

/// Signs in: the login page's cookie and token, then the form. Returns the session cookie.
fn login(port: u16, name: &str, password: &str) -> Result<String, Resp> {
    let page = http(port, "GET", "/login", "", None);
    let pre = format!("ww_login={}", page.cookie("ww_login").unwrap());
    let r = http(port, "POST", "/login", &pre, Some(&[("csrf", &page.csrf()), ("name", name), ("password", password)]));
    match (r.status, r.cookie("ww_session")) {
        (303, Some(c)) if !c.is_empty() => Ok(format!("ww_session={c}")),
        _ => Err(r),
    }
}

fn assert_no_personal_data(what: &str, text: &str) {
    for s in IDS.iter().chain(PHONES.iter()) {
        assert!(!text.contains(s), "{what} shows {s} unmasked:\n{text}");
    }
}

#[test]
fn a_supervisor_sees_only_the_halls_of_the_office_masked_escaped_and_behind_csrf() {
    let env = workspace();
    let server = start(&env);
    let port = server.port;

    // Nothing without a session; the login form needs its token.
    assert_eq!(http(port, "GET", "/findings", "", None).status, 303);
    let page = http(port, "GET", "/login", "", None);
    let pre = format!("ww_login={}", page.cookie("ww_login").unwrap());
    let r = http(port, "POST", "/login", &pre, Some(&[("name", "jia"), ("password", "jia-s3cret")]));
    assert_eq!(r.status, 403, "a login without its CSRF token: {}", r.text());
    assert!(r.cookie("ww_session").is_none());

    // The session cookie: HttpOnly, SameSite=Strict, with a lifetime.
    let page = http(port, "GET", "/login", "", None);
    let pre = format!("ww_login={}", page.cookie("ww_login").unwrap());
    let r = http(port, "POST", "/login", &pre, Some(&[("csrf", &page.csrf()), ("name", "jia"), ("password", "jia-s3cret")]));
    assert_eq!(r.status, 303, "{}", r.text());
    let set = r.header("set-cookie").into_iter().find(|c| c.starts_with("ww_session=")).unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=3600", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    let jia = format!("ww_session={}", r.cookie("ww_session").unwrap());

    // Every page: the data's instant, the office's halls only, nothing personal in full.
    let overview = http(port, "GET", "/", &jia, None);
    assert_eq!(overview.status, 200);
    let o = overview.text();
    assert!(o.contains("数据截至 2026-11-01 00:00:00"), "{o}");
    assert!(o.contains("本月至今（2026-11）") && o.contains("上月（2026-10）"), "{o}");
    for csp in overview.header("content-security-policy") {
        assert!(csp.contains("script-src 'none'"), "{csp}");
    }
    let pages = [
        "/",
        "/findings",
        "/findings?hall=H03",
        "/findings?severity=red",
        "/finding?rule=time_limit.overdue_completed&id=C-H01-1",
        "/finding?rule=time_limit.overdue_completed&id=C-H03-1",
        "/findings?as_of=2026-10-15%2000%3A00%3A00",
    ];
    for p in pages {
        let r = http(port, "GET", p, &jia, None);
        // What the page shows, less the query it echoes in its own links.
        let t = r.text().replace("hall=H03", "");
        assert!(!t.contains("H03"), "{p} shows the other office's hall:\n{t}");
        assert_no_personal_data(p, &t);
    }
    let list = http(port, "GET", "/findings", &jia, None).text();
    assert!(list.contains("C-H01-1") && list.contains("H02"), "{list}");
    // URL tampering: another office's hall filters to nothing, its finding is not found.
    let r = http(port, "GET", "/findings?hall=H03", &jia, None);
    assert!(r.text().contains("共 0 条"), "{}", r.text());
    let r = http(port, "GET", "/finding?rule=time_limit.overdue_completed&id=C-H03-1", &jia, None);
    assert_eq!(r.status, 404);
    // The same finding is the other office's to see.
    let yi = login(port, "yi", "yi-s3cret").unwrap_or_else(|r| panic!("yi: {} {}", r.status, r.text()));
    let r = http(port, "GET", "/finding?rule=time_limit.overdue_completed&id=C-H03-1", &yi, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!http(port, "GET", "/findings", &yi, None).text().contains("H01"));

    // The detail page: the rule and its seed clause, the working days counted, the record masked
    // and its markup shown as text.
    let r = http(port, "GET", "/finding?rule=time_limit.overdue_completed&id=C-H01-1", &jia, None);
    assert_eq!(r.status, 200);
    let d = r.text();
    assert!(d.contains("超期办结") && d.contains("002 限时办结制"), "{d}");
    assert!(d.contains("共计 5 个工作日"), "accepted 10-09, five working days with Saturday 10-10 worked: {d}");
    assert!(d.contains("10-10（"), "the 调休 Saturday is named: {d}");
    assert!(d.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{d}");
    assert!(!d.contains("<script>"), "{d}");
    assert!(d.contains("110101********1234"), "the ID is shown masked: {d}");

    // The XLSX export: this office's halls only, masked, whatever the query asks.
    for q in ["", "?hall=H03", "?severity=red"] {
        let r = http(port, "GET", &format!("/findings.xlsx{q}"), &jia, None);
        assert_eq!(r.status, 200, "{q}");
        let p = env.write(&format!("export{}.xlsx", q.len()), &r.body);
        let text = file_text(&p);
        assert!(!text.contains("H03"), "{q}: {text}");
        assert_no_personal_data(q, &text);
        if q.is_empty() {
            assert!(text.contains("C-H01-1") && text.contains("对象编号"), "{text}");
        }
    }

    // As of before the run: no run to show yet; a malformed instant is refused.
    let r = http(port, "GET", "/?as_of=2026-10-01", &jia, None);
    assert!(r.text().contains("尚无检查记录"), "{}", r.text());
    assert_eq!(http(port, "GET", "/?as_of=yesterday", &jia, None).status, 400);

    // Logout is a POST with the session's token; without it, refused.
    let csrf = overview.csrf();
    assert_eq!(http(port, "POST", "/logout", &jia, Some(&[])).status, 403);
    assert_eq!(http(port, "POST", "/logout", &jia, Some(&[("csrf", "forged")])).status, 403);
    assert_eq!(http(port, "GET", "/", &jia, None).status, 200, "still signed in");
    assert_eq!(http(port, "POST", "/logout", &jia, Some(&[("csrf", &csrf)])).status, 303);
    assert_eq!(http(port, "GET", "/", &jia, None).status, 303, "signed out");
    // A forged cookie is no session.
    assert_eq!(http(port, "GET", "/", "ww_session=abc.def", None).status, 303);

    // Five wrong passwords in a row: the sixth attempt is held back, even with the right password.
    for i in 0..5 {
        let r = login(port, "jia", "wrong").err().unwrap_or_else(|| panic!("attempt {i} got in"));
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let r = login(port, "jia", "jia-s3cret").expect_err("held back");
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(!r.header("retry-after").is_empty());
    assert!(r.text().contains("登录失败次数过多"), "{}", r.text());
}

#[test]
fn a_supervisor_in_a_headless_browser_filters_findings_and_reads_the_working_days() {
    let chromedriver = std::env::var("WINDOWWATCH_TEST_CHROMEDRIVER").unwrap_or_else(|_| {
        panic!("WINDOWWATCH_TEST_CHROMEDRIVER is not set: the browser test needs Debian's chromium and chromium-driver; run scripts/test, which installs them")
    });
    let chromium = std::env::var("WINDOWWATCH_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let env = workspace_with_roles();
    let server = start(&env);
    let downloads = env.path("downloads");
    let shots = std::env::var("WINDOWWATCH_TEST_SCREENSHOTS").map(std::path::PathBuf::from).unwrap_or_else(|_| env.path("shots"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web_browser.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--chromedriver", &chromedriver, "--chromium", &chromium, "--url", &format!("http://127.0.0.1:{}", server.port)])
        .args(["--user", "jia", "--password", "jia-s3cret", "--hall", "H01", "--rule", "time_limit.overdue_completed", "--id", "C-H01-1"])
        .args(["--hall-user", "h01", "--hall-password", "h01-s3cret", "--bureau-user", "jia-bureau", "--bureau-password", "bureau-s3cret", "--month", "2026-10"])
        .arg("--shots")
        .arg(&shots)
        .arg("--downloads")
        .arg(&downloads)
        .output()
        .unwrap();
    assert!(out.status.success(), "web_browser.py failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let s = |k: &str| seen[k].as_str().unwrap_or_default().to_string();
    assert!(s("data_as_of").contains("数据截至 2026-11-01 00:00:00"), "{seen}");
    assert!(s("overview_headline").contains("红牌"), "{seen}");
    assert!(s("findings_url").contains("hall=H01") && s("findings_url").contains("rule=time_limit.overdue_completed"), "{seen}");
    assert!(s("count").contains("共 1 条"), "{seen}");
    assert!(s("table").contains("C-H01-1") && !s("table").contains("H02"), "{seen}");
    assert!(s("detail_url").contains("/finding?"), "{seen}");
    assert_eq!(s("workdays"), "自受理次日起至期限日，共计 5 个工作日", "{seen}");
    assert!(s("arithmetic").contains("调休上班"), "{seen}");
    assert!(s("rule").contains("002 限时办结制"), "{seen}");
    // The hall answered with an appeal, the supervisor accepted it: excused, one red card fewer.
    assert!(s("answered").contains("申诉待审核") || s("answered").contains("系统升级导致超期"), "{seen}");
    assert!(s("decided").contains("认可") && s("decided").contains("h01") && s("decided").contains("jia"), "{seen}");
    assert!(s("decided_finding").contains("已申诉认可"), "{seen}");
    let red = |k: &str| seen[k].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap_or_default().parse::<i64>().unwrap_or(-1)).collect::<Vec<_>>()).unwrap_or_default();
    let (before, after) = (red("red_before"), red("red_after"));
    assert_eq!(after[1], before[1] - 1, "last month's red cards: {seen}");
    assert_eq!(after[3], before[3] - 1, "the run's red cards: {seen}");
    // The bureau's register, downloaded by the browser, reads back.
    assert!(s("register_count").contains("登记"), "{seen}");
    let text = file_text(std::path::Path::new(&s("register_file")));
    assert!(text.contains("备案编号"), "{text}");
    assert!(!text.contains("H03"), "{text}");
    assert_no_personal_data("the downloaded register", &text);
    for f in ["web-overview.png", "web-finding.png"] {
        let bytes = std::fs::read(shots.join(f)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000, "{f}: {} bytes", bytes.len());
    }
}

fn signed(port: u16, name: &str) -> String {
    let pw = match name {
        "jia" => "jia-s3cret",
        "yi" => "yi-s3cret",
        _ => ROLE_LOGINS.iter().find(|l| l.0 == name).map(|l| l.3).unwrap(),
    };
    login(port, name, pw).unwrap_or_else(|r| panic!("{name}: {} {}", r.status, r.text()))
}

/// The text of the cells of the first table row after `marker` that holds `label`, tags removed.
fn row_after(html: &str, marker: &str, label: &str) -> Vec<String> {
    let rest = &html[html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"))..];
    let row = rest.split("<tr>").find(|r| r.contains(label)).unwrap_or_else(|| panic!("no row {label} in {rest}"));
    let row = row.split("</tr>").next().unwrap();
    row.split("<td").skip(1).map(|c| strip_tags(&format!("<td{c}"))).collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The first link to a finding's detail on a page: (rule, id, month).
fn first_finding(page: &str) -> (String, String, String) {
    let i = page.find("href=\"/finding?").unwrap_or_else(|| panic!("no finding in {page}"));
    let href = page[i + 15..].split('"').next().unwrap().replace("&amp;", "&");
    let get = |k: &str| href.split('&').find_map(|p| p.strip_prefix(&format!("{k}="))).map(pct_decode).unwrap_or_default();
    (get("rule"), get("id"), get("month"))
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn detail_path(rule: &str, id: &str, month: &str) -> String {
    format!("/finding?rule={}&id={}&month={}", enc(rule), enc(id), enc(month))
}

fn headline_red(port: u16, cookie: &str) -> Vec<String> {
    row_after(&http(port, "GET", "/", cookie, None).text(), "id=\"headline\"", "红牌")
}

#[test]
fn a_hall_answers_its_own_red_finding_a_supervisor_accepts_the_appeal_and_no_role_reaches_further() {
    let env = workspace_with_roles();
    let server = start(&env);
    let port = server.port;
    let (h01, h02, jia, yi, bureau, admin) = (signed(port, "h01"), signed(port, "h02"), signed(port, "jia"), signed(port, "yi"), signed(port, "jia-bureau"), signed(port, "admin"));
    let mine = first_finding(&http(port, "GET", "/findings?rule=time_limit.overdue_completed", &h01, None).text());
    assert_eq!(mine.1, "C-H01-1", "{mine:?}");
    let theirs = first_finding(&http(port, "GET", "/findings?hall=H02&severity=red", &jia, None).text());
    assert!(!theirs.1.is_empty(), "{theirs:?}");

    // A hall sees its own findings only: the other hall's by any spelling of its address is
    // not found, its filter gives nothing, its export holds nothing of it.
    let list = http(port, "GET", "/findings", &h01, None).text();
    assert!(list.contains("C-H01-1") && !list.contains("H02") && !list.contains("H03"), "{list}");
    let spellings = [
        detail_path(&theirs.0, &theirs.1, &theirs.2),
        format!("/finding?rule={}&id={}", theirs.0, theirs.1),
        format!("/finding?rule={}&id={}", theirs.0, theirs.1.to_lowercase()),
        format!("/finding/?rule={}&id={}", theirs.0, theirs.1),
        format!("/finding?rule={}&id={}%20", theirs.0, theirs.1),
        format!("/finding?rule={}&id={}&hall=H01", theirs.0, theirs.1),
    ];
    for p in &spellings {
        let r = http(port, "GET", p, &h01, None);
        assert_eq!(r.status, 404, "{p}: {}", r.text());
    }
    assert!(http(port, "GET", "/findings?hall=H02", &h01, None).text().contains("共 0 条"));
    let x = env.write("h01.xlsx", &http(port, "GET", "/findings.xlsx?hall=H02", &h01, None).body);
    assert!(!file_text(&x).contains("H02"), "{}", file_text(&x));
    assert_eq!(http(port, "GET", "/register", &h01, None).status, 403, "a hall reads no register");

    // The detail page offers the hall its answer; another hall cannot answer it, nor can the
    // hall answer the other's, and no form without its token.
    let mine_path = detail_path(&mine.0, &mine.1, &mine.2);
    let page = http(port, "GET", &mine_path, &h01, None);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("id=\"respond\"") && page.text().contains("未回告"), "{}", page.text());
    let csrf = page.csrf();
    let form = |csrf: &str, key: &(String, String, String), extra: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        let mut f = vec![("csrf".to_string(), csrf.to_string()), ("rule".into(), key.0.clone()), ("id".into(), key.1.clone()), ("month".into(), key.2.clone())];
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    let post = |path: &str, cookie: &str, f: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        http(port, "POST", path, cookie, Some(&pairs))
    };
    let explanation: &'static str = "<script>alert(2)</script> 系统故障，联系 13800138000";
    assert_eq!(post("/respond", &h01, &form(&csrf, &theirs, &[("explanation", "x")])).status, 404, "another hall's finding");
    assert_eq!(post("/respond", &h01, &form("", &mine, &[("explanation", "x")])).status, 403, "no token");
    assert_eq!(post("/respond", &h01, &form("forged", &mine, &[("explanation", "x")])).status, 403, "a forged token");
    let h02_csrf = http(port, "GET", "/", &h02, None).csrf();
    assert_eq!(post("/respond", &h02, &form(&h02_csrf, &mine, &[("explanation", "x")])).status, 404, "h02 answers H01's finding");
    let bureau_csrf = http(port, "GET", "/", &bureau, None).csrf();
    assert_eq!(post("/respond", &bureau, &form(&bureau_csrf, &mine, &[("explanation", "x")])).status, 403, "the bureau answers");
    assert_eq!(post("/decide", &bureau, &form(&bureau_csrf, &mine, &[("decision", "认可")])).status, 403, "the bureau decides");
    let jia_csrf = http(port, "GET", "/", &jia, None).csrf();
    assert_eq!(post("/respond", &jia, &form(&jia_csrf, &mine, &[("explanation", "x")])).status, 403, "a supervisor answers for the hall");
    assert_eq!(post("/decide", &jia, &form(&jia_csrf, &mine, &[("decision", "认可")])).status, 409, "no appeal yet");

    // The hall answers and appeals: recorded by the CLI's path, who and when; shown as text,
    // masked; answered once.
    let red_before = headline_red(port, &jia);
    let r = post("/respond", &h01, &form(&csrf, &mine, &[("explanation", explanation), ("appeal", "1")]));
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(post("/respond", &h01, &form(&csrf, &mine, &[("explanation", "again")])).status, 409, "answered once");
    let d = http(port, "GET", &mine_path, &h01, None).text();
    assert!(d.contains("申诉待审核") && d.contains("&lt;script&gt;alert(2)&lt;/script&gt;") && !d.contains("<script>"), "{d}");
    assert_no_personal_data("the answer", &d);
    assert!(!d.contains("id=\"respond\""), "no second form: {d}");
    let log = env.rows("response_log");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0]["responder"].as_str(), log[0]["appeal"].as_str()), ("h01", "true"), "{log:?}");

    // An office whose language is English reads English pages.
    let en = http(port, "GET", "/", &yi, None).text();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Data as of 2026-11-01 00:00:00") && en.contains("Halls ranked") && en.contains(">Red<"), "{en}");
    assert!(http(port, "GET", "/findings", &yi, None).text().contains("findings, page 1"));
    assert!(!http(port, "GET", "/", &jia, None).text().contains("Halls ranked"));

    // Another office's supervisor cannot decide it; the office's supervisor accepts it.
    let yi_csrf = http(port, "GET", "/", &yi, None).csrf();
    assert_eq!(post("/decide", &yi, &form(&yi_csrf, &mine, &[("decision", "认可")])).status, 404);
    assert_eq!(post("/decide", &jia, &form(&jia_csrf, &mine, &[("decision", "批准")])).status, 400);
    let page = http(port, "GET", &mine_path, &jia, None).text();
    assert!(page.contains("id=\"decide\""), "{page}");
    let r = post("/decide", &jia, &form(&jia_csrf, &mine, &[("decision", "认可")]));
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(post("/decide", &jia, &form(&jia_csrf, &mine, &[("decision", "不认可")])).status, 409, "decided once");
    let d = http(port, "GET", &mine_path, &jia, None).text();
    assert!(d.contains("已申诉认可") && d.contains("认可") && d.contains("jia"), "{d}");
    let log = env.rows("response_log");
    assert_eq!(log.len(), 2, "the first version stays: {log:?}");
    assert_eq!((log[1]["decision"].as_str(), log[1]["decided_by"].as_str()), ("认可", "jia"), "{log:?}");

    // Excused: out of the overview's counts (last month's red and the run's), listed as excused.
    let red_after = headline_red(port, &jia);
    let n = |v: &[String], i: usize| v[i].parse::<i64>().unwrap();
    assert_eq!(n(&red_after, 2), n(&red_before, 2) - 1, "{red_before:?} → {red_after:?}");
    assert_eq!(n(&red_after, 4), n(&red_before, 4) - 1, "{red_before:?} → {red_after:?}");
    assert!(http(port, "GET", "/findings?hall=H01", &h01, None).text().contains("已申诉认可"));
    // As of before the answer, the page shows none.
    let then = http(port, "GET", &format!("{mine_path}&as_of=2026-11-02"), &jia, None).text();
    assert!(then.contains("尚无回告") && !then.contains("id=\"decide\""), "{then}");

    // The register: the bureau's office only, masked, as a page and a workbook; the admin sees
    // every hall.
    let reg = http(port, "GET", "/register?month=2026-10", &bureau, None);
    assert_eq!(reg.status, 200, "{}", reg.text());
    assert!(reg.text().contains("否定备案登记表") && !reg.text().contains("H03"), "{}", reg.text());
    assert_no_personal_data("register", &reg.text());
    let x = http(port, "GET", "/register.xlsx?month=2026-10", &bureau, None);
    assert_eq!(x.status, 200);
    let text = file_text(&env.write("register.xlsx", &x.body));
    assert!(text.contains("备案编号") && !text.contains("H03"), "{text}");
    assert_no_personal_data("register.xlsx", &text);
    let c = http(port, "GET", "/register.csv?month=2026-10", &bureau, None);
    assert!(c.body.starts_with(b"\xEF\xBB\xBF") && String::from_utf8_lossy(&c.body).contains("备案编号"), "{}", c.text());
    // The archive of rendered reports: the office's own folder only, no path out of it.
    let jia_file = env.write("reports/jia/月报-jia-2026-10.txt", "甲 report");
    env.write("reports/yi/monthly-yi-2026-10.txt", "乙 report");
    let arch = http(port, "GET", "/archive", &bureau, None).text();
    assert!(arch.contains("月报-jia-2026-10.txt") && !arch.contains("monthly-yi"), "{arch}");
    let f = http(port, "GET", &format!("/archive/file?office=jia&name={}", enc("月报-jia-2026-10.txt")), &jia, None);
    assert_eq!((f.status, f.text().as_str()), (200, "甲 report"), "{:?}", jia_file);
    for p in ["/archive/file?office=yi&name=monthly-yi-2026-10.txt", "/archive/file?office=jia&name=..%2Fyi%2Fmonthly-yi-2026-10.txt", "/archive/file?office=jia%2F..%2Fyi&name=monthly-yi-2026-10.txt"] {
        assert_eq!(http(port, "GET", p, &jia, None).status, 404, "{p}");
    }
    assert_eq!(http(port, "GET", "/archive", &h01, None).status, 403);
    assert!(http(port, "GET", "/archive", &admin, None).text().contains("monthly-yi"));
    let status = http(port, "GET", "/admin", &admin, None);
    assert!(status.status == 200 && status.text().contains("定时任务") && status.text().contains("最近的检查批次"), "{}", status.text());
    assert_eq!(http(port, "GET", "/admin", &jia, None).status, 403);
    let all = http(port, "GET", "/findings?hall=H03", &admin, None).text();
    assert!(all.contains("H03") && !all.contains("共 0 条"), "{all}");
    for (who, cookie) in [("h01", &h01), ("h02", &h02), ("bureau", &bureau), ("jia", &jia)] {
        for p in ["/", "/findings", "/findings?severity=red", mine_path.as_str()] {
            let t = http(port, "GET", p, cookie, None).text();
            assert_no_personal_data(&format!("{who} {p}"), &t);
            assert!(!t.contains("H03"), "{who} {p}: {t}");
        }
    }
}

#[test]
fn serve_runs_the_workspace_beside_the_scheduler_when_web_logins_are_configured() {
    let env = workspace();
    let config = std::fs::read_to_string(env.path("windowwatch.toml")).unwrap().replace("[web]\n", "[web]\nlisten = \"127.0.0.1:0\"\n");
    env.write("windowwatch.toml", format!("{config}\n[[jobs]]\ntype = \"check\"\ncron = \"0 0 7 * * *\"\n"));
    let server = serving(Command::new(env!("CARGO_BIN_EXE_windowwatch")).current_dir(env.dir.path()).args(["--data", env.data().to_str().unwrap(), "serve"]).env_remove("WINDOWWATCH_NOW").stderr(Stdio::null()));
    let jia = login(server.port, "jia", "jia-s3cret").unwrap_or_else(|r| panic!("{} {}", r.status, r.text()));
    assert!(http(server.port, "GET", "/", &jia, None).text().contains("数据截至 2026-11-01 00:00:00"));
}

/// The reports' fixture with the reference tables of `names` (halls, windows, staff), checked,
/// with the supervisor of 甲, an admin and a daily check job; `mask_staff` as given.
fn named_workspace(mask_staff: bool) -> Env {
    let env = Env::new();
    crate::names::seed_named(&env, crate::names::HALLS);
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    let hash = passwd(&env, "jia-s3cret");
    let mut config = format!(
        "{CONFIG}\n[web]\n\n[[web.users]]\nname = \"jia\"\nrole = \"supervisor\"\noffice = \"jia\"\npassword_hash = \"{hash}\"\n\n[[web.users]]\nname = \"admin\"\nrole = \"admin\"\npassword_env = \"WW_TEST_WEB_ADMIN\"\n\n[[jobs]]\ntype = \"check\"\ncron = \"0 0 7 * * *\"\n"
    );
    if mask_staff {
        config.push_str("\n[privacy]\nmask_staff = true\n");
    }
    env.write("windowwatch.toml", config);
    env.ww(&["config", "check"]).ok();
    env
}

/// The table rows (cells, tags removed) of the element with `id`.
fn table_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let marker = format!("id=\"{id}\"");
    let rest = &html[html.find(&marker).unwrap_or_else(|| panic!("no {marker} in {html}"))..];
    let body = rest.split("<tbody>").nth(1).and_then(|b| b.split("</tbody>").next()).unwrap_or("");
    body.split("<tr>").skip(1).map(|r| r.split("<td").skip(1).map(|c| strip_tags(&format!("<td{c}"))).collect()).collect()
}

#[test]
fn names_stand_beside_ids_the_trend_counts_the_findings_and_the_admin_sees_each_jobs_next_run() {
    let env = named_workspace(false);
    let server = start_with(&env, &[("WINDOWWATCH_NOW", "2026-12-07 22:20:00")]);
    let port = server.port;
    let jia = signed(port, "jia");

    // Names beside the ids: the ranking, the list, the export, the detail.
    let overview = http(port, "GET", "/", &jia, None).text();
    let h01 = row_after(&overview, "id=\"halls\"", "H01");
    assert_eq!(h01.get(1).map(String::as_str), Some("历下区医疗保障服务大厅"), "{overview}");
    let list = http(port, "GET", "/findings?staff=S11", &jia, None).text();
    assert!(list.contains("<th>人员姓名</th>") && list.contains("张晓明") && list.contains("历下区医疗保障服务大厅") && list.contains("1号窗口（门诊慢特病）"), "{list}");
    let export = env.write("named.xlsx", &http(port, "GET", "/findings.xlsx", &jia, None).body);
    let text = file_text(&export);
    assert!(text.contains("人员姓名") && text.contains("张晓明") && text.contains("历下区医疗保障服务大厅"), "{text}");
    let detail = http(port, "GET", "/finding?rule=time_limit.overdue_completed&id=C-H01-1", &jia, None).text();
    assert!(detail.contains("张晓明") && detail.contains("历下区医疗保障服务大厅"), "{detail}");

    // The trend: an inline SVG (no script, no style attribute) and its table, whose months count
    // exactly the run's red and yellow findings that are not excused.
    assert!(overview.contains("<svg") && overview.contains("data-severity=\"red\""), "{overview}");
    let svg = &overview[overview.find("<svg").unwrap()..overview.find("</svg>").unwrap()];
    assert!(!svg.contains("style=") && !svg.contains("<script"), "{svg}");
    let q = "SELECT f.month, f.severity, count(*) AS n FROM findings f LEFT JOIN responses_at a ON a.rule = f.rule AND a.entity_id = f.entity_id AND a.month = f.month \
             WHERE f.run_id = (SELECT max(run_id) FROM check_runs) AND NOT COALESCE(a.excused, false) AND f.severity IN ('red', 'yellow') GROUP BY 1, 2";
    let out = env.ww(&["sql", "--office", "jia", "--format", "csv", "-c", q]).ok().stdout;
    let mut want = std::collections::BTreeMap::new();
    for line in out.lines().skip(1).filter(|l| !l.is_empty()) {
        let c: Vec<&str> = line.split(',').collect();
        want.insert((c[0].to_string(), c[1].to_string()), c[2].parse::<i64>().unwrap());
    }
    assert!(!want.is_empty(), "{out}");
    let rows = table_rows(&overview, "trend-table");
    assert!(!rows.is_empty() && rows.len() <= 12, "{rows:?}");
    for (month, _) in want.keys() {
        assert!(rows.iter().any(|r| &r[0] == month), "{month} missing from the trend: {rows:?}");
    }
    for r in &rows {
        for (k, sev) in [(1, "red"), (2, "yellow")] {
            let n = want.get(&(r[0].clone(), sev.to_string())).copied().unwrap_or(0);
            assert_eq!(r[k], n.to_string(), "{} {sev}: {rows:?} against {want:?}", r[0]);
            assert!(svg.contains(&format!("data-month=\"{}\" data-severity=\"{sev}\" data-count=\"{n}\"", r[0])), "{svg}");
        }
    }

    // The admin's page: the daily check's next run after now (22:20 on 12-07, China time).
    let admin = signed(port, "admin");
    let page = http(port, "GET", "/admin", &admin, None).text();
    let job = row_after(&page, "id=\"jobs\"", "check");
    assert_eq!(job.get(3).map(String::as_str), Some("2026-12-08 07:00:00"), "{page}");
    assert!(page.contains("<th>下次运行</th>"), "{page}");
    drop(server);

    // `[privacy] mask_staff`: the staff's names masked on every page and in the export.
    let env = named_workspace(true);
    let server = start(&env);
    let port = server.port;
    let jia = signed(port, "jia");
    let mut seen = String::new();
    for p in ["/", "/findings", "/findings?staff=S11", "/finding?rule=time_limit.overdue_completed&id=C-H01-1"] {
        seen.push_str(&http(port, "GET", p, &jia, None).text());
    }
    seen.push_str(&file_text(&env.write("masked.xlsx", &http(port, "GET", "/findings.xlsx", &jia, None).body)));
    for name in crate::names::STAFF_NAMES {
        assert!(!seen.contains(name), "{name} shown under mask_staff");
    }
    assert!(seen.contains("张*") && seen.contains("历下区医疗保障服务大厅"), "{seen}");
}
