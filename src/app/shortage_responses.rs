//! The center's responses to a shortage: each recorded with its history event, audit record and
//! alert in one transaction, and acting on supply for the affected counties until its end date
//! (the rules: `domain::shortage_response`): a switch to each county's backup winner, a
//! designated producer, direct listings (an arrangement per listing, made when a supplier
//! lists), a re-tender (recorded). Withdrawn by the center, or when the shortage resolves, a
//! response ends with every arrangement it made.

use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, Result};
use crate::alerts::{send, Alert, Value};
use crate::domain::alerts::AlertKind;
use crate::domain::money::Money;
use crate::domain::roles::Principal;
use crate::domain::shortage::{counties_parse, ResponseKind};
use crate::domain::shortage_response::{backup_for, designated_product, NewResponse};
use crate::domain::supply::ContractKind;
use crate::domain::{Code, Msg};
use crate::sealing::MasterKey;
use crate::store::supply::{create_arrangement, NewArrangement};
use crate::store::tenders as ts;
use crate::store::{catalog, regions, shortages, write_tx, Act, DbConn, StoreError};

/// Center staff respond to shortages; regulators read.
pub fn may_respond(p: &Principal) -> Result<()> {
    super::may_administer(p)
}

/// Center staff respond to an open shortage: recorded, acted on, alerted, in one transaction.
#[tracing::instrument(skip_all, fields(user = %p.username, shortage = shortage_id))]
pub fn respond(
    cx: &Ctx,
    p: &Principal,
    shortage_id: i64,
    r: &NewResponse,
    master: &MasterKey,
) -> Result<shortages::Response> {
    may_respond(p)?;
    let (act, today) = (cx.act(p), cx.today());
    let url = cx.config.public_url.clone();
    let mut c = cx.conn()?;
    Ok(write_tx(&mut c, |conn| {
        if r.kind == ResponseKind::Retender {
            let drug = shortages::get(conn, shortage_id)?.drug_id;
            if shortages::latest_lot_of_drug(conn, drug)?.is_none() {
                // Nothing to take the lot's parameters from: the center starts a tender itself.
                let e = crate::domain::Invalid::new("kind", Code::RetenderNeedsTenderedDrug);
                return Err(StoreError::Invalid(vec![e]));
            }
        }
        let r = &with_designated_product(conn, shortage_id, r)?;
        let (rec, resp) = shortages::respond(conn, &act, shortage_id, r)?;
        apply_response(conn, &act, master, &rec, &resp, today)?;
        alert_response(conn, &act, &rec, &resp, &url, today)?;
        Ok(resp)
    })?)
}

/// A designated producer's response with its product settled (`domain::shortage_response::
/// designated_product`: the one chosen, checked, or the producer's one product of the drug);
/// any other response as it is. A record not open, or a supplier not there, is left to
/// `shortages::respond` to refuse.
fn with_designated_product(
    conn: &mut DbConn,
    shortage_id: i64,
    r: &NewResponse,
) -> std::result::Result<NewResponse, StoreError> {
    let Some(supplier) = r
        .supplier_id
        .filter(|_| r.kind == ResponseKind::DesignatedProducer)
    else {
        return Ok(r.clone());
    };
    let rec = shortages::get(conn, shortage_id)?;
    if rec.status != crate::domain::shortage::ShortageStatus::Open {
        return Ok(r.clone());
    }
    let (kind, products) = shortages::designated_facts(conn, supplier, rec.drug_id, r.product_id)?;
    let Some(kind) = kind else {
        return Ok(r.clone());
    };
    let product = designated_product(supplier, kind, rec.drug_id, r.product_id, &products)?;
    Ok(NewResponse {
        product_id: Some(product),
        ..r.clone()
    })
}

/// Center staff withdraw a response: it ends now with its arrangements (new orders of the
/// affected counties go back to the award contract).
#[tracing::instrument(skip_all, fields(user = %p.username, response = id))]
pub fn withdraw(cx: &Ctx, p: &Principal, id: i64) -> Result<shortages::Response> {
    may_respond(p)?;
    let (act, today) = (cx.act(p), cx.today());
    let url = cx.config.public_url.clone();
    let mut c = cx.conn()?;
    Ok(write_tx(&mut c, |conn| {
        let resp = shortages::end_response(conn, &act, id)?;
        let rec = shortages::get(conn, resp.shortage_id)?;
        alert_end(conn, &act, &rec, &resp, &url, today)?;
        Ok(resp)
    })?)
}

/// A supplier's user lists a product of the drug under a direct listing in force, at its own
/// price within the cap: a `direct_listing` arrangement for the response's counties and period.
#[tracing::instrument(skip_all, fields(user = %p.username, response = response_id))]
pub fn list_product(
    cx: &Ctx,
    p: &Principal,
    response_id: i64,
    product_id: i64,
    unit_price: i64,
) -> Result<shortages::Listing> {
    if p.role != crate::domain::roles::Role::Supplier {
        return Err(super::Error::Forbidden(Code::OnlySuppliersList.into()));
    }
    let supplier = super::parties::acting_supplier(p, Code::OnlySupplierUsersList)?;
    let (act, today) = (cx.act(p), cx.today());
    Ok(shortages::list_product(
        &mut *cx.conn()?,
        &act,
        response_id,
        supplier,
        product_id,
        unit_price,
        today,
    )?)
}

/// Ends every response of a record that resolved (inside the resolution's transaction), each
/// with its e-mail to the people its start was sent to.
pub fn end_responses_of(
    conn: &mut DbConn,
    act: &Act,
    rec: &shortages::Shortage,
    public_url: &str,
    today: NaiveDate,
) -> std::result::Result<usize, StoreError> {
    let open = shortages::open_responses_of(conn, rec.id)?;
    for r in &open {
        let resp = shortages::end_response(conn, act, r.id)?;
        alert_end(conn, act, rec, &resp, public_url, today)?;
    }
    Ok(open.len())
}

/// What a recorded response does (inside its transaction): the arrangements it makes, or the
/// draft tender of a re-tender. The demo calls it too.
pub fn apply_response(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    rec: &shortages::Shortage,
    resp: &shortages::Response,
    today: NaiveDate,
) -> std::result::Result<(), StoreError> {
    act_on_supply(conn, act, resp, today)?;
    if resp.kind == ResponseKind::Retender {
        draft_retender(conn, act, master, rec, resp, act.at)?;
    }
    Ok(())
}

/// A re-tender: a draft tender with one lot for the drug, made by the store's own tender
/// creation from the previous lot's parameters (policy, maximum price, minimum bidders,
/// consistency, agreed share) and the latest demand window that holds the drug, its demand
/// then set to the affected counties' latest reported demand; the center completes and
/// publishes it. Returns the tender's id.
fn draft_retender(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    rec: &shortages::Shortage,
    resp: &shortages::Response,
    now: chrono::DateTime<chrono::Utc>,
) -> std::result::Result<i64, StoreError> {
    let Some((lot, prev)) = shortages::latest_lot_of_drug(conn, resp.drug_id)? else {
        // `respond` refuses a re-tender of a drug never tendered; the demo's are all tendered.
        return Ok(0);
    };
    let window = prev.window_id.unwrap_or(0);
    let counties: BTreeSet<i64> = counties_parse(&resp.counties);
    let regions = regions::all(conn)?;
    let codes: BTreeSet<&str> = regions
        .iter()
        .filter(|r| counties.contains(&r.id))
        .map(|r| r.code.as_str())
        .collect();
    let drug = catalog::get_drug(conn, resp.drug_id)?;
    let demand: i64 = ts::demand_by_region(conn, window)?
        .iter()
        .filter(|(county, _, code, _, _)| codes.contains(county.as_str()) && *code == drug.code)
        .map(|r| r.4)
        .sum();
    let spec = ts::TenderSpec {
        title: format!("重新招标 {} {}", drug.code, drug.name_zh),
        region_id: rec.region_id,
        window_id: window,
        bid_deadline: now + chrono::Duration::days(14),
        objection_days: prev.objection_days,
        contract_months: prev.contract_months,
        lots: vec![ts::LotSpec {
            drug_id: resp.drug_id,
            max_unit_price: lot.max_price(),
            min_bidders: lot.min_bidders,
            consistency_required: lot.consistency_required,
            policy: lot.award_policy()?,
            agreed_share_bp: lot.agreed_share_bp,
        }],
    };
    let t = ts::create_tender(conn, act, master, &spec)?;
    let new_lot = ts::lots_of(conn, t.id)?[0].id;
    let agreed = ts::agreed_volume(demand, lot.agreed_share_bp);
    shortages::set_retender_demand(conn, resp.id, t.id, new_lot, demand, agreed)?;
    Ok(t.id)
}

/// What a response changes in supply, for its counties and period.
fn act_on_supply(
    conn: &mut DbConn,
    act: &Act,
    resp: &shortages::Response,
    today: NaiveDate,
) -> std::result::Result<(), StoreError> {
    let ends_on = resp.until_on.unwrap_or(today);
    let counties: Vec<i64> = counties_parse(&resp.counties).into_iter().collect();
    let base = NewArrangement {
        kind: ContractKind::Designated,
        response_id: Some(resp.id),
        drug_id: resp.drug_id,
        supplier_id: 0,
        product_id: 0,
        lot_id: None,
        bid_id: None,
        unit_price: Money::from_ten_thousandths(resp.unit_price.unwrap_or(0)),
        starts_on: today,
        ends_on,
        counties: counties.clone(),
        committed_volume: 0,
    };
    match resp.kind {
        ResponseKind::BackupSwitch => {
            for a in backup_arrangements(conn, resp, &counties, &base)? {
                create_arrangement(conn, act, &a)?;
            }
        }
        ResponseKind::DesignatedProducer => {
            // `respond` settled the product (`with_designated_product`).
            let (Some(supplier_id), Some(product_id)) = (resp.supplier_id, resp.product_id) else {
                let e = crate::domain::Invalid::new("supplier_id", Code::DesignatedNotManufacturer);
                return Err(StoreError::Invalid(vec![e]));
            };
            let a = NewArrangement {
                supplier_id,
                product_id,
                ..base
            };
            create_arrangement(conn, act, &a)?;
        }
        // Direct listings become arrangements as suppliers list; a re-tender is recorded.
        _ => {}
    }
    Ok(())
}

/// One `backup_switch` arrangement per backup winner: for each affected county, the winner
/// that backs it up under the drug's latest award that names a backup for it, at that
/// winner's own awarded price. A county without one is refused (the whole response with it).
fn backup_arrangements(
    conn: &mut DbConn,
    resp: &shortages::Response,
    counties: &[i64],
    base: &NewArrangement,
) -> std::result::Result<Vec<NewArrangement>, StoreError> {
    let awards = shortages::awards_of_drug(conn, resp.drug_id)?;
    let regions = regions::all(conn)?;
    let mut by_bid: BTreeMap<i64, NewArrangement> = BTreeMap::new();
    for county in counties {
        let region = regions.iter().find(|r| r.id == *county);
        let code = region.map(|r| r.code.as_str()).unwrap_or_default();
        let found = awards
            .iter()
            .find_map(|(lot, a)| backup_for(a, code).map(|w| (*lot, w.clone())));
        let Some((lot, w)) = found else {
            let name = region.map(|r| r.name_zh.clone()).unwrap_or_default();
            return Err(StoreError::Conflict(
                Msg::new(Code::NoBackupForCounty).arg("county", name),
            ));
        };
        if let Some(a) = by_bid.get_mut(&w.bid_id) {
            a.counties.push(*county);
            continue;
        }
        let product_id = shortages::product_of_bid(conn, w.bid_id)?;
        by_bid.insert(
            w.bid_id,
            NewArrangement {
                kind: ContractKind::BackupSwitch,
                supplier_id: w.supplier_id,
                product_id,
                lot_id: Some(lot),
                bid_id: Some(w.bid_id),
                unit_price: w.unit_price,
                counties: vec![*county],
                ..base.clone()
            },
        );
    }
    Ok(by_bid.into_values().collect())
}

/// A response's alert (in the response's transaction): to center staff, the institutions of the
/// counties it covers, the contracted suppliers, the supplier named (designated producer) or
/// Who hears of a response, its start and its end: center staff; the institutions of its
/// counties that ordered the drug in the last 30 days; the suppliers contracted for the drug,
/// the supplier it names, and for a direct listing every licensed supplier. Also the counties'
/// names (zh-CN, en).
fn response_audience(
    conn: &mut DbConn,
    at: chrono::NaiveDateTime,
    rec: &shortages::Shortage,
    resp: &shortages::Response,
    today: NaiveDate,
    note: bool,
) -> Result<(crate::store::alerts::Audience, String, String), StoreError> {
    let window_days = 30;
    let geo = shortages::geography(conn)?;
    let counties = crate::domain::shortage::counties_parse(&resp.counties);
    let from = at - chrono::Duration::days(window_days);
    let institutions: Vec<i64> = shortages::institutions_by_drug(conn, &[rec.drug_id], from)?
        .remove(&rec.drug_id)
        .unwrap_or_default()
        .into_iter()
        .filter(|(c, _)| counties.contains(c))
        .map(|(_, i)| i)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut suppliers = shortages::contracted_suppliers(conn, rec.drug_id, today)?;
    if note {
        shortages::note_alerted(
            conn,
            rec,
            &institutions.iter().copied().collect(),
            &suppliers.iter().copied().collect(),
        )?;
    }
    suppliers.extend(resp.supplier_id);
    if resp.kind == crate::domain::shortage::ResponseKind::DirectListing {
        // Open to every licensed supplier: tell them all.
        suppliers.extend(shortages::licensed_suppliers(conn, today)?);
    }
    suppliers.sort_unstable();
    suppliers.dedup();
    let zh: Vec<String> = counties.iter().map(|c| geo.name(*c, "zh-CN")).collect();
    let en: Vec<String> = counties.iter().map(|c| geo.name(*c, "en")).collect();
    let to = crate::store::alerts::Audience {
        center: true,
        regulator: false,
        suppliers,
        institutions,
        users: vec![],
    };
    Ok((to, zh.join("、"), en.join(", ")))
}

/// The e-mail of a response recorded: what the center does, where, until when.
fn alert_response(
    conn: &mut DbConn,
    act: &Act,
    rec: &shortages::Shortage,
    resp: &shortages::Response,
    public_url: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let drug = catalog::get_drug(conn, rec.drug_id)?;
    let at = act.stamp();
    let (to, zh, en) = response_audience(conn, at, rec, resp, today, true)?;
    let alert = Alert {
        kind: AlertKind::Shortage,
        template: Some("shortage_response"),
        key: format!("shortage_response:{}", resp.id),
        args: vec![
            ("drug", Value::Local(drug.name_zh.clone(), drug.inn.clone())),
            (
                "response",
                Value::Key(format!("shortage.response.{}", resp.kind)),
            ),
        ],
        facts: response_facts(conn, &drug, resp)?,
        link: if resp.kind == crate::domain::shortage::ResponseKind::DirectListing {
            "/direct-listings".into()
        } else {
            format!("/shortages/{}", rec.id)
        },
        localized: vec![("region", zh, en)],
    };
    send(conn, at, &alert, &to, public_url)?;
    Ok(())
}

/// The e-mail of a response's end (withdrawn by the center, or the shortage resolved): to the
/// same people as its start, saying that new orders of those counties go back to the award's
/// supplier.
fn alert_end(
    conn: &mut DbConn,
    act: &Act,
    rec: &shortages::Shortage,
    resp: &shortages::Response,
    public_url: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let drug = catalog::get_drug(conn, rec.drug_id)?;
    let at = act.stamp();
    let (to, zh, en) = response_audience(conn, at, rec, resp, today, false)?;
    let mut facts = response_facts(conn, &drug, resp)?;
    facts.push((
        "alert.fact.supply_after",
        Value::Key("alert.supply_back_to_award".into()),
    ));
    let alert = Alert {
        kind: AlertKind::Shortage,
        template: Some("shortage_response_ended"),
        key: format!("shortage_response_ended:{}", resp.id),
        args: vec![
            ("drug", Value::Local(drug.name_zh.clone(), drug.inn.clone())),
            (
                "response",
                Value::Key(format!("shortage.response.{}", resp.kind)),
            ),
        ],
        facts,
        link: format!("/shortages/{}", rec.id),
        localized: vec![("region", zh, en)],
    };
    send(conn, at, &alert, &to, public_url)?;
    Ok(())
}

/// What a response's alert states: the drug, the response, where, the cap, until when, the
/// supplier named and its product, the note.
fn response_facts(
    conn: &mut DbConn,
    drug: &catalog::Drug,
    resp: &shortages::Response,
) -> Result<Vec<(&'static str, Value)>, StoreError> {
    let mut facts = vec![
        ("alert.fact.drug", super::shortage_scan::drug_value(drug)),
        (
            "alert.fact.response",
            Value::Key(format!("shortage.response.{}", resp.kind)),
        ),
        ("alert.fact.scope", Value::Plain("{region}".into())),
    ];
    if let Some(cap) = resp.price_cap {
        facts.push((
            "alert.fact.price_cap",
            Value::Plain(crate::domain::money::Money::from_ten_thousandths(cap).to_string()),
        ));
    }
    if let Some(u) = resp.until_on {
        facts.push(("alert.fact.until", Value::Plain(u.to_string())));
    }
    if let Some(s) = resp.supplier_id {
        let name = crate::store::parties::get_supplier(conn, s)?.name;
        facts.push(("alert.fact.supplier", Value::Plain(name)));
    }
    if let Some(id) = resp.product_id {
        let p = catalog::get_product(conn, id)?;
        let product = format!(
            "{} {} · {} · ×{}",
            p.drug_name, p.strength, p.approval_number, p.units_per_package
        );
        facts.push(("alert.fact.product", Value::Plain(product)));
    }
    if !resp.note.is_empty() {
        facts.push(("alert.fact.note", Value::Plain(resp.note.clone())));
    }
    Ok(facts)
}
