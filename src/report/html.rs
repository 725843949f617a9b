//! The HTML report: one self-contained file (inline CSS and SVG, no
//! JavaScript, nothing fetched), readable offline and in print.

use super::Report;
use super::series::Bucket;
use super::svg::{self, Chart, Kind, Series};
use crate::output::{
    DISTRIBUTION, SETUP_COLUMNS, TASK_COLUMNS, ms, percentile, setup_figures, setup_rows,
    task_figures,
};
use crate::record::Stats;
use crate::record::stats::Tally;
use crate::xml::escape;
use std::fmt::Write;

/// Chart size in the page; the SVG scales down with the window.
pub(crate) const WIDTH: u32 = 900;
pub(crate) const HEIGHT: u32 = 300;

/// Points on the percentile curve: 20 a decade, from 0% to 99.999%.
const DISTRIBUTION_STEPS: u32 = 100;
const DISTRIBUTION_DECADES: f64 = 5.0;

/// The page's CSS, shared with the live dashboard.
pub(crate) const STYLE: &str = "\
body{font-family:sans-serif;color:#222;max-width:960px;margin:1.5em auto;padding:0 1em}\
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .4em}\
.plan{color:#555;margin:.2em 0 0}\
.summary{display:flex;flex-wrap:wrap;gap:.6em 2.5em;margin:1em 0}\
.summary div{display:flex;flex-direction:column}\
.summary span{font-size:.8em;color:#666}.summary b{font-size:1.3em}\
figure{margin:1.2em 0}svg{max-width:100%;height:auto}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\
th,td{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right}\
th{background:#f3f3f3}.l{text-align:left}td.name{max-width:28em;overflow-wrap:anywhere}\
tr.total td{font-weight:bold;border-top:2px solid #999}\
.warnings{background:#fff4e5;border-left:4px solid #e69500;padding:.5em 1em}\
footer{margin-top:2em;font-size:.8em;color:#777}\
@media print{body{max-width:none;margin:0}\
figure,svg,table,.warnings,.summary{break-inside:avoid;page-break-inside:avoid}\
h2{break-after:avoid;page-break-after:avoid}}";

/// The whole page. Every string from the CSV is escaped.
pub(crate) fn render(report: &Report, title: &str) -> String {
    let mut out = String::with_capacity(64 * 1024 + report.scatter.len() * 16);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
    header(&mut out, report, title);
    if !report.warnings.is_empty() {
        out.push_str("<div class=\"warnings\"><b>Warnings</b><ul>");
        for w in &report.warnings {
            let _ = write!(out, "<li>{}</li>", escape(w));
        }
        out.push_str("</ul></div>\n");
    }
    for chart in charts(report) {
        let _ = writeln!(out, "<figure>{}</figure>", chart.render(WIDTH, HEIGHT));
    }
    let tasks: Vec<(&str, &str)> = report
        .tasks
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                report.methods.get(i).map_or("", String::as_str),
                name.as_str(),
            )
        })
        .collect();
    task_table(&mut out, &report.stats, &tasks);
    // HdrHistogram logs alone have no waits: latency is all there is.
    distribution_table(&mut out, &report.stats, report.rows > 0);
    // A CSV does not say how many connections were opened; its rows do,
    // when it has the columns.
    setup_table(&mut out, &report.stats, report.connection_times);
    counts_tables(&mut out, &report.stats);
    let _ = write!(
        out,
        "<footer>stampede {}, from {} recorded requests</footer>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        report.rows
    );
    out
}

fn header(out: &mut String, report: &Report, title: &str) {
    let t = &report.stats.total;
    let _ = write!(out, "<header><h1>{}</h1>", escape(title));
    // What was tested, when the run left its meta file beside the CSV.
    if let Some(meta) = &report.meta {
        let _ = write!(
            out,
            "<p class=\"plan\">{}: {}</p>",
            escape(&meta.target),
            escape(&meta.plan)
        );
    }
    out.push_str("<div class=\"summary\">");
    let items = vec![
        (
            "Run time",
            format!("{:.2} s", report.run_time.as_secs_f64()),
        ),
        ("Requests", t.requests.to_string()),
        (
            "Failures",
            format!("{} ({:.2} %)", t.failures, t.failure_pct()),
        ),
        ("RPS", format!("{:.1}", report.stats.rate())),
        ("Median", format!("{} ms", ms(t.percentile_us(50.0)))),
        ("p99", format!("{} ms", ms(t.percentile_us(99.0)))),
        ("Max", format!("{} ms", ms(t.max_us()))),
    ];
    figures(out, &items);
    out.push_str("</div></header>\n");
}

/// Headline figures, label over value, for a `<div class="summary">`.
pub(crate) fn figures(out: &mut String, items: &[(&str, String)]) {
    for (label, value) in items {
        let _ = write!(
            out,
            "<div><span>{}</span><b>{}</b></div>",
            escape(label),
            escape(value)
        );
    }
}

/// The page's charts, in order: throughput, latency over time, failures,
/// every request (sampled), the latency distribution, requests in flight.
pub(crate) fn charts(report: &Report) -> Vec<Chart> {
    let secs = report.series.interval_us as f64 / 1e6;
    let interval = format!("{} s intervals", trim(secs));
    // Each point at the middle of its interval, its figure over the time
    // the interval lasted (the last lasts until the last request ended).
    let points = report.series.points(&report.series.total);
    let over_time = |f: &dyn Fn(&Bucket, f64) -> f64| -> Vec<(f64, f64)> {
        points
            .iter()
            .map(|&(mid, len, b)| (mid, f(b, len)))
            .collect()
    };
    let sliver = if report.series.drops_a_sliver() {
        "; the run's last fraction of an interval is left out"
    } else {
        ""
    };
    let rps = Chart::new("Requests per second", "time (s)", "requests/s")
        .series(Series::new(
            "responses/s",
            svg::BLUE,
            over_time(&|b, len| b.responses as f64 / len),
        ))
        .note(format!("responses, counted in {interval}{sliver}"));
    let latency = Chart::new("Latency over time", "time (s)", "latency (ms)")
        .series(Series::new(
            "p50",
            svg::BLUE,
            over_time(&|b, _| b.percentile_ms(50.0)),
        ))
        .series(Series::new(
            "p90",
            svg::ORANGE,
            over_time(&|b, _| b.percentile_ms(90.0)),
        ))
        .series(Series::new(
            "p99",
            svg::RED,
            over_time(&|b, _| b.percentile_ms(99.0)),
        ))
        .note(format!(
            "percentiles of the requests completed in {interval}"
        ));
    let failures = Chart::new("Failures", "time (s)", "failures (count)")
        .series(Series::new(
            "failures",
            svg::RED,
            over_time(&|b, _| b.failures as f64),
        ))
        .note(format!(
            "failed requests (an error or a status >= 400), counted in {interval}"
        ))
        .counts_y();
    let in_flight = Chart::new(
        "Requests in flight (average)",
        "time (s)",
        "requests in flight (average)",
    )
    .series(Series::new(
        "in flight",
        svg::PURPLE,
        over_time(&|b, len| b.busy_us as f64 / 1e6 / len),
    ))
    .note(
        "derived from latency by Little's law: the latencies of the requests completed \
         in each interval, summed, over its length",
    );
    vec![
        rps,
        latency,
        failures,
        scatter(report),
        distribution(&report.stats.total),
        in_flight,
    ]
}

fn scatter(report: &Report) -> Chart {
    let point = |&(elapsed_us, latency_us, _): &(u64, u64, bool)| {
        (elapsed_us as f64 / 1e6, latency_us as f64 / 1000.0)
    };
    let ok = report.scatter.iter().filter(|p| !p.2).map(point).collect();
    let failed: Vec<(f64, f64)> = report.scatter.iter().filter(|p| p.2).map(point).collect();
    let mut chart = Chart::new("Latency of each request", "time sent (s)", "latency (ms)")
        .kind(Kind::Scatter)
        .series(Series::new("ok", svg::BLUE, ok));
    if !failed.is_empty() {
        chart = chart.series(Series::new("failed", svg::RED, failed));
    }
    let shown = report.scatter.len() as u64;
    if report.rows > shown {
        chart = chart.note(format!(
            "sampled {shown} of {} requests, uniformly",
            report.rows
        ));
    }
    chart
}

/// The latency percentile curve as wrk2 and HdrHistogram plot it: x is
/// 1/(1-q) on a log scale, so each decade is one more nine.
pub(crate) fn distribution(total: &Tally) -> Chart {
    let points = if total.requests == 0 {
        Vec::new()
    } else {
        (0..=DISTRIBUTION_STEPS)
            .map(|i| {
                let x =
                    10f64.powf(DISTRIBUTION_DECADES * f64::from(i) / f64::from(DISTRIBUTION_STEPS));
                let q = 100.0 * (1.0 - 1.0 / x);
                (x, total.percentile_us(q) as f64 / 1000.0)
            })
            .collect()
    };
    // Both axes are logarithmic: one slow outlier must not flatten the rest.
    Chart::new("Latency distribution", "percentile", "latency (ms)")
        .series(Series::new("latency", svg::BLUE, points))
        .log_x(Some(svg::percentile_tick))
        .log_y()
        .note(format!(
            "all {} requests; max {} ms",
            total.requests,
            ms(total.max_us())
        ))
}

/// The per-task table: `tasks` is (method, name) by task id, and the RPS
/// column is over the run's span.
pub(crate) fn task_table(out: &mut String, stats: &Stats, tasks: &[(&str, &str)]) {
    out.push_str("<h2>Requests by task</h2><table><thead><tr><th class=\"l\">Method</th><th class=\"l\">Name</th>");
    for column in TASK_COLUMNS {
        let _ = write!(out, "<th>{column}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    let row = |out: &mut String, class: &str, method: &str, name: &str, t: &Tally| {
        let _ = write!(
            out,
            "<tr{class}><td class=\"l\">{}</td><td class=\"l name\">{}</td>",
            escape(method),
            escape(name)
        );
        for figure in task_figures(t, stats.span()) {
            let _ = write!(out, "<td>{figure}</td>");
        }
        out.push_str("</tr>\n");
    };
    for (i, (method, name)) in tasks.iter().enumerate() {
        if let Some(t) = stats.tasks.get(i) {
            row(out, "", method, name, t);
        }
    }
    row(out, " class=\"total\"", "", "Total", &stats.total);
    out.push_str("</tbody></table><p>Latencies in ms.</p>\n");
}

/// Latency and, with `parts`, its two parts, at the summary's percentiles.
pub(crate) fn distribution_table(out: &mut String, stats: &Stats, parts: bool) {
    out.push_str("<h2>Latency distribution (ms)</h2><table><thead><tr><th></th>");
    for (label, _, _) in DISTRIBUTION {
        let _ = write!(out, "<th>{label}</th>");
    }
    out.push_str("<th>max</th></tr></thead><tbody>\n");
    let latency = stats.total.latency();
    let rows = [
        ("latency (from due)", &*latency),
        ("service (latency - wait)", &stats.service),
        ("wait (due to written)", &stats.wait),
    ];
    let shown = if parts { rows.len() } else { 1 };
    for (name, h) in rows.into_iter().take(shown) {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", escape(name));
        for (_, _, q) in DISTRIBUTION {
            let _ = write!(out, "<td>{}</td>", ms(percentile(h, q)));
        }
        let max = if h.is_empty() { 0 } else { h.max() };
        let _ = writeln!(out, "<td>{}</td></tr>", ms(max));
    }
    out.push_str("</tbody></table>\n");
}

/// Connect and TLS handshake times over the requests that opened a
/// connection; nothing when no row is worth showing (see `setup_rows`).
pub(crate) fn setup_table(out: &mut String, stats: &Stats, connects: bool) {
    let rows = setup_rows(stats, connects);
    if rows.is_empty() {
        return;
    }
    out.push_str("<h2>Connection setup (ms)</h2><table><thead><tr><th></th>");
    for column in SETUP_COLUMNS {
        let _ = write!(out, "<th>{column}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for (name, h) in rows {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", escape(name));
        for figure in setup_figures(h) {
            let _ = write!(out, "<td>{figure}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table><p>Over the requests that opened a connection.</p>\n");
}

/// The status code and error counts, each as a share of all requests.
pub(crate) fn counts_tables(out: &mut String, stats: &Stats) {
    let total = stats.total.requests.max(1) as f64;
    let table = |out: &mut String, title: &str, head: &str, rows: Vec<(String, u64)>| {
        let _ = write!(out, "<h2>{title}</h2>");
        if rows.is_empty() {
            out.push_str("<p>None.</p>\n");
            return;
        }
        let _ = writeln!(
            out,
            "<table><thead><tr><th class=\"l\">{head}</th><th>Count</th><th>%</th></tr></thead><tbody>"
        );
        for (label, count) in rows {
            let _ = writeln!(
                out,
                "<tr><td class=\"l\">{}</td><td>{count}</td><td>{:.2}</td></tr>",
                escape(&label),
                100.0 * count as f64 / total
            );
        }
        out.push_str("</tbody></table>\n");
    };
    let statuses = stats
        .status_counts()
        .into_iter()
        .map(|(code, n)| {
            let label = if code == 0 {
                "none (no response)".to_string()
            } else {
                code.to_string()
            };
            (label, n)
        })
        .collect();
    table(out, "Status codes", "Status", statuses);
    let errors = stats
        .error_counts()
        .into_iter()
        .map(|(kind, n)| (kind.as_str().to_string(), n))
        .collect();
    table(out, "Errors", "Error", errors);
}

/// Seconds without trailing zeros: 1, 0.5, 2.25.
fn trim(v: f64) -> String {
    super::series::round3(v)
}

#[cfg(test)]
mod tests;
