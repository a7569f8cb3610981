//! A new tender: the form (one row per lot, rows added and removed without script), its
//! reading into the domain's lot specs, and the draft it creates. Lines of text (`drug code,
//! maximum unit price, policy, …`) are read by the same rules, for tests and imports.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::tenders::parse_local;
use crate::app::tenders::lots;
use crate::domain::award::{AwardPolicy, MultiParams};
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::tender_stages::LotSpec;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::tenders as ts;
use crate::web::auth::Viewer;
use crate::web::view::{self, Chrome, Field};
use crate::web::{run, AppState, Error};

#[derive(Deserialize, Default, Clone, Debug)]
pub struct TenderForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub window_id: String,
    #[serde(default)]
    pub bid_deadline: String,
    #[serde(default)]
    pub contract_months: String,
}

/// Reads one lot per line: `drug code, maximum unit price, policy[, minimum bidders[,
/// consistency yes/no[, agreed share %[, technical weight %]]]]`.
pub fn parse_lot_lines(
    text: &str,
    drug_ids: &BTreeMap<String, i64>,
) -> Result<Vec<LotSpec>, Vec<Invalid>> {
    let mut out = vec![];
    let mut errs = vec![];
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match lot_line(n + 1, line, drug_ids) {
            Ok(l) => out.push(l),
            Err(e) => errs.push(e),
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push(Invalid::new("lots", Code::Required));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// A refusal of line `n` (every refusal names the line).
fn bad(n: usize, code: Code) -> Msg {
    Msg::new(code).arg("line", n)
}

/// A refused value as typed, shortened.
fn typed(s: &str) -> String {
    let mut v: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        v.push('…');
    }
    v
}

/// One line (`n`, from 1) as a lot, or its first refusal.
fn lot_line(n: usize, line: &str, drug_ids: &BTreeMap<String, i64>) -> Result<LotSpec, Invalid> {
    let f: Vec<&str> = line.split([',', '，', ';', '\t']).map(str::trim).collect();
    lot_cells(n, &f, drug_ids).map_err(|mut es| es.remove(0))
}

/// The field of a row of the lots' table that a refusal of a line's cell belongs to.
fn row_field(code: Code) -> &'static str {
    match code {
        Code::LotLineUnknownDrug => "drug",
        Code::LotLineMissingPrice | Code::LotLineMaxPrice => "max_unit_price",
        Code::LotLineUnknownPolicy => "policy",
        Code::LotLineTechnicalWeight => "technical_weight",
        Code::LotLineMinBidders => "min_bidders",
        Code::LotLineAgreedShare => "agreed_share",
        _ => "drug",
    }
}

/// The cells of line (or row) `n` as a lot, or every refusal (each names the line and is
/// given against the field `lots`).
fn lot_cells(
    n: usize,
    f: &[&str],
    drug_ids: &BTreeMap<String, i64>,
) -> Result<LotSpec, Vec<Invalid>> {
    let refused = |m: Msg| Invalid::new("lots", m);
    let drug_id = lot_drug(n, f, drug_ids).map_err(refused);
    let max = lot_max_price(n, f).map_err(refused);
    let policy = lot_policy(n, f);
    let min_bidders = lot_min_bidders(n, f).map_err(refused);
    let consistency = !matches!(f.get(4).map(|s| s.to_ascii_lowercase()), Some(ref s) if s == "no" || s == "否" || s == "false");
    let share = lot_share(n, f).map_err(refused);
    match (drug_id, max, policy, min_bidders, share) {
        (Ok(drug_id), Ok(max), Ok(policy), Ok(min_bidders), Ok(share)) => Ok(LotSpec {
            drug_id,
            max_unit_price: max,
            min_bidders,
            consistency_required: consistency,
            policy,
            agreed_share_bp: share,
        }),
        (d, m, p, b, s) => Err([d.err(), m.err(), p.err(), b.err(), s.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}

/// The drug of line `n` (fields `f`), by its code.
fn lot_drug(n: usize, f: &[&str], drug_ids: &BTreeMap<String, i64>) -> Result<i64, Msg> {
    drug_ids
        .get(f[0])
        .copied()
        .ok_or_else(|| bad(n, Code::LotLineUnknownDrug).arg("code", typed(f[0])))
}

/// The maximum unit price of line `n` (fields `f`): a positive amount, required.
fn lot_max_price(n: usize, f: &[&str]) -> Result<Money, Msg> {
    match f.get(1).map(|p| Money::parse_positive("max_unit_price", p)) {
        Some(Ok(m)) => Ok(m),
        Some(Err(_)) => Err(bad(n, Code::LotLineMaxPrice)
            .arg("value", typed(f[1]))
            .arg("max", Money::MAX_ENTERED)),
        None => Err(bad(n, Code::LotLineMissingPrice)),
    }
}

/// The minimum number of bidders of line `n` (fields `f`): 2 when not given.
fn lot_min_bidders(n: usize, f: &[&str]) -> Result<i32, Msg> {
    match f.get(3).filter(|s| !s.is_empty()) {
        None => Ok(2),
        Some(s) => match bounds::whole("min_bidders", s, bounds::BIDDERS) {
            Ok(m) => Ok(m as i32),
            Err(_) => Err(bad(n, Code::LotLineMinBidders)
                .arg("value", typed(s))
                .arg("min", bounds::BIDDERS.start())
                .arg("max", bounds::BIDDERS.end())),
        },
    }
}

/// The agreed share of line `n` (fields `f`), a percentage above zero, in basis points: 70%
/// when not given.
fn lot_share(n: usize, f: &[&str]) -> Result<i32, Msg> {
    match f.get(5).filter(|s| !s.is_empty()) {
        None => Ok(7000),
        Some(s) => match bounds::parse_percent("agreed_share", s) {
            Ok(p) if p > Decimal::ZERO => Ok((p * Decimal::ONE_HUNDRED)
                .round()
                .try_into()
                .unwrap_or(7000)),
            _ => Err(bad(n, Code::LotLineAgreedShare).arg("value", typed(s))),
        },
    }
}

/// The award policy of line `n` (fields `f`): its word, and for a composite score the
/// technical weight in percent (the price's is what is left).
fn lot_policy(n: usize, f: &[&str]) -> Result<AwardPolicy, Invalid> {
    let weight_refused = |s: &str| {
        Invalid::new(
            "lots",
            bad(n, Code::LotLineTechnicalWeight).arg("value", typed(s)),
        )
    };
    let tech: Decimal = match f.get(6).filter(|s| !s.is_empty()) {
        None => Decimal::from(40),
        Some(s) => bounds::parse_percent("technical_weight", s).map_err(|_| weight_refused(s))?,
    } / Decimal::ONE_HUNDRED;
    let policy = match f.get(2).copied().unwrap_or("lowest_price") {
        "" | "lowest_price" => AwardPolicy::LowestPrice,
        "multiple_winners" => AwardPolicy::MultipleWinners(MultiParams::default()),
        "composite_score" => AwardPolicy::CompositeScore {
            technical_weight: tech,
            price_weight: Decimal::ONE - tech,
        },
        other => {
            return Err(Invalid::new(
                "lots",
                bad(n, Code::LotLineUnknownPolicy)
                    .arg("value", typed(other))
                    .arg("words", "lowest_price, multiple_winners, composite_score"),
            ))
        }
    };
    // The weights come from the one typed percentage, so a refused policy is a refused
    // technical weight.
    if policy.validate().is_err() {
        return Err(weight_refused(f.get(6).copied().unwrap_or("40")));
    }
    Ok(policy)
}

/// One row of the lots' table as typed (the drug by its code).
#[derive(Clone, Debug, Default)]
pub struct LotRow {
    pub drug: String,
    pub max_unit_price: String,
    pub policy: String,
    pub min_bidders: String,
    pub consistency: bool,
    pub agreed_share: String,
    pub technical_weight: String,
    /// Refusals by field (the row's own fields), in the page's language, with their codes.
    pub errors: BTreeMap<&'static str, (String, &'static str)>,
}

impl LotRow {
    fn blank() -> Self {
        LotRow {
            policy: "lowest_price".into(),
            min_bidders: "2".into(),
            consistency: true,
            agreed_share: "70".into(),
            technical_weight: "40".into(),
            ..Default::default()
        }
    }

    fn is_blank(&self) -> bool {
        self.drug.trim().is_empty() && self.max_unit_price.trim().is_empty()
    }

    pub fn error(&self, field: &str) -> Option<&(String, &'static str)> {
        self.errors.get(field)
    }

    pub fn is_policy(&self, p: &str) -> bool {
        self.policy == p
    }
}

/// The form of a new tender: its head fields and one row per lot.
#[derive(Clone, Debug, Default)]
pub struct TenderRows {
    pub head: TenderForm,
    pub rows: Vec<LotRow>,
    pub add_row: bool,
}

/// The posted form: the head fields by name, the rows as `lot-N-FIELD` (a row whose `remove`
/// box is ticked is dropped), `add_row` when the "add a row" button sent it.
pub fn read_rows(pairs: &[(String, String)]) -> TenderRows {
    let mut out = TenderRows::default();
    let mut rows: BTreeMap<usize, (LotRow, bool)> = BTreeMap::new();
    let mut pasted = vec![];
    for (k, v) in pairs {
        match k.as_str() {
            "title" => out.head.title = v.clone(),
            "window_id" => out.head.window_id = v.clone(),
            "bid_deadline" => out.head.bid_deadline = v.clone(),
            "contract_months" => out.head.contract_months = v.clone(),
            "add_row" => out.add_row = true,
            // Lines of text (`drug code, maximum unit price, policy, …`), pasted or sent by a
            // script: one row each, after the rows of the table.
            "lots" => {
                for line in v.lines().filter(|l| !l.trim().is_empty()) {
                    let c: Vec<&str> = line.split([',', '，', ';', '\t']).map(str::trim).collect();
                    let cell = |i: usize, d: &str| {
                        c.get(i)
                            .filter(|s| !s.is_empty())
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| d.to_string())
                    };
                    let consistency = cell(4, "yes").to_ascii_lowercase();
                    let row = LotRow {
                        drug: cell(0, ""),
                        max_unit_price: c.get(1).map(|s| s.to_string()).unwrap_or_default(),
                        policy: cell(2, "lowest_price"),
                        min_bidders: cell(3, "2"),
                        consistency: !matches!(consistency.as_str(), "no" | "否" | "false"),
                        agreed_share: cell(5, "70"),
                        technical_weight: cell(6, "40"),
                        errors: BTreeMap::new(),
                    };
                    pasted.push(row);
                }
            }
            _ => {
                let Some(rest) = k.strip_prefix("lot-") else {
                    continue;
                };
                let Some((n, field)) = rest.split_once('-') else {
                    continue;
                };
                let Ok(n) = n.parse::<usize>() else { continue };
                if n >= MAX_LOT_ROWS {
                    continue;
                }
                let (row, removed) = rows.entry(n).or_insert_with(|| {
                    (
                        LotRow {
                            consistency: false,
                            ..LotRow::default()
                        },
                        false,
                    )
                });
                let v = v.clone();
                match field {
                    "drug" => row.drug = v,
                    "max_unit_price" => row.max_unit_price = v,
                    "policy" => row.policy = v,
                    "min_bidders" => row.min_bidders = v,
                    "consistency" => row.consistency = !v.is_empty(),
                    "agreed_share" => row.agreed_share = v,
                    "technical_weight" => row.technical_weight = v,
                    "remove" => *removed = !v.is_empty(),
                    _ => {}
                }
            }
        }
    }
    out.rows = rows
        .into_values()
        .filter(|(_, removed)| !removed)
        .map(|(r, _)| r)
        .collect();
    out.rows.extend(pasted);
    out.rows.truncate(MAX_LOT_ROWS);
    out
}

/// Most rows a tender's form takes.
pub const MAX_LOT_ROWS: usize = 500;

/// The rows as lots (blank rows skipped), or the refusals put on their rows' fields (the
/// messages in the page's language). No row at all: the refusal of the table.
fn rows_to_specs(
    t: &Tr,
    rows: &mut [LotRow],
    drug_ids: &BTreeMap<String, i64>,
) -> Result<Vec<LotSpec>, Vec<Invalid>> {
    let mut out = vec![];
    let mut failed = false;
    for (i, r) in rows.iter_mut().enumerate() {
        if r.is_blank() {
            continue;
        }
        let consistency = if r.consistency { "yes" } else { "no" };
        let cells = [
            r.drug.trim(),
            r.max_unit_price.trim(),
            r.policy.trim(),
            r.min_bidders.trim(),
            consistency,
            r.agreed_share.trim(),
            r.technical_weight.trim(),
        ];
        match lot_cells(i + 1, &cells, drug_ids) {
            Ok(spec) => out.push(spec),
            Err(es) => {
                failed = true;
                for e in es {
                    let field = row_field(e.msg.code);
                    let msg = if field == "drug" && r.drug.trim().is_empty() {
                        Msg::new(Code::Required)
                    } else if field == "max_unit_price" && r.max_unit_price.trim().is_empty() {
                        bad(i + 1, Code::LotLineMissingPrice)
                    } else {
                        e.msg
                    };
                    r.errors
                        .entry(field)
                        .or_insert_with(|| (t.msg(&msg), msg.code.as_str()));
                }
            }
        }
    }
    if failed {
        return Err(vec![]);
    }
    if out.is_empty() {
        return Err(vec![Invalid::new("lots", Code::LotRowsEmpty)]);
    }
    Ok(out)
}

fn head_fields(t: &Tr, f: &TenderForm, windows: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::text("title", t.get("tender.title"), &f.title).required(),
        Field::select(
            "window_id",
            t.get("tender.demand_window"),
            &f.window_id,
            windows,
        ),
        Field::text(
            "bid_deadline",
            t.get("tender.bid_deadline_province_time"),
            &f.bid_deadline,
        )
        .kind("datetime-local")
        .required(),
        Field::text(
            "contract_months",
            t.get("tender.contract_months"),
            if f.contract_months.is_empty() {
                "12"
            } else {
                &f.contract_months
            },
        )
        .inputmode("numeric"),
    ]
}

/// The page of a new tender's form: the head fields, the lots' table, the buttons.
#[derive(Template)]
#[template(path = "pages/tender_form.html")]
pub struct TenderFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub errors: Vec<String>,
    pub head: Vec<Field>,
    pub rows: Vec<LotRow>,
    /// The window's drugs: (code, label).
    pub drugs: Vec<(String, String)>,
    /// The award policies: (word, label).
    pub policies: Vec<(String, String)>,
    /// Column headings: drug, max price, policy, min bidders, consistency, share, weight, remove.
    pub columns: Vec<String>,
    pub legend: String,
    pub add_row: String,
    pub submit: String,
    pub lots_error: Option<String>,
}

#[derive(Deserialize)]
struct NewTenderQuery {
    window_id: Option<i64>,
}

/// The drugs of a window's demand as (code, label), its lots' choices.
fn drug_options(
    t: &Tr,
    demand: &[(i64, String, String, String, i64)],
    drugs: &std::collections::BTreeMap<i64, crate::store::catalog::Drug>,
) -> Vec<(String, String)> {
    demand
        .iter()
        .map(|(id, code, name, strength, total)| {
            let name = drugs
                .get(id)
                .map_or(name.as_str(), |d| super::drug_name(t, d));
            (
                code.clone(),
                format!(
                    "{name} · {strength} · {code} ({} {total})",
                    t.get("tender.reported_demand")
                ),
            )
        })
        .collect()
}

/// Renders the form of a new tender with `status`; refusals `errs` go next to the head fields
/// they name (others on top), the rows carry their own.
fn render_tender_form(
    v: &Viewer,
    status: StatusCode,
    rows: TenderRows,
    inputs: lots::DraftInputs,
    errs: Vec<Invalid>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let h = t.get("tender.new_tender");
    let mut head = head_fields(&t, &rows.head, window_options(inputs.windows));
    let mut general = vec![];
    let mut lots_error = None;
    for e in errs {
        if e.field == "lots" {
            lots_error = Some(t.msg(&e.msg));
        } else if let Some(f) = head.iter_mut().find(|f| f.name == e.field) {
            f.error = Some(t.msg(&e.msg));
            f.error_code = e.msg.code.as_str();
        } else {
            general.push(t.invalid(&e));
        }
    }
    let mut drugs = vec![(String::new(), t.get("formui.choose").to_string())];
    drugs.extend(drug_options(&t, &inputs.demand, &inputs.drugs));
    let policies = [
        ("lowest_price", "tender.lowest_price"),
        ("multiple_winners", "tender.multiple_winners"),
        ("composite_score", "tender.composite_score"),
    ]
    .iter()
    .map(|(w, k)| (w.to_string(), t.get(k).to_string()))
    .collect();
    let columns = [
        "tender.drug",
        "tender.maximum_valid_unit_price",
        "tender.policy",
        "tender.min_bidders",
        "tender.consistency_required",
        "formui.agreed_share",
        "formui.technical_weight",
        "formui.remove",
    ]
    .iter()
    .map(|k| t.get(k).to_string())
    .collect();
    view::render(
        status,
        &TenderFormPage {
            chrome: v.chrome(h),
            heading: h.into(),
            errors: general,
            head,
            rows: rows.rows,
            drugs,
            policies,
            columns,
            legend: t.get("tender.lots").into(),
            add_row: t.get("formui.add_row").into(),
            submit: t.get("tender.create_draft").into(),
            lots_error,
        },
    )
}

#[get("/tenders/new")]
async fn new_tender(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<NewTenderQuery>,
) -> Result<HttpResponse, Error> {
    let p = v.p.clone();
    let window = q.window_id;
    let inputs = run(&state, move |cx| lots::draft_inputs(cx, &p, window)).await?;
    let mut rows: Vec<LotRow> = inputs
        .demand
        .iter()
        .map(|d| LotRow {
            drug: d.1.clone(),
            ..LotRow::blank()
        })
        .collect();
    if rows.is_empty() {
        rows.push(LotRow::blank());
    }
    let form = TenderRows {
        head: TenderForm {
            window_id: window
                .or(inputs.windows.first().map(|w| w.id))
                .map(|w| w.to_string())
                .unwrap_or_default(),
            ..Default::default()
        },
        rows,
        add_row: false,
    };
    render_tender_form(&v, StatusCode::OK, form, inputs, vec![])
}

fn window_options(ws: Vec<ts::DemandWindow>) -> Vec<(String, String)> {
    ws.into_iter()
        .map(|w| (w.id.to_string(), w.title))
        .collect()
}

#[post("/tenders")]
async fn create_tender(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Error> {
    let mut form = read_rows(&f);
    let p = v.p.clone();
    let window = form.head.window_id.trim().parse::<i64>().ok();
    let inputs = run(&state, move |cx| lots::draft_inputs(cx, &p, window)).await?;
    if form.add_row {
        // "Add a row": the same form again with one more (empty) row; nothing is checked yet.
        if form.rows.len() < MAX_LOT_ROWS {
            form.rows.push(LotRow::blank());
        }
        return render_tender_form(&v, StatusCode::OK, form, inputs, vec![]);
    }
    let result = async {
        let cmd = read_tender_form(&v, &state, &mut form).await?;
        let (p, master) = (v.p.clone(), state.master.clone());
        run(&state, move |cx| lots::create(cx, &p, &master, cmd)).await
    }
    .await;
    match result {
        Ok((t, _)) => Ok(view::see_other(&format!("/tenders/{}", t.id))),
        Err(Error::Invalid(es)) => {
            if form.rows.is_empty() {
                form.rows.push(LotRow::blank());
            }
            render_tender_form(&v, StatusCode::UNPROCESSABLE_ENTITY, form, inputs, es)
        }
        Err(e) => Err(e),
    }
}

/// The form of a new tender as a command, every refusal at once (the lots' drugs are those of
/// the window's demand; a row's refusals are put on the row).
async fn read_tender_form(
    v: &Viewer,
    state: &web::Data<AppState>,
    form: &mut TenderRows,
) -> Result<lots::NewTender, Error> {
    let mut errs = vec![];
    let f = &form.head;
    let window_id: i64 = f
        .window_id
        .trim()
        .parse()
        .map_err(|_| Invalid::new("window_id", Code::Required))?;
    if f.title.trim().is_empty() {
        errs.push(Invalid::new("title", Code::Required));
    }
    let deadline = parse_local("bid_deadline", &f.bid_deadline, state.config.time_zone)
        .map_err(|e| errs.push(e))
        .ok();
    let months = bounds::whole("contract_months", &f.contract_months, bounds::MONTHS)
        .map(|m| m as i32)
        .map_err(|e| errs.push(e))
        .ok();
    let title = f.title.clone();
    let p = v.p.clone();
    let ids = run(state, move |cx| lots::window_drugs(cx, &p, window_id)).await?;
    let specs = match rows_to_specs(&v.t, &mut form.rows, &ids) {
        Ok(s) => Some(s),
        Err(e) => {
            if e.is_empty() {
                // Refusals on the rows: the form is refused as a whole.
                errs.push(Invalid::new("lots", Code::LotRowsInvalid));
            }
            errs.extend(e);
            None
        }
    };
    let (Some(bid_deadline), Some(contract_months), Some(lots), true) =
        (deadline, months, specs, errs.is_empty())
    else {
        return Err(Error::Invalid(errs));
    };
    Ok(lots::NewTender {
        title,
        window_id,
        bid_deadline,
        contract_months,
        lots,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_tender).service(create_tender);
}
