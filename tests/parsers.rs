//! Every parser of a number or a date that enters, fed extreme values (i64::MIN/MAX, decimals
//! beyond `Decimal`, far dates, "+262142-12-31", "1e30", "-0", "NaN", "1,000", whitespace,
//! arbitrary text): each answers a value within its domain range or an error naming the
//! field, and never panics (a panic fails the property).

use jicai::domain::bounds::{self, Quantity};
use jicai::domain::catalog::{LicenceForm, ProductForm};
use jicai::domain::money::Money;
use jicai::domain::shortage_response::ResponseInput;
use jicai::domain::{FIRST_DAY, LAST_DAY};
use jicai::web::pages::bids::parse_submission;
use jicai::web::pages::tenders::{demand_table_rows, parse_local, parse_lot_lines};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just("9223372036854775808".to_string()),
        Just("79228162514264337593543950335".to_string()),
        Just("-79228162514264337593543950335".to_string()),
        Just("79228162514264337593543950336".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("+262142-12-31".to_string()),
        Just("-262143-01-01".to_string()),
        Just("+262142-12-31 17:00".to_string()),
        Just("262142-12-31T23:59".to_string()),
        Just("9999-12-31".to_string()),
        Just("1999-12-31".to_string()),
        Just("2100-12-31 23:59".to_string()),
        Just("1e30".to_string()),
        Just("-0".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("1,000".to_string()),
        Just("100%".to_string()),
        Just("  42 ".to_string()),
        Just("\t".to_string()),
        Just(String::new()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        "[-+0-9.,eE% :T]{0,32}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2})?",
        any::<String>(),
    ]
}

fn in_window(d: chrono::NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&d)
}

fn entered(m: Money) -> bool {
    m >= Money::ZERO && m <= Money::MAX_ENTERED
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn domain_parsers(s in nasty()) {
        match jicai::domain::date("to", &s) {
            Ok(d) => prop_assert!(in_window(d)),
            Err(e) => prop_assert_eq!(e.field, "to"),
        }
        match jicai::domain::optional_date("until_on", &s) {
            Ok(d) => prop_assert!(d.is_none_or(in_window)),
            Err(e) => prop_assert_eq!(e.field, "until_on"),
        }
        match Money::parse("price_cap", &s) {
            Ok(m) => prop_assert!(entered(m)),
            Err(e) => prop_assert_eq!(e.field, "price_cap"),
        }
        match Quantity::parse("quantity", &s) {
            Ok(q) => prop_assert!(Quantity::RANGE.contains(&q.get())),
            Err(e) => prop_assert_eq!(e.field, "quantity"),
        }
        match bounds::whole("score", &s, bounds::SCORE) {
            Ok(v) => prop_assert!(bounds::SCORE.contains(&v)),
            Err(e) => prop_assert_eq!(e.field, "score"),
        }
        match bounds::parse_percent("agreed_share", &s) {
            Ok(p) => prop_assert!(p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED),
            Err(e) => prop_assert_eq!(e.field, "agreed_share"),
        }
    }

    #[test]
    fn catalog_forms_and_import_rows(units in nasty(), price in nasty(), expiry in nasty()) {
        let f = ProductForm {
            drug_code: "D0001".into(),
            manufacturer_uscc: "91350100M000100Y43".into(),
            approval_number: "国药准字H34020123".into(),
            units_per_package: units.clone(),
            reference_price: price.clone(),
            ..Default::default()
        };
        match f.validate() {
            Ok(p) => {
                prop_assert!((1..=100_000).contains(&p.units_per_package));
                prop_assert!(p.reference_price.is_none_or(entered));
            }
            Err(es) => prop_assert!(es.iter().all(|e| e.field == "units_per_package" || e.field == "reference_price"), "{:?}", es),
        }
        let table = vec![
            ["drug_code", "manufacturer_uscc", "approval_number", "units_per_package", "reference_price"].map(String::from).to_vec(),
            vec!["D0001".into(), "91350100M000100Y43".into(), "国药准字H34020123".into(), units, price],
        ];
        match jicai::domain::import::product_rows(&table) {
            Ok(rows) => prop_assert!(rows.iter().all(|(_, p)| p.reference_price.is_none_or(entered))),
            Err(es) => prop_assert!(es.iter().all(|e| e.row == 2 && (e.field == "units_per_package" || e.field == "reference_price")), "{:?}", es),
        }
        let l = LicenceForm { kind: "manufacturing".into(), number: "X1".into(), expires_on: expiry };
        match l.validate() {
            Ok(x) => prop_assert!(in_window(x.expires_on)),
            Err(es) => prop_assert!(es.iter().all(|e| e.field == "expires_on"), "{:?}", es),
        }
    }

    #[test]
    fn tender_page_parsers(s in nasty(), at in 1usize..=5) {
        let tz = chrono_tz::Asia::Shanghai;
        match parse_local("bid_deadline", &s, tz) {
            Ok(t) => prop_assert!(in_window(t.with_timezone(&tz).date_naive()) || in_window(t.date_naive())),
            Err(e) => prop_assert_eq!(e.field, "bid_deadline"),
        }
        // The value in each position of a lot line in turn.
        let mut cells = ["D1".to_string(), "1.00".into(), "composite_score".into(), "2".into(), "yes".into(), "70".into(), "40".into()];
        cells[at + usize::from(at >= 2)] = s.replace(['\n', '\r', ',', '，', ';', '\t'], " ");
        let drugs = BTreeMap::from([("D1".to_string(), 1i64)]);
        match parse_lot_lines(&cells.join(", "), &drugs) {
            Ok(lots) => {
                for l in lots {
                    prop_assert!(l.max_unit_price > Money::ZERO && entered(l.max_unit_price));
                    prop_assert!((1..=100).contains(&l.min_bidders));
                    prop_assert!((1..=10_000).contains(&l.agreed_share_bp));
                    prop_assert!(l.policy.validate().is_ok());
                }
            }
            Err(es) => prop_assert!(es.iter().all(|e| e.field == "lots"), "{:?}", es),
        }
        let table = vec![
            vec!["institution_code".to_string(), "drug_code".into(), "quantity".into()],
            vec!["I1".into(), "D1".into(), s.clone()],
        ];
        match demand_table_rows(&table, "I0") {
            Ok(rows) => prop_assert!(rows.iter().all(|r| bounds::DEMAND.contains(&r.3))),
            Err(es) => prop_assert!(es.iter().all(|e| e.field == "row 2 quantity"), "{:?}", es),
        }
        let fields = BTreeMap::from([
            ("product_id".to_string(), "1".to_string()),
            ("annual_capacity".to_string(), s.clone()),
            ("package_price".to_string(), s.clone()),
        ]);
        match parse_submission(1, &fields, vec![]) {
            Ok(b) => {
                prop_assert!(bounds::CAPACITY.contains(&b.annual_capacity));
                match b.price {
                    jicai::app::bids::PriceIn::Clear(m) => prop_assert!(m > Money::ZERO && entered(m)),
                    jicai::app::bids::PriceIn::Sealed(_) => prop_assert!(false, "a price typed in is not sealed"),
                }
            }
            Err(es) => prop_assert!(es.iter().all(|e| e.field == "annual_capacity" || e.field == "package_price"), "{:?}", es),
        }
    }

    #[test]
    fn shortage_response_form(cap in nasty(), until in nasty(), supplier in nasty(), price in nasty()) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for kind in ["direct_listing", "designated_producer", "backup_switch"] {
            let f = ResponseInput {
                kind,
                price_cap: &cap,
                until_on: &until,
                supplier_id: &supplier,
                unit_price: &price,
                note: "",
                counties: "",
                product_id: &supplier,
            };
            match f.check(today) {
                Ok(r) => {
                    prop_assert!(r.price_cap.is_none_or(|c| entered(Money::from_ten_thousandths(c))));
                    prop_assert!(r.unit_price.is_none_or(|c| entered(Money::from_ten_thousandths(c))));
                    prop_assert!(r.until_on.is_none_or(in_window));
                }
                Err(es) => prop_assert!(
                    es.iter().all(|e| ["price_cap", "unit_price", "until_on", "supplier_id", "counties", "kind", "product_id"].contains(&e.field.as_str())),
                    "{:?}", es
                ),
            }
        }
    }
}
