//! Settings: `JICAI_*` environment variables over an optional TOML file (`JICAI_CONFIG`) over
//! defaults that work on a bare machine. A bad value stops start-up with a message naming it.

use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// `postgres://…` for PostgreSQL; anything else is a SQLite file path.
    pub database_url: String,
    pub bind: SocketAddr,
    pub time_zone: Tz,
    /// Key file for signing and encrypting session cookies (created if missing).
    pub secret_file: PathBuf,
    /// The master secret from which each tender's envelope key is derived (kept outside the database).
    pub master_key_file: PathBuf,
    /// How new tenders seal their price envelopes: by the bidder to a quorum of custodians
    /// (the default), or with the single server key (demos and tests only).
    pub sealing: crate::sealing::Mode,
    /// Days bidders have to object to a provisional award.
    pub objection_days: i64,
    /// Delivery deadlines, shelf life and payment terms.
    pub delivery: crate::domain::orders::DeliveryRules,
    pub pool_size: u32,
    pub workers: usize,
    /// Mark cookies `Secure` (set when the platform is served over TLS, directly or by a proxy).
    pub cookie_secure: bool,
    /// Failed logins of one username from one client address before that pair is locked.
    pub login_max_failures: i64,
    /// Failed logins of one username from all addresses together before it is locked.
    pub login_max_failures_per_user: i64,
    /// Failed logins from one client address (any username, known or not) before it is locked.
    pub login_max_failures_per_address: i64,
    pub login_lock_minutes: i64,
    /// Proxies whose `X-Forwarded-For` names the client; empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A session ends after this many minutes without a request…
    pub session_idle_minutes: i64,
    /// …and this many hours after the login, whatever happens.
    pub session_max_hours: i64,
    /// Bearer token that opens `/metrics`; none: `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// SMTP server for the e-mail outbox (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://…`); none: messages are written as `.eml` files into `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    /// The From of every message, e.g. `Jicai <noreply@example.org>`.
    pub mail_from: String,
    /// The folder of the scheduled jobs' files; None (not set): `jobs/` of the working
    /// directory if there is one, else the defaults built into the binary (`jobs::load`).
    pub jobs_dir: Option<PathBuf>,
    /// Where users open the platform, without a trailing slash (links in e-mails).
    pub public_url: String,
    /// An institution is behind pace on a committed volume when it has bought less than this
    /// percentage of what an even pace over the contract's period calls for.
    pub commitment_behind_pct: i64,
}

/// One setting: its name (environment variable), TOML key, default and meaning.
pub struct Setting {
    pub env: &'static str,
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        env: "JICAI_DATABASE_URL",
        key: "database_url",
        default: "var/jicai.db",
        meaning: "database: a SQLite file path, or a postgres:// URL",
    },
    Setting {
        env: "JICAI_BIND",
        key: "bind",
        default: "127.0.0.1:8080",
        meaning: "address:port to listen on",
    },
    Setting {
        env: "JICAI_TIME_ZONE",
        key: "time_zone",
        default: "Asia/Shanghai",
        meaning: "the province's time zone, for showing and scheduling",
    },
    Setting {
        env: "JICAI_SECRET_FILE",
        key: "secret_file",
        default: "var/secret.key",
        meaning: "key file for session cookies (created with a random key if missing)",
    },
    Setting {
        env: "JICAI_MASTER_KEY_FILE",
        key: "master_key_file",
        default: "var/master.key",
        meaning: "master secret of the sealed price envelopes (created if missing; keep it apart from database backups)",
    },
    Setting {
        env: "JICAI_SEALING",
        key: "sealing",
        default: "quorum",
        meaning: "how new tenders seal prices: quorum (the bidder seals, k of n custodians open) or server (one key on the server: demos and tests only)",
    },
    Setting {
        env: "JICAI_OBJECTION_DAYS",
        key: "objection_days",
        default: "3",
        meaning: "days of the objection window after a provisional award",
    },
    Setting {
        env: "JICAI_URGENT_HOURS",
        key: "urgent_hours",
        default: "24",
        meaning: "delivery deadline of an urgent order, hours from submission",
    },
    Setting {
        env: "JICAI_NORMAL_HOURS",
        key: "normal_hours",
        default: "48",
        meaning: "delivery deadline of a normal order",
    },
    Setting {
        env: "JICAI_REMOTE_HOURS",
        key: "remote_hours",
        default: "72",
        meaning: "delivery deadline of a normal order to a remote institution",
    },
    Setting {
        env: "JICAI_PAYMENT_DAYS",
        key: "payment_days",
        default: "30",
        meaning: "an accepted delivery is payable within this many days",
    },
    Setting {
        env: "JICAI_COMMITMENT_BEHIND_PCT",
        key: "commitment_behind_pct",
        default: "80",
        meaning: "an institution is behind pace on a committed volume below this % of an even pace",
    },
    Setting {
        env: "JICAI_POOL_SIZE",
        key: "pool_size",
        default: "8",
        meaning: "database connections in the pool",
    },
    Setting {
        env: "JICAI_WORKERS",
        key: "workers",
        default: "0",
        meaning: "HTTP worker threads (0: one per core)",
    },
    Setting {
        env: "JICAI_COOKIE_SECURE",
        key: "cookie_secure",
        default: "false",
        meaning: "mark cookies Secure (serve over TLS)",
    },
    Setting {
        env: "JICAI_LOGIN_MAX_FAILURES",
        key: "login_max_failures",
        default: "5",
        meaning: "failed logins of one username from one client address before the username is locked for that address",
    },
    Setting {
        env: "JICAI_LOGIN_MAX_FAILURES_PER_USER",
        key: "login_max_failures_per_user",
        default: "20",
        meaning: "failed logins of one username from all addresses together before it is locked everywhere",
    },
    Setting {
        env: "JICAI_LOGIN_MAX_FAILURES_PER_ADDRESS",
        key: "login_max_failures_per_address",
        default: "30",
        meaning: "failed logins from one client address, any username, before the address is locked",
    },
    Setting {
        env: "JICAI_LOGIN_LOCK_MINUTES",
        key: "login_lock_minutes",
        default: "15",
        meaning: "the window the failures are counted in: a lock lifts this long after the last failure",
    },
    Setting {
        env: "JICAI_TRUSTED_PROXIES",
        key: "trusted_proxies",
        default: "",
        meaning: "comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the client; empty: the peer address is the client",
    },
    Setting {
        env: "JICAI_SESSION_IDLE_MINUTES",
        key: "session_idle_minutes",
        default: "30",
        meaning: "a session ends after this many minutes without a request",
    },
    Setting {
        env: "JICAI_SESSION_MAX_HOURS",
        key: "session_max_hours",
        default: "12",
        meaning: "a session ends this many hours after the login",
    },
    Setting {
        env: "JICAI_METRICS_TOKEN",
        key: "metrics_token",
        default: "",
        meaning: "bearer token that opens /metrics (at least 16 characters); empty: /metrics is not served",
    },
    Setting {
        env: "JICAI_SMTP_URL",
        key: "smtp_url",
        default: "",
        meaning: "SMTP server of the e-mail outbox (smtp://user:pass@host:587?tls=required or smtps://…); empty: .eml files in mail_dir",
    },
    Setting {
        env: "JICAI_MAIL_DIR",
        key: "mail_dir",
        default: "var/mail",
        meaning: "folder the e-mails are written to when no SMTP server is set",
    },
    Setting {
        env: "JICAI_MAIL_FROM",
        key: "mail_from",
        default: "Jicai <noreply@jicai.invalid>",
        meaning: "the From address of the e-mails",
    },
    Setting {
        env: "JICAI_JOBS_DIR",
        key: "jobs_dir",
        default: "",
        meaning: "folder of the scheduled jobs' files (one TOML file per job), read at start-up; it must exist when set; empty: jobs/ of the working directory if there is one, else the defaults built into the binary",
    },
    Setting {
        env: "JICAI_PUBLIC_URL",
        key: "public_url",
        default: "",
        meaning: "the address users open (for links in e-mails); empty: http://<bind>/",
    },
];

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the process environment (and the TOML file it names).
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("JICAI_"))
            .collect();
        Config::from_sources(&env)
    }

    /// Reads settings from these variables (and the TOML file `JICAI_CONFIG` names), then defaults.
    pub fn from_sources(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let src = Sources::read(env)?;
        let num = |key: &str, min: i64, max: i64| src.num(key, min, max);
        let bind: SocketAddr =
            src.parse("bind", "an address:port such as 127.0.0.1:8080", |v| {
                v.parse().ok()
            })?;
        Ok(Config {
            database_url: src.parse("database_url", "a database URL or file path", |v| {
                Some(v.to_string()).filter(|v| !v.is_empty())
            })?,
            bind,
            time_zone: src.parse("time_zone", "a time zone name such as Asia/Shanghai", |v| {
                v.parse().ok()
            })?,
            secret_file: PathBuf::from(src.get("secret_file").0),
            master_key_file: PathBuf::from(src.get("master_key_file").0),
            sealing: src.parse("sealing", "quorum or server", |v| {
                v.parse::<crate::sealing::Mode>().ok()
            })?,
            objection_days: num("objection_days", 0, 60)?,
            delivery: crate::domain::orders::DeliveryRules {
                urgent_hours: num("urgent_hours", 1, 24 * 30)?,
                normal_hours: num("normal_hours", 1, 24 * 30)?,
                remote_hours: num("remote_hours", 1, 24 * 30)?,
                payment_days: num("payment_days", 1, 365)?,
                ..Default::default()
            },
            commitment_behind_pct: num("commitment_behind_pct", 1, 100)?,
            pool_size: num("pool_size", 1, 512)? as u32,
            workers: num("workers", 0, 512)? as usize,
            cookie_secure: src.cookie_secure()?,
            login_max_failures: num("login_max_failures", 1, 1000)?,
            login_max_failures_per_user: num("login_max_failures_per_user", 1, 100_000)?,
            login_max_failures_per_address: num("login_max_failures_per_address", 1, 100_000)?,
            login_lock_minutes: num("login_lock_minutes", 1, 10_000)?,
            trusted_proxies: src.trusted_proxies()?,
            session_idle_minutes: num("session_idle_minutes", 1, 366 * 24 * 60)?,
            session_max_hours: num("session_max_hours", 1, 10 * 366 * 24)?,
            metrics_token: src.metrics_token()?,
            smtp_url: src.smtp_url()?,
            mail_dir: PathBuf::from(src.get("mail_dir").0),
            mail_from: src.mail_from()?,
            jobs_dir: Some(src.get("jobs_dir").0)
                .filter(|d| !d.trim().is_empty())
                .map(PathBuf::from),
            public_url: src.public_url(bind),
        })
    }

    /// Reads (or creates, with a random key) the session key file: 64 bytes.
    pub fn session_key(&self) -> Result<Vec<u8>, ConfigError> {
        crate::keyfile::read_or_create(&self.secret_file, 64).map_err(ConfigError)
    }
}

/// Where settings come from: the environment first, then the TOML file `JICAI_CONFIG` names,
/// then the defaults of `SETTINGS`.
struct Sources<'a> {
    env: &'a BTreeMap<String, String>,
    file: BTreeMap<String, String>,
    file_name: String,
}

impl<'a> Sources<'a> {
    fn read(env: &'a BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut file: BTreeMap<String, String> = BTreeMap::new();
        let mut file_name = String::new();
        if let Some(path) = env.get("JICAI_CONFIG").filter(|p| !p.is_empty()) {
            file_name = path.clone();
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("JICAI_CONFIG: cannot read {path}: {e}")))?;
            let table: toml::Table = text
                .parse()
                .map_err(|e| ConfigError(format!("{path}: not valid TOML: {e}")))?;
            for (k, v) in table {
                if !SETTINGS.iter().any(|s| s.key == k) {
                    return Err(ConfigError(format!("{path}: unknown setting \"{k}\"")));
                }
                let s = match v {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                file.insert(k, s);
            }
        }
        Ok(Sources {
            env,
            file,
            file_name,
        })
    }

    /// The setting's value and where it came from (for messages).
    fn get(&self, key: &str) -> (String, String) {
        let s = SETTINGS
            .iter()
            .find(|s| s.key == key)
            .expect("known setting");
        if let Some(v) = self.env.get(s.env) {
            (v.clone(), s.env.to_string())
        } else if let Some(v) = self.file.get(s.key) {
            (v.clone(), format!("{} in {}", s.key, self.file_name))
        } else {
            (s.default.to_string(), s.env.to_string())
        }
    }

    /// The setting read by `f` (given the trimmed value), or an error saying what it should be.
    fn parse<T>(
        &self,
        key: &str,
        what: &str,
        f: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let (v, name) = self.get(key);
        f(v.trim()).ok_or_else(|| bad(&name, &v, what))
    }

    fn num(&self, key: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
        self.parse(key, &format!("a whole number from {min} to {max}"), |v| {
            v.parse::<i64>().ok().filter(|n| (min..=max).contains(n))
        })
    }

    /// Whether cookies are marked `Secure`: true/1/yes or false/0/no, in any case.
    fn cookie_secure(&self) -> Result<bool, ConfigError> {
        self.parse("cookie_secure", "true or false", |v| {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            }
        })
    }

    /// The trusted proxies: a comma-separated list of IP addresses (empty: none).
    fn trusted_proxies(&self) -> Result<Vec<std::net::IpAddr>, ConfigError> {
        self.parse(
            "trusted_proxies",
            "a comma-separated list of IP addresses",
            |v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse::<std::net::IpAddr>().ok())
                    .collect()
            },
        )
    }

    /// The SMTP server: none, or an smtp:// or smtps:// URL.
    fn smtp_url(&self) -> Result<Option<String>, ConfigError> {
        self.parse(
            "smtp_url",
            "an smtp:// or smtps:// URL such as smtp://user:pass@host:587?tls=required",
            |v| match v {
                "" => Some(None),
                u if u.starts_with("smtp://") || u.starts_with("smtps://") => {
                    Some(Some(u.to_string()))
                }
                _ => None,
            },
        )
    }

    /// The From of the e-mails: a mailbox lettre reads, kept as written.
    fn mail_from(&self) -> Result<String, ConfigError> {
        self.parse(
            "mail_from",
            "an address such as Jicai <noreply@example.org>",
            |v| {
                v.parse::<lettre::message::Mailbox>()
                    .ok()
                    .map(|_| v.to_string())
            },
        )
    }

    /// The address users open, without a trailing slash; not set: the bound address.
    fn public_url(&self, bind: SocketAddr) -> String {
        let u = self
            .get("public_url")
            .0
            .trim()
            .trim_end_matches('/')
            .to_string();
        if u.is_empty() {
            format!("http://{bind}")
        } else {
            u
        }
    }

    /// The metrics token: none, or at least 16 printable characters (never echoed).
    fn metrics_token(&self) -> Result<Option<String>, ConfigError> {
        let (token, name) = self.get("metrics_token");
        match token.trim() {
            "" => Ok(None),
            t if t.len() >= 16 && t.chars().all(|c| c.is_ascii_graphic()) => {
                Ok(Some(t.to_string()))
            }
            _ => Err(bad(
                &name,
                "…",
                "a token of at least 16 printable characters without spaces",
            )),
        }
    }
}

fn bad(name: &str, v: &str, what: &str) -> ConfigError {
    ConfigError(format!("{name} = \"{v}\" is not {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_work_on_a_bare_machine() {
        let c = Config::from_sources(&env(&[])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "var/jicai.db");
        assert_eq!(c.time_zone, chrono_tz::Asia::Shanghai);
        assert_eq!(
            c.jobs_dir, None,
            "not set: jobs/ if there is one, else the built-in jobs"
        );
        let c = Config::from_sources(&env(&[("JICAI_JOBS_DIR", "/etc/jicai/jobs")])).unwrap();
        assert_eq!(c.jobs_dir, Some(PathBuf::from("/etc/jicai/jobs")));
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::from_sources(&env(&[("JICAI_BIND", "nowhere")])).unwrap_err();
        assert!(e.0.contains("JICAI_BIND"), "{}", e.0);
        let e = Config::from_sources(&env(&[("JICAI_POOL_SIZE", "0")])).unwrap_err();
        assert!(e.0.contains("JICAI_POOL_SIZE"), "{}", e.0);
        let e = Config::from_sources(&env(&[("JICAI_TIME_ZONE", "Mars/Base")])).unwrap_err();
        assert!(e.0.contains("JICAI_TIME_ZONE"), "{}", e.0);
    }

    #[test]
    fn toml_file_under_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jicai.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\npool_size = 3\n").unwrap();
        let p = path.to_str().unwrap();
        let c = Config::from_sources(&env(&[("JICAI_CONFIG", p)])).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(c.pool_size, 3);
        let c =
            Config::from_sources(&env(&[("JICAI_CONFIG", p), ("JICAI_POOL_SIZE", "5")])).unwrap();
        assert_eq!(c.pool_size, 5);
        std::fs::write(&path, "pool_size = \"many\"\n").unwrap();
        let e = Config::from_sources(&env(&[("JICAI_CONFIG", p)])).unwrap_err();
        assert!(e.0.contains("pool_size in"), "{}", e.0);
        std::fs::write(&path, "colour = 1\n").unwrap();
        assert!(Config::from_sources(&env(&[("JICAI_CONFIG", p)]))
            .unwrap_err()
            .0
            .contains("colour"));
    }
}
