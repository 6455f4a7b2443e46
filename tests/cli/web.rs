//! `serve-web`, the browser workspace: over HTTP from here (logins, cookies, CSRF, the brake on
//! guessing, what an office's supervisor may see, escaping, masking, the XLSX export), and in a
//! real headless Chromium driven through chromedriver (tests/web_browser.py).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::common::Env;
use crate::reports::{CONFIG, IDS, PHONES, file_text, seed};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

fn start(env: &Env) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_windowwatch"))
        .current_dir(env.dir.path())
        .args(["--data", env.data().to_str().unwrap(), "serve-web", "--listen", "127.0.0.1:0"])
        .env("WW_TEST_WEB_YI", "yi-s3cret")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.split("http://127.0.0.1:").nth(1).and_then(|s| s.split('/').next()).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { child, port }
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
    let r = login(port, "jia", "jia-s3cret").err().expect("held back");
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
    let env = workspace();
    let server = start(&env);
    let shots = std::env::var("WINDOWWATCH_TEST_SCREENSHOTS").map(std::path::PathBuf::from).unwrap_or_else(|_| env.path("shots"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web_browser.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--chromedriver", &chromedriver, "--chromium", &chromium, "--url", &format!("http://127.0.0.1:{}", server.port)])
        .args(["--user", "jia", "--password", "jia-s3cret", "--hall", "H01", "--rule", "time_limit.overdue_completed", "--id", "C-H01-1"])
        .arg("--shots")
        .arg(&shots)
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
    for f in ["web-overview.png", "web-finding.png"] {
        let bytes = std::fs::read(shots.join(f)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000, "{f}: {} bytes", bytes.len());
    }
}
