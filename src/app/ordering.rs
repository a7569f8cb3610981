//! Placing a basket: an institution orders drugs; each line goes under the arrangement that
//! serves the ordering institution's county for that drug today ([`domain::supply::serving`]),
//! at its price, and the basket becomes one order per supplier, all in one transaction.
//!
//! [`domain::supply::serving`]: crate::domain::supply::serving

use chrono::NaiveDate;
use std::collections::BTreeMap;

use crate::domain::orders::{check_basket, DeliveryRules};
use crate::domain::supply::{serving, split_by_supplier, Arrangement};
use crate::domain::tender::ContractStatus;
use crate::domain::{Code, Invalid, Msg};
use crate::store::orders::{self as os, NewOrder, Order, OrderLine, PricedLine};
use crate::store::{catalog, micros, supply, write_tx, Act, DbConn, Result, StoreError};

/// What a basket line names: a drug by its code, or (the older API form) a contract, which must
/// then be the very arrangement that serves the county with its drug today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Drug(String),
    Contract(i64),
}

/// One line of a basket.
#[derive(Debug, Clone)]
pub struct BasketLine {
    pub item: Item,
    pub quantity: i64,
}

/// One order created from a basket, with its lines.
pub type Placed = (Order, Vec<OrderLine>);

/// Places a basket for an institution (authorization is the caller's): every line under the
/// arrangement serving the institution's county, one order per supplier, all or nothing. A line
/// nothing serves is refused, naming the drug (`lines[i].drug`) or the contract
/// (`lines[i].contract_id`); every refused line is named at once.
pub fn place_basket(
    conn: &mut DbConn,
    act: &Act,
    rules: &DeliveryRules,
    institution_id: i64,
    urgent: bool,
    lines: &[BasketLine],
    today: NaiveDate,
) -> Result<Vec<Placed>> {
    let qs: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    check_basket(&qs).map_err(StoreError::Invalid)?;
    write_tx(conn, |conn| {
        let (remote, county) = os::orderer(conn, institution_id)?;
        let mut priced = vec![];
        let mut errs = vec![];
        let chosen = resolve_all(conn, county, lines, today)?;
        for (i, (l, choice)) in lines.iter().zip(chosen).enumerate() {
            match choice {
                Ok(a) => priced.push((
                    a.supplier_id,
                    PricedLine {
                        contract_id: a.contract_id,
                        product_id: a.product_id,
                        quantity: l.quantity,
                        unit_price: a.unit_price.ten_thousandths(),
                    },
                )),
                Err(e) => errs.push(Invalid::new(format!("lines[{i}].{}", e.field), e.msg)),
            }
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs));
        }
        let mut placed = vec![];
        for (supplier_id, lines) in split_by_supplier(priced) {
            let new = NewOrder {
                institution_id,
                supplier_id,
                county_id: county,
                urgent,
                acknowledge_by: micros(rules.acknowledge_deadline(act.at)),
                deliver_by: micros(rules.delivery_deadline(act.at, urgent, remote)),
                lines,
            };
            placed.push(os::insert_order(conn, act, &new)?);
        }
        Ok(placed)
    })
}

/// What the basket's lines name, read at once: the drugs by code, the named contracts, and the
/// arrangements in force for the county and any of those drugs (five statements, whatever the
/// count of lines).
struct Candidates {
    drugs: BTreeMap<String, i64>,
    named: BTreeMap<i64, Arrangement>,
    in_force: Vec<Arrangement>,
}

/// The arrangement each line goes under, or why none (the field without its `lines[i].`), in
/// the basket's order.
fn resolve_all(
    conn: &mut DbConn,
    county: i64,
    lines: &[BasketLine],
    today: NaiveDate,
) -> Result<Vec<std::result::Result<Arrangement, Invalid>>> {
    let codes: Vec<&str> = lines
        .iter()
        .filter_map(|l| match &l.item {
            Item::Drug(code) => Some(code.trim()),
            Item::Contract(_) => None,
        })
        .collect();
    let ids: Vec<i64> = lines
        .iter()
        .filter_map(|l| match l.item {
            Item::Contract(id) => Some(id),
            Item::Drug(_) => None,
        })
        .collect();
    let drugs: BTreeMap<String, i64> = catalog::drugs_by_codes(conn, &codes)?
        .into_iter()
        .map(|d| (d.code, d.id))
        .collect();
    let named: BTreeMap<i64, Arrangement> = supply::arrangements_by_ids(conn, &ids)?
        .into_iter()
        .map(|a| (a.contract_id, a))
        .collect();
    let mut drug_ids: Vec<i64> = drugs
        .values()
        .copied()
        .chain(named.values().map(|a| a.drug_id))
        .collect();
    drug_ids.sort_unstable();
    drug_ids.dedup();
    let in_force = supply::arrangements_for_drugs(conn, county, &drug_ids)?;
    let c = Candidates {
        drugs,
        named,
        in_force,
    };
    Ok(lines
        .iter()
        .map(|l| resolve(&c, county, &l.item, today))
        .collect())
}

/// The arrangement a line goes under among the candidates, or why none.
fn resolve(
    c: &Candidates,
    county: i64,
    item: &Item,
    today: NaiveDate,
) -> std::result::Result<Arrangement, Invalid> {
    match item {
        Item::Drug(code) => {
            let Some((drug_code, drug_id)) = c.drugs.get_key_value(code.trim()) else {
                return Err(Invalid::new(
                    "drug",
                    Msg::new(Code::NoDrugWithCode).arg("code", code.trim()),
                ));
            };
            serving(&c.in_force, county, *drug_id, today)
                .cloned()
                .ok_or_else(|| {
                    Invalid::new(
                        "drug",
                        Msg::new(Code::NoArrangementForDrug).arg("drug", drug_code),
                    )
                })
        }
        Item::Contract(id) => {
            let Some(k) = c.named.get(id) else {
                return Err(Invalid::new(
                    "contract_id",
                    Msg::new(Code::NoSuchContract).arg("id", id),
                ));
            };
            if k.status != ContractStatus::InForce || today < k.starts_on || today > k.ends_on {
                return Err(Invalid::new(
                    "contract_id",
                    Msg::new(Code::ContractNotInForce).arg("id", id),
                ));
            }
            match serving(&c.in_force, county, k.drug_id, today) {
                Some(a) if a.contract_id == k.contract_id => Ok(k.clone()),
                _ => Err(Invalid::new(
                    "contract_id",
                    Msg::new(Code::ContractNotForCounty).arg("contract", id),
                )),
            }
        }
    }
}
