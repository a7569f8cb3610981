//! The shortage scan job: its thresholds from its `jobs/` file; the scan itself is the
//! application's (`app::shortage_scan`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use crate::app::shortage_scan::ScanReport;
use crate::app::shortage_scan::{self, Job};
use crate::domain::jobs::JobSpec;
use crate::domain::shortage::Rules;
use crate::store::{DbConn, StoreError};

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
    let rules = rules(spec);
    let job = Job {
        name: &spec.name,
        rules: &rules,
        alert: &spec.alert,
    };
    shortage_scan::scan(conn, &job, now, tz, public_url)
}
