//! Reading an uploaded spreadsheet (CSV or XLSX) into rows of text cells.

use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

use crate::domain::Invalid;

/// At most this many rows are read from one file.
pub const MAX_ROWS: usize = 50_000;

/// Reads CSV (UTF-8, with or without BOM) or XLSX (first sheet), told apart by content.
pub fn read_table(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, Invalid> {
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let rows = if is_zip || file_name.to_ascii_lowercase().ends_with(".xlsx") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    if rows.len() > MAX_ROWS {
        return Err(Invalid::new(
            "file",
            format!(
                "has {} rows; at most {MAX_ROWS} can be imported at once",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, Invalid> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Invalid::new(
            "file",
            "is not UTF-8 text: save the CSV as UTF-8, or upload XLSX",
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Invalid::new("file", format!("row {}: {e}", i + 1)))?;
        rows.push(rec.iter().map(|c| c.to_string()).collect());
    }
    Ok(rows)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().to_string())
            .unwrap_or_else(|| dt.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, Invalid> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| Invalid::new("file", format!("is not a readable XLSX workbook ({e})")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| Invalid::new("file", "has no worksheet"))?
        .map_err(|e| Invalid::new("file", format!("first worksheet cannot be read ({e})")))?;
    Ok(range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_bom_and_quotes() {
        let t = read_table("a.csv", "\u{feff}a,b\n\"x,1\",2\n".as_bytes()).unwrap();
        assert_eq!(t, vec![vec!["a", "b"], vec!["x,1", "2"]]);
    }

    #[test]
    fn refuses_non_utf8() {
        assert!(read_table("a.csv", &[0xff, 0xfe, 0x00]).is_err());
    }

    #[test]
    fn reads_xlsx() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "code").unwrap();
        ws.write_string(1, 0, "D1").unwrap();
        ws.write_number(1, 1, 24.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let t = read_table("x.xlsx", &bytes).unwrap();
        assert_eq!(t[1], vec!["D1", "24"]);
    }

    #[test]
    fn refuses_broken_xlsx() {
        assert!(read_table("x.xlsx", b"PK\x03\x04garbage").is_err());
    }
}
