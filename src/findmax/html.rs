//! find-max's `--html`: the answer, the latency-against-throughput curve
//! (where it turns up is the knee), and the table of the steps, with the
//! report's SVG charts and style.

use super::{Step, text};
use crate::check::thresholds::Kind;
use crate::cli::findmax::FindMax;
use crate::report::html::{HEIGHT, STYLE, WIDTH};
use crate::report::svg::{BLUE, Chart, ORANGE, PURPLE, RED, Series};
use crate::xml::escape;
use std::fmt::Write;

pub(super) fn render(search: &FindMax, steps: &[Step], answer: &str) -> String {
    let title = format!("stampede find-max: {}", search.plan.url);
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n\
         <header><h1>{}</h1><p class=\"plan\">{}</p></header>\n",
        escape(&title),
        escape(&title),
        escape(answer)
    );
    let _ = writeln!(
        out,
        "<figure>{}</figure>",
        knee(search, steps).render(WIDTH, HEIGHT)
    );
    table(&mut out, steps);
    let _ = write!(
        out,
        "<footer>stampede {}: {} steps of {:?}</footer>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        steps.len(),
        search.bounds.step_time
    );
    out
}

/// p50, p90 and p99 latency against the achieved rate, one point a step,
/// with each latency objective as a line across.
fn knee(search: &FindMax, steps: &[Step]) -> Chart {
    let mut judged: Vec<&Step> = steps.iter().filter(|s| s.verdict.is_some()).collect();
    judged.sort_by(|a, b| a.figures.achieved().total_cmp(&b.figures.achieved()));
    let points = |i: usize| -> Vec<(f64, f64)> {
        judged
            .iter()
            .map(|s| (s.figures.achieved(), s.latency_us[i] as f64 / 1000.0))
            .collect()
    };
    let mut chart = Chart::new(
        "Latency against throughput",
        "achieved (requests/s)",
        "latency from the due time (ms)",
    )
    .series(Series::new("p50", BLUE, points(0)))
    .series(Series::new("p90", ORANGE, points(1)))
    .series(Series::new("p99", PURPLE, points(2)))
    .note("One point per step; where the curve turns up is the knee.");
    let (lo, hi) = judged.iter().fold((f64::MAX, 0.0f64), |(lo, hi), s| {
        let x = s.figures.achieved();
        (lo.min(x), hi.max(x))
    });
    for slo in &search.slos {
        if matches!(slo.threshold.kind, Kind::Latency(_) | Kind::Max) && hi > 0.0 {
            let ms = slo.threshold.limit / 1000.0;
            chart = chart.series(Series::new(&slo.text, RED, vec![(lo, ms), (hi, ms)]));
        }
    }
    chart
}

fn table(out: &mut String, steps: &[Step]) {
    out.push_str(
        "<h2>Steps</h2><table><tr><th>step</th><th>target/s</th><th>achieved/s</th>\
         <th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>errors</th>\
         <th class=\"l\">verdict</th></tr>\n",
    );
    for s in steps {
        let f = &s.figures;
        let [p50, p90, p99] = s.latency_us.map(crate::output::ms);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{p50}</td><td>{p90}</td><td>{p99}</td>\
             <td>{:.2}%</td><td class=\"l\">{}</td></tr>",
            s.index,
            text::rate(f.target),
            text::rate(f.achieved()),
            s.error_pct,
            escape(&text::verdict(s))
        );
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findmax::search::Outcome;
    use crate::findmax::verdict::{Figures, Verdict};

    #[test]
    fn the_page_has_the_curve_and_escapes_the_reasons() {
        let args: crate::cli::FindMaxArgs = argh::FromArgs::from_args(
            &["find-max"],
            &["http://127.0.0.1:1/x", "--slo", "p99<50ms", "--no-out"],
        )
        .unwrap();
        let search = args.validate().unwrap();
        let step = |index, target: f64, p99, verdict: Verdict| Step {
            index,
            figures: Figures {
                target,
                step_time: std::time::Duration::from_secs(1),
                responses: target as u64,
                ..Figures::default()
            },
            latency_us: [1000, 2000, p99],
            error_pct: 0.0,
            verdict: Some(verdict),
        };
        let pass = Verdict {
            outcome: Outcome::Pass,
            reasons: vec![],
            limited_by: None,
        };
        let fail = Verdict {
            outcome: Outcome::Fail,
            reasons: vec!["p99 212ms > 50ms <b>".into()],
            limited_by: None,
        };
        let steps = [step(1, 100.0, 3000, pass), step(2, 200.0, 212_000, fail)];
        let page = render(&search, &steps, "sustains 100 req/s");
        assert!(page.contains("<svg"), "{page}");
        assert!(page.contains("Latency against throughput"));
        assert!(page.contains("p99&lt;50ms"));
        assert!(page.contains("FAIL: p99 212ms &gt; 50ms &lt;b&gt;"));
        assert!(!page.contains("<b>"));
    }
}
