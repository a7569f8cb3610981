//! The shortage scan as the application runs it (the `shortage_scan` job calls it): reads the
//! signals, lets `domain::shortage` decide each drug's change, writes the changes with their
//! history and alerts (one e-mail per change and recipient, written with the change).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

use crate::alerts::{audience, send, Alert, Value};
use crate::domain::alerts::AlertKind;
use crate::domain::roles::Role;
use crate::domain::shortage::{
    assess_county, assess_drug, combine, counties_parse, transition, Change, Evidence, Level,
    Rules, Scope,
};
use crate::store::shortages::{self, Geo};
use crate::store::{catalog, micros, write_tx, Act, DbConn, StoreError};

/// What one scan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub drugs_read: usize,
    pub opened: usize,
    pub escalated: usize,
    pub eased: usize,
    pub spread: usize,
    pub resolved: usize,
    pub unchanged: usize,
    pub mails: usize,
    pub errors: Vec<String>,
}

impl std::fmt::Display for ScanReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} drugs with signals or open records read: {} opened, {} escalated, {} eased, \
             {} changed scope, {} resolved, {} unchanged; {} e-mails queued",
            self.drugs_read,
            self.opened,
            self.escalated,
            self.eased,
            self.spread,
            self.resolved,
            self.unchanged,
            self.mails
        )?;
        for e in self.errors.iter().take(5) {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// Runs the scan at `now`. Running it again on the same records changes nothing.
pub fn scan(
    conn: &mut DbConn,
    job: &Job,
    now: DateTime<Utc>,
    tz: Tz,
    public_url: &str,
) -> Result<ScanReport, StoreError> {
    let r = job.rules;
    let at = micros(now);
    let today = crate::jobs::today(now, tz);
    let signals = shortages::read_signals(conn, at, today, r.window_days)?;
    let geo = shortages::geography(conn)?;
    let open = shortages::open_records(conn)?;
    let mut report = ScanReport::default();
    let act = Act::new(format!("job:{}", job.name), now);
    // First decide, for every drug, what changes (pure); then write.
    let changes = decide_changes(r, &signals, &geo, &open, &mut report);
    if changes.is_empty() {
        return Ok(report);
    }
    // Who each alert goes to: one pass over the window for every drug that changed.
    let from = at - chrono::Duration::days(r.window_days);
    let alerting: Vec<i64> = changes
        .iter()
        .filter(|p| p.change.alerts())
        .map(|p| p.drug)
        .collect();
    let institutions = shortages::institutions_by_drug(conn, &alerting, from)?;
    let ctx = Ctx {
        alert: job.alert,
        at,
        geo: &geo,
        institutions: &institutions,
        contracted: &signals.contracted,
        public_url,
        today,
    };
    write_changes(conn, &act, &ctx, &changes, &mut report);
    Ok(report)
}

/// Decides, for every drug with signals or an open record, what changes: the drugs read and
/// those unchanged are counted in `report`; the changes are returned to be written.
fn decide_changes(
    r: &Rules,
    signals: &shortages::Signals,
    geo: &Geo,
    open: &BTreeMap<i64, shortages::Shortage>,
    report: &mut ScanReport,
) -> Vec<Pending> {
    let drugs: BTreeSet<i64> = signals
        .counties
        .keys()
        .chain(signals.drugs.keys())
        .chain(open.keys())
        .copied()
        .collect();
    let mut changes: Vec<Pending> = vec![];
    for drug in drugs {
        let counties: BTreeMap<i64, (Level, Vec<Evidence>)> = signals
            .counties
            .get(&drug)
            .map(|m| {
                m.iter()
                    .filter_map(|(c, s)| assess_county(r, *c, s).map(|x| (*c, x)))
                    .collect()
            })
            .unwrap_or_default();
        let drug_wide = signals.drugs.get(&drug).and_then(assess_drug);
        if counties.is_empty() && drug_wide.is_none() && !open.contains_key(&drug) {
            continue;
        }
        report.drugs_read += 1;
        let reading = combine(r, &counties, drug_wide, geo);
        let current = open.get(&drug).cloned();
        match transition(
            current.as_ref().map(|c| c.current()).as_ref(),
            reading.as_ref(),
        ) {
            None => report.unchanged += 1,
            Some(change) => changes.push(Pending {
                drug,
                current,
                change,
                reading,
            }),
        }
    }
    changes
}

/// Writes the changes, a batch per transaction, each with its alerts; a batch that fails is
/// done again one change at a time, so that one bad record does not hold back the others.
/// What was written (and what failed) is counted in `report`.
fn write_changes(
    conn: &mut DbConn,
    act: &Act,
    ctx: &Ctx,
    changes: &[Pending],
    report: &mut ScanReport,
) {
    for batch in changes.chunks(BATCH) {
        let res = write_tx(conn, |c| {
            let mut mails = 0;
            for p in batch {
                mails += write_change(c, act, ctx, p)?;
            }
            Ok(mails)
        });
        match res {
            Ok(m) => {
                report.mails += m;
                batch.iter().for_each(|p| report.count(p.change));
            }
            Err(_) => {
                for p in batch {
                    match write_tx(conn, |c| write_change(c, act, ctx, p)) {
                        Ok(m) => {
                            report.mails += m;
                            report.count(p.change);
                        }
                        Err(e) => report.errors.push(format!("drug {}: {e}", p.drug)),
                    }
                }
            }
        }
    }
}

/// Changes written per transaction.
const BATCH: usize = 100;

struct Pending {
    drug: i64,
    current: Option<shortages::Shortage>,
    change: Change,
    reading: Option<crate::domain::shortage::Reading>,
}

/// What the scan runs by: its job's name (the actor of its changes), thresholds and the
/// roles it alerts.
pub struct Job<'a> {
    pub name: &'a str,
    pub rules: &'a Rules,
    pub alert: &'a [Role],
}

struct Ctx<'a> {
    alert: &'a [Role],
    at: chrono::NaiveDateTime,
    geo: &'a Geo,
    institutions: &'a BTreeMap<i64, BTreeSet<(i64, i64)>>,
    contracted: &'a BTreeMap<i64, BTreeSet<i64>>,
    public_url: &'a str,
    today: chrono::NaiveDate,
}

impl ScanReport {
    fn count(&mut self, change: Change) {
        match change {
            Change::Opened => self.opened += 1,
            Change::Escalated => self.escalated += 1,
            Change::Eased => self.eased += 1,
            Change::Spread | Change::Counties => self.spread += 1,
            Change::Resolved => self.resolved += 1,
        }
    }
}

/// One change of a drug's record, its history, and its alert to center staff, the contracted
/// suppliers and the institutions concerned (see `alerted`).
fn write_change(conn: &mut DbConn, act: &Act, ctx: &Ctx, p: &Pending) -> Result<usize, StoreError> {
    let (rec, event) = shortages::apply(
        conn,
        act,
        p.drug,
        p.current.as_ref(),
        p.change,
        p.reading.as_ref(),
    )?;
    if p.change == Change::Resolved {
        // The shortage is over: the responses that changed supply end with it.
        super::shortage_responses::end_responses_of(conn, act, &rec, ctx.public_url, ctx.today)?;
    }
    if !p.change.alerts() {
        return Ok(0);
    }
    let alert = shortage_alert(conn, &rec, &event, p.change, ctx.geo)?;
    let (institutions, suppliers) = alerted(ctx, p, &rec);
    shortages::note_alerted(conn, &rec, &institutions, &suppliers)?;
    let to = audience(
        ctx.alert,
        true,
        suppliers.into_iter().collect(),
        institutions.into_iter().collect(),
    );
    send(conn, ctx.at, &alert, &to, ctx.public_url)
}

/// Whom a change of a record alerts, besides center staff: the contracted suppliers, and the
/// institutions that ordered or reported the drug in the window — all of them when the record
/// is province-wide or rests on a drug-wide fact (every supplier interrupted, no contract),
/// else those of the counties it touches now or touched before. A resolution also reaches
/// every institution and supplier the record alerted at an earlier change.
fn alerted(ctx: &Ctx, p: &Pending, rec: &shortages::Shortage) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let evidence: Vec<Evidence> = serde_json::from_str(&rec.evidence).unwrap_or_default();
    let wide = rec.scope == Scope::Province || evidence.iter().any(|e| e.county_id.is_none());
    let mut counties = counties_parse(&rec.counties);
    if let Some(c) = &p.current {
        counties.extend(c.current().counties);
    }
    let mut institutions: BTreeSet<i64> = ctx
        .institutions
        .get(&p.drug)
        .map(|s| {
            s.iter()
                .filter(|(county, _)| wide || counties.contains(county))
                .map(|(_, i)| *i)
                .collect()
        })
        .unwrap_or_default();
    let mut suppliers: BTreeSet<i64> = ctx.contracted.get(&p.drug).cloned().unwrap_or_default();
    if p.change == Change::Resolved {
        institutions.extend(counties_parse(&rec.alerted_institutions));
        suppliers.extend(counties_parse(&rec.alerted_suppliers));
    }
    (institutions, suppliers)
}

/// A drug as an alert names it: code, Chinese name and INN in Chinese; code and INN in English.
pub(crate) fn drug_value(drug: &catalog::Drug) -> Value {
    Value::Local(
        format!("{} {} ({})", drug.code, drug.name_zh, drug.inn),
        format!("{} {}", drug.code, drug.inn),
    )
}

fn shortage_alert(
    conn: &mut DbConn,
    rec: &shortages::Shortage,
    event: &shortages::Event,
    change: Change,
    geo: &Geo,
) -> Result<Alert, StoreError> {
    let drug = catalog::get_drug(conn, rec.drug_id)?;
    let evidence: Vec<Evidence> = serde_json::from_str(&rec.evidence).unwrap_or_default();
    let mut facts = vec![
        ("alert.fact.drug", drug_value(&drug)),
        (
            "alert.fact.change",
            Value::Key(format!("shortage.change.{}", change.as_str())),
        ),
        (
            "alert.fact.level",
            Value::Key(format!("shortage.level.{}", rec.level)),
        ),
        ("alert.fact.scope", Value::Plain("{region}".into())),
    ];
    if change != Change::Resolved {
        for e in evidence.iter().take(12) {
            let place = match e.county_id {
                Some(c) => {
                    let (zh, en) = geo.names(c);
                    Value::Local(format!("{zh} · "), format!("{en} · "))
                }
                None => Value::Plain(String::new()),
            };
            facts.push((
                "alert.fact.evidence",
                Value::Parts(vec![
                    place,
                    Value::Key(format!("shortage.signal.{}", e.signal)),
                    Value::Plain(format!(": {} → ", e.value)),
                    Value::Key(format!("shortage.level.{}", e.level.as_str())),
                ]),
            ));
        }
    }
    Ok(Alert {
        kind: AlertKind::Shortage,
        template: None,
        key: format!("shortage:{}:{}", rec.id, event.id),
        args: vec![
            ("drug", Value::Local(drug.name_zh.clone(), drug.inn.clone())),
            ("level", Value::Key(format!("shortage.level.{}", rec.level))),
            (
                "change",
                Value::Key(format!("shortage.change.{}", change.as_str())),
            ),
        ],
        facts,
        link: format!("/shortages/{}", rec.id),
        localized: vec![(
            "region",
            geo.name(rec.region_id, "zh-CN"),
            geo.name(rec.region_id, "en"),
        )],
    })
}
