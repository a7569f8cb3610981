//! The scheduled jobs' description files (`jobs/NAME.toml`): what is in one and how it is
//! checked. A bad file is refused with a message that names the file and the field.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Deserialize;

/// The jobs this version can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Delivers the e-mail outbox.
    EmailSender,
}

impl JobKind {
    pub const ALL: [JobKind; 1] = [JobKind::EmailSender];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::EmailSender => "email_sender",
        }
    }

    /// The thresholds the job reads, with their defaults and allowed range.
    pub fn thresholds(self) -> &'static [(&'static str, i64, i64, i64)] {
        match self {
            // (name, default, min, max)
            JobKind::EmailSender => &[("batch", 200, 1, 10_000)],
        }
    }
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
    pub alert: Vec<String>,
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

const ROLES: [&str; 4] = ["center", "supplier", "institution", "regulator"];

/// Reads one job file's text; `file` names it in every message.
pub fn parse(file: &str, name: &str, text: &str, default_tz: Tz) -> Result<JobSpec, String> {
    let bad = |field: &str, what: String| format!("{file}: field `{field}`: {what}");
    let f: JobFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        format!("{file}: {msg}")
    })?;
    let kind = JobKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == f.job.trim())
        .ok_or_else(|| {
            bad(
                "job",
                format!(
                    "\"{}\" is not a job of this version (one of: {})",
                    f.job,
                    JobKind::ALL.map(|k| k.as_str()).join(", ")
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
    let time_zone = match &f.time_zone {
        None => default_tz,
        Some(z) => z.trim().parse().map_err(|_| {
            bad(
                "time_zone",
                format!("\"{z}\" is not a time zone such as Asia/Shanghai"),
            )
        })?,
    };
    let mut thresholds = BTreeMap::new();
    for (k, v) in &f.thresholds {
        let Some(&(_, _, min, max)) = kind.thresholds().iter().find(|t| t.0 == k) else {
            return Err(bad(
                &format!("thresholds.{k}"),
                format!(
                    "the {} job has no such threshold (it reads: {})",
                    kind.as_str(),
                    kind.thresholds()
                        .iter()
                        .map(|t| t.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let n = v
            .as_integer()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                bad(
                    &format!("thresholds.{k}"),
                    format!("{v} is not a whole number from {min} to {max}"),
                )
            })?;
        thresholds.insert(k.clone(), n);
    }
    if let Some(r) = f.alert.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(bad(
            "alert",
            format!("\"{r}\" is not a role (one of: {})", ROLES.join(", ")),
        ));
    }
    Ok(JobSpec {
        name: name.to_string(),
        kind,
        schedule,
        time_zone,
        enabled: f.enabled.unwrap_or(true),
        thresholds,
        alert: f.alert,
    })
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
        ];
        for (text, field) in cases {
            let e = parse("jobs/x.toml", "x", text, TZ).unwrap_err();
            assert!(e.starts_with("jobs/x.toml: "), "{e}");
            assert!(e.contains(field), "{text}: {e}");
        }
    }
}
