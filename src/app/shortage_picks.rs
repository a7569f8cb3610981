//! What the shortage pages name and offer instead of ids: each affected county with the backup
//! supplier a switch would send it to (the same rule the switch applies:
//! `domain::shortage_response::backup_for` over the drug's awards), the manufacturers that may
//! be designated (those with a product of the drug) and the drug's products, the names of the
//! suppliers, tenders and institutions a page mentions, and the drugs of the pickers.

use std::collections::BTreeMap;

use super::{Ctx, Result};
use crate::domain::roles::Principal;
use crate::domain::shortage::counties_parse;
use crate::domain::shortage_response::backup_for;
use crate::store::catalog::Drug;
use crate::store::{names, regions, shortages as ss, tenders as ts};

/// An affected county and the supplier that backs it up for the drug, if any.
#[derive(Debug, Clone)]
pub struct County {
    pub id: i64,
    pub backup: Option<(i64, String)>,
}

/// The choices and names of a shortage record's page.
#[derive(Debug, Clone, Default)]
pub struct Picks {
    pub counties: Vec<County>,
    /// Manufacturers with a product of the drug (and national agents of its imported ones):
    /// `(supplier, name)`.
    pub makers: Vec<(i64, String)>,
    /// The drug's products, by maker (a designated producer's choice, and the responses' names).
    pub products: Vec<crate::store::catalog::Product>,
    pub suppliers: BTreeMap<i64, String>,
    pub tenders: BTreeMap<i64, String>,
}

/// The choices of a shortage record's response form and the names its page shows (center
/// staff and regulators, as the record itself).
#[tracing::instrument(skip_all, fields(user = %p.username, shortage = d.record.id))]
pub fn of_shortage(cx: &Ctx, p: &Principal, d: &super::shortages::Detail) -> Result<Picks> {
    super::shortages::may_read_shortages(p)?;
    let mut c = cx.conn()?;
    let suppliers = ts::supplier_names(&mut c)?;
    let awards = ss::awards_of_drug(&mut c, d.drug.id)?;
    let regions = regions::all(&mut c)?;
    let counties = counties_parse(&d.record.counties)
        .into_iter()
        .map(|id| {
            let code = regions
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.code.as_str())
                .unwrap_or_default();
            let backup = awards
                .iter()
                .find_map(|(_, a)| backup_for(a, code))
                .map(|w| {
                    let name = suppliers.get(&w.supplier_id).cloned().unwrap_or_default();
                    (w.supplier_id, name)
                });
            County { id, backup }
        })
        .collect();
    let tender_ids: Vec<i64> = d.responses.iter().filter_map(|r| r.tender_id).collect();
    let tenders = ts::tenders_list(&mut c)?
        .into_iter()
        .filter(|t| tender_ids.contains(&t.id))
        .map(|t| (t.id, t.title))
        .collect();
    Ok(Picks {
        counties,
        makers: names::makers_of_drug(&mut c, d.drug.id)?,
        products: names::products_of_drug(&mut c, d.drug.id)?,
        suppliers,
        tenders,
    })
}

/// The drugs a picker offers (anyone who may report or declare: the catalog is public to them).
pub fn drugs(cx: &Ctx) -> Result<Vec<Drug>> {
    Ok(names::drugs(&mut *cx.conn()?)?)
}

/// These drugs, by id (for lists that name them).
pub fn drugs_by_id(cx: &Ctx, ids: &[i64]) -> Result<BTreeMap<i64, Drug>> {
    Ok(names::drugs_by_id(&mut *cx.conn()?, ids)?)
}

/// The names of the suppliers and institutions a list mentions.
pub fn parties(
    cx: &Ctx,
    institutions: &[i64],
) -> Result<(BTreeMap<i64, String>, BTreeMap<i64, String>)> {
    let mut c = cx.conn()?;
    Ok((
        ts::supplier_names(&mut c)?,
        names::institutions(&mut c, institutions)?,
    ))
}
