//! Who is signed in: the logins of `[[web.users]]` (an argon2 hash, or a password in an
//! environment variable as the SQL logins have), the sessions (a random id in a cookie signed with
//! a keyed BLAKE3 MAC, HttpOnly and SameSite=Strict, expiring; the session holds its CSRF token),
//! and the brake on guessing: after five failed attempts for a name or from an address, the next
//! attempt waits, longer with every further failure.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{Config, WebRole, WebUser};
use crate::session::Access;

/// The cookie of a signed-in session.
pub const SESSION_COOKIE: &str = "ww_session";
/// The cookie the login form's CSRF token is derived from (before anyone is signed in).
pub const LOGIN_COOKIE: &str = "ww_login";

/// Failures allowed before attempts are held back.
pub const FREE_FAILURES: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(30);

/// A login as the server keeps it.
pub struct Login {
    pub user: WebUser,
    pub access: Access,
    /// The login's office reads English (`language = "en"`): its pages are in English.
    pub english: bool,
    secret: Secret,
}

enum Secret {
    Hash(String),
    /// The password from the environment, kept as its hash (compared in constant time).
    Plain(blake3::Hash),
    /// The variable was empty or unset: this login cannot sign in.
    Missing,
}

/// A signed-in session.
#[derive(Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    pub expires: Instant,
}

pub struct Auth {
    key: [u8; 32],
    pub logins: HashMap<String, Login>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    pub lifetime: Duration,
    /// A hash to verify against for unknown names, so they take as long as known ones.
    dummy: String,
}

/// The access of a web login: its office's (or its hall's) halls, masked unless the office or
/// the login may see personal data.
pub fn access_of(config: &Config, u: &WebUser) -> Access {
    let mut a = access_before_staff(config, u);
    // `[privacy] mask_staff`: staff names masked in a masked session, as in SQL and reports.
    a.mask_staff = config.mask_staff && a.masked;
    a
}

fn access_before_staff(config: &Config, u: &WebUser) -> Access {
    let office_of_hall = |h: &str| config.offices.iter().find(|o| o.halls.iter().any(|x| x == h));
    match u.role {
        WebRole::Admin => Access { halls: None, office: None, masked: !u.show_personal_data, mask_staff: false },
        WebRole::Hall => {
            let hall = u.hall.clone().unwrap_or_default();
            let office = office_of_hall(&hall);
            Access { halls: Some(vec![hall]), office: office.map(|o| o.id.clone()), masked: !(u.show_personal_data || office.is_some_and(|o| o.show_personal_data)), mask_staff: false }
        }
        WebRole::Supervisor | WebRole::Bureau => match u.office.as_deref().and_then(|id| config.offices.iter().find(|o| o.id == id)) {
            Some(o) => Access { halls: Some(o.halls.clone()), office: Some(o.id.clone()), masked: !(u.show_personal_data || o.show_personal_data), mask_staff: false },
            None => Access { halls: Some(Vec::new()), office: u.office.clone(), masked: true, mask_staff: false },
        },
    }
}

/// Whether the login's office (its own, or its hall's) reads English.
fn english(config: &Config, u: &WebUser) -> bool {
    let office = match (&u.office, &u.hall) {
        (Some(id), _) => config.offices.iter().find(|o| &o.id == id),
        (None, Some(h)) => config.offices.iter().find(|o| o.halls.iter().any(|x| x == h)),
        _ => None,
    };
    office.is_some_and(|o| o.language == "en")
}

pub fn role_zh(r: WebRole) -> &'static str {
    match r {
        WebRole::Supervisor => "监督员",
        WebRole::Hall => "大厅",
        WebRole::Bureau => "医保局",
        WebRole::Admin => "管理员",
    }
}

/// An argon2id hash (PHC string) of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::PasswordHasher;
    let salt_bytes: [u8; 16] = rand::random();
    let salt = argon2::password_hash::SaltString::encode_b64(&salt_bytes)?;
    Ok(argon2::Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

fn verify_hash(phc: &str, password: &str) -> bool {
    use argon2::PasswordVerifier;
    match argon2::password_hash::PasswordHash::new(phc) {
        Ok(h) => argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_token() -> String {
    hex(&rand::random::<[u8; 24]>())
}

/// Compares two strings in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// How a login attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    Ok,
    Wrong,
    /// Too many failures: try again after this long.
    Wait(Duration),
}

impl Auth {
    /// The logins of the config, the session key from `secret_env` (else a random one for this
    /// process). Logins whose password variable is unset are kept but cannot sign in.
    pub fn new(config: &Config) -> Auth {
        let key = match config.web.secret_env.as_deref().and_then(|v| std::env::var(v).ok()).filter(|s| !s.is_empty()) {
            Some(s) => blake3::derive_key("windowwatch web session key v1", s.as_bytes()),
            None => rand::random(),
        };
        let mut logins = HashMap::new();
        for u in &config.web.users {
            let secret = match (&u.password_hash, &u.password_env) {
                (Some(h), _) => Secret::Hash(h.clone()),
                (None, Some(v)) => match std::env::var(v) {
                    Ok(p) if !p.is_empty() => Secret::Plain(blake3::hash(p.as_bytes())),
                    _ => {
                        tracing::warn!(user = %u.name, variable = %v, "no password in the environment: this login cannot sign in");
                        Secret::Missing
                    }
                },
                (None, None) => Secret::Missing,
            };
            logins.insert(u.name.clone(), Login { user: u.clone(), access: access_of(config, u), english: english(config, u), secret });
        }
        let dummy = hash_password("windowwatch-dummy").unwrap_or_default();
        Auth { key, logins, sessions: Mutex::new(HashMap::new()), failures: Mutex::new(HashMap::new()), lifetime: Duration::from_secs(config.web.session_minutes * 60), dummy }
    }

    fn mac(&self, what: &str) -> String {
        hex(blake3::keyed_hash(&self.key, what.as_bytes()).as_bytes())
    }

    /// `value.mac`, for a cookie.
    pub fn sign(&self, value: &str) -> String {
        format!("{value}.{}", self.mac(value))
    }

    /// The value of a signed cookie, when its MAC is right.
    pub fn unsign<'a>(&self, cookie: &'a str) -> Option<&'a str> {
        let (value, mac) = cookie.rsplit_once('.')?;
        same(&self.mac(value), mac).then_some(value)
    }

    /// The CSRF token of the login form, bound to the nonce of its cookie.
    pub fn login_csrf(&self, nonce: &str) -> String {
        self.mac(&format!("login-csrf:{nonce}"))
    }

    pub fn new_nonce(&self) -> String {
        random_token()
    }

    /// Checks a login attempt from `addr`, holding back names and addresses with too many failures.
    pub fn attempt(&self, name: &str, password: &str, addr: &str) -> Attempt {
        let keys = [format!("user:{name}"), format!("addr:{addr}")];
        if let Some(wait) = keys.iter().filter_map(|k| self.wait(k)).max() {
            return Attempt::Wait(wait);
        }
        let ok = match self.logins.get(name).map(|l| &l.secret) {
            Some(Secret::Hash(h)) => verify_hash(h, password),
            Some(Secret::Plain(p)) => blake3::hash(password.as_bytes()) == *p,
            Some(Secret::Missing) | None => {
                verify_hash(&self.dummy, password);
                false
            }
        };
        let Ok(mut f) = self.failures.lock() else { return Attempt::Wrong };
        if ok {
            for k in &keys {
                f.remove(k);
            }
            return Attempt::Ok;
        }
        let now = Instant::now();
        if f.len() > 100_000 {
            f.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(3600));
        }
        for k in keys {
            let e = f.entry(k).or_insert((0, now));
            *e = (e.0.saturating_add(1), now);
        }
        Attempt::Wrong
    }

    /// How long `key` must still wait, when it has failed too often.
    fn wait(&self, key: &str) -> Option<Duration> {
        let f = self.failures.lock().ok()?;
        let &(n, at) = f.get(key)?;
        if n < FREE_FAILURES {
            return None;
        }
        let hold = FIRST_WAIT * 2u32.pow((n - FREE_FAILURES).min(7));
        hold.checked_sub(at.elapsed()).filter(|d| !d.is_zero())
    }

    /// A new session for `user`: the cookie value (signed id).
    pub fn start(&self, user: &str) -> String {
        let id = random_token();
        let s = Session { user: user.to_string(), csrf: random_token(), expires: Instant::now() + self.lifetime };
        if let Ok(mut m) = self.sessions.lock() {
            let now = Instant::now();
            m.retain(|_, s| s.expires > now);
            m.insert(id.clone(), s);
        }
        self.sign(&id)
    }

    /// The live session a cookie value names.
    pub fn session(&self, cookie: &str) -> Option<Session> {
        let id = self.unsign(cookie)?;
        let m = self.sessions.lock().ok()?;
        m.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    pub fn end(&self, cookie: &str) {
        if let (Some(id), Ok(mut m)) = (self.unsign(cookie), self.sessions.lock()) {
            m.remove(id);
        }
    }

    /// Whether a form's token is the session's.
    pub fn csrf_ok(session: &Session, token: &str) -> bool {
        !token.is_empty() && same(&session.csrf, token)
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|p| p.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path /, with a lifetime (0 clears it).
pub fn set_cookie(name: &str, value: &str, max_age: Duration) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", max_age.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let mut c = Config::default();
        c.web.users.push(WebUser { name: "s".into(), role: WebRole::Admin, office: None, hall: None, password_hash: Some(hash_password("pw-s").unwrap()), password_env: None, show_personal_data: false });
        c
    }

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_hash(&h, "correct horse"));
        assert!(!verify_hash(&h, "correct hors"));
        assert!(!verify_hash("not a hash", "x"));
    }

    #[test]
    fn cookies_are_signed_and_sessions_end() {
        let a = Auth::new(&config());
        let c = a.start("s");
        assert_eq!(a.session(&c).unwrap().user, "s");
        let forged = format!("{}0", &c[..c.len() - 1]);
        assert!(a.session(&forged).is_none() || forged == c);
        assert!(a.session("abc.def").is_none());
        a.end(&c);
        assert!(a.session(&c).is_none());
        assert_eq!(cookie("a=1; ww_session=x.y; b=2", SESSION_COOKIE), Some("x.y"));
    }

    #[test]
    fn five_failures_hold_the_next_attempt_back() {
        let a = Auth::new(&config());
        for _ in 0..FREE_FAILURES {
            assert_eq!(a.attempt("s", "wrong", "1.2.3.4"), Attempt::Wrong);
        }
        assert!(matches!(a.attempt("s", "pw-s", "5.6.7.8"), Attempt::Wait(_)), "the name is held back");
        assert!(matches!(a.attempt("t", "x", "1.2.3.4"), Attempt::Wait(_)), "the address is held back");
        let b = Auth::new(&config());
        assert_eq!(b.attempt("s", "pw-s", "1.2.3.4"), Attempt::Ok);
    }
}
