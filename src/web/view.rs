//! The shapes every page is drawn from: the page chrome, tables, forms, detail pages.
//! A handful of generic templates render them all.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::Error;
use crate::domain::paging::Page;
use crate::domain::roles::{Principal, Role};
use crate::domain::Invalid;
use crate::i18n::Tr;

#[derive(Clone, Debug)]
pub struct Link {
    pub href: String,
    pub label: String,
    /// The page being shown (`aria-current="page"` in the menu).
    pub current: bool,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Self {
        Link {
            href: href.into(),
            label: label.into(),
            current: false,
        }
    }
}

/// A group of the menu: the links of one task.
#[derive(Clone, Debug)]
pub struct NavGroup {
    pub label: String,
    pub links: Vec<Link>,
}

/// What every page around its content shows: language, user, navigation, the CSRF token.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub t: Tr,
    pub title: String,
    pub user: Option<String>,
    pub role: Option<String>,
    /// Links shown without a menu (public pages: results, log in).
    pub nav: Vec<Link>,
    /// The menu of a logged-in user, grouped by task, the current page marked.
    pub groups: Vec<NavGroup>,
    pub csrf: String,
    /// What the last action did (a flash carried across its redirect), shown once.
    pub notice: Option<String>,
}

impl Chrome {
    /// The label of the current page's menu link (shown beside the closed menu).
    pub fn here(&self) -> Option<&str> {
        self.groups
            .iter()
            .flat_map(|g| g.links.iter())
            .find(|l| l.current)
            .map(|l| l.label.as_str())
    }
}

/// A menu: groups (label key) of links (path, label key).
type Menu = &'static [(&'static str, &'static [(&'static str, &'static str)])];

const ALERTS: (&str, &str) = ("/account/alerts", "nav.alerts");

const CENTER_MENU: Menu = &[
    (
        "ui.group.tenders",
        &[
            ("/demand", "nav.demand"),
            ("/tenders", "nav.tenders"),
            ("/contracts", "nav.contracts"),
            // Only center staff keep parts of tender keys.
            ("/custody", "custody.nav"),
        ],
    ),
    ("ui.group.orders", STAFF_ORDERS),
    ("ui.group.shortages", &[("/shortages", "nav.shortages")]),
    ("ui.group.catalog", STAFF_CATALOG),
    (
        "ui.group.admin",
        &[
            ("/import", "nav.import"),
            ("/users", "nav.users"),
            ("/tokens", "nav.tokens"),
            ("/audit", "nav.audit"),
            ("/outbox", "nav.outbox"),
            ALERTS,
        ],
    ),
];

const REGULATOR_MENU: Menu = &[
    (
        "ui.group.tenders",
        &[
            ("/demand", "nav.demand"),
            ("/tenders", "nav.tenders"),
            ("/contracts", "nav.contracts"),
        ],
    ),
    ("ui.group.orders", STAFF_ORDERS),
    ("ui.group.shortages", &[("/shortages", "nav.shortages")]),
    ("ui.group.catalog", STAFF_CATALOG),
    (
        "ui.group.admin",
        &[("/audit", "nav.audit"), ("/outbox", "nav.outbox"), ALERTS],
    ),
];

const STAFF_ORDERS: &[(&str, &str)] = &[
    ("/orders", "nav.orders"),
    ("/performance", "nav.performance"),
    ("/commitments", "nav.commitments"),
    ("/direct-listings", "nav.direct_listings"),
];

const STAFF_CATALOG: &[(&str, &str)] = &[
    ("/drugs", "nav.drugs"),
    ("/products", "nav.products"),
    ("/institutions", "nav.institutions"),
    ("/suppliers", "nav.suppliers"),
    ("/regions", "nav.regions"),
];

/// A supplier's user; its own record and products come first in the catalog group.
const SUPPLIER_MENU: Menu = &[
    (
        "ui.group.tenders",
        &[("/tenders", "nav.tenders"), ("/contracts", "nav.contracts")],
    ),
    (
        "ui.group.orders",
        &[
            ("/orders", "nav.orders"),
            ("/payables", "nav.payables"),
            ("/performance", "nav.performance"),
            ("/direct-listings", "nav.direct_listings"),
        ],
    ),
    (
        "ui.group.shortages",
        &[("/supply-interruptions", "nav.interruptions")],
    ),
    ("ui.group.catalog", &[("/drugs", "nav.drugs")]),
    ("ui.group.account", &[ALERTS]),
];

/// An institution's user; its own record comes first in the catalog group.
const INSTITUTION_MENU: Menu = &[
    (
        "ui.group.orders",
        &[
            ("/orders", "nav.orders"),
            ("/payables", "nav.payables"),
            ("/commitments", "nav.commitments"),
            ("/direct-listings", "nav.direct_listings"),
        ],
    ),
    (
        "ui.group.tenders",
        &[("/demand", "nav.demand"), ("/contracts", "nav.contracts")],
    ),
    (
        "ui.group.shortages",
        &[("/shortage-reports", "nav.shortage_reports")],
    ),
    (
        "ui.group.catalog",
        &[
            ("/institutions", "nav.institutions"),
            ("/drugs", "nav.drugs"),
        ],
    ),
    ("ui.group.account", &[ALERTS]),
];

const EXPERT_MENU: Menu = &[
    ("ui.group.tenders", &[("/tenders", "nav.tenders")]),
    (
        "ui.group.catalog",
        &[("/drugs", "nav.drugs"), ("/products", "nav.products")],
    ),
    ("ui.group.account", &[ALERTS]),
];

/// The menu a role sees, grouped by task (tenders; orders and supply; shortages; catalog and
/// parties; administration or account), with the link of the page at `path` marked current.
pub fn nav_for(t: &Tr, p: &Principal, path: &str) -> Vec<NavGroup> {
    let menu = match p.role {
        Role::Center => CENTER_MENU,
        Role::Regulator => REGULATOR_MENU,
        Role::Supplier => SUPPLIER_MENU,
        Role::Institution => INSTITUTION_MENU,
        Role::Expert => EXPERT_MENU,
    };
    // A supplier's or an institution's own record heads the catalog group.
    let mut own = match (p.role, p.supplier_id, p.institution_id) {
        (Role::Supplier, Some(id), _) => vec![
            Link::new(format!("/suppliers/{id}"), t.get("nav.my_supplier")),
            Link::new(
                format!("/products?manufacturer_id={id}"),
                t.get("nav.my_products"),
            ),
        ],
        (Role::Institution, _, Some(id)) => vec![Link::new(
            format!("/institutions/{id}"),
            t.get("nav.my_institution"),
        )],
        _ => vec![],
    };
    // Home stands alone, before the groups.
    let mut groups = vec![NavGroup {
        label: String::new(),
        links: vec![Link::new("/home", t.get("nav.home"))],
    }];
    for (label, links) in menu {
        let mut ls = if *label == "ui.group.catalog" {
            std::mem::take(&mut own)
        } else {
            vec![]
        };
        ls.extend(links.iter().map(|(href, key)| Link::new(*href, t.get(key))));
        groups.push(NavGroup {
            label: t.get(label).to_string(),
            links: ls,
        });
    }
    mark_current(&mut groups, path);
    groups
}

/// Marks the link of the page at `path`: the one whose path is `path` itself, else the one
/// whose path `path` lies under (`/orders/7` is under `/orders`), the longest such.
fn mark_current(groups: &mut [NavGroup], path: &str) {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let under = |href: &str| {
        let h = href.split('?').next().unwrap_or_default();
        if h == path {
            Some(usize::MAX)
        } else if h != "/home" && path.starts_with(h) && path[h.len()..].starts_with('/') {
            Some(h.len())
        } else {
            None
        }
    };
    let best = groups
        .iter()
        .enumerate()
        .flat_map(|(g, gr)| gr.links.iter().enumerate().map(move |(i, l)| (g, i, l)))
        .filter_map(|(g, i, l)| under(&l.href).map(|n| (n, g, i)))
        .max_by_key(|(n, _, _)| *n);
    if let Some((_, g, i)) = best {
        groups[g].links[i].current = true;
    }
}

#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// `num` right-aligns figures; `warn` and `bad` mark what needs attention.
    pub class: &'static str,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            ..Default::default()
        }
    }
    pub fn link(s: impl Into<String>, href: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            href: Some(href.into()),
            class: "",
        }
    }
    pub fn num(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            href: None,
            class: "num",
        }
    }
    /// An amount of yuan in the reader's locale (`¥1,234.50`), right-aligned.
    pub fn money(t: &Tr, d: rust_decimal::Decimal) -> Self {
        Cell::num(t.money(d))
    }
    /// A whole number with thousands separators (`12,345`), right-aligned.
    pub fn int(t: &Tr, n: i64) -> Self {
        Cell::num(t.int(n))
    }
    /// A word of a closed set (a state, a status, a reason) in the reader's language.
    pub fn word<W: crate::domain::Word>(t: &Tr, w: W) -> Self {
        Cell::text(t.w(w))
    }
    pub fn with_class(mut self, class: &'static str) -> Self {
        self.class = class;
        self
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The heading of column `i` (a cell's `data-label`, shown beside it on a phone).
    pub fn label(&self, i: &usize) -> &str {
        self.columns.get(*i).map(|s| s.as_str()).unwrap_or_default()
    }
}

/// One input of a form.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub value: String,
    /// text, password, date, select, checkbox, textarea, file, hidden
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub error: Option<String>,
    /// The code of the error (`data-code`), for scripts and tests.
    pub error_code: &'static str,
    /// The `inputmode` of a text input (`numeric`, `decimal`), empty for none.
    pub inputmode: &'static str,
}

impl Field {
    pub fn text(name: &str, label: &str, value: &str) -> Self {
        Field {
            name: name.into(),
            label: label.into(),
            value: value.into(),
            kind: "text",
            options: vec![],
            required: false,
            error: None,
            error_code: "",
            inputmode: "",
        }
    }
    /// A text input that offers `options` (value, label) in a `<datalist>`: the label is what
    /// the browser fills in, the handler reads it back (a picker of a long list).
    pub fn datalist(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Self {
        Field {
            options,
            kind: "datalist",
            ..Field::text(name, label, value)
        }
    }
    pub fn inputmode(mut self, mode: &'static str) -> Self {
        self.inputmode = mode;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
    pub fn select(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Self {
        Field {
            options,
            kind: "select",
            ..Field::text(name, label, value)
        }
    }
    pub fn checkbox(name: &str, label: &str, checked: bool) -> Self {
        Field {
            kind: "checkbox",
            ..Field::text(name, label, if checked { "true" } else { "" })
        }
    }
    pub fn is_selected(&self, v: &str) -> bool {
        self.value == v
    }
}

/// A form: where it posts, its fields, its button.
#[derive(Clone, Debug)]
pub struct Form {
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub multipart: bool,
    /// Small inline forms (a button) use the `inline` style.
    pub inline: bool,
    /// Irreversible: the first tap only opens a confirmation (what will happen, "this cannot
    /// be undone") holding the real button; nothing is sent before the second.
    pub danger: bool,
    /// The sentence the confirmation says (`Form::confirm`).
    pub confirm: Option<String>,
    /// A confirmation shown open (on a page that is itself the confirmation).
    pub expanded: bool,
    /// `data-` attributes of the `<form>` (name without the prefix, value), for its script.
    pub data: Vec<(&'static str, String)>,
    /// A form that only its script can send (the bid form seals the price first): the button
    /// is disabled and this sentence shown until the script enables and hides them.
    pub needs_script: Option<String>,
}

impl Form {
    pub fn new(action: impl Into<String>, submit: impl Into<String>, fields: Vec<Field>) -> Self {
        Form {
            action: action.into(),
            fields,
            submit: submit.into(),
            multipart: false,
            inline: false,
            danger: false,
            confirm: None,
            expanded: false,
            data: vec![],
            needs_script: None,
        }
    }
    /// Marks the form irreversible: it asks for confirmation before it is sent.
    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }
    /// Marks the form irreversible, its confirmation saying `text` (what will happen).
    pub fn confirm(mut self, text: impl Into<String>) -> Self {
        self.danger = true;
        self.confirm = Some(text.into());
        self
    }
    pub fn button(action: impl Into<String>, submit: impl Into<String>) -> Self {
        Form {
            inline: true,
            ..Form::new(action, submit, vec![])
        }
    }
    /// Attaches the errors of a failed submission to their fields (others listed on top).
    pub fn with_errors(mut self, t: &Tr, errors: &[Invalid]) -> (Self, Vec<String>) {
        let mut general = Vec::new();
        for e in errors {
            match self.fields.iter_mut().find(|f| f.name == e.field) {
                Some(f) => {
                    f.error = Some(t.msg(&e.msg));
                    f.error_code = e.msg.code.as_str();
                }
                None => general.push(t.invalid(e)),
            }
        }
        (self, general)
    }
    /// The action with the CSRF token in the query (multipart bodies are not read by the check).
    pub fn action_with(&self, csrf: &str) -> String {
        if self.multipart {
            let sep = if self.action.contains('?') { '&' } else { '?' };
            format!("{}{}csrf={}", self.action, sep, csrf)
        } else {
            self.action.clone()
        }
    }
}

#[derive(Clone, Debug)]
pub struct Search {
    pub action: String,
    pub q: String,
    pub filters: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Pager {
    pub info: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Links to the neighbouring pages, keeping the other query parameters.
    pub fn of<T>(t: &Tr, page: &Page<T>, base: &str, params: &[(&str, String)]) -> Pager {
        let link = |n: i64| {
            let mut qs: Vec<(&str, String)> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            qs.push(("page", n.to_string()));
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(&qs).unwrap_or_default()
            )
        };
        Pager {
            info: format!(
                "{} {} / {} · {} {}",
                t.get("page.page"),
                page.page,
                page.pages(),
                page.total,
                t.get("page.records")
            ),
            prev: page.has_prev().then(|| link(page.page - 1)),
            next: page.has_next().then(|| link(page.page + 1)),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub heading: String,
    pub search: Option<Search>,
    pub actions: Vec<Link>,
    pub table: Table,
    pub pager: Option<Pager>,
    pub empty: String,
}

#[derive(Template)]
#[template(path = "pages/form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub errors: Vec<String>,
    pub form: Form,
    pub back: Option<Link>,
}

/// A section of a detail page: a table and the forms that act on it.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    pub table: Option<Table>,
    pub text: Vec<String>,
    pub forms: Vec<Form>,
    pub links: Vec<Link>,
    /// Lines shown as code (a command to run, a key), each wrapping on a narrow screen.
    pub code: Vec<String>,
}

impl Section {
    /// Adds a form; when it was refused, each error goes next to its field and those of no
    /// field of the form into the section's text.
    pub fn push_form(&mut self, t: &Tr, form: Form, refused: Option<&[Invalid]>) {
        match refused {
            Some(es) => {
                let (form, general) = form.with_errors(t, es);
                self.text.extend(general);
                self.forms.push(form);
            }
            None => self.forms.push(form),
        }
    }

    pub fn new(title: impl Into<String>) -> Self {
        Section {
            title: title.into(),
            table: None,
            text: vec![],
            forms: vec![],
            links: vec![],
            code: vec![],
        }
    }
}

#[derive(Template)]
#[template(path = "pages/detail.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub heading: String,
    pub props: Vec<(String, String)>,
    pub actions: Vec<Link>,
    pub sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub username: String,
    pub error: Option<String>,
}

/// Renders a template as an HTML response with a status.
pub fn render(status: StatusCode, t: &impl Template) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(t.render()?))
}

pub fn ok(t: &impl Template) -> Result<HttpResponse, Error> {
    render(StatusCode::OK, t)
}

/// Redirect after a successful form (303 so the browser follows with GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// One table of a report page, with its chart and its export links.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: String,
    pub title: String,
    /// An SVG drawn on the server (trusted markup: plotters escapes the text in it).
    pub chart: Option<String>,
    pub table: Table,
    pub notes: Vec<String>,
    pub exports: Vec<Link>,
}

/// A page of figures: filters on top (a GET form), tabs to the other reports, the reports.
#[derive(Template)]
#[template(path = "pages/report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub heading: String,
    pub tabs: Vec<Link>,
    pub action: String,
    pub filters: Vec<Field>,
    pub reports: Vec<Report>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, supplier_id: Option<i64>, institution_id: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            role,
            supplier_id,
            institution_id,
        }
    }

    fn hrefs(groups: &[NavGroup]) -> Vec<&str> {
        groups
            .iter()
            .flat_map(|g| g.links.iter().map(|l| l.href.as_str()))
            .collect()
    }

    #[test]
    fn each_role_has_its_menu_and_only_center_staff_keep_keys() {
        let t = Tr::new("en");
        let center = nav_for(&t, &principal(Role::Center, None, None), "/orders/7");
        let regulator = nav_for(&t, &principal(Role::Regulator, None, None), "/");
        assert!(hrefs(&center).contains(&"/custody"));
        assert!(hrefs(&center).contains(&"/tokens"));
        assert!(!hrefs(&regulator).contains(&"/custody"));
        assert!(!hrefs(&regulator).contains(&"/users"));
        let current: Vec<&str> = center
            .iter()
            .flat_map(|g| g.links.iter())
            .filter(|l| l.current)
            .map(|l| l.href.as_str())
            .collect();
        assert_eq!(current, ["/orders"]);
        let supplier = nav_for(&t, &principal(Role::Supplier, Some(9), None), "/");
        let catalog = supplier
            .iter()
            .find(|g| g.label == t.get("ui.group.catalog"));
        let first: Vec<&str> = catalog
            .unwrap()
            .links
            .iter()
            .map(|l| l.href.as_str())
            .collect();
        assert_eq!(
            first,
            ["/suppliers/9", "/products?manufacturer_id=9", "/drugs"]
        );
        let clinic = nav_for(&t, &principal(Role::Institution, None, Some(4)), "/");
        assert!(hrefs(&clinic).contains(&"/institutions/4"));
        assert!(!hrefs(&clinic).contains(&"/tenders"));
        let expert = nav_for(&t, &principal(Role::Expert, None, None), "/");
        assert_eq!(
            hrefs(&expert),
            [
                "/home",
                "/tenders",
                "/drugs",
                "/products",
                "/account/alerts"
            ]
        );
    }
}
