//! Errors as a person (HTML) or a program (JSON) sees them: the right status, a clear message,
//! nothing internal.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

pub use crate::app::Error;
use crate::domain::{Code, Msg};
use crate::i18n::Tr;

/// How an error of the application layer is answered over HTTP.
impl Error {
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

    /// The message in the reader's language.
    pub fn message(&self, t: &Tr) -> String {
        match self {
            Error::Unauthenticated => t.msg(&Msg::new(Code::PleaseLogIn)),
            Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::TooMany(m)
            | Error::TooLarge(m)
            | Error::BadRequest(m) => t.msg(m),
            Error::Invalid(es) => es
                .iter()
                .map(|e| t.invalid(e))
                .collect::<Vec<_>>()
                .join("; "),
            Error::Internal(_) => t.msg(&Msg::new(Code::ServerError)),
        }
    }

    /// The error page, in the reader's language.
    pub fn page(&self, t: &Tr) -> HttpResponse {
        if let Error::Unauthenticated = self {
            return HttpResponse::SeeOther()
                .insert_header(("Location", "/login"))
                .finish();
        }
        let key = format!("error.status_{}", self.status().as_u16());
        let title = match t.get(&key) {
            k if k == key => t.get("error.status_500"),
            title => title,
        }
        .to_string();
        let mut items = String::new();
        if let Error::Invalid(es) = self {
            for e in es {
                items.push_str(&format!(
                    "<li data-code=\"{}\"><b>{}</b>: {}</li>",
                    e.msg.code.as_str(),
                    escape(&e.field),
                    escape(&t.msg(&e.msg))
                ));
            }
        } else {
            let code = self
                .reason()
                .map(|m| m.code.as_str())
                .unwrap_or(self.code());
            items.push_str(&format!(
                "<li data-code=\"{code}\">{}</li>",
                escape(&self.message(t))
            ));
        }
        let body = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title>\
             <link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main class=\"error\">\
             <h1>{status} {title}</h1><ul class=\"errors\">{items}</ul>\
             <p><a href=\"/home\">{home}</a></p></main></body></html>",
            lang = t.lang,
            status = self.status().as_u16(),
            home = t.get("nav.home"),
        );
        HttpResponse::build(self.status())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }

    /// The JSON error of the API, in the reader's language.
    pub fn json(&self, t: &Tr) -> HttpResponse {
        let fields = match self {
            Error::Invalid(es) => es
                .iter()
                .map(|e| FieldError {
                    field: e.field.clone(),
                    code: e.msg.code,
                    args: args_of(&e.msg),
                    message: t.msg(&e.msg),
                })
                .collect(),
            _ => vec![],
        };
        let mut r = HttpResponse::build(self.status());
        if let Error::Unauthenticated = self {
            r.insert_header(("WWW-Authenticate", "Bearer"));
        }
        r.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().into(),
                reason: self.reason().map(|m| m.code),
                args: self.reason().map(args_of).unwrap_or_default(),
                message: match self {
                    Error::Unauthenticated => t.msg(&Msg::new(Code::BearerTokenRequired)),
                    e => e.message(t),
                },
                fields,
            },
        })
    }
}

fn args_of(m: &Msg) -> std::collections::BTreeMap<String, String> {
    m.args
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// For logs: in English.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(&Tr::new("en")))
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

/// The page of an error in the default language; `localize_errors` writes it again in the
/// reader's.
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.page(&Tr::new(crate::i18n::DEFAULT_LANG))
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
    /// The specific reason (a stable code) of a refusal other than `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<Code>,
    /// The reason's arguments.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub args: std::collections::BTreeMap<String, String>,
    /// For a person, in the language of `Accept-Language` (default zh-CN).
    pub message: String,
    /// For `invalid`: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    /// A stable code of what is wrong.
    #[schema(value_type = String)]
    pub code: Code,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub args: std::collections::BTreeMap<String, String>,
    /// For a person, in the language of `Accept-Language` (default zh-CN).
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
        self.0.json(&Tr::new(crate::i18n::DEFAULT_LANG))
    }
}
