//! The demo's tenders: one that has run its whole course (demand, bids, review, opening,
//! award, objection window, contracts), and one open for bids, so that every state is there
//! to look at. Everything goes through the same store functions as the pages.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::domain::award::{AwardPolicy, MultiParams, PolicyKind};
use crate::domain::money::Money;
use crate::domain::paging::PageRequest;
use crate::domain::roles::Scope;
use crate::domain::tender::{TechnicalResult, TenderAction, TenderState};
use crate::domain::{Code, Msg};
use crate::sealing::MasterKey;
use crate::store::tenders::{self as ts, BidSubmission, LotSpec, TenderSpec};
use crate::store::{catalog, parties, regions, Act, DbConn, StoreError};

const ACTOR: &str = "center";

/// (drug code, maximum unit price, policy)
fn lots_done() -> Vec<(&'static str, &'static str, AwardPolicy)> {
    vec![
        ("D0012", "2.00", AwardPolicy::LowestPrice),
        (
            "D0003",
            "1.20",
            AwardPolicy::MultipleWinners(MultiParams::default()),
        ),
        (
            "D0015",
            "1.50",
            AwardPolicy::CompositeScore {
                technical_weight: Decimal::new(4, 1),
                price_weight: Decimal::new(6, 1),
            },
        ),
        ("D0009", "0.30", AwardPolicy::LowestPrice),
    ]
}

/// A drug of the demo's tenders missing from the catalog.
fn no_drug(code: &str) -> Msg {
    Msg::new(Code::NoDrugWithCode).arg("code", code)
}

pub(super) fn demand(
    conn: &mut DbConn,
    act: &Act,
    window: i64,
    codes: &[&str],
) -> Result<(), StoreError> {
    let insts = parties::list_institutions(
        conn,
        &Scope::All,
        "",
        None,
        &PageRequest::new(Some(1), Some(200)),
    )?
    .items;
    for (i, inst) in insts.iter().enumerate() {
        for (j, code) in codes.iter().enumerate() {
            let d = catalog::drug_by_code(conn, code)?
                .ok_or_else(|| StoreError::NotFound(no_drug(code)))?;
            let q = 600 + ((i * 37 + j * 101) % 40) as i64 * 150;
            ts::report_demand(conn, act, window, inst.id, d.id, q)?;
        }
    }
    Ok(())
}

pub(super) fn spec(
    conn: &mut DbConn,
    lots: &[(&str, &str, AwardPolicy)],
) -> Result<Vec<LotSpec>, StoreError> {
    let mut out = vec![];
    for (code, max, policy) in lots {
        let d = catalog::drug_by_code(conn, code)?
            .ok_or_else(|| StoreError::NotFound(no_drug(code)))?;
        out.push(LotSpec {
            drug_id: d.id,
            max_unit_price: Money::parse("max", max)?,
            min_bidders: 2,
            consistency_required: false,
            policy: policy.clone(),
            agreed_share_bp: 7000,
        });
    }
    Ok(out)
}

/// Every maker of the lot's drug (an imported product's national agent) bids with its own
/// product, each at its own price (a few percent apart).
fn bid_all(
    conn: &mut DbConn,
    at: DateTime<Utc>,
    tender_id: i64,
    only_first: bool,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for lot in ts::lots_of(conn, tender_id)? {
        let f = catalog::ProductFilter {
            drug_id: Some(lot.drug_id),
            ..Default::default()
        };
        let products =
            catalog::list_products(conn, &f, &PageRequest::new(Some(1), Some(50)))?.items;
        for (k, p) in products.iter().enumerate() {
            if only_first && k > 0 {
                break;
            }
            // The maker bids, or for an imported product its national agent.
            let bidder = p.national_agent_id.unwrap_or(p.manufacturer_id);
            // Unit price 55% + 9% per rank of the lot's maximum, times units per package.
            let unit = Money::from_ten_thousandths(lot.max_unit_price * (55 + 9 * k as i64) / 100);
            let package =
                Money::from_ten_thousandths(unit.ten_thousandths() * p.units_per_package as i64);
            let sub = BidSubmission {
                lot_id: lot.id,
                supplier_id: bidder,
                product_id: p.id,
                annual_capacity: lot.agreed_volume * 2,
                price: crate::store::tenders::PriceIn::Clear(package),
                documents: vec![crate::store::tenders::Document {
                    name: "GMP证书.pdf".into(),
                    bytes: format!(
                        "%PDF-1.4\n% demo certificate of {}\n%%EOF\n",
                        p.manufacturer_name
                    )
                    .into_bytes(),
                }],
                confirm_above_max: true,
            };
            ts::submit_bid(conn, &Act::new(format!("supplier-{bidder}"), at), &sub)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The province (the region without a parent), whose center runs the demo's tenders.
pub(super) fn province(conn: &mut DbConn) -> Result<crate::store::regions::Region, StoreError> {
    regions::all(conn)?
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .ok_or_else(|| StoreError::NotFound(Code::DemandWindowNeedsProvince.into()))
}

/// Loads the two demo tenders.
pub fn load(
    conn: &mut DbConn,
    master: &MasterKey,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<(), StoreError> {
    let province = province(conn)?;
    let g = Ground {
        master,
        now,
        tz,
        province_id: province.id,
    };
    load_done(conn, &g)?;
    load_open(conn, &g)
}

/// What the demo's tenders are made with: the master key, the moment of loading, the time
/// zone and the province.
struct Ground<'a> {
    master: &'a MasterKey,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    province_id: i64,
}

impl Ground<'_> {
    /// The center's act so many days before the loading.
    fn at(&self, days: i64) -> Act {
        Act::new(ACTOR, self.now - Duration::days(days))
    }
}

/// The 2026 tender, run to its end: demand, bids, review (experts' scores where the policy
/// needs them), opening, award, objection window, contracts.
fn load_done(conn: &mut DbConn, g: &Ground) -> Result<(), StoreError> {
    let w = ts::open_window(
        conn,
        &g.at(90),
        "2026年度基本药物需求填报",
        g.province_id,
        g.now - Duration::days(80),
    )?;
    let codes: Vec<&str> = lots_done().iter().map(|l| l.0).collect();
    demand(conn, &g.at(89), w.id, &codes)?;
    ts::close_window(conn, &g.at(80), w.id)?;
    let lots = spec(conn, &lots_done())?;
    let t = ts::create_tender(
        conn,
        &g.at(79),
        g.master,
        &TenderSpec {
            title: "2026年度基本药物集中带量采购（第一批）".into(),
            region_id: g.province_id,
            window_id: w.id,
            bid_deadline: g.now - Duration::days(60),
            objection_days: 3,
            contract_months: 12,
            lots,
        },
    )?;
    let step = |conn: &mut DbConn, days: i64, a: TenderAction| {
        ts::apply_action(conn, &g.at(days), g.master, g.tz, t.id, a, None)
    };
    step(conn, 78, TenderAction::Publish)?;
    bid_all(conn, g.now - Duration::days(65), t.id, false)?;
    step(conn, 59, TenderAction::OpenTechnical)?;
    score_composite_lots(conn, &Act::new("expert", g.now - Duration::days(58)), t.id)?;
    step(conn, 57, TenderAction::PublishTechnical)?;
    step(conn, 56, TenderAction::OpenCommercial)?;
    step(conn, 55, TenderAction::PublishAward)?;
    step(conn, 51, TenderAction::Finalize)?;
    let done = step(conn, 50, TenderAction::Contract)?;
    debug_assert_eq!(done.state(), TenderState::Contracted);
    Ok(())
}

/// The experts score every bid that passed the review in the lots awarded by composite score
/// (92, then 7 less per bid).
fn score_composite_lots(conn: &mut DbConn, expert: &Act, tender_id: i64) -> Result<(), StoreError> {
    for lot in ts::lots_of(conn, tender_id)?
        .iter()
        .filter(|l| l.policy == PolicyKind::CompositeScore)
    {
        for (k, b) in ts::bids_of_lot(conn, lot.id)?.iter().enumerate() {
            if b.technical_result == Some(TechnicalResult::Passed) {
                ts::set_technical_score(conn, expert, b.id, 92 - 7 * k as i64)?;
            }
        }
    }
    Ok(())
}

/// The 2027 tender, open for bids for another two weeks (one bid per lot so far).
fn load_open(conn: &mut DbConn, g: &Ground) -> Result<(), StoreError> {
    let w = ts::open_window(
        conn,
        &g.at(20),
        "2027年度基本药物需求填报",
        g.province_id,
        g.now - Duration::days(10),
    )?;
    let codes = ["D0006", "D0012"];
    demand(conn, &g.at(19), w.id, &codes)?;
    ts::close_window(conn, &g.at(10), w.id)?;
    let lots = spec(
        conn,
        &[
            (
                "D0006",
                "3.00",
                AwardPolicy::MultipleWinners(MultiParams::default()),
            ),
            ("D0012", "1.80", AwardPolicy::LowestPrice),
        ],
    )?;
    let t = ts::create_tender(
        conn,
        &g.at(9),
        g.master,
        &TenderSpec {
            title: "2027年度基本药物集中带量采购（第二批）".into(),
            region_id: g.province_id,
            window_id: w.id,
            bid_deadline: g.now + Duration::days(14),
            objection_days: 3,
            contract_months: 12,
            lots,
        },
    )?;
    ts::apply_action(
        conn,
        &g.at(8),
        g.master,
        g.tz,
        t.id,
        TenderAction::Publish,
        None,
    )?;
    bid_all(conn, g.now - Duration::days(2), t.id, true)?;
    Ok(())
}
