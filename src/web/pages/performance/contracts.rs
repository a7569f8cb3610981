//! Contract execution against an even pace, and one contract's execution by month.

use super::*;

#[get("/performance/contracts")]
pub(super) async fn contracts_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::Contract, true).await?;
    let today = state.today();
    let mut rows: Vec<Row> = fig
        .contracts
        .iter()
        .map(|k| {
            let purchased = fig
                .totals
                .get(&(k.contract_id, 0))
                .map_or(0, |t| t.purchased);
            Row {
                k,
                purchased,
                pace: perf::elapsed(k.starts_on, k.ends_on, today),
                behind: perf::behind_schedule(k, purchased, today, BEHIND_SHARE),
            }
        })
        .collect();
    let lag = |r: &Row| perf::execution(r.purchased, r.k.committed).unwrap_or(0.0) - r.pace;
    rows.sort_by(|x, y| {
        lag(x)
            .total_cmp(&lag(y))
            .then(x.k.contract_id.cmp(&y.k.contract_id))
    });
    let reports = vec![execution_report(&t, &fig.names, &rows)?];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.contracts").into(),
            action: "/performance/contracts",
            with_county: false,
            reports,
        },
    )
}

/// One contract's execution: what it purchased against its term's even pace.
struct Row<'a> {
    k: &'a ContractKey,
    purchased: i64,
    pace: f64,
    behind: bool,
}

/// Execution per contract, furthest behind first.
fn execution_report(t: &Tr, names: &Names, rows: &[Row]) -> Result<Report, Error> {
    Ok(report(
        "contracts",
        t.get("perf.contracts").into(),
        execution_chart(t, names, rows)?,
        execution_table(t, names, rows),
        vec![t.get("perf.execution_note").into()],
    ))
}

/// The chart of the first rows (those furthest behind): each contract's execution beside its
/// pace; none without contracts.
fn execution_chart(t: &Tr, names: &Names, rows: &[Row]) -> Result<Option<String>, Error> {
    let label = |r: &Row| {
        format!(
            "#{} {} · {}",
            r.k.contract_id,
            drug_name(names, r.k.drug_id).1,
            region_name(t, names, r.k.region_id)
        )
    };
    let shown: Vec<&Row> = rows.iter().take(CHART_ROWS).collect();
    (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|r| label(r)).collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.execution"),
                        shown
                            .iter()
                            .map(|r| perf::execution(r.purchased, r.k.committed).unwrap_or(0.0))
                            .collect(),
                    ),
                    Series::new(t.get("perf.pace"), shown.iter().map(|r| r.pace).collect()),
                ],
                true,
            )
        })
        .transpose()
}

/// Every contract's row: contract (a link to its execution by month), supplier, drug,
/// region, committed and purchased volumes, execution, pace, whether it is behind.
fn execution_table(t: &Tr, names: &Names, rows: &[Row]) -> Table {
    Table {
        columns: cols(
            t,
            &[
                "perf.contract",
                "perf.supplier",
                "perf.drug",
                "perf.region",
                "perf.committed",
                "perf.purchased",
                "perf.execution",
                "perf.pace",
                "perf.behind",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(
                        format!("#{}", r.k.contract_id),
                        format!("/performance/contracts/{}", r.k.contract_id),
                    ),
                    Cell::text(
                        names
                            .suppliers
                            .get(&r.k.supplier_id)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    Cell::text(drug_name(names, r.k.drug_id).1),
                    Cell::text(region_name(t, names, r.k.region_id)),
                    Cell::num(r.k.committed.to_string()),
                    Cell::num(r.purchased.to_string()),
                    Cell::num(percent(perf::execution(r.purchased, r.k.committed))),
                    Cell::num(percent(Some(r.pace))),
                    if r.behind {
                        Cell::text(t.get("word.yes")).with_class("bad")
                    } else {
                        Cell::text(t.get("word.no"))
                    },
                ]
            })
            .collect(),
    }
}

#[get("/performance/contracts/{id}")]
pub(super) async fn contract_page(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = path.into_inner();
    let (a, names) = asked(&v, &state, &q).await?;
    let p = v.p.clone();
    let (key, purchases) = run(&state, move |cx| app::performance::contract(cx, &p, id)).await?;
    let (labels, cumulative, pace) =
        monthly(&key, &purchases, state.config.time_zone, state.today());
    let chart = charts::lines(
        &labels,
        &[
            Series::new(t.get("perf.purchased_cumulative"), cumulative.clone()),
            Series::new(t.get("perf.pace_volume"), pace.clone()),
            Series::new(
                t.get("perf.committed"),
                vec![key.committed as f64; labels.len()],
            ),
        ],
    )?;
    let table = monthly_table(&t, &key, &labels, &cumulative, &pace);
    let heading = format!(
        "{} #{} · {} · {} · {}",
        t.get("perf.contract"),
        key.contract_id,
        drug_name(&names, key.drug_id).1,
        region_name(&t, &names, key.region_id),
        names
            .suppliers
            .get(&key.supplier_id)
            .cloned()
            .unwrap_or_default()
    );
    let base = format!("/performance/contracts/{id}");
    let reports = vec![report(
        "execution",
        t.get("perf.execution_over_time").into(),
        Some(chart),
        table,
        vec![format!(
            "{}: {} · {} – {}",
            t.get("perf.committed"),
            key.committed,
            key.starts_on,
            key.ends_on
        )],
    )];
    answer(
        &v,
        &q,
        &a,
        &names,
        Page {
            heading,
            action: &base,
            with_county: false,
            reports,
        },
    )
}

/// Month by month from the contract's start to today (or its end): the labels, the cumulative
/// purchases and the even pace's volume at each month's end.
fn monthly(
    key: &ContractKey,
    purchases: &[(NaiveDateTime, i64)],
    tz: chrono_tz::Tz,
    today: NaiveDate,
) -> (Vec<String>, Vec<f64>, Vec<f64>) {
    let last = today.min(key.ends_on).max(key.starts_on);
    let months = perf::months_between(key.starts_on, last);
    let index: BTreeMap<(i32, u32), usize> =
        months.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let amounts: Vec<(usize, i64)> = purchases
        .iter()
        .filter_map(|(at, qty)| {
            let local = at.and_utc().with_timezone(&tz).date_naive();
            index
                .get(&(local.year(), local.month()))
                .map(|i| (*i, *qty))
        })
        .collect();
    let cumulative = perf::cumulative(months.len(), &amounts);
    let month_end = |(y, m): (i32, u32)| {
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.map(|d| d - Duration::days(1)).unwrap_or(key.ends_on)
    };
    let pace: Vec<f64> = months
        .iter()
        .map(|m| key.committed as f64 * perf::elapsed(key.starts_on, key.ends_on, month_end(*m)))
        .collect();
    let labels: Vec<String> = months.iter().map(|(y, m)| format!("{y}-{m:02}")).collect();
    (labels, cumulative, pace)
}

/// The month-by-month table: purchased in the month, cumulative, execution and pace.
fn monthly_table(
    t: &Tr,
    key: &ContractKey,
    labels: &[String],
    cumulative: &[f64],
    pace: &[f64],
) -> Table {
    let mut prev = 0.0;
    Table {
        columns: cols(
            t,
            &[
                "perf.month",
                "perf.purchased",
                "perf.purchased_cumulative",
                "perf.execution",
                "perf.pace",
            ],
        ),
        rows: labels
            .iter()
            .zip(cumulative.iter().zip(pace.iter()))
            .map(|(l, (cum, p))| {
                let month = cum - prev;
                prev = *cum;
                vec![
                    Cell::text(l.clone()),
                    Cell::num(format!("{month:.0}")),
                    Cell::num(format!("{cum:.0}")),
                    Cell::num(percent(perf::execution(*cum as i64, key.committed))),
                    Cell::num(percent(perf::ratio(*p as i64, key.committed))),
                ]
            })
            .collect(),
    }
}
