//! The scheduled jobs: every shipped file valid, a bad file refusing start-up with a message
//! naming the file and the field, and several schedulers on one database running each firing
//! once.

mod common;

use common::{test_config, TestDb};
use diesel::prelude::*;
use jicai::clock::Clock;
use jicai::domain::jobs::{parse, JobKind};
use jicai::jobs::Runner;
use jicai::store::schema::job_firings;
use std::sync::atomic::Ordering;

#[test]
fn the_shipped_job_files_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    let mut kinds = vec![];
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = parse(
            &path.display().to_string(),
            &name,
            &text,
            chrono_tz::Asia::Shanghai,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        kinds.push(spec.kind);
    }
    for k in JobKind::ALL {
        assert!(kinds.contains(k), "no file in jobs/ runs {}", k.as_str());
    }
    let loaded = jicai::jobs::load_dir(&dir, chrono_tz::Asia::Shanghai).unwrap();
    assert_eq!(loaded.len(), kinds.len());
}

/// `jicai serve` with a jobs folder holding one bad file: it stops before listening, naming the
/// file and the field.
#[test]
fn a_bad_job_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    for e in std::fs::read_dir(&shipped).unwrap().flatten() {
        std::fs::copy(e.path(), jobs.join(e.file_name())).unwrap();
    }
    std::fs::write(
        jobs.join("nightly_scan.toml"),
        "job = \"shortage_scan\"\nschedule = \"0 0 2 * *\"\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jicai"))
        .arg("serve")
        .env("JICAI_JOBS_DIR", &jobs)
        .env("JICAI_DATABASE_URL", dir.path().join("j.db"))
        .env("JICAI_SECRET_FILE", dir.path().join("secret.key"))
        .env("JICAI_MASTER_KEY_FILE", dir.path().join("master.key"))
        .env("JICAI_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("jicai serve started with a bad job file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(err.contains("nightly_scan.toml"), "{err}");
    assert!(err.contains("field `schedule`"), "{err}");
    assert!(
        err.contains("six"),
        "the message says how to write it: {err}"
    );
    // And the database was not touched.
    assert!(!dir.path().join("j.db").exists());

    // `jicai job run` names the jobs there are when asked for one that is not.
    std::fs::remove_file(jobs.join("nightly_scan.toml")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jicai"))
        .args(["job", "run", "nonesuch"])
        .env("JICAI_JOBS_DIR", &jobs)
        .env("JICAI_DATABASE_URL", dir.path().join("j.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no job named nonesuch") && err.contains("shortage_scan"),
        "{err}"
    );
}

async fn two_schedulers_one_firing(db: TestDb) {
    let store = db.store();
    let config = test_config(&db);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    let mut spec = jicai::jobs::load_dir(&dir, config.time_zone)
        .unwrap()
        .into_iter()
        .find(|s| s.kind == JobKind::BidDeadlines)
        .unwrap();
    spec.name = "every_second".into();
    spec.schedule = "* * * * * *".into();

    // Woken for the same firing at once, two replicas: one runs it.
    let now = chrono::Utc::now();
    let a = Runner::new(store.clone(), config.clone(), Clock::fixed(now)).named("a");
    let b = Runner::new(store.clone(), config.clone(), Clock::fixed(now)).named("b");
    let (ra, rb) = tokio::join!(a.fire(&spec), b.fire(&spec));
    let ran = [ra.unwrap(), rb.unwrap()];
    assert_eq!(ran.iter().filter(|r| r.is_some()).count(), 1, "{ran:?}");

    // Two real schedulers firing every second for a few seconds: every firing ran once.
    spec.name = "every_second_live".into();
    let a = Runner::new(store.clone(), config.clone(), Clock::system()).named("a");
    let b = Runner::new(store.clone(), config.clone(), Clock::system()).named("b");
    let mut sa = a.start(std::slice::from_ref(&spec)).await.unwrap();
    let mut sb = b.start(std::slice::from_ref(&spec)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    sa.shutdown().await.unwrap();
    sb.shutdown().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut c = store.conn().unwrap();
    let rows: Vec<(chrono::NaiveDateTime, String)> = job_firings::table
        .filter(job_firings::job.eq("every_second_live"))
        .select((job_firings::fired_at, job_firings::replica))
        .load(&mut *c)
        .unwrap();
    let runs = a.runs.load(Ordering::SeqCst) + b.runs.load(Ordering::SeqCst);
    assert!(rows.len() >= 3, "firings: {rows:?}");
    // One firing a second, however many replicas: at most one row per second of the run.
    assert!(rows.len() <= 6, "firings: {rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.0.and_utc().timestamp_subsec_nanos() == 0),
        "firings are named by their scheduled second: {rows:?}"
    );
    assert_eq!(runs, rows.len(), "one run per firing: {rows:?}");
    let distinct: std::collections::BTreeSet<_> = rows.iter().map(|r| r.0).collect();
    assert_eq!(distinct.len(), rows.len());
}

on_both_databases!(empty: two_schedulers_one_firing);
