//! Objections to a provisional award: lodged by bidders, answered by center staff.

use super::*;

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = objections)]
pub struct Objection {
    pub id: i64,
    pub tender_id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub text: String,
    pub lodged_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
}

pub fn objections_of(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Objection>> {
    Ok(objections::table
        .filter(objections::tender_id.eq(tender_id))
        .order(objections::id.asc())
        .select(Objection::as_select())
        .load(conn)?)
}

/// A bidder objects to the provisional award of a lot, within the window (`text` checked by
/// `tender_stages::objection_text`).
pub fn lodge_objection(
    conn: &mut DbConn,
    act: &Act,
    lot_id: i64,
    supplier_id: i64,
    text: &str,
) -> Result<Objection> {
    crate::store::write_tx(conn, |conn| {
        let l = lot(conn, lot_id)?;
        let t = tender(conn, l.tender_id)?;
        let has_bid = bid_of(conn, lot_id, supplier_id)?.is_some();
        tender_stages::check_objection(t.state(), t.objection_deadline, act.stamp(), has_bid)?;
        let id: i64 = diesel::insert_into(objections::table)
            .values((
                objections::tender_id.eq(t.id),
                objections::lot_id.eq(lot_id),
                objections::supplier_id.eq(supplier_id),
                objections::text.eq(text),
                objections::lodged_at.eq(act.stamp()),
            ))
            .returning(objections::id)
            .get_result(conn)?;
        let o: Objection = objections::table
            .find(id)
            .select(Objection::as_select())
            .first(conn)?;
        audit::append(conn, act, "lodge", "objection", id, None::<&()>, Some(&o))?;
        Ok(o)
    })
}

/// Center staff answer an objection, once (`answer` checked by `tender_stages::answer_text`).
pub fn answer_objection(conn: &mut DbConn, act: &Act, id: i64, answer: &str) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let o: Objection = objections::table
            .find(id)
            .select(Objection::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::ObjectionNotFound.into()))?;
        tender_stages::check_unanswered(o.answer.as_deref())?;
        diesel::update(objections::table.find(id))
            .set((
                objections::answer.eq(Some(answer)),
                objections::answered_at.eq(Some(act.stamp())),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "answer",
            "objection",
            id,
            Some(&o),
            Some(&answer),
        )?;
        Ok(())
    })
}

pub fn objections_of_id(conn: &mut DbConn, id: i64) -> Result<Objection> {
    objections::table
        .find(id)
        .select(Objection::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::ObjectionNotFound.into()))
}

/// The objections to a lot, oldest first; those of one supplier only when `supplier` is given.
pub fn objections_of_lot(
    conn: &mut DbConn,
    lot_id: i64,
    supplier: Option<i64>,
) -> Result<Vec<Objection>> {
    let mut q = objections::table
        .filter(objections::lot_id.eq(lot_id))
        .order(objections::id.asc())
        .select(Objection::as_select())
        .into_boxed();
    if let Some(s) = supplier {
        q = q.filter(objections::supplier_id.eq(s));
    }
    Ok(q.load(conn)?)
}
