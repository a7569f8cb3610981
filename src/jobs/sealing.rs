//! The `sealing` job: fixes the list of envelope digests of every tender whose bid deadline
//! has passed, and e-mails each key custodian what waits for them (the dealing of a draft
//! tender they are appointed to; the contribution to an opening), once per tender, custodian
//! and step (the outbox's key), through the outbox.

use crate::alerts::{send, Alert, Value};
use crate::app::custody::{self, CustodyStep};
use crate::app::Ctx;
use crate::domain::alerts::AlertKind;
use crate::domain::jobs::JobSpec;
use crate::store::alerts::Audience;
use crate::store::{micros, write_tx};

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SealingReport {
    pub job: String,
    /// Tenders whose digest list was fixed by this run.
    pub digests: usize,
    /// Custodians asked to act now.
    pub asked: usize,
    pub mails: usize,
}

impl std::fmt::Display for SealingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} digest lists fixed, {} custodians asked, {} new e-mails queued",
            self.job, self.digests, self.asked, self.mails
        )
    }
}

fn plain(s: impl ToString) -> Value {
    Value::Plain(s.to_string())
}

pub fn run(cx: &Ctx, spec: &JobSpec, public_url: &str) -> crate::app::Result<SealingReport> {
    let digests = custody::publish_due_digests(cx)?;
    let asked = custody::custodians_asked(cx)?;
    let at = micros(cx.clock.now());
    let mut report = SealingReport {
        job: spec.name.clone(),
        digests,
        asked: asked.len(),
        mails: 0,
    };
    // Only center staff hold keys; a job file that alerts no center staff sends nothing.
    let center = spec.alert.contains(&crate::domain::roles::Role::Center);
    let mut conn = cx.conn()?;
    for (t, c, step) in asked {
        if !center {
            continue;
        }
        let template = match step {
            CustodyStep::Deal => "custody_deal",
            CustodyStep::Contribute => "custody_contribute",
            _ => continue,
        };
        let alert = Alert {
            kind: AlertKind::Custody,
            template: Some(template),
            key: format!("{template}:{}:{}", t.id, c.user_id),
            args: vec![("tender", plain(&t.title))],
            facts: vec![
                ("alert.fact.tender", plain(&t.title)),
                ("alert.fact.custodian_no", plain(c.idx)),
                ("alert.fact.quorum", plain(t.quorum)),
            ],
            link: "/custody".into(),
            localized: vec![],
        };
        let to = Audience {
            users: vec![c.user_id],
            ..Default::default()
        };
        report.mails += write_tx(&mut conn, |c| send(c, at, &alert, &to, public_url))?;
    }
    Ok(report)
}
