//! The OpenAPI document as served, and the answers of the API to what no handler takes.
//!
//! utoipa generates the document from the handlers' annotations; [`document`] then adds what
//! holds for every operation alike, so that no annotation can forget it:
//! - `401` with the JSON error body on every operation that needs a bearer token (the
//!   `ApiUser` extractor answers it before the handler runs);
//! - `400` on every operation with a request body or query parameters (an unreadable body or
//!   query is refused by the extractor configs of [`super::api::scope`]);
//! - `404` on every operation with path parameters (a path value that is not of the declared
//!   type, or names nothing, is "not found");
//! - the closed sets of words (states, categories, kinds, roles, reasons…) as `enum`s, taken
//!   from the domain's own lists so that they cannot drift from what the server accepts and
//!   sends;
//! - tuples as JSON Schema 2020-12 `prefixItems` (utoipa writes an array of schemas under
//!   `items`, which OpenAPI 3.1 does not allow).
//!
//! [`fallback`] answers an unknown path under `/api/` with a JSON 404, and a known path with a
//! method it does not have with a JSON 405 and an `Allow` header listing the methods it has.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

use super::error::{ErrorBody, ErrorDetail};
use crate::domain::catalog::{
    Category, CreditStatus, InstitutionKind, LicenceKind, ListOrigin, RegionLevel, SupplierKind,
    Unit,
};
use crate::domain::orders::{DeclineReason, OrderState, ReceiptOutcome, RejectReason};
use crate::domain::roles::Role;
use crate::domain::shortage::{EventKind, Level, Scope as ShortageScope, ShortageStatus};
use crate::domain::tender::{TechnicalResult, TenderAction, TenderState};
use crate::domain::{Code, Msg};

type Words = fn() -> Vec<&'static str>;

macro_rules! all_words {
    ($t:ty) => {
        || <$t>::ALL.iter().map(|x| x.as_str()).collect()
    };
}

/// (schema, property, its words): properties of the components that hold one of a closed set.
pub const PROPERTY_ENUMS: &[(&str, &str, Words)] = &[
    ("Drug", "unit", all_words!(Unit)),
    ("Drug", "origin", all_words!(ListOrigin)),
    ("Drug", "category", all_words!(Category)),
    ("NewDrug", "unit", all_words!(Unit)),
    ("NewDrug", "origin", all_words!(ListOrigin)),
    ("NewDrug", "category", all_words!(Category)),
    ("Institution", "kind", all_words!(InstitutionKind)),
    ("Supplier", "kind", all_words!(SupplierKind)),
    ("Supplier", "credit_status", all_words!(CreditStatus)),
    ("Licence", "kind", all_words!(LicenceKind)),
    ("Region", "level", all_words!(RegionLevel)),
    ("Me", "role", all_words!(Role)),
    ("TenderOut", "state", all_words!(TenderState)),
    ("BidOut", "technical_result", all_words!(TechnicalResult)),
    ("OrderOut", "state", all_words!(OrderState)),
    ("OrderLineOut", "declined_reason", all_words!(DeclineReason)),
    ("DeliveryLineOut", "receipt", all_words!(ReceiptOutcome)),
    (
        "DeliveryLineOut",
        "receipt_reason",
        all_words!(RejectReason),
    ),
    ("DeclineIn", "reason", all_words!(DeclineReason)),
    ("ConfirmIn", "outcome", || vec!["accepted", "rejected"]),
    ("ConfirmIn", "reason", all_words!(RejectReason)),
    ("ShortageOut", "level", all_words!(Level)),
    ("ShortageOut", "scope", all_words!(ShortageScope)),
    ("ShortageOut", "status", all_words!(ShortageStatus)),
    ("LotBidsOut", "state", all_words!(TenderState)),
    ("LotBidsOut", "stage", || vec!["technical", "commercial"]),
    ("TechnicalOut", "result", all_words!(TechnicalResult)),
    ("LicenceOut", "kind", all_words!(LicenceKind)),
    ("CommercialOut", "invalid_reason", || {
        [
            Code::BidNotQualified,
            Code::BidPriceNotPositive,
            Code::BidPriceAboveMax,
        ]
        .iter()
        .map(|c| c.as_str())
        .collect()
    }),
    ("HistoryOut", "change", all_words!(EventKind)),
    ("HistoryOut", "level", all_words!(Level)),
    ("HistoryOut", "scope", all_words!(ShortageScope)),
];

/// (path, method, parameter, its words): parameters that take one of a closed set.
pub const PARAMETER_ENUMS: &[(&str, &str, &str, Words)] = &[
    ("/api/v1/drugs", "get", "category", all_words!(Category)),
    ("/api/v1/orders", "get", "state", all_words!(OrderState)),
    ("/api/v1/shortages", "get", "level", all_words!(Level)),
    (
        "/api/v1/shortages",
        "get",
        "status",
        all_words!(ShortageStatus),
    ),
    (
        "/api/v1/tenders/{id}/actions/{action}",
        "post",
        "action",
        all_words!(TenderAction),
    ),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Sets `enum` on a schema of a string (or of a string or null), keeping `null` allowed where it was.
fn set_enum(schema: &mut Value, words: &[&str], what: &str) {
    let nullable = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    let is_string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    assert!(is_string, "{what} is not a string: {schema}");
    let mut values: Vec<Value> = words.iter().map(|w| Value::from(*w)).collect();
    if nullable {
        values.push(Value::Null);
    }
    schema["enum"] = Value::Array(values);
}

/// Makes every tuple (`items: [a, b, …]` or `prefixItems`) an array of fixed length whose items
/// are any of the tuple's schemas: schemathesis (and other OpenAPI tools) read `items` the
/// OpenAPI 3.0 way and refuse a list of schemas there.
fn fix_tuples(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let tuple = match (m.remove("prefixItems"), m.get("items")) {
                (Some(Value::Array(xs)), _) => Some(xs),
                (_, Some(Value::Array(xs))) => Some(xs.clone()),
                _ => None,
            };
            if let Some(mut xs) = tuple {
                let n = xs.len();
                xs.dedup();
                let mut distinct: Vec<Value> = vec![];
                for x in xs {
                    if !distinct.contains(&x) {
                        distinct.push(x);
                    }
                }
                let items = if distinct.len() == 1 {
                    distinct.remove(0)
                } else {
                    json!({ "anyOf": distinct })
                };
                m.insert("items".into(), items);
                m.insert("minItems".into(), n.into());
                m.insert("maxItems".into(), n.into());
            }
            for (_, x) in m.iter_mut() {
                fix_tuples(x);
            }
        }
        Value::Array(xs) => xs.iter_mut().for_each(fix_tuples),
        _ => {}
    }
}

fn add_common_responses(op: &mut Map<String, Value>, secured_by_default: bool) {
    let public = match op.get("security") {
        Some(Value::Array(reqs)) => reqs
            .iter()
            .all(|r| r.as_object().is_some_and(|o| o.is_empty())),
        _ => !secured_by_default,
    };
    let params: Vec<String> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.get("in").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let has_body = op.contains_key("requestBody");
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| error_response(description));
    };
    if !public {
        add("401", "No bearer token, or one that is unknown or revoked");
    }
    if has_body || params.iter().any(|p| p == "query") {
        add("400", "The body or the query could not be read");
    }
    if params.iter().any(|p| p == "path") {
        add(
            "404",
            "Nothing of this id (or a path value that is not one)",
        );
    }
}

/// A decimal as `rust_decimal` reads it from JSON: a string of digits, or a number.
fn decimal_schema() -> Value {
    json!({
        "type": ["string", "number"],
        "pattern": "^-?[0-9]{1,20}([.][0-9]{1,8})?$",
        "minimum": -1e20,
        "maximum": 1e20,
    })
}

/// The award policy of a lot, as `domain::award::AwardPolicy` reads it (tagged by `kind`;
/// missing parameters of `multiple_winners` take the province defaults).
fn policy_schema(description: Value) -> Value {
    let kind = |k: &str| json!({"type": "string", "enum": [k]});
    json!({
        "description": description,
        "oneOf": [
            {"type": "object", "required": ["kind"], "properties": {"kind": kind("lowest_price")}},
            {"type": "object", "required": ["kind"], "properties": {
                "kind": kind("multiple_winners"),
                "max_winners": {"type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64},
                "price_ratio": decimal_schema(),
                "absolute_floor": {"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX, "description": "yuan in 1/10,000"},
                "max_price_fraction": decimal_schema(),
                "shares": {"type": "array", "items": decimal_schema()},
            }},
            {"type": "object", "required": ["kind", "technical_weight", "price_weight"], "properties": {
                "kind": kind("composite_score"),
                "technical_weight": decimal_schema(),
                "price_weight": decimal_schema(),
            }},
        ]
    })
}

/// Gives every `integer` of format int32/int64 the bounds of its type (serde refuses the rest).
fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let bounds = match m.get("format").and_then(Value::as_str) {
                Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                _ => None,
            };
            if let Some((lo, hi)) = bounds {
                m.entry("minimum").or_insert(lo);
                m.entry("maximum").or_insert(hi);
            }
            m.values_mut().for_each(bound_integers);
        }
        Value::Array(xs) => xs.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The document as `/api/openapi.json` serves it (see the module's description).
pub fn document(doc: &utoipa::openapi::OpenApi) -> Value {
    let mut v = serde_json::to_value(doc).expect("the OpenAPI document serializes");
    fix_tuples(&mut v);
    let secured_by_default = v
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for m in METHODS {
                if let Some(op) = item.get_mut(*m).and_then(Value::as_object_mut) {
                    add_common_responses(op, secured_by_default);
                }
            }
        }
    }
    let lot = v
        .pointer_mut("/components/schemas/LotIn/properties")
        .expect("LotIn is in the document");
    let description = lot["policy"]["description"].take();
    lot["policy"] = policy_schema(description);
    let description = lot["agreed_share_percent"]["description"].take();
    lot["agreed_share_percent"] = decimal_schema();
    lot["agreed_share_percent"]["description"] = description;
    bound_integers(&mut v);
    for (schema, prop, words) in PROPERTY_ENUMS {
        let s = v
            .pointer_mut(&format!("/components/schemas/{schema}/properties/{prop}"))
            .unwrap_or_else(|| panic!("no property {schema}.{prop} in the document"));
        set_enum(s, &words(), &format!("{schema}.{prop}"));
    }
    for (path, method, name, words) in PARAMETER_ENUMS {
        let params = v
            .pointer_mut(&format!(
                "/paths/{}/{method}/parameters",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_array_mut)
            .unwrap_or_else(|| panic!("no parameters of {method} {path} in the document"));
        let p = params
            .iter_mut()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("no parameter {name} of {method} {path}"));
        // A parameter is absent or a word; never null.
        if p["schema"]["type"].is_array() {
            p["schema"]["type"] = "string".into();
        }
        set_enum(
            &mut p["schema"],
            &words(),
            &format!("{method} {path} {name}"),
        );
    }
    v
}

/// The served document, made once per process (the handlers' annotations do not change).
pub fn served(doc: &utoipa::openapi::OpenApi) -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| document(doc))
}

/// Whether a path template such as `/api/v1/orders/{id}` matches a request path.
fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// The methods a request path has, by the document (upper case); empty when the path is unknown.
pub fn methods_of(doc: &Value, path: &str) -> Vec<String> {
    if path == "/api/openapi.json" {
        return vec!["GET".into()];
    }
    let mut out = vec![];
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (template, item) in paths {
            if template_matches(template, path) {
                for m in METHODS {
                    if item.get(*m).is_some() {
                        let m = m.to_uppercase();
                        if !out.contains(&m) {
                            out.push(m);
                        }
                    }
                }
            }
        }
    }
    out
}

/// What `/api/…` answers when no handler takes the request: 404 for an unknown path, 405 (with
/// `Allow`) for a known path and a method it does not have, 204 (with `Allow`) to `OPTIONS`.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    unrouted(&req)
}

/// The answer of [`fallback`], for a middleware that refuses a request before routing.
pub fn unrouted(req: &HttpRequest) -> HttpResponse {
    let methods = match req.app_data::<actix_web::web::Data<utoipa::openapi::OpenApi>>() {
        Some(doc) => methods_of(served(doc), req.path()),
        None => vec![],
    };
    let t = crate::i18n::Tr::new(crate::i18n::from_accept_language(
        req.headers()
            .get("Accept-Language")
            .and_then(|v| v.to_str().ok()),
    ));
    let body = |code: &str, msg: Msg| ErrorBody {
        error: ErrorDetail {
            code: code.into(),
            reason: Some(msg.code),
            args: msg
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            message: t.msg(&msg),
            fields: vec![],
        },
    };
    if methods.is_empty() {
        return HttpResponse::build(StatusCode::NOT_FOUND).json(body(
            "not_found",
            Msg::new(Code::NoSuchApiPath).arg("path", req.path()),
        ));
    }
    let allow = methods.join(", ");
    if req.method() == actix_web::http::Method::OPTIONS {
        return HttpResponse::NoContent()
            .insert_header(("Allow", allow))
            .finish();
    }
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", allow.clone()))
        .json(body(
            "method_not_allowed",
            Msg::new(Code::MethodNotAllowed)
                .arg("path", req.path())
                .arg("method", req.method())
                .arg("allow", &allow),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(template_matches("/api/v1/orders/{id}", "/api/v1/orders/12"));
        assert!(template_matches(
            "/api/v1/orders/{id}",
            "/api/v1/orders/abc"
        ));
        assert!(!template_matches("/api/v1/orders/{id}", "/api/v1/orders/"));
        assert!(!template_matches(
            "/api/v1/orders/{id}",
            "/api/v1/orders/1/x"
        ));
        assert!(!template_matches("/api/v1/orders", "/api/v1/orderss"));
    }

    #[test]
    fn tuples_become_arrays_of_fixed_length() {
        let mut v = json!({"type": "array", "items": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}});
        fix_tuples(&mut v);
        assert_eq!(v["items"]["items"]["anyOf"][1]["type"], "integer");
        assert_eq!(v["items"]["minItems"], 2);
        assert_eq!(v["items"]["maxItems"], 2);
        assert_eq!(v["type"], "array");
    }
}
