//! The center's responses to a shortage (DOMAIN.md, "Shortage monitoring"): what each needs
//! before it is recorded, and the backup supplier a switch goes to. Pure.
//!
//! Every response but a re-tender acts on supply for the affected counties until the end date
//! the center sets, and ends early when the center withdraws it or the shortage resolves:
//! - *switch to backup*: each county's backup winner of the drug's lot (the award's
//!   `backup_for`) supplies it at its own awarded price (a `backup_switch` arrangement);
//! - *designated producer*: a named manufacturer with a product of the drug, at a negotiated
//!   unit price (a `designated` arrangement for every affected county);
//! - *direct listing*: licensed suppliers list within a price cap; each listing is a
//!   `direct_listing` arrangement for the response's counties and period;
//! - *re-tender*: recorded (the draft tender is the center's to make).
//!
//! Which arrangement serves a county is `domain::supply::serving`'s choice: a switch or a
//! designation first, then a direct listing, then the award contract.

use chrono::NaiveDate;
use std::collections::BTreeSet;

use super::award::{LotAward, Winner};
use super::money::Money;
use super::shortage::{counties_parse, ResponseKind};
use super::{Code, Invalid, Msg};

/// The kinds the center gives now (the form's choice), in the form's order.
pub const OFFERED: [ResponseKind; 4] = [
    ResponseKind::BackupSwitch,
    ResponseKind::DirectListing,
    ResponseKind::DesignatedProducer,
    ResponseKind::Retender,
];

/// A response as the center gives it, checked.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub kind: ResponseKind,
    /// Empty: every county of the record.
    pub counties: BTreeSet<i64>,
    pub price_cap: Option<i64>,
    pub until_on: Option<NaiveDate>,
    pub supplier_id: Option<i64>,
    /// The negotiated unit price of a designated producer (1/10,000 yuan).
    pub unit_price: Option<i64>,
    pub note: String,
}

/// A response as typed in a form or a request body.
#[derive(Debug, Clone, Default)]
pub struct ResponseInput<'a> {
    pub kind: &'a str,
    pub price_cap: &'a str,
    pub until_on: &'a str,
    pub supplier_id: &'a str,
    pub unit_price: &'a str,
    pub note: &'a str,
    pub counties: &'a str,
}

fn money(field: &str, text: &str, errors: &mut Vec<Invalid>) -> Option<i64> {
    if text.trim().is_empty() {
        return None;
    }
    match Money::parse_positive(field, text) {
        Ok(m) => Some(m.ten_thousandths()),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

impl ResponseInput<'_> {
    /// Checks a response: a kind the center gives now; every response that acts needs an end
    /// date not in the past; a direct listing its price cap; a designated producer the
    /// manufacturer and the negotiated price.
    pub fn check(&self, today: NaiveDate) -> Result<NewResponse, Vec<Invalid>> {
        let mut errors = vec![];
        let kind = ResponseKind::parse("kind", self.kind)
            .ok()
            .filter(|k| OFFERED.contains(k));
        if kind.is_none() {
            errors.push(Invalid::new("kind", Code::ChooseResponseKind));
        }
        let price_cap = money("price_cap", self.price_cap, &mut errors);
        let unit_price = money("unit_price", self.unit_price, &mut errors);
        let until_on = super::optional_date("until_on", self.until_on).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let supplier_id = match self.supplier_id.trim() {
            "" => None,
            s => s.parse::<i64>().ok().or_else(|| {
                errors.push(Invalid::new("supplier_id", Code::SupplierIdNotANumber));
                None
            }),
        };
        let missing = |errors: &mut Vec<Invalid>, field: &str, code: Code| {
            if !errors.iter().any(|e| e.field == field) {
                errors.push(Invalid::new(field, code));
            }
        };
        if let Some(k) = kind.filter(|k| *k != ResponseKind::Retender) {
            match until_on {
                None if k == ResponseKind::DirectListing => {
                    missing(&mut errors, "until_on", Code::DirectListingNeedsEndDate)
                }
                None => missing(&mut errors, "until_on", Code::ResponseNeedsEndDate),
                Some(d) if d < today => errors.push(Invalid::new(
                    "until_on",
                    Msg::new(Code::DateInPast).arg("date", d),
                )),
                _ => {}
            }
        }
        if kind == Some(ResponseKind::DirectListing) && price_cap.is_none() {
            missing(&mut errors, "price_cap", Code::DirectListingNeedsPriceCap);
        }
        if kind == Some(ResponseKind::DesignatedProducer) {
            if supplier_id.is_none() {
                missing(&mut errors, "supplier_id", Code::NameDesignatedProducer);
            }
            if unit_price.is_none() {
                missing(&mut errors, "unit_price", Code::DesignatedNeedsPrice);
            }
        }
        let note = super::optional_text("note", self.note, 2000)
            .unwrap_or_else(|e| {
                errors.push(e);
                None
            })
            .unwrap_or_default();
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewResponse {
                kind,
                counties: counties_parse(self.counties),
                price_cap,
                until_on,
                supplier_id,
                unit_price,
                note,
            }),
            _ => Err(errors),
        }
    }
}

/// The backup winner of a county under a lot's award (the next winner in rank backs up each
/// winner's primary counties); none under a single-winner award or a failed lot.
pub fn backup_for<'a>(award: &'a LotAward, county_code: &str) -> Option<&'a Winner> {
    award
        .winners()
        .iter()
        .find(|w| w.backup_for.iter().any(|c| c == county_code))
}

/// A designated producer is a manufacturer with a product of the drug.
pub fn check_designated(manufacturer: bool, has_product: bool) -> Result<(), Invalid> {
    if manufacturer && has_product {
        Ok(())
    } else {
        Err(Invalid::new("supplier_id", Code::DesignatedNotManufacturer))
    }
}
