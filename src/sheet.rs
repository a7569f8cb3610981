//! Reading an uploaded spreadsheet (CSV or XLSX) into rows of text cells, under limits that are
//! enforced while the file is read: nothing is built before it is known to fit.
//!
//! CSV is read record by record with fixed buffers (a record longer than they are, or with more
//! fields, is refused when met). XLSX is checked before it is parsed — the number of ZIP entries,
//! then each entry's declared and actual unpacked size, so a ZIP bomb is refused without being
//! unpacked into memory — and then read cell by cell with calamine's streaming cell reader (the
//! used range is never built: a sheet with cells at A1 and XFD1048576 is refused at the second).

use calamine::{Data, DataRef, Reader, Xlsx};
use std::io::{Cursor, Read};

use crate::domain::{Code, Invalid, Msg};

/// What one uploaded spreadsheet may hold.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of the file as uploaded.
    pub file_bytes: usize,
    /// Rows (a header row included).
    pub rows: usize,
    /// Columns of a row (trailing empty cells not counted).
    pub columns: usize,
    /// Characters of one cell.
    pub cell_chars: usize,
    /// Cells of the whole table (rows × columns as built).
    pub cells: usize,
    /// Bytes of text of the whole table.
    pub text_bytes: usize,
    /// Entries of an XLSX's ZIP directory.
    pub zip_entries: usize,
    /// Unpacked bytes of one worksheet of an XLSX.
    pub sheet_xml_bytes: u64,
    /// Unpacked bytes of any other part of an XLSX (shared strings, styles, workbook, ...).
    pub part_xml_bytes: u64,
    /// Unpacked bytes of all the parts of an XLSX together.
    pub total_xml_bytes: u64,
}

const MB: usize = 1024 * 1024;

impl Limits {
    /// The limits of every upload.
    pub const DEFAULT: Limits = Limits {
        file_bytes: 20 * MB,
        rows: 50_000,
        columns: 64,
        cell_chars: 1_000,
        cells: 1_000_000,
        text_bytes: 16 * MB,
        zip_entries: 1_000,
        sheet_xml_bytes: 24 * MB as u64,
        part_xml_bytes: 8 * MB as u64,
        total_xml_bytes: 48 * MB as u64,
    };
}

/// At most this many rows are read from one file.
pub const MAX_ROWS: usize = Limits::DEFAULT.rows;

/// Reads CSV (UTF-8, with or without BOM) or XLSX (first sheet), told apart by content.
pub fn read_table(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, Invalid> {
    read_table_with(file_name, bytes, &Limits::DEFAULT)
}

/// [`read_table`] under the given limits.
pub fn read_table_with(
    file_name: &str,
    bytes: &[u8],
    lim: &Limits,
) -> Result<Vec<Vec<String>>, Invalid> {
    if bytes.len() > lim.file_bytes {
        return Err(too_big(lim));
    }
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    if is_zip || file_name.to_ascii_lowercase().ends_with(".xlsx") {
        read_xlsx(bytes, lim)
    } else {
        read_csv(bytes, lim)
    }
}

/// The refusal of a file over the byte limit.
pub fn too_big(lim: &Limits) -> Invalid {
    Invalid::new(
        "file",
        Msg::new(Code::UploadTooLarge).arg("mb", lim.file_bytes / MB),
    )
}

fn refuse(msg: Msg) -> Invalid {
    Invalid::new("file", msg)
}

/// The table as it is built, counting what it holds against the limits.
struct Table<'l> {
    lim: &'l Limits,
    rows: Vec<Vec<String>>,
    cells: usize,
    text: usize,
}

impl<'l> Table<'l> {
    fn new(lim: &'l Limits) -> Self {
        Table {
            lim,
            rows: Vec::new(),
            cells: 0,
            text: 0,
        }
    }

    fn too_many_rows(&self) -> Invalid {
        refuse(Msg::new(Code::UploadTooManyRows).arg("max", self.lim.rows))
    }

    fn check_position(&self, row: usize, col: usize) -> Result<(), Invalid> {
        if row >= self.lim.rows {
            return Err(self.too_many_rows());
        }
        if col >= self.lim.columns {
            return Err(refuse(
                Msg::new(Code::UploadTooManyColumns)
                    .arg("row", row + 1)
                    .arg("max", self.lim.columns),
            ));
        }
        Ok(())
    }

    fn check_cell(&self, row: usize, col: usize, text: &str) -> Result<(), Invalid> {
        // A quick bound first: more bytes than 4 per allowed character cannot fit.
        if text.len() > self.lim.cell_chars * 4 || text.chars().count() > self.lim.cell_chars {
            return Err(refuse(
                Msg::new(Code::UploadCellTooLong)
                    .arg("row", row + 1)
                    .arg("column", col + 1)
                    .arg("max", self.lim.cell_chars),
            ));
        }
        Ok(())
    }

    fn add_cells(&mut self, n: usize, text: usize) -> Result<(), Invalid> {
        self.cells += n;
        self.text += text;
        if self.cells > self.lim.cells {
            return Err(refuse(
                Msg::new(Code::UploadTooManyCells).arg("max", self.lim.cells),
            ));
        }
        if self.text > self.lim.text_bytes {
            return Err(refuse(
                Msg::new(Code::UploadTooMuchText).arg("mb", self.lim.text_bytes / MB),
            ));
        }
        Ok(())
    }

    /// Puts a non-empty cell at (row, col), from 0.
    fn put(&mut self, row: usize, col: usize, text: String) -> Result<(), Invalid> {
        self.check_position(row, col)?;
        self.check_cell(row, col, &text)?;
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        let grow = (col + 1).saturating_sub(self.rows[row].len());
        self.add_cells(grow, text.len())?;
        let r = &mut self.rows[row];
        if grow > 0 {
            r.resize_with(col + 1, String::new);
        }
        r[col] = text;
        Ok(())
    }

    /// Appends a whole row (CSV), its trailing empty cells dropped.
    fn push_row(&mut self, mut row: Vec<String>) -> Result<(), Invalid> {
        let n = self.rows.len();
        if n >= self.lim.rows {
            return Err(self.too_many_rows());
        }
        while row.last().is_some_and(|c| c.is_empty()) {
            row.pop();
        }
        if !row.is_empty() {
            self.check_position(n, row.len() - 1)?;
        }
        let text = row.iter().map(String::len).sum();
        self.add_cells(row.len(), text)?;
        self.rows.push(row);
        Ok(())
    }
}

/// The most bytes of one CSV record (every cell at its limit fits).
fn record_buffer(lim: &Limits) -> usize {
    lim.columns * lim.cell_chars * 4 + 1
}

/// The most fields of one CSV record, trailing empty ones included.
fn fields_buffer(lim: &Limits) -> usize {
    lim.columns * 16
}

fn read_csv(bytes: &[u8], lim: &Limits) -> Result<Vec<Vec<String>>, Invalid> {
    use csv_core::ReadRecordResult as R;
    let text = std::str::from_utf8(bytes).map_err(|_| Invalid::new("file", Code::CsvNotUtf8))?;
    let mut input = text.trim_start_matches('\u{feff}').as_bytes();
    let mut rdr = csv_core::Reader::new();
    let mut out = vec![0u8; record_buffer(lim)];
    let mut ends = vec![0usize; fields_buffer(lim)];
    let mut table = Table::new(lim);
    let (mut outlen, mut endlen) = (0, 0);
    loop {
        let (res, nin, nout, nend) =
            rdr.read_record(input, &mut out[outlen..], &mut ends[endlen..]);
        input = &input[nin..];
        outlen += nout;
        endlen += nend;
        let row = table.rows.len() + 1;
        match res {
            R::InputEmpty => continue,
            R::OutputFull => {
                return Err(refuse(
                    Msg::new(Code::UploadRowTooLong)
                        .arg("row", row)
                        .arg("columns", lim.columns)
                        .arg("chars", lim.cell_chars),
                ))
            }
            R::OutputEndsFull => {
                return Err(refuse(
                    Msg::new(Code::UploadTooManyColumns)
                        .arg("row", row)
                        .arg("max", lim.columns),
                ))
            }
            R::Record => {
                let mut cells = Vec::with_capacity(endlen);
                let mut start = 0;
                for (col, &end) in ends[..endlen].iter().enumerate() {
                    // The input is valid UTF-8 and fields split at ASCII bytes: this cannot fail.
                    let cell = std::str::from_utf8(&out[start..end])
                        .map_err(|_| refuse(Msg::new(Code::RowNotUtf8).arg("row", row)))?;
                    if !cell.is_empty() {
                        table.check_position(row - 1, col)?;
                        table.check_cell(row - 1, col, cell)?;
                    }
                    cells.push(cell.to_string());
                    start = end;
                }
                table.push_row(cells)?;
                outlen = 0;
                endlen = 0;
            }
            R::End => break,
        }
    }
    Ok(table.rows)
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

fn unreadable(e: impl std::fmt::Display) -> Invalid {
    // The reader's words stay in the log: they name the library's internals.
    tracing::info!("unreadable XLSX upload: {e}");
    refuse(Msg::new(Code::NotAReadableXlsx))
}

/// Counts the occurrences of a 4-byte signature.
fn count_signature(bytes: &[u8], sig: &[u8; 4]) -> usize {
    bytes.windows(4).filter(|w| *w == sig).count()
}

/// Checks an XLSX's ZIP container before anything is parsed: the number of entries (the ZIP
/// reader holds every entry of the directory), then each entry's declared unpacked size, then
/// its actual unpacked size, unpacked into nothing with a cap (a declared size may lie).
fn check_zip(bytes: &[u8], lim: &Limits) -> Result<(), Invalid> {
    // Every directory entry starts with this signature, so their number is at most its count.
    if count_signature(bytes, b"PK\x01\x02") > lim.zip_entries
        || count_signature(bytes, b"PK\x05\x06") > 4
    {
        return Err(refuse(
            Msg::new(Code::XlsxTooManyEntries).arg("max", lim.zip_entries),
        ));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(unreadable)?;
        let name = entry.name().to_string();
        let is_sheet = name.to_ascii_lowercase().contains("worksheets/");
        let cap = if is_sheet {
            lim.sheet_xml_bytes
        } else {
            lim.part_xml_bytes
        };
        let (declares, unpacks) = if is_sheet {
            (
                Code::XlsxSheetDeclaresTooMuch,
                Code::XlsxSheetUnpacksTooMuch,
            )
        } else {
            (Code::XlsxPartDeclaresTooMuch, Code::XlsxPartUnpacksTooMuch)
        };
        if entry.size() > cap {
            return Err(refuse(
                Msg::new(declares)
                    .arg("part", &name)
                    .arg("mb", entry.size() / MB as u64)
                    .arg("max", cap / MB as u64),
            ));
        }
        let actual = std::io::copy(&mut (&mut entry).take(cap + 1), &mut std::io::sink())
            .map_err(unreadable)?;
        if actual > cap {
            return Err(refuse(
                Msg::new(unpacks)
                    .arg("part", &name)
                    .arg("max", cap / MB as u64),
            ));
        }
        total += actual;
        if total > lim.total_xml_bytes {
            return Err(refuse(
                Msg::new(Code::XlsxUnpacksTooMuch).arg("max", lim.total_xml_bytes / MB as u64),
            ));
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], lim: &Limits) -> Result<Vec<Vec<String>>, Invalid> {
    check_zip(bytes, lim)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let first = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Invalid::new("file", Code::XlsxNoWorksheet))?;
    let mut cells = wb.worksheet_cells_reader(&first).map_err(unreadable)?;
    let mut table = Table::new(lim);
    let (mut min_row, mut min_col) = (usize::MAX, usize::MAX);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        let (r, c) = (r as usize, c as usize);
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::SharedString(s) => {
                // Checked before it is copied: one shared string may fill a million cells.
                table.check_position(r, c)?;
                table.check_cell(r, c, s)?;
                s.to_string()
            }
            other => cell_text(&Data::from(other.clone())),
        };
        if text.is_empty() {
            continue;
        }
        table.put(r, c, text)?;
        min_row = min_row.min(r);
        min_col = min_col.min(c);
    }
    let mut rows = table.rows;
    if rows.is_empty() {
        return Ok(rows);
    }
    // As the used range: from its first row and column, every row as wide as the widest.
    rows.drain(..min_row);
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if rows.len().saturating_mul(width) > lim.cells {
        return Err(refuse(
            Msg::new(Code::UploadTooManyCells).arg("max", lim.cells),
        ));
    }
    for r in &mut rows {
        r.resize_with(width, String::new);
        r.drain(..min_col);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            file_bytes: 64 * 1024,
            rows: 10,
            columns: 4,
            cell_chars: 8,
            cells: 30,
            text_bytes: 100,
            zip_entries: 20,
            sheet_xml_bytes: 16 * 1024,
            part_xml_bytes: 16 * 1024,
            total_xml_bytes: 64 * 1024,
        }
    }

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, v) in cells {
            ws.write_string(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    fn refused(r: Result<Vec<Vec<String>>, Invalid>, needle: &str) {
        match r {
            Ok(t) => panic!("accepted {} rows, expected \"{needle}\"", t.len()),
            Err(e) => assert!(
                crate::i18n::Tr::new("en").msg(&e.msg).contains(needle),
                "{e}, expected \"{needle}\""
            ),
        }
    }

    #[test]
    fn reads_csv_with_bom_and_quotes() {
        let t = read_table("a.csv", "\u{feff}a,b\n\"x,1\",2\n".as_bytes()).unwrap();
        assert_eq!(t, vec![vec!["a", "b"], vec!["x,1", "2"]]);
    }

    #[test]
    fn reads_csv_without_final_newline_and_multiline_quotes() {
        let t = read_table("a.csv", "a,b\r\n\"x\ny\",\"2\"\"\"\r\nc,d".as_bytes()).unwrap();
        assert_eq!(t, vec![vec!["a", "b"], vec!["x\ny", "2\""], vec!["c", "d"]]);
    }

    #[test]
    fn refuses_non_utf8() {
        assert!(read_table("a.csv", &[0xff, 0xfe, 0x00]).is_err());
    }

    #[test]
    fn csv_row_limit() {
        let lim = small();
        let ok = "a\n".repeat(10);
        assert_eq!(
            read_table_with("a.csv", ok.as_bytes(), &lim).unwrap().len(),
            10
        );
        let many = ",\n".repeat(11);
        refused(
            read_table_with("a.csv", many.as_bytes(), &lim),
            "more than 10 rows",
        );
    }

    #[test]
    fn csv_near_empty_rows_at_the_default_limit() {
        // 10 MB of near-empty rows: refused at the row limit, not after building them all.
        let many = ",\n".repeat(5 * 1024 * 1024);
        refused(read_table("a.csv", many.as_bytes()), "more than 50000 rows");
    }

    #[test]
    fn csv_column_limit() {
        let lim = small();
        let t = read_table_with("a.csv", b"a,b,c,d,,,,,\n", &lim).unwrap();
        assert_eq!(
            t,
            vec![vec!["a", "b", "c", "d"]],
            "trailing empties dropped"
        );
        refused(
            read_table_with("a.csv", b"a,b,c,d,e\n", &lim),
            "more than 4 columns",
        );
        // Far more fields than the buffer of field ends: refused when met.
        let wide = ",".repeat(10_000) + "x\n";
        refused(
            read_table_with("a.csv", wide.as_bytes(), &lim),
            "more than 4 columns",
        );
    }

    #[test]
    fn csv_cell_length_limit() {
        let lim = small();
        assert!(read_table_with("a.csv", "12345678\n".as_bytes(), &lim).is_ok());
        assert!(
            read_table_with("a.csv", "药药药药药药药药\n".as_bytes(), &lim).is_ok(),
            "characters, not bytes"
        );
        refused(
            read_table_with("a.csv", b"123456789\n", &lim),
            "more than 8 characters",
        );
        // A field longer than the whole record buffer.
        let long = "x".repeat(10_000);
        refused(read_table_with("a.csv", long.as_bytes(), &lim), "row 1");
    }

    #[test]
    fn csv_cell_and_text_budget() {
        let lim = small();
        let rows = "a,b,c,d\n".repeat(8);
        refused(
            read_table_with("a.csv", rows.as_bytes(), &lim),
            "more than 30 cells",
        );
        let lim = Limits {
            cells: 1000,
            ..small()
        };
        let rows = "12345678,12345678\n".repeat(7);
        refused(
            read_table_with("a.csv", rows.as_bytes(), &lim),
            "more than 0 MB of text",
        );
    }

    #[test]
    fn file_byte_limit() {
        let lim = small();
        let big = "a\n".repeat(40 * 1024);
        refused(
            read_table_with("a.csv", big.as_bytes(), &lim),
            "larger than 0 MB",
        );
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
        assert_eq!(t, vec![vec!["code", ""], vec!["D1", "24"]]);
    }

    #[test]
    fn xlsx_starts_at_its_first_used_cell() {
        let bytes = xlsx(&[(2, 1, "h"), (3, 2, "v")]);
        let t = read_table("x.xlsx", &bytes).unwrap();
        assert_eq!(t, vec![vec!["h", ""], vec!["", "v"]]);
    }

    #[test]
    fn xlsx_with_the_last_cell_of_the_sheet_is_refused_without_building_the_range() {
        let bytes = xlsx(&[(0, 0, "a"), (1_048_575, 16_383, "z")]);
        refused(read_table("x.xlsx", &bytes), "more than 50000 rows");
        let bytes = xlsx(&[(0, 0, "a"), (0, 16_383, "z")]);
        refused(read_table("x.xlsx", &bytes), "more than 64 columns");
    }

    #[test]
    fn xlsx_row_column_and_cell_limits() {
        let lim = small();
        refused(
            read_table_with("x.xlsx", &xlsx(&[(10, 0, "a")]), &lim),
            "more than 10 rows",
        );
        refused(
            read_table_with("x.xlsx", &xlsx(&[(0, 4, "a")]), &lim),
            "more than 4 columns",
        );
        refused(
            read_table_with("x.xlsx", &xlsx(&[(0, 0, "123456789")]), &lim),
            "more than 8 characters",
        );
        assert!(read_table_with("x.xlsx", &xlsx(&[(9, 3, "12345678")]), &lim).is_ok());
    }

    #[test]
    fn xlsx_shared_string_repeated_hits_the_text_budget() {
        let lim = Limits {
            cells: 1000,
            ..small()
        };
        let cells: Vec<(u32, u16, &str)> = (0..16)
            .map(|i| (i / 4, (i % 4) as u16, "12345678"))
            .collect();
        refused(read_table_with("x.xlsx", &xlsx(&cells), &lim), "MB of text");
    }

    /// The workbook with its first worksheet replaced by `sheet` (stored with deflate).
    fn with_sheet(sheet: &[u8]) -> Vec<u8> {
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
                std::io::Write::write_all(&mut out, sheet).unwrap();
            } else {
                std::io::copy(&mut e, &mut out).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    fn sheet_xml(padding: usize) -> Vec<u8> {
        let mut s = b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c></row></sheetData>"
            .to_vec();
        s.extend(std::iter::repeat_n(b' ', padding));
        s.extend_from_slice(b"</worksheet>");
        s
    }

    #[test]
    fn xlsx_declared_sheet_size_limit() {
        let lim = small();
        let ok = with_sheet(&sheet_xml(1000));
        assert_eq!(
            read_table_with("x.xlsx", &ok, &lim).unwrap(),
            vec![vec!["a"]]
        );
        // 1 MB of spaces packs into about 1 KB: refused on the size it declares.
        let bomb = with_sheet(&sheet_xml(1024 * 1024));
        assert!(bomb.len() < 8 * 1024, "{} bytes", bomb.len());
        refused(
            read_table_with("x.xlsx", &bomb, &lim),
            "part \"xl/worksheets/sheet1.xml\" declares 1 MB unpacked; at most 0 MB per worksheet",
        );
    }

    /// Rewrites the unpacked size every directory entry of `name` declares.
    fn lie_about_size(bytes: &mut [u8], name: &str, size: u32) {
        let mut i = 0;
        while i + 46 <= bytes.len() {
            if &bytes[i..i + 4] == b"PK\x01\x02" {
                let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
                if &bytes[i + 46..i + 46 + n] == name.as_bytes() {
                    bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                }
            }
            i += 1;
        }
    }

    #[test]
    fn xlsx_actual_size_limit_when_the_declared_size_lies() {
        let lim = small();
        let mut bomb = with_sheet(&sheet_xml(1024 * 1024));
        lie_about_size(&mut bomb, "xl/worksheets/sheet1.xml", 100);
        let e = read_table_with("x.xlsx", &bomb, &lim).unwrap_err();
        assert!(
            matches!(
                e.code(),
                Code::XlsxSheetUnpacksTooMuch | Code::NotAReadableXlsx
            ),
            "{e}"
        );
        if e.code() == Code::XlsxSheetUnpacksTooMuch {
            assert_eq!(e.msg.get("max"), Some("0"));
        }
    }

    #[test]
    fn xlsx_other_parts_and_total_limits() {
        let lim = Limits {
            part_xml_bytes: 100,
            ..small()
        };
        refused(
            read_table_with("x.xlsx", &xlsx(&[(0, 0, "a")]), &lim),
            "per part",
        );
        let lim = Limits {
            total_xml_bytes: 2000,
            ..small()
        };
        refused(
            read_table_with("x.xlsx", &xlsx(&[(0, 0, "a")]), &lim),
            "unpacks to more than 0 MB, the limit of one workbook",
        );
    }

    #[test]
    fn xlsx_zip_entry_limit() {
        let lim = Limits {
            zip_entries: 3,
            ..small()
        };
        refused(
            read_table_with("x.xlsx", &xlsx(&[(0, 0, "a")]), &lim),
            "more than 3 entries",
        );
    }

    #[test]
    fn refuses_broken_xlsx() {
        assert!(read_table("x.xlsx", b"PK\x03\x04garbage").is_err());
    }
}
