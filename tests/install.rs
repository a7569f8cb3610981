//! The binary as installed: run from an empty folder (no `jobs/`, `templates/` or `migrations/`
//! beside it), it loads the demo and serves pages, the stylesheet and the scheduled jobs from
//! what is built into it. A `JICAI_JOBS_DIR` that does not exist stops start-up naming it; a
//! `jobs/` folder of the working directory is read in place of the built-in jobs.

mod common;

use common::{free_port, KillOnDrop};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `jicai` run in `dir` with its database and key files there, and no `JICAI_*` setting of the
/// environment the tests run in.
fn jicai(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jicai"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("JICAI_")) {
        c.env_remove(k);
    }
    c.current_dir(dir)
        .env("JICAI_DATABASE_URL", dir.join("jicai.db"))
        .env("JICAI_SECRET_FILE", dir.join("secret.key"))
        .env("JICAI_MASTER_KEY_FILE", dir.join("master.key"))
        .env("RUST_LOG", "info");
    c
}

/// Runs a command that should end by itself, its output in files (no pipe to fill up); kills
/// it after `limit`. (exit code, stdout and stderr together).
fn finish(cmd: &mut Command, out: &Path, limit: Duration) -> (Option<i32>, String) {
    let child = cmd
        .stdout(std::fs::File::create(out.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let until = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < until,
            "{cmd:?} did not end within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    (status.code(), output(out))
}

fn output(out: &Path) -> String {
    let read = |ext| std::fs::read_to_string(out.with_extension(ext)).unwrap_or_default();
    format!("{}{}", read("out"), read("err"))
}

/// GET on a connection of its own: (status, whole response), or the I/O error of a server that
/// does not answer (yet).
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {text:?}")))?;
    Ok((status, text))
}

#[test]
fn the_binary_runs_demo_and_serve_from_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);

    let (code, out) = finish(
        jicai(dir).arg("demo"),
        &dir.join("demo"),
        Duration::from_secs(300),
    );
    assert_eq!(code, Some(0), "jicai demo:\n{out}");
    assert!(
        out.contains("scheduled jobs read from the defaults built into the binary"),
        "{out}"
    );
    // The demo ran the built-in jobs once (all but the e-mail sender), each by its name.
    for name in ["shortage_scan", "licences", "bid_deadlines", "auth_purge"] {
        assert!(
            out.contains(&format!("\n{name}: ")),
            "{name} did not run:\n{out}"
        );
    }
    assert!(!dir.join("jobs").exists());

    let port = free_port();
    let log = dir.join("serve");
    let child = jicai(dir)
        .arg("serve")
        .env("JICAI_BIND", format!("127.0.0.1:{port}"))
        .env("JICAI_WORKERS", "1")
        .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .unwrap();
    // Owned at once: killed and waited for whatever happens below.
    let mut server = KillOnDrop(child);
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("jicai serve ended ({status}):\n{}", output(&log));
        }
        match get(port, "/healthz") {
            Ok((200, _)) => break,
            Ok((status, body)) => panic!("/healthz answered {status}:\n{body}"),
            Err(_) => {
                let waited = Instant::now() < until;
                assert!(waited, "jicai serve did not answer:\n{}", output(&log));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    let (status, login) = get(port, "/login").unwrap();
    assert_eq!(status, 200, "{login}");
    assert!(
        login.contains("<form"),
        "the login page is rendered: {login}"
    );
    assert!(login.contains("/static/site.css"), "{login}");
    let (status, css) = get(port, "/static/site.css").unwrap();
    assert_eq!(status, 200, "{css}");
    assert!(css.to_ascii_lowercase().contains("content-type: text/css"));
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/static/site.css"),
    )
    .unwrap();
    assert!(css.ends_with(&shipped), "the stylesheet is the shipped one");
    let log_text = output(&log);
    assert!(
        log_text.contains("scheduled jobs read from the defaults built into the binary"),
        "{log_text}"
    );
    assert!(log_text.contains("scheduled jobs: "), "{log_text}");
    assert!(log_text.contains("shortage_scan ("), "{log_text}");

    server.0.kill().unwrap();
    server.0.wait().unwrap();
    // What it wrote stayed in its folder; no jobs folder appeared.
    assert!(dir.join("jicai.db").exists());
    assert!(!dir.join("jobs").exists());
}

#[test]
fn a_jobs_dir_that_does_not_exist_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let missing = dir.join("no-such-jobs");
    let (code, out) = finish(
        jicai(dir)
            .arg("serve")
            .env("JICAI_JOBS_DIR", &missing)
            .env("JICAI_BIND", format!("127.0.0.1:{}", free_port())),
        &dir.join("serve"),
        Duration::from_secs(60),
    );
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}:\n{out}");
    assert!(out.contains("JICAI_JOBS_DIR"), "{out}");
    assert!(out.contains("no-such-jobs"), "{out}");
    assert!(!out.contains("running at"), "{out}");
    // It stopped before the database was touched.
    assert!(!dir.join("jicai.db").exists());
}

#[test]
fn a_jobs_folder_of_the_working_directory_replaces_the_built_in_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    let (code, out) = finish(
        jicai(dir).args(["job", "list"]),
        &dir.join("builtin"),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("read from the defaults built into the binary"));
    for (file, _) in jicai::jobs::defaults::FILES {
        let name = file.trim_end_matches(".toml");
        assert!(
            out.contains(&format!("\n{name} ")),
            "{name} not listed:\n{out}"
        );
    }

    std::fs::create_dir(dir.join("jobs")).unwrap();
    std::fs::write(
        dir.join("jobs/outbox.toml"),
        "job = \"email_sender\"\nschedule = \"0 * * * * *\"\n",
    )
    .unwrap();
    let (code, out) = finish(
        jicai(dir).args(["job", "list"]),
        &dir.join("local"),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("read from jobs/ of the working directory"),
        "{out}"
    );
    assert!(out.contains("\noutbox "), "{out}");
    assert!(!out.contains("shortage_scan"), "{out}");

    // A bad file there stops the command, naming the file and the field.
    std::fs::write(
        dir.join("jobs/outbox.toml"),
        "job = \"email_sender\"\nschedule = \"0 * * * *\"\n",
    )
    .unwrap();
    let (code, out) = finish(
        jicai(dir).args(["job", "list"]),
        &dir.join("bad"),
        Duration::from_secs(60),
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("outbox.toml: field `schedule`"), "{out}");
}

#[test]
fn user_add_at_the_command_line_checks_as_the_users_page_does() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (code, out) = finish(
        jicai(dir).arg("migrate"),
        &dir.join("migrate"),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{out}");
    let add = |name: &str, lang: &str| {
        let mut c = jicai(dir);
        c.args(["user", "add", "--username", name, "--role", "center"])
            .env("JICAI_NEW_PASSWORD", "a-long-password")
            .env("LANG", lang);
        c
    };
    // The page's rule: letters, digits, '.', '_' and '-' only; said in the operator's language.
    let (code, out) = finish(
        &mut add("wang min", "zh_CN.UTF-8"),
        &dir.join("bad"),
        Duration::from_secs(60),
    );
    assert!(code.is_some_and(|c| c != 0), "{out}");
    assert!(out.contains("username: 只能包含字母、数字"), "{out}");
    let (code, out) = finish(
        &mut add("wang min", "C"),
        &dir.join("bad-en"),
        Duration::from_secs(60),
    );
    assert!(code.is_some_and(|c| c != 0), "{out}");
    assert!(
        out.contains("username: may hold only letters, digits"),
        "{out}"
    );
    let (code, out) = finish(
        &mut add("wang.min", "C"),
        &dir.join("good"),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("user wang.min (center) added"), "{out}");
}
