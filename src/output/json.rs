//! The summary as JSON (`--summary`), written by hand: the keys are
//! documented in the README and are a contract like results.csv.

use super::{DISTRIBUTION, RunInfo, per_sec, percentile};
use crate::record::Stats;
use std::fmt::Write;

pub(crate) fn render(stats: &Stats, info: &RunInfo) -> String {
    let t = &stats.total;
    let mut o = Object::default();
    o.num("run_time_s", info.run_time.as_secs_f64());
    o.raw("users", or_null(info.users.map(|u| u as u64)));
    o.int("requests", t.requests);
    o.int("successes", t.requests - t.failures);
    o.int("failures", t.failures);
    o.num("success_rate_pct", 100.0 - t.failure_pct());
    o.int("responses", t.responses);
    o.int("unsent", stats.unsent());
    o.num("rps", stats.rate());
    o.raw("latency_ms", distribution(&t.latency()));
    // `null` from HdrHistogram logs alone, which have no such figures.
    let per_request = |figures: String| {
        if info.histograms_only {
            "null".to_string()
        } else {
            figures
        }
    };
    o.raw("service_ms", per_request(distribution(&stats.service)));
    o.raw("wait_ms", per_request(distribution(&stats.wait)));
    // Over the requests that opened a connection; `null` when the CSV is
    // older than the columns.
    for (key, h) in [("connect_ms", &stats.connect), ("tls_ms", &stats.tls)] {
        let figures = info.connection_times.then(|| counted(h));
        o.raw(key, figures.unwrap_or_else(|| "null".into()));
    }
    let tasks: Vec<String> = info
        .tasks
        .iter()
        .zip(&stats.tasks)
        .enumerate()
        .map(|(i, ((method, name), tally))| {
            let mut task = Object::default();
            task.str("method", method);
            task.str("name", name);
            task.int("requests", tally.requests);
            task.int("failures", tally.failures);
            task.num("rps", tally.rate(stats.span()));
            task.raw("latency_ms", distribution(&tally.latency()));
            let mut outcomes = Object::default();
            for (outcome, n) in stats.outcomes(i) {
                outcomes.int(&outcome.label(), *n);
            }
            task.raw("outcomes", outcomes.finish());
            match info.check_failures.get(i).and_then(Option::as_ref) {
                Some(why) => task.str("first_check_failure", why),
                None => task.raw("first_check_failure", "null".into()),
            }
            task.finish()
        })
        .collect();
    o.raw("tasks", format!("[{}]", tasks.join(",")));
    let mut statuses = Object::default();
    for (code, n) in stats.status_counts() {
        statuses.int(&code.to_string(), n);
    }
    o.raw("status_counts", statuses.finish());
    let mut errors = Object::default();
    for (kind, n) in stats.error_counts() {
        errors.int(kind.as_str(), n);
    }
    o.raw("error_counts", errors.finish());
    if info.histograms_only {
        o.raw("bytes_received", "null".into());
        o.raw("throughput_mb_s", "null".into());
    } else {
        o.int("bytes_received", t.bytes);
        o.num("throughput_mb_s", per_sec(t.bytes, info.run_time) / 1e6);
    }
    o.raw("bytes_sent", or_null(info.bytes_sent));
    o.raw("connections_opened", or_null(info.connections_opened));
    o.raw("connections_resumed", or_null(info.connections_resumed));
    o.raw("requests_resent", or_null(info.resent));
    match &info.tls_problem {
        Some(why) => o.str("tls_problem", why),
        None => o.raw("tls_problem", "null".into()),
    }
    match &info.init_problem {
        Some(why) => o.str("init_problem", why),
        None => o.raw("init_problem", "null".into()),
    }
    o.raw("recorder_backpressure", or_null(info.backpressure));
    o.raw("late_requests", or_null(info.late));
    // A CSV does not say which requests went out late.
    o.raw(
        "generator_lagging",
        match info.late {
            Some(_) => info.generator_lagging(t.requests).to_string(),
            None => "null".into(),
        },
    );
    o.raw(
        "generator_stalls",
        info.stalls.map_or("null".into(), |s| s.count.to_string()),
    );
    match info.stalls {
        Some(s) => o.num("longest_stall_ms", s.longest.as_secs_f64() * 1000.0),
        None => o.raw("longest_stall_ms", "null".into()),
    }
    let segment = info.segment.map(|s| {
        let mut segment = Object::default();
        segment.int("index", s.index as u64);
        segment.int("count", s.count as u64);
        segment.finish()
    });
    o.raw("segment", segment.unwrap_or_else(|| "null".into()));
    o.raw(
        "start_skew_us",
        info.start_skew_us
            .map_or("null".into(), |us| us.to_string()),
    );
    o.finish() + "\n"
}

/// A figure only the run knows: `null` from `report`.
fn or_null(n: Option<u64>) -> String {
    n.map_or("null".into(), |n| n.to_string())
}

/// avg, stdev, min, max and the percentiles of a histogram, in ms.
fn distribution(h: &hdrhistogram::Histogram<u64>) -> String {
    let mut o = Object::default();
    figures(&mut o, h);
    o.finish()
}

/// `distribution`, after the count of values it is over.
fn counted(h: &hdrhistogram::Histogram<u64>) -> String {
    let mut o = Object::default();
    o.int("count", h.len());
    figures(&mut o, h);
    o.finish()
}

fn figures(o: &mut Object, h: &hdrhistogram::Histogram<u64>) {
    let to_ms = |us: u64| us as f64 / 1000.0;
    let empty = h.is_empty();
    o.num("avg", if empty { 0.0 } else { h.mean() / 1000.0 });
    o.num("stdev", h.stdev() / 1000.0);
    o.num("min", to_ms(if empty { 0 } else { h.min() }));
    o.num("max", to_ms(if empty { 0 } else { h.max() }));
    for (_, key, q) in DISTRIBUTION {
        o.num(key, to_ms(percentile(h, q)));
    }
}

/// A JSON object built field by field.
#[derive(Default)]
pub(crate) struct Object(String);

impl Object {
    pub(crate) fn raw(&mut self, key: &str, value: String) {
        let sep = if self.0.is_empty() { "" } else { "," };
        let _ = write!(self.0, "{sep}{}:{value}", quote(key));
    }
    pub(crate) fn int(&mut self, key: &str, value: u64) {
        self.raw(key, value.to_string());
    }
    pub(crate) fn num(&mut self, key: &str, value: f64) {
        // JSON has no NaN or infinity; these figures never are, but stay valid if they were.
        self.raw(
            key,
            if value.is_finite() {
                format!("{}", (value * 1000.0).round() / 1000.0)
            } else {
                "null".into()
            },
        );
    }
    pub(crate) fn str(&mut self, key: &str, value: &str) {
        self.raw(key, quote(value));
    }
    pub(crate) fn finish(self) -> String {
        format!("{{{}}}", self.0)
    }
}

pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::segment::Segment;
    use crate::record::{ErrorKind, Sample};
    use std::time::Duration;

    #[test]
    fn quotes_control_characters() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn renders_all_keys() {
        let mut stats = Stats::new(1);
        stats.add(&Sample {
            elapsed_us: 0,
            latency_us: 1500,
            wait_us: 0,
            bytes: 10,
            status: 200,
            task: 0,
            error: None,
            connect_us: 300,
            tls_us: 0,
        });
        stats.add(&Sample {
            elapsed_us: 0,
            latency_us: 10,
            wait_us: 0,
            bytes: 0,
            status: 0,
            task: 0,
            error: Some(ErrorKind::Timeout),
            connect_us: 0,
            tls_us: 0,
        });
        let info = RunInfo {
            run_time: Duration::from_secs(1),
            users: Some(2),
            open_model: false,
            tasks: vec![("GET".into(), "a \"b\"".into())],
            backpressure: None,
            late: None,
            stalls: None,
            bytes_sent: Some(4321),
            connections_opened: None,
            tls_problem: None,
            init_problem: None,
            check_failures: vec![Some("status 503, expected 2xx".into())],
            connections_resumed: None,

            resent: None,
            connection_times: true,
            segment: None,
            start_skew_us: None,
            histograms_only: false,
        };
        let json = render(&stats, &info);
        for needle in [
            r#""requests":2"#,
            r#""failures":1"#,
            r#""users":2"#,
            r#""name":"a \"b\"""#,
            r#""status_counts":{"0":1,"200":1}"#,
            r#""error_counts":{"timeout":1}"#,
            r#""outcomes":{"200":1,"timeout":1},"first_check_failure":"status 503, expected 2xx"}]"#,
            r#""recorder_backpressure":null"#,
            r#""generator_stalls":null"#,
            r#""longest_stall_ms":null"#,
            r#""segment":null,"start_skew_us":null}"#,
            r#""bytes_sent":4321"#,
            r#""connections_opened":null"#,
            r#""connections_resumed":null"#,
            r#""connect_ms":{"count":1,"avg":0.3,"stdev":0,"min":0.3,"max":0.3,"p50":0.3,"#,
            r#""tls_ms":{"count":0,"avg":0,"stdev":0,"min":0,"max":0,"p50":0,"#,
            r#""p99_99":"#,
            r#""latency_ms":{"avg":0.755,"stdev":0.745,"min":0.01,"#,
        ] {
            assert!(json.contains(needle), "missing {needle} in {json}");
        }
    }

    #[test]
    fn connection_times_are_null_when_the_csv_has_none() {
        // `report` on a CSV of 7 columns.
        let json = render(&Stats::new(0), &RunInfo::default());
        for needle in [
            r#""connect_ms":null,"tls_ms":null,"#,
            r#""connections_opened":null,"connections_resumed":null,"#,
        ] {
            assert!(json.contains(needle), "missing {needle} in {json}");
        }
    }

    #[test]
    fn reports_the_segment_and_the_start_skew() {
        let info = RunInfo {
            segment: Some(Segment { index: 2, count: 4 }),
            start_skew_us: Some(-17),
            ..RunInfo::default()
        };
        let json = render(&Stats::new(0), &info);
        let needle = r#""segment":{"index":2,"count":4},"start_skew_us":-17}"#;
        assert!(json.contains(needle), "missing {needle} in {json}");
    }

    #[test]
    fn reports_the_generator_stalls() {
        let info = RunInfo {
            stalls: Some(crate::engine::Stalls {
                count: 3,
                longest: Duration::from_micros(2_158_547),
            }),
            ..RunInfo::default()
        };
        let json = render(&Stats::new(0), &info);
        for needle in [r#""generator_stalls":3"#, r#""longest_stall_ms":2158.547"#] {
            assert!(json.contains(needle), "missing {needle} in {json}");
        }
    }
}
