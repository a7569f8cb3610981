//! The demo's shortage responses, each arrangement shown once, in counties other than the demo
//! township's (its own orders keep their award contracts):
//! a drug switched to its backup winner (with a re-tender drafted for it), and a drug under a
//! direct listing with an order delivered and accepted under the listing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeSet;

use crate::app::ordering::{place_basket, BasketLine, Item};
use crate::app::shortage_responses::apply_response;
use crate::domain::orders::DeliveryRules;
use crate::domain::paging::PageRequest;
use crate::domain::shortage::{Change, Evidence, Level, Reading, ResponseKind, Scope};
use crate::domain::shortage_response::{backup_for, NewResponse};
use crate::domain::supply::{serving, Arrangement};
use crate::domain::{Code, Msg};
use crate::sealing::MasterKey;
use crate::store::orders::{self as os, DeliveryNote, Receipt, ShipLine};
use crate::store::shortages as ss;
use crate::store::{parties, regions, supply, Act, DbConn, StoreError};

/// Loads the demo's shortage responses: a drug switched to its backup winner (with a
/// re-tender), and a drug under a direct listing with an order under it.
pub fn load(
    conn: &mut DbConn,
    master: &MasterKey,
    now: DateTime<Utc>,
    today: NaiveDate,
    township_code: &str,
) -> Result<(), StoreError> {
    let inst = parties::institution_by_code(conn, township_code)?.ok_or_else(|| {
        StoreError::NotFound(Msg::new(Code::InstitutionNotFound).arg("code", township_code))
    })?;
    let counties = other_counties(conn, inst.id)?;
    // Drugs already short in the demo are left to the scan.
    let reported: BTreeSet<i64> = ss::reports(conn, None, 1000)?
        .iter()
        .map(|r| r.0.drug_id)
        .collect();
    let c = Choice {
        counties,
        reported,
        drugs: ss::drugs_with_awards(conn)?,
    };
    let center = Act::new("center", now);
    let until = today + Duration::days(30);
    let switched = switchable(conn, &c)?;
    if let Some((drug, county, i)) = switched {
        let rec = open_record(conn, &center, i, county, drug)?;
        for kind in [ResponseKind::BackupSwitch, ResponseKind::Retender] {
            let r = response(kind, county, Some(until), None);
            let (rec, resp) = ss::respond(conn, &center, rec.id, &r)?;
            apply_response(conn, &center, master, &rec, &resp, today)?;
        }
    }
    list_one_directly(conn, &center, inst.id, &c, switched, today, until)
}

/// What the demo's responses choose from: one institution per county other than the demo
/// township's, the drugs reported short already, and the drugs with awards.
struct Choice {
    counties: Vec<(i64, i64, String)>,
    reported: BTreeSet<i64>,
    drugs: Vec<i64>,
}

/// One institution per county other than the township's: the demo township's own orders
/// (and the tests that start from them) keep their county's award contracts. (county,
/// institution, county's code)
fn other_counties(conn: &mut DbConn, inst: i64) -> Result<Vec<(i64, i64, String)>, StoreError> {
    let home = regions::county_of_institution(conn, inst)?;
    let mut counties: Vec<(i64, i64, String)> = vec![];
    let all = parties::list_institutions(
        conn,
        &crate::domain::roles::Scope::All,
        "",
        None,
        &PageRequest::new(Some(1), Some(1000)),
    )?;
    let names = regions::all(conn)?;
    for i in all.items {
        let c = regions::county_of_institution(conn, i.id)?;
        if c != home && !counties.iter().any(|x| x.0 == c) {
            let code = names.iter().find(|r| r.id == c).map(|r| r.code.clone());
            counties.push((c, i.id, code.unwrap_or_default()));
        }
    }
    Ok(counties)
}

/// The drug to switch to its backup winner (the last with awards not reported short) and the
/// county (with its institution) where an award of it has a backup: (drug, county,
/// institution).
fn switchable(conn: &mut DbConn, c: &Choice) -> Result<Option<(i64, i64, i64)>, StoreError> {
    for &drug in c.drugs.iter().rev() {
        if c.reported.contains(&drug) {
            continue;
        }
        let awards = ss::awards_of_drug(conn, drug)?;
        for (county, i, code) in &c.counties {
            if awards.iter().any(|(_, a)| backup_for(a, code).is_some()) {
                return Ok(Some((drug, *county, *i)));
            }
        }
    }
    Ok(None)
}

/// The listing: another drug (the last one), in another county, from a licensed supplier;
/// a shortage record is the drug's, province-wide, so the demo township keeps at least one
/// of its drugs not short (the tests start from one); the response runs `until`.
fn list_one_directly(
    conn: &mut DbConn,
    center: &Act,
    inst: i64,
    c: &Choice,
    switched: Option<(i64, i64, i64)>,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<(), StoreError> {
    let held: BTreeSet<i64> = crate::store::tenders::commitments_of_institution(conn, inst)?
        .iter()
        .map(|(k, ..)| k.drug_id)
        .collect();
    let spare = held
        .iter()
        .filter(|d| !c.reported.contains(d) && switched.is_none_or(|s| s.0 != **d))
        .count();
    let licensed = ss::licensed_suppliers(conn, today)?;
    for &drug in c.drugs.iter().rev() {
        if switched.is_some_and(|s| s.0 == drug)
            || c.reported.contains(&drug)
            || (held.contains(&drug) && spare < 2)
        {
            continue;
        }
        for (county, i, _) in &c.counties {
            if switched.is_some_and(|s| s.1 == *county) {
                continue;
            }
            let arr = supply::arrangements_for(conn, *county, drug)?;
            if let Some(a) = serving(&arr, *county, drug, today) {
                if licensed.contains(&a.supplier_id) {
                    let a = a.clone();
                    return direct_listing(conn, center, *i, *county, &a, today, until);
                }
            }
        }
    }
    Ok(())
}

fn response(
    kind: ResponseKind,
    county: i64,
    until_on: Option<NaiveDate>,
    price_cap: Option<i64>,
) -> NewResponse {
    NewResponse {
        kind,
        counties: BTreeSet::from([county]),
        price_cap,
        until_on,
        supplier_id: None,
        unit_price: None,
        product_id: None,
        note: "demo".into(),
    }
}

/// The institution reports the drug short, and the record opens (as the scan would open it).
fn open_record(
    conn: &mut DbConn,
    act: &Act,
    inst: i64,
    county: i64,
    drug: i64,
) -> Result<ss::Shortage, StoreError> {
    ss::report(conn, &Act::new("institution", act.at), inst, drug, "")?;
    let reading = Reading {
        level: Level::Watch,
        scope: Scope::County,
        region_id: county,
        counties: BTreeSet::from([county]),
        evidence: vec![Evidence {
            signal: "shortage_reports".into(),
            county_id: Some(county),
            value: 1,
            threshold: 1,
            level: Level::Watch,
        }],
    };
    let scan = Act::new("job:shortage_scan", act.at);
    Ok(ss::apply(conn, &scan, drug, None, Change::Opened, Some(&reading))?.0)
}

/// A direct listing for the drug at half again the contract's price; a licensed maker lists at
/// the cap; the institution's order under the listing is delivered and accepted.
fn direct_listing(
    conn: &mut DbConn,
    center: &Act,
    inst: i64,
    county: i64,
    k: &Arrangement,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<(), StoreError> {
    let rec = open_record(conn, center, inst, county, k.drug_id)?;
    let cap = k.unit_price.ten_thousandths().saturating_mul(3) / 2;
    let r = response(ResponseKind::DirectListing, county, Some(until), Some(cap));
    let (_, resp) = ss::respond(conn, center, rec.id, &r)?;
    let sup = Act::new(format!("supplier-{}", k.supplier_id), center.at);
    ss::list_product(conn, &sup, resp.id, k.supplier_id, k.product_id, cap, today)?;
    let Some(contract) = ss::arrangements_of_response(conn, resp.id)?
        .first()
        .copied()
    else {
        return Ok(());
    };
    let rules = DeliveryRules::default();
    let (o, lines) = place_basket(
        conn,
        &Act::new("institution", center.at),
        &rules,
        inst,
        false,
        &[BasketLine {
            item: Item::Contract(contract),
            quantity: 50,
        }],
        today,
    )?
    .remove(0);
    os::acknowledge(conn, &sup, o.id, k.supplier_id)?;
    let ship = [ShipLine {
        order_line_id: lines[0].id,
        quantity: 50,
        batch_no: "20261120".into(),
        production_date: today - Duration::days(30),
        expiry_date: today + Duration::days(700),
        trace_codes: vec!["81000012345678905678".into()],
    }];
    let note = DeliveryNote {
        order_id: o.id,
        shipper_id: k.supplier_id,
        idempotency_key: Some("demo-listing-1"),
        lines: &ship,
    };
    let shipped = os::ship(conn, &sup, &rules, &note, today)?;
    os::confirm(
        conn,
        &Act::new("institution", center.at),
        &rules,
        shipped.lines[0].id,
        inst,
        Receipt::Accepted,
        today,
    )?;
    Ok(())
}
