//! Each role's home page is its to-do list, read from the live records, on both databases: the
//! demo's known records appear as lines with the right count or deadline and a link to the
//! records they count; a record of another supplier or institution does not appear (one is
//! made to prove it, and its own user sees it); an empty list says so in the user's language.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::shortage::run_scan;
use common::{app, state_with_demo, supplier_user, Client, TestDb, PW};
use jicai::clock::Clock;
use jicai::domain::orders::OrderState;
use jicai::domain::shortage::Level;
use jicai::domain::tender::TenderState;
use jicai::store::{orders as os, parties, shortages as ss, tenders as ts, users, Act};
use jicai::web::AppState;

/// The lines of one kind on a home page (`<li class="todo-KIND…">…</li>`).
fn lines(body: &str, kind: &str) -> Vec<String> {
    let open = format!("<li class=\"todo-{kind}");
    let mut out = vec![];
    let mut rest = body;
    while let Some(i) = rest.find(&open) {
        let end = rest[i..].find("</li>").map(|j| i + j).unwrap_or(rest.len());
        out.push(rest[i..end].to_string());
        rest = &rest[end..];
    }
    out
}

fn one_line(body: &str, kind: &str) -> String {
    let ls = lines(body, kind);
    assert_eq!(ls.len(), 1, "one {kind} line: {ls:?}\n{body}");
    ls[0].clone()
}

/// The demo institution, and the supplier of its demo orders and the supplier whose lines
/// were declined (with a contract of each).
fn demo_parties(state: &AppState) -> (i64, (i64, i64), (i64, i64)) {
    let mut c = state.store.conn().unwrap();
    let inst = users::by_username(&mut c, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let ks = ts::commitments_of_institution(&mut c, inst).unwrap();
    let first = &ks[0].0;
    let other = ks
        .iter()
        .map(|k| &k.0)
        .find(|k| k.product_id != first.product_id && k.supplier_id != first.supplier_id)
        .expect("the demo institution has contracts of two suppliers");
    (
        inst,
        (first.supplier_id, first.id),
        (other.supplier_id, other.id),
    )
}

fn orders_in(state: &AppState, supplier: i64, s: OrderState) -> usize {
    os::orders_for(&mut state.store.conn().unwrap(), None, Some(supplier))
        .unwrap()
        .iter()
        .filter(|o| o.state == s)
        .count()
}

async fn home_of<S, B>(c: &mut Client<S>) -> String
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let r = c.get("/home").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn the_centers_home_lists_its_next_steps(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    // A failed e-mail.
    {
        let mut c = state.store.conn().unwrap();
        let m =
            jicai::store::outbox::with_status(&mut c, jicai::domain::mail::MailStatus::Pending, 1)
                .unwrap();
        assert_eq!(m.len(), 1, "the demo has written e-mails");
        jicai::store::outbox::mark_failed_try(
            &mut c,
            m[0].id,
            jicai::domain::mail::MAX_ATTEMPTS,
            "refused",
            state.clock.now().naive_utc(),
        )
        .unwrap();
    }
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    c.login("center", PW).await;
    let body = home_of(&mut c).await;
    assert!(!body.contains("home.intro"), "no navigation repeated");
    let now = state.clock.now();
    let tenders = ts::tenders_list(&mut state.store.conn().unwrap()).unwrap();
    let steps = lines(&body, "tender_step");
    for t in &tenders {
        let href = format!("href=\"/tenders/{}\"", t.id);
        let line = steps.iter().find(|l| l.contains(&href));
        match ts::effective_state(t, now) {
            TenderState::Draft => {
                let l = line.unwrap_or_else(|| panic!("the draft {} waits: {steps:?}", t.title));
                assert!(l.contains("下一步 发布招标") && l.contains(&t.title), "{l}");
            }
            TenderState::Open | TenderState::Contracted | TenderState::Cancelled => {
                assert!(line.is_none(), "{} waits for no step: {line:?}", t.title)
            }
            _ => {}
        }
    }
    // Open shortages by level, each linked to the list of that level.
    let open = ss::open_records(&mut state.store.conn().unwrap()).unwrap();
    assert!(!open.is_empty(), "the scan opened records on the demo");
    let shown = lines(&body, "shortages");
    for level in Level::ALL {
        let n = open.values().filter(|r| r.level == *level).count();
        let href = format!("href=\"/shortages?status=open&#38;level={level}\"");
        let line = shown.iter().find(|l| l.contains(&href));
        if n == 0 {
            assert!(line.is_none(), "{level}: {line:?}");
        } else {
            let l = line.unwrap_or_else(|| panic!("{level}: {shown:?}"));
            assert!(l.contains(&format!("：{n} 条")), "{level} {n}: {l}");
        }
    }
    let mail = one_line(&body, "failed_mail");
    assert!(
        mail.contains("href=\"/outbox\"") && mail.contains("发送失败的邮件：1 封"),
        "{mail}"
    );
    // The list the line links to holds exactly those records.
    let level = open.values().next().unwrap().level;
    let list = c
        .get(&format!("/shortages?status=open&level={level}"))
        .await;
    let n = open.values().filter(|r| r.level == level).count();
    assert_eq!(
        list.body.matches("href=\"/shortages/").count(),
        n,
        "{}",
        list.body
    );
    // Nothing overdue yet; forty days on, the demo's payable is.
    assert!(lines(&body, "overdue_payables").is_empty());
    let mut later = state.clone();
    later.clock = Clock::fixed(now + Duration::days(40));
    let mut c = Client::new(common::app(later).await);
    c.login("center", PW).await;
    let body = home_of(&mut c).await;
    let day = (now + Duration::days(40))
        .with_timezone(&state.config.time_zone)
        .date_naive();
    let overdue: Vec<_> = os::payables_of(&mut state.store.conn().unwrap(), None, None)
        .unwrap()
        .into_iter()
        .filter(|p| p.paid_at.is_none() && p.due_on < day)
        .collect();
    assert!(!overdue.is_empty());
    let amount: i64 = overdue.iter().map(|p| p.amount).sum();
    let l = one_line(&body, "overdue_payables");
    assert!(
        l.contains(&format!(
            "逾期未付款项：{} 笔，共 {}",
            overdue.len(),
            jicai::i18n::Tr::new("zh-CN")
                .price(jicai::domain::money::Money::from_ten_thousandths(amount).decimal())
        )) && l.contains("href=\"/payables?status=overdue\""),
        "{l} {} {amount}",
        overdue.len()
    );
    // Its link lists those payables only.
    let list = c.get("/payables?status=overdue").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body.matches("<tr").count() - 1,
        overdue.len(),
        "{}",
        list.body
    );
}

async fn a_suppliers_home_counts_its_own_orders_tenders_licences_and_declines(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, (s1, _), (s2, k2)) = demo_parties(&state);
    let app = app(state.clone()).await;
    let (u1, u2) = (supplier_user(&state, s1), supplier_user(&state, s2));
    let mut c1 = Client::logged_in(app.clone(), &u1, "/home").await;
    c1.post("/lang/zh-CN", &[]).await;
    let body = home_of(&mut c1).await;
    // Orders to acknowledge and to ship, with the soonest deadline and the filtered list.
    let ack = orders_in(&state, s1, OrderState::Submitted);
    assert!(ack >= 1, "the demo's order submitted an hour ago");
    let l = one_line(&body, "to_acknowledge");
    assert!(
        l.contains(&format!("待确认接单的订单：{ack} 个"))
            && l.contains("href=\"/orders?state=submitted\"")
            && l.contains("最早截止"),
        "{l}"
    );
    // The line's link shows exactly those orders.
    let list = c1.get("/orders?state=submitted").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body.matches("<tr").count() - 1,
        ack,
        "one row per submitted order: {}",
        list.body
    );
    assert_eq!(
        c1.get("/orders?state=nonsense").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let ship = orders_in(&state, s1, OrderState::Acknowledged);
    let l = one_line(&body, "to_ship");
    assert!(
        l.contains(&format!("待发货的订单：{ship} 个")) && l.contains("orders?state=acknowledged"),
        "{l}"
    );
    // The tender open for bids, with its deadline.
    let now = state.clock.now();
    let open: Vec<_> = ts::tenders_list(&mut state.store.conn().unwrap())
        .unwrap()
        .into_iter()
        .filter(|t| ts::effective_state(t, now) == TenderState::Open)
        .collect();
    assert!(!open.is_empty(), "the demo's 2027 tender is open");
    let shown = lines(&body, "open_tender");
    assert_eq!(shown.len(), open.len(), "{shown:?}");
    for t in &open {
        assert!(
            shown
                .iter()
                .any(|l| l.contains(&format!("/tenders/{}\"", t.id)) && l.contains("投标截止")),
            "{shown:?}"
        );
    }
    // The other supplier's declines are not this one's; its own page has them.
    assert!(lines(&body, "declines").is_empty(), "s1 declined nothing");
    let mut c2 = Client::logged_in(app.clone(), &u2, "/home").await;
    c2.post("/lang/zh-CN", &[]).await;
    let body2 = home_of(&mut c2).await;
    let l = one_line(&body2, "declines");
    assert!(l.contains("近 30 天拒绝的订单行：3 行"), "{l}");
    // An order to the other supplier: its line counts one more, this one's the same.
    let ack2 = orders_in(&state, s2, OrderState::Submitted);
    {
        let mut c = state.store.conn().unwrap();
        jicai::app::ordering::place_basket(
            &mut c,
            &Act::new("institution", now),
            &jicai::domain::orders::DeliveryRules::default(),
            inst,
            false,
            &[jicai::app::ordering::BasketLine {
                item: jicai::app::ordering::Item::Contract(k2),
                quantity: 5,
            }],
            state.today(),
        )
        .unwrap();
    }
    let body = home_of(&mut c1).await;
    assert!(
        one_line(&body, "to_acknowledge").contains(&format!("：{ack} 个")),
        "another supplier's order is not counted"
    );
    let body2 = home_of(&mut c2).await;
    assert!(
        one_line(&body2, "to_acknowledge").contains(&format!("：{} 个", ack2 + 1)),
        "{body2}"
    );
}

async fn a_suppliers_home_warns_of_its_licences(db: TestDb) {
    let state = state_with_demo(&db);
    let today = state.today();
    let mut c = state.store.conn().unwrap();
    // The demo's suppliers with an expired licence and with one expiring within 30 days.
    let mut expired = None;
    let mut expiring = None;
    for s in parties::list_suppliers(
        &mut c,
        &jicai::domain::roles::Scope::All,
        "",
        None,
        &jicai::domain::paging::PageRequest::new(Some(1), Some(200)),
    )
    .unwrap()
    .items
    {
        for l in parties::licences_of(&mut c, s.id).unwrap() {
            let left = (l.expires_on - today).num_days();
            if left < 0 && expired.is_none() {
                expired = Some((s.id, l.clone()));
            } else if (0..=30).contains(&left) && expiring.is_none() {
                expiring = Some((s.id, l.clone()));
            }
        }
    }
    drop(c);
    let app = app(state.clone()).await;
    for (found, word, class) in [(expired, "已于", "bad"), (expiring, "将于", "warn")] {
        let (s, l) = found.expect("the demo has an expired and an expiring licence");
        let mut cl = Client::logged_in(app.clone(), &supplier_user(&state, s), "/home").await;
        cl.post("/lang/zh-CN", &[]).await;
        let body = home_of(&mut cl).await;
        let shown = lines(&body, "licence");
        let line = shown
            .iter()
            .find(|x| x.contains(&l.number))
            .unwrap_or_else(|| panic!("{}: {shown:?}", l.number));
        assert!(
            line.contains(&format!("{word} {}", l.expires_on))
                && line.contains(class)
                && line.contains(&format!("href=\"/suppliers/{s}\"")),
            "{line}"
        );
        // Only its own licences.
        let own = parties::licences_of(&mut state.store.conn().unwrap(), s).unwrap();
        assert!(shown
            .iter()
            .all(|x| own.iter().any(|o| x.contains(&o.number))));
    }
}

async fn an_institutions_home_lists_deliveries_payables_and_its_reports(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, (s1, _), _) = demo_parties(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    c.login("institution", PW).await;
    let body = home_of(&mut c).await;
    assert!(
        lines(&body, "to_confirm").is_empty(),
        "the demo's delivery is confirmed"
    );
    // The payable of the accepted delivery, due in five days.
    let p = os::payables_of(&mut state.store.conn().unwrap(), Some(inst), None).unwrap();
    let unpaid: Vec<_> = p.iter().filter(|x| x.paid_at.is_none()).collect();
    assert_eq!(unpaid.len(), 1);
    let l = one_line(&body, "payables_due");
    let amount = jicai::i18n::Tr::new("zh-CN")
        .price(jicai::domain::money::Money::from_ten_thousandths(unpaid[0].amount).decimal());
    assert!(
        l.contains(&format!("待付款项：1 笔，共 {amount}"))
            && l.contains(&format!("最早 {} 到期", unpaid[0].due_on))
            && l.contains("href=\"/payables?status=due\""),
        "{l}"
    );
    let l = one_line(&body, "shortage_reports");
    assert!(l.contains("近 30 天报告的短缺：1 份"), "{l}");
    // The supplier ships the acknowledged order: a delivery to confirm.
    let late = os::orders_for(&mut state.store.conn().unwrap(), Some(&[inst]), Some(s1))
        .unwrap()
        .into_iter()
        .find(|o| o.state == OrderState::Acknowledged)
        .expect("the demo's acknowledged order");
    let line = os::lines_of(&mut state.store.conn().unwrap(), late.id).unwrap()[0].clone();
    let token = common::token_for(&state, &supplier_user(&state, s1));
    let r = c
        .api_post(&format!("/api/v1/orders/{}/deliveries", late.id), &token, Some(serde_json::json!({"lines": [{"order_line_id": line.id, "quantity": line.quantity, "batch_no": "B1", "production_date": (state.today() - Duration::days(30)).to_string(), "expiry_date": (state.today() + Duration::days(700)).to_string(), "trace_codes": ["81234567890123456789"]}]})))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let body = home_of(&mut c).await;
    let l = one_line(&body, "to_confirm");
    assert!(
        l.contains("待验收的配送单：1 张") && l.contains("href=\"/orders?state=shipped\""),
        "{l}"
    );
    // Another institution's report is not this one's; its own user sees it.
    let other = {
        let mut cn = state.store.conn().unwrap();
        let all = parties::list_institutions(
            &mut cn,
            &jicai::domain::roles::Scope::All,
            "",
            None,
            &jicai::domain::paging::PageRequest::new(Some(1), Some(500)),
        )
        .unwrap()
        .items;
        let kids: Vec<i64> = parties::children_of(&mut cn, inst).unwrap();
        let o = all
            .into_iter()
            .find(|i| i.id != inst && !kids.contains(&i.id) && i.parent_id != Some(inst))
            .unwrap();
        let drug = jicai::store::catalog::drug_by_code(&mut cn, "D0001")
            .unwrap()
            .unwrap();
        ss::report(
            &mut cn,
            &Act::new("other", state.clock.now()),
            o.id,
            drug.id,
            "none",
        )
        .unwrap();
        users::create(
            &mut cn,
            &Act::new("test", state.clock.now()),
            &users::NewUser {
                username: "other-inst".into(),
                password_hash: jicai::security::hash_password(PW).unwrap(),
                display_name: "other".into(),
                role: jicai::domain::roles::Role::Institution,
                supplier_id: None,
                institution_id: Some(o.id),
                email: "other@test".into(),
                language: "en".into(),
            },
        )
        .unwrap();
        o.id
    };
    let _ = other;
    let body = home_of(&mut c).await;
    assert!(one_line(&body, "shortage_reports").contains("：1 份"));
    let mut co = Client::logged_in(app.clone(), "other-inst", "/home").await;
    co.post("/lang/en", &[]).await;
    let body = home_of(&mut co).await;
    let l = one_line(&body, "shortage_reports");
    assert!(l.contains("Shortage reports of the last 30 days: 1"), "{l}");
    assert!(
        lines(&body, "to_confirm").is_empty(),
        "not the demo institution's delivery"
    );
}

async fn the_regulators_home_shows_the_province_at_a_glance(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let app = app(state.clone()).await;
    let mut c = Client::logged_in(app.clone(), "regulator", "/home").await;
    c.post("/lang/en", &[]).await;
    let body = home_of(&mut c).await;
    assert!(body.contains("The province at a glance"));
    let today = state.today();
    let from = today - Duration::days(89);
    let timely = one_line(&body, "timely_rate");
    assert!(
        timely.contains(&format!("href=\"/performance?from={from}&#38;to={today}\""))
            && timely.contains("Timely delivery rate: ")
            && timely.contains(&format!("{from} to {today}")),
        "{timely}"
    );
    let fill = one_line(&body, "fill_rate");
    assert!(fill.contains("href=\"/performance/fill?from="), "{fill}");
    let n = ss::open_records(&mut state.store.conn().unwrap())
        .unwrap()
        .len();
    let l = one_line(&body, "open_shortages");
    assert!(
        l.contains(&format!("Open shortages: {n}"))
            && l.contains("href=\"/shortages?status=open\""),
        "{l}"
    );
    let l = one_line(&body, "overdue_payables");
    assert!(
        l.contains("Overdue payables: 0") && l.contains("href=\"/payables?status=overdue\""),
        "{l}"
    );
    assert!(l.contains("Overdue payables: 0"), "{l}");
    // The pages the figures link to answer.
    for href in [
        "/performance",
        "/performance/fill",
        "/shortages?status=open",
    ] {
        assert_eq!(c.get(href).await.status, StatusCode::OK, "{href}");
    }
    // The timely rate is the performance page's, over the same period.
    let rate = timely
        .split("Timely delivery rate: ")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    let perf = c.get(&format!("/performance?from={from}&to={today}")).await;
    assert!(rate == "—" || perf.body.contains(&rate), "{rate}");
}

async fn an_empty_list_says_nothing_waits(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    c.login("expert", PW).await;
    let body = home_of(&mut c).await;
    assert!(body.contains("id=\"todo-nothing\">暂无待办事项"), "{body}");
    c.get("/home").await;
    c.post("/lang/en", &[]).await;
    let body = home_of(&mut c).await;
    assert!(
        body.contains("id=\"todo-nothing\">Nothing waiting"),
        "{body}"
    );
}

on_both_databases!(
    demo: the_centers_home_lists_its_next_steps,
    a_suppliers_home_counts_its_own_orders_tenders_licences_and_declines,
    a_suppliers_home_warns_of_its_licences,
    an_institutions_home_lists_deliveries_payables_and_its_reports,
    the_regulators_home_shows_the_province_at_a_glance,
    an_empty_list_says_nothing_waits,
);
