//! The e-mail outbox against a real SMTP server (Python's aiosmtpd, started by the test; the
//! test installs it with pip if it is missing), on both databases: messages arrive with their
//! recipient, subject and both parts; a (change, recipient) pair is written once; with the
//! server stopped they stay in the outbox and arrive once it is back, none lost and none
//! doubled; after the last try a message is marked failed, kept, and sent again on request.

mod common;

use std::path::Path;
use std::process::Command;

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use common::smtp::Smtp;
use common::{app, state_with_demo, test_config, Backend, Client, TestDb, PW};
use jicai::domain::mail::{MailStatus, MAX_ATTEMPTS};
use jicai::mail::{send_due, Mailer};
use jicai::store::outbox::{self, NewMail};
use jicai::store::{write_tx, Act};

fn mail(key: &str, to: &str, subject: &str) -> NewMail {
    NewMail {
        dedup_key: key.into(),
        recipient: to.into(),
        subject: subject.into(),
        text_body: format!("{subject}\n\n阿莫西林胶囊 is short in 长丰县."),
        html_body: format!(
            "<p><strong>{subject}</strong></p><p>阿莫西林胶囊 is short in 长丰县.</p>"
        ),
    }
}

fn count_with(received: &[String], needle: &str) -> usize {
    received.iter().filter(|m| m.contains(needle)).count()
}

async fn the_outbox_reaches_a_real_smtp_server(db: TestDb) {
    let store = db.store();
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = Smtp::new(&dir.path().join("maildir"));
    let mut config = test_config(&db);
    config.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    config.mail_from = "Jicai <alerts@jicai.test>".into();
    let mailer = Mailer::from_config(&config).unwrap();
    let t0 = Utc::now();
    let mut c = store.conn().unwrap();

    // Written in a transaction with the change; the same change and recipient once.
    let added = write_tx(&mut c, |c| {
        outbox::enqueue(
            c,
            t0.naive_utc(),
            &[
                mail(
                    "shortage:1:watch",
                    "center@jicai.test",
                    "Shortage watch one",
                ),
                mail(
                    "shortage:1:watch",
                    "supplier@jicai.test",
                    "Shortage watch one",
                ),
                mail(
                    "shortage:1:watch",
                    "center@jicai.test",
                    "Shortage watch one",
                ),
            ],
        )
    })
    .unwrap();
    assert_eq!(added, 2);
    smtp.start();
    let r = send_due(&store, &mailer, t0, 100).await.unwrap();
    assert_eq!((r.sent, r.retried, r.failed), (2, 0, 0), "{r}");
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    for (to, m) in [("center@jicai.test", 1), ("supplier@jicai.test", 1)] {
        assert_eq!(count_with(&got, &format!("To: {to}")), m, "{got:?}");
    }
    for m in &got {
        assert!(m.contains("Subject: Shortage watch one"), "{m}");
        assert!(m.contains("From: Jicai <alerts@jicai.test>"), "{m}");
        assert!(m.contains("multipart/alternative"), "{m}");
        assert!(m.contains("Content-Type: text/plain"), "{m}");
        assert!(m.contains("Content-Type: text/html"), "{m}");
    }
    // Nothing is due any more: a second run sends nothing.
    let r = send_due(&store, &mailer, t0, 100).await.unwrap();
    assert_eq!(r.sent + r.retried + r.failed, 0, "{r}");

    // The server goes away: the message stays in the outbox, and arrives once it is back.
    smtp.stop();
    outbox::enqueue(
        &mut c,
        t0.naive_utc(),
        &[mail(
            "late:9",
            "institution@jicai.test",
            "Delivery late nine",
        )],
    )
    .unwrap();
    let r = send_due(&store, &mailer, t0, 100).await.unwrap();
    assert_eq!((r.sent, r.retried, r.failed), (0, 1, 0), "{r}");
    let pending = outbox::with_status(&mut c, MailStatus::Pending, 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert!(pending[0].last_error.is_some());
    // Not before its backoff.
    let r = send_due(&store, &mailer, t0 + Duration::seconds(30), 100)
        .await
        .unwrap();
    assert_eq!(r.sent + r.retried, 0, "{r}");
    smtp.start();
    let mut t = t0 + Duration::minutes(2);
    let mut sent = 0;
    for _ in 0..3 {
        sent += send_due(&store, &mailer, t, 100).await.unwrap().sent;
        t += Duration::minutes(10);
    }
    assert_eq!(sent, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 3, "none lost, none doubled");
    assert_eq!(count_with(&got, "Subject: Delivery late nine"), 1);

    // Down for good: after the last try the message is failed, kept, and shown.
    smtp.stop();
    outbox::enqueue(
        &mut c,
        t.naive_utc(),
        &[mail(
            "payable:4",
            "center@jicai.test",
            "Payment overdue four",
        )],
    )
    .unwrap();
    let mut tries = 0;
    for _ in 0..MAX_ATTEMPTS + 2 {
        let r = send_due(&store, &mailer, t, 100).await.unwrap();
        tries += r.retried + r.failed;
        t += Duration::hours(5);
    }
    assert_eq!(tries, MAX_ATTEMPTS as usize);
    let failed = outbox::with_status(&mut c, MailStatus::Failed, 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].subject, "Payment overdue four");
    // Center staff send it again; it arrives once.
    let again = outbox::resend(&mut c, &Act::new("center", t), failed[0].id).unwrap();
    assert_eq!(again.status, MailStatus::Pending);
    assert!(outbox::resend(&mut c, &Act::new("center", t), failed[0].id).is_err());
    smtp.start();
    let r = send_due(&store, &mailer, t + Duration::seconds(1), 100)
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r}");
    let got = smtp.received();
    assert_eq!(got.len(), 4);
    assert_eq!(count_with(&got, "Subject: Payment overdue four"), 1);
}

/// The TLS forms of the SMTP URL build a mailer (TLS parameters, crypto provider and root
/// certificates are all there), and a URL of another scheme is refused at start-up.
#[actix_web::test]
async fn tls_smtp_urls_build_a_mailer() {
    let db = TestDb::empty(Backend::Sqlite).unwrap();
    for url in [
        "smtps://user:secret@127.0.0.1:465",
        "smtp://user:secret@127.0.0.1:587?tls=required",
        "smtp://127.0.0.1:25",
    ] {
        let mut config = test_config(&db);
        config.smtp_url = Some(url.into());
        assert!(Mailer::from_config(&config).is_ok(), "{url}");
    }
    let mut env = std::collections::BTreeMap::new();
    env.insert("JICAI_DATABASE_URL".to_string(), db.url.clone());
    env.insert(
        "JICAI_SMTP_URL".to_string(),
        "http://mail.example.org".to_string(),
    );
    let e = jicai::config::Config::from_sources(&env).unwrap_err();
    assert!(e.to_string().contains("JICAI_SMTP_URL"), "{e}");
}

/// A mailer without SMTP, writing messages as files into a new temporary folder: the folder
/// (removed when dropped), the mail folder in it, the mailer.
fn file_mailer(db: &TestDb) -> (tempfile::TempDir, std::path::PathBuf, Mailer) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(db);
    config.smtp_url = None;
    config.mail_dir = dir.path().join("mail");
    let mailer = Mailer::from_config(&config).unwrap();
    (dir, config.mail_dir, mailer)
}

async fn without_smtp_messages_are_written_as_files(db: TestDb) {
    let store = db.store();
    let (_dir, mail_dir, mailer) = file_mailer(&db);
    let now = Utc::now();
    let mut c = store.conn().unwrap();
    outbox::enqueue(
        &mut c,
        now.naive_utc(),
        &[
            mail("k:1", "center@jicai.test", "File one"),
            mail("k:2", "not an address", "Never"),
        ],
    )
    .unwrap();
    let r = send_due(&store, &mailer, now, 100).await.unwrap();
    assert_eq!((r.sent, r.failed), (1, 1), "{r}");
    assert!(r.errors[0].contains("not an address"), "{r}");
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("Subject: File one"), "{text}");
}

/// Center staff see the messages that failed after their last try, with the error, and send
/// one again; a regulator sees them and cannot; other roles see nothing.
async fn failed_messages_are_shown_and_sent_again(db: TestDb) {
    let state = state_with_demo(&db);
    let (_dir, _, mailer) = file_mailer(&db);
    let now = Utc::now();
    outbox::enqueue(
        &mut state.store.conn().unwrap(),
        now.naive_utc(),
        &[mail("k:bad", "nobody at all", "Licence expiring seven")],
    )
    .unwrap();
    let r = send_due(&state.store, &mailer, now, 100).await.unwrap();
    assert_eq!(r.failed, 1, "{r}");
    let id = outbox::with_status(&mut state.store.conn().unwrap(), MailStatus::Failed, 10).unwrap()
        [0]
    .id;
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let page = center.get("/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Licence expiring seven"),
        "{}",
        page.body
    );
    assert!(page.body.contains("nobody at all"));
    assert!(page.body.contains(&format!("/outbox/{id}/resend")));
    let mut regulator = Client::new(app.clone());
    regulator.login("regulator", PW).await;
    let page = regulator.get("/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Licence expiring seven"));
    assert!(!page.body.contains(&format!("/outbox/{id}/resend")));
    let resend = format!("/outbox/{id}/resend");
    assert_eq!(
        regulator.post(&resend, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut sup = Client::new(app.clone());
    sup.login("supplier", PW).await;
    assert_eq!(sup.get("/outbox").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        center.post(&resend, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let m = outbox::get(&mut state.store.conn().unwrap(), id).unwrap();
    assert_eq!((m.status, m.attempts), (MailStatus::Pending, 0));
    // Only a failed message is sent again.
    assert_eq!(
        center.post(&resend, &[]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// From the change to the inbox: the shortage scan writes its alerts to the outbox, the sender
/// job delivers them over SMTP, each recipient in their language; the next runs add nothing.
async fn a_shortage_alert_arrives_by_smtp(db: TestDb) {
    let mut state = state_with_demo(&db);
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = Smtp::new(&dir.path().join("maildir"));
    smtp.start();
    state.config.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    state.config.public_url = "https://jicai.example.gov.cn".into();
    let mut c = state.store.conn().unwrap();
    common::add_analyst(&mut c, &Act::new("test", Utc::now()));
    let jobs = common::repository_jobs(&state);
    let job = |n: &str| jobs.iter().find(|j| j.name == n).unwrap().clone();
    let runner = common::job_runner(&state);
    let scan = runner.run(&job("shortage_scan")).await.unwrap();
    assert!(scan.contains("opened"), "{scan}");
    let sent = runner.run(&job("email_sender")).await.unwrap();
    assert!(
        sent.starts_with(|ch: char| ch.is_ascii_digit() && ch != '0'),
        "{sent}"
    );
    let got = smtp.received();
    let en: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("To: analyst@jicai.test"))
        .collect();
    assert!(!en.is_empty(), "{got:?}");
    // The scan opens records (and changes the demo's own, opened by its shortage responses).
    let m = en
        .iter()
        .find(|m| m.contains("Subject: [Jicai] Shortage opened:"))
        .unwrap_or_else(|| panic!("an opened record: {en:?}"));
    assert!(m.contains("Content-Type: text/plain"), "{m}");
    assert!(m.contains("Content-Type: text/html"), "{m}");
    assert!(m.contains("https://jicai.example.gov.cn/shortages/"), "{m}");
    assert!(
        got.iter().any(|m| m.contains("To: center@demo.jicai.test")),
        "the demo's center user (zh-CN) too: {got:?}"
    );
    // Again: no change, no new message.
    let before = got.len();
    runner.run(&job("shortage_scan")).await.unwrap();
    let sent = runner.run(&job("email_sender")).await.unwrap();
    assert!(sent.starts_with("0 sent"), "{sent}");
    assert_eq!(smtp.received().len(), before);
}

/// `jicai job run email_sender` against a real SMTP server sends what is due and exits 0 (it
/// sent everything, then panicked at exit when lettre's pool outlived the runtime: exit 101).
async fn job_run_email_sender_exits_zero_after_sending(db: TestDb) {
    let store = db.store();
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = Smtp::new(&dir.path().join("maildir"));
    smtp.start();
    let now = Utc::now();
    outbox::enqueue(
        &mut store.conn().unwrap(),
        now.naive_utc(),
        &[
            mail("cli:1", "center@jicai.test", "Sent from the command line"),
            mail("cli:1", "supplier@jicai.test", "Sent from the command line"),
        ],
    )
    .unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_jicai"))
            .args(["job", "run", "email_sender"])
            .env("JICAI_DATABASE_URL", &db.url)
            .env(
                "JICAI_JOBS_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"),
            )
            .env("JICAI_SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port))
            .output()
            .unwrap()
    };
    let out = run();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        count_with(&smtp.received(), "Subject: Sent from the command line"),
        2
    );
    assert!(
        outbox::with_status(&mut store.conn().unwrap(), MailStatus::Pending, 10)
            .unwrap()
            .is_empty()
    );
    // With nothing left to send it still did its work: exit 0.
    assert_eq!(run().status.code(), Some(0));
}

/// The `commitment_pace` job against a real SMTP server: the institutions behind pace on a
/// committed volume (and their township center) are told once a month per institution and
/// contract, each in their language; the same month again adds nothing, the next month tells
/// them again.
async fn commitment_pace_alerts_once_per_month_and_contract(db: TestDb) {
    let mut state = state_with_demo(&db);
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = Smtp::new(&dir.path().join("maildir"));
    smtp.start();
    state.config.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    let mut c = state.store.conn().unwrap();
    let lines = jicai::store::commitments::list(&mut c, &Default::default()).unwrap();
    let township = jicai::store::users::by_username(&mut c, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let mine = lines
        .iter()
        .find(|l| l.institution_id == township)
        .expect("the demo township center has a committed volume");
    // An English-speaking colleague at the same center.
    jicai::store::users::create(
        &mut c,
        &Act::new("test", Utc::now()),
        &jicai::store::users::NewUser {
            username: "pharmacist".into(),
            password_hash: jicai::security::hash_password(PW).unwrap(),
            display_name: "Pharmacist".into(),
            role: jicai::domain::roles::Role::Institution,
            supplier_id: None,
            institution_id: Some(township),
            email: "pharmacist@jicai.test".into(),
            language: "en".into(),
        },
    )
    .unwrap();
    // Two thirds into the contract's period, with the demo's few orders: behind pace.
    let day = mine.starts_on + Duration::days((mine.ends_on - mine.starts_on).num_days() * 2 / 3);
    let at = |d: chrono::NaiveDate| d.and_hms_opt(2, 0, 0).unwrap().and_utc();
    state.clock.set(at(day));
    let jobs = common::repository_jobs(&state);
    let job = |n: &str| jobs.iter().find(|j| j.name == n).unwrap().clone();
    let runner = common::job_runner(&state);
    let behind = |d| {
        jicai::app::commitments::behind_pace(&mut state.store.conn().unwrap(), d, 80, 30)
            .unwrap()
            .into_iter()
            .filter(|l| l.c.institution_id == township || l.c.parent_id == Some(township))
            .count()
    };
    let expected = behind(day);
    assert!(expected > 0, "the center is behind on something by {day}");
    let report = runner.run(&job("commitment_pace")).await.unwrap();
    assert!(report.contains("found"), "{report}");
    runner.run(&job("email_sender")).await.unwrap();
    let got = smtp.received();
    let en = count_with(&got, "To: pharmacist@jicai.test");
    assert_eq!(en, expected, "one per contract behind: {got:?}");
    // Each in the recipient's language (the subjects as written to the outbox: on the wire
    // they are encoded).
    let subjects = |to: &str| -> Vec<String> {
        use diesel::prelude::*;
        use jicai::store::schema::outbox as ob;
        ob::table
            .filter(ob::recipient.eq(to))
            .filter(ob::dedup_key.like("commitment_behind:%"))
            .select(ob::subject)
            .load(&mut state.store.conn().unwrap())
            .unwrap()
    };
    let en_subjects = subjects("pharmacist@jicai.test");
    assert_eq!(en_subjects.len(), expected);
    assert!(
        en_subjects
            .iter()
            .all(|s| s.contains("is behind pace on contract")),
        "{en_subjects:?}"
    );
    let zh = subjects("institution@demo.jicai.test");
    assert_eq!(zh.len(), expected);
    assert!(zh.iter().all(|s| s.contains("采购进度落后")), "{zh:?}");
    // The same month again: nothing new.
    state.clock.set(at(day + Duration::days(1)));
    runner.run(&job("commitment_pace")).await.unwrap();
    let sent = runner.run(&job("email_sender")).await.unwrap();
    assert!(sent.starts_with("0 sent"), "{sent}");
    // The next month: told again, still once per contract.
    let next = day + Duration::days(32);
    state.clock.set(at(next));
    let expected_next = behind(next);
    runner.run(&job("commitment_pace")).await.unwrap();
    runner.run(&job("email_sender")).await.unwrap();
    let got = smtp.received();
    assert_eq!(
        count_with(&got, "To: pharmacist@jicai.test"),
        en + expected_next
    );
    runner.run(&job("commitment_pace")).await.unwrap();
    let sent = runner.run(&job("email_sender")).await.unwrap();
    assert!(sent.starts_with("0 sent"), "{sent}");
}

on_both_databases!(
    empty: job_run_email_sender_exits_zero_after_sending,
    the_outbox_reaches_a_real_smtp_server,
    without_smtp_messages_are_written_as_files,
);
on_both_databases!(
    demo: a_shortage_alert_arrives_by_smtp,
    failed_messages_are_shown_and_sent_again,
    commitment_pace_alerts_once_per_month_and_contract,
);
