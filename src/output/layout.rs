//! Console text that fits the terminal: its width, lists that carry on on
//! indented lines, and tables whose columns are as wide as their cells.
//! Nothing is cut: what does not fit on a line goes to the next one.

/// The width assumed when the stream is not a terminal (a pipe, a file, a
/// CI log), as most tools do.
pub(crate) const DEFAULT_WIDTH: usize = 80;

/// Columns of the terminal on `fd` (1 stdout, 2 stderr), or
/// `DEFAULT_WIDTH` when it is not a terminal.
pub(crate) fn terminal_width(fd: i32) -> usize {
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we own; on
    // a descriptor that is not a terminal it fails and writes nothing.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 {
        size.ws_col as usize
    } else {
        DEFAULT_WIDTH
    }
}

/// `first`, then `items` joined by `sep`. Before an item that would pass
/// `width`, the line ends (keeping the separator's mark, e.g. `|` or `,`)
/// and the next one starts indented to the end of `first`.
pub(crate) fn hang(first: &str, items: &[String], sep: &str, width: usize) -> String {
    let indent = first.chars().count();
    let mut out = String::from(first);
    let mut column = indent;
    // A line that breaks after an item ends in the separator's mark.
    let mark = sep.trim_end();
    for (i, item) in items.iter().enumerate() {
        let len = item.chars().count();
        let tail = if i + 1 < items.len() { mark.len() } else { 0 };
        if i > 0 {
            if column + sep.len() + len + tail > width {
                out.push_str(mark);
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                column = indent;
            } else {
                out.push_str(sep);
                column += sep.len();
            }
        }
        out.push_str(item);
        column += len;
    }
    out
}

/// `text`'s words after `first`, carried on as `hang` does.
pub(crate) fn hang_words(first: &str, text: &str, width: usize) -> String {
    let words: Vec<String> = text.split(' ').map(String::from).collect();
    hang(first, &words, " ", width)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A console table. Every column is as wide as its widest cell, two spaces
/// apart. When that is wider than the line, each row is stacked: its key
/// (the columns up to `key_end`, the names) on a line of its own, and its
/// figures below it, in columns of their own.
pub(crate) struct Table {
    columns: Vec<(&'static str, Align)>,
    key_end: usize,
    rows: Vec<Vec<String>>,
}

const GAP: usize = 2;
/// How far a stacked row's figures are indented under its key.
const INDENT: usize = 2;

impl Table {
    /// A table of `columns`; those up to `key_end` (included) hold the key.
    pub(crate) fn new(columns: &[(&'static str, Align)], key_end: usize) -> Table {
        Table {
            columns: columns.to_vec(),
            key_end,
            rows: Vec::new(),
        }
    }

    /// A row with one cell per column.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    pub(crate) fn render(&self, width: usize) -> String {
        let header: Vec<String> = self.columns.iter().map(|(h, _)| h.to_string()).collect();
        let mut widths = vec![0; self.columns.len()];
        for row in std::iter::once(&header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let inline = widths.iter().sum::<usize>() + GAP * (widths.len() - 1);
        let split = self.key_end + 1;
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            if inline <= width {
                self.line(&mut out, 0, row, &widths, 0);
            } else {
                // A key of blanks (a header with no name) needs no line.
                if row[..split].iter().any(|c| !c.is_empty()) {
                    self.line(&mut out, 0, &row[..split], &widths[..split], 0);
                }
                self.line(&mut out, split, &row[split..], &widths[split..], INDENT);
            }
        }
        out
    }

    /// `cells` (of the columns from `first` on) at their widths, after
    /// `indent` spaces, as one line without trailing spaces.
    fn line(
        &self,
        out: &mut String,
        first: usize,
        cells: &[String],
        widths: &[usize],
        indent: usize,
    ) {
        let start = out.len();
        out.extend(std::iter::repeat_n(' ', indent));
        for (i, (cell, &w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                out.extend(std::iter::repeat_n(' ', GAP));
            }
            let spaces = std::iter::repeat_n(' ', w.saturating_sub(cell.chars().count()));
            match self.columns[first + i].1 {
                Align::Right => {
                    out.extend(spaces);
                    out.push_str(cell);
                }
                Align::Left => {
                    out.push_str(cell);
                    out.extend(spaces);
                }
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hang_carries_on_under_the_first_part() {
        let list = items(&["200: 7", "404: 1", "503: 1"]);
        assert_eq!(
            hang("Codes  ", &list, ", ", 80),
            "Codes  200: 7, 404: 1, 503: 1"
        );
        assert_eq!(
            hang("Codes  ", &list, ", ", 22),
            "Codes  200: 7, 404: 1,\n       503: 1"
        );
        assert_eq!(
            hang("[1s] ", &items(&["a", "bb", "cc"]), " | ", 10),
            "[1s] a |\n     bb |\n     cc"
        );
        // An item longer than the line still goes out whole, on its own line.
        assert_eq!(
            hang_words("W  ", "a verylongword b", 8),
            "W  a\n   verylongword\n   b"
        );
        assert_eq!(hang("x ", &[], ", ", 1), "x ");
    }

    fn table() -> Table {
        let mut t = Table::new(
            &[
                ("Method", Align::Left),
                ("Name", Align::Left),
                ("Requests", Align::Right),
                ("p99", Align::Right),
            ],
            1,
        );
        t.row(items(&["GET", "GET /hello", "6", "150.0"]));
        t.row(items(&["", "a rather long task name", "12345", "0.30"]));
        t
    }

    #[test]
    fn a_table_that_fits_has_one_line_per_row() {
        assert_eq!(
            table().render(80),
            "\
Method  Name                     Requests    p99
GET     GET /hello                      6  150.0
        a rather long task name     12345   0.30
"
        );
    }

    #[test]
    fn a_table_too_wide_stacks_each_key_over_its_figures() {
        let text = table().render(40);
        assert_eq!(
            text,
            "\
Method  Name
  Requests    p99
GET     GET /hello
         6  150.0
        a rather long task name
     12345   0.30
"
        );
    }

    #[test]
    fn no_line_passes_the_width_while_the_figures_fit() {
        // The widest line that cannot break: the method column, then the
        // long name whole.
        let least = "        a rather long task name".len();
        for width in 20..100 {
            let text = table().render(width);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width.max(least),
                    "{width}: {line:?}"
                );
            }
            assert_eq!(text.matches("12345").count(), 1, "{text}");
        }
    }
}
