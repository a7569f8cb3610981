//! The center's responses to a shortage (DOMAIN.md, "Shortage monitoring"): what each needs
//! before it is recorded, and the backup supplier a switch goes to. Pure.
//!
//! Every response but a re-tender acts on supply for the affected counties until the end date
//! the center sets, and ends early when the center withdraws it or the shortage resolves:
//! - *switch to backup*: each county's backup winner of the drug's lot (the award's
//!   `backup_for`) supplies it at its own awarded price (a `backup_switch` arrangement);
//! - *designated producer*: a named manufacturer (or the national agent of an imported product)
//!   with the product of the drug the center chooses ([`designated_product`]), at a negotiated
//!   unit price (a `designated` arrangement with that product for every affected county);
//! - *direct listing*: licensed suppliers list within a price cap; each listing is a
//!   `direct_listing` arrangement for the response's counties and period;
//! - *re-tender*: recorded (the draft tender is the center's to make).
//!
//! Which arrangement serves a county is `domain::supply::serving`'s choice: a switch or a
//! designation first, then a direct listing, then the award contract.

use chrono::NaiveDate;
use std::collections::BTreeSet;

use super::award::{LotAward, Winner};
use super::bidding::ProductOwner;
use super::catalog::SupplierKind;
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
    /// The designated producer's product of the drug: as chosen, then as
    /// [`designated_product`] settles it (the one product when the producer has only one).
    pub product_id: Option<i64>,
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
    /// Designated producer: its product of the drug (may be left out when it has one).
    pub product_id: &'a str,
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
        let product_id = match self.product_id.trim() {
            "" => None,
            s => s.parse::<i64>().ok().or_else(|| {
                errors.push(Invalid::new("product_id", Code::ProductIdNotANumber));
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
                product_id: product_id.filter(|_| kind == ResponseKind::DesignatedProducer),
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

/// A product as the choice of a designated producer's product sees it: its id, its drug, and
/// who makes it and (imported) who is its registered national agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrugProduct {
    pub id: i64,
    pub drug_id: i64,
    pub owner: ProductOwner,
}

/// Whether a supplier of this kind may supply the product as a designated producer: a
/// manufacturer its own product (or one it is the national agent of), a distribution enterprise
/// only an imported product it is registered as the national agent of.
fn supplies(p: &DrugProduct, supplier_id: i64, kind: SupplierKind) -> bool {
    let agent = p.owner.national_agent_id == Some(supplier_id);
    match kind {
        SupplierKind::Manufacturer => p.owner.manufacturer_id == supplier_id || agent,
        SupplierKind::Distributor => agent,
    }
}

/// The product a designated producer supplies the affected counties with. `products`: the
/// drug's products and the product chosen, if any (whatever its drug). A product chosen must be
/// of the shortage's drug and the producer's own (made by it, or imported with it as the
/// national agent); none chosen is the producer's one product of the drug, and refused when it
/// has several (the center chooses) or none (not a producer of the drug).
pub fn designated_product(
    supplier_id: i64,
    kind: SupplierKind,
    drug_id: i64,
    chosen: Option<i64>,
    products: &[DrugProduct],
) -> Result<i64, Invalid> {
    if let Some(id) = chosen {
        let p = products.iter().find(|p| p.id == id);
        let Some(p) = p else {
            return Err(Invalid::new(
                "product_id",
                Msg::new(Code::NoProductWithId).arg("id", id),
            ));
        };
        if p.drug_id != drug_id {
            return Err(Invalid::new("product_id", Code::ProductNotOfShortageDrug));
        }
        if !supplies(p, supplier_id, kind) {
            return Err(Invalid::new("product_id", Code::DesignatedProductNotOwn));
        }
        return Ok(id);
    }
    let own: Vec<i64> = products
        .iter()
        .filter(|p| p.drug_id == drug_id && supplies(p, supplier_id, kind))
        .map(|p| p.id)
        .collect();
    match own.as_slice() {
        [] => Err(Invalid::new("supplier_id", Code::DesignatedNotManufacturer)),
        [one] => Ok(*one),
        _ => Err(Invalid::new(
            "product_id",
            Msg::new(Code::ChooseDesignatedProduct).arg("count", own.len()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRUG: i64 = 7;
    const MAKER: i64 = 1;
    const OTHER: i64 = 2;
    const AGENT: i64 = 3;

    fn product(id: i64, drug_id: i64, maker: i64, agent: Option<i64>) -> DrugProduct {
        DrugProduct {
            id,
            drug_id,
            owner: ProductOwner {
                manufacturer_id: maker,
                national_agent_id: agent,
            },
        }
    }

    fn code(r: Result<i64, Invalid>) -> (String, Code) {
        let e = r.unwrap_err();
        (e.field.clone(), e.msg.code)
    }

    #[test]
    fn the_one_product_is_used_when_none_is_chosen() {
        let ps = [
            product(10, DRUG, MAKER, None),
            product(11, DRUG, OTHER, None),
        ];
        let m = SupplierKind::Manufacturer;
        assert_eq!(designated_product(MAKER, m, DRUG, None, &ps), Ok(10));
        assert_eq!(designated_product(MAKER, m, DRUG, Some(10), &ps), Ok(10));
    }

    #[test]
    fn several_products_need_a_choice() {
        let ps = [
            product(10, DRUG, MAKER, None),
            product(12, DRUG, MAKER, None),
            product(11, DRUG, OTHER, None),
        ];
        let m = SupplierKind::Manufacturer;
        assert_eq!(
            code(designated_product(MAKER, m, DRUG, None, &ps)),
            ("product_id".into(), Code::ChooseDesignatedProduct)
        );
        assert_eq!(designated_product(MAKER, m, DRUG, Some(12), &ps), Ok(12));
    }

    #[test]
    fn another_makers_product_or_another_drug_is_refused() {
        let ps = [
            product(10, DRUG, MAKER, None),
            product(11, DRUG, OTHER, None),
            product(20, DRUG + 1, MAKER, None),
        ];
        let m = SupplierKind::Manufacturer;
        assert_eq!(
            code(designated_product(MAKER, m, DRUG, Some(11), &ps)),
            ("product_id".into(), Code::DesignatedProductNotOwn)
        );
        assert_eq!(
            code(designated_product(MAKER, m, DRUG, Some(20), &ps)),
            ("product_id".into(), Code::ProductNotOfShortageDrug)
        );
        assert_eq!(
            code(designated_product(MAKER, m, DRUG, Some(99), &ps)),
            ("product_id".into(), Code::NoProductWithId)
        );
    }

    #[test]
    fn a_supplier_without_a_product_of_the_drug_is_no_producer_of_it() {
        let ps = [
            product(11, DRUG, OTHER, None),
            product(20, DRUG + 1, MAKER, None),
        ];
        assert_eq!(
            code(designated_product(
                MAKER,
                SupplierKind::Manufacturer,
                DRUG,
                None,
                &ps
            )),
            ("supplier_id".into(), Code::DesignatedNotManufacturer)
        );
        // A distribution enterprise supplies no product it is not the national agent of.
        assert_eq!(
            code(designated_product(
                OTHER,
                SupplierKind::Distributor,
                DRUG,
                None,
                &ps
            )),
            ("supplier_id".into(), Code::DesignatedNotManufacturer)
        );
    }

    #[test]
    fn the_national_agent_supplies_the_imported_product() {
        let ps = [
            product(30, DRUG, OTHER, Some(AGENT)),
            product(10, DRUG, MAKER, None),
        ];
        let d = SupplierKind::Distributor;
        assert_eq!(designated_product(AGENT, d, DRUG, None, &ps), Ok(30));
        assert_eq!(designated_product(AGENT, d, DRUG, Some(30), &ps), Ok(30));
        assert_eq!(
            code(designated_product(AGENT, d, DRUG, Some(10), &ps)),
            ("product_id".into(), Code::DesignatedProductNotOwn)
        );
        // Its foreign maker is still its maker.
        let m = SupplierKind::Manufacturer;
        assert_eq!(designated_product(OTHER, m, DRUG, Some(30), &ps), Ok(30));
    }

    #[test]
    fn a_product_id_is_read_for_a_designated_producer_only() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let input = ResponseInput {
            kind: "designated_producer",
            until_on: "2026-12-31",
            supplier_id: "4",
            unit_price: "9.5",
            product_id: "12",
            ..Default::default()
        };
        assert_eq!(input.check(today).unwrap().product_id, Some(12));
        let bad = ResponseInput {
            product_id: "twelve",
            ..input.clone()
        };
        let es = bad.check(today).unwrap_err();
        assert_eq!(es[0].field, "product_id");
        assert_eq!(es[0].msg.code, Code::ProductIdNotANumber);
        let switch = ResponseInput {
            kind: "backup_switch",
            ..input
        };
        assert_eq!(switch.check(today).unwrap().product_id, None);
    }
}
