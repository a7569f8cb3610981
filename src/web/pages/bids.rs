//! Bid pages, thin over `app::bids`: the sealed bid form (the bidder's own products of the lot's
//! drug), the confirmation of a price above the lot's ceiling (a second post that carries the
//! values, no JavaScript needed), the receipt, withdrawal and experts' scores.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::yuan;
use crate::app::bids::{self, BidForm, PriceIn, SealedPrice, SubmitBid, Submitted};
use crate::domain::bidding::PriceCheck;
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::catalog::Product;
use crate::store::tenders::Document;
use crate::web::auth::Viewer;
use crate::web::ops::{sealing_scripts, Script};
use crate::web::view::{self, Chrome, DetailPage, Field, Form, Link, Section};
use crate::web::{run, AppState, Error};

fn bid_path(tender_id: i64, lot_id: i64) -> String {
    format!("/tenders/{tender_id}/lots/{lot_id}/bid")
}

/// An own product as the form offers it: approval number, maker, units per package and the
/// package price the lot's unit-price ceiling allows.
fn product_option(t: &Tr, p: &Product, max_unit: Money) -> (String, String) {
    let max_package = Money::from_ten_thousandths(
        max_unit
            .ten_thousandths()
            .saturating_mul(p.units_per_package as i64),
    );
    (
        p.id.to_string(),
        format!(
            "{} · {} · {} / {} · {} {}",
            p.approval_number,
            p.manufacturer_name,
            p.units_per_package,
            t.get("tender.package"),
            t.get("bid.max_package_price"),
            t.price(max_package.decimal())
        ),
    )
}

fn heading(t: &Tr, f: &BidForm) -> String {
    let drug = f
        .products
        .first()
        .map(|p| format!(" · {} {}", p.drug_name, p.strength))
        .unwrap_or_default();
    format!(
        "{} · {} #{}{drug} · {} {}",
        f.tender.title,
        t.get("tender.lot_2"),
        f.lot.lot_no,
        t.get("tender.maximum_valid_unit_price_2"),
        yuan(t, f.lot.max_unit_price)
    )
}

/// The bid form with what was typed (`typed`: the posted text fields) kept; one product is
/// chosen for the bidder, several are offered after a blank.
fn bid_fields(t: &Tr, f: &BidForm, typed: &BTreeMap<String, String>) -> Vec<Field> {
    let get = |k: &str| typed.get(k).cloned().unwrap_or_default();
    let mut options: Vec<(String, String)> = f
        .products
        .iter()
        .map(|p| product_option(t, p, f.lot.max_price()))
        .collect();
    let mut product = get("product_id");
    if options.len() == 1 && product.is_empty() {
        product = options[0].0.clone();
    } else if options.len() > 1 {
        options.insert(0, (String::new(), t.get("formui.choose").to_string()));
    }
    vec![
        Field::select("product_id", t.get("tender.product"), &product, options).required(),
        Field::text(
            "annual_capacity",
            t.get("tender.annual_capacity_units_of_use"),
            &get("annual_capacity"),
        )
        .inputmode("numeric")
        .required(),
        Field::text(
            "package_price",
            t.get("tender.price_per_package_yuan_sealed_until_the_opening"),
            &get("package_price"),
        )
        .inputmode("decimal")
        .required(),
        Field::text("documents", t.get("tender.documents_pdf"), "").kind("file"),
    ]
}

/// The bid form's page: a form page with the scripts that seal the price in the browser (with
/// their integrity hashes), none when the server seals.
#[derive(Template)]
#[template(path = "pages/bid_form.html")]
struct BidFormPage {
    chrome: Chrome,
    heading: String,
    errors: Vec<String>,
    form: Form,
    back: Option<Link>,
    scripts: &'static [Script],
}

/// Where a price is sealed in the browser: the tender key (hex), the binding's ids (tender,
/// lot, supplier), the lot's maximum unit price (1/10,000 yuan) and each product's units per
/// package (product id, units), for the warning above the ceiling.
struct SealTo<'a> {
    key: &'a str,
    ids: (i64, i64, i64),
    max_unit: i64,
    units: Vec<(i64, i32)>,
}

impl<'a> SealTo<'a> {
    fn of(f: &'a BidForm) -> Option<Self> {
        Some(SealTo {
            key: f.quorum_key.as_deref()?,
            ids: (f.tender.id, f.lot.id, f.supplier_id),
            max_unit: f.lot.max_unit_price,
            units: f
                .products
                .iter()
                .map(|p| (p.id, p.units_per_package))
                .collect(),
        })
    }
}

/// A quorum tender's bid form: what `seal.js` needs on the `<form>` (the tender key, the
/// binding's ids, the ceiling and the units per package for the warning, the words it shows),
/// and a button that only the script enables: without it nothing is sent, never the price in
/// clear.
fn sealed_in_browser(t: &Tr, s: &SealTo, mut form: Form) -> Form {
    let units = s
        .units
        .iter()
        .map(|(id, n)| format!("{id}:{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let (tender, lot, supplier) = s.ids;
    form.data = vec![
        ("seal", "quorum".into()),
        ("tender-key", s.key.into()),
        ("tender-id", tender.to_string()),
        ("lot-id", lot.to_string()),
        ("supplier-id", supplier.to_string()),
        ("max-unit", s.max_unit.to_string()),
        ("units", units),
        ("msg-price", t.get("seal_js.invalid_price").into()),
        ("msg-above", t.get("seal_js.above_max").into()),
        ("msg-confirm", t.get("seal_js.confirm_above_max").into()),
        ("msg-failed", t.get("seal_js.failed").into()),
    ];
    form.needs_script = Some(t.get("seal_js.needs_script").into());
    form
}

/// The bid form, with the errors of a refused submission and what was typed; a bidder with no
/// product of the lot's drug gets a message instead of a form.
async fn bid_form(
    v: &Viewer,
    state: &web::Data<AppState>,
    (tender_id, lot_id): (i64, i64),
    errors: Vec<Invalid>,
    typed: &BTreeMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let p = v.p.clone();
    let f = run(state, move |cx| bids::form(cx, &p, tender_id, lot_id)).await?;
    let back = Link::new(format!("/tenders/{tender_id}"), f.tender.title.clone());
    if f.products.is_empty() {
        let mut s = Section::new(t.get("tender.bid"));
        s.text.push(t.get("bid.no_own_products").into());
        return view::render(
            status,
            &DetailPage {
                chrome: v.chrome(t.get("tender.bid")),
                heading: heading(&t, &f),
                props: vec![],
                actions: vec![back],
                sections: vec![s],
            },
        );
    }
    let mut form = Form::new(
        bid_path(tender_id, lot_id),
        t.get("tender.submit_the_sealed_bid"),
        bid_fields(&t, &f, typed),
    );
    form.multipart = true;
    let scripts: &'static [Script] = match SealTo::of(&f) {
        Some(s) => {
            form = sealed_in_browser(&t, &s, form);
            sealing_scripts()
        }
        None => &[],
    };
    let (form, mut general) = form.with_errors(&t, &errors);
    if !errors.is_empty() && errors.iter().all(|e| e.field != "documents") {
        // A browser never sends a chosen file again: say so when the form comes back.
        general.push(t.get("formui.documents_again").to_string());
    }
    view::render(
        status,
        &BidFormPage {
            chrome: v.chrome(t.get("tender.bid")),
            heading: heading(&t, &f),
            errors: general,
            form,
            back: Some(back),
            scripts,
        },
    )
}

#[get("/tenders/{id}/lots/{lot}/bid")]
async fn bid_page(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (tid, lid) = path.into_inner();
    bid_form(
        &v,
        &state,
        (tid, lid),
        vec![],
        &BTreeMap::new(),
        StatusCode::OK,
    )
    .await
}

/// Most text fields of a multipart form, and most bytes of one.
const MAX_FORM_FIELDS: usize = 32;
const MAX_FORM_FIELD_BYTES: usize = 64 * 1024;

/// Reads a bid's multipart form: its text fields and its files (name, bytes). The limits of a
/// bid's documents (count, bytes of one, bytes of all) and of the text fields are enforced
/// while the body streams in: the part that passes one is not read further.
pub async fn read_multipart(
    mut mp: Multipart,
) -> Result<(BTreeMap<String, String>, Vec<(String, Vec<u8>)>), Error> {
    use crate::domain::tender::{self, MAX_BID_DOCUMENT_BYTES, MAX_DOCUMENTS, MAX_DOCUMENT_BYTES};
    let unreadable = |e: actix_multipart::MultipartError| {
        // The parser's words stay in the log.
        tracing::info!("bid form unreadable: {e}");
        Error::BadRequest(Code::BidFormUnreadable.into())
    };
    let mut fields = BTreeMap::new();
    let mut files = vec![];
    let mut total = 0usize;
    while let Some(item) = mp.next().await {
        let mut part = item.map_err(unreadable)?;
        let name = part
            .content_disposition()
            .and_then(|cd| cd.get_name())
            .unwrap_or("")
            .chars()
            .take(64)
            .collect::<String>();
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(|f| f.chars().take(255).collect::<String>());
        if file_name.is_none() && fields.len() >= MAX_FORM_FIELDS {
            return Err(Error::BadRequest(
                Msg::new(Code::BidFormTooManyFields).arg("max", MAX_FORM_FIELDS),
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            match &file_name {
                Some(f) => {
                    if files.len() >= MAX_DOCUMENTS {
                        return Err(Invalid::new("documents", tender::too_many_documents()).into());
                    }
                    if bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                        return Err(Error::TooLarge(tender::document_too_large(f)));
                    }
                    total += chunk.len();
                    if total > MAX_BID_DOCUMENT_BYTES {
                        return Err(Error::TooLarge(tender::documents_too_large()));
                    }
                }
                None if bytes.len() + chunk.len() > MAX_FORM_FIELD_BYTES => {
                    return Err(Error::BadRequest(
                        Msg::new(Code::BidFormFieldTooLong)
                            .arg("name", &name)
                            .arg("max", MAX_FORM_FIELD_BYTES / 1024),
                    ));
                }
                None => {}
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(f) if !bytes.is_empty() => files.push((f, bytes)),
            Some(_) => {}
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, files))
}

/// A bid form's fields as the command to submit; `confirm_above_max` comes from the
/// confirmation page's "submit anyway".
pub fn parse_submission(
    lot_id: i64,
    fields: &BTreeMap<String, String>,
    files: Vec<(String, Vec<u8>)>,
) -> Result<SubmitBid, Vec<Invalid>> {
    let get = |k: &str| {
        fields
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errs = vec![];
    let product_id = get("product_id")
        .parse::<i64>()
        .map_err(|_| errs.push(Invalid::new("product_id", Code::Required)))
        .unwrap_or(0);
    let annual_capacity =
        bounds::whole("annual_capacity", &get("annual_capacity"), bounds::CAPACITY)
            .map_err(|e| errs.push(e))
            .unwrap_or(0);
    // A price sealed in the browser comes as its envelope's three fields (the price itself
    // never leaves the bidder's device); a server-sealed tender takes the price.
    let price = if fields.contains_key("commercial_nonce") {
        PriceIn::Sealed(SealedPrice {
            nonce: get("commercial_nonce"),
            ciphertext: get("commercial_ciphertext"),
            digest: get("commercial_digest"),
        })
    } else {
        PriceIn::Clear(
            Money::parse_positive("package_price", &get("package_price"))
                .map_err(|e| errs.push(e))
                .unwrap_or(Money::ZERO),
        )
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(SubmitBid {
        lot_id,
        product_id,
        annual_capacity,
        price,
        documents: files
            .into_iter()
            .map(|(name, bytes)| Document { name, bytes })
            .collect(),
        confirm_above_max: get("confirm_above_max") == "yes",
    })
}

/// The package price, the unit price it makes and the lot's ceiling, as lines of a page.
fn price_props(t: &Tr, product: &Product, c: &PriceCheck) -> Vec<(String, String)> {
    let verdict = if c.above_max() {
        t.get("bid.above_max")
    } else {
        t.get("bid.within_max")
    };
    vec![
        (
            t.get("tender.product").into(),
            format!(
                "{} · {}",
                product.approval_number, product.manufacturer_name
            ),
        ),
        (
            t.get("bid.package_price").into(),
            t.price(c.package_price.decimal()),
        ),
        (
            t.get("bid.units_per_package").into(),
            c.units_per_package.to_string(),
        ),
        (
            t.get("bid.unit_price").into(),
            format!("{} ({verdict})", t.price(c.unit_price.decimal())),
        ),
        (
            t.get("tender.maximum_valid_unit_price").into(),
            t.price(c.max_unit_price.decimal()),
        ),
    ]
}

/// The warning before a bid above the ceiling is sealed: the prices against the ceiling, and a
/// form that carries the values to post again with "submit anyway" (the documents are chosen
/// again: nothing of the bid is kept until it is sealed). Nothing is written: 422.
fn confirm_page(
    v: &Viewer,
    tender_id: i64,
    cmd: &SubmitBid,
    s: &Submitted,
    c: &PriceCheck,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let hidden = |name: &str, value: String| Field::text(name, "", &value).kind("hidden");
    let mut form = Form::new(
        bid_path(tender_id, cmd.lot_id),
        t.get("bid.submit_anyway"),
        vec![
            hidden("product_id", cmd.product_id.to_string()),
            hidden("annual_capacity", cmd.annual_capacity.to_string()),
            hidden(
                "package_price",
                match &cmd.price {
                    PriceIn::Clear(m) => m.to_string(),
                    PriceIn::Sealed(_) => String::new(),
                },
            ),
            hidden("confirm_above_max", "yes".into()),
            Field::text("documents", t.get("bid.documents_again"), "").kind("file"),
        ],
    );
    form.multipart = true;
    form.danger = true;
    let mut warning = Section::new(t.get("bid.above_max_title"));
    warning.text.push(t.msg(&c.warning()));
    warning.text.push(t.get("bid.above_max_note").into());
    warning.forms.push(form);
    warning.links.push(Link::new(
        bid_path(tender_id, cmd.lot_id),
        t.get("bid.change_the_price"),
    ));
    view::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &DetailPage {
            chrome: v.chrome(t.get("bid.above_max_title")),
            heading: t.get("bid.above_max_title").into(),
            props: price_props(&t, &s.product, c),
            actions: vec![],
            sections: vec![warning],
        },
    )
}

#[post("/tenders/{id}/lots/{lot}/bid")]
async fn submit_bid(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    let (tid, lid) = path.into_inner();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    // The principal, the lot and its tender are checked before the body is read: nothing is
    // uploaded to a lot that is not there or not open for bids (the write checks it again).
    let p = v.p.clone();
    let none = BTreeMap::new();
    match run(&state, move |cx| bids::ready(cx, &p, Some(tid), lid)).await {
        Ok(()) => {}
        Err(Error::Invalid(es)) => {
            return bid_form(&v, &state, (tid, lid), es, &none, unprocessable).await
        }
        Err(e) => return Err(e),
    }
    let (fields, files) = read_multipart(mp).await?;
    let cmd = match parse_submission(lid, &fields, files) {
        Ok(c) => c,
        Err(es) => return bid_form(&v, &state, (tid, lid), es, &fields, unprocessable).await,
    };
    let (writer, p, sent) = (state.bids.clone(), v.p.clone(), cmd.clone());
    match run(&state, move |cx| {
        bids::submit(cx, &writer, &p, Some(tid), sent)
    })
    .await
    {
        // Sealed: on to the receipt's own address (a reload does not submit again).
        Ok(s) => match &s.receipt {
            Some(r) => Ok(view::see_other(&format!("/bids/{}/receipt", r.bid_id))),
            None => match &s.price {
                Some(c) => confirm_page(&v, tid, &cmd, &s, c),
                None => Err(Error::Internal("a sealed bid was not written".into())),
            },
        },
        Err(Error::Invalid(es)) => {
            bid_form(&v, &state, (tid, lid), es, &fields, unprocessable).await
        }
        Err(e) => Err(e),
    }
}

#[post("/tenders/{id}/lots/{lot}/withdraw")]
async fn withdraw(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let ((tid, lid), p) = (path.into_inner(), v.p.clone());
    run(&state, move |cx| bids::withdraw(cx, &p, Some(tid), lid)).await?;
    Ok(view::see_other(&format!("/tenders/{tid}")))
}

#[derive(Deserialize)]
struct ScoreForm {
    #[serde(default)]
    score: String,
}

#[post("/bids/{id}/score")]
async fn score(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ScoreForm>,
) -> Result<HttpResponse, Error> {
    if v.p.role != crate::domain::roles::Role::Expert {
        return Err(Error::Forbidden(Code::OnlyExpertsScore.into()));
    }
    let (id, p) = (id.into_inner(), v.p.clone());
    let result = match bounds::whole("score", &f.score, bounds::SCORE) {
        Ok(s) => run(&state, move |cx| bids::score(cx, &p, id, s)).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(tid) => Ok(view::see_other(&format!("/tenders/{tid}"))),
        Err(e) => {
            let t = v.t;
            let form = Form::new(
                format!("/bids/{id}/score"),
                t.get("tender.score"),
                vec![
                    Field::text("score", t.get("tender.technical_score_0_100"), &f.score)
                        .inputmode("numeric")
                        .required(),
                ],
            );
            super::catalog::form_or_error(&v, t.get("tender.score"), form, e, None)
        }
    }
}

/// A bid's receipt, printable on A4.
#[derive(Template)]
#[template(path = "pages/bid_receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    heading: String,
    props: Vec<(String, String)>,
    /// (label, hex digest)
    digests: Vec<(String, String)>,
    notes: Vec<String>,
    back: Link,
    print: String,
    /// Asked as `?print=1`: the page as it prints (no menu), for browsers without script.
    print_view: bool,
}

#[derive(Deserialize)]
struct ReceiptQuery {
    print: Option<String>,
}

/// The receipt of a bid at its own address: its supplier opens it again (and prints it) any
/// time; staff and regulators read it too; anyone else: 404.
#[get("/bids/{id}/receipt")]
async fn receipt(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: web::Query<ReceiptQuery>,
) -> Result<HttpResponse, Error> {
    let (id, p, t) = (id.into_inner(), v.p.clone(), v.t);
    let r = run(&state, move |cx| bids::receipt(cx, &p, id)).await?;
    let heading = format!("{} · {}", t.get("tender.bid_receipt"), r.tender.title);
    view::ok(&ReceiptPage {
        chrome: v.chrome(t.get("tender.bid_receipt")),
        heading,
        props: receipt_props(&t, state.config.time_zone, &r),
        digests: vec![
            (
                t.get("tender.technical_envelope_sha_256").into(),
                r.bid.technical_digest.clone(),
            ),
            (
                t.get("tender.price_envelope_sha_256").into(),
                r.bid.commercial_digest.clone(),
            ),
        ],
        notes: receipt_notes(&t, &r),
        back: Link::new(
            format!("/tenders/{}", r.tender.id),
            t.get("tender.back_to_the_tender"),
        ),
        print: t.get("formui.print").to_string(),
        print_view: q.print.is_some(),
    })
}

/// What a receipt certifies: tender, lot, product, capacity, the lot's ceiling, when it was
/// received (province time and UTC), version, status; the price once the reader may see it;
/// that the server sealed it, when it did.
fn receipt_props(t: &Tr, tz: chrono_tz::Tz, r: &bids::BidReceipt) -> Vec<(String, String)> {
    let at = r.bid.submitted_at.and_utc();
    let received = format!(
        "{} ({} UTC)",
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S"),
        at.format("%Y-%m-%d %H:%M:%S")
    );
    let drug = super::pickers::drug_label(t, &r.drug);
    let mut props = vec![
        (t.get("tender.tender").into(), r.tender.title.clone()),
        (
            t.get("tender.lot").into(),
            format!("{} #{} · {drug}", t.get("tender.lot_2"), r.lot.lot_no),
        ),
        (
            t.get("tender.product").into(),
            format!(
                "{} {} · {} · {} · {} / {}",
                r.product.drug_name,
                r.product.strength,
                r.product.manufacturer_name,
                r.product.approval_number,
                r.product.units_per_package,
                t.get("tender.package")
            ),
        ),
        (
            t.get("tender.annual_capacity_units_of_use").into(),
            r.bid.annual_capacity.to_string(),
        ),
        (
            t.get("tender.maximum_valid_unit_price").into(),
            yuan(t, r.lot.max_unit_price),
        ),
        (
            t.get("tender.received_at_province_time_utc").into(),
            received,
        ),
        (t.get("tender.version").into(), r.bid.version.to_string()),
        (
            t.get("tender.status").into(),
            t.get(&format!("formui.bid_{}", r.bid.status.as_str()))
                .to_string(),
        ),
    ];
    if let Some(u) = r.bid.unit_price.filter(|_| r.price) {
        props.push((t.get("tender.unit_price").into(), yuan(t, u)));
    }
    if r.tender.sealing() == crate::sealing::Mode::Server {
        props.push((
            t.get("custody.sealing").into(),
            t.get("custody.sealed_by_server").into(),
        ));
    }
    props
}

/// What the receipt tells its reader: that the price stays sealed until the opening (when the
/// bidder sealed it), and to keep the receipt.
fn receipt_notes(t: &Tr, r: &bids::BidReceipt) -> Vec<String> {
    let mut notes = vec![];
    let by_server = r.tender.sealing() == crate::sealing::Mode::Server;
    if !r.state.prices_opened() && !by_server {
        notes.push(
            t.get("tender.your_price_is_sealed_no_one_center_staff_include")
                .to_string(),
        );
    }
    notes.push(t.get("formui.receipt_keep").to_string());
    notes
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(receipt)
        .service(bid_page)
        .service(submit_bid)
        .service(withdraw)
        .service(score);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::ops::sri;

    fn page(lang: &str, quorum: bool) -> String {
        let t = Tr::new(lang);
        let mut form = Form::new(
            bid_path(7, 8),
            t.get("tender.submit_the_sealed_bid"),
            vec![
                Field::select("product_id", "p", "5", vec![("5".into(), "five".into())]),
                Field::text("package_price", "price", "").inputmode("decimal"),
            ],
        );
        form.multipart = true;
        let to = SealTo {
            key: "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
            ids: (7, 8, 9),
            max_unit: 12_5000,
            units: vec![(5, 10), (6, 20)],
        };
        let scripts: &'static [Script] = if quorum {
            form = sealed_in_browser(&t, &to, form);
            sealing_scripts()
        } else {
            &[]
        };
        let chrome = Chrome {
            t,
            title: "bid".into(),
            user: Some("s".into()),
            role: None,
            nav: vec![],
            groups: vec![],
            csrf: "tok".into(),
            notice: None,
        };
        BidFormPage {
            chrome,
            heading: "h".into(),
            errors: vec![],
            form,
            back: None,
            scripts,
        }
        .render()
        .unwrap()
    }

    #[test]
    fn a_quorum_bid_page_loads_the_sealing_scripts_with_their_hashes() {
        for lang in ["en", "zh-CN"] {
            let html = page(lang, true);
            let noble = sri(include_str!("../../../templates/static/vendor/noble.js"));
            let seal = sri(include_str!("../../../templates/static/seal.js"));
            assert!(noble.starts_with("sha384-") && noble.len() == 7 + 64);
            for (src, hash) in [
                ("/static/vendor/noble.js", &noble),
                ("/static/seal.js", &seal),
            ] {
                let tag = format!(r#"<script src="{src}" integrity="{hash}" defer></script>"#);
                assert!(html.contains(&tag), "{lang}: no {tag} in {html}");
            }
            assert!(
                html.find("noble.js") < html.find("seal.js"),
                "noble.js loads first"
            );
            let t = Tr::new(lang);
            let needs = t.get("seal_js.needs_script").replace('\'', "&#39;");
            assert!(html.contains(&needs), "{lang}: {html}");
            assert!(html.contains(r#"class="needs-script" id="needs-script""#));
            assert!(html.contains("<button type=\"submit\" disabled>"), "{html}");
            for attr in [
                r#"data-seal="quorum""#,
                r#"data-tender-key="e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76""#,
                r#"data-tender-id="7""#,
                r#"data-lot-id="8""#,
                r#"data-supplier-id="9""#,
                r#"data-max-unit="125000""#,
                r#"data-units="5:10 6:20""#,
            ] {
                assert!(html.contains(attr), "{lang}: no {attr}");
            }
        }
        let en = page("en", true);
        assert!(en.contains("needs JavaScript"));
        assert!(page("zh-CN", true).contains("JavaScript"));
    }

    #[test]
    fn a_bid_page_sealed_by_the_server_has_no_script_and_an_enabled_button() {
        let html = page("en", false);
        assert!(!html.contains("seal.js") && !html.contains("noble.js"));
        assert!(!html.contains("needs-script") && !html.contains(" disabled"));
        assert!(!html.contains("data-seal"));
    }
}
