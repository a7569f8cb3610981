//! Direct listing (temporary off-contract purchasing during a shortage): the listings allowed,
//! the products listed, the purchases of before listings became arrangements.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::i18n::Tr;

use super::cols;
use super::{local_time, yuan};
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
    suppliers: BTreeMap<i64, String>,
    /// The products named on the page (listed ones, and a supplier's own it may list).
    products: BTreeMap<i64, String>,
    /// A supplier's own products of the drugs with a listing open: (id, label).
    own_products: Vec<(String, String)>,
    institutions: BTreeMap<i64, String>,
}

impl Data {
    fn drug(&self, id: i64) -> String {
        self.names.get(&id).cloned().unwrap_or_default()
    }
    fn product(&self, id: i64) -> String {
        self.products.get(&id).cloned().unwrap_or_default()
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
/// A product as people name it: drug, strength, maker, approval number, package.
fn product_label(p: &catalog::Product) -> String {
    format!(
        "{} {} · {} · {} · ×{}",
        p.drug_name, p.strength, p.manufacturer_name, p.approval_number, p.units_per_package
    )
}

/// Who reads the page: (the supplier, the institution) it acts for.
fn reader(v: &Viewer) -> Result<(Option<i64>, Option<i64>), Error> {
    Ok(match v.p.role {
        Role::Supplier => (
            Some(acting_supplier(&v.p, Code::OnlySupplierUsersList)?),
            None,
        ),
        Role::Institution => (None, Some(v.p.institution_id.ok_or_else(Error::forbidden)?)),
        Role::Center | Role::Regulator => (None, None),
        Role::Expert => return Err(Error::forbidden()),
    })
}

/// What the page shows, the drugs named in `t`'s language.
async fn load(
    state: &web::Data<AppState>,
    t: crate::i18n::Tr,
    supplier: Option<i64>,
    institution: Option<i64>,
) -> Result<Data, Error> {
    let today = state.today();
    db(state, move |c| {
        let responses = ss::direct_listing_responses(c, today)?;
        let mut names = BTreeMap::new();
        for r in &responses {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(r.drug_id) {
                let d = catalog::get_drug(c, r.drug_id)?;
                let name = super::drug_name(&t, &d);
                e.insert(format!("{name} {} {}", d.strength, d.code));
            }
        }
        let listings = ss::listings_in_force(c, today, supplier)?;
        let bought = ss::purchases(c, institution, supplier, 200)?;
        let mut products = BTreeMap::new();
        for (l, _) in &listings {
            if let std::collections::btree_map::Entry::Vacant(e) = products.entry(l.product_id) {
                e.insert(product_label(&catalog::get_product(c, l.product_id)?));
            }
        }
        let mut own_products = vec![];
        if let Some(sid) = supplier {
            let f = catalog::ProductFilter {
                manufacturer_id: Some(sid),
                ..Default::default()
            };
            let page = crate::domain::paging::PageRequest::new(Some(1), Some(200));
            for p in catalog::list_products(c, &f, &page)?.items {
                if names.contains_key(&p.drug_id) {
                    own_products.push((p.id.to_string(), product_label(&p)));
                }
            }
        }
        let mut institutions = BTreeMap::new();
        for (b, _) in &bought {
            if let std::collections::btree_map::Entry::Vacant(e) =
                institutions.entry(b.institution_id)
            {
                e.insert(crate::store::parties::get_institution(c, b.institution_id)?.name);
            }
        }
        Ok(Data {
            listings,
            bought,
            geo: ss::geography(c)?,
            responses,
            names,
            suppliers: crate::store::tenders::supplier_names(c)?,
            products,
            own_products,
            institutions,
        })
    })
    .await
}

/// Suppliers see the direct listings in force and list a product within the cap; institutions
/// of the affected counties see the listings (and order the drug as usual); center staff and
/// regulators see all.
#[get("/direct-listings")]
async fn direct_listings(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let (supplier, institution) = reader(&v)?;
    let d = load(&state, v.t, supplier, institution).await?;
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

/// The form that lists an own product under an open direct listing; `f` is what was typed.
fn listing_form(t: &Tr, d: &Data, f: &ListingForm) -> Form {
    let mut responses = vec![(String::new(), t.get("formui.choose").to_string())];
    responses.extend(d.responses.iter().map(|r| {
        (
            r.id.to_string(),
            format!("{} · {}", d.drug(r.drug_id), d.counties(t, &r.counties)),
        )
    }));
    let mut products = vec![(String::new(), t.get("formui.choose").to_string())];
    products.extend(d.own_products.iter().cloned());
    Form::new(
        "/direct-listings",
        t.get("listing.list"),
        vec![
            Field::select(
                "response_id",
                t.get("listing.response"),
                &f.response_id,
                responses,
            )
            .required(),
            Field::select(
                "product_id",
                t.get("listing.product"),
                &f.product_id,
                products,
            )
            .required(),
            Field::text("unit_price", t.get("listing.price"), &f.unit_price)
                .inputmode("decimal")
                .required(),
        ],
    )
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
                    Cell::num(r.price_cap.map(|v| yuan(t, v)).unwrap_or_default()),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if supplier && !d.responses.is_empty() {
        open.forms.push(listing_form(t, d, &ListingForm::default()));
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
                        d.suppliers.get(&l.supplier_id).cloned().unwrap_or_default(),
                        format!("/suppliers/{}", l.supplier_id),
                    ),
                    Cell::text(d.product(l.product_id)),
                    Cell::num(yuan(t, l.unit_price)),
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
                        d.institutions
                            .get(&b.institution_id)
                            .cloned()
                            .unwrap_or_default(),
                        format!("/institutions/{}", b.institution_id),
                    ),
                    Cell::num(b.quantity.to_string()),
                    Cell::num(yuan(t, b.unit_price)),
                    Cell::text(local_time(tz, b.placed_at)),
                ]
            })
            .collect(),
    });
    p
}

#[derive(Deserialize, Default)]
struct ListingForm {
    #[serde(default)]
    response_id: String,
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
    let f = f.into_inner();
    let mut errs = vec![];
    let response = f
        .response_id
        .trim()
        .parse::<i64>()
        .map_err(|_| errs.push(Invalid::new("response_id", Code::ChooseDirectListing)))
        .unwrap_or(0);
    let product = if f.product_id.trim().is_empty() {
        errs.push(Invalid::new("product_id", Code::Required));
        0
    } else {
        f.product_id
            .trim()
            .parse::<i64>()
            .map_err(|_| errs.push(Invalid::new("product_id", Code::ProductIdNotANumber)))
            .unwrap_or(0)
    };
    let price = Money::parse_positive("unit_price", &f.unit_price)
        .map_err(|e| errs.push(e))
        .map(|m| m.ten_thousandths())
        .unwrap_or(0);
    let result = if errs.is_empty() {
        let p = v.p.clone();
        run(&state, move |cx| {
            shortage_responses::list_product(cx, &p, response, product, price)
        })
        .await
        .map(|_| ())
    } else {
        Err(Error::Invalid(errs))
    };
    match result {
        Ok(()) => Ok(view::see_other("/direct-listings")),
        Err(Error::Invalid(es)) => {
            let (supplier, institution) = reader(&v)?;
            let d = load(&state, v.t, supplier, institution).await?;
            let t = v.t;
            super::catalog::form_or_error(
                &v,
                t.get("listing.list"),
                listing_form(&t, &d, &f),
                Error::Invalid(es),
                Some(view::Link::new(
                    "/direct-listings",
                    t.get("nav.direct_listings"),
                )),
            )
        }
        Err(e) => Err(e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(direct_listings).service(list_product);
}
