//! Every job file shipped in `jobs/` is one the platform accepts.

use jicai::domain::jobs::{parse, JobKind};

#[test]
fn the_shipped_job_files_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    let mut kinds = vec![];
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = parse(
            &path.display().to_string(),
            &name,
            &text,
            chrono_tz::Asia::Shanghai,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        kinds.push(spec.kind);
    }
    assert!(kinds.contains(&JobKind::EmailSender), "{kinds:?}");
}
