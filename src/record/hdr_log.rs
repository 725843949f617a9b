//! `run --hdr-log PATH`: the run's latencies as an HdrHistogram interval
//! log in the standard format (the one HdrHistogram's own `HistogramLogReader`s
//! and `HistogramLogProcessor` read): one V2 deflate-compressed histogram
//! per recorder interval (1 s), per task and outcome, with StartTime and
//! BaseTime headers. Values are µs of latency from the due moment; the
//! timestamps are seconds from the start (BaseTime), the `elapsed_us` axis
//! of results.csv. The histograms hold only what the recorder already has.
//!
//! Tags: `NAME` holds a task's 200 responses, `NAME!OUTCOME` each other
//! outcome (a status such as `503`, or an error kind such as `timeout`,
//! with `:STATUS` when part of a response had arrived, as results.csv's
//! `status` column has it), so every request is in exactly one histogram and `report` and `check`
//! get the counts by status and error back. The format forbids `,`, space,
//! CR and LF in a tag; a name is percent-encoded (those bytes, any other
//! whitespace or control, non-ASCII, `%` and `!`), so it maps to one tag and
//! back: `GET /a` is `GET%20/a`.

use super::interval_bins::Bin;
use super::outcomes::Outcome;
use super::recorder::Snapshot;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriter, IntervalLogWriterBuilder, Tag};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The outcome whose histograms carry the bare task name.
const MAIN: Outcome = Outcome::Status(200);

/// Between a name and its outcome in a tag; percent-encoded in names.
const SEPARATOR: char = '!';

/// The comment that ends a log, after `#`: the exact end of the run, which
/// the histograms' timestamps (to the millisecond) cannot tell.
pub(crate) const ENDED: &str = "[stampede ended: ";

/// The start of the comment that says a log is stampede's: its tags then
/// name outcomes, and its values are µs.
pub(crate) const MARK: &str = "#[stampede: ";

/// The log file, open for the whole run.
pub(crate) struct HdrLogFile {
    out: BufWriter<File>,
    serializer: V2DeflateSerializer,
}

/// The log, writing: borrows its file.
pub(crate) struct HdrLog<'a> {
    log: IntervalLogWriter<'a, 'a, BufWriter<File>, V2DeflateSerializer>,
    /// Each task's name as a tag, indexed by task.
    names: Vec<String>,
    /// The first error writing the log; nothing is written after it.
    error: Option<String>,
}

impl HdrLogFile {
    /// Create (empty) the file: before the run, so that a bad path is the
    /// user's error before anything is sent.
    pub(crate) fn create(path: &Path) -> io::Result<HdrLogFile> {
        Ok(HdrLogFile {
            out: BufWriter::new(File::create(path)?),
            serializer: V2DeflateSerializer::new(),
        })
    }

    /// Write the headers, the run starting at `started`.
    pub(crate) fn begin(
        &mut self,
        task_names: &[String],
        started: SystemTime,
    ) -> io::Result<HdrLog<'_>> {
        let secs = started
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        write!(
            self.out,
            "#[Histogram log format version 1.3]\n\
             {MARK}latency in us from the due moment, one histogram per 1s interval per task and outcome; \
             Tag=NAME holds the 200 responses, Tag=NAME!OUTCOME each other status or error; NAME percent-encoded]\n\
             #[StartTime: {secs:.3} (seconds since epoch)]\n\
             #[BaseTime: {secs:.3} (seconds since epoch)]\n\
             \"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        )?;
        // The maximum column in ms, as HdrHistogram's own tools write it.
        let log = IntervalLogWriterBuilder::new()
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut self.out, &mut self.serializer)?;
        Ok(HdrLog {
            log,
            names: task_names.iter().map(|n| encode_name(n)).collect(),
            error: None,
        })
    }

    /// Flush what is left; after the log is done with the file.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl HdrLog<'_> {
    /// Write the intervals `snap` closed; after the final one, the end.
    pub(crate) fn write(&mut self, snap: &Snapshot) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.try_write(snap) {
            self.error = Some(e);
        }
    }

    fn try_write(&mut self, snap: &Snapshot) -> Result<(), String> {
        let tick_us = snap.bins.tick_us();
        let span_us = snap.stats.span().as_micros() as u64;
        for bin in snap.bins.closed() {
            let start_us = bin.interval.saturating_mul(tick_us);
            // The interval the run ended in lasted until the last request ended.
            let length_us = if snap.is_final || snap.interval_len.as_micros() < tick_us as u128 {
                span_us.saturating_sub(start_us).clamp(1, tick_us)
            } else {
                tick_us
            };
            let tag = tag(&self.names[bin.task as usize], bin.outcome, bin.status);
            self.write_bin(bin, &tag, start_us, length_us)?;
        }
        if snap.is_final {
            let sent_us = snap.bins.sent_end_us();
            self.log
                .write_comment(&format!("{ENDED}span_us={span_us} sent_us={sent_us}]"))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn write_bin(
        &mut self,
        bin: &Bin,
        tag: &str,
        start_us: u64,
        length_us: u64,
    ) -> Result<(), String> {
        let tag = Tag::new(tag).ok_or_else(|| format!("bad tag {tag:?}"))?;
        self.log
            .write_histogram(
                &bin.latency.histogram(),
                Duration::from_micros(start_us),
                Duration::from_micros(length_us),
                Some(tag),
            )
            .map_err(|e| e.to_string())
    }

    /// Why the log is incomplete, if it is.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// `name` percent-encoded for a tag (see the module's comment).
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_graphic() && b != b',' && b != b'%' && b != SEPARATOR as u8 {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The tag of a histogram of `encoded` (a task name, encoded), `outcome`
/// and `status`: an error's tag ends in `:STATUS` when part of a response
/// had arrived, as in `NAME!closed:200`.
fn tag(encoded: &str, outcome: Outcome, status: u16) -> String {
    match outcome {
        MAIN => encoded.to_string(),
        Outcome::Error(_) if status > 0 => {
            format!("{encoded}{SEPARATOR}{}:{status}", outcome.label())
        }
        _ => format!("{encoded}{SEPARATOR}{}", outcome.label()),
    }
}

/// A tag read back: the task's name, the outcome and the status.
pub(crate) fn parse_tag(tag: &str) -> Result<(String, Outcome, u16), String> {
    let unknown = |label: &str| format!("tag {tag:?}: unknown outcome {label:?}");
    let (encoded, outcome, status) = match tag.rsplit_once(SEPARATOR) {
        Some((name, label)) => {
            let (kind, status) = match label.split_once(':') {
                Some((kind, status)) => (kind, Some(status)),
                None => (label, None),
            };
            let outcome = Outcome::parse(kind).ok_or_else(|| unknown(label))?;
            let status = match (outcome, status) {
                (Outcome::Status(code), None) => code,
                (Outcome::Error(_), None) => 0,
                (Outcome::Error(_), Some(text)) => match Outcome::parse(text) {
                    Some(Outcome::Status(code)) if code > 0 => code,
                    _ => return Err(unknown(label)),
                },
                (Outcome::Status(_), Some(_)) => return Err(unknown(label)),
            };
            (name, outcome, status)
        }
        None => (tag, MAIN, 200),
    };
    let bytes = encoded.as_bytes();
    let mut name = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("tag {tag:?}: a % not followed by two hex digits"))?;
            name.push(byte);
            i += 3;
        } else {
            name.push(bytes[i]);
            i += 1;
        }
    }
    let name =
        String::from_utf8(name).map_err(|_| format!("tag {tag:?}: the name is not UTF-8"))?;
    Ok((name, outcome, status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    #[test]
    fn every_name_maps_to_a_valid_tag_and_back() {
        for name in [
            "GET /hello",
            "POST /b, with a comma",
            "50% off! now",
            "tab\there\r\nand newline",
            "Ünïcode ✓",
            "",
            "%21",
        ] {
            let encoded = encode_name(name);
            for (outcome, status) in [
                (MAIN, 200),
                (Outcome::Status(503), 503),
                (Outcome::Error(ErrorKind::Timeout), 0),
                (Outcome::Error(ErrorKind::Closed), 200),
            ] {
                let t = tag(&encoded, outcome, status);
                assert!(Tag::new(&t).is_some(), "{t:?}");
                assert!(!t.chars().any(char::is_whitespace), "{t:?}");
                assert_eq!(
                    parse_tag(&t).unwrap(),
                    (name.to_string(), outcome, status),
                    "{t:?}"
                );
            }
        }
        assert_eq!(tag(&encode_name("GET /a"), MAIN, 200), "GET%20/a");
        let unsent = Outcome::Error(ErrorKind::Unsent);
        assert_eq!(tag(&encode_name("x"), unsent, 0), "x!unsent");
        let closed = Outcome::Error(ErrorKind::Closed);
        assert_eq!(tag("x", closed, 206), "x!closed:206");
    }

    #[test]
    fn bad_tags_are_errors() {
        for (t, why) in [
            ("a!nope", "unknown outcome"),
            ("a!1000", "unknown outcome"),
            ("a!200:204", "unknown outcome"),
            ("a!closed:x", "unknown outcome"),
            ("a!closed:0", "unknown outcome"),
            ("a%2", "two hex digits"),
            ("a%zz", "two hex digits"),
            ("%FF", "not UTF-8"),
        ] {
            let e = parse_tag(t).unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
    }
}
