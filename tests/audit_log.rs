//! The audit log people can read: every action code the code base writes has its sentence in
//! both languages; the log page (center staff and regulators) shows each entry as a sentence
//! naming the actor and the record, filters by actor, action, record and date (bad dates said
//! next to their field, what was typed kept), pages newest first; the raw before/after is on
//! the entry's own page. Others are refused.

mod common;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, Client, TestDb, PW};
use jicai::i18n::Tr;
use std::collections::BTreeSet;
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
}

/// The arguments of the call that starts at `at` (just after its opening parenthesis).
fn call_args(s: &str, at: usize) -> Vec<String> {
    let (mut depth, mut args, mut cur) = (1, vec![], String::new());
    for ch in s[at..].chars() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            break;
        }
        if depth == 1 && ch == ',' {
            args.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    args.push(cur.trim().to_string());
    args
}

fn literals(s: &str) -> Vec<String> {
    s.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, x)| x.to_string())
        .collect()
}

/// Every action code written to the log: the literal codes of `audit::append` calls and of
/// `audit::Pending` records, and the codes of the few calls that compute theirs (each known
/// here: a new computed one fails this test until it is added).
fn action_codes() -> BTreeSet<String> {
    let mut files = vec![];
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut codes = BTreeSet::new();
    let mut computed = BTreeSet::new();
    for (path, s) in &files {
        for (i, _) in s.match_indices("audit::append(") {
            let args = call_args(s, i + "audit::append(".len());
            let action = &args[2];
            if action.starts_with('"') {
                codes.insert(action.trim_matches('"').to_string());
            } else {
                computed.insert(format!("{path}: {action}"));
            }
        }
        // store::audited_update: the action is the first of its (action, entity, id).
        for (i, _) in s.match_indices("audited_update(") {
            let args = call_args(s, i + "audited_update(".len());
            let action = args.get(2).and_then(|a| literals(a).into_iter().next());
            codes.insert(action.unwrap_or_else(|| {
                panic!("{path}: an audited_update whose action is not written as a literal")
            }));
        }
        for (i, _) in s.match_indices("audit::Pending {") {
            let body = &s[i..i + s[i..].find("})").unwrap_or(s.len() - i)];
            let action = body
                .lines()
                .find(|l| l.trim_start().starts_with("action:"))
                .expect("a Pending names its action");
            codes.extend(literals(action));
        }
    }
    let known: Vec<(&str, Vec<String>)> = vec![
        // The callers of store::audited_update name its action (read above).
        ("src/store/mod.rs: action", vec![]),
        (
            "src/store/users.rs: action",
            vec!["activate".into(), "deactivate".into()],
        ),
        (
            "src/store/tenders/actions.rs: action.as_str()",
            jicai::domain::tender::TenderAction::ALL
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
        ),
        (
            "src/store/shortages/mod.rs: &format!(\"shortage_{}\", change.as_str())",
            jicai::domain::shortage::Change::ALL
                .iter()
                .map(|c| format!("shortage_{}", c.as_str()))
                .collect(),
        ),
    ];
    for c in &computed {
        let (_, these) = known
            .iter()
            .find(|(k, _)| c.ends_with(k))
            .unwrap_or_else(|| {
                panic!("an action code computed where this test does not know it: {c}")
            });
        codes.extend(these.iter().cloned());
    }
    // users.rs computes its two codes right before the call.
    let users = files
        .iter()
        .find(|(p, _)| p.ends_with("src/store/users.rs"))
        .unwrap();
    assert!(users
        .1
        .contains("if active { \"activate\" } else { \"deactivate\" }"));
    codes
}

#[test]
fn every_action_code_written_has_a_sentence_in_both_languages() {
    let codes = action_codes();
    assert!(codes.len() > 40, "{codes:?}");
    for must in [
        "open_commercial",
        "create",
        "submit",
        "shortage_opened",
        "deactivate",
    ] {
        assert!(codes.contains(must), "{must} among {codes:?}");
    }
    let mut missing = vec![];
    for lang in ["zh-CN", "en"] {
        let t = Tr::new(lang);
        for c in &codes {
            let key = format!("auditlog.action.{c}");
            let s = t.get(&key);
            if s == key || !s.contains("{actor}") || !s.contains("{record}") {
                missing.push(format!("{lang}: {c}"));
            }
        }
    }
    assert!(missing.is_empty(), "no sentence: {missing:?}");
}

/// The entries' ids on a log page, in the order shown.
fn ids(body: &str) -> Vec<i64> {
    body.match_indices("<li id=\"audit-")
        .filter_map(|(i, _)| {
            let rest = &body[i + "<li id=\"audit-".len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

/// The sentences on a log page.
fn sentences(body: &str) -> Vec<String> {
    body.match_indices("<li id=\"audit-")
        .filter_map(|(i, _)| {
            let rest = &body[i..];
            let a = rest.find("\">").map(|j| j + 2)?;
            let a = a + rest[a..].find("\">")? + 2;
            Some(rest[a..a + rest[a..].find("</a>")?].to_string())
        })
        .collect()
}

async fn the_log_reads_as_sentences_filters_and_pages(db: TestDb) {
    let state = state_with_demo(&db);
    // A record with a known actor and name: center staff create a region.
    let region = {
        let mut c = state.store.conn().unwrap();
        let county = jicai::store::regions::all(&mut c)
            .unwrap()
            .into_iter()
            .find(|r| r.level == jicai::domain::catalog::RegionLevel::County)
            .unwrap();
        let input = jicai::domain::catalog::RegionInput {
            code: "341599001".into(),
            name_zh: "审计测试镇".into(),
            name_en: "Audit Test Town".into(),
            level: jicai::domain::catalog::RegionLevel::Township,
            parent_code: Some(county.code.clone()),
        };
        jicai::store::regions::create(&mut c, &state.act("center"), &input)
            .unwrap()
            .id
    };
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    c.login("center", PW).await;
    let all = c.get("/audit").await;
    assert_eq!(all.status, StatusCode::OK);
    let first = ids(&all.body);
    assert_eq!(first.len(), 50, "a page of 50");
    assert!(first.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        !all.body.contains("{&quot;") && !all.body.contains("{\""),
        "no raw JSON on the list"
    );
    // The sentence of the new record, in Chinese, with the actor's and the record's names.
    let want = "省采购中心 王敏 创建了行政区划「审计测试镇」";
    assert!(
        sentences(&all.body).iter().any(|s| s == want),
        "{:?}",
        sentences(&all.body)
    );
    // Paging: the second page goes on where the first stopped.
    let next = c.get("/audit?page=2").await;
    let second = ids(&next.body);
    assert_eq!(second.first().copied(), Some(first[49] - 1), "{second:?}");
    assert!(next.body.contains("rel=\"prev\""));
    // Filters narrow: by record, by actor and action, by date.
    let r = c
        .get(&format!("/audit?entity=region&entity_id={region}"))
        .await;
    assert_eq!(sentences(&r.body), vec![want.to_string()], "{}", r.body);
    let r = c
        .get("/audit?actor=center&action=create&entity=region")
        .await;
    let s = sentences(&r.body);
    assert!(
        !s.is_empty()
            && s.iter()
                .all(|x| x.starts_with("省采购中心 王敏 创建了行政区划")),
        "{s:?}"
    );
    let today = state.today();
    let r = c
        .get(&format!("/audit?from={today}&to={today}&entity=region"))
        .await;
    assert!(sentences(&r.body).contains(&want.to_string()));
    let before = today - chrono::Duration::days(400);
    let r = c.get(&format!("/audit?to={before}")).await;
    assert!(ids(&r.body).is_empty(), "nothing that old");
    // The tender's commercial opening reads as such, with the tender's title.
    let r = c.get("/audit?action=open_commercial").await;
    let s = sentences(&r.body);
    assert!(!s.is_empty(), "the demo's 2026 tender was opened");
    let tender = jicai::store::tenders::tenders_list(&mut state.store.conn().unwrap())
        .unwrap()
        .into_iter()
        .find(|t| t.state.prices_opened())
        .unwrap();
    assert!(
        s.iter()
            .any(|x| x.contains(&format!("开启了招标「{}」的商务标", tender.title))),
        "{s:?}"
    );
    // Bad dates: said next to their field, what was typed kept.
    let r = c.get("/audit?from=2026-13-45&to=abc&actor=center").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"2026-13-45\"") && r.body.contains("value=\"abc\""));
    let from_label = r.body.find("id=\"f-from\"").unwrap();
    let err = r.body[from_label..].find("class=\"error\"").unwrap();
    assert!(
        err < r.body[from_label..].find("</label>").unwrap(),
        "the error in the from field"
    );
    assert!(r.body.contains("<option value=\"center\" selected"));
    let r = c.get(&format!("/audit?from={today}&to={before}")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // In English.
    c.post("/lang/en", &[]).await;
    let r = c
        .get(&format!("/audit?entity=region&entity_id={region}"))
        .await;
    assert_eq!(
        sentences(&r.body),
        vec!["省采购中心 王敏 created region Audit Test Town".to_string()]
    );
    // The entry's own page has the raw record, wrapped.
    let id = ids(&r.body)[0];
    let e = c.get(&format!("/audit/{id}")).await;
    assert_eq!(e.status, StatusCode::OK);
    assert!(e.body.contains("<pre class=\"audit-json\">") && e.body.contains("Audit Test Town"));
    assert_eq!(
        c.get("/audit/999999999").await.status,
        StatusCode::NOT_FOUND
    );
    // Regulators read it too; nobody else.
    let mut reg = Client::new(app.clone());
    reg.login("regulator", PW).await;
    assert_eq!(reg.get("/audit").await.status, StatusCode::OK);
    assert_eq!(
        reg.get(&format!("/audit/{id}")).await.status,
        StatusCode::OK
    );
    for who in ["supplier", "institution", "expert"] {
        let mut o = Client::new(app.clone());
        o.login(who, PW).await;
        assert_eq!(o.get("/audit").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            o.get(&format!("/audit/{id}")).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
}

on_both_databases!(demo: the_log_reads_as_sentences_filters_and_pages);
