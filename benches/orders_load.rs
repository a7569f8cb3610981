//! The load generator of `benches/orders_load.sh` (not a criterion bench: run that script).
//!
//! Against a running `jicai serve` whose database holds a generated province (`jicai generate`),
//! over HTTP and the JSON API, with the API tokens the generator wrote:
//!
//! 1. **place**: township centers place `--orders` new orders (1 to 4 lines each, 1 in 10
//!    urgent) under contracts in force they have ordered under before;
//! 2. **acknowledge** and **ship**: each order's supplier acknowledges it and ships it in one
//!    delivery note (with an `Idempotency-Key`);
//! 3. **confirm**: the institution confirms every delivery line (accepted);
//! 4. **pages**: center staff log in and render the supplier performance page and the fill-rate
//!    page `--renders` times each, one after the other (no other load), for the default period
//!    (the trailing 90 days) and for the whole year.
//!
//! Phases 1–3 run `--connections` requests at a time. Each phase prints one line:
//! `PHASE name=… requests=… ok=… failed=… seconds=… per_s=… p50_ms=… p99_ms=…`. The run fails
//! (exit 1) if any request failed.
//!
//!     cargo bench --bench orders_load -- load BASE_URL DATABASE_URL TOKENS_FILE PASSWORD \
//!         [--orders 20000] [--connections 64] [--renders 30]

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::rt::System;
use diesel::prelude::*;
use jicai::store::schema::{contracts, order_lines, orders};
use jicai::store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

struct Args {
    base: String,
    database_url: String,
    tokens: String,
    password: String,
    orders: usize,
    connections: usize,
    renders: usize,
}

fn parse_args() -> Option<Args> {
    let args: Vec<String> = std::env::args().collect();
    let pos = args.iter().position(|a| a == "load")?;
    let rest = &args[pos + 1..];
    if rest.len() < 4 {
        return None;
    }
    let mut a = Args {
        base: rest[0].trim_end_matches('/').to_string(),
        database_url: rest[1].clone(),
        tokens: rest[2].clone(),
        password: rest[3].clone(),
        orders: 20_000,
        connections: 64,
        renders: 30,
    };
    let mut i = 4;
    while i + 1 < rest.len() {
        let n: usize = rest[i + 1].parse().ok()?;
        match rest[i].as_str() {
            "--orders" => a.orders = n,
            "--connections" => a.connections = n.max(1),
            "--renders" => a.renders = n.max(1),
            _ => return None,
        }
        i += 2;
    }
    Some(a)
}

/// The tokens file of `jicai generate --tokens`: institution tokens, then supplier tokens.
fn read_tokens(path: &str) -> (BTreeMap<i64, String>, BTreeMap<i64, String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut inst, mut sup) = (BTreeMap::new(), BTreeMap::new());
    let mut section = 0;
    for line in text.lines() {
        if line.starts_with('#') {
            section += 1;
            continue;
        }
        let Some((id, token)) = line.split_once(',') else {
            continue;
        };
        let id: i64 = id.parse().expect("an id");
        if section == 1 {
            inst.insert(id, token.to_string());
        } else {
            sup.insert(id, token.to_string());
        }
    }
    (inst, sup)
}

/// One request of a phase.
struct Job {
    method: &'static str,
    path: String,
    token: String,
    idempotency_key: Option<String>,
    body: Option<Value>,
}

/// What a phase came to: each answer's status and JSON body, and each request's latency.
struct Outcome {
    answers: Vec<(u16, Value)>,
    latencies: Vec<Duration>,
    seconds: f64,
}

impl Outcome {
    fn failed(&self) -> usize {
        self.answers.iter().filter(|(s, _)| *s >= 300).count()
    }

    fn report(&self, name: &str) {
        let n = self.answers.len();
        let failed = self.failed();
        let mut l = self.latencies.clone();
        l.sort();
        println!(
            "PHASE name={name} requests={n} ok={} failed={failed} seconds={:.3} per_s={:.1} \
             p50_ms={:.2} p99_ms={:.2}",
            n - failed,
            self.seconds,
            n as f64 / self.seconds,
            ms(percentile(&l, 50.0)),
            ms(percentile(&l, 99.0)),
        );
        for (s, b) in self.answers.iter().filter(|(s, _)| *s >= 300).take(5) {
            eprintln!("  {name}: {s} {b}");
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile of sorted latencies.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .disable_redirects()
        .finish()
}

/// Sends every job once, `connections` at a time; answers in the jobs' order.
async fn run(base: &str, jobs: Vec<Job>, connections: usize) -> Outcome {
    let n = jobs.len();
    let queue: Rc<RefCell<VecDeque<(usize, Job)>>> =
        Rc::new(RefCell::new(jobs.into_iter().enumerate().collect()));
    let answers: Rc<RefCell<Vec<(u16, Value)>>> = Rc::new(RefCell::new(vec![(0, Value::Null); n]));
    let latencies: Rc<RefCell<Vec<Duration>>> = Rc::new(RefCell::new(Vec::with_capacity(n)));
    let started = Instant::now();
    let mut workers = vec![];
    for _ in 0..connections.min(n.max(1)) {
        let (queue, answers, latencies) = (queue.clone(), answers.clone(), latencies.clone());
        let base = base.to_string();
        workers.push(actix_web::rt::spawn(async move {
            let c = client();
            loop {
                let next = queue.borrow_mut().pop_front();
                let Some((i, job)) = next else { break };
                let url = format!("{base}{}", job.path);
                let mut req = match job.method {
                    "GET" => c.get(url),
                    _ => c.post(url),
                }
                .insert_header(("Authorization", format!("Bearer {}", job.token)));
                if let Some(k) = &job.idempotency_key {
                    req = req.insert_header(("Idempotency-Key", k.clone()));
                }
                let t = Instant::now();
                let answer = match job.body {
                    Some(b) => req.send_json(&b).await,
                    None => req.send().await,
                };
                let (status, body) = match answer {
                    Ok(mut r) => {
                        let status = r.status().as_u16();
                        let body = r.body().limit(16 << 20).await.unwrap_or_default();
                        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
                    }
                    Err(e) => (599, Value::String(e.to_string())),
                };
                latencies.borrow_mut().push(t.elapsed());
                answers.borrow_mut()[i] = (status, body);
            }
        }));
    }
    for w in workers {
        w.await.expect("a worker");
    }
    let seconds = started.elapsed().as_secs_f64();
    let answers = answers.take();
    let latencies = latencies.take();
    Outcome {
        answers,
        latencies,
        seconds,
    }
}

/// For each token institution, per supplier, the contracts in force it has ordered under that
/// serve its county today (the contract the platform itself would pick for the drug: a line
/// under any other is refused with `contract_not_for_county`).
fn orderable(
    url: &str,
    institutions: &BTreeMap<i64, String>,
) -> BTreeMap<i64, Vec<(i64, Vec<i64>)>> {
    let store = Store::open(url, 1).expect("database");
    let mut c = store.conn().expect("connection");
    let ids: Vec<i64> = institutions.keys().copied().collect();
    let rows: Vec<(i64, i64, i64, i64)> = order_lines::table
        .inner_join(orders::table)
        .inner_join(contracts::table)
        .filter(orders::institution_id.eq_any(&ids))
        .filter(contracts::status.eq("in_force"))
        .select((
            orders::institution_id,
            orders::supplier_id,
            order_lines::contract_id,
            contracts::drug_id,
        ))
        .distinct()
        .load(&mut c)
        .expect("contracts of the token institutions");
    let today = chrono::Utc::now().date_naive();
    let mut counties: BTreeMap<i64, i64> = BTreeMap::new();
    let mut serving: BTreeMap<(i64, i64), Option<i64>> = BTreeMap::new();
    let mut by: BTreeMap<i64, BTreeMap<i64, Vec<i64>>> = BTreeMap::new();
    for (i, s, k, drug) in rows {
        let county = *counties.entry(i).or_insert_with(|| {
            jicai::store::regions::county_of_institution(&mut c, i).expect("a county")
        });
        let serves = *serving.entry((county, drug)).or_insert_with(|| {
            let all =
                jicai::store::supply::arrangements_for(&mut c, county, drug).expect("arrangements");
            jicai::domain::supply::serving(&all, county, drug, today).map(|a| a.contract_id)
        });
        if serves == Some(k) {
            by.entry(i).or_default().entry(s).or_default().push(k);
        }
    }
    by.into_iter()
        .map(|(i, m)| (i, m.into_iter().collect()))
        .collect()
}

/// Logs in on the page as `username` and returns the session cookie.
async fn log_in(base: &str, username: &str, password: &str) -> String {
    let c = client();
    let cookie_of = |h: &actix_web::http::header::HeaderMap| -> String {
        h.get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let cookie = cookie_of(page.headers());
    let html = String::from_utf8_lossy(&page.body().await.expect("login page")).into_owned();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a csrf field on the login page")
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .insert_header(("Cookie", cookie))
        .send_form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .await
        .expect("POST /login");
    assert_eq!(r.status().as_u16(), 303, "the log-in of {username}");
    cookie_of(r.headers())
}

/// Renders `path` `n` times, one after the other; prints its line.
async fn render(base: &str, cookie: &str, name: &str, path: &str, n: usize) -> bool {
    let c = client();
    let mut l = vec![];
    let mut failed = 0;
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let mut r = c
            .get(format!("{base}{path}"))
            .insert_header(("Cookie", cookie.to_string()))
            .send()
            .await
            .expect("a page");
        let body = r.body().limit(64 << 20).await.expect("its body");
        l.push(t.elapsed());
        bytes = body.len();
        if r.status().as_u16() != 200 || !body.starts_with(b"<!doctype html>") {
            failed += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    l.sort();
    println!(
        "PAGE name={name} path={path} renders={n} failed={failed} bytes={bytes} seconds={seconds:.3} \
         p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        ms(percentile(&l, 50.0)),
        ms(percentile(&l, 99.0)),
        ms(*l.last().unwrap_or(&Duration::ZERO)),
    );
    failed == 0
}

fn main() {
    let Some(a) = parse_args() else {
        eprintln!(
            "orders_load: the load generator of benches/orders_load.sh; run that script \
             (or: cargo bench --bench orders_load -- load BASE_URL DATABASE_URL TOKENS_FILE \
             PASSWORD [--orders N] [--connections N] [--renders N])"
        );
        return;
    };
    let (inst_tokens, sup_tokens) = read_tokens(&a.tokens);
    let choices = orderable(&a.database_url, &inst_tokens);
    let insts: Vec<i64> = choices.keys().copied().collect();
    assert!(
        !insts.is_empty(),
        "no token institution has contracts in force to order under"
    );
    let mut rng = StdRng::seed_from_u64(42);
    let place: Vec<Job> = (0..a.orders)
        .map(|k| {
            let inst = insts[k % insts.len()];
            let groups = &choices[&inst];
            let (_, contracts) = &groups[rng.gen_range(0..groups.len())];
            let n = rng.gen_range(1..=4usize).min(contracts.len());
            let start = rng.gen_range(0..contracts.len());
            let lines: Vec<Value> = (0..n)
                .map(|j| {
                    json!({
                        "contract_id": contracts[(start + j) % contracts.len()],
                        "quantity": rng.gen_range(10..=300),
                    })
                })
                .collect();
            Job {
                method: "POST",
                path: "/api/v1/orders".into(),
                token: inst_tokens[&inst].clone(),
                idempotency_key: None,
                body: Some(json!({ "urgent": rng.gen_bool(0.1), "lines": lines })),
            }
        })
        .collect();
    let ok = System::new().block_on(async move {
        let mut ok = true;
        let placed = run(&a.base, place, a.connections).await;
        placed.report("place");
        ok &= placed.failed() == 0;
        let orders: Vec<&Value> = placed
            .answers
            .iter()
            .filter(|(s, _)| *s == 201)
            .map(|(_, b)| b)
            .collect();
        let supplier_token = |o: &Value| sup_tokens[&o["supplier_id"].as_i64().unwrap()].clone();
        let ack: Vec<Job> = orders
            .iter()
            .map(|o| Job {
                method: "POST",
                path: format!("/api/v1/orders/{}/acknowledge", o["id"]),
                token: supplier_token(o),
                idempotency_key: None,
                body: None,
            })
            .collect();
        let acked = run(&a.base, ack, a.connections).await;
        acked.report("acknowledge");
        ok &= acked.failed() == 0;
        let today = chrono::Utc::now().date_naive();
        let ship: Vec<Job> = orders
            .iter()
            .map(|o| {
                let lines: Vec<Value> = o["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        json!({
                            "order_line_id": l["id"],
                            "quantity": l["quantity"],
                            "batch_no": format!("B{}", l["id"]),
                            "production_date": (today - chrono::Duration::days(40)).to_string(),
                            "expiry_date": (today + chrono::Duration::days(730)).to_string(),
                            "trace_codes": [format!("8{:019}", l["id"].as_i64().unwrap())],
                        })
                    })
                    .collect();
                Job {
                    method: "POST",
                    path: format!("/api/v1/orders/{}/deliveries", o["id"]),
                    token: supplier_token(o),
                    idempotency_key: Some(format!("bench-{}", o["id"])),
                    body: Some(json!({ "lines": lines })),
                }
            })
            .collect();
        let shipped = run(&a.base, ship, a.connections).await;
        shipped.report("ship");
        ok &= shipped.failed() == 0;
        let inst_of: Vec<i64> = orders
            .iter()
            .map(|o| o["institution_id"].as_i64().unwrap())
            .collect();
        let confirm: Vec<Job> = shipped
            .answers
            .iter()
            .zip(&inst_of)
            .filter(|((s, _), _)| *s == 201)
            .flat_map(|((_, d), inst)| {
                let token = inst_tokens[inst].clone();
                d["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |l| Job {
                        method: "POST",
                        path: format!("/api/v1/delivery-lines/{}/confirm", l["id"]),
                        token: token.clone(),
                        idempotency_key: None,
                        body: Some(json!({ "outcome": "accepted" })),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let confirmed = run(&a.base, confirm, a.connections).await;
        confirmed.report("confirm");
        ok &= confirmed.failed() == 0;
        let lines: usize = orders
            .iter()
            .map(|o| o["lines"].as_array().unwrap().len())
            .sum();
        let ids: Vec<i64> = orders.iter().filter_map(|o| o["id"].as_i64()).collect();
        println!(
            "TOTAL orders={} order_lines={lines} first_order_id={} last_order_id={}",
            orders.len(),
            ids.iter().min().copied().unwrap_or(0),
            ids.iter().max().copied().unwrap_or(0),
        );

        let cookie = log_in(&a.base, "center", &a.password).await;
        let year = format!("?from={}-01-01&to={today}", today.format("%Y"));
        for (name, path) in [
            ("suppliers_90d", "/performance".to_string()),
            ("fill_90d", "/performance/fill".to_string()),
            ("suppliers_year", format!("/performance{year}")),
            ("fill_year", format!("/performance/fill{year}")),
        ] {
            ok &= render(&a.base, &cookie, name, &path, a.renders).await;
        }
        ok
    });
    if !ok {
        eprintln!("orders_load: some requests failed (see above)");
        std::process::exit(1);
    }
}
