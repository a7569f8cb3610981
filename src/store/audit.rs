//! The append-only, hash-chained audit log.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{audit_head, audit_log};
use super::{Act, DbConn, Result};
use crate::domain::audit::{record_hash, verify_chain, AuditRecord, BrokenLink, GENESIS};

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = audit_log)]
struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditRecord {
    fn from(r: Row) -> Self {
        AuditRecord {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before_json,
            after: r.after_json,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

fn json<T: Serialize>(v: Option<&T>) -> String {
    v.map(|v| serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
        .unwrap_or_default()
}

/// Appends one record to the chain. Call inside the transaction of the change it records:
/// the head row's lock serializes concurrent appends.
pub fn append<B: Serialize, A: Serialize>(
    conn: &mut DbConn,
    act: &Act,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    let (id, prev): (i64, String) = diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_id.eq(audit_head::last_id + 1))
        .returning((audit_head::last_id, audit_head::last_hash))
        .get_result(conn)?;
    let mut rec = AuditRecord {
        id,
        at: act.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        actor: act.actor.clone(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        before: json(before),
        after: json(after),
        prev_hash: prev.clone(),
        hash: String::new(),
    };
    rec.hash = record_hash(&prev, &rec);
    diesel::insert_into(audit_log::table)
        .values(Row {
            id: rec.id,
            at: rec.at,
            actor: rec.actor,
            action: rec.action,
            entity: rec.entity,
            entity_id: rec.entity_id,
            before_json: rec.before,
            after_json: rec.after,
            prev_hash: rec.prev_hash,
            hash: rec.hash.clone(),
        })
        .execute(conn)?;
    diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_hash.eq(rec.hash))
        .execute(conn)?;
    Ok(())
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub records: i64,
    pub broken: Option<BrokenLink>,
}

/// Walks the whole chain in pages and reports the first broken link, if any; also checks that
/// the head matches the last record (so removing the newest records is detected too).
pub fn verify(conn: &mut DbConn) -> Result<Verification> {
    let mut prev = GENESIS.to_string();
    let mut after = 0i64;
    let mut count = 0i64;
    loop {
        let rows: Vec<Row> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(2000)
            .select(Row::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        let recs: Vec<AuditRecord> = rows.into_iter().map(AuditRecord::from).collect();
        // Ids run 1, 2, 3… with no gap: a gap is a removed record.
        for r in &recs {
            count += 1;
            if r.id != count {
                return Ok(Verification {
                    records: count,
                    broken: Some(BrokenLink {
                        id: r.id,
                        reason: format!("record {count} is missing before it"),
                    }),
                });
            }
        }
        match verify_chain(&prev, &recs) {
            Ok(last) => prev = last,
            Err(b) => {
                return Ok(Verification {
                    records: count,
                    broken: Some(b),
                })
            }
        }
        after = recs.last().map(|r| r.id).unwrap_or(after);
    }
    let (last_id, last_hash): (i64, String) = audit_head::table
        .find(1i64)
        .select((audit_head::last_id, audit_head::last_hash))
        .first(conn)?;
    let broken = if last_id != count || last_hash != prev {
        Some(BrokenLink {
            id: count + 1,
            reason: format!(
                "the chain's head names record {last_id} but the log ends at record {count} (records were removed from the end)"
            ),
        })
    } else {
        None
    };
    Ok(Verification {
        records: count,
        broken,
    })
}

/// An audit record for display.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
}

/// The newest records, optionally of one entity kind.
pub fn recent(conn: &mut DbConn, entity: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(e) = entity {
        q = q.filter(audit_log::entity.eq(e.to_string()));
    }
    let rows: Vec<Row> = q
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before_json,
            after: r.after_json,
        })
        .collect())
}

/// One record of a batch for [`append_many`].
pub struct Pending<'a> {
    pub act: &'a Act,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub after: String,
}

/// Appends several records in one go (three statements however many): the batch takes its ids
/// from the head, the records are chained in order, and the head moves to the last one.
pub fn append_many(conn: &mut DbConn, items: &[Pending]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let n = items.len() as i64;
    let (last, mut prev): (i64, String) = diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_id.eq(audit_head::last_id + n))
        .returning((audit_head::last_id, audit_head::last_hash))
        .get_result(conn)?;
    let mut rows = Vec::with_capacity(items.len());
    for (k, p) in items.iter().enumerate() {
        let mut rec = AuditRecord {
            id: last - n + 1 + k as i64,
            at: p.act.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            actor: p.act.actor.clone(),
            action: p.action.to_string(),
            entity: p.entity.to_string(),
            entity_id: p.entity_id.clone(),
            before: String::new(),
            after: p.after.clone(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        rec.hash = record_hash(&prev, &rec);
        prev = rec.hash.clone();
        rows.push(Row {
            id: rec.id,
            at: rec.at,
            actor: rec.actor,
            action: rec.action,
            entity: rec.entity,
            entity_id: rec.entity_id,
            before_json: rec.before,
            after_json: rec.after,
            prev_hash: rec.prev_hash,
            hash: rec.hash,
        });
    }
    super::insert_many!(conn, audit_log::table, &rows)?;
    diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_hash.eq(prev))
        .execute(conn)?;
    Ok(())
}
