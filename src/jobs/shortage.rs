//! The shortage scan: reads the signals, keeps the shortage list, alerts on each change of
//! state (one e-mail per change and recipient, written with the change).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

use crate::alerts::{audience, send, Alert, Value};
use crate::domain::alerts::AlertKind;
use crate::domain::jobs::JobSpec;
use crate::domain::shortage::{
    assess_county, assess_drug, combine, transition, Change, Evidence, Level, Rules,
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

pub fn rules(spec: &JobSpec) -> Rules {
    Rules {
        window_days: spec.threshold("window_days"),
        min_due_lines: spec.threshold("min_due_lines"),
        fill_watch_pct: spec.threshold("fill_watch_pct"),
        fill_shortage_pct: spec.threshold("fill_shortage_pct"),
        fill_critical_pct: spec.threshold("fill_critical_pct"),
        declines_watch: spec.threshold("declines_watch"),
        declines_shortage: spec.threshold("declines_shortage"),
        overdue_watch: spec.threshold("overdue_watch"),
        overdue_shortage: spec.threshold("overdue_shortage"),
        reports_watch: spec.threshold("reports_watch"),
        reports_shortage: spec.threshold("reports_shortage"),
        critical_counties: spec.threshold("critical_counties"),
    }
}

/// Runs the scan at `now`. Running it again on the same records changes nothing.
pub fn scan(
    conn: &mut DbConn,
    spec: &JobSpec,
    now: DateTime<Utc>,
    tz: Tz,
    public_url: &str,
) -> Result<ScanReport, StoreError> {
    let r = rules(spec);
    let at = micros(now);
    let today = super::today(now, tz);
    let signals = shortages::read_signals(conn, at, today, r.window_days)?;
    let geo = shortages::geography(conn)?;
    let open = shortages::open_records(conn)?;
    let drugs: BTreeSet<i64> = signals
        .counties
        .keys()
        .chain(signals.drugs.keys())
        .chain(open.keys())
        .copied()
        .collect();
    let mut report = ScanReport::default();
    let act = Act::new(format!("job:{}", spec.name), now);
    for drug in drugs {
        let counties: BTreeMap<i64, (Level, Vec<Evidence>)> = signals
            .counties
            .get(&drug)
            .map(|m| {
                m.iter()
                    .filter_map(|(c, s)| assess_county(&r, *c, s).map(|x| (*c, x)))
                    .collect()
            })
            .unwrap_or_default();
        let drug_wide = signals.drugs.get(&drug).and_then(assess_drug);
        if counties.is_empty() && drug_wide.is_none() && !open.contains_key(&drug) {
            continue;
        }
        report.drugs_read += 1;
        let reading = combine(&r, &counties, drug_wide, &geo);
        let current = open.get(&drug);
        let Some(change) = transition(current.map(|c| c.current()).as_ref(), reading.as_ref())
        else {
            report.unchanged += 1;
            continue;
        };
        let res = write_tx(conn, |conn| {
            let (rec, event) =
                shortages::apply(conn, &act, drug, current, change, reading.as_ref())?;
            let mut mails = 0;
            if change.alerts() {
                let alert = shortage_alert(conn, &rec, &event, change, &geo)?;
                let counties = crate::domain::shortage::counties_parse(&rec.counties)
                    .union(&current.map(|c| c.current().counties).unwrap_or_default())
                    .copied()
                    .collect();
                let from = at - chrono::Duration::days(r.window_days);
                let institutions = shortages::affected_institutions(conn, drug, &counties, from)?;
                let suppliers = shortages::contracted_suppliers(conn, drug, today)?;
                let to = audience(&spec.alert, true, suppliers, institutions);
                mails = send(conn, at, &alert, &to, public_url)?;
            }
            Ok(mails)
        });
        match res {
            Ok(m) => {
                report.mails += m;
                match change {
                    Change::Opened => report.opened += 1,
                    Change::Escalated => report.escalated += 1,
                    Change::Eased => report.eased += 1,
                    Change::Spread | Change::Counties => report.spread += 1,
                    Change::Resolved => report.resolved += 1,
                }
            }
            Err(e) => report.errors.push(format!("drug {drug}: {e}")),
        }
    }
    Ok(report)
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
        (
            "alert.fact.drug",
            Value::Plain(format!("{} {} ({})", drug.code, drug.name_zh, drug.inn)),
        ),
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
            let place = e
                .county_id
                .map(|c| format!("{} · ", geo.name(c, "zh-CN")))
                .unwrap_or_default();
            facts.push((
                "alert.fact.evidence",
                Value::Parts(vec![
                    Value::Plain(place),
                    Value::Key(format!("shortage.signal.{}", e.signal)),
                    Value::Plain(format!(": {} → ", e.value)),
                    Value::Key(format!("shortage.level.{}", e.level.as_str())),
                ]),
            ));
        }
    }
    Ok(Alert {
        kind: AlertKind::Shortage,
        key: format!("shortage:{}:{}", rec.id, event.id),
        args: vec![
            ("drug", Value::Plain(drug.name_zh.clone())),
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
