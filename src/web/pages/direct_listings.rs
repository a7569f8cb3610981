//! Direct listing (temporary off-contract purchasing during a shortage): the listings allowed,
//! the products listed, the purchases of before listings became arrangements.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::i18n::Tr;

use super::shortages::cols;
use super::{local_time, money};
use crate::app::parties::acting_supplier;
use crate::app::shortage_responses;
use crate::domain::money::Money;
use crate::domain::roles::Role;
use crate::domain::shortage::counties_parse;
use crate::domain::{Code, Invalid};
use crate::store::catalog;
use crate::store::shortages as ss;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Section, Table};
use crate::web::{db, run, AppState, Error};

// ---------- direct listing (temporary off-contract purchasing) ----------

/// What the page shows, read in one go.
struct Data {
    responses: Vec<ss::Response>,
    listings: Vec<(ss::Listing, ss::Response)>,
    bought: Vec<(ss::Purchase, ss::Listing)>,
    geo: ss::Geo,
    names: BTreeMap<i64, String>,
}

impl Data {
    fn drug(&self, id: i64) -> String {
        self.names.get(&id).cloned().unwrap_or_default()
    }
    fn counties(&self, t: &Tr, c: &str) -> String {
        counties_parse(c)
            .iter()
            .map(|x| self.geo.name(*x, t.lang))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Suppliers see the direct listings in force and list a product within the cap; institutions
/// of the affected counties see the listings (and order the drug as usual); center staff and
/// regulators see all.
#[get("/direct-listings")]
async fn direct_listings(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let today = state.today();
    let (supplier, institution) = match v.p.role {
        Role::Supplier => (
            Some(acting_supplier(&v.p, Code::OnlySupplierUsersList)?),
            None,
        ),
        Role::Institution => (None, Some(v.p.institution_id.ok_or_else(Error::forbidden)?)),
        Role::Center | Role::Regulator => (None, None),
        Role::Expert => return Err(Error::forbidden()),
    };
    let d = db(&state, move |c| {
        let responses = ss::direct_listing_responses(c, today)?;
        let mut names = BTreeMap::new();
        for r in &responses {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(r.drug_id) {
                let d = catalog::get_drug(c, r.drug_id)?;
                e.insert(format!("{} {}", d.code, d.name_zh));
            }
        }
        Ok(Data {
            listings: ss::listings_in_force(c, today, supplier)?,
            bought: ss::purchases(c, institution, supplier, 200)?,
            geo: ss::geography(c)?,
            responses,
            names,
        })
    })
    .await?;
    let sections = vec![
        open_section(&t, &d, supplier.is_some()),
        listed_section(&t, &d, institution.is_some()),
        purchases_section(&t, tz, &d),
    ];
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.direct_listings")),
        heading: t.get("nav.direct_listings").into(),
        props: vec![],
        actions: vec![],
        sections,
    })
}

fn open_section(t: &Tr, d: &Data, supplier: bool) -> Section {
    let mut open = Section::new(t.get("listing.open"));
    open.table = Some(Table {
        columns: cols(
            t,
            &[
                "listing.response",
                "shortage.drug",
                "shortage.counties",
                "shortage.price_cap",
                "shortage.until",
            ],
        ),
        rows: d
            .responses
            .iter()
            .map(|r| {
                vec![
                    Cell::num(r.id.to_string()),
                    Cell::text(d.drug(r.drug_id)),
                    Cell::text(d.counties(t, &r.counties)),
                    Cell::num(r.price_cap.map(money).unwrap_or_default()),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if supplier && !d.responses.is_empty() {
        open.forms.push(Form::new(
            "/direct-listings",
            t.get("listing.list"),
            vec![
                Field::select(
                    "response_id",
                    t.get("listing.response"),
                    "",
                    d.responses
                        .iter()
                        .map(|r| (r.id.to_string(), format!("#{} {}", r.id, d.drug(r.drug_id))))
                        .collect(),
                ),
                Field::text("product_id", t.get("listing.product"), "").required(),
                Field::text("unit_price", t.get("listing.price"), "").required(),
            ],
        ));
    }
    open
}

fn listed_section(t: &Tr, d: &Data, institution: bool) -> Section {
    let mut listed = Section::new(t.get("listing.listings"));
    listed.table = Some(Table {
        columns: cols(
            t,
            &[
                "listing.listing",
                "shortage.drug",
                "shortage.supplier",
                "listing.product",
                "listing.price",
                "shortage.counties",
                "shortage.until",
            ],
        ),
        rows: d
            .listings
            .iter()
            .map(|(l, r)| {
                vec![
                    Cell::num(l.id.to_string()),
                    Cell::text(d.drug(r.drug_id)),
                    Cell::link(
                        format!("#{}", l.supplier_id),
                        format!("/suppliers/{}", l.supplier_id),
                    ),
                    Cell::num(l.product_id.to_string()),
                    Cell::num(money(l.unit_price)),
                    Cell::text(d.counties(t, &r.counties)),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if institution && !d.listings.is_empty() {
        // Purchases under a listing are ordinary orders of the drug (deliveries, receipts,
        // payables): the ordering puts them under the listing that serves the county.
        listed.text.push(t.get("listing.order_by_drug").into());
    }
    listed
}

fn purchases_section(t: &Tr, tz: chrono_tz::Tz, d: &Data) -> Section {
    let mut p = Section::new(t.get("listing.purchases"));
    p.table = Some(Table {
        columns: cols(
            t,
            &[
                "listing.purchase",
                "listing.listing",
                "shortage.institution",
                "order.quantity",
                "listing.price",
                "shortage.at",
            ],
        ),
        rows: d
            .bought
            .iter()
            .map(|(b, l)| {
                vec![
                    Cell::num(b.id.to_string()),
                    Cell::num(l.id.to_string()),
                    Cell::link(
                        format!("#{}", b.institution_id),
                        format!("/institutions/{}", b.institution_id),
                    ),
                    Cell::num(b.quantity.to_string()),
                    Cell::num(money(b.unit_price)),
                    Cell::text(local_time(tz, b.placed_at)),
                ]
            })
            .collect(),
    });
    p
}

#[derive(Deserialize)]
struct ListingForm {
    response_id: Option<i64>,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    unit_price: String,
}

#[post("/direct-listings")]
async fn list_product(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<ListingForm>,
) -> Result<HttpResponse, Error> {
    let response = f
        .response_id
        .ok_or_else(|| Invalid::new("response_id", Code::ChooseDirectListing))?;
    let product: i64 = f
        .product_id
        .trim()
        .parse()
        .map_err(|_| Invalid::new("product_id", Code::ProductIdNotANumber))?;
    let price = Money::parse_positive("unit_price", &f.unit_price)?.ten_thousandths();
    let p = v.p.clone();
    run(&state, move |cx| {
        shortage_responses::list_product(cx, &p, response, product, price)
    })
    .await?;
    Ok(view::see_other("/direct-listings"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(direct_listings).service(list_product);
}
