//! Uploads over HTTP, on both databases: spreadsheets (demand and catalog import) and bid
//! documents are refused, naming the limit, when they pass one — a 1.5 KB XLSX whose used range
//! is the whole sheet, a ZIP bomb, 10 MB of near-empty CSV rows, an oversize body, an oversize
//! PDF — and change nothing; an upload to a target that is not there, not open or not the
//! user's is refused before its body is read (an oversize body gets 403/404/422, not 413);
//! ordinary CSV and XLSX uploads keep working.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::{app, state_with_demo, Client, TestDb, PW};
use jicai::domain::tender::TenderState;
use jicai::store::{catalog, parties, tenders as ts, users};
use jicai::web::AppState;
use std::io::{Cursor, Write};

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn local(state: &AppState, d: Duration) -> String {
    (state.clock.now() + d)
        .with_timezone(&state.config.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn id_from(location: Option<&str>) -> i64 {
    location
        .and_then(|l| l.rsplit('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

/// The cells given, as strings, in an XLSX.
fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, v) in cells {
        ws.write_string(*r, *c, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// The 1.5 KB workbook whose used range is the whole sheet: A1 and XFD1048576.
fn whole_sheet_xlsx() -> Vec<u8> {
    xlsx(&[(0, 0, "drug_code"), (1_048_575, 16_383, "x")])
}

/// A workbook whose worksheet unpacks to 30 MB (of spaces): a few tens of KB uploaded.
fn zip_bomb_xlsx() -> Vec<u8> {
    let base = xlsx(&[(0, 0, "a")]);
    let mut src = zip::ZipArchive::new(Cursor::new(&base[..])).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut e = src.by_index(i).unwrap();
        let name = e.name().to_string();
        out.start_file(&name, opts).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            out.write_all(b"<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c></row></sheetData>").unwrap();
            let spaces = vec![b' '; 1024 * 1024];
            for _ in 0..30 {
                out.write_all(&spaces).unwrap();
            }
            out.write_all(b"</worksheet>").unwrap();
        } else {
            std::io::copy(&mut e, &mut out).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// About 10 MB of CSV: a header and millions of near-empty rows.
fn near_empty_rows_csv(header: &str) -> Vec<u8> {
    let mut s = format!("{header}\n").into_bytes();
    while s.len() < 10 * 1024 * 1024 {
        s.extend_from_slice(b",,\n");
    }
    s
}

/// A body over the 20 MB limit of a spreadsheet.
fn oversize() -> Vec<u8> {
    let mut s = b"drug_code,quantity\n".to_vec();
    s.resize(21 * 1024 * 1024, b'1');
    s
}

struct Demand {
    window: i64,
    closed: i64,
    scope: Vec<i64>,
    clinic_code: String,
}

/// An open and a closed demand window, made by the center.
async fn windows<S, B>(state: &AppState, center: &mut Client<S>) -> Demand
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    center.get("/home").await;
    let mut ids = vec![];
    for title in ["open window", "closed window"] {
        let r = center
            .post(
                "/demand",
                &[
                    ("title", title),
                    ("closes_at", &local(state, Duration::days(1))),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ids.push(id_from(r.location()));
    }
    let r = center.post(&format!("/demand/{}/close", ids[1]), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut c = conn(state);
    let inst = users::by_username(&mut c, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let mut scope = parties::children_of(&mut c, inst).unwrap();
    let clinic_code = parties::get_institution(&mut c, scope[0]).unwrap().code;
    scope.push(inst);
    Demand {
        window: ids[0],
        closed: ids[1],
        scope,
        clinic_code,
    }
}

fn reports(state: &AppState, d: &Demand) -> usize {
    ts::reports_of(&mut conn(state), d.window, &d.scope)
        .unwrap()
        .len()
}

fn drug_count(state: &AppState) -> i64 {
    catalog::search_drugs(
        &mut conn(state),
        "",
        None,
        &jicai::domain::paging::PageRequest::new(None, None),
    )
    .unwrap()
    .total
}

async fn malicious_spreadsheets_are_refused_naming_the_limit_and_change_nothing(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let d = windows(&state, &mut center).await;
    let mut inst = Client::logged_in(app.clone(), "institution", "/home").await;
    let path = format!("/demand/{}/upload", d.window);
    let before = reports(&state, &d);

    let r = inst.upload(&path, "demand.xlsx", &whole_sheet_xlsx()).await;
    common::assert_refused_saying(&r, "upload_too_many_rows", "超过单次上传的上限 50000 行");
    let r = inst.upload(&path, "demand.xlsx", &zip_bomb_xlsx()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("data-code=\"xlsx_sheet_declares_too_much\"")
            && r.body.contains("声明解压后 30 MB；每个工作表最多 24 MB"),
        "{}",
        r.body
    );
    let csv = near_empty_rows_csv("institution_code,drug_code,quantity");
    let r = inst.upload(&path, "demand.csv", &csv).await;
    common::assert_refused_saying(&r, "upload_too_many_rows", "超过单次上传的上限 50000 行");
    let r = inst.upload(&path, "demand.csv", &oversize()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains("data-code=\"file_too_large\""),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("文件超过单次上传的上限 20 MB"),
        "{}",
        r.body
    );
    assert_eq!(reports(&state, &d), before, "nothing reported");

    // The same files to the catalog import.
    center.get("/import").await;
    let drugs = drug_count(&state);
    let r = center
        .upload("/import/drugs", "drugs.xlsx", &whole_sheet_xlsx())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("超过单次上传的上限 50000 行"), "{}", r.body);
    let r = center
        .upload("/import/drugs", "drugs.xlsx", &zip_bomb_xlsx())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("每个工作表最多"), "{}", r.body);
    let csv = near_empty_rows_csv("code,name_zh,name_en,form,strength,unit");
    let r = center.upload("/import/drugs", "drugs.csv", &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("超过单次上传的上限 50000 行"), "{}", r.body);
    let wide = format!("code,{}\n", "x,".repeat(100));
    let r = center
        .upload("/import/drugs", "drugs.csv", wide.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("超过单次上传的上限 64 列"), "{}", r.body);
    let long = format!("code\n{}\n", "长".repeat(1001));
    let r = center
        .upload("/import/drugs", "drugs.csv", long.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("第 2 行第 1 列：单元格超过上限 1000 个字符"),
        "{}",
        r.body
    );
    let r = center
        .upload("/import/products", "products.csv", &oversize())
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(drug_count(&state), drugs, "nothing imported");
}

async fn uploads_to_targets_not_theirs_are_refused_before_the_body_is_read(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let d = windows(&state, &mut center).await;
    let mut inst = Client::logged_in(app.clone(), "institution", "/home").await;
    let mut supplier = Client::logged_in(app.clone(), "supplier", "/home").await;
    let big = oversize();

    // Demand: a closed window, a window that is not there, users who do not report demand.
    let r = inst
        .upload(&format!("/demand/{}/upload", d.closed), "d.csv", &big)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(r#"data-code="demand_window_closed""#),
        "{}",
        r.body
    );
    let r = inst.upload("/demand/999999/upload", "d.csv", &big).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let path = format!("/demand/{}/upload", d.window);
    assert_eq!(
        supplier.upload(&path, "d.csv", &big).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        center.upload(&path, "d.csv", &big).await.status,
        StatusCode::FORBIDDEN
    );
    // Import: only the center, only known kinds.
    assert_eq!(
        inst.upload("/import/drugs", "d.csv", &big).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        supplier
            .upload("/import/products", "d.csv", &big)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    center.get("/import").await;
    assert_eq!(
        center.upload("/import/nothing", "d.csv", &big).await.status,
        StatusCode::NOT_FOUND
    );
    // Bids: a lot that is not there, a lot of another tender, an institution.
    let pdf = big_pdf();
    let (tender, lot) = open_lot(&state);
    let files: &[(&str, &str, &[u8])] = &[("documents", "big.pdf", &pdf)];
    let r = supplier
        .multipart(&format!("/tenders/{tender}/lots/999999/bid"), &[], files)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = supplier
        .multipart(&format!("/tenders/999999/lots/{lot}/bid"), &[], files)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = inst
        .multipart(&format!("/tenders/{tender}/lots/{lot}/bid"), &[], files)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A lot of a tender that is not open for bids.
    let closed = ts::tenders_list(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find(|t| !matches!(t.state(), TenderState::Open | TenderState::Draft))
        .expect("a demo tender past bidding");
    let closed_lot = ts::lots_of(&mut conn(&state), closed.id).unwrap()[0].id;
    let r = supplier
        .multipart(
            &format!("/tenders/{}/lots/{closed_lot}/bid", closed.id),
            &[],
            files,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The bid form again, with the refusal in the supplier's language (the demo's: zh-CN).
    let refusal = jicai::i18n::Tr::new("zh-CN").msg(
        &jicai::domain::Msg::new(jicai::domain::Code::TenderNotOpenForBids)
            .arg("state", closed.state().as_str().replace('_', " ")),
    );
    assert!(r.body.contains(&refusal), "{refusal}: {}", r.body);

    // The same oversize body to an open window: now it is read, and refused at the limit.
    let r = inst.upload(&path, "d.csv", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
}

/// A PDF over the 10 MB limit of one document.
fn big_pdf() -> Vec<u8> {
    let mut p = b"%PDF-1.4\n".to_vec();
    p.resize(10 * 1024 * 1024 + 1, b' ');
    p
}

/// The demo's tender open for bids and its first lot.
fn open_lot(state: &AppState) -> (i64, i64) {
    let t = ts::tenders_list(&mut conn(state))
        .unwrap()
        .into_iter()
        .find(|t| t.state() == TenderState::Open)
        .expect("the demo tender open for bids");
    (t.id, ts::lots_of(&mut conn(state), t.id).unwrap()[0].id)
}

async fn bid_documents_are_refused_at_their_limits(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut supplier = Client::logged_in(app.clone(), "supplier", "/home").await;
    let (tender, lot) = open_lot(&state);
    let path = format!("/tenders/{tender}/lots/{lot}/bid");
    let before = ts::bids_of_lot(&mut conn(&state), lot).unwrap().len();
    let fields = [
        ("product_id", "1"),
        ("annual_capacity", "1000"),
        ("package_price", "10.00"),
    ];
    let pdf = big_pdf();
    let r = supplier
        .multipart(&path, &fields, &[("documents", "big.pdf", &pdf)])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains(r#"data-code="document_too_large""#)
            && r.body.contains("big.pdf")
            && r.body.contains("10 MB"),
        "{}",
        r.body
    );
    // Four documents of 8 MB: each fits, together they pass the 30 MB of one bid.
    let eight = {
        let mut p = b"%PDF-1.4\n".to_vec();
        p.resize(8 * 1024 * 1024, b' ');
        p
    };
    let four: Vec<(&str, &str, &[u8])> = ["a.pdf", "b.pdf", "c.pdf", "d.pdf"]
        .iter()
        .map(|n| ("documents", *n, &eight[..]))
        .collect();
    let r = supplier.multipart(&path, &fields, &four).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains(r#"data-code="documents_too_large""#) && r.body.contains("30 MB"),
        "{}",
        r.body
    );
    // Eleven small documents: one more than a bid may carry.
    let small = b"%PDF-1.4\n%%EOF\n".to_vec();
    let eleven: Vec<(&str, &str, &[u8])> = (0..11)
        .map(|_| ("documents", "s.pdf", &small[..]))
        .collect();
    let r = supplier.multipart(&path, &fields, &eleven).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(r#"data-code="too_many_documents""#) && r.body.contains("10"),
        "{}",
        r.body
    );
    // The API takes documents too (base64 in JSON): the same count limit.
    let token = common::token_for(&state, "supplier");
    let doc = serde_json::json!({"name": "s.pdf", "content_base64": "JVBERi0xLjQKJSVFT0YK"});
    let r = supplier
        .api_post(
            &format!("/api/v1/lots/{lot}/bid"),
            &token,
            Some(serde_json::json!({
                "product_id": 1,
                "annual_capacity": 1000,
                "package_price": "10.00",
                "documents": vec![doc; 11],
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "too_many_documents",
        "{}",
        r.body
    );
    assert_eq!(r.json()["error"]["fields"][0]["args"]["max"], "10");
    assert_eq!(
        ts::bids_of_lot(&mut conn(&state), lot).unwrap().len(),
        before,
        "no bid stored"
    );
}

async fn ordinary_csv_and_xlsx_demand_uploads_are_stored(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let d = windows(&state, &mut center).await;
    let mut inst = Client::logged_in(app.clone(), "institution", "/home").await;
    let path = format!("/demand/{}/upload", d.window);
    let csv = format!(
        "institution_code,drug_code,quantity\n{},D0012,500\n",
        d.clinic_code
    );
    let r = inst.upload(&path, "demand.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // An XLSX whose table starts at B3, with a second drug and a trailing empty row.
    let book = xlsx(&[
        (2, 1, "institution_code"),
        (2, 2, "drug_code"),
        (2, 3, "quantity"),
        (3, 1, &d.clinic_code),
        (3, 2, "D0001"),
        (3, 3, "40"),
    ]);
    let r = inst.upload(&path, "demand.xlsx", &book).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let got = ts::reports_of(&mut conn(&state), d.window, &d.scope).unwrap();
    let mut q: Vec<(String, i64)> = got.iter().map(|r| (r.3.clone(), r.6)).collect();
    q.sort();
    assert_eq!(
        q,
        vec![("D0001".to_string(), 40), ("D0012".to_string(), 500)]
    );
}

on_both_databases!(
    demo: malicious_spreadsheets_are_refused_naming_the_limit_and_change_nothing,
    uploads_to_targets_not_theirs_are_refused_before_the_body_is_read,
    bid_documents_are_refused_at_their_limits,
    ordinary_csv_and_xlsx_demand_uploads_are_stored,
);
