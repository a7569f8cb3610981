//! The other scheduled duties: each finds what needs attention and alerts once per thing and
//! state (the outbox key: an order overdue is told once, a licence at 30 days and again at 7).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::alerts::{audience, send, Alert, Value};
use crate::app::duties as found;
use crate::domain::alerts::AlertKind;
use crate::domain::jobs::{JobKind, JobSpec};
use crate::domain::money::Money;
use crate::store::{duties, micros, write_tx, DbConn, StoreError};

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DutyReport {
    pub job: String,
    pub found: usize,
    pub mails: usize,
}

impl std::fmt::Display for DutyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} found, {} new e-mails queued",
            self.job, self.found, self.mails
        )
    }
}

struct Item {
    alert: Alert,
    center: bool,
    suppliers: Vec<i64>,
    institutions: Vec<i64>,
}

fn plain(s: impl ToString) -> Value {
    Value::Plain(s.to_string())
}

/// What every duty reads with.
struct Duty<'a> {
    conn: &'a mut DbConn,
    spec: &'a JobSpec,
    at: chrono::NaiveDateTime,
    today: chrono::NaiveDate,
    tz: Tz,
}

impl Duty<'_> {
    /// A time as the province reads it.
    fn local(&self, t: chrono::NaiveDateTime) -> String {
        t.and_utc()
            .with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

pub fn run(
    conn: &mut DbConn,
    spec: &JobSpec,
    now: DateTime<Utc>,
    tz: Tz,
    public_url: &str,
) -> Result<DutyReport, StoreError> {
    let at = micros(now);
    let today = super::today(now, tz);
    let mut duty = Duty {
        conn,
        spec,
        at,
        today,
        tz,
    };
    let items = match spec.kind {
        JobKind::OverdueDeliveries => overdue_deliveries(&mut duty)?,
        JobKind::Payments => payments(&mut duty)?,
        JobKind::Licences => licences(&mut duty)?,
        JobKind::ContractExecution => contract_execution(&mut duty)?,
        JobKind::ContractsEnding => contracts_ending(&mut duty)?,
        JobKind::BidDeadlines => bid_deadlines(&mut duty)?,
        JobKind::ShortageScan
        | JobKind::EmailSender
        | JobKind::AuthPurge
        | JobKind::CommitmentPace
        | JobKind::Sealing => vec![],
    };
    send_items(duty.conn, spec, at, items, public_url)
}

/// Writes each item's alert to the outbox, one transaction an item.
fn send_items(
    conn: &mut DbConn,
    spec: &JobSpec,
    at: chrono::NaiveDateTime,
    items: Vec<Item>,
    public_url: &str,
) -> Result<DutyReport, StoreError> {
    let mut report = DutyReport {
        job: spec.name.clone(),
        found: items.len(),
        mails: 0,
    };
    for it in items {
        let to = audience(&spec.alert, it.center, it.suppliers, it.institutions);
        report.mails += write_tx(conn, |c| send(c, at, &it.alert, &to, public_url))?;
    }
    Ok(report)
}

/// The `commitment_pace` duty: every institution behind pace on a committed volume (bought
/// below `behind_pct` % of the pace, `min_elapsed_days` into the contract), and its township
/// center, told once a month per institution and contract while it stays behind.
pub fn commitment_pace(
    conn: &mut DbConn,
    spec: &JobSpec,
    now: DateTime<Utc>,
    tz: Tz,
    public_url: &str,
    behind_pct: i64,
) -> Result<DutyReport, StoreError> {
    let at = micros(now);
    let today = super::today(now, tz);
    let min = spec.threshold("min_elapsed_days");
    let mut items = vec![];
    for l in crate::app::commitments::behind_pace(conn, today, behind_pct, min)? {
        items.push(commitment_item(&l, today));
    }
    send_items(conn, spec, at, items, public_url)
}

fn commitment_item(l: &crate::app::commitments::Line, today: chrono::NaiveDate) -> Item {
    let c = &l.c;
    let mut institutions = vec![c.institution_id];
    institutions.extend(c.parent_id);
    Item {
        alert: Alert {
            kind: AlertKind::CommitmentBehind,
            template: None,
            key: format!(
                "commitment_behind:{}:{}:{}",
                c.contract_id,
                c.institution_id,
                today.format("%Y-%m")
            ),
            args: vec![
                ("contract", plain(c.contract_id)),
                ("institution", plain(&c.institution_name)),
            ],
            facts: vec![
                ("alert.fact.institution", plain(&c.institution_name)),
                ("alert.fact.contract", plain(c.contract_id)),
                ("alert.fact.drug", plain("{drug}")),
                ("alert.fact.supplier", plain(&c.supplier_name)),
                ("alert.fact.committed", plain(l.p.committed)),
                ("alert.fact.expected", plain(l.p.pace)),
                ("alert.fact.purchased", plain(l.p.bought)),
                ("alert.fact.remaining", plain(l.p.remaining)),
            ],
            link: "/commitments".into(),
            localized: vec![(
                "drug",
                format!("{} {}", c.drug_code, c.drug_name),
                format!("{} {}", c.drug_code, c.drug_inn),
            )],
        },
        center: false,
        suppliers: vec![],
        institutions,
    }
}

fn overdue_deliveries(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, at) = (&mut *d.conn, d.spec, d.at);
    let mut items: Vec<Item> = vec![];
    let grace = Duration::hours(spec.threshold("grace_hours"));
    for o in found::overdue_orders(conn, at, grace)? {
        items.push(Item {
            alert: Alert {
                kind: AlertKind::OverdueDelivery,
                template: None,
                key: format!("overdue_delivery:{}", o.order_id),
                args: vec![("order", plain(o.order_id))],
                facts: vec![
                    ("alert.fact.order", plain(o.order_id)),
                    ("alert.fact.institution", plain(&o.institution)),
                    ("alert.fact.supplier", plain(&o.supplier)),
                    ("alert.fact.deadline", plain(d.local(o.deliver_by))),
                    ("alert.fact.unfilled_lines", plain(o.unfilled_lines)),
                ],
                link: format!("/orders/{}", o.order_id),
                localized: vec![],
            },
            center: true,
            suppliers: vec![o.supplier_id],
            institutions: vec![o.institution_id],
        });
    }

    Ok(items)
}

fn payments(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, today) = (&mut *d.conn, d.spec, d.today);
    let mut items: Vec<Item> = vec![];
    for (p, kind) in found::payments(conn, today, spec.threshold("days_ahead"))? {
        items.push(Item {
            alert: Alert {
                kind,
                template: None,
                key: format!("{}:{}", kind.as_str(), p.id),
                args: vec![("payable", plain(p.id)), ("due", plain(p.due_on))],
                facts: vec![
                    ("alert.fact.payable", plain(p.id)),
                    ("alert.fact.institution", plain(&p.institution)),
                    ("alert.fact.supplier", plain(&p.supplier)),
                    (
                        "alert.fact.amount",
                        plain(Money::from_ten_thousandths(p.amount)),
                    ),
                    ("alert.fact.due_on", plain(p.due_on)),
                ],
                link: "/payables".into(),
                localized: vec![],
            },
            center: false,
            suppliers: vec![p.supplier_id],
            institutions: vec![p.institution_id],
        });
    }

    Ok(items)
}

fn licences(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, today) = (&mut *d.conn, d.spec, d.today);
    let mut items: Vec<Item> = vec![];
    let (first, second) = (spec.threshold("first_days"), spec.threshold("second_days"));
    for (l, left, stage) in found::licences(conn, today, first, second)? {
        items.push(Item {
            alert: Alert {
                kind: AlertKind::LicenceExpiring,
                template: None,
                key: format!("licence_expiring:{}:{}:{stage}", l.id, l.expires_on),
                args: vec![("days", plain(left)), ("number", plain(&l.number))],
                facts: vec![
                    ("alert.fact.supplier", plain(&l.supplier)),
                    (
                        "alert.fact.licence",
                        plain(format!("{} {}", l.kind, l.number)),
                    ),
                    ("alert.fact.expires_on", plain(l.expires_on)),
                    ("alert.fact.days_left", plain(left)),
                ],
                link: format!("/suppliers/{}", l.supplier_id),
                localized: vec![],
            },
            center: true,
            suppliers: vec![l.supplier_id],
            institutions: vec![],
        });
    }

    Ok(items)
}

fn contract_execution(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, today) = (&mut *d.conn, d.spec, d.today);
    let mut items: Vec<Item> = vec![];
    let pct = spec.threshold("behind_pct");
    let min = spec.threshold("min_elapsed_days");
    for (c, expected) in found::contracts_behind(conn, today, pct, min)? {
        // Once a month while it stays behind.
        let key = format!("contract_behind:{}:{}", c.id, today.format("%Y-%m"));
        let facts = vec![
            ("alert.fact.committed", plain(c.committed_volume)),
            ("alert.fact.expected", plain(expected)),
            ("alert.fact.purchased", plain(c.purchased)),
        ];
        items.push(contract_item(AlertKind::ContractBehind, key, &c, facts));
    }

    Ok(items)
}

/// An alert about a contract, to center staff and the contract's supplier: the contract, drug
/// and supplier, then `more` facts.
fn contract_item(
    kind: AlertKind,
    key: String,
    c: &duties::ContractProgress,
    more: Vec<(&'static str, Value)>,
) -> Item {
    let mut facts = vec![
        ("alert.fact.contract", plain(c.id)),
        ("alert.fact.drug", plain(&c.drug)),
        ("alert.fact.supplier", plain(&c.supplier)),
    ];
    facts.extend(more);
    Item {
        alert: Alert {
            kind,
            template: None,
            key,
            args: vec![("contract", plain(c.id)), ("drug", plain(&c.drug))],
            facts,
            link: format!("/performance/contracts/{}", c.id),
            localized: vec![],
        },
        center: true,
        suppliers: vec![c.supplier_id],
        institutions: vec![],
    }
}

fn contracts_ending(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, today) = (&mut *d.conn, d.spec, d.today);
    let mut items: Vec<Item> = vec![];
    for c in found::contracts_ending(conn, today, spec.threshold("days_ahead"))? {
        let key = format!("contract_ending:{}:{}", c.id, c.ends_on);
        let facts = vec![("alert.fact.ends_on", plain(c.ends_on))];
        items.push(contract_item(AlertKind::ContractEnding, key, &c, facts));
    }

    Ok(items)
}

fn bid_deadlines(d: &mut Duty) -> Result<Vec<Item>, StoreError> {
    let (conn, spec, at) = (&mut *d.conn, d.spec, d.at);
    let mut items: Vec<Item> = vec![];
    let (tenders, suppliers) = found::bid_deadlines(conn, at, spec.threshold("hours_ahead"))?;
    for t in tenders {
        items.push(Item {
            alert: Alert {
                kind: AlertKind::BidDeadline,
                template: None,
                key: format!("bid_deadline:{}:{}", t.id, t.bid_deadline),
                args: vec![("tender", plain(&t.title))],
                facts: vec![
                    ("alert.fact.tender", plain(&t.title)),
                    ("alert.fact.deadline", plain(d.local(t.bid_deadline))),
                ],
                link: format!("/tenders/{}", t.id),
                localized: vec![],
            },
            center: true,
            suppliers: suppliers.clone(),
            institutions: vec![],
        });
    }

    Ok(items)
}
