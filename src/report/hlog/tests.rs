//! The reader alone, and a log written by the recorder read back against
//! the CSV the same recorder wrote.

use super::*;
use crate::record::hdr_log::HdrLogFile;
use crate::record::recorder::Recorder;
use crate::record::{ErrorKind, Sample};
use crate::report::Report;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

#[test]
fn the_end_line_parses_and_nothing_else_does() {
    assert_eq!(parse_ended(b"span_us=12 sent_us=10]"), Some((12, 10)));
    for bad in [
        &b"span_us=12]"[..],
        b"span_us=12 sent_us=10",
        b"span_us=x sent_us=10]",
        b"span_us=12 sent_us=10 more]",
    ] {
        assert_eq!(parse_ended(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn a_histogram_that_asks_for_gigabytes_is_refused_before_it_is_made() {
    use std::io::Write;
    // A V2 header that says its counts take 4 GB, deflated, then base64.
    let mut inner = Vec::new();
    inner.extend_from_slice(&V2_COOKIE.to_be_bytes());
    inner.extend_from_slice(&u32::MAX.to_be_bytes());
    inner.extend_from_slice(&[0; 32]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&inner).unwrap();
    let deflated = z.finish().unwrap();
    let mut outer = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
    outer.extend_from_slice(&(deflated.len() as u32).to_be_bytes());
    outer.extend_from_slice(&deflated);
    let e = decode(&base64::engine::general_purpose::STANDARD.encode(&outer)).unwrap_err();
    assert!(e.contains("more than"), "{e}");
    // Plain, too.
    let e = decode(&base64::engine::general_purpose::STANDARD.encode(&inner)).unwrap_err();
    assert!(e.contains("more than"), "{e}");
    assert!(decode("!!").unwrap_err().contains("not base64"));
    assert!(decode("AAAA").unwrap_err().contains("bad histogram"));
}

fn scratch_dir() -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("stampede-hlog-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const NAMES: [&str; 3] = ["GET /a", "b, with \"quotes\" and 100% !", "rare"];

/// 6 s of requests in completion order: three tasks (one of a few
/// requests, kept as values rather than a histogram), statuses, errors,
/// latencies from 1 µs to past the histograms' hour, and unsent requests
/// at the end.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..30_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let task = if i % 3000 == 7 { 2 } else { (x % 2) as u16 };
        let latency_us = match x % 1000 {
            0 => 3_600_000_000 * 2,
            1..=9 => 1 + x % 3_000_000,
            _ => 1 + (x >> 11) % 40_000,
        };
        let (status, error) = match x % 40 {
            0 => (0, Some(ErrorKind::Timeout)),
            1 => (0, Some(ErrorKind::Reset)),
            2 | 3 => (503, None),
            4 => (404, None),
            5 => (204, None),
            _ => (200, None),
        };
        out.push(Sample {
            elapsed_us: i * 200 + x % 150_000,
            latency_us,
            wait_us: latency_us / 3,
            bytes: 120,
            status,
            task,
            error,
            connect_us: 0,
            tls_us: 0,
        });
    }
    for k in 0..4 {
        out.push(Sample {
            elapsed_us: 6_100_000 + k,
            latency_us: 5_000 - k,
            wait_us: 5_000 - k,
            bytes: 0,
            status: 0,
            task: 0,
            error: Some(ErrorKind::Unsent),
            connect_us: 0,
            tls_us: 0,
        });
    }
    out
}

/// Record `samples` as a run would: results.csv and the log, side by side.
fn record(samples: Vec<Sample>) -> (PathBuf, PathBuf) {
    let dir = scratch_dir();
    let (csv, hlog) = (dir.join("r.csv"), dir.join("r.hlog"));
    let names: Vec<String> = NAMES.map(String::from).to_vec();
    let out = std::fs::File::create(&csv).unwrap();
    let (recorder, pipes) = Recorder::new(Some(out), &names, true).unwrap();
    let mut file = HdrLogFile::create(&hlog).unwrap();
    let mut log = file.begin(&names, SystemTime::now()).unwrap();
    let sender = std::thread::spawn(move || {
        for batch in samples.chunks(1000) {
            pipes.samples.send(batch.to_vec()).unwrap();
        }
    });
    recorder.run(Instant::now(), Duration::from_secs(1), |snap| {
        log.write(snap)
    });
    sender.join().unwrap();
    assert_eq!(log.error(), None);
    drop(log);
    file.finish().unwrap();
    (csv, hlog)
}

/// The time series as rows of fields; the bytes column left out.
fn series_rows(report: &Report) -> Vec<Vec<String>> {
    let text = report.series.to_csv(&report.tasks.names);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mut fields: Vec<String> = r.iter().map(String::from).collect();
            fields.remove(10); // start_s,task,requests,rps,failures,avg,p50,p90,p99,max,bytes,length_s
            fields
        })
        .collect()
}

#[test]
fn a_log_reads_back_as_its_csv_does_at_histogram_precision() {
    let (csv, hlog) = record(samples());
    let interval = Duration::from_secs(1);
    let by_csv = Report::load(&[csv.as_path()], interval, true).unwrap();
    let by_log = Report::load(&[hlog.as_path()], interval, true).unwrap();
    // Tasks are numbered as first seen: the CSV's rows and the log's
    // histograms see them in their own orders.
    assert_eq!(by_log.tasks.names, NAMES, "names come back whole");
    let csv_task = |name: &str| by_csv.tasks.names.iter().position(|n| n == name).unwrap();
    let order: Vec<usize> = NAMES.iter().map(|n| csv_task(n)).collect();
    let (a, b) = (&by_csv.stats, &by_log.stats);
    assert_eq!(a.total.requests, 30_004);
    assert_eq!(a.span(), b.span(), "the run's end, to the µs");
    assert_eq!(a.rate(), b.rate());
    assert_eq!(a.status_counts(), b.status_counts());
    assert_eq!(a.error_counts(), b.error_counts());
    assert_eq!(a.unsent(), b.unsent());
    let tasks = order.iter().map(|&i| &a.tasks[i]).zip(&b.tasks);
    for (i, (x, y)) in std::iter::once((&a.total, &b.total))
        .chain(tasks)
        .enumerate()
    {
        assert_eq!(
            (x.requests, x.responses, x.failures),
            (y.requests, y.responses, y.failures),
            "tally {i}"
        );
        for q in [0.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            assert_eq!(x.percentile_us(q), y.percentile_us(q), "tally {i} p{q}");
        }
        assert_eq!(
            (x.min_us(), x.max_us(), x.mean_us(), x.stdev_us()),
            (y.min_us(), y.max_us(), y.mean_us(), y.stdev_us()),
            "tally {i}"
        );
        if i > 0 {
            assert_eq!(a.outcomes(order[i - 1]), b.outcomes(i - 1), "task {i}");
        }
    }
    // The series: counts and rates exactly; the latency columns (from
    // each request's own value in the CSV) to the histograms' precision.
    let sorted = |mut rows: Vec<Vec<String>>| {
        rows.sort_by(|x, y| {
            (x[0].parse::<f64>().unwrap(), &x[1])
                .partial_cmp(&(y[0].parse().unwrap(), &y[1]))
                .unwrap()
        });
        rows
    };
    let (rows_csv, rows_log) = (sorted(series_rows(&by_csv)), sorted(series_rows(&by_log)));
    // Requests of 2 h end 2 h in: a long, mostly empty, series.
    assert_eq!(rows_csv.len(), rows_log.len());
    assert!(rows_csv.len() > 7200 * 3, "{}", rows_csv.len());
    for (x, y) in rows_csv.iter().zip(&rows_log) {
        // The CSV's mean and maximum take a latency over the histograms'
        // hour as it is; a log has it as 1 h, as every percentile does.
        let past_an_hour = x[9].parse::<f64>().unwrap() > 3_600_000.0;
        for (k, (f, g)) in x.iter().zip(y).enumerate() {
            if (5..=9).contains(&k) && past_an_hour {
                continue;
            }
            if (5..=9).contains(&k) {
                let (f, g): (f64, f64) = (f.parse().unwrap(), g.parse().unwrap());
                assert!((f - g).abs() <= f.max(g) * 0.002 + 0.001, "{x:?} vs {y:?}");
            } else {
                assert_eq!(f, g, "column {k}: {x:?} vs {y:?}");
            }
        }
    }
}

#[test]
fn a_file_is_a_log_by_its_extension_or_else_its_first_bytes() {
    let dir = scratch_dir();
    for (name, text, log) in [
        ("a.hlog", "elapsed_us,latency_us", true),
        ("a.csv", "#[BaseTime: 0.000 (seconds since epoch)]\n", false),
        ("a.log", "#[BaseTime: 0.000 (seconds since epoch)]\n", true),
        ("b", "Tag=x,0.000,1.000,1.0,HISTF\n", true),
        ("c.txt", "elapsed_us,latency_us,status\n", false),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        assert_eq!(is_log(&path).unwrap(), log, "{name}");
    }
}

#[test]
fn counts_past_u64_saturate() {
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
    let mut h = Histogram::<u64>::new(3).unwrap();
    // The most a V2 histogram holds: three of them pass u64::MAX.
    h.record_n(5, i64::MAX as u64).unwrap();
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&h, &mut bytes)
        .unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let mut text = String::from("#[stampede: x]\n#[BaseTime: 0.000 (seconds since epoch)]\n");
    for tag in ["a", "a!503", "a!timeout"] {
        text.push_str(&format!("Tag={tag},0.000,1.000,0.005,{encoded}\n"));
    }
    let path = scratch_dir().join("big.hlog");
    std::fs::write(&path, text).unwrap();
    let report = Report::load(&[path.as_path()], Duration::from_secs(1), true).unwrap();
    assert_eq!(report.stats.total.requests, u64::MAX);
    assert_eq!(report.series.total[0].requests, u64::MAX);
    assert_eq!(report.stats.total.percentile_us(50.0), 5);
}

/// A log as HdrHistogram's Java `HistogramLogWriter` may leave it: its
/// timestamps count from `#[BaseTime]` when there is one, or else are
/// relative to `#[StartTime]` when more than a year before it (jHiccup's
/// logs carry no BaseTime), or else absolute; `HistogramLogReader` puts
/// every interval at its offset from StartTime. Read the same way, the
/// intervals here are 0 s and 1 s from the start, whatever the headers.
#[test]
fn timestamps_count_from_the_start_time_as_hdrhistogram_reads_them() {
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
    let mut h = Histogram::<u64>::new(3).unwrap();
    h.record_n(700, 10).unwrap();
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&h, &mut bytes)
        .unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let lines = |first: &str, second: &str| {
        format!("Tag=a,{first},1.000,0.700,{encoded}\nTag=a,{second},0.500,0.700,{encoded}\n")
    };
    let start =
        "#[StartTime: 1796140800.000 (seconds since epoch), Tue Dec 01 16:00:00 UTC 2026]\n";
    for (name, text) in [
        // stampede's own: BaseTime is StartTime.
        (
            "same.hlog",
            format!(
                "{start}#[BaseTime: 1796140800.000 (seconds since epoch)]\n{}",
                lines("0.000", "1.000")
            ),
        ),
        // jHiccup: no BaseTime, timestamps from StartTime.
        ("nobase.hlog", format!("{start}{}", lines("0.000", "1.000"))),
        // Absolute timestamps (a BaseTime of 0, or none).
        (
            "zero.hlog",
            format!(
                "{start}#[BaseTime: 0.000 (seconds since epoch)]\n{}",
                lines("1796140800.000", "1796140801.000")
            ),
        ),
        (
            "absolute.hlog",
            format!("{start}{}", lines("1796140800.000", "1796140801.000")),
        ),
        // A BaseTime 10 s before the start.
        (
            "before.hlog",
            format!(
                "{start}#[BaseTime: 1796140790.000 (seconds since epoch)]\n{}",
                lines("10.000", "11.000")
            ),
        ),
    ] {
        let path = scratch_dir().join(name);
        std::fs::write(&path, text).unwrap();
        let report = Report::load(&[path.as_path()], Duration::from_secs(1), false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let per_second: Vec<u64> = report.series.total.iter().map(|b| b.requests).collect();
        assert_eq!(per_second, [10, 10], "{name}");
        assert_eq!(report.run_time, Duration::from_millis(1500), "{name}");
    }
    let path = scratch_dir().join("early.hlog");
    let base = "#[BaseTime: 1796140700.000 (seconds since epoch)]\n";
    std::fs::write(&path, format!("{start}{base}{}", lines("10.000", "11.000"))).unwrap();
    let e = Report::load(&[path.as_path()], Duration::from_secs(1), false)
        .err()
        .unwrap();
    assert!(
        e.contains("early.hlog:3: a histogram from before the log's #[StartTime"),
        "{e}"
    );
    // Absurd headers: no overflow, the interval is placed or refused.
    for (name, head) in [
        ("huge.hlog", "#[StartTime: -1e308]\n#[BaseTime: 1e308]\n"),
        ("tiny.hlog", "#[StartTime: 1e308]\n#[BaseTime: -1e308]\n"),
    ] {
        let path = scratch_dir().join(name);
        let short =
            format!("Tag=a,0.000,0.001,0.700,{encoded}\nTag=a,1.000,0.001,0.700,{encoded}\n");
        std::fs::write(&path, format!("{head}{short}")).unwrap();
        let _ = Report::load(&[path.as_path()], Duration::from_secs(1), false);
    }
}
