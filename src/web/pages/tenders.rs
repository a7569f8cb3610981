//! Tender pages: the tenders and one tender, its steps, sealed bids and their receipts, review
//! and scores, objections, and the public results page. Demand collection is in `demand`, a
//! new tender in `lots`, contracts in `contracts`.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use actix_session::Session;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::local_time;
use crate::app::tenders;
use crate::domain::award::PolicyKind;
use crate::domain::roles::Role;
use crate::domain::tender::{TenderAction, TenderState};
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::tenders as ts;
use crate::web::auth::{anon_chrome, csrf_token, language, Viewer};
use crate::web::view::{self, Cell, DetailPage, Link, ListPage, Section, Table};
use crate::web::{db, run, AppState, Error};

/// Reads a date-and-time typed in the province's zone ("2026-12-01 17:00", "2026-12-01T17:00"
/// or a bare date, meaning the end of that day).
pub fn parse_local(field: &str, s: &str, tz: Tz) -> Result<chrono::DateTime<Utc>, Invalid> {
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).expect("valid time"))
        })
        .map_err(|_| {
            let shown: String = s.chars().take(40).collect();
            Invalid::new(field, Msg::new(Code::NotALocalDateTime).arg("value", shown))
        })?;
    crate::domain::date_in_window(field, naive.date())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| Invalid::new(field, Code::TimeNotInProvinceZone))
}

/// Why the technical review failed a bid, in the reader's language.
pub(super) fn reasons(t: &Tr, b: &ts::Bid) -> String {
    b.reason_msgs()
        .iter()
        .map(|m| t.msg(m))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn state_label(t: &Tr, s: TenderState) -> &'static str {
    use TenderState as S;
    match s {
        S::Draft => t.get("tender.draft"),
        S::Open => t.get("tender.open_for_bids"),
        S::Closed => t.get("tender.closed"),
        S::TechnicalOpened => t.get("tender.technical_envelopes_opened"),
        S::TechnicalPublished => t.get("tender.technical_results_published"),
        S::CommercialOpened => t.get("tender.price_envelopes_opened"),
        S::Provisional => t.get("tender.provisional_award_objection_window"),
        S::Awarded => t.get("tender.awarded"),
        S::Contracted => t.get("tender.contracted"),
        S::Cancelled => t.get("tender.cancelled"),
    }
}

pub(super) fn policy_label(t: &Tr, p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::LowestPrice => t.get("tender.lowest_price"),
        PolicyKind::MultipleWinners => t.get("tender.multiple_winners"),
        PolicyKind::CompositeScore => t.get("tender.composite_score"),
    }
}

pub(super) fn cols(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub use super::demand::demand_table_rows;

// ---------- tenders ----------

#[get("/tenders")]
async fn tender_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let now = state.clock.now();
    let p = v.p.clone();
    let all = run(&state, move |cx| tenders::visible(cx, &p)).await?;
    let table = Table {
        columns: cols(&[
            t.get("tender.tender"),
            t.get("tender.bid_deadline"),
            t.get("tender.state"),
        ]),
        rows: all
            .iter()
            .map(|x| {
                vec![
                    Cell::link(&x.title, format!("/tenders/{}", x.id)),
                    Cell::text(local_time(tz, x.bid_deadline)),
                    Cell::text(state_label(&t, ts::effective_state(x, now))),
                ]
            })
            .collect(),
    };
    let actions = if v.p.can_administer() {
        vec![Link::new("/tenders/new", t.get("tender.new_tender"))]
    } else {
        vec![]
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("tender.tenders")),
        heading: t.get("tender.tenders").into(),
        search: None,
        actions,
        table,
        pager: None,
        empty: t.get("page.no_results").into(),
    })
}

pub use super::lots::{parse_lot_lines, TenderForm};

/// The center's next steps for a tender in this state.
pub(super) fn center_actions(t: &Tr, s: TenderState) -> Vec<(TenderAction, &'static str)> {
    use TenderAction as A;
    use TenderState as S;
    let mut v = match s {
        S::Draft => vec![(A::Publish, t.get("tender.publish"))],
        S::Closed => vec![(
            A::OpenTechnical,
            t.get("tender.open_the_technical_envelopes"),
        )],
        S::TechnicalOpened => vec![(
            A::PublishTechnical,
            t.get("tender.publish_the_technical_results"),
        )],
        S::TechnicalPublished => {
            vec![(A::OpenCommercial, t.get("tender.open_the_price_envelopes"))]
        }
        S::CommercialOpened => vec![(
            A::PublishAward,
            t.get("tender.publish_the_provisional_award"),
        )],
        S::Provisional => vec![(A::Finalize, t.get("tender.make_the_award_final"))],
        S::Awarded => vec![(A::Contract, t.get("tender.sign_the_contracts"))],
        _ => vec![],
    };
    if !matches!(s, S::Awarded | S::Contracted | S::Cancelled) {
        v.push((A::Cancel, t.get("tender.cancel_the_tender")));
    }
    v
}

/// What the head of a tender's page says: its state, deadline, contract months, the end of the
/// objection window and why it was cancelled.
fn tender_props(t: &Tr, tz: Tz, tender: &ts::Tender, st: TenderState) -> Vec<(String, String)> {
    let mut props = vec![
        (t.get("tender.state").into(), state_label(t, st).into()),
        (
            t.get("tender.bid_deadline").into(),
            local_time(tz, tender.bid_deadline),
        ),
        (
            t.get("tender.contract_months").into(),
            tender.contract_months.to_string(),
        ),
    ];
    if let Some(d) = tender.objection_deadline {
        props.push((t.get("tender.objections_until").into(), local_time(tz, d)));
    }
    if let Some(r) = &tender.cancel_reason {
        props.push((t.get("tender.cancelled_because").into(), r.clone()));
    }
    props
}

/// What a tender's page shows: the tender and its lots (if the reader may see it), the
/// objections it may read, a supplier's own bids, the contracts and the suppliers' names.
struct TenderData {
    tender: ts::Tender,
    lots: Vec<tenders::LotWithDrug>,
    objections: Vec<ts::Objection>,
    mine: Vec<ts::Bid>,
    contracts: Vec<ts::Contract>,
    names: BTreeMap<i64, String>,
}

/// Reads what a tender's page shows ([`TenderData`]); `supplier`: the reader's supplier, whose
/// own bids it reads.
async fn tender_data(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    supplier: Option<i64>,
) -> Result<TenderData, Error> {
    let p = v.p.clone();
    let (tender, lots, objections, contracts, drugs) = run(state, move |cx| {
        let (tender, lots) = tenders::tender(cx, &p, id)?;
        let ids: Vec<i64> = lots.iter().map(|l| l.0.drug_id).collect();
        Ok((
            tender,
            lots,
            tenders::objections::of_tender(cx, &p, id)?,
            tenders::contracts::of_tender(cx, &p, id)?,
            crate::app::catalog::drugs_by_id(cx, &ids)?,
        ))
    })
    .await?;
    // The lots name their drugs in the reader's language.
    let lots = lots
        .into_iter()
        .map(|(l, code, name, strength)| {
            let name = drugs
                .get(&l.drug_id)
                .map_or(name, |d| super::drug_name(&v.t, d).to_string());
            (l, code, name, strength)
        })
        .collect();
    let (mine, names) = db(state, move |c| {
        let mine = match supplier {
            Some(s) => ts::bids_of_supplier(c, id, s)?,
            None => vec![],
        };
        Ok((mine, ts::supplier_names(c)?))
    })
    .await?;
    Ok(TenderData {
        tender,
        lots,
        objections,
        mine,
        contracts,
        names,
    })
}

#[get("/tenders/{id}")]
async fn tender_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    render_tender(&v, &state, id.into_inner(), None).await
}

/// A tender's page; with a refused cancellation, its form again open with the reason typed
/// and the error next to it (422).
async fn render_tender(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    refused: Option<(String, Vec<Invalid>)>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let supplier = v.p.supplier_id.filter(|_| v.p.role == Role::Supplier);
    let d = tender_data(v, state, id, supplier).await?;
    let st = ts::effective_state(&d.tender, state.clock.now());
    let quorum = d.tender.sealing() == crate::sealing::Mode::Quorum;
    let (custody, bids) = custody_and_review(v, state, &d, st, quorum).await?;
    let mut props = tender_props(&t, state.config.time_zone, &d.tender, st);
    if !quorum {
        props.push((
            t.get("custody.sealing").into(),
            t.get("custody.sealed_by_server").into(),
        ));
    }
    let view = super::tender_sections::View {
        t,
        p: &v.p,
        id,
        st,
        supplier,
        lots: &d.lots,
        names: &d.names,
    };
    let sections = tender_sections(&view, &d, &custody, bids.as_deref(), refused.as_ref());
    let mut actions = vec![];
    if st.award_published() {
        actions.push(Link::new("/results", t.get("tender.public_results")));
    }
    view::render(
        super::refused_status(refused.is_some()),
        &DetailPage {
            chrome: v.chrome(&d.tender.title),
            heading: d.tender.title.clone(),
            props,
            actions,
            sections,
        },
    )
}

/// The sections of a tender's page, each shown only to those who may see it: the lots, a
/// supplier's own bids, the bids under review, objections, contracts, key custody, the
/// envelope digests, the center's next step.
fn tender_sections(
    view: &super::tender_sections::View,
    d: &TenderData,
    custody: &Custody,
    bids: Option<&[crate::app::bids::UnderReview]>,
    refused: Option<&(String, Vec<Invalid>)>,
) -> Vec<Section> {
    use super::tender_sections as sections;
    let mut out = vec![sections::lots(view)];
    if view.supplier.is_some() {
        out.push(sections::own_bids(view, &d.mine));
    }
    // Staff, regulators and experts: the bids under review (never a price before the opening).
    if let Some(bids) = bids {
        out.push(sections::review(view, bids));
    }
    if !d.objections.is_empty() {
        out.push(sections::objections(view, &d.objections));
    }
    if !d.contracts.is_empty() {
        out.push(sections::contracts(view, &d.contracts));
    }
    if d.tender.sealing() == crate::sealing::Mode::Quorum {
        out.extend(sections::custody(
            view,
            &d.tender,
            &custody.custodians,
            &custody.candidates,
        ));
    }
    if let Some(list) = &custody.digests {
        out.push(sections::digests(view, list));
    }
    if view.p.can_administer() {
        out.push(sections::next_step(view, refused));
    }
    out
}

/// A tender's key custody (`custody_of`) and its bids under review as the reader may see them
/// at state `st`.
async fn custody_and_review(
    v: &Viewer,
    state: &web::Data<AppState>,
    d: &TenderData,
    st: TenderState,
    quorum: bool,
) -> Result<(Custody, Option<Vec<crate::app::bids::UnderReview>>), Error> {
    let appointing = quorum && v.p.can_administer() && st == TenderState::Draft;
    let lot_ids: Vec<(i64, i32, PolicyKind)> = d
        .lots
        .iter()
        .map(|x| (x.0.id, x.0.lot_no, x.0.policy))
        .collect();
    let (p, for_review, id) = (v.p.clone(), d.tender.clone(), d.tender.id);
    run(state, move |cx| {
        let custody = custody_of(cx, &p, id, quorum, appointing)?;
        let bids = crate::app::bids::under_review(cx, &p, &for_review, &lot_ids)?;
        Ok((custody, bids))
    })
    .await
}

/// A quorum tender's custodians, its envelope digests (once fixed) and, while center staff may
/// appoint, whom they may appoint (center users with a key).
struct Custody {
    custodians: Vec<ts::custody::Custodian>,
    digests: Option<Vec<(i32, String)>>,
    candidates: Vec<(i64, String, String)>,
}

/// Reads a tender's [`Custody`]: custodians only of a quorum tender, candidates only while
/// `appointing`.
fn custody_of(
    cx: &crate::app::Ctx,
    p: &crate::domain::roles::Principal,
    id: i64,
    quorum: bool,
    appointing: bool,
) -> Result<Custody, Error> {
    let custodians = if quorum {
        crate::app::custody::custodians(cx, p, id)?.1
    } else {
        vec![]
    };
    let candidates = if appointing {
        crate::app::custody::candidates(cx, p)?
    } else {
        vec![]
    };
    Ok(Custody {
        custodians,
        digests: crate::app::custody::digest_list(cx, p, id)?,
        candidates,
    })
}

#[derive(Deserialize)]
struct ActionForm {
    reason: Option<String>,
}

#[post("/tenders/{id}/actions/{action}")]
async fn tender_action(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    f: web::Form<ActionForm>,
) -> Result<HttpResponse, Error> {
    tenders::may_run_tenders(&v.p)?;
    let (id, action) = path.into_inner();
    let action = TenderAction::parse("action", &action)
        .map_err(|_| Error::NotFound(crate::web::tender_api::action_not_found(&action)))?;
    let (p, master, reason) = (v.p.clone(), state.master.clone(), f.reason.clone());
    let done = run(&state, move |cx| {
        tenders::actions::apply(cx, &p, &master, id, action, reason.as_deref())
    })
    .await;
    match done {
        Ok(_) => Ok(view::see_other(&format!("/tenders/{id}"))),
        // A refused reason: the page again, the reason kept.
        Err(Error::Invalid(es)) if action == TenderAction::Cancel => {
            let typed = f.reason.clone().unwrap_or_default();
            render_tender(&v, &state, id, Some((typed, es))).await
        }
        Err(e) => Err(e),
    }
}

// ---------- public results ----------

#[get("/results")]
async fn results(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let t = language(&session, &req, None);
    let (rows, drugs) = run(&state, tenders::public_results).await?;
    let mut sections = vec![];
    for (tender, lots) in rows {
        let mut s = Section::new(tender.title.clone());
        s.table = Some(Table {
            columns: cols(&[
                t.get("tender.lot"),
                t.get("tender.drug"),
                t.get("tender.winner"),
                t.get("tender.unit_price"),
                t.get("tender.volume"),
            ]),
            rows: lots
                .into_iter()
                .map(|r| {
                    let name = drugs
                        .get(&r.drug_id)
                        .map_or("", |d| super::drug_name(&t, d));
                    vec![
                        Cell::num(r.lot_no.to_string()),
                        Cell::text(format!("{} {name} {}", r.drug_code, r.drug_strength)),
                        Cell::text(if r.unit_price.is_none() {
                            format!("— ({})", t.get("tender.failed"))
                        } else {
                            r.winner
                        }),
                        Cell::num(r.unit_price.map_or("—".into(), |p| t.price(p))),
                        Cell::num(r.volume.map_or("—".into(), |n| t.int(n))),
                    ]
                })
                .collect(),
        });
        sections.push(s);
    }
    let mut chrome = anon_chrome(t, csrf_token(&session), t.get("tender.tender_results"));
    chrome.nav = vec![Link::new("/login", t.get("login.title"))];
    view::ok(&DetailPage {
        chrome,
        heading: t.get("tender.tender_results").into(),
        props: vec![],
        actions: vec![],
        sections,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    super::demand::routes(cfg);
    cfg.service(tender_list);
    // Before /tenders/{id}: "new" is not an id.
    super::lots::routes(cfg);
    cfg.service(tender_page)
        .service(tender_action)
        .service(results);
    super::objections::routes(cfg);
    super::contracts::routes(cfg);
}
