//! The Open Contracting Data Standard 1.1 export: one release per published tender, in a
//! release package. Only what has been published appears: lots and the timetable once the
//! tender is published; bid statistics, awards and suppliers once the award is published;
//! contracts once signed. Codes come from the standard's closed code lists.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::domain::award::{Outcome, PolicyKind};
use crate::domain::money::Money;
use crate::domain::tender::{ContractStatus, LotStatus, TenderState};
use crate::store::tenders::TenderRecord;

/// The prefix of every ocid of this platform.
pub const OCID_PREFIX: &str = "ocds-jicai0";

fn iso(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The key of the one-entry object that stands for an exact decimal number in a release while
/// it is built; `to_json` writes it as the number itself. Only this module builds objects, so
/// no published text can take this shape.
const EXACT: &str = "$exact decimal";

/// An amount of money: written as an exact JSON number (never through `f64`, which would change
/// the digits of large or finely divided amounts).
fn amount(m: Decimal) -> Value {
    json!({ "amount": { EXACT: m.normalize().to_string() }, "currency": "CNY" })
}

/// A release or package as JSON text, with every amount written exactly.
pub fn to_json(v: &Value) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Exact(v))
}

struct Exact<'a>(&'a Value);

impl serde::Serialize for Exact<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        match self.0 {
            Value::Object(m) => match m.get(EXACT).and_then(Value::as_str) {
                Some(number) if m.len() == 1 => {
                    serde_json::value::RawValue::from_string(number.to_string())
                        .map_err(S::Error::custom)?
                        .serialize(s)
                }
                _ => s.collect_map(m.iter().map(|(k, v)| (k, Exact(v)))),
            },
            Value::Array(a) => s.collect_seq(a.iter().map(Exact)),
            other => other.serialize(s),
        }
    }
}

fn org(id: &str, name: &str, scheme: &str, code: &str, roles: &[&str]) -> Value {
    json!({
        "id": id,
        "name": name,
        "identifier": { "scheme": scheme, "id": code, "legalName": name },
        "roles": roles,
    })
}

/// The release of one published tender.
pub fn release(r: &TenderRecord, now: DateTime<Utc>) -> Value {
    let t = &r.tender;
    let state = t.state();
    let ocid = format!("{OCID_PREFIX}-{}", t.id);
    let buyer_id = format!("CN-REGION-{}", r.buyer.1);
    let mut parties = vec![org(
        &buyer_id,
        &r.buyer.0,
        "CN-REGION",
        &r.buyer.1,
        &["buyer", "procuringEntity"],
    )];
    let awarded = state.award_published();
    let mut release = json!({
        "ocid": ocid,
        "id": format!("{ocid}-{}", state.as_str()),
        "date": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tag": [],
        "initiationType": "tender",
        "language": "zh",
        "buyer": { "id": buyer_id, "name": r.buyer.0 },
    });
    let mut tags = vec!["tender"];
    if state == TenderState::Cancelled {
        tags = vec!["tenderCancellation"];
    }
    let mut awards = vec![];
    if awarded {
        tags.push("award");
        let (a, tenderers, stats) = award_section(r, state);
        awards = a;
        parties.extend(tenderers);
        release["bids"] = json!({ "statistics": stats });
    }
    let contracts = contract_section(r);
    if !contracts.is_empty() {
        tags.push("contract");
    }
    release["tag"] = json!(tags);
    release["parties"] = json!(parties);
    release["tender"] = tender_section(r, state, &buyer_id);
    if !awards.is_empty() {
        release["awards"] = json!(awards);
    }
    if !contracts.is_empty() {
        release["contracts"] = json!(contracts);
    }
    release
}

/// The release's `tender`: its status, items and lots.
fn tender_section(r: &TenderRecord, state: TenderState, buyer_id: &str) -> Value {
    let t = &r.tender;
    let awarded = state.award_published();
    let all_failed = awarded && r.lots.iter().all(|(l, ..)| l.status == LotStatus::Failed);
    let tender_status = match state {
        TenderState::Cancelled => "cancelled",
        _ if all_failed => "unsuccessful",
        TenderState::Awarded | TenderState::Contracted => "complete",
        _ => "active",
    };
    let composite = r
        .lots
        .iter()
        .any(|(l, ..)| l.policy == PolicyKind::CompositeScore);
    let items: Vec<Value> = r
        .lots
        .iter()
        .map(|(l, code, name, strength, unit)| {
            json!({
                "id": format!("lot-{}-item", l.lot_no),
                "description": format!("{name} {strength}"),
                "classification": { "scheme": "Jicai drug code", "id": code },
                "quantity": l.agreed_volume,
                "unit": { "name": unit, "value": amount(Money::from_ten_thousandths(l.max_unit_price).decimal()) },
                "relatedLot": format!("lot-{}", l.lot_no),
            })
        })
        .collect();
    let lots: Vec<Value> = r
        .lots
        .iter()
        .map(|(l, _, name, strength, _)| {
            let status = match (state, l.status) {
                (TenderState::Cancelled, _) => "cancelled",
                (_, LotStatus::Failed) if awarded => "unsuccessful",
                (TenderState::Awarded | TenderState::Contracted, _) => "complete",
                _ => "active",
            };
            let max_total = Money::from_ten_thousandths(l.max_unit_price).decimal()
                * Decimal::from(l.agreed_volume);
            json!({
                "id": format!("lot-{}", l.lot_no),
                "title": format!("{name} {strength}"),
                "status": status,
                "value": amount(max_total),
            })
        })
        .collect();
    let mut tender = json!({
        "id": format!("tender-{}", t.id),
        "title": t.title,
        "status": tender_status,
        "procuringEntity": { "id": buyer_id, "name": r.buyer.0 },
        "procurementMethod": "open",
        "procurementMethodDetails": "Centralized procurement, double envelope (technical, then sealed price)",
        "mainProcurementCategory": "goods",
        "awardCriteria": if composite { "ratedCriteria" } else { "priceOnly" },
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": { "endDate": iso(t.bid_deadline) },
        "items": items,
        "lots": lots,
    });
    if let Some(p) = t.published_at {
        tender["tenderPeriod"]["startDate"] = json!(iso(p));
    }
    // An extension field: the digest of every sealed price envelope, fixed at the deadline,
    // for bidders to find their receipt's (no price, no bidder).
    if let Some(list) = &r.digests {
        tender["sealedEnvelopes"] = json!(list
            .iter()
            .map(|(no, d)| json!({"lot": format!("lot-{no}"), "digest": d}))
            .collect::<Vec<_>>());
    }
    tender
}

/// The published award: (awards, the winning tenderers as parties, bid statistics per lot).
fn award_section(r: &TenderRecord, state: TenderState) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut awards = vec![];
    let mut tenderers: BTreeMap<i64, ()> = BTreeMap::new();
    let mut stats = vec![];
    for (l, _, name, strength, _) in &r.lots {
        stats.push(json!({
            "id": format!("lot-{}-bids", l.lot_no),
            "measure": "bids",
            "value": r.bids_per_lot.get(&l.id).copied().unwrap_or(0),
            "relatedLot": format!("lot-{}", l.lot_no),
        }));
        let Some(Outcome::Awarded { winners, .. }) = l.result().map(|a| a.outcome) else {
            continue;
        };
        for w in winners {
            tenderers.insert(w.supplier_id, ());
            let (sname, uscc) = r.suppliers.get(&w.supplier_id).cloned().unwrap_or_default();
            awards.push(json!({
                "id": format!("award-{}", w.bid_id),
                "title": format!("{name} {strength}"),
                "status": if state == TenderState::Provisional { "pending" } else { "active" },
                "value": amount(w.unit_price.decimal() * Decimal::from(w.volume)),
                "suppliers": [{ "id": format!("CN-USCC-{uscc}"), "name": sname }],
                "items": [{
                    "id": format!("lot-{}-item", l.lot_no),
                    "description": format!("{name} {strength}"),
                    "quantity": w.volume,
                    "unit": { "value": amount(w.unit_price.decimal()) },
                }],
                "relatedLots": [format!("lot-{}", l.lot_no)],
            }));
        }
    }
    let parties = tenderers
        .keys()
        .map(|id| {
            let (n, u) = r.suppliers.get(id).cloned().unwrap_or_default();
            org(
                &format!("CN-USCC-{u}"),
                &n,
                "CN-USCC",
                &u,
                &["supplier", "tenderer"],
            )
        })
        .collect();
    (awards, parties, stats)
}

/// The tender's contracts.
fn contract_section(r: &TenderRecord) -> Vec<Value> {
    r.contracts
        .iter()
        .map(|c| {
            json!({
                "id": format!("contract-{}", c.id),
                "awardID": c.bid_id.map(|b| format!("award-{b}")),
                "status": match c.status {
                    ContractStatus::InForce => "active",
                    ContractStatus::Ended => "terminated",
                },
                "period": { "startDate": format!("{}T00:00:00Z", c.starts_on), "endDate": format!("{}T00:00:00Z", c.ends_on) },
                "value": amount(Money::from_ten_thousandths(c.unit_price).decimal() * Decimal::from(c.committed_volume)),
                "dateSigned": iso(c.created_at),
            })
        })
        .collect()
}

/// A release package of these releases.
pub fn package(releases: Vec<Value>, uri: &str, now: DateTime<Utc>) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "publishedDate": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "publisher": { "name": "Jicai provincial drug procurement center" },
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "extensions": [
            "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
            "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
        ],
        "releases": releases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_are_written_exactly() {
        // 18 significant digits: an f64 would write 98765432101234.57.
        let v = json!({ "value": amount(Decimal::from_str("98765432101234.5678").unwrap()),
                        "small": amount(Decimal::from_str("0.1000").unwrap()),
                        "list": [amount(Decimal::from(12))] });
        let text = String::from_utf8(to_json(&v).unwrap()).unwrap();
        assert!(
            text.contains(r#""amount":98765432101234.5678,"currency":"CNY""#),
            "{text}"
        );
        assert!(text.contains(r#""amount":0.1,"#), "{text}");
        assert!(text.contains(r#""amount":12,"#), "{text}");
        assert!(!text.contains(EXACT), "{text}");
    }
}
