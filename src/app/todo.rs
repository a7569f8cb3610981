//! The home page's to-do list: what waits for a principal, read from the live records, each
//! item counting only what the principal may see (the scopes of `parties`, `orders`,
//! `commitments`, `performance`). Pages render the items; nothing here knows a page.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use std::collections::BTreeMap;

use super::{Ctx, Error, Result};
use crate::domain::catalog::LicenceKind;
use crate::domain::orders::OrderState;
use crate::domain::performance::Totals;
use crate::domain::roles::{Principal, Role};
use crate::domain::shortage::Level;
use crate::domain::tender::{TenderAction, TenderState};
use crate::domain::todo::{licence_due, next_step, RECENT_DAYS, REPORT_DAYS};
use crate::domain::Code;
use crate::store::performance::{By, Filter};
use crate::store::{parties, shortages as ss, tenders as ts, todo as st, DbConn};

/// Which province figure a regulator's line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Delivery note lines delivered by their deadline ÷ lines delivered.
    TimelyRate,
    /// Quantity delivered on lines due ÷ quantity due.
    FillRate,
}

/// One thing waiting, with what the line shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A tender waiting for the center's next step.
    TenderStep {
        tender_id: i64,
        title: String,
        step: TenderAction,
    },
    /// Open shortage records of a level.
    Shortages { level: Level, count: i64 },
    /// Messages of the outbox given up on.
    FailedMail { count: i64 },
    /// Unanswered objections to a tender's provisional award.
    Objections {
        tender_id: i64,
        title: String,
        count: i64,
    },
    /// Unpaid payables past their due date (amount in 1/10,000 yuan).
    OverduePayables { count: i64, amount: i64 },
    /// Unpaid payables not yet due, the soonest due date.
    PayablesDue {
        count: i64,
        amount: i64,
        soonest: NaiveDate,
    },
    /// Orders the supplier has not acknowledged, the soonest acknowledgement deadline.
    ToAcknowledge { count: i64, soonest: NaiveDateTime },
    /// Orders acknowledged and not yet shipped, the soonest delivery deadline.
    ToShip { count: i64, soonest: NaiveDateTime },
    /// A tender open for bids and its deadline.
    OpenTender {
        tender_id: i64,
        title: String,
        deadline: NaiveDateTime,
    },
    /// A licence of the supplier expired or expiring within the window.
    Licence {
        supplier_id: i64,
        kind: LicenceKind,
        number: String,
        expires_on: NaiveDate,
        expired: bool,
    },
    /// Lines the supplier declined in the last `days`.
    Declines { count: i64, days: i64 },
    /// Lines the supplier delivered late in the last `days`.
    LateLines { count: i64, days: i64 },
    /// Deliveries with lines to confirm, the oldest shipment.
    ToConfirm { count: i64, oldest: NaiveDateTime },
    /// Committed volumes behind pace.
    BehindPace { count: i64 },
    /// The institution's shortage reports still counted by the scan.
    ShortageReports { count: i64, days: i64 },
    /// A province figure over a period (`None`: nothing to measure).
    Rate {
        figure: Figure,
        rate: Option<f64>,
        from: NaiveDate,
        to: NaiveDate,
    },
    /// Open shortage records, all levels.
    OpenShortages { count: i64 },
    /// Lots of a tender waiting for the experts' technical scores.
    LotsToScore {
        tender_id: i64,
        title: String,
        lots: i64,
    },
}

/// Settings the list reads.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// A licence expiring within this many days is listed (the licence job's first warning).
    pub licence_days: i64,
    /// The regulator's figures cover this many days up to today (the performance page's).
    pub figure_days: i64,
}

/// What waits for the principal, in the order the page shows it.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn for_principal(cx: &Ctx, p: &Principal, w: Windows) -> Result<Vec<Item>> {
    match p.role {
        Role::Center => center(cx, p),
        Role::Supplier => supplier(cx, p, w),
        Role::Institution => institution(cx, p),
        Role::Regulator => regulator(cx, p, w),
        Role::Expert => expert(cx),
    }
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

fn level_counts(c: &mut DbConn) -> Result<BTreeMap<Level, i64>> {
    let open = ss::ListFilter {
        open: true,
        ..Default::default()
    };
    let mut by: BTreeMap<Level, i64> = BTreeMap::new();
    for r in ss::list(c, &open, 100_000)? {
        *by.entry(r.record.level).or_default() += 1;
    }
    Ok(by)
}

/// The payables the principal may see (`orders::payables`'s scope), unpaid: (overdue, due).
fn unpaid(cx: &Ctx, p: &Principal) -> Result<Vec<Item>> {
    let today = cx.today();
    let all = super::orders::payables(cx, p)?;
    let (mut over, mut due) = ((0, 0), (0, 0, None::<NaiveDate>));
    for x in all.iter().filter(|x| x.paid_at.is_none()) {
        if x.due_on < today {
            over = (over.0 + 1, over.1 + x.amount);
        } else {
            let soonest = due.2.map_or(x.due_on, |d: NaiveDate| d.min(x.due_on));
            due = (due.0 + 1, due.1 + x.amount, Some(soonest));
        }
    }
    let mut v = vec![];
    if over.0 > 0 {
        v.push(Item::OverduePayables {
            count: over.0,
            amount: over.1,
        });
    }
    if let Some(soonest) = due.2 {
        v.push(Item::PayablesDue {
            count: due.0,
            amount: due.1,
            soonest,
        });
    }
    Ok(v)
}

fn center(cx: &Ctx, p: &Principal) -> Result<Vec<Item>> {
    super::may_administer(p)?;
    let now = cx.clock.now();
    let mut c = cx.conn()?;
    let objections = st::unanswered_objections(&mut c)?;
    let open_of = |id: i64| {
        objections
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, n)| *n as usize)
            .unwrap_or(0)
    };
    let mut items = vec![];
    let tenders = ts::tenders_list(&mut c)?;
    for t in &tenders {
        let state = ts::effective_state(t, now);
        if let Some(step) = next_step(state, t.objection_deadline.map(utc), open_of(t.id), now) {
            items.push(Item::TenderStep {
                tender_id: t.id,
                title: t.title.clone(),
                step,
            });
        }
    }
    for (tender_id, count) in &objections {
        let title = tenders
            .iter()
            .find(|t| t.id == *tender_id)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        items.push(Item::Objections {
            tender_id: *tender_id,
            title,
            count: *count,
        });
    }
    let levels = level_counts(&mut c)?;
    for level in [Level::Critical, Level::Shortage, Level::Watch] {
        if let Some(&count) = levels.get(&level) {
            items.push(Item::Shortages { level, count });
        }
    }
    let failed = st::count_mail(&mut c, crate::domain::mail::MailStatus::Failed)?;
    if failed > 0 {
        items.push(Item::FailedMail { count: failed });
    }
    drop(c);
    let payables = unpaid(cx, p)?;
    items.extend(
        payables
            .into_iter()
            .filter(|i| matches!(i, Item::OverduePayables { .. })),
    );
    Ok(items)
}

fn supplier(cx: &Ctx, p: &Principal, w: Windows) -> Result<Vec<Item>> {
    let s = super::parties::acting_supplier(p, Code::SupplierUsersOnly)?;
    let (now, today) = (cx.clock.now(), cx.today());
    let mut c = cx.conn()?;
    let (insts, sup) = super::orders::order_filter(&mut c, p)?;
    let mut items = vec![];
    let to_ack = st::orders_in(&mut c, &[OrderState::Submitted], insts.as_deref(), sup)?;
    if let Some(soonest) = to_ack.iter().map(|o| o.acknowledge_by).min() {
        items.push(Item::ToAcknowledge {
            count: to_ack.len() as i64,
            soonest,
        });
    }
    let to_ship = st::orders_in(&mut c, &[OrderState::Acknowledged], insts.as_deref(), sup)?;
    if let Some(soonest) = to_ship.iter().map(|o| o.deliver_by).min() {
        items.push(Item::ToShip {
            count: to_ship.len() as i64,
            soonest,
        });
    }
    let mut open: Vec<_> = ts::tenders_list(&mut c)?
        .into_iter()
        .filter(|t| super::tenders::may_see(p, t))
        .filter(|t| ts::effective_state(t, now) == TenderState::Open)
        .collect();
    open.sort_by_key(|t| (t.bid_deadline, t.id));
    items.extend(open.into_iter().map(|t| Item::OpenTender {
        tender_id: t.id,
        title: t.title,
        deadline: t.bid_deadline,
    }));
    let mut licences = parties::licences_of(&mut c, s)?;
    licences.sort_by_key(|l| (l.expires_on, l.id));
    for l in licences {
        if let Some(expired) = licence_due(l.expires_on, today, w.licence_days) {
            items.push(Item::Licence {
                supplier_id: s,
                kind: l.kind,
                number: l.number,
                expires_on: l.expires_on,
                expired,
            });
        }
    }
    let since = crate::store::micros(now) - Duration::days(RECENT_DAYS);
    let declined = st::declined_lines(&mut c, s, since)?;
    if declined > 0 {
        items.push(Item::Declines {
            count: declined,
            days: RECENT_DAYS,
        });
    }
    let late = st::late_lines(&mut c, s, since)?;
    if late > 0 {
        items.push(Item::LateLines {
            count: late,
            days: RECENT_DAYS,
        });
    }
    Ok(items)
}

fn institution(cx: &Ctx, p: &Principal) -> Result<Vec<Item>> {
    let mut c = cx.conn()?;
    let ids = match super::parties::acting_scope(&mut c, p)? {
        crate::domain::roles::Scope::Only(ids) if p.role == Role::Institution => ids,
        _ => return Err(Error::forbidden()),
    };
    let mut items = vec![];
    let to_confirm = st::deliveries_to_confirm(&mut c, Some(&ids))?;
    if let Some(oldest) = to_confirm.iter().map(|d| d.2).min() {
        items.push(Item::ToConfirm {
            count: to_confirm.len() as i64,
            oldest,
        });
    }
    let since = crate::store::micros(cx.clock.now()) - Duration::days(REPORT_DAYS);
    let reports = st::open_reports(&mut c, &ids, since)?;
    drop(c);
    let payables = unpaid(cx, p)?;
    items.extend(payables);
    let behind = super::commitments::list(cx, p, Default::default())?
        .iter()
        .filter(|l| l.p.behind)
        .count() as i64;
    if behind > 0 {
        items.push(Item::BehindPace { count: behind });
    }
    if reports > 0 {
        items.push(Item::ShortageReports {
            count: reports,
            days: REPORT_DAYS,
        });
    }
    Ok(items)
}

/// The province at a glance: the performance page's rates over its default period (the same
/// totals, `app::performance::figures`), open shortages, overdue payables. Every line, even
/// at zero.
fn regulator(cx: &Ctx, p: &Principal, w: Windows) -> Result<Vec<Item>> {
    let today = cx.today();
    let from = today - Duration::days(w.figure_days - 1);
    let tz = cx.config.time_zone;
    let midnight = |d: NaiveDate| {
        use chrono::TimeZone;
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(local)
    };
    let f = Filter {
        from: midnight(from),
        to: midnight(today + Duration::days(1)),
        county_id: None,
        supplier_id: None,
    };
    let now = crate::store::micros(cx.clock.now());
    let figs = super::performance::figures(cx, p, f, now, By::Contract, None)?;
    let mut all = Totals::default();
    for t in figs.totals.values() {
        all.add(t);
    }
    let mut items = vec![
        Item::Rate {
            figure: Figure::TimelyRate,
            rate: all.timely_rate(),
            from,
            to: today,
        },
        Item::Rate {
            figure: Figure::FillRate,
            rate: all.fill_rate(),
            from,
            to: today,
        },
    ];
    let open: i64 = level_counts(&mut *cx.conn()?)?.values().sum();
    items.push(Item::OpenShortages { count: open });
    let payables = unpaid(cx, p)?;
    let overdue = payables
        .into_iter()
        .find(|i| matches!(i, Item::OverduePayables { .. }))
        .unwrap_or(Item::OverduePayables {
            count: 0,
            amount: 0,
        });
    items.push(overdue);
    Ok(items)
}

fn expert(cx: &Ctx) -> Result<Vec<Item>> {
    Ok(st::lots_to_score(&mut *cx.conn()?)?
        .into_iter()
        .map(|(tender_id, title, lots)| Item::LotsToScore {
            tender_id,
            title,
            lots,
        })
        .collect())
}
