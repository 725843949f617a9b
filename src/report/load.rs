//! Read results.csv files back: streaming, one reused record, integers
//! parsed straight from bytes. Several files merge into one run, aligned on
//! `elapsed_us` (boxes that started together).

use crate::plan::MAX_TASK_NAME;
use crate::record::csv_out::{HEADER, WIDTHS};
use crate::record::{ErrorKind, Sample};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Task names in the order first seen, and their indexes.
#[derive(Default, Debug)]
pub(crate) struct Tasks {
    pub names: Vec<String>,
    index: HashMap<Vec<u8>, u16>,
    /// The last name looked up: runs of one task are common, and a byte
    /// compare is cheaper than hashing.
    last: Option<(Vec<u8>, u16)>,
}

impl Tasks {
    /// Names known before the rows: they keep this order, and a task with
    /// no rows still shows, as it did in the run's summary.
    pub(crate) fn seed<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        names
            .into_iter()
            .try_for_each(|name| self.lookup(name.as_bytes()).map(drop))
    }

    pub(crate) fn index_of(&mut self, name: &[u8]) -> Result<u16, String> {
        if let Some((last, i)) = &self.last
            && last.as_slice() == name
        {
            return Ok(*i);
        }
        let i = self.lookup(name)?;
        match &mut self.last {
            Some((last, j)) => {
                last.clear();
                last.extend_from_slice(name);
                *j = i;
            }
            None => self.last = Some((name.to_vec(), i)),
        }
        Ok(i)
    }

    fn lookup(&mut self, name: &[u8]) -> Result<u16, String> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let i = u16::try_from(self.names.len())
            .map_err(|_| "more than 65535 task names".to_string())?;
        self.names.push(String::from_utf8_lossy(name).into_owned());
        self.index.insert(name.to_vec(), i);
        Ok(i)
    }
}

/// The most bytes read for the first line before it is taken for no
/// header: the header is 71 bytes, and columns are only ever appended.
const HEADER_MAX: u64 = 4 * 1024;

/// The longest row, line end included: the numbers take under 250 bytes,
/// and a task name of `MAX_TASK_NAME` bytes at most twice that, quoted.
const ROW_MAX: u64 = 2 * MAX_TASK_NAME as u64 + 64 * 1024;

/// What reading the files found besides their rows.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// One for each file whose last line was cut off (and skipped).
    pub warnings: Vec<String>,
    /// The files of 7 columns, from before `connect_us` and `tls_us`: their
    /// rows read as 0 there, which says nothing about their connections.
    pub without_connection_times: Vec<String>,
}

/// Feed every row of every file to `each`, in file order. Each file has the
/// width its header says, one of `WIDTHS`, so files of several widths can
/// be read together; a row of another width is an error.
pub(crate) fn read_all(
    paths: &[&Path],
    tasks: &mut Tasks,
    mut each: impl FnMut(&Sample) -> Result<(), String>,
) -> Result<Loaded, String> {
    let mut loaded = Loaded::default();
    for path in paths {
        let name = path.display();
        let mut file = File::open(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
        let truncated =
            !ends_with_newline(&mut file).map_err(|e| format!("{name}: cannot read: {e}"))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(Capped::new(file, HEADER_MAX));
        let mut header = csv::ByteRecord::new();
        let header_ok = reader.read_byte_record(&mut header).map_err(|e| {
            if reader.get_ref().hit {
                format!(
                    "{name}:1: not a results.csv: the first line is longer than {HEADER_MAX} bytes (expected the header {})",
                    HEADER.join(",")
                )
            } else {
                format!("{name}:1: {e}")
            }
        })?;
        if !header_ok {
            return Err(format!(
                "{name}: the file is empty (expected the header {})",
                HEADER.join(",")
            ));
        }
        let width = header.len();
        if !WIDTHS.contains(&width)
            || header
                .iter()
                .ne(HEADER[..width].iter().map(|h| h.as_bytes()))
        {
            return Err(format!(
                "{name}:1: wrong header: expected {} (or its first {} columns, from an older stampede)",
                HEADER.join(","),
                WIDTHS[0]
            ));
        }
        if width < HEADER.len() {
            loaded.without_connection_times.push(name.to_string());
        }
        // Each record is parsed only once the next one is read, so that a
        // last line cut off mid-write is skipped rather than misread.
        let (mut current, mut held) = (csv::ByteRecord::new(), csv::ByteRecord::new());
        let mut held_line = None;
        loop {
            let start = reader.position().clone();
            // An absolute offset: what the reader read ahead is no loss.
            reader.get_mut().limit = start.byte().saturating_add(ROW_MAX);
            let more = reader.read_byte_record(&mut current).map_err(|e| {
                if reader.get_ref().hit {
                    format!(
                        "{name}:{}: a row longer than {ROW_MAX} bytes: not a results.csv row",
                        start.line()
                    )
                } else {
                    let line = e.position().map_or(0, |p| p.line());
                    format!("{name}:{line}: {e}")
                }
            })?;
            if let Some(line) = held_line.take() {
                if !more && truncated {
                    loaded.warnings.push(format!(
                        "{name}:{line}: the last line is cut off; skipped it"
                    ));
                    break;
                }
                let sample = parse_row(&held, width, tasks)
                    .map_err(|why| format!("{name}:{line}: {why}"))?;
                each(&sample).map_err(|why| format!("{name}:{line}: {why}"))?;
            }
            if !more {
                break;
            }
            held_line = Some(current.position().map_or(0, |p| p.line()));
            std::mem::swap(&mut current, &mut held);
        }
    }
    Ok(loaded)
}

/// Hands the CSV reader no byte past `limit`, so that a line with no end
/// (a sparse or binary file) is an error, not a record that grows until
/// memory runs out.
struct Capped<R> {
    inner: R,
    /// Bytes handed out so far.
    read: u64,
    limit: u64,
    /// The limit stopped a read.
    hit: bool,
}

impl<R> Capped<R> {
    fn new(inner: R, limit: u64) -> Capped<R> {
        Capped {
            inner,
            read: 0,
            limit,
            hit: false,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.read);
        if room == 0 && !buf.is_empty() {
            self.hit = true;
            return Err(std::io::Error::other("line too long"));
        }
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        self.read += n as u64;
        Ok(n)
    }
}

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::Start(0))?;
    // Other tools may end lines with CR alone.
    Ok(last[0] == b'\n' || last[0] == b'\r')
}

/// One row of a file whose header has `width` columns.
fn parse_row(r: &csv::ByteRecord, width: usize, tasks: &mut Tasks) -> Result<Sample, String> {
    if r.len() != width {
        return Err(format!("expected {width} fields, found {}", r.len()));
    }
    let num = |i: usize| {
        parse_u64(&r[i]).ok_or_else(|| {
            format!(
                "{} is not a whole number: {:?}",
                HEADER[i],
                String::from_utf8_lossy(&r[i])
            )
        })
    };
    // A column appended after this file was written reads as 0: the row
    // then says nothing of it (`Loaded` names such files).
    let appended = |i: usize| if i < width { num(i) } else { Ok(0) };
    let status = num(2)?;
    let status = u16::try_from(status)
        .ok()
        .filter(|s| *s < 1000)
        .ok_or_else(|| format!("bad status {status}"))?;
    let error = match &r[6] {
        b"" => None,
        kind => Some(
            std::str::from_utf8(kind)
                .ok()
                .and_then(ErrorKind::parse)
                .ok_or_else(|| format!("unknown error kind {:?}", String::from_utf8_lossy(kind)))?,
        ),
    };
    Ok(Sample {
        elapsed_us: num(0)?,
        latency_us: num(1)?,
        status,
        task: tasks.index_of(&r[3])?,
        wait_us: num(4)?,
        bytes: num(5)?,
        error,
        connect_us: appended(7)?,
        tls_us: appended(8)?,
    })
}

/// A number field: at most 20 bytes, the digits of u64::MAX.
fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 20 {
        return None;
    }
    crate::digits::parse_decimal(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::csv_out::CsvOut;

    /// Rows, task names and warnings.
    type Read = (Vec<Sample>, Vec<String>, Vec<String>);

    /// A path of its own: tests run in parallel.
    fn scratch_file() -> std::path::PathBuf {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("stampede-load-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("r.csv")
    }

    fn read(text: &str) -> Result<Read, String> {
        let path = scratch_file();
        std::fs::write(&path, text).unwrap();
        read_path(&path)
    }

    fn read_path(path: &Path) -> Result<Read, String> {
        let mut tasks = Tasks::default();
        let mut rows = Vec::new();
        let loaded = read_all(&[path], &mut tasks, |s| {
            rows.push(*s);
            Ok(())
        })?;
        Ok((rows, tasks.names, loaded.warnings))
    }

    /// `text`, then zeros up to 10 GB: a sparse file, nothing written.
    fn sparse(text: &str) -> std::path::PathBuf {
        let path = scratch_file();
        std::fs::write(&path, text).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(10 << 30).unwrap();
        path
    }

    const HEAD: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error\n";

    #[test]
    fn reads_rows_and_tasks() {
        let (rows, names, warnings) = read(&format!(
            "{HEAD}0,100,200,a,1,10,\n5,7,0,\"b,c\",7,0,timeout\n9,1,200,a,0,10,\n"
        ))
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(names, vec!["a", "b,c"]);
        assert_eq!(rows[1].error, Some(ErrorKind::Timeout));
        assert_eq!((rows[2].task, rows[1].task), (0, 1));
        assert!(warnings.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        for (body, why) in [
            ("0,x,200,a,0,0,\n", ":2: latency_us is not a whole number"),
            ("0,1,200,a,0,0,\n1,1,200,a,0\n", ":3: expected 7 fields"),
            ("0,1,200,a,0,0,nope\n", ":2: unknown error kind"),
            ("0,1,2000,a,0,0,\n", ":2: bad status"),
            (
                "0,99999999999999999999999,200,a,0,0,\n",
                "not a whole number",
            ),
        ] {
            let e = read(&format!("{HEAD}{body}")).unwrap_err();
            assert!(e.contains(why), "{body:?}: {e}");
        }
        assert!(read("a,b\n").unwrap_err().contains(":1: wrong header"));
        assert!(read("").unwrap_err().contains("empty"));
    }

    const HEAD9: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n";

    #[test]
    fn rows_written_by_the_run_read_back_the_same() {
        let names = vec!["GET /a".to_string(), "odd, \"b\"".to_string()];
        let mut out = CsvOut::new(Vec::new(), &names).unwrap();
        let first = Sample {
            elapsed_us: 12,
            latency_us: 3_400,
            wait_us: 2_100,
            bytes: 173,
            status: 200,
            task: 0,
            error: None,
            connect_us: 250,
            tls_us: 1_800,
        };
        let rows = [
            first,
            Sample {
                task: 1,
                status: 0,
                error: Some(ErrorKind::Timeout),
                connect_us: 0,
                tls_us: 0,
                ..first
            },
            Sample {
                connect_us: u64::MAX,
                tls_us: 0,
                ..first
            },
        ];
        rows.iter().for_each(|s| out.write(s).unwrap());
        let text = String::from_utf8(out.finish().unwrap()).unwrap();
        assert!(text.starts_with(HEAD9), "{text}");
        let (read_back, read_names, warnings) = read(&text).unwrap();
        assert_eq!(read_back, rows);
        assert_eq!(read_names, names);
        assert!(warnings.is_empty());
    }

    #[test]
    fn files_of_7_and_9_columns_read_alike_and_say_which_they_were() {
        let (old, new) = (scratch_file(), scratch_file());
        std::fs::write(&old, format!("{HEAD}0,100,200,a,1,10,\n")).unwrap();
        std::fs::write(&new, format!("{HEAD9}0,100,200,a,1,10,,40,900\n")).unwrap();
        let mut tasks = Tasks::default();
        let mut rows = Vec::new();
        let loaded = read_all(&[&old, &new], &mut tasks, |s| {
            rows.push(*s);
            Ok(())
        })
        .unwrap();
        assert_eq!((rows[0].connect_us, rows[0].tls_us), (0, 0));
        assert_eq!((rows[1].connect_us, rows[1].tls_us), (40, 900));
        assert_eq!(
            Sample {
                connect_us: 0,
                tls_us: 0,
                ..rows[1]
            },
            rows[0],
            "the first 7 columns mean the same"
        );
        assert_eq!(
            loaded.without_connection_times,
            vec![old.display().to_string()]
        );
    }

    #[test]
    fn a_file_keeps_the_width_of_its_header() {
        for (text, why) in [
            // A row of the other known width is still a ragged row.
            (
                format!("{HEAD9}0,1,200,a,0,0,,0,0\n0,1,200,a,0,0,\n"),
                ":3: expected 9 fields, found 7",
            ),
            (
                format!("{HEAD}0,1,200,a,0,0,\n0,1,200,a,0,0,,5,6\n"),
                ":3: expected 7 fields, found 9",
            ),
            (
                format!("{HEAD9}0,1,200,a,0,0,,x,0\n"),
                ":2: connect_us is not a whole number",
            ),
            (
                format!("{HEAD9}0,1,200,a,0,0,,0,-1\n"),
                ":2: tls_us is not a whole number",
            ),
            // Widths no stampede wrote: a header cut short or grown.
            (
                "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us\n".into(),
                ":1: wrong header",
            ),
            (format!("{}{HEAD9}", "x,"), ":1: wrong header"),
            (
                HEAD9.replace("\n", ",later\n"),
                ":1: wrong header: expected elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us (or its first 7 columns",
            ),
            (
                "elapsed_us,latency_us,status,task,wait_us,bytes\n".into(),
                ":1: wrong header",
            ),
        ] {
            let e = read(&text).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }

    /// A number field, byte by byte: digits only, nothing around them, at
    /// most 20 bytes (u64::MAX is 20 digits) whatever their value.
    #[test]
    fn number_field_edges() {
        let cases: [(&[u8], Option<u64>); 13] = [
            (b"0", Some(0)),
            (b"5", Some(5)),
            (b"00000000000000000042", Some(42)),
            (b"000000000000000000042", None),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b" 5", None),
            (b"5\r", None),
            (b"+5", None),
            (b"-5", None),
            (b"1e3", None),
            ("٣".as_bytes(), None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_u64(value),
                want,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn a_cut_off_last_line_is_skipped_with_a_warning() {
        let (rows, _, warnings) = read(&format!("{HEAD}0,1,200,a,0,0,\n1,2,20")).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            warnings[0].contains(":3: the last line is cut off"),
            "{warnings:?}"
        );
        // Cut where it still parses: skipped all the same.
        let (rows, _, warnings) = read(&format!("{HEAD}0,1,200,a,0,0,\n1,2,200,a,0,1,")).unwrap();
        assert_eq!((rows.len(), warnings.len()), (1, 1));
    }

    #[test]
    fn header_only_is_no_rows() {
        let (rows, _, _) = read(HEAD).unwrap();
        assert!(rows.is_empty());
    }

    #[test]
    fn a_first_line_with_no_end_is_no_header() {
        let path = sparse("");
        let e = read_path(&path).unwrap_err();
        assert!(
            e.contains(":1: not a results.csv: the first line is longer than 4096 bytes"),
            "{e}"
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_row_with_no_end_is_an_error_naming_its_line() {
        let path = sparse(&format!("{HEAD}0,1,200,a,0,0,\n5,"));
        let e = read_path(&path).unwrap_err();
        assert!(e.contains("r.csv:3: a row longer than"), "{e}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn the_longest_task_name_fits_in_a_row_even_quoted() {
        let name = "\"".repeat(MAX_TASK_NAME);
        let field = format!("\"{}\"", name.replace('"', "\"\""));
        let max = u64::MAX;
        let row = format!("{max},{max},200,{field},{max},{max},timeout");
        for text in [
            format!("{HEAD}{row}\n"),
            format!("{HEAD9}{row},{max},{max}\n"),
        ] {
            let (rows, names, _) = read(&text).unwrap();
            assert_eq!((rows.len(), names), (1, vec![name.clone()]));
        }
    }

    #[test]
    fn the_longest_row_fits_wherever_it_starts_in_the_read_ahead() {
        // 900 KB of short rows first: the reader has read ahead past the
        // long row's start when it begins to parse it.
        let short = "0,1,200,t,0,0,\n".repeat(60_000);
        let name = "\"".repeat(MAX_TASK_NAME);
        let field = format!("\"{}\"", name.replace('"', "\"\""));
        let (rows, _, _) = read(&format!("{HEAD}{short}0,1,200,{field},0,0,\n")).unwrap();
        assert_eq!(rows.len(), 60_001);
    }
}
