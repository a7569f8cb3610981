//! The append-only, hash-chained audit log.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{audit_head, audit_log, audit_pending};
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

/// One record before it joins the chain: written with the change it records, chained by
/// [`seal`] (its id and hashes are given then).
#[derive(Insertable, Clone)]
#[diesel(table_name = audit_pending)]
struct NewRecord {
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_pending)]
struct PendingRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
}

fn add(conn: &mut DbConn, records: Vec<NewRecord>) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    super::insert_many!(conn, audit_pending::table, &records)?;
    Ok(())
}

fn stamp(act: &Act) -> String {
    act.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Appends one record. Call inside the transaction of the change it records: the record is
/// written with it (all or none) and joins the hash chain at the next [`seal`], moments later.
pub fn append<B: Serialize, A: Serialize>(
    conn: &mut DbConn,
    act: &Act,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    add(
        conn,
        vec![NewRecord {
            at: stamp(act),
            actor: act.actor.clone(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: json(before),
            after_json: json(after),
        }],
    )
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub records: i64,
    pub broken: Option<BrokenLink>,
}

/// Seals what is pending, then walks the whole chain in pages and reports the first broken link, if any; also checks that
/// the head matches the last record (so removing the newest records is detected too).
pub fn verify(conn: &mut DbConn) -> Result<Verification> {
    seal(conn)?;
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

/// The newest records (what is pending sealed first), optionally of one entity kind.
pub fn recent(conn: &mut DbConn, entity: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    seal(conn)?;
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

/// Appends several records, as [`append`] does one.
pub fn append_many(conn: &mut DbConn, items: &[Pending]) -> Result<()> {
    add(
        conn,
        items
            .iter()
            .map(|p| NewRecord {
                at: stamp(p.act),
                actor: p.act.actor.clone(),
                action: p.action.to_string(),
                entity: p.entity.to_string(),
                entity_id: p.entity_id.clone(),
                before_json: String::new(),
                after_json: p.after.clone(),
            })
            .collect(),
    )
}

/// Records chained per transaction of [`seal`].
const SEAL_BATCH: i64 = 5_000;

/// Chains the records written since the last seal into the log, in the order they are found
/// (committed ones only), a batch per transaction: each batch locks the chain's head once.
/// Several sealers (replicas) at once take turns on that lock. Returns how many were chained.
pub fn seal(conn: &mut DbConn) -> Result<usize> {
    let mut total = 0;
    loop {
        let n = super::write_tx(conn, |conn| {
            // Lock the head first: a second sealer waits here and then finds what is left.
            let (last, mut prev): (i64, String) = diesel::update(audit_head::table.find(1i64))
                .set(audit_head::last_id.eq(audit_head::last_id))
                .returning((audit_head::last_id, audit_head::last_hash))
                .get_result(conn)?;
            let pending: Vec<PendingRow> = audit_pending::table
                .order(audit_pending::id.asc())
                .limit(SEAL_BATCH)
                .select(PendingRow::as_select())
                .load(conn)?;
            if pending.is_empty() {
                return Ok(0);
            }
            let mut rows = Vec::with_capacity(pending.len());
            for (k, p) in pending.iter().enumerate() {
                let mut rec = AuditRecord {
                    id: last + 1 + k as i64,
                    at: p.at.clone(),
                    actor: p.actor.clone(),
                    action: p.action.clone(),
                    entity: p.entity.clone(),
                    entity_id: p.entity_id.clone(),
                    before: p.before_json.clone(),
                    after: p.after_json.clone(),
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
            for chunk in rows.chunks(500) {
                super::insert_many!(conn, audit_log::table, chunk)?;
            }
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            for chunk in ids.chunks(500) {
                diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(chunk)))
                    .execute(conn)?;
            }
            diesel::update(audit_head::table.find(1i64))
                .set((
                    audit_head::last_id.eq(last + pending.len() as i64),
                    audit_head::last_hash.eq(prev),
                ))
                .execute(conn)?;
            Ok(pending.len())
        })?;
        total += n;
        if (n as i64) < SEAL_BATCH {
            return Ok(total);
        }
    }
}

/// Seals the log every `every` on a thread of its own, for as long as the process runs (the
/// records are safe in the meantime: they were written with their changes).
pub fn start_sealer(store: super::Store, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("jicai-audit-sealer".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            match store.conn() {
                Ok(mut c) => {
                    if let Err(e) = seal(&mut c) {
                        tracing::error!("audit sealer: {e}");
                    }
                }
                Err(e) => tracing::error!("audit sealer: no connection: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!("audit sealer: cannot start: {e}");
    }
}
