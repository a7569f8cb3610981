//! The center's responses to a shortage, and direct listings under them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::domain::shortage::{check_listing, must_exist};
use crate::domain::shortage::{counties_parse, counties_text, ResponseKind, ShortageStatus};
use crate::domain::{Code, Msg};
use crate::store::schema::{
    direct_listings, direct_purchases, licences, products, shortage_responses,
};
use crate::store::{audit, write_tx, Act, DbConn, MultiBackend, Result, StoreError};

use super::{add_event, get, Shortage};

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortage_responses)]
pub struct Response {
    pub id: i64,
    pub shortage_id: i64,
    pub drug_id: i64,
    pub kind: ResponseKind,
    pub counties: String,
    pub price_cap: Option<i64>,
    pub until_on: Option<NaiveDate>,
    pub supplier_id: Option<i64>,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub unit_price: Option<i64>,
    pub ended_at: Option<NaiveDateTime>,
    /// The draft tender of a re-tender.
    pub tender_id: Option<i64>,
    /// The designated producer's product.
    pub product_id: Option<i64>,
}

pub use crate::domain::shortage_response::NewResponse;

/// Records the center's response to an open shortage, with a history event.
pub fn respond(
    conn: &mut DbConn,
    act: &Act,
    shortage_id: i64,
    r: &NewResponse,
) -> Result<(Shortage, Response)> {
    write_tx(conn, |conn| {
        let s = get(conn, shortage_id)?;
        if s.status != ShortageStatus::Open {
            return Err(StoreError::Conflict(Code::ShortageResolved.into()));
        }
        if let Some(sup) = r.supplier_id {
            let found = crate::store::parties::get_supplier(conn, sup).is_ok();
            must_exist(found, "supplier_id", Code::NoSupplierWithId, sup)?;
        }
        let counties = if r.counties.is_empty() {
            counties_parse(&s.counties)
        } else {
            r.counties.clone()
        };
        let id: i64 = diesel::insert_into(shortage_responses::table)
            .values((
                shortage_responses::shortage_id.eq(shortage_id),
                shortage_responses::drug_id.eq(s.drug_id),
                shortage_responses::kind.eq(r.kind),
                shortage_responses::counties.eq(counties_text(&counties)),
                shortage_responses::price_cap.eq(r.price_cap),
                shortage_responses::until_on.eq(r.until_on),
                shortage_responses::supplier_id.eq(r.supplier_id),
                shortage_responses::unit_price.eq(r.unit_price),
                shortage_responses::product_id.eq(r.product_id),
                shortage_responses::note.eq(r.note.trim()),
                shortage_responses::created_at.eq(act.stamp()),
                shortage_responses::created_by.eq(&act.actor),
            ))
            .returning(shortage_responses::id)
            .get_result(conn)?;
        let resp: Response = shortage_responses::table
            .find(id)
            .select(Response::as_select())
            .first(conn)?;
        add_event(
            conn,
            act,
            &s,
            r.kind.into(),
            &serde_json::to_string(&resp).unwrap_or_default(),
        )?;
        audit::append(
            conn,
            act,
            "respond",
            "shortage",
            shortage_id,
            None::<&()>,
            Some(&resp),
        )?;
        Ok((s, resp))
    })
}

pub fn responses_of(conn: &mut DbConn, shortage_id: i64) -> Result<Vec<Response>> {
    Ok(shortage_responses::table
        .filter(shortage_responses::shortage_id.eq(shortage_id))
        .order(shortage_responses::id.desc())
        .select(Response::as_select())
        .load(conn)?)
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = direct_listings)]
pub struct Listing {
    pub id: i64,
    pub response_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub unit_price: i64,
    pub listed_at: NaiveDateTime,
    pub listed_by: String,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = direct_purchases)]
pub struct Purchase {
    pub id: i64,
    pub listing_id: i64,
    pub institution_id: i64,
    pub county_id: i64,
    pub quantity: i64,
    pub unit_price: i64,
    pub placed_at: NaiveDateTime,
    pub placed_by: String,
}

/// Direct-listing responses in force on `today` (their end date not passed), newest first.
pub fn direct_listing_responses(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<Response>> {
    Ok(shortage_responses::table
        .filter(shortage_responses::kind.eq(ResponseKind::DirectListing))
        .filter(shortage_responses::until_on.ge(today))
        .filter(shortage_responses::ended_at.is_null())
        .order(shortage_responses::id.desc())
        .select(Response::as_select())
        .load(conn)?)
}

fn response_in_force(conn: &mut DbConn, response_id: i64, today: NaiveDate) -> Result<Response> {
    let r: Response = shortage_responses::table
        .find(response_id)
        .select(Response::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(Msg::new(Code::DirectListingNotFound).arg("id", response_id))
        })?;
    if r.kind != ResponseKind::DirectListing {
        return Err(StoreError::NotFound(
            Msg::new(Code::DirectListingNotFound).arg("id", response_id),
        ));
    }
    if r.until_on.is_none_or(|u| u < today) || r.ended_at.is_some() {
        return Err(StoreError::Conflict(
            Msg::new(Code::DirectListingEnded).arg(
                "date",
                r.until_on.map(|d| d.to_string()).unwrap_or_default(),
            ),
        ));
    }
    Ok(r)
}

/// A licensed supplier lists a product of the drug at its own price within the cap.
pub fn list_product(
    conn: &mut DbConn,
    act: &Act,
    response_id: i64,
    supplier_id: i64,
    product_id: i64,
    unit_price: i64,
    today: NaiveDate,
) -> Result<Listing> {
    write_tx(conn, |conn| {
        let r = response_in_force(conn, response_id, today)?;
        let licensed: i64 = licences::table
            .filter(licences::supplier_id.eq(supplier_id))
            .filter(licences::expires_on.ge(today))
            .count()
            .get_result(conn)?;
        if licensed == 0 {
            return Err(StoreError::Conflict(Code::LicenceNeededToList.into()));
        }
        let drug: Option<i64> = products::table
            .find(product_id)
            .select(products::drug_id)
            .first(conn)
            .optional()?;
        check_listing(product_id, drug, r.drug_id, unit_price, r.price_cap)?;
        let id: i64 = diesel::insert_into(direct_listings::table)
            .values((
                direct_listings::response_id.eq(response_id),
                direct_listings::supplier_id.eq(supplier_id),
                direct_listings::product_id.eq(product_id),
                direct_listings::unit_price.eq(unit_price),
                direct_listings::listed_at.eq(act.stamp()),
                direct_listings::listed_by.eq(&act.actor),
            ))
            .returning(direct_listings::id)
            .get_result(conn)
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(Code::ProductAlreadyListed.into()),
                e => e,
            })?;
        let l: Listing = direct_listings::table
            .find(id)
            .select(Listing::as_select())
            .first(conn)?;
        // The listing is a direct-listing arrangement for the response's counties and period:
        // the affected counties' orders of the drug may go to it (domain::supply::serving).
        crate::store::supply::create_arrangement(
            conn,
            act,
            &crate::store::supply::NewArrangement {
                kind: crate::domain::supply::ContractKind::DirectListing,
                response_id: Some(r.id),
                drug_id: r.drug_id,
                supplier_id,
                product_id,
                lot_id: None,
                bid_id: None,
                unit_price: crate::domain::money::Money::from_ten_thousandths(unit_price),
                starts_on: today,
                ends_on: r.until_on.unwrap_or(today),
                counties: counties_parse(&r.counties).into_iter().collect(),
                committed_volume: 0,
            },
        )?;
        audit::append(
            conn,
            act,
            "list",
            "direct_listing",
            id,
            None::<&()>,
            Some(&l),
        )?;
        Ok(l)
    })
}

/// Listings under the responses in force, with their response.
pub fn listings_in_force(
    conn: &mut DbConn,
    today: NaiveDate,
    supplier_id: Option<i64>,
) -> Result<Vec<(Listing, Response)>> {
    let mut q = direct_listings::table
        .inner_join(shortage_responses::table)
        .filter(shortage_responses::until_on.ge(today))
        .filter(shortage_responses::ended_at.is_null())
        .select((Listing::as_select(), Response::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(s) = supplier_id {
        q = q.filter(direct_listings::supplier_id.eq(s));
    }
    Ok(q.order(direct_listings::id.desc()).load(conn)?)
}

/// An institution of an affected county buys under a listing at its price (not editable).
pub fn buy(
    conn: &mut DbConn,
    act: &Act,
    listing_id: i64,
    institution_id: i64,
    quantity: i64,
    today: NaiveDate,
) -> Result<Purchase> {
    crate::domain::bounds::Quantity::new("quantity", quantity)?;
    write_tx(conn, |conn| {
        let l: Listing = direct_listings::table
            .find(listing_id)
            .select(Listing::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(Msg::new(Code::ListingNotFound).arg("id", listing_id))
            })?;
        let r = response_in_force(conn, l.response_id, today)?;
        let county = crate::store::regions::county_of_institution(conn, institution_id)?;
        if !counties_parse(&r.counties).contains(&county) {
            return Err(StoreError::Conflict(Code::NotInAffectedCounty.into()));
        }
        let id: i64 = diesel::insert_into(direct_purchases::table)
            .values((
                direct_purchases::listing_id.eq(listing_id),
                direct_purchases::institution_id.eq(institution_id),
                direct_purchases::county_id.eq(county),
                direct_purchases::quantity.eq(quantity),
                direct_purchases::unit_price.eq(l.unit_price),
                direct_purchases::placed_at.eq(act.stamp()),
                direct_purchases::placed_by.eq(&act.actor),
            ))
            .returning(direct_purchases::id)
            .get_result(conn)?;
        let p: Purchase = direct_purchases::table
            .find(id)
            .select(Purchase::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "buy",
            "direct_purchase",
            id,
            None::<&()>,
            Some(&p),
        )?;
        Ok(p)
    })
}

/// Purchases under direct listing, newest first: one institution's, one supplier's, or all.
pub fn purchases(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Purchase, Listing)>> {
    let mut q = direct_purchases::table
        .inner_join(direct_listings::table)
        .select((Purchase::as_select(), Listing::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(i) = institution_id {
        q = q.filter(direct_purchases::institution_id.eq(i));
    }
    if let Some(s) = supplier_id {
        q = q.filter(direct_listings::supplier_id.eq(s));
    }
    Ok(q.order(direct_purchases::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Suppliers holding a licence valid on `today` (those a direct listing is open to).
pub fn licensed_suppliers(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<i64>> {
    let mut v: Vec<i64> = licences::table
        .filter(licences::expires_on.ge(today))
        .select(licences::supplier_id)
        .distinct()
        .load(conn)?;
    v.sort_unstable();
    Ok(v)
}

/// One response.
pub fn response(conn: &mut DbConn, id: i64) -> Result<Response> {
    shortage_responses::table
        .find(id)
        .select(Response::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Msg::new(Code::ResponseNotFound).arg("id", id)))
}

/// The responses of a record not yet ended.
pub fn open_responses_of(conn: &mut DbConn, shortage_id: i64) -> Result<Vec<Response>> {
    Ok(shortage_responses::table
        .filter(shortage_responses::shortage_id.eq(shortage_id))
        .filter(shortage_responses::ended_at.is_null())
        .order(shortage_responses::id)
        .select(Response::as_select())
        .load(conn)?)
}

/// Ends a response now (withdrawn, or its shortage resolved) with every arrangement it made,
/// audited (inside the caller's transaction).
pub fn end_response(conn: &mut DbConn, act: &Act, id: i64) -> Result<Response> {
    write_tx(conn, |conn| {
        let before = response(conn, id)?;
        if before.ended_at.is_some() {
            return Err(StoreError::Conflict(Code::ResponseAlreadyEnded.into()));
        }
        diesel::update(shortage_responses::table.find(id))
            .set(shortage_responses::ended_at.eq(Some(act.stamp())))
            .execute(conn)?;
        let ended = crate::store::supply::end_arrangements_of_response(conn, act, id)?;
        let after = response(conn, id)?;
        audit::append(
            conn,
            act,
            "end",
            "shortage_response",
            id,
            Some(&before),
            Some(&(&after, &ended)),
        )?;
        Ok(after)
    })
}

/// The awards of the drug's lots, newest lot first (those with a stored result).
pub fn awards_of_drug(
    conn: &mut DbConn,
    drug_id: i64,
) -> Result<Vec<(i64, crate::domain::award::LotAward)>> {
    use crate::store::schema::lots;
    let rows: Vec<(i64, Option<String>)> = lots::table
        .filter(lots::drug_id.eq(drug_id))
        .filter(lots::result_json.is_not_null())
        .order(lots::id.desc())
        .select((lots::id, lots::result_json))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, j)| Some((id, serde_json::from_str(&j?).ok()?)))
        .collect())
}

/// The product a bid offered.
pub fn product_of_bid(conn: &mut DbConn, bid_id: i64) -> Result<i64> {
    use crate::store::schema::bids;
    Ok(bids::table
        .find(bid_id)
        .select(bids::product_id)
        .first(conn)?)
}

/// What the choice of a designated producer's product rests on: the supplier's kind (none:
/// no such supplier) and the drug's products with the one chosen, if any (whatever its drug).
pub fn designated_facts(
    conn: &mut DbConn,
    supplier_id: i64,
    drug_id: i64,
    chosen: Option<i64>,
) -> Result<(
    Option<crate::domain::catalog::SupplierKind>,
    Vec<crate::domain::shortage_response::DrugProduct>,
)> {
    use crate::domain::bidding::ProductOwner;
    use crate::domain::catalog::SupplierKind;
    use crate::domain::shortage_response::DrugProduct;
    use crate::store::schema::suppliers;
    let kind: Option<SupplierKind> = suppliers::table
        .find(supplier_id)
        .select(suppliers::kind)
        .first(conn)
        .optional()?;
    let rows: Vec<(i64, i64, i64, Option<i64>)> = products::table
        .filter(
            products::drug_id
                .eq(drug_id)
                .or(products::id.eq(chosen.unwrap_or(0))),
        )
        .order(products::id)
        .select((
            products::id,
            products::drug_id,
            products::manufacturer_id,
            products::national_agent_id,
        ))
        .load(conn)?;
    let products = rows
        .into_iter()
        .map(
            |(id, drug_id, manufacturer_id, national_agent_id)| DrugProduct {
                id,
                drug_id,
                owner: ProductOwner {
                    manufacturer_id,
                    national_agent_id,
                },
            },
        )
        .collect();
    Ok((kind, products))
}

/// The drug's latest lot and its tender (the parameters a re-tender starts from).
pub fn latest_lot_of_drug(
    conn: &mut DbConn,
    drug_id: i64,
) -> Result<Option<(crate::store::tenders::Lot, crate::store::tenders::Tender)>> {
    use crate::store::schema::lots;
    let lot: Option<i64> = lots::table
        .filter(lots::drug_id.eq(drug_id))
        .order(lots::id.desc())
        .select(lots::id)
        .first(conn)
        .optional()?;
    match lot {
        None => Ok(None),
        Some(id) => {
            let l = crate::store::tenders::lot(conn, id)?;
            let t = crate::store::tenders::tender(conn, l.tender_id)?;
            Ok(Some((l, t)))
        }
    }
}

/// Sets a draft lot's reported demand and agreed volume (a re-tender's: the affected counties'
/// latest demand) and notes the draft on its response.
pub fn set_retender_demand(
    conn: &mut DbConn,
    response_id: i64,
    tender_id: i64,
    lot_id: i64,
    demand: i64,
    agreed_volume: i64,
) -> Result<()> {
    use crate::store::schema::lots;
    diesel::update(lots::table.find(lot_id))
        .set((
            lots::reported_demand.eq(demand),
            lots::agreed_volume.eq(agreed_volume),
        ))
        .execute(conn)?;
    diesel::update(shortage_responses::table.find(response_id))
        .set(shortage_responses::tender_id.eq(Some(tender_id)))
        .execute(conn)?;
    Ok(())
}

/// The drugs with an award stored on one of their lots.
pub fn drugs_with_awards(conn: &mut DbConn) -> Result<Vec<i64>> {
    use crate::store::schema::lots;
    Ok(lots::table
        .filter(lots::result_json.is_not_null())
        .select(lots::drug_id)
        .distinct()
        .order(lots::drug_id)
        .load(conn)?)
}

/// The arrangements (contracts) a response made.
pub fn arrangements_of_response(conn: &mut DbConn, response_id: i64) -> Result<Vec<i64>> {
    use crate::store::schema::contracts;
    Ok(contracts::table
        .filter(contracts::response_id.eq(Some(response_id)))
        .order(contracts::id)
        .select(contracts::id)
        .load(conn)?)
}
