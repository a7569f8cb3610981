//! Spreadsheet import (drugs, products, institutions, suppliers, licences): the page, the
//! upload read as a stream under its limit, the report of what was refused; the upload reader
//! serves the demand upload too.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use futures_util::StreamExt;

use crate::domain::import;
use crate::domain::{Code, Invalid, Msg};
use crate::store::catalog as cat;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Section, Table};
use crate::web::{db, AppState, Error};

fn import_forms(v: &Viewer) -> Vec<Section> {
    let t = &v.t;
    let mut out = vec![];
    for (kind, cols) in [
        ("drugs", import::DRUG_COLUMNS),
        ("products", import::PRODUCT_COLUMNS),
    ] {
        let mut s = Section::new(t.get(&format!("import.{kind}")));
        s.text.push(format!(
            "{}: {}",
            t.get("import.columns"),
            cols.iter()
                .map(|c| if c.required {
                    format!("{}*", c.field)
                } else {
                    c.field.to_string()
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let mut f = Form::new(
            format!("/import/{kind}"),
            t.get("action.upload"),
            vec![Field::text("file", t.get("field.file"), "")
                .kind("file")
                .required()],
        );
        f.multipart = true;
        s.forms.push(f);
        out.push(s);
    }
    out
}

#[get("/import")]
async fn import_page(v: Viewer) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    view::ok(&DetailPage {
        chrome: v.chrome(v.t.get("nav.import")),
        heading: v.t.get("nav.import").to_string(),
        props: vec![],
        actions: vec![],
        sections: import_forms(&v),
    })
}

/// Reads the `file` part of a multipart upload, refusing it (413) as soon as it passes the byte
/// limit of a spreadsheet: at most that many bytes are ever held. Call it only once the user
/// and the target have been checked.
pub async fn read_upload(mut mp: Multipart) -> Result<(String, Vec<u8>), Error> {
    let limit = crate::sheet::Limits::DEFAULT.file_bytes;
    while let Some(item) = mp.next().await {
        let mut part =
            item.map_err(|e| Error::BadRequest(Msg::new(Code::UploadUnreadable).arg("detail", e)))?;
        let name = part
            .content_disposition()
            .and_then(|cd| cd.get_name())
            .unwrap_or("")
            .to_string();
        if name != "file" {
            continue;
        }
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or("upload")
            .chars()
            .take(255)
            .collect::<String>();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| {
                Error::BadRequest(Msg::new(Code::UploadUnreadable).arg("detail", e))
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(Error::TooLarge(
                    Msg::new(Code::FileTooLarge).arg("mb", limit / (1024 * 1024)),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(Invalid::new("file", Code::UploadEmpty).into());
        }
        return Ok((file_name, bytes));
    }
    Err(Invalid::new("file", Code::UploadMissing).into())
}

/// Reads an uploaded spreadsheet under its limits, on the blocking pool (never on an HTTP
/// worker): parsing is CPU work.
pub async fn parse_upload(file_name: String, bytes: Vec<u8>) -> Result<Vec<Vec<String>>, Error> {
    Ok(web::block(move || crate::sheet::read_table(&file_name, &bytes)).await??)
}

fn report_page(
    v: &Viewer,
    kind: &str,
    report: &import::ImportReport,
) -> Result<HttpResponse, Error> {
    let t = &v.t;
    let mut s = Section::new(t.get("import.report"));
    if report.errors.is_empty() {
        s.text.push(
            t.get("import.done")
                .replace("{n}", &report.imported.to_string()),
        );
    } else {
        s.text.push(
            t.get("import.rejected")
                .replace("{n}", &report.errors.len().to_string()),
        );
        s.table = Some(Table {
            columns: vec![
                t.get("import.row").into(),
                t.get("import.field").into(),
                t.get("import.problem").into(),
            ],
            rows: report
                .errors
                .iter()
                .map(|e| {
                    vec![
                        Cell::num(e.row.to_string()),
                        Cell::text(&e.field),
                        Cell::text(t.msg(&e.msg)).with_class("bad"),
                    ]
                })
                .collect(),
        });
    }
    let mut sections = vec![s];
    sections.extend(import_forms(v));
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(t.get("nav.import")),
            heading: format!(
                "{} · {}",
                t.get("nav.import"),
                t.get(&format!("import.{kind}"))
            ),
            props: vec![
                (t.get("import.rows").into(), report.rows.to_string()),
                (t.get("import.imported").into(), report.imported.to_string()),
            ],
            actions: vec![],
            sections,
        },
    )
}

/// Reads, validates and imports a spreadsheet of drugs or products: all rows or none.
pub async fn run_import(
    state: &AppState,
    actor: &str,
    kind: &str,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<import::ImportReport, Error> {
    let table = parse_upload(file_name, bytes).await?;
    let act = state.act(actor);
    let report = match kind {
        "drugs" => match import::drug_rows(&table) {
            Ok(rows) => db(state, move |c| cat::import_drugs(c, &act, &rows)).await?,
            Err(errors) => import::ImportReport {
                rows: table.len().saturating_sub(1),
                imported: 0,
                errors,
            },
        },
        "products" => match import::product_rows(&table) {
            Ok(rows) => db(state, move |c| cat::import_products(c, &act, &rows)).await?,
            Err(errors) => import::ImportReport {
                rows: table.len().saturating_sub(1),
                imported: 0,
                errors,
            },
        },
        other => {
            return Err(Error::NotFound(
                Msg::new(Code::ImportKindNotFound).arg("kind", other),
            ))
        }
    };
    Ok(report)
}

#[post("/import/{kind}")]
async fn import_upload(
    v: Viewer,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let kind = kind.into_inner();
    if kind != "drugs" && kind != "products" {
        return Err(Error::NotFound(
            Msg::new(Code::ImportKindNotFound).arg("kind", &kind),
        ));
    }
    let (file_name, bytes) = read_upload(mp).await?;
    let report = match run_import(&state, &v.p.username, &kind, file_name, bytes).await {
        Ok(r) => r,
        Err(Error::Invalid(es)) => import::ImportReport {
            rows: 0,
            imported: 0,
            errors: es
                .into_iter()
                .map(|e| import::RowError::new(1, e))
                .collect(),
        },
        Err(e) => return Err(e),
    };
    report_page(&v, &kind, &report)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(import_page).service(import_upload);
}
