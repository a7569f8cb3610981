//! Turning spreadsheet rows (CSV or XLSX, already read into text cells) into forms, with a
//! row-by-row report of what is wrong. Nothing is imported unless every row is good.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

use super::catalog::{DrugForm, ProductForm};
use super::{Code, Invalid, Msg};

/// One column of an import: the form field, whether it must be present, and the header
/// names people use for it.
pub struct Column {
    pub field: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

/// One column of the tables below, written on one line.
const fn col(field: &'static str, required: bool, aliases: &'static [&'static str]) -> Column {
    Column {
        field,
        required,
        aliases,
    }
}

pub const DRUG_COLUMNS: &[Column] = &[
    col("code", true, &["code", "drug_code", "编码", "药品编码"]),
    col(
        "name_zh",
        true,
        &["name_zh", "通用名", "通用名称", "药品通用名"],
    ),
    col("inn", true, &["inn", "english name", "英文名", "英文名称"]),
    col("dosage_form", true, &["dosage_form", "form", "剂型"]),
    col("strength", true, &["strength", "规格"]),
    col(
        "unit",
        true,
        &["unit", "unit_of_use", "最小使用单位", "单位"],
    ),
    col(
        "origin",
        true,
        &["origin", "list_origin", "目录来源", "来源"],
    ),
    col("category", true, &["category", "类别", "药品类别"]),
    col("atc_code", false, &["atc_code", "atc", "ATC编码"]),
];

pub const PRODUCT_COLUMNS: &[Column] = &[
    col("drug_code", true, &["drug_code", "药品编码"]),
    col(
        "manufacturer_uscc",
        true,
        &[
            "manufacturer_uscc",
            "uscc",
            "生产企业统一社会信用代码",
            "统一社会信用代码",
        ],
    ),
    col("approval_number", true, &["approval_number", "批准文号"]),
    col(
        "units_per_package",
        true,
        &["units_per_package", "包装数量", "转换比"],
    ),
    col("gtin", false, &["gtin", "条码", "商品条码"]),
    col(
        "consistency_passed",
        false,
        &["consistency_passed", "一致性评价", "通过一致性评价"],
    ),
    col("originator", false, &["originator", "原研药", "原研"]),
    col(
        "reference_price",
        false,
        &["reference_price", "参考价", "参考价格"],
    ),
];

/// A problem with one row (1-based, counting the header as row 1, as a spreadsheet shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub msg: Msg,
}

impl RowError {
    pub fn new(row: usize, e: Invalid) -> Self {
        RowError {
            row,
            field: e.field,
            msg: e.msg,
        }
    }
}

/// What an import did: on any error, nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub imported: usize,
    pub errors: Vec<RowError>,
}

fn normalize(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '-'], "_")
}

/// Maps the header row to form fields, refusing unknown layouts with a message that names
/// the missing columns.
pub fn map_header(
    header: &[String],
    columns: &[Column],
) -> Result<Vec<Option<&'static str>>, Invalid> {
    let mapped: Vec<Option<&'static str>> = header
        .iter()
        .map(|h| {
            let n = normalize(h);
            columns
                .iter()
                .find(|c| c.aliases.iter().any(|a| normalize(a) == n))
                .map(|c| c.field)
        })
        .collect();
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.required && !mapped.contains(&Some(c.field)))
        .map(|c| c.field)
        .collect();
    if !missing.is_empty() {
        return Err(Invalid::new(
            "header",
            Msg::new(Code::MissingColumns).arg("columns", missing.join(", ")),
        ));
    }
    Ok(mapped)
}

/// Turns a table (header first) into forms with their spreadsheet row numbers; blank rows are
/// skipped. A header problem is reported as row 1.
pub fn table_to_forms<F: DeserializeOwned>(
    table: &[Vec<String>],
    columns: &[Column],
) -> Result<Vec<(usize, F)>, Vec<RowError>> {
    let Some(header) = table.first() else {
        return Err(vec![RowError::new(
            1,
            Invalid::new("file", Code::FileEmpty),
        )]);
    };
    let mapped = map_header(header, columns).map_err(|e| vec![RowError::new(1, e)])?;
    let mut out = Vec::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut cells: BTreeMap<&str, String> =
            columns.iter().map(|c| (c.field, String::new())).collect();
        for (j, cell) in row.iter().enumerate() {
            if let Some(Some(field)) = mapped.get(j) {
                cells.insert(field, cell.clone());
            }
        }
        let form: F = serde_json::to_value(&cells)
            .and_then(serde_json::from_value)
            .map_err(|e| {
                vec![RowError::new(
                    i + 1,
                    Invalid::new("row", Msg::new(Code::RowUnreadable).arg("detail", e)),
                )]
            })?;
        out.push((i + 1, form));
    }
    if out.is_empty() {
        return Err(vec![RowError::new(
            2,
            Invalid::new("file", Code::NoDataRows),
        )]);
    }
    Ok(out)
}

/// Validates drug rows; duplicates within the file are errors too.
pub fn drug_rows(
    table: &[Vec<String>],
) -> Result<Vec<(usize, super::catalog::DrugInput)>, Vec<RowError>> {
    let forms: Vec<(usize, DrugForm)> = table_to_forms(table, DRUG_COLUMNS)?;
    checked_rows(
        forms,
        DrugForm::validate,
        |d| d.code.clone(),
        |d, first| {
            Invalid::new(
                "code",
                Msg::new(Code::DuplicateInFile)
                    .arg("value", &d.code)
                    .arg("row", first),
            )
        },
    )
}

/// Validates product rows; duplicates (approval number + units per package) within the file are errors.
pub fn product_rows(
    table: &[Vec<String>],
) -> Result<Vec<(usize, super::catalog::ProductInput)>, Vec<RowError>> {
    let forms: Vec<(usize, ProductForm)> = table_to_forms(table, PRODUCT_COLUMNS)?;
    checked_rows(
        forms,
        ProductForm::validate,
        |p| (p.approval_number.clone(), p.units_per_package),
        |_, first| {
            Invalid::new(
                "approval_number",
                Msg::new(Code::DuplicateProductInFile).arg("row", first),
            )
        },
    )
}

/// Validates each row's form; a row whose `key` an earlier row has is refused with
/// `duplicate(input, first row)`. Every row's errors, or every row's input.
fn checked_rows<F, I, K: Ord>(
    forms: Vec<(usize, F)>,
    validate: impl Fn(&F) -> Result<I, Vec<Invalid>>,
    key: impl Fn(&I) -> K,
    duplicate: impl Fn(&I, usize) -> Invalid,
) -> Result<Vec<(usize, I)>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut ok = Vec::new();
    let mut seen = BTreeMap::new();
    for (row, f) in forms {
        match validate(&f) {
            Ok(input) => {
                if let Some(first) = seen.insert(key(&input), row) {
                    errors.push(RowError::new(row, duplicate(&input, first)));
                }
                ok.push((row, input));
            }
            Err(es) => errors.extend(es.into_iter().map(|e| RowError::new(row, e))),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn chinese_headers_and_row_numbers() {
        let table = t(&[
            &[
                "药品编码",
                "通用名",
                "英文名",
                "剂型",
                "规格",
                "单位",
                "来源",
                "类别",
            ],
            &[
                "D1",
                "阿莫西林胶囊",
                "Amoxicillin",
                "胶囊",
                "0.25g",
                "capsule",
                "national",
                "chemical",
            ],
            &["", "", "", "", "", "", "", ""],
            &["D2", "", "X", "片剂", "1mg", "box", "national", "chemical"],
        ]);
        let errs = drug_rows(&table).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.row == 4));
        assert_eq!(errs[0].field, "name_zh");
        assert_eq!(errs[1].field, "unit");
    }

    #[test]
    fn missing_columns_are_named() {
        let table = t(&[&["code", "name_zh"], &["D1", "x"]]);
        let errs = drug_rows(&table).unwrap_err();
        assert_eq!(errs[0].row, 1);
        assert_eq!(errs[0].msg.code, Code::MissingColumns);
        assert!(errs[0]
            .msg
            .get("columns")
            .unwrap_or_default()
            .contains("inn"));
    }

    #[test]
    fn duplicate_codes_in_file() {
        let row: &[&str] = &[
            "D1",
            "阿莫西林胶囊",
            "Amoxicillin",
            "胶囊",
            "0.25g",
            "capsule",
            "national",
            "chemical",
        ];
        let table = t(&[
            &[
                "code",
                "name_zh",
                "inn",
                "dosage_form",
                "strength",
                "unit",
                "origin",
                "category",
            ],
            row,
            row,
        ]);
        let errs = drug_rows(&table).unwrap_err();
        assert_eq!(errs[0].row, 3);
        assert_eq!(errs[0].msg.code, Code::DuplicateInFile);
        assert_eq!(errs[0].msg.get("row"), Some("2"));
    }
}
