//! The scheduled jobs' description files (`jobs/NAME.toml`): what is in one and how it is
//! checked. A bad file is refused with a message that names the file and the field.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Deserialize;

use super::roles::Role;

words! {
    /// The jobs this version can run.
    #[derive(PartialOrd, Ord)]
    pub enum JobKind {
        /// Reads the shortage signals per drug and region and keeps the shortage list.
        ShortageScan => "shortage_scan",
        /// Orders whose delivery deadline passed with lines still unfilled.
        OverdueDeliveries => "overdue_deliveries",
        /// Payables coming due and overdue.
        Payments => "payments",
        /// Suppliers' licences expiring (30 and 7 days ahead).
        Licences => "licences",
        /// Contracts whose purchases lag behind the committed volume for the time elapsed.
        ContractExecution => "contract_execution",
        /// Contracts ending soon.
        ContractsEnding => "contracts_ending",
        /// Tenders whose bid deadline is near.
        BidDeadlines => "bid_deadlines",
        /// Delivers the e-mail outbox.
        EmailSender => "email_sender",
        /// Removes old failed logins and ended or expired sessions.
        AuthPurge => "auth_purge",
        /// Institutions behind pace on a committed volume (and their township center).
        CommitmentPace => "commitment_pace",
        /// Fixes the envelope digests of tenders past their deadline and tells key custodians
        /// what waits for them.
        Sealing => "sealing",
    }
}

impl JobKind {
    /// The thresholds the job reads, with their defaults and allowed range.
    pub fn thresholds(self) -> &'static [(&'static str, i64, i64, i64)] {
        match self {
            // (name, default, min, max)
            JobKind::ShortageScan => &[
                ("window_days", 30, 1, 365),
                ("min_due_lines", 3, 1, 100_000),
                ("fill_watch_pct", 90, 1, 100),
                ("fill_shortage_pct", 70, 1, 100),
                ("fill_critical_pct", 50, 0, 100),
                ("declines_watch", 1, 1, 100_000),
                ("declines_shortage", 3, 1, 100_000),
                ("overdue_watch", 1, 1, 100_000),
                ("overdue_shortage", 3, 1, 100_000),
                ("reports_watch", 1, 1, 100_000),
                ("reports_shortage", 3, 1, 100_000),
                ("critical_counties", 5, 1, 100_000),
            ],
            JobKind::OverdueDeliveries => &[("grace_hours", 0, 0, 24 * 30)],
            JobKind::Payments => &[("days_ahead", 7, 0, 90)],
            JobKind::Licences => &[("first_days", 30, 1, 365), ("second_days", 7, 0, 365)],
            JobKind::ContractExecution => {
                &[("behind_pct", 80, 1, 100), ("min_elapsed_days", 30, 1, 365)]
            }
            JobKind::ContractsEnding => &[("days_ahead", 60, 1, 365)],
            JobKind::BidDeadlines => &[("hours_ahead", 48, 1, 24 * 30)],
            JobKind::EmailSender => &[("batch", 200, 1, 10_000)],
            // Failed logins and sessions are kept this long (never less than the login lock).
            JobKind::AuthPurge => &[("keep_hours", 24, 1, 24 * 365)],
            // The share of the pace is the platform's (JICAI_COMMITMENT_BEHIND_PCT), the same
            // the pages show; the job waits this long into a contract before it alerts.
            JobKind::CommitmentPace => &[("min_elapsed_days", 30, 0, 365)],
            JobKind::Sealing => &[],
        }
    }

    /// Who is alerted when the file does not say.
    pub fn default_alert(self) -> &'static [Role] {
        match self {
            JobKind::ShortageScan | JobKind::OverdueDeliveries => {
                &[Role::Center, Role::Supplier, Role::Institution]
            }
            JobKind::Payments => &[Role::Institution, Role::Supplier],
            JobKind::Licences
            | JobKind::ContractExecution
            | JobKind::ContractsEnding
            | JobKind::BidDeadlines => &[Role::Center, Role::Supplier],
            JobKind::CommitmentPace => &[Role::Institution],
            // Only the custodians concerned, who are center staff.
            JobKind::Sealing => &[Role::Center],
            JobKind::EmailSender | JobKind::AuthPurge => &[],
        }
    }
}

/// Parses a six-field cron schedule (seconds first) as tokio-cron-scheduler does.
pub fn cron(schedule: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(schedule)
        .map_err(|e| e.to_string())
}

/// The firing a run belongs to: the latest scheduled instant at or before `now` (plus one
/// second, for replicas whose clocks differ a little), to the second. Every replica that wakes
/// for one firing names the same instant, so a unique key on it lets only one of them run.
pub fn firing_of(
    schedule: &croner::Cron,
    tz: Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::SubsecRound;
    let probe = (now + chrono::Duration::seconds(1))
        .trunc_subsecs(0)
        .with_timezone(&tz);
    schedule
        .find_previous_occurrence(&probe, true)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc).trunc_subsecs(0))
}

/// One job as its file describes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// The file's name without `.toml`: what `jicai job run NAME` takes.
    pub name: String,
    pub kind: JobKind,
    /// Six fields, seconds first (tokio-cron-scheduler's form).
    pub schedule: String,
    pub time_zone: Tz,
    pub enabled: bool,
    pub thresholds: BTreeMap<String, i64>,
    /// Roles alerted (center, supplier, institution, regulator).
    pub alert: Vec<Role>,
}

impl JobSpec {
    pub fn threshold(&self, name: &str) -> i64 {
        self.thresholds.get(name).copied().unwrap_or_else(|| {
            self.kind
                .thresholds()
                .iter()
                .find(|t| t.0 == name)
                .map(|t| t.1)
                .unwrap_or_default()
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    job: String,
    schedule: String,
    time_zone: Option<String>,
    enabled: Option<bool>,
    #[serde(default)]
    thresholds: toml::Table,
    #[serde(default)]
    alert: Vec<String>,
}

/// The roles a job may alert (experts receive no alerts).
const ALERTED: [Role; 4] = [
    Role::Center,
    Role::Supplier,
    Role::Institution,
    Role::Regulator,
];

/// Reads one job file's text; `file` names it in every message.
pub fn parse(file: &str, name: &str, text: &str, default_tz: Tz) -> Result<JobSpec, String> {
    let bad = |field: &str, what: String| format!("{file}: field `{field}`: {what}");
    let f: JobFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        format!("{file}: {msg}")
    })?;
    let kind = f.job.trim().parse::<JobKind>().map_err(|_| {
        bad(
            "job",
            format!(
                "\"{}\" is not a job of this version (one of: {})",
                f.job,
                JobKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let schedule = f.schedule.split_whitespace().collect::<Vec<_>>().join(" ");
    let fields = schedule.split(' ').filter(|s| !s.is_empty()).count();
    if !(6..=7).contains(&fields) {
        return Err(bad(
            "schedule",
            format!(
                "\"{}\" has {fields} fields; write six, seconds first: \
                 \"sec min hour day month weekday\", e.g. \"0 */5 * * * *\"",
                f.schedule
            ),
        ));
    }
    if let Err(e) = cron(&schedule) {
        return Err(bad(
            "schedule",
            format!("\"{}\" is not a cron schedule: {e}", f.schedule),
        ));
    }
    let time_zone = match &f.time_zone {
        None => default_tz,
        Some(z) => z.trim().parse().map_err(|_| {
            bad(
                "time_zone",
                format!("\"{z}\" is not a time zone such as Asia/Shanghai"),
            )
        })?,
    };
    let thresholds = thresholds_of(kind, &f.thresholds).map_err(|(k, w)| bad(&k, w))?;
    let alert = alert_roles(&f.alert).map_err(|w| bad("alert", w))?;
    Ok(JobSpec {
        name: name.to_string(),
        kind,
        schedule,
        time_zone,
        enabled: f.enabled.unwrap_or(true),
        thresholds,
        alert: if alert.is_empty() {
            kind.default_alert().to_vec()
        } else {
            alert
        },
    })
}

/// A job file's thresholds, each one the job reads and within its range; an error names the
/// field and says what is wrong.
fn thresholds_of(
    kind: JobKind,
    given: &toml::Table,
) -> Result<BTreeMap<String, i64>, (String, String)> {
    let mut thresholds = BTreeMap::new();
    for (k, v) in given {
        let field = format!("thresholds.{k}");
        let Some(&(_, _, min, max)) = kind.thresholds().iter().find(|t| t.0 == k) else {
            let reads: Vec<&str> = kind.thresholds().iter().map(|t| t.0).collect();
            return Err((
                field,
                format!(
                    "the {} job has no such threshold (it reads: {})",
                    kind.as_str(),
                    reads.join(", ")
                ),
            ));
        };
        let n = v
            .as_integer()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                (
                    field.clone(),
                    format!("{v} is not a whole number from {min} to {max}"),
                )
            })?;
        thresholds.insert(k.clone(), n);
    }
    Ok(thresholds)
}

/// The roles a job file alerts (empty: the job's defaults).
fn alert_roles(given: &[String]) -> Result<Vec<Role>, String> {
    let mut alert = vec![];
    for r in given {
        match r.parse::<Role>() {
            Ok(role) if ALERTED.contains(&role) => alert.push(role),
            _ => {
                let words: Vec<&str> = ALERTED.iter().map(|r| r.as_str()).collect();
                return Err(format!(
                    "\"{r}\" is not a role (one of: {})",
                    words.join(", ")
                ));
            }
        }
    }
    Ok(alert)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn a_good_file() {
        let s = parse(
            "jobs/email_sender.toml",
            "email_sender",
            "job = \"email_sender\"\nschedule = \"*/20 * * * * *\"\n[thresholds]\nbatch = 50\n",
            TZ,
        )
        .unwrap();
        assert_eq!(s.kind, JobKind::EmailSender);
        assert_eq!(s.threshold("batch"), 50);
        assert!(s.enabled);
    }

    #[test]
    fn a_firing_is_named_by_its_scheduled_instant() {
        use chrono::TimeZone;
        let c = cron("0 */5 * * * *").unwrap();
        let at = |h, m, s| chrono::Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap();
        // Woken a little late or a little early, two replicas name the same firing.
        assert_eq!(firing_of(&c, TZ, at(8, 5, 0)), Some(at(8, 5, 0)));
        assert_eq!(
            firing_of(&c, TZ, at(8, 5, 0) + chrono::Duration::milliseconds(700)),
            Some(at(8, 5, 0))
        );
        assert_eq!(
            firing_of(&c, TZ, at(8, 4, 59) + chrono::Duration::milliseconds(400)),
            Some(at(8, 5, 0))
        );
        assert_eq!(firing_of(&c, TZ, at(8, 7, 0)), Some(at(8, 5, 0)));
        // Daily at 07:00 in Shanghai is 23:00 UTC the day before.
        let d = cron("0 0 7 * * *").unwrap();
        assert_eq!(firing_of(&d, TZ, at(23, 0, 0)), Some(at(23, 0, 0)));
    }

    #[test]
    fn bad_files_name_the_file_and_the_field() {
        let cases = [
            ("job = \"nope\"\nschedule = \"0 * * * * *\"", "field `job`"),
            (
                "job = \"email_sender\"\nschedule = \"* * * * *\"",
                "field `schedule`",
            ),
            (
                "job = \"email_sender\"\nschedule = \"0 * * * * *\"\ntime_zone = \"Mars/Base\"",
                "field `time_zone`",
            ),
            (
                "job = \"email_sender\"\nschedule = \"0 * * * * *\"\n[thresholds]\nbatch = 0",
                "field `thresholds.batch`",
            ),
            (
                "job = \"email_sender\"\nschedule = \"0 * * * * *\"\n[thresholds]\nsize = 3",
                "field `thresholds.size`",
            ),
            (
                "job = \"email_sender\"\nschedule = \"0 * * * * *\"\nalert = [\"boss\"]",
                "field `alert`",
            ),
            (
                "job = \"email_sender\"\nschedule = \"0 * * * * *\"\ncolour = 1",
                "colour",
            ),
            ("job = \"email_sender\"", "schedule"),
            (
                "job = \"email_sender\"\nschedule = \"0 61 * * * *\"",
                "field `schedule`",
            ),
        ];
        for (text, field) in cases {
            let e = parse("jobs/x.toml", "x", text, TZ).unwrap_err();
            assert!(e.starts_with("jobs/x.toml: "), "{e}");
            assert!(e.contains(field), "{text}: {e}");
        }
    }
}
