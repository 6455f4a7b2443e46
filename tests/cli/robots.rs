//! Group-chat robots through the CLI against a robot on loopback (`tests/robot_server.py`, Python
//! standard library only) that checks each payload as WeCom and DingTalk document it and verifies
//! DingTalk's timestamp + sign against the secret: each post holds only its office's or hall's
//! halls, masked, goes once per period, a refusal is recorded and posted by the next run, and no
//! URL or secret ever shows in the output.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{Env, Run, Served, port_after, recorded, set_rules};

const TOKEN_JIA: &str = "tokJIA0c7e5d1f9a";
const SECRET_JIA: &str = "SECjia-5f2b9e-签名";
const KEY_YI: &str = "keyYI-8d3c2a77";
const KEY_H02: &str = "keyH02-41b6e0c3";

const CONFIG: &str = r#"
[[offices]]
id = "jia"
name = "甲区医保局监督科"
halls = ["H01", "H02"]
to = ["jia@example.cn"]
webhook = { kind = "dingtalk", url_env = "WW_ROBOT_JIA", secret_env = "WW_ROBOT_JIA_SECRET" }

[[offices]]
id = "yi"
name = "乙区医保局监督科"
halls = ["H03"]
to = ["yi@example.cn"]
cc = ["yi-boss@example.cn"]
language = "en"
webhook = { kind = "wecom", url_env = "WW_ROBOT_YI" }

[[hall_webhooks]]
hall = "H02"
kind = "wecom"
url_env = "WW_ROBOT_H02"
"#;

struct Robot {
    _served: Served,
    port: u16,
    dir: PathBuf,
    rules: PathBuf,
}

/// One POST as the robot recorded it.
#[derive(Debug)]
struct Post {
    key: String,
    kind: String,
    problems: Vec<String>,
    errcode: i64,
    /// The markdown: WeCom's content or DingTalk's title + text.
    text: String,
}

impl Robot {
    fn start(env: &Env, secret: &str) -> Robot {
        let python = std::env::var("WINDOWWATCH_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = env.path("robot");
        let rules = env.path("robot-rules.json");
        let (served, line) = Served::start(
            Command::new(&python)
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/robot_server.py"))
                .arg("--dir")
                .arg(&dir)
                .arg("--rules")
                .arg(&rules)
                .args(["--secret", secret])
                .stdin(Stdio::piped()),
        );
        let port = port_after(&line, "READY ").unwrap_or_else(|| panic!("the robot did not start: {line:?}"));
        Robot { _served: served, port, dir, rules }
    }

    /// The environment a run needs: the robots' URLs (carrying their keys) and the secret.
    fn env(&self) -> Vec<(&'static str, String)> {
        let base = format!("http://127.0.0.1:{}", self.port);
        vec![
            ("WW_ROBOT_JIA", format!("{base}/robot/send?access_token={TOKEN_JIA}")),
            ("WW_ROBOT_JIA_SECRET", SECRET_JIA.to_string()),
            ("WW_ROBOT_YI", format!("{base}/cgi-bin/webhook/send?key={KEY_YI}")),
            ("WW_ROBOT_H02", format!("{base}/cgi-bin/webhook/send?key={KEY_H02}")),
            ("WINDOWWATCH_NOW", "2026-11-02 08:00:00".to_string()),
        ]
    }

    fn set_rules(&self, rules: Value) {
        set_rules(&self.rules, &rules);
    }

    fn posts(&self) -> Vec<Post> {
        recorded(&self.dir)
            .iter()
            .map(|f| {
                let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
                let md = &v["body"]["markdown"];
                let text = ["title", "text", "content"].iter().filter_map(|k| md[k].as_str()).collect::<Vec<_>>().join("\n");
                Post {
                    key: v["key"].as_str().unwrap_or("").to_string(),
                    kind: v["kind"].as_str().unwrap().to_string(),
                    problems: v["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect(),
                    errcode: v["reply"]["errcode"].as_i64().unwrap(),
                    text,
                }
            })
            .collect()
    }
}

fn run(env: &Env, robot: &Robot, args: &[&str]) -> Run {
    let vars = robot.env();
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.ww_env(args, &pairs);
    for secret in [TOKEN_JIA, SECRET_JIA, KEY_YI, KEY_H02, "access_token=", "key=key"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "{secret} shows in the output of {args:?}:\n{}\n{}", r.stdout, r.stderr);
    }
    r
}

fn setup() -> (Env, Robot) {
    let env = Env::new();
    crate::reports::seed(&env);
    env.write("windowwatch.toml", CONFIG);
    let robot = Robot::start(&env, SECRET_JIA);
    (env, robot)
}

fn robot_ledger(env: &Env) -> Vec<(String, String, String, String)> {
    env.rows("deliveries")
        .into_iter()
        .filter(|r| r["recipient"].starts_with("robot:"))
        .map(|r| (r["office_id"].clone(), r["report"].clone(), r["recipient"].clone(), r["status"].clone()))
        .collect()
}

#[test]
fn robots_post_only_their_halls_masked_and_signed_once_per_period() {
    let (env, robot) = setup();
    run(&env, &robot, &["send", "daily", "--as-of", "2026-11-02 08:00:00"]).ok();
    let posts = robot.posts();
    assert!(posts.iter().all(|p| p.problems.is_empty() && p.errcode == 0), "{posts:#?}");
    let jia: Vec<&Post> = posts.iter().filter(|p| p.key == TOKEN_JIA).collect();
    let h02: Vec<&Post> = posts.iter().filter(|p| p.key == KEY_H02).collect();
    assert_eq!((jia.len(), h02.len()), (1, 1), "{posts:#?}");
    assert_eq!((jia[0].kind.as_str(), h02[0].kind.as_str()), ("dingtalk", "wecom"));
    assert!(jia[0].text.contains("C-H02-2") && jia[0].text.contains("outbox/jia/daily-2026-11-02.eml"), "{}", jia[0].text);
    assert!(h02[0].text.contains("C-H02-2") && h02[0].text.contains("大厅 H02"), "{}", h02[0].text);
    for p in &posts {
        let others: &[&str] = match p.key.as_str() {
            TOKEN_JIA => &["H03"],
            KEY_H02 => &["H01", "H03"],
            _ => &["H01", "H02"],
        };
        for o in others {
            assert!(!p.text.contains(o), "the post to {} holds {o}:\n{}", p.key, p.text);
        }
        for secret in crate::reports::IDS.iter().chain(crate::reports::PHONES.iter()).chain(["张三丰", "欧阳修"].iter()) {
            assert!(!p.text.contains(secret), "the post to {} shows {secret}:\n{}", p.key, p.text);
        }
    }
    let again = run(&env, &robot, &["send", "daily", "--as-of", "2026-11-02 08:00:00"]).ok();
    assert_eq!(robot.posts().len(), posts.len(), "a second run posts nothing:\n{}", again.stdout);
    assert!(again.stdout.contains("robot:office") && again.stdout.contains("already sent"), "{}", again.stdout);

    run(&env, &robot, &["send", "monthly", "--month", "2026-10"]).ok();
    let monthly: Vec<Post> = robot.posts().into_iter().skip(posts.len()).collect();
    assert_eq!(monthly.len(), 3, "office jia, hall H02, office yi: {monthly:#?}");
    for p in &monthly {
        assert!(p.problems.is_empty() && p.errcode == 0, "{p:#?}");
        assert!(p.text.contains("monthly-2026-10.html") && p.text.contains("monthly-2026-10.eml"), "where to find it:\n{}", p.text);
    }
    let h02m = monthly.iter().find(|p| p.key == KEY_H02).unwrap();
    assert!(h02m.text.contains("大厅 H02 2026年10月"), "{}", h02m.text);
    // The hall's own figures, not its office's: H02 accepted 3 of 甲's 5 October cases.
    let jiam = monthly.iter().find(|p| p.key == TOKEN_JIA).unwrap();
    assert!(h02m.text.contains("受理 3 件") && jiam.text.contains("受理 5 件"), "{}\n{}", h02m.text, jiam.text);
    assert!(monthly.iter().find(|p| p.key == KEY_YI).unwrap().text.contains("Mail in the outbox"));
    run(&env, &robot, &["send", "monthly", "--month", "2026-10"]).ok();
    assert_eq!(robot.posts().len(), posts.len() + 3, "a second monthly run posts nothing");
    let ledger = robot_ledger(&env);
    assert!(ledger.contains(&("jia".into(), "daily".into(), "robot:hall:H02".into(), "sent".into())), "{ledger:?}");
    assert!(ledger.contains(&("yi".into(), "monthly".into(), "robot:office".into(), "sent".into())), "{ledger:?}");
}

#[test]
fn a_refusal_is_recorded_as_failed_and_posted_by_the_next_run() {
    let (env, robot) = setup();
    robot.set_rules(serde_json::json!({ TOKEN_JIA: {"errcode": 310000, "errmsg": "keywords not in content"} }));
    let r = run(&env, &robot, &["send", "daily", "--as-of", "2026-11-02 08:00:00"]);
    assert_eq!(r.code, 2, "a refused post is not delivered:\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("310000") && r.stdout.contains("keywords not in content"), "{}", r.stdout);
    let ledger = robot_ledger(&env);
    assert!(ledger.contains(&("jia".into(), "daily".into(), "robot:office".into(), "failed".into())), "{ledger:?}");
    assert!(ledger.contains(&("jia".into(), "daily".into(), "robot:hall:H02".into(), "sent".into())), "{ledger:?}");
    let first = robot.posts();
    assert_eq!(first.iter().filter(|p| p.key == TOKEN_JIA).count(), 1, "a refusal is not retried in the same run");

    robot.set_rules(serde_json::json!({}));
    run(&env, &robot, &["send", "daily", "--as-of", "2026-11-02 08:00:00"]).ok();
    let second: Vec<Post> = robot.posts().into_iter().skip(first.len()).collect();
    assert_eq!(second.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), vec![TOKEN_JIA], "only the refused post again: {second:#?}");
    assert_eq!(second[0].errcode, 0);
    run(&env, &robot, &["send", "daily", "--as-of", "2026-11-02 08:00:00"]).ok();
    assert_eq!(robot.posts().len(), first.len() + 1);
}

#[test]
fn a_wrong_secret_is_refused_by_the_robot_and_a_missing_variable_is_named() {
    let env = Env::new();
    crate::reports::seed(&env);
    env.write("windowwatch.toml", CONFIG);
    let robot = Robot::start(&env, "SECsome-other-secret");
    let vars = robot.env();
    let pairs: Vec<(&str, &str)> = vars.iter().filter(|(k, _)| *k != "WW_ROBOT_H02").map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.ww_env(&["send", "daily", "--as-of", "2026-11-02 08:00:00"], &pairs);
    assert_eq!(r.code, 2, "{}", r.stdout);
    for secret in [TOKEN_JIA, SECRET_JIA, KEY_YI, "access_token="] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "{secret} shows:\n{}\n{}", r.stdout, r.stderr);
    }
    let posts = robot.posts();
    let jia: Vec<&Post> = posts.iter().filter(|p| p.key == TOKEN_JIA).collect();
    assert_eq!(jia.len(), 1);
    assert!(jia[0].problems.iter().any(|p| p.contains("sign does not match")), "{jia:#?}");
    assert!(r.stdout.contains("sign does not match"), "{}", r.stdout);
    assert!(!posts.iter().any(|p| p.key == KEY_H02), "no URL, no post");
    assert!(r.stdout.contains("WW_ROBOT_H02"), "the missing variable is named:\n{}", r.stdout);
    let ledger = robot_ledger(&env);
    assert!(ledger.contains(&("jia".into(), "daily".into(), "robot:hall:H02".into(), "failed".into())), "{ledger:?}");
}
