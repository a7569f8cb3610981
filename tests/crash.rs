//! The real `jicai serve` killed with SIGKILL in the middle of a load of writes from several
//! threads (orders, deliveries with an Idempotency-Key, shortage reports), then restarted: every
//! write that was answered 2xx is there exactly once, retries with the same keys create nothing
//! new, and the audit chain verifies. On both databases.

mod common;

use common::{free_port, TestDb};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jicai::store::{tenders as ts, users, Act, Store};

/// One HTTP/1.1 request on a connection of its own: (status, body), or the I/O error of a
/// server that is gone.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    extra: Option<(&str, &str)>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some((k, v)) = extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no complete response"))?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    // Chunked bodies: the JSON lies between the chunk sizes; take from the first brace.
    let json_text = match (rest.find(['{', '[']), rest.rfind(['}', ']'])) {
        (Some(a), Some(b)) if b >= a => &rest[a..=b],
        _ => "null",
    };
    Ok((
        status,
        serde_json::from_str(json_text).unwrap_or(Value::Null),
    ))
}

struct Server {
    child: Child,
    port: u16,
}

fn jicai(db: &TestDb, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jicai"));
    c.env("JICAI_DATABASE_URL", &db.url)
        .env("JICAI_MASTER_KEY_FILE", dir.join("master.key"))
        .env("JICAI_SECRET_FILE", dir.join("secret.key"))
        .env("JICAI_MAIL_DIR", dir.join("mail"))
        .env(
            "JICAI_JOBS_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"),
        )
        .env("RUST_LOG", "warn");
    c
}

fn start(db: &TestDb, dir: &Path) -> Server {
    let port = free_port();
    let child = jicai(db, dir)
        .arg("serve")
        .env("JICAI_BIND", format!("127.0.0.1:{port}"))
        .env("JICAI_WORKERS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned at once, so that it is killed and waited for whatever happens next.
    let server = Server { child, port };
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = http(port, "GET", "/readyz", "", None, None) {
            return server;
        }
        assert!(Instant::now() < until, "jicai serve did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn token(store: &Store, username: &str) -> String {
    let t = jicai::security::new_api_token();
    let mut c = store.conn().unwrap();
    let uid = users::by_username(&mut c, username).unwrap().unwrap().id;
    users::create_token(
        &mut c,
        &Act::new("test", chrono::Utc::now()),
        uid,
        "crash",
        &t.hash,
        &t.prefix,
    )
    .unwrap();
    t.secret
}

fn count(store: &Store, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut *store.conn().unwrap())
        .unwrap()
        .n
}

fn ship(line: i64) -> Value {
    json!({"lines": [{"order_line_id": line, "quantity": 1, "batch_no": "CRASH-1",
        "production_date": "2026-09-01", "expiry_date": "2029-06-30"}]})
}

/// What the load was told was done (2xx), and the delivery keys it sent.
#[derive(Default)]
struct Acked {
    orders: Vec<i64>,
    reports: Vec<String>,
    deliveries: BTreeMap<String, i64>,
    keys_sent: BTreeMap<String, i64>,
}

async fn acknowledged_writes_survive_sigkill(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let out = jicai(&db, dir.path()).arg("demo").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&db.url, 2).unwrap();

    // The demo institution's contract with the supplier it has the most contracts with, and
    // a user of that supplier.
    let inst = users::by_username(&mut store.conn().unwrap(), "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let ks = ts::commitments_of_institution(&mut store.conn().unwrap(), inst).unwrap();
    let k = &ks
        .iter()
        .find(|k| k.0.status == jicai::domain::tender::ContractStatus::InForce)
        .unwrap()
        .0;
    let (contract, supplier) = (k.id, k.supplier_id);
    let sup_name = format!("crash{supplier}");
    users::create(
        &mut store.conn().unwrap(),
        &Act::new("test", chrono::Utc::now()),
        &users::NewUser {
            username: sup_name.clone(),
            password_hash: jicai::security::hash_password("crash-test-pw").unwrap(),
            display_name: sup_name.clone(),
            role: jicai::domain::roles::Role::Supplier,
            supplier_id: Some(supplier),
            institution_id: None,
            email: String::new(),
            language: "en".into(),
        },
    )
    .unwrap();
    let (ti, tsup) = (token(&store, "institution"), token(&store, &sup_name));
    let drug_code = "D0012".to_string();

    let mut server = start(&db, dir.path());
    let port = server.port;
    // Acknowledged orders for the deliveries of the load to ship from, one unit at a time.
    let mut lines = vec![];
    for _ in 0..8 {
        let (st, o) = http(
            port,
            "POST",
            "/api/v1/orders",
            &ti,
            None,
            Some(&json!({"lines": [{"contract_id": contract, "quantity": 100000}]})),
        )
        .unwrap();
        assert_eq!(st, 201, "{o}");
        let oid = o["id"].as_i64().unwrap();
        let (st, _) = http(
            port,
            "POST",
            &format!("/api/v1/orders/{oid}/acknowledge"),
            &tsup,
            None,
            None,
        )
        .unwrap();
        assert_eq!(st, 200);
        lines.push((oid, o["lines"][0]["id"].as_i64().unwrap()));
    }

    // The load: four threads writing as fast as they are answered, until the server dies.
    let acked = Arc::new(Mutex::new(Acked::default()));
    let done = Arc::new(AtomicUsize::new(0));
    let mut threads = vec![];
    for t in 0..4usize {
        let (acked, done) = (acked.clone(), done.clone());
        let (ti, tsup, drug_code, lines) =
            (ti.clone(), tsup.clone(), drug_code.clone(), lines.clone());
        threads.push(std::thread::spawn(move || {
            for i in 0.. {
                let r = match t {
                    0 => http(
                        port,
                        "POST",
                        "/api/v1/orders",
                        &ti,
                        None,
                        Some(&json!({"lines": [{"contract_id": contract, "quantity": 3}]})),
                    )
                    .map(|(st, v)| {
                        if st == 201 {
                            acked.lock().unwrap().orders.push(v["id"].as_i64().unwrap());
                        }
                        st
                    }),
                    1 => {
                        let note = format!("crash report {i}");
                        http(
                            port,
                            "POST",
                            "/api/v1/shortage-reports",
                            &ti,
                            None,
                            Some(&json!({"drug": drug_code, "note": note})),
                        )
                        .map(|(st, _)| {
                            if st == 201 {
                                acked.lock().unwrap().reports.push(note);
                            }
                            st
                        })
                    }
                    _ => {
                        let (oid, line) = lines[(i * 2 + t) % lines.len()];
                        let key = format!("crash-{t}-{i}");
                        acked.lock().unwrap().keys_sent.insert(key.clone(), oid);
                        http(
                            port,
                            "POST",
                            &format!("/api/v1/orders/{oid}/deliveries"),
                            &tsup,
                            Some(("Idempotency-Key", &key)),
                            Some(&ship(line)),
                        )
                        .map(|(st, v)| {
                            if st == 201 {
                                let id = v["delivery_id"].as_i64().unwrap();
                                acked.lock().unwrap().deliveries.insert(key, id);
                            }
                            st
                        })
                    }
                };
                match r {
                    Ok(st) => {
                        assert!(st < 500, "thread {t}: status {st}");
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Killed in the middle: once some hundreds of writes were answered.
    let until = Instant::now() + Duration::from_secs(120);
    while done.load(Ordering::Relaxed) < 300 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    assert!(
        acked.orders.len() + acked.reports.len() + acked.deliveries.len() >= 100,
        "the load ran: {} orders, {} reports, {} deliveries",
        acked.orders.len(),
        acked.reports.len(),
        acked.deliveries.len()
    );

    eprintln!(
        "killed after {} orders, {} reports, {} deliveries answered ({} delivery keys sent)",
        acked.orders.len(),
        acked.reports.len(),
        acked.deliveries.len(),
        acked.keys_sent.len()
    );

    // Restarted: every answered write is there, once.
    let server = start(&db, dir.path());
    let port = server.port;
    let ids: BTreeSet<i64> = acked.orders.iter().copied().collect();
    let present = count(
        &store,
        &format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE id IN ({})",
            ids.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
    );
    assert_eq!(
        present as usize,
        ids.len(),
        "every order answered 201 is stored"
    );
    for note in &acked.reports {
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM shortage_reports WHERE note = '{note}'"
                )
            ),
            1,
            "{note}"
        );
    }
    for (key, id) in &acked.deliveries {
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM deliveries \
                     WHERE idempotency_key = '{key}' AND id = {id}"
                )
            ),
            1,
            "{key}"
        );
    }

    // Retries of every delivery sent, answered or not: one delivery per key, never two; those
    // answered come back as they were.
    for (key, oid) in &acked.keys_sent {
        let line = lines.iter().find(|(o, _)| o == oid).unwrap().1;
        let retry = || {
            http(
                port,
                "POST",
                &format!("/api/v1/orders/{oid}/deliveries"),
                &tsup,
                Some(("Idempotency-Key", key)),
                Some(&ship(line)),
            )
            .unwrap()
        };
        let (st, v) = retry();
        assert!(st == 200 || st == 201, "{key}: {st} {v}");
        if let Some(id) = acked.deliveries.get(key) {
            assert_eq!((st, v["delivery_id"].as_i64()), (200, Some(*id)), "{key}");
            assert_eq!(v["created"], false);
        }
        let (st2, v2) = retry();
        assert_eq!((st2, &v2["delivery_id"]), (200, &v["delivery_id"]));
    }
    assert_eq!(
        count(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM deliveries WHERE idempotency_key LIKE 'crash-%'"
        ) as usize,
        acked.keys_sent.len(),
        "one delivery per key"
    );
    // The shipped quantity of each line is the number of its deliveries: none counted twice.
    for (oid, line) in &lines {
        let shipped = count(
            &store,
            &format!("SELECT CAST(shipped AS BIGINT) AS n FROM order_lines WHERE id = {line}"),
        );
        let notes = count(
            &store,
            &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM deliveries WHERE order_id = {oid}"),
        );
        assert_eq!(shipped, notes, "line {line}");
    }
    drop(server);

    // The audit chain holds, the records of the killed run's last writes included.
    let out = jicai(&db, dir.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

on_both_databases!(empty: acknowledged_writes_survive_sigkill);
