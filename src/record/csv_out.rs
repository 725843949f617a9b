//! results.csv: the contract between a run and everything that reads it.
//!
//! Rows are formatted by hand into one reused line buffer, since this runs
//! once per request; the task names are escaped once, up front.

use super::sample::Sample;
use crate::digits::push_decimal;
use std::borrow::Cow;
use std::io::{self, Write};

/// The columns. They are only ever appended to, and readers accept every
/// width the file has had (`WIDTHS`).
pub(crate) const HEADER: [&str; 9] = [
    "elapsed_us",
    "latency_us",
    "status",
    "task",
    "wait_us",
    "bytes",
    "error",
    "connect_us",
    "tls_us",
];

/// Every width results.csv has had, oldest first: 7 columns until
/// `connect_us` and `tls_us` were appended.
pub(crate) const WIDTHS: [usize; 2] = [7, HEADER.len()];

pub(crate) struct CsvOut<W: Write> {
    out: W,
    line: Vec<u8>,
    /// Each task name, already escaped as a CSV field.
    task_fields: Vec<Vec<u8>>,
}

impl<W: Write> CsvOut<W> {
    /// Write the header and get ready for rows.
    pub(crate) fn new(mut out: W, task_names: &[String]) -> io::Result<Self> {
        out.write_all(HEADER.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        let task_fields = task_names
            .iter()
            .map(|n| csv_field(n).into_owned().into_bytes())
            .collect();
        Ok(CsvOut {
            out,
            line: Vec::with_capacity(128),
            task_fields,
        })
    }

    pub(crate) fn write(&mut self, s: &Sample) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        push_decimal(line, s.elapsed_us);
        line.push(b',');
        push_decimal(line, s.latency_us);
        line.push(b',');
        push_decimal(line, s.status as u64);
        line.push(b',');
        if let Some(task) = self.task_fields.get(s.task as usize) {
            line.extend_from_slice(task);
        }
        line.push(b',');
        push_decimal(line, s.wait_us);
        line.push(b',');
        push_decimal(line, s.bytes);
        line.push(b',');
        if let Some(e) = s.error {
            line.extend_from_slice(e.as_str().as_bytes());
        }
        if s.connect_us == 0 && s.tls_us == 0 {
            // A reused connection, most rows: no digits to work out.
            line.extend_from_slice(b",0,0\n");
        } else {
            line.push(b',');
            push_decimal(line, s.connect_us);
            line.push(b',');
            push_decimal(line, s.tls_us);
            line.push(b'\n');
        }
        self.out.write_all(line)
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `text` as one CSV field (RFC 4180): in quotes, with its quotes doubled,
/// when it holds a comma, a quote or a line break; as it is otherwise.
pub(crate) fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    #[test]
    fn writes_header_and_rows() {
        let names = vec!["GET /hello".to_string(), "a,\"b\"".to_string()];
        let mut w = CsvOut::new(Vec::new(), &names).unwrap();
        let s = Sample {
            elapsed_us: 0,
            latency_us: 1234,
            wait_us: 5,
            bytes: 99,
            status: 200,
            task: 0,
            error: None,
            connect_us: 210,
            tls_us: 1830,
        };
        w.write(&s).unwrap();
        w.write(&Sample {
            task: 1,
            status: 0,
            error: Some(ErrorKind::Timeout),
            elapsed_us: u64::MAX,
            connect_us: 0,
            tls_us: 0,
            ..s
        })
        .unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n\
             0,1234,200,GET /hello,5,99,,210,1830\n\
             18446744073709551615,1234,0,\"a,\"\"b\"\"\",5,99,timeout,0,0\n"
        );
    }

    #[test]
    fn rows_read_back_with_the_csv_crate() {
        let names = vec!["x\ny".to_string()];
        let mut w = CsvOut::new(Vec::new(), &names).unwrap();
        let s = Sample {
            elapsed_us: 7,
            latency_us: 8,
            wait_us: 9,
            bytes: 10,
            status: 404,
            task: 0,
            error: None,
            connect_us: 11,
            tls_us: u64::MAX,
        };
        w.write(&s).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = csv::Reader::from_reader(&bytes[..]);
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            vec![
                "7",
                "8",
                "404",
                "x\ny",
                "9",
                "10",
                "",
                "11",
                "18446744073709551615"
            ]
        );
    }

    #[test]
    fn a_field_is_quoted_only_when_it_must_be() {
        for (name, want) in [
            ("GET /hello", "GET /hello"),
            ("", ""),
            (" spaced ", " spaced "),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("\"", "\"\"\"\""),
            ("x\ny", "\"x\ny\""),
            ("x\ry", "\"x\ry\""),
            ("é;'\t", "é;'\t"),
        ] {
            assert_eq!(csv_field(name), want, "{name:?}");
            // The csv crate, which report and check read with, agrees.
            let row = format!("{},end\n", csv_field(name));
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(row.as_bytes());
            let record = r.records().next().unwrap().unwrap();
            assert_eq!((&record[0], &record[1]), (name, "end"), "{name:?}");
        }
    }
}
