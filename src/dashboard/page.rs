//! The live page: the report's CSS, charts and tables, drawn from a `Live`.
//!
//! `page` is the whole document; `fragment` is the part that changes, which
//! the page's small script fetches from `/live` every second and swaps in.
//! The charts are SVG rendered here, as in `report --html`; the script only
//! moves HTML around. Without JavaScript, the page reloads every 2 s and
//! the Stop button is a plain form.

use super::live::{Live, Point};
use crate::output::ms;
use crate::report::html::{self, HEIGHT, STYLE, WIDTH};
use crate::report::svg::{self, Chart, Series};
use crate::xml::escape;
use std::fmt::Write;
use std::time::Duration;

/// What the dashboard adds to the report's CSS: the banner and the button.
const EXTRA_STYLE: &str = "\
.banner{background:#e8f5e9;border-left:4px solid #2ca02c;padding:.6em 1em;font-weight:bold;margin:1em 0}\
#stop button{font-size:1em;padding:.4em 1.4em;background:#d62728;color:#fff;border:0;border-radius:4px;cursor:pointer}\
#stop button:disabled{background:#999;cursor:default}\
#lost{display:none;background:#fff4e5;border-left:4px solid #e69500;padding:.5em 1em}\
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.85em}";

/// Fetch `/live` every second and swap it in; stop once the run is over.
/// The Stop form posts through fetch, so the page does not reload.
const SCRIPT: &str = "(function(){\
var busy=false,timer=setInterval(tick,1000);\
function lost(on){document.getElementById('lost').style.display=on?'block':'none';}\
function tick(){if(busy)return;busy=true;\
fetch('/live',{cache:'no-store'}).then(function(r){if(!r.ok)throw r.status;return r.text();})\
.then(function(t){var el=document.getElementById('live');el.outerHTML=t;lost(false);\
if(document.getElementById('live').getAttribute('data-finished')==='1')clearInterval(timer);})\
.catch(function(){lost(true);}).then(function(){busy=false;});}\
document.addEventListener('submit',function(e){if(!e.target||e.target.id!=='stop')return;\
e.preventDefault();var b=e.target.querySelector('button');if(b){b.disabled=true;b.textContent='Stopping\\u2026';}\
fetch('/stop',{method:'POST',redirect:'manual'}).then(tick,function(){lost(true);});});\
})();";

/// A copy of what the page shows, taken under the lock so rendering does not hold it.
pub(crate) fn snapshot(live: &Live) -> Live {
    Live {
        target: live.target.clone(),
        plan: live.plan.clone(),
        open_model: live.open_model,
        duration: live.duration,
        elapsed: live.elapsed,
        points: live.points.clone(),
        stats: live.stats.clone(),
        tasks: live.tasks.clone(),
        finished: live.finished,
        summary: live.summary.clone(),
    }
}

/// The whole document. `stopping`: Stop was pressed, the run is draining.
pub(crate) fn page(live: &Live, stopping: bool) -> String {
    let body = fragment(live, stopping);
    let mut out = String::with_capacity(body.len() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>stampede: {}</title><style>{STYLE}{EXTRA_STYLE}</style>",
        escape(&live.target)
    );
    if !live.finished {
        out.push_str("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>");
    }
    out.push_str(
        "</head><body>\n<div id=\"lost\">Lost contact with stampede: the run may be over.</div>\n",
    );
    out.push_str(&body);
    let _ = write!(
        out,
        "<footer>stampede {}, live</footer>\n<script>{SCRIPT}</script>\n</body></html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// The part of the page that changes: header, charts, tables, summary.
pub(crate) fn fragment(live: &Live, stopping: bool) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "<main id=\"live\" data-finished=\"{}\">",
        u8::from(live.finished)
    );
    header(&mut out, live);
    if live.finished {
        out.push_str("<div class=\"banner\">Run finished.</div>\n");
        if let Some(summary) = &live.summary {
            let _ = writeln!(out, "<h2>Summary</h2><pre>{}</pre>", escape(summary));
        }
    } else if stopping {
        out.push_str(
            "<div class=\"banner\">Stopping: draining the requests in flight\u{2026}</div>\n",
        );
    } else {
        out.push_str(
            "<form id=\"stop\" method=\"post\" action=\"/stop\"><button type=\"submit\">Stop</button> \
             <small>drains the requests in flight, then writes everything, like Ctrl-C</small></form>\n",
        );
    }
    for chart in charts(live) {
        let _ = writeln!(out, "<figure>{}</figure>", chart.render(WIDTH, HEIGHT));
    }
    let tasks: Vec<(&str, &str)> = live
        .tasks
        .iter()
        .map(|(method, name)| (method.as_str(), name.as_str()))
        .collect();
    html::task_table(&mut out, &live.stats, &tasks);
    html::distribution_table(&mut out, &live.stats, true);
    html::setup_table(&mut out, &live.stats, true);
    html::counts_tables(&mut out, &live.stats);
    out.push_str("</main>\n");
    out
}

fn header(out: &mut String, live: &Live) {
    let t = &live.stats.total;
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"plan\">{}</p><div class=\"summary\">",
        escape(&live.target),
        escape(&live.plan)
    );
    let remaining = if live.finished {
        "finished".to_string()
    } else if live.duration >= crate::units::MAX_DURATION {
        // Bounded by `-n` alone: the plan line says how many requests.
        "until the count is done".to_string()
    } else {
        clock(live.remaining())
    };
    let current = live.points.last().map_or(0.0, |p| p.rps);
    let items = [
        ("Elapsed", clock(live.elapsed)),
        ("Remaining", remaining),
        ("Requests", t.requests.to_string()),
        (
            "Failures",
            format!("{} ({:.2} %)", t.failures, t.failure_pct()),
        ),
        ("Current RPS", format!("{current:.1}")),
        ("Average RPS", format!("{:.1}", live.stats.rate())),
        ("Median", format!("{} ms", ms(t.percentile_us(50.0)))),
        ("p99", format!("{} ms", ms(t.percentile_us(99.0)))),
    ];
    html::figures(out, &items);
    out.push_str("</div></header>\n");
}

/// Minutes and seconds, or hours too: 0:07, 12:30, 1:02:03.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The live charts, in order: throughput, users or queue, latency,
/// failures, the latency distribution so far.
pub(crate) fn charts(live: &Live) -> Vec<Chart> {
    let line = |f: &dyn Fn(&Point) -> f64| -> Vec<(f64, f64)> {
        live.points.iter().map(|p| (p.t_s, f(p))).collect()
    };
    let rps = Chart::new("Requests per second", "time (s)", "requests/s")
        .series(Series::new("requests/s", svg::BLUE, line(&|p| p.rps)))
        .note("completed requests, each second");
    let load = if live.open_model {
        Chart::new("Queue and busy connections", "time (s)", "requests")
            .series(Series::new(
                "queued (due, not sent)",
                svg::ORANGE,
                line(&|p| p.queued as f64),
            ))
            .series(Series::new(
                "busy connections",
                svg::PURPLE,
                line(&|p| p.active as f64),
            ))
            .note("a growing queue means the target, or stampede, cannot keep up with the rate")
    } else {
        Chart::new("Active users", "time (s)", "users")
            .series(Series::new(
                "users",
                svg::PURPLE,
                line(&|p| p.active as f64),
            ))
            .note("users running, at the end of each second")
    };
    let latency = Chart::new("Latency over time", "time (s)", "latency (ms)")
        .series(Series::new("p50", svg::BLUE, line(&|p| p.p50_ms)))
        .series(Series::new("p90", svg::ORANGE, line(&|p| p.p90_ms)))
        .series(Series::new("p99", svg::RED, line(&|p| p.p99_ms)))
        .note("percentiles of the requests completed in each second");
    let failures = Chart::new("Failures", "time (s)", "failures (count)")
        .series(Series::new(
            "failures",
            svg::RED,
            line(&|p| p.failures as f64),
        ))
        .note("failed requests (an error or a status >= 400), each second")
        .counts_y();
    vec![
        rps,
        load,
        latency,
        failures,
        html::distribution(&live.stats.total),
    ]
}

#[cfg(test)]
pub(crate) mod tests;
