//! Delivery rates per supplier with open orders per institution, and fill rates per drug and
//! county.

use super::*;

#[get("/performance")]
pub(super) async fn suppliers_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::Contract, false).await?;
    let supplier_of = fig.supplier_of();
    let by_supplier = perf::fold_by(&fig.totals, |(c, _)| supplier_of.get(c).copied());
    let mut rows: Vec<(i64, Totals)> = by_supplier.into_iter().collect();
    rows.sort_by(|x, y| worst_first(x.1.delivery_rate(), y.1.delivery_rate()).then(x.0.cmp(&y.0)));
    let suppliers = supplier_report(&t, &fig.names, &rows)?;
    let f = a.filter(state.config.time_zone);
    let now = crate::store::micros(state.clock.now());
    let p = v.p.clone();
    let open = run(&state, move |cx| {
        app::performance::open_orders(cx, &p, f, now)
    })
    .await?;
    let reports = vec![suppliers, open_report(&t, &open)?];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.title").into(),
            action: "/performance",
            with_county: true,
            reports,
        },
    )
}

#[get("/performance/fill")]
pub(super) async fn fill_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::ProductCounty, false).await?;
    let p = v.p.clone();
    let drug_of = run(&state, move |cx| app::performance::product_drugs(cx, &p)).await?;
    let by_place = perf::fold_by(&fig.totals, |(product, county)| {
        drug_of.get(product).map(|d| (*d, *county))
    });
    let mut rows: Vec<((i64, i64), Totals)> = by_place
        .into_iter()
        .filter(|(_, r)| r.due_ordered > 0)
        .collect();
    rows.sort_by(|x, y| worst_first(x.1.fill_rate(), y.1.fill_rate()).then(x.0.cmp(&y.0)));
    let label = |(drug, county): (i64, i64)| {
        format!(
            "{} · {}",
            drug_name(&fig.names, drug).1,
            region_name(&t, &fig.names, county)
        )
    };
    let shown: Vec<&((i64, i64), Totals)> = rows.iter().take(CHART_ROWS).collect();
    let chart = (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|(k, _)| label(*k)).collect::<Vec<_>>(),
                &[Series::new(
                    t.get("perf.fill_rate"),
                    shown
                        .iter()
                        .map(|(_, r)| r.fill_rate().unwrap_or(0.0))
                        .collect(),
                )],
                true,
            )
        })
        .transpose()?;
    let table = fill_table(&t, &fig.names, &rows);
    let reports = vec![report(
        "fill",
        t.get("perf.fill").into(),
        chart,
        table,
        vec![t.get("perf.fill_note").into()],
    )];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.fill").into(),
            action: "/performance/fill",
            with_county: true,
            reports,
        },
    )
}

/// Delivery, timely and decline rates per supplier, worst first.
fn supplier_report(t: &Tr, names: &Names, rows: &[(i64, Totals)]) -> Result<Report, Error> {
    let name = |id: i64| names.suppliers.get(&id).cloned().unwrap_or_default();
    let shown: Vec<&(i64, Totals)> = rows.iter().take(CHART_ROWS).collect();
    let chart = (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|(id, _)| name(*id)).collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.delivery_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.delivery_rate().unwrap_or(0.0))
                            .collect(),
                    ),
                    Series::new(
                        t.get("perf.timely_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.timely_rate().unwrap_or(0.0))
                            .collect(),
                    )
                    .good(),
                    Series::new(
                        t.get("perf.decline_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.decline_rate().unwrap_or(0.0))
                            .collect(),
                    )
                    .bad(),
                ],
                true,
            )
        })
        .transpose()?;
    let table = Table {
        columns: cols(
            t,
            &[
                "perf.supplier",
                "perf.lines",
                "perf.delivery_rate",
                "perf.timely_rate",
                "perf.decline_rate",
                "perf.declined",
                "perf.rejected",
            ],
        ),
        rows: rows
            .iter()
            .map(|(id, r)| {
                let rate_cell = |x: Option<f64>, low: f64| {
                    let c = Cell::num(percent(x));
                    if x.is_some_and(|x| x < low) {
                        c.with_class("num bad")
                    } else {
                        c
                    }
                };
                vec![
                    Cell::link(name(*id), format!("/suppliers/{id}")),
                    Cell::num(r.lines.to_string()),
                    rate_cell(r.delivery_rate(), 0.9),
                    rate_cell(r.timely_rate(), 0.9),
                    Cell::num(percent(r.decline_rate())),
                    Cell::num(r.declined.to_string()),
                    Cell::num(r.rejected.to_string()),
                ]
            })
            .collect(),
    };
    Ok(report(
        "suppliers",
        t.get("perf.suppliers").into(),
        chart,
        table,
        vec![t.get("perf.rates_note").into()],
    ))
}

/// Open and overdue orders per institution, most overdue first.
fn open_report(t: &Tr, open: &[ps::OpenOrders]) -> Result<Report, Error> {
    let top: Vec<&ps::OpenOrders> = open.iter().take(CHART_ROWS).collect();
    let open_chart = (!top.is_empty())
        .then(|| {
            charts::bars(
                &top.iter()
                    .map(|o| o.institution.clone())
                    .collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.open"),
                        top.iter().map(|o| o.open as f64).collect(),
                    ),
                    Series::new(
                        t.get("perf.overdue"),
                        top.iter().map(|o| o.overdue as f64).collect(),
                    )
                    .bad(),
                ],
                false,
            )
        })
        .transpose()?;
    let open_table = Table {
        columns: cols(t, &["perf.institution", "perf.open", "perf.overdue"]),
        rows: open
            .iter()
            .map(|o| {
                vec![
                    Cell::link(
                        o.institution.clone(),
                        format!("/institutions/{}", o.institution_id),
                    ),
                    Cell::num(o.open.to_string()),
                    if o.overdue > 0 {
                        Cell::num(o.overdue.to_string()).with_class("num bad")
                    } else {
                        Cell::num("0")
                    },
                ]
            })
            .collect(),
    };
    Ok(report(
        "open_orders",
        t.get("perf.open_orders").into(),
        open_chart,
        open_table,
        vec![],
    ))
}

/// Fill rate per drug and county, worst first.
fn fill_table(t: &Tr, names: &Names, rows: &[((i64, i64), Totals)]) -> Table {
    Table {
        columns: cols(
            t,
            &[
                "perf.drug_code",
                "perf.drug",
                "perf.county",
                "perf.ordered",
                "perf.delivered",
                "perf.fill_rate",
            ],
        ),
        rows: rows
            .iter()
            .map(|((drug, county), r)| {
                let (code, name) = drug_name(names, *drug);
                let rate = r.fill_rate();
                vec![
                    Cell::link(code, format!("/drugs/{drug}")),
                    Cell::text(name),
                    Cell::text(region_name(t, names, *county)),
                    Cell::num(r.due_ordered.to_string()),
                    Cell::num(r.due_delivered.to_string()),
                    if rate.is_some_and(|x| x < 0.9) {
                        Cell::num(percent(rate)).with_class("num bad")
                    } else {
                        Cell::num(percent(rate))
                    },
                ]
            })
            .collect(),
    }
}
