//! Demand collection: windows, institutions' reports, totals by drug and county.

use super::*;

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = demand_windows)]
pub struct DemandWindow {
    pub id: i64,
    pub title: String,
    pub region_id: i64,
    pub closes_at: NaiveDateTime,
    pub status: WindowStatus,
    pub created_at: NaiveDateTime,
}

/// Opens a demand window over the region (`demand_rules::check_new_window` decides the title
/// and the closing time).
pub fn open_window(
    conn: &mut DbConn,
    act: &Act,
    title: &str,
    region_id: i64,
    closes_at: DateTime<Utc>,
) -> Result<DemandWindow> {
    let title = demand_rules::check_new_window(title, micros(closes_at), act.stamp())?;
    let title = title.as_str();
    crate::store::write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(demand_windows::table)
            .values((
                demand_windows::title.eq(title),
                demand_windows::region_id.eq(region_id),
                demand_windows::closes_at.eq(micros(closes_at)),
                demand_windows::status.eq(WindowStatus::Open),
                demand_windows::created_at.eq(act.stamp()),
            ))
            .returning(demand_windows::id)
            .get_result(conn)?;
        let w = window(conn, id)?;
        audit::append(
            conn,
            act,
            "open",
            "demand_window",
            id,
            None::<&()>,
            Some(&w),
        )?;
        Ok(w)
    })
}

pub fn window(conn: &mut DbConn, id: i64) -> Result<DemandWindow> {
    demand_windows::table
        .find(id)
        .select(DemandWindow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::DemandWindowNotFound.into()))
}

pub fn windows(conn: &mut DbConn) -> Result<Vec<DemandWindow>> {
    Ok(demand_windows::table
        .order(demand_windows::id.desc())
        .select(DemandWindow::as_select())
        .load(conn)?)
}

/// Records (or changes) an institution's expected annual quantity of a drug while the window is open.
pub fn report_demand(
    conn: &mut DbConn,
    act: &Act,
    window_id: i64,
    institution_id: i64,
    drug_id: i64,
    quantity: i64,
) -> Result<()> {
    demand_rules::check_quantity("quantity", quantity)?;
    crate::store::write_tx(conn, |conn| {
        let w = window(conn, window_id)?;
        demand_rules::check_takes_reports(w.status, w.closes_at, act.stamp())?;
        let drug = drugs::table
            .find(drug_id)
            .select(drugs::id)
            .first::<i64>(conn)
            .optional()?;
        demand_rules::check_drug_found(drug.is_some())?;
        let existing: Option<(i64, i64)> = demand_reports::table
            .filter(demand_reports::window_id.eq(window_id))
            .filter(demand_reports::institution_id.eq(institution_id))
            .filter(demand_reports::drug_id.eq(drug_id))
            .select((demand_reports::id, demand_reports::quantity))
            .first(conn)
            .optional()?;
        match existing {
            Some((id, before)) => {
                diesel::update(demand_reports::table.find(id))
                    .set((
                        demand_reports::quantity.eq(quantity),
                        demand_reports::updated_at.eq(act.stamp()),
                    ))
                    .execute(conn)?;
                audit::append(
                    conn,
                    act,
                    "update",
                    "demand_report",
                    id,
                    Some(&before),
                    Some(&quantity),
                )?;
            }
            None => {
                let id: i64 = diesel::insert_into(demand_reports::table)
                    .values((
                        demand_reports::window_id.eq(window_id),
                        demand_reports::institution_id.eq(institution_id),
                        demand_reports::drug_id.eq(drug_id),
                        demand_reports::quantity.eq(quantity),
                        demand_reports::updated_at.eq(act.stamp()),
                    ))
                    .returning(demand_reports::id)
                    .get_result(conn)?;
                audit::append(
                    conn,
                    act,
                    "create",
                    "demand_report",
                    id,
                    None::<&()>,
                    Some(&(institution_id, drug_id, quantity)),
                )?;
            }
        }
        Ok(())
    })
}

pub fn close_window(conn: &mut DbConn, act: &Act, window_id: i64) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let w = window(conn, window_id)?;
        diesel::update(demand_windows::table.find(window_id))
            .set(demand_windows::status.eq(WindowStatus::Closed))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "close",
            "demand_window",
            window_id,
            Some(&w.status),
            Some(&WindowStatus::Closed),
        )?;
        Ok(())
    })
}

/// Total reported demand per drug: (drug id, code, name, strength, total). A demand row is
/// within bounds::DEMAND (at most 10^7), so the sum fits an i64 for 9 × 10^11 rows.
pub fn demand_totals(
    conn: &mut DbConn,
    window_id: i64,
) -> Result<Vec<(i64, String, String, String, i64)>> {
    let rows: Vec<(i64, String, String, String, i64)> = demand_reports::table
        .inner_join(drugs::table)
        .filter(demand_reports::window_id.eq(window_id))
        .select((
            drugs::id,
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            demand_reports::quantity,
        ))
        .load(conn)?;
    let mut m: BTreeMap<String, (i64, String, String, String, i64)> = BTreeMap::new();
    for (id, code, name, strength, q) in rows {
        // Saturating: rows stored before the bounds existed may be larger; a total never panics.
        let t = &mut m
            .entry(code.clone())
            .or_insert((id, code, name, strength, 0))
            .4;
        *t = t.saturating_add(q);
    }
    Ok(m.into_values().collect())
}

/// Each institution's report of a drug, with the county it belongs to.
pub(super) fn demand_by_county(
    conn: &mut DbConn,
    window_id: i64,
    drug_id: i64,
) -> Result<Vec<CountyDemand>> {
    let rows: Vec<(String, i64, i64, RegionLevel, Option<i64>)> = demand_reports::table
        .inner_join(institutions::table.inner_join(regions::table))
        .filter(demand_reports::window_id.eq(window_id))
        .filter(demand_reports::drug_id.eq(drug_id))
        .select((
            institutions::code,
            demand_reports::quantity,
            regions::id,
            regions::level,
            regions::parent_id,
        ))
        .load(conn)?;
    let mut counties = crate::store::regions::CountyNames::default();
    let mut by_county: BTreeMap<String, Vec<InstitutionDemand>> = BTreeMap::new();
    for (inst, q, rid, level, parent) in rows {
        let county = counties
            .get(conn, crate::store::regions::county_of(rid, level, parent))?
            .0;
        by_county
            .entry(county)
            .or_default()
            .push(InstitutionDemand {
                institution_code: inst,
                quantity: q,
            });
    }
    Ok(by_county
        .into_iter()
        .map(|(county_code, institutions)| CountyDemand {
            county_code,
            institutions,
        })
        .collect())
}

/// Institutions (id, code, name) that have reported nothing in a window.
pub fn not_reported(conn: &mut DbConn, window_id: i64) -> Result<Vec<(i64, String, String)>> {
    let reported: Vec<i64> = demand_reports::table
        .filter(demand_reports::window_id.eq(window_id))
        .select(demand_reports::institution_id)
        .distinct()
        .load(conn)?;
    Ok(institutions::table
        .filter(diesel::dsl::not(institutions::id.eq_any(reported)))
        .order(institutions::code.asc())
        .select((institutions::id, institutions::code, institutions::name))
        .load(conn)?)
}

/// Reported demand by county and drug: (county code, county name, drug code, drug name, total).
pub fn demand_by_region(
    conn: &mut DbConn,
    window_id: i64,
) -> Result<Vec<(String, String, String, String, i64)>> {
    let rows: Vec<(i64, String, String, i64, String, RegionLevel, Option<i64>)> =
        demand_reports::table
            .inner_join(drugs::table)
            .inner_join(institutions::table.inner_join(regions::table))
            .filter(demand_reports::window_id.eq(window_id))
            .select((
                demand_reports::quantity,
                drugs::code,
                drugs::name_zh,
                regions::id,
                regions::code,
                regions::level,
                regions::parent_id,
            ))
            .load(conn)?;
    let mut counties = crate::store::regions::CountyNames::default();
    let mut out: BTreeMap<(String, String), (String, String, i64)> = BTreeMap::new();
    for (q, dcode, dname, rid, _rcode, level, parent) in rows {
        let (ccode, cname) =
            counties.get(conn, crate::store::regions::county_of(rid, level, parent))?;
        let t = &mut out.entry((ccode, dcode)).or_insert((cname, dname, 0)).2;
        *t = t.saturating_add(q);
    }
    Ok(out
        .into_iter()
        .map(|((cc, dc), (cn, dn, q))| (cc, cn, dc, dn, q))
        .collect())
}

/// What these institutions reported in a window: (institution id, institution name, drug id, drug code, drug name, strength, quantity).
pub fn reports_of(
    conn: &mut DbConn,
    window_id: i64,
    institution_ids: &[i64],
) -> Result<Vec<(i64, String, i64, String, String, String, i64)>> {
    Ok(demand_reports::table
        .inner_join(drugs::table)
        .inner_join(institutions::table)
        .filter(demand_reports::window_id.eq(window_id))
        .filter(demand_reports::institution_id.eq_any(institution_ids))
        .order((institutions::code.asc(), drugs::code.asc()))
        .select((
            institutions::id,
            institutions::name,
            drugs::id,
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            demand_reports::quantity,
        ))
        .load(conn)?)
}

/// Imports demand rows (institution code, drug code, quantity), all or nothing: every row is
/// checked (the institution must be one the uploader may report for) before any is written.
pub fn import_demand(
    conn: &mut DbConn,
    act: &Act,
    window_id: i64,
    allowed: &crate::domain::roles::Scope,
    rows: &[(usize, String, String, i64)],
) -> Result<usize> {
    crate::store::write_tx(conn, |conn| {
        let mut errors = vec![];
        let mut resolved = vec![];
        for (row, inst, drug, q) in rows {
            let institution_id: Option<i64> = institutions::table
                .filter(institutions::code.eq(inst))
                .select(institutions::id)
                .first(conn)
                .optional()?;
            let drug_id: Option<i64> = drugs::table
                .filter(drugs::code.eq(drug))
                .select(drugs::id)
                .first(conn)
                .optional()?;
            let lookup = demand_rules::RowLookup {
                row: *row,
                institution_code: inst,
                drug_code: drug,
                quantity: *q,
                institution_id,
                drug_id,
            };
            match demand_rules::resolve_row(&lookup, allowed) {
                Ok(r) => resolved.push(r),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors));
        }
        for (i, d, q) in &resolved {
            report_demand(conn, act, window_id, *i, *d, *q)?;
        }
        Ok(resolved.len())
    })
}
