//! Data files: a CSV read once, before the run, into one flat buffer, so
//! that a request reads a field as a slice, allocating nothing.
//!
//! The first line names the columns (trimmed); every later line is a row
//! with exactly as many fields, kept as written (quotes undone). Blank
//! lines are skipped. The file is UTF-8 text, and a scenario's data files
//! add up to at most [`MAX_DATA`] bytes.

use std::num::NonZeroUsize;

/// The most bytes a scenario's data files may add up to. What a run holds
/// for them is about their size plus 4 bytes a field and 4 a row (seen: a
/// 50 MB file of 25 million one-byte rows, 277 MB resident at most).
pub(crate) const MAX_DATA: u64 = 256 << 20;

/// Which row a reference takes (`# @data-mode NAME ...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Each user keeps one row for the run (the default).
    #[default]
    PerUser,
    /// Each request that uses the data set takes the next row.
    PerRequest,
}

impl Mode {
    pub(crate) fn parse(text: &str) -> Option<Mode> {
        match text {
            "per-user" => Some(Mode::PerUser),
            "per-request" => Some(Mode::PerRequest),
            _ => None,
        }
    }
}

/// One data file, read: `{{name.column}}` in a request is a field of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DataSet {
    /// The name the directive gives it.
    pub name: String,
    /// The path as the directive writes it, for messages.
    pub path: String,
    pub mode: Mode,
    columns: Vec<String>,
    /// Every field's bytes, row after row, column after column.
    bytes: Vec<u8>,
    /// Where field `row * columns + column` ends in `bytes`; it starts
    /// where the field before it ends. `bytes` is below [`MAX_DATA`], so
    /// u32 holds every offset.
    ends: Vec<u32>,
    /// The line of the file each row starts on, for messages.
    lines: Vec<u32>,
}

impl DataSet {
    /// Read CSV text, of at most [`MAX_DATA`] bytes (the caller reads the
    /// file with that bound). An error is one line, starting with `path`
    /// and the CSV's line (`./users.csv:7: 3 fields, expected 4 as in the
    /// header`).
    pub(crate) fn parse(name: &str, path: &str, text: &[u8]) -> Result<DataSet, String> {
        if let Err(e) = std::str::from_utf8(text) {
            let line = 1 + count_lines(&text[..e.valid_up_to()]);
            return Err(format!("{path}:{line}: not UTF-8 text"));
        }
        let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
        if let Some(line) = open_quote(text) {
            return Err(format!(
                "{path}:{line}: a quoted field starts here and never ends"
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut set = DataSet {
            name: name.to_string(),
            path: path.to_string(),
            mode: Mode::PerUser,
            columns: Vec::new(),
            bytes: Vec::new(),
            ends: Vec::new(),
            lines: Vec::new(),
        };
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            let line = record_line(text, &record);
            if set.columns.is_empty() {
                set.columns = header(&record).map_err(|e| format!("{path}:{line}: {e}"))?;
                continue;
            }
            if record.len() != set.columns.len() {
                let plural = if record.len() == 1 { "" } else { "s" };
                return Err(format!(
                    "{path}:{line}: {} field{plural}, expected {} as in the header",
                    record.len(),
                    set.columns.len()
                ));
            }
            for field in &record {
                set.bytes.extend_from_slice(field);
                set.ends
                    .push(u32::try_from(set.bytes.len()).map_err(|_| too_large())?);
            }
            set.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        }
        if set.columns.is_empty() {
            return Err(format!(
                "{path}: empty; its first line must name the columns"
            ));
        }
        if set.lines.is_empty() {
            return Err(format!("{path}: no rows, only the header line"));
        }
        set.bytes.shrink_to_fit();
        set.ends.shrink_to_fit();
        set.lines.shrink_to_fit();
        Ok(set)
    }

    /// The column named `name`, by index.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The column names, as a list for messages: `name, password`.
    pub(crate) fn column_list(&self) -> String {
        self.columns.join(", ")
    }

    /// How many rows; never none.
    pub(crate) fn rows(&self) -> NonZeroUsize {
        NonZeroUsize::new(self.lines.len()).expect("a data set has rows")
    }

    /// The bytes of `row`'s field in `column`.
    #[inline]
    pub(crate) fn field(&self, row: usize, column: usize) -> &[u8] {
        let i = row * self.columns.len() + column;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The line of the first row whose field in `column` holds a byte for
    /// which `bad` is true, and that byte.
    pub(crate) fn find_byte(&self, column: usize, bad: impl Fn(u8) -> bool) -> Option<(u32, u8)> {
        (0..self.lines.len()).find_map(|row| {
            let byte = self.field(row, column).iter().copied().find(|&b| bad(b))?;
            Some((self.lines[row], byte))
        })
    }
}

/// Why a data file past [`MAX_DATA`] (with the others) is refused.
pub(crate) fn too_large() -> String {
    format!(
        "the scenario's data files add up to more than {} MiB, the limit for data",
        MAX_DATA >> 20
    )
}

/// The column names of the header record: trimmed, each named, none twice.
fn header(record: &csv::ByteRecord) -> Result<Vec<String>, String> {
    let mut columns: Vec<String> = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        // The whole file is UTF-8, and a field boundary is an ASCII byte.
        let name = String::from_utf8_lossy(field).trim().to_string();
        if name.is_empty() {
            return Err(format!("column {} has no name", i + 1));
        }
        if let Some(first) = columns.iter().position(|c| *c == name) {
            return Err(format!(
                "column {name:?} is named twice (columns {} and {})",
                first + 1,
                i + 1
            ));
        }
        columns.push(name);
    }
    Ok(columns)
}

/// The line `record` starts on. The reader's position is where it began
/// to read, before the blank lines it skipped.
fn record_line(text: &[u8], record: &csv::ByteRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let from = usize::try_from(position.byte()).unwrap_or(text.len());
    let blank = text[from.min(text.len())..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r');
    position.line() + blank.filter(|&&b| b == b'\n').count() as u64
}

/// The line of a quoted field that runs to the end of the file, which the
/// CSV reader would take, with every line after it, as one field. A quote
/// opens a field only at its start (as the reader has it), and `""` inside
/// is a quote.
fn open_quote(text: &[u8]) -> Option<usize> {
    let (mut line, mut opened) = (1, 0);
    let (mut quoted, mut field_start) = (false, true);
    let mut bytes = text.iter().peekable();
    while let Some(&b) = bytes.next() {
        if quoted {
            if b == b'"' && bytes.next_if_eq(&&b'"').is_none() {
                quoted = false;
            }
        } else if field_start && b == b'"' {
            (quoted, opened) = (true, line);
        }
        if b == b'\n' {
            line += 1;
        }
        field_start = !quoted && matches!(b, b',' | b'\n' | b'\r');
    }
    quoted.then_some(opened)
}

fn count_lines(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DataSet, String> {
        DataSet::parse("users", "./users.csv", text.as_bytes())
    }

    fn fields(set: &DataSet) -> Vec<Vec<&str>> {
        (0..set.rows().get())
            .map(|row| {
                (0..set.columns.len())
                    .map(|c| std::str::from_utf8(set.field(row, c)).unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn reads_columns_and_rows() {
        let set = parse("name,password\nalice,a1\nbob,b2\n").unwrap();
        assert_eq!(set.column("name"), Some(0));
        assert_eq!(set.column("password"), Some(1));
        assert_eq!(set.column("nme"), None);
        assert_eq!(set.column_list(), "name, password");
        assert_eq!(set.rows().get(), 2);
        assert_eq!(fields(&set), [["alice", "a1"], ["bob", "b2"]]);
        assert_eq!((set.name.as_str(), set.mode), ("users", Mode::PerUser));
    }

    #[test]
    fn quotes_empty_fields_crlf_bom_and_no_final_newline() {
        let text = "\u{feff} id , note \r\n1,\"a, \"\"quoted\"\"\nvalue\"\r\n\r\n2,\r\n3, spaced ";
        let set = parse(text).unwrap();
        assert_eq!(set.column("id"), Some(0));
        assert_eq!(set.column("note"), Some(1));
        assert_eq!(
            fields(&set),
            [
                vec!["1", "a, \"quoted\"\nvalue"],
                vec!["2", ""],
                vec!["3", " spaced "]
            ]
        );
        assert_eq!(set.lines, [2, 5, 6]);
        let one = parse("x\n\n").unwrap_err();
        assert_eq!(one, "./users.csv: no rows, only the header line");
        let single = parse("x\n\"\"\n").unwrap();
        assert_eq!(fields(&single), [[""]]);
    }

    #[test]
    fn errors_name_the_csv_line() {
        for (text, expected) in [
            (
                "",
                "./users.csv: empty; its first line must name the columns",
            ),
            (
                "\n\r\n",
                "./users.csv: empty; its first line must name the columns",
            ),
            (
                "\u{feff}",
                "./users.csv: empty; its first line must name the columns",
            ),
            (
                "name,password\n",
                "./users.csv: no rows, only the header line",
            ),
            (
                "a,b\n1,2\n\n\n1,2,3\n",
                "./users.csv:5: 3 fields, expected 2 as in the header",
            ),
            (
                "a,b,c,d\n1,2,3,4\n1,\"2\n\",3\n",
                "./users.csv:3: 3 fields, expected 4 as in the header",
            ),
            (
                "a,b\n1\n",
                "./users.csv:2: 1 field, expected 2 as in the header",
            ),
            (
                "\n\nname,name\n",
                "./users.csv:3: column \"name\" is named twice (columns 1 and 2)",
            ),
            (
                "a, b ,b\n",
                "./users.csv:1: column \"b\" is named twice (columns 2 and 3)",
            ),
            ("a,,b\n1,2,3\n", "./users.csv:1: column 2 has no name"),
            ("a,b,\n1,2,\n", "./users.csv:1: column 3 has no name"),
            // An open quote would take the rest of the file as one field.
            (
                "name\n\"alice\nbob\ncarol\n",
                "./users.csv:2: a quoted field starts here and never ends",
            ),
            (
                "a,b\n1,\"x\"\"\"\n\n2,\"y\n",
                "./users.csv:4: a quoted field starts here and never ends",
            ),
            (
                "a\n\"",
                "./users.csv:2: a quoted field starts here and never ends",
            ),
        ] {
            assert_eq!(parse(text).unwrap_err(), expected, "{text:?}");
        }
        let e = DataSet::parse("d", "d.csv", b"a\n1\n2\xff\n").unwrap_err();
        assert_eq!(e, "d.csv:3: not UTF-8 text");
    }

    #[test]
    fn find_byte_gives_the_row_line() {
        let set = parse("a,b\nx,1\n\ny z,2\n").unwrap();
        assert_eq!(set.find_byte(0, |b| b == b' '), Some((4, b' ')));
        assert_eq!(set.find_byte(1, |b| b == b' '), None);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(Mode::parse("per-user"), Some(Mode::PerUser));
        assert_eq!(Mode::parse("per-request"), Some(Mode::PerRequest));
        assert_eq!(Mode::parse("per_user"), None);
        assert_eq!(Mode::default(), Mode::PerUser);
    }
}
