//! Delivery performance (DOMAIN.md, "Performance"): who reads whose figures, stated once.
//! Center staff and regulators read every supplier's (or the one they ask for); a supplier's
//! user only its own (asking for another is refused); nobody else reads them. Pages and
//! exports read through these functions.

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::BTreeMap;

use super::{parties::acting_supplier, Ctx, Error, Result};
use crate::domain::performance::{ContractKey, Totals};
use crate::domain::roles::{Principal, Role};
use crate::domain::Code;
use crate::store::performance::{self as ps, By, Filter, Names, OpenOrders};

/// Whose figures a principal reads, given the supplier it asks for: `(supplier, own)`, where
/// `own` says the principal is that supplier's user (its figures only, the filter fixed).
pub fn supplier_seen(p: &Principal, asked: Option<i64>) -> Result<(Option<i64>, bool)> {
    match p.role {
        Role::Center | Role::Regulator => Ok((asked, false)),
        Role::Supplier => {
            let own = acting_supplier(p, Code::OwnPerformanceOnly)?;
            if asked.is_some_and(|s| s != own) {
                return Err(Error::Forbidden(Code::OwnPerformanceOnly.into()));
            }
            Ok((Some(own), true))
        }
        _ => Err(Error::Forbidden(Code::PerformanceNotForRole.into())),
    }
}

/// The filter as the principal may have it: its supplier replaced by the one it may read.
fn seen(p: &Principal, mut f: Filter) -> Result<Filter> {
    f.supplier_id = supplier_seen(p, f.supplier_id)?.0;
    Ok(f)
}

/// The names the figures are shown with (regions, suppliers, drugs).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn names(cx: &Ctx, p: &Principal) -> Result<Names> {
    supplier_seen(p, None)?;
    Ok(ps::names(&mut *cx.conn()?)?)
}

/// The contracts a page counts and their totals.
pub struct Figures {
    pub contracts: Vec<ContractKey>,
    pub totals: BTreeMap<(i64, i64), Totals>,
}

/// Totals `by` contract or by product and county for the filter (its supplier as the principal
/// may read), `now` deciding which lines are due. With `whole_terms` (the period's first and
/// last day), the contracts in force at some time in the period, each over its whole term,
/// whatever the county (a contract's committed volume is the whole tender region's).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn figures(
    cx: &Ctx,
    p: &Principal,
    f: Filter,
    now: NaiveDateTime,
    by: By,
    whole_terms: Option<(NaiveDate, NaiveDate)>,
) -> Result<Figures> {
    let mut f = seen(p, f)?;
    let mut c = cx.conn()?;
    let mut contracts = ps::contracts_of(&mut c, &f)?;
    if let Some((from, to)) = whole_terms {
        contracts.retain(|k| k.starts_on <= to && k.ends_on >= from);
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default()
        };
        f.from = day(1970, 1, 1);
        f.to = day(9999, 12, 31);
        f.county_id = None;
    }
    let only: Option<Vec<i64>> = whole_terms
        .is_some()
        .then(|| contracts.iter().map(|k| k.contract_id).collect());
    let totals = ps::totals(&mut c, &f, now, by, only.as_deref())?;
    Ok(Figures { contracts, totals })
}

/// Open orders per institution, most overdue first (the filter's supplier as the principal may
/// read).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn open_orders(
    cx: &Ctx,
    p: &Principal,
    f: Filter,
    now: NaiveDateTime,
) -> Result<Vec<OpenOrders>> {
    let f = seen(p, f)?;
    Ok(ps::open_orders(&mut *cx.conn()?, &f, now)?)
}

/// Each product's drug.
pub fn product_drugs(cx: &Ctx, p: &Principal) -> Result<BTreeMap<i64, i64>> {
    supplier_seen(p, None)?;
    Ok(ps::product_drugs(&mut *cx.conn()?)?)
}

/// One contract and its purchases over time (when and how much), if the principal may read
/// it: center staff and regulators any, a supplier's user its own (another's is not there).
#[tracing::instrument(skip_all, fields(user = %p.username, contract = id))]
pub fn contract(
    cx: &Ctx,
    p: &Principal,
    id: i64,
) -> Result<(ContractKey, Vec<(NaiveDateTime, i64)>)> {
    let (supplier, own) = supplier_seen(p, None)?;
    let f = Filter {
        supplier_id: supplier.filter(|_| own),
        ..Default::default()
    };
    let mut c = cx.conn()?;
    let key = ps::contracts_of(&mut c, &f)?
        .into_iter()
        .find(|k| k.contract_id == id)
        .ok_or_else(|| Error::NotFound(Code::ContractNotFound.into()))?;
    Ok((key, ps::purchases_of(&mut c, id)?))
}
