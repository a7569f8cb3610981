//! Errors as a person (HTML) or a program (JSON) sees them: the right status, a clear message,
//! nothing internal.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

use crate::domain::import::RowError;
use crate::domain::Invalid;
use crate::store::StoreError;

#[derive(Debug)]
pub enum Error {
    /// Not logged in (pages redirect to the login page).
    Unauthenticated,
    /// Logged in but not allowed.
    Forbidden(String),
    NotFound(String),
    Invalid(Vec<Invalid>),
    Conflict(String),
    TooMany(String),
    /// A body over its size limit (413).
    TooLarge(String),
    BadRequest(String),
    Internal(String),
}

impl Error {
    pub fn forbidden() -> Self {
        Error::Forbidden("you are not allowed to do this".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::TooMany(_) => "too_many_requests",
            Error::TooLarge(_) => "too_large",
            Error::BadRequest(_) => "bad_request",
            Error::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Error::Unauthenticated => "please log in".into(),
            Error::Forbidden(m)
            | Error::Conflict(m)
            | Error::TooMany(m)
            | Error::TooLarge(m)
            | Error::BadRequest(m) => m.clone(),
            Error::NotFound(what) => format!("{what} not found"),
            Error::Invalid(es) => es
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            Error::Internal(_) => "something went wrong on the server; the error was logged".into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Error::NotFound(what),
            StoreError::Conflict(m) => Error::Conflict(m),
            StoreError::Invalid(es) => Error::Invalid(es),
            StoreError::Rejected(rows) => {
                Error::Invalid(rows.into_iter().map(row_invalid).collect())
            }
            other => {
                tracing::error!("store: {other}");
                Error::Internal(other.to_string())
            }
        }
    }
}

fn row_invalid(r: RowError) -> Invalid {
    Invalid::new(format!("row {} {}", r.row, r.field), r.message)
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(vec![e])
    }
}

impl From<Vec<Invalid>> for Error {
    fn from(e: Vec<Invalid>) -> Self {
        Error::Invalid(e)
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        tracing::error!("template: {e}");
        Error::Internal(e.to_string())
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page of an error: both languages, since the error may come before the user's is known.
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Error::Unauthenticated = self {
            return HttpResponse::SeeOther()
                .insert_header(("Location", "/login"))
                .finish();
        }
        let (zh, en) = match self.status().as_u16() {
            403 => ("无权访问", "Forbidden"),
            404 => ("未找到", "Not found"),
            409 => ("冲突", "Conflict"),
            422 => ("输入有误", "Invalid input"),
            429 => ("请求过于频繁", "Too many requests"),
            413 => ("内容过大", "Too large"),
            400 => ("请求有误", "Bad request"),
            _ => ("服务器错误", "Server error"),
        };
        let mut items = String::new();
        if let Error::Invalid(es) = self {
            for e in es {
                items.push_str(&format!(
                    "<li><b>{}</b>: {}</li>",
                    escape(&e.field),
                    escape(&e.message)
                ));
            }
        } else {
            items.push_str(&format!("<li>{}</li>", escape(&self.message())));
        }
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{zh} / {en}</title>\
             <link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main class=\"error\">\
             <h1>{} {zh} / {en}</h1><ul class=\"errors\">{items}</ul>\
             <p><a href=\"/home\">首页 / Home</a></p></main></body></html>",
            self.status().as_u16()
        );
        HttpResponse::build(self.status())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// The JSON body of an API error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: unauthenticated, forbidden, not_found, invalid, conflict, …
    pub code: String,
    /// For a person.
    pub message: String,
    /// For `invalid`: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An error of the JSON API: `{"error": {"code": …, "message": …}}`.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let fields = match &self.0 {
            Error::Invalid(es) => es
                .iter()
                .map(|e| FieldError {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            _ => vec![],
        };
        let mut r = HttpResponse::build(self.0.status());
        if let Error::Unauthenticated = self.0 {
            r.insert_header(("WWW-Authenticate", "Bearer"));
        }
        r.json(ErrorBody {
            error: ErrorDetail {
                code: self.0.code().into(),
                message: match &self.0 {
                    Error::Unauthenticated => "a valid bearer token is required".into(),
                    e => e.message(),
                },
                fields,
            },
        })
    }
}
