//! Any table of a page as a CSV or XLSX file: the same rows the page shows, as a person
//! opening the file expects them (figures as numbers, rates as percentages).

use actix_web::HttpResponse;
use rust_xlsxwriter::{Format, Workbook};

use super::view::Table;
use super::Error;
use crate::domain::{Code, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<ExportFormat, Error> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            other => Err(Error::BadRequest(
                Msg::new(Code::ExportFormatUnknown).arg("format", other),
            )),
        }
    }
}

/// A cell as a number when it reads as one: "1,234" → 1234, "92.5%" → 0.925 (a percentage).
fn number(text: &str) -> Option<(f64, bool)> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (body, pct) = match t.strip_suffix('%') {
        Some(b) => (b, true),
        None => (t, false),
    };
    let body = body.replace(',', "");
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    // Codes with leading zeros stay text.
    if body.len() > 1 && body.starts_with('0') && !body.starts_with("0.") {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    Some(if pct { (v / 100.0, true) } else { (v, false) })
}

/// A file that could not be written: logged; the reader is told only that the server failed.
fn internal(detail: String) -> Error {
    tracing::error!("export: {detail}");
    Error::Internal(detail)
}

/// UTF-8 with a byte-order mark, so that spreadsheet programs read Chinese names right.
pub fn csv(table: &Table) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail = |e: csv::Error| internal(format!("csv: {e}"));
    w.write_record(&table.columns).map_err(fail)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|c| c.text.as_str()))
            .map_err(fail)?;
    }
    w.into_inner().map_err(|e| internal(format!("csv: {e}")))
}

pub fn xlsx(table: &Table, sheet: &str) -> Result<Vec<u8>, Error> {
    let fail = |e: rust_xlsxwriter::XlsxError| internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let name: String = sheet
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(if name.is_empty() { "Sheet1" } else { &name })
        .map_err(fail)?;
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    for (c, h) in table.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(fail)?;
        ws.set_column_width(c as u16, 16).map_err(fail)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match number(&cell.text) {
                Some((v, true)) => ws.write_number_with_format(r, c, v, &pct),
                Some((v, false)) => ws.write_number(r, c, v),
                None => ws.write_string(r, c, &cell.text),
            }
            .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// The file as a download named `name.csv` / `name.xlsx`.
pub fn respond(table: &Table, format: ExportFormat, name: &str) -> Result<HttpResponse, Error> {
    let (body, mime, ext) = match format {
        ExportFormat::Csv => (csv(table)?, "text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (
            xlsx(table, name)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.{ext}\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::view::Cell;

    fn table() -> Table {
        Table {
            columns: vec![
                "供应商".into(),
                "Rate".into(),
                "Lines".into(),
                "Code".into(),
            ],
            rows: vec![vec![
                Cell::text("A, \"B\" 药业"),
                Cell::num("92.5%"),
                Cell::num("1,204"),
                Cell::text("0123"),
            ]],
        }
    }

    #[test]
    fn numbers_and_percentages_are_read_codes_stay_text() {
        assert_eq!(number("92.5%"), Some((0.925, true)));
        assert_eq!(number("1,204"), Some((1204.0, false)));
        assert_eq!(number("0123"), None);
        assert_eq!(number("—"), None);
        assert_eq!(number("2026-01-01"), None);
    }

    #[test]
    fn csv_quotes_and_keeps_chinese() {
        let s = String::from_utf8(csv(&table()).unwrap()).unwrap();
        assert!(s.starts_with('\u{feff}'));
        assert!(
            s.contains("\"A, \"\"B\"\" 药业\",92.5%,\"1,204\",0123"),
            "{s}"
        );
    }

    #[test]
    fn xlsx_reads_back() {
        let bytes = xlsx(&table(), "suppliers").unwrap();
        let rows = crate::sheet::read_table("t.xlsx", &bytes).unwrap();
        assert_eq!(rows[0][0], "供应商");
        assert_eq!(rows[1][0], "A, \"B\" 药业");
        assert_eq!(rows[1][2], "1204");
        assert_eq!(rows[1][3], "0123");
    }
}
