//! The default job files of `jobs/`, built into the binary, so that an installed `jicai` runs
//! from any folder. They are used when `JICAI_JOBS_DIR` is not set and the working directory
//! has no `jobs/` folder (see `super::load`).
//!
//! A file added to `jobs/` must be added here too: the test below fails until it is.

use chrono_tz::Tz;

use crate::domain::jobs::{parse, JobSpec};

/// Each default job file: its name in `jobs/` and its text.
pub const FILES: &[(&str, &str)] = &[
    (
        "auth_purge.toml",
        include_str!("../../jobs/auth_purge.toml"),
    ),
    (
        "bid_deadlines.toml",
        include_str!("../../jobs/bid_deadlines.toml"),
    ),
    (
        "commitment_pace.toml",
        include_str!("../../jobs/commitment_pace.toml"),
    ),
    (
        "contract_execution.toml",
        include_str!("../../jobs/contract_execution.toml"),
    ),
    (
        "contracts_ending.toml",
        include_str!("../../jobs/contracts_ending.toml"),
    ),
    (
        "email_sender.toml",
        include_str!("../../jobs/email_sender.toml"),
    ),
    ("licences.toml", include_str!("../../jobs/licences.toml")),
    (
        "overdue_deliveries.toml",
        include_str!("../../jobs/overdue_deliveries.toml"),
    ),
    ("payments.toml", include_str!("../../jobs/payments.toml")),
    ("sealing.toml", include_str!("../../jobs/sealing.toml")),
    (
        "shortage_scan.toml",
        include_str!("../../jobs/shortage_scan.toml"),
    ),
];

/// Parses every default, in the order of `FILES` (by name, as a folder is read); errors name
/// the file as built in.
pub fn load(default_tz: Tz) -> Result<Vec<JobSpec>, String> {
    let mut specs = vec![];
    let mut errors = vec![];
    for (file, text) in FILES {
        let name = file.strip_suffix(".toml").unwrap_or(file);
        match parse(&format!("{file} (built in)"), name, text, default_tz) {
            Ok(s) => specs.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::jobs::JobKind;

    #[test]
    fn the_embedded_list_names_exactly_the_job_files_in_jobs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            embedded, on_disk,
            "src/jobs/defaults.rs FILES must list every file of jobs/, sorted by name"
        );
    }

    #[test]
    fn every_embedded_default_parses_and_every_kind_has_one() {
        let specs = load(chrono_tz::Asia::Shanghai).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs.len(), FILES.len());
        for k in JobKind::ALL {
            assert!(
                specs.iter().any(|s| s.kind == *k),
                "no default job runs {}",
                k.as_str()
            );
        }
        // The names are the files' names, as when they are read from a folder.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
        let from_dir = super::super::load_dir(&dir, chrono_tz::Asia::Shanghai).unwrap();
        let names = |v: &[JobSpec]| v.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&specs), names(&from_dir));
    }
}
