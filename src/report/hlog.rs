//! HdrHistogram interval logs (`run --hdr-log`) read back, for `report`
//! and `check` beside or instead of results.csv. Histograms merge exactly:
//! each value stands for its bucket, so the merged figures are those of
//! the CSV at the histograms' precision (3 significant digits).
//!
//! A log from stampede (its `#[stampede: ` header) names each histogram's
//! task and outcome in its tag (see `record::hdr_log`). Any other log is
//! read as latencies in µs of one outcome, a task per tag: it says nothing
//! of failures, so the figures that need them refuse it (`outcomes_known`).

use super::load::Tasks;
use crate::record::hdr_log::{ENDED, MARK, parse_tag};
use crate::record::outcomes::Outcome;
use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The longest line read: a histogram of 3 digits over 1 µs to 1 h takes a
/// few KB of base64 at most; far longer is not a log.
const LINE_MAX: usize = 4 << 20;

/// The most bytes a histogram may say its counts take once inflated: the
/// deserializer allocates what it is told before reading, so a line of a
/// few bytes could otherwise ask for 4 GB. A histogram of 5 digits over
/// 1 µs to 1 h takes far less.
const PAYLOAD_MAX: u32 = 16 << 20;

/// HdrHistogram's V2 encodings, plain and deflated.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;

/// The name a histogram without a tag is counted under.
const UNTAGGED: &str = "(no tag)";

/// One histogram of a log.
pub(crate) struct Entry {
    pub task: u16,
    pub outcome: Outcome,
    /// The status, as results.csv's column has it.
    pub status: u16,
    /// The interval it covers, in µs from the start: (start, length).
    pub interval_us: (u64, u64),
    /// Latency from the due moment, in µs.
    pub latency: Histogram<u64>,
}

/// What a log says besides its histograms.
#[derive(Debug, Default)]
pub(crate) struct LogRead {
    /// When the last request ended, in µs from the start (`Stats::span`).
    pub span_us: u64,
    /// When the last request that was sent ended (`Series`' end).
    pub sent_us: u64,
    /// From stampede: the tags name outcomes, and unsent requests apart.
    pub outcomes_known: bool,
    pub warnings: Vec<String>,
}

/// Whether `path` is an interval log rather than a results.csv: by its
/// extension (`.hlog` or `.csv`), or else by its first bytes (a CSV starts
/// with its header, a log with a comment, a legend or a histogram).
pub(crate) fn is_log(path: &Path) -> Result<bool, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("hlog") => return Ok(true),
        Some("csv") => return Ok(false),
        _ => {}
    }
    let mut head = [0u8; 16];
    let n = File::open(path)
        .and_then(|f| f.take(16).read(&mut head))
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let head = &head[..n];
    Ok(head.starts_with(b"#")
        || head.starts_with(b"Tag=")
        || head.starts_with(b"\"StartTimestamp\""))
}

/// Feed every histogram of the log at `path` to `each`, in file order.
pub(crate) fn read(
    path: &Path,
    tasks: &mut Tasks,
    mut each: impl FnMut(&Entry) -> Result<(), String>,
) -> Result<LogRead, String> {
    let name = path.display();
    let file = File::open(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut read = LogRead::default();
    let (mut ended, mut entries) = (None, 0u64);
    // `#[StartTime: ` and `#[BaseTime: `, in s, and then, from the first
    // histogram on, what to add to a timestamp to count from the start.
    let (mut start_time, mut base_time) = (None, None);
    let mut offset_us: Option<i128> = None;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(LINE_MAX as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{name}:{number}: cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        if line.len() > LINE_MAX {
            return Err(format!(
                "{name}:{number}: a line longer than {LINE_MAX} bytes: not an interval log"
            ));
        }
        let whole = line.ends_with(b"\n");
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() || text.starts_with(b"\"StartTimestamp\"") {
            continue;
        }
        if text.starts_with(b"#") {
            for (prefix, value) in [
                (&b"#[StartTime: "[..], &mut start_time),
                (b"#[BaseTime: ", &mut base_time),
            ] {
                if let Some(rest) = text.strip_prefix(prefix) {
                    *value = Some(seconds(rest).ok_or_else(|| {
                        format!("{name}:{number}: a time in seconds since the epoch was expected")
                    })?);
                }
            }
            read.outcomes_known |= text.starts_with(MARK.as_bytes());
            if let Some(rest) = text.strip_prefix(format!("#{ENDED}").as_bytes()) {
                ended = Some(parse_ended(rest).ok_or_else(|| {
                    format!("{name}:{number}: a #{ENDED}...] line that does not parse")
                })?);
            }
            continue;
        }
        let mut entry = match parse_entry(text, read.outcomes_known, tasks) {
            Ok(entry) => entry,
            // Cut off mid-write, as a run killed hard leaves it.
            Err(_) if !whole => {
                read.warnings.push(format!(
                    "{name}:{number}: the last line is cut off; skipped it"
                ));
                break;
            }
            Err(why) => return Err(format!("{name}:{number}: {why}")),
        };
        let offset = *offset_us
            .get_or_insert_with(|| start_offset_us(start_time, base_time, entry.interval_us.0));
        let at = i128::from(entry.interval_us.0).saturating_add(offset);
        if at < 0 {
            return Err(format!(
                "{name}:{number}: a histogram from before the log's #[StartTime: ...]"
            ));
        }
        entry.interval_us.0 = u64::try_from(at).unwrap_or(u64::MAX);
        let (start, length) = entry.interval_us;
        read.span_us = read.span_us.max(start.saturating_add(length));
        read.sent_us = read.span_us;
        entries += 1;
        each(&entry).map_err(|why| format!("{name}:{number}: {why}"))?;
    }
    if entries == 0 && start_time.is_none() && base_time.is_none() {
        return Err(format!(
            "{name}: no histograms and no #[StartTime: ...] or #[BaseTime: ...] line: not an interval log"
        ));
    }
    // The run's own record of its end, to the µs, over the intervals'.
    if let Some((span_us, sent_us)) = ended {
        (read.span_us, read.sent_us) = (span_us, sent_us);
    }
    if !read.outcomes_known {
        read.warnings.push(format!(
            "{name}: not a log from stampede run --hdr-log: its values are read as µs, each tag as a task, and it tells no failures"
        ));
    }
    Ok(read)
}

/// `1796140800.000 (seconds since epoch)]` (and maybe a date): the seconds.
fn seconds(rest: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(rest).ok()?;
    let number = text.split([' ', ',', ']']).next()?;
    number.parse::<f64>().ok().filter(|s| s.is_finite())
}

/// What to add to a log's timestamps, in µs, so that they count from its
/// start, as HdrHistogram's `HistogramLogReader` reads them: a timestamp
/// counts from `#[BaseTime]`; without one, from `#[StartTime]` when it is
/// more than a year before it (relative), or else from the epoch
/// (absolute); and the start is `#[StartTime]`, or else the first
/// histogram's. stampede writes both times equal: the offset is then 0.
fn start_offset_us(start: Option<f64>, base: Option<f64>, first_us: u64) -> i128 {
    const YEAR_S: f64 = 365.0 * 24.0 * 3600.0;
    let first = first_us as f64 / 1e6;
    let base = base.unwrap_or(match start {
        Some(start) if first < start - YEAR_S => start,
        _ => 0.0,
    });
    let start = start.unwrap_or(base + first);
    // Saturates (`as`) for absurd headers, which the checks then refuse.
    ((base - start) * 1e6).round() as i128
}

/// `span_us=N sent_us=M]`
fn parse_ended(rest: &[u8]) -> Option<(u64, u64)> {
    let rest = std::str::from_utf8(rest).ok()?.strip_suffix(']')?;
    let mut fields = rest.split(' ');
    let span = fields.next()?.strip_prefix("span_us=")?.parse().ok()?;
    let sent = fields.next()?.strip_prefix("sent_us=")?.parse().ok()?;
    fields.next().is_none().then_some((span, sent))
}

/// One histogram line.
fn parse_entry(text: &[u8], stampede: bool, tasks: &mut Tasks) -> Result<Entry, String> {
    let mut line = Vec::with_capacity(text.len() + 1);
    line.extend_from_slice(text);
    line.push(b'\n');
    let Some(Ok(LogEntry::Interval(h))) = IntervalLogIterator::new(&line).next() else {
        return Err("not an interval log line (TAG=...,START,LENGTH,MAX,HISTOGRAM)".into());
    };
    let (task_name, outcome, status) = match h.tag() {
        Some(tag) if stampede => parse_tag(&tag)?,
        Some(tag) => (tag.to_string(), Outcome::Status(200), 200),
        None => (UNTAGGED.to_string(), Outcome::Status(200), 200),
    };
    let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    Ok(Entry {
        task: tasks.index_of(task_name.as_bytes())?,
        outcome,
        status,
        interval_us: (micros(h.start_timestamp()), micros(h.duration())),
        latency: decode(h.encoded_histogram())?,
    })
}

/// A base64 V2 histogram, its declared size checked before it is made.
fn decode(encoded: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the histogram is not base64: {e}"))?;
    let word = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    // Cookie, then the size of what follows the 40-byte header.
    let declared = match word(&bytes, 0) {
        Some(V2_COOKIE) => word(&bytes, 4),
        Some(V2_COMPRESSED_COOKIE) => {
            let mut inner = [0u8; 8];
            flate2::read::ZlibDecoder::new(bytes.get(8..).unwrap_or_default())
                .read_exact(&mut inner)
                .map_err(|e| format!("the histogram does not inflate: {e}"))?;
            word(&inner, 4)
        }
        // The deserializer names what is wrong.
        _ => None,
    };
    if declared.is_some_and(|n| n > PAYLOAD_MAX) {
        return Err(format!(
            "the histogram says its counts take {} bytes, more than {PAYLOAD_MAX}",
            declared.unwrap_or(0)
        ));
    }
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("bad histogram: {e}"))
}

#[cfg(test)]
mod tests;
