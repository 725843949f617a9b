use super::*;

fn line(points: Vec<(f64, f64)>) -> Chart {
    Chart::new("RPS", "time (s)", "requests/s").series(Series::new("rps", BLUE, points))
}

/// Every `<text ...>label</text>` in `svg`, in order.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(label, _)| label)
        .collect()
}

#[test]
fn no_series_renders_a_no_data_chart() {
    let svg = Chart::new("Empty", "time (s)", "ms").render(600, 300);
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
    assert!(svg.contains(">no data</text>"), "{svg}");
    assert!(svg.contains(">time (s)</text>") && svg.contains(">ms</text>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn series_without_usable_points_are_no_data() {
    for chart in [
        line(Vec::new()),
        line(vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)]),
        line(vec![(0.0, 1.0), (-5.0, 2.0)]).log_x(None),
    ] {
        let svg = chart.render(600, 300);
        assert!(svg.contains(">no data</text>"), "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
    }
}

#[test]
fn one_point_is_drawn_without_dividing_by_zero() {
    for p in [(0.0, 0.0), (3.0, 7.0), (-2.0, -2.0)] {
        let svg = line(vec![p]).render(600, 300);
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert!(!svg.contains("no data"));
    }
    let dot = line(vec![(1.0, 1.0)]).kind(Kind::Scatter).render(600, 300);
    assert!(dot.contains("h0\""), "{dot}");
}

#[test]
fn steps_are_one_two_or_five_times_a_power_of_ten() {
    for (raw, step) in [
        (0.013, 0.01),
        (0.27, 0.2),
        (3.3, 5.0),
        (7.5, 10.0),
        (1.0, 1.0),
        (180.0, 200.0),
        (4200.0, 5000.0),
    ] {
        assert!(
            (nice_step(raw) - step).abs() < 1e-9,
            "{raw}: {}",
            nice_step(raw)
        );
    }
    assert_eq!(nice_step(0.0), 1.0);
    assert_eq!(nice_step(f64::NAN), 1.0);
}

#[test]
fn ticks_are_nice_and_cover_the_data() {
    for (lo, hi) in [
        (0.0, 97.3),
        (0.0, 0.042),
        (3.0, 1234.5),
        (-12.0, 40.0),
        (0.0, 2.5e6),
    ] {
        let a = Axis::linear(lo, hi, 5);
        assert!(a.lo <= lo && a.hi >= hi, "{lo}..{hi}: {a:?}");
        assert!((3..=12).contains(&a.ticks.len()), "{lo}..{hi}: {a:?}");
        let step = a.ticks[1].0 - a.ticks[0].0;
        assert!((nice_step(step) - step).abs() < step * 1e-9, "{step}");
        for (v, _) in &a.ticks {
            assert!(*v >= a.lo - 1e-9 && *v <= a.hi + 1e-9, "{v} out of {a:?}");
            assert!((0.0..=1.0).contains(&a.frac(*v).clamp(0.0, 1.0)));
        }
    }
    let labels: Vec<String> = Axis::linear(0.0, 97.3, 5)
        .ticks
        .into_iter()
        .map(|t| t.1)
        .collect();
    assert_eq!(labels, ["0", "20", "40", "60", "80", "100"]);
    let labels: Vec<String> = Axis::linear(0.0, 0.042, 5)
        .ticks
        .into_iter()
        .map(|t| t.1)
        .collect();
    assert_eq!(labels, ["0", "0.01", "0.02", "0.03", "0.04", "0.05"]);
    let labels: Vec<String> = Axis::linear(0.0, 25_000.0, 5)
        .ticks
        .into_iter()
        .map(|t| t.1)
        .collect();
    assert_eq!(labels, ["0", "5k", "10k", "15k", "20k", "25k"]);
}

#[test]
fn log_ticks_are_powers_of_ten() {
    let a = Axis::log10(1.0, 100_000.0);
    let values: Vec<f64> = a.ticks.iter().map(|t| t.0).collect();
    assert_eq!(values, [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]);
    assert_eq!((a.frac(1.0), a.frac(1e5)), (0.0, 1.0));
    assert!((a.frac(1e3) - 0.6).abs() < 1e-12);
    let b = Axis::log10(3.0, 3.0);
    assert_eq!((b.lo, b.hi), (1.0, 10.0));
}

#[test]
fn percentile_ticks_read_as_percentiles() {
    let labels: Vec<String> = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]
        .into_iter()
        .map(percentile_tick)
        .collect();
    assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
    let svg = line(vec![(1.0, 1.0), (1e5, 9.0)])
        .log_x(Some(percentile_tick))
        .render(600, 300);
    let t = texts(&svg);
    for label in ["0%", "90%", "99.999%"] {
        assert!(t.contains(&label), "{label} in {t:?}");
    }
}

#[test]
fn text_is_escaped() {
    let svg = Chart::new("<b>&\"'", "x <1>", "y & z")
        .series(Series::new(
            "<script>alert(1)</script>",
            RED,
            vec![(0.0, 1.0)],
        ))
        .series(Series::new("b", BLUE, vec![(1.0, 2.0)]))
        .note("a < b\u{1}")
        .render(600, 300);
    assert!(!svg.contains("<script") && !svg.contains("<b>") && !svg.contains("<1>"));
    assert!(svg.contains("&lt;b&gt;&amp;&quot;&#39;"), "{svg}");
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(svg.contains(">x &lt;1&gt;</text>") && svg.contains(">y &amp; z</text>"));
    assert!(svg.contains(">a &lt; b\u{fffd}</text>"));
}

#[test]
fn a_legend_only_for_several_series() {
    let one = line(vec![(0.0, 1.0)]).render(600, 300);
    assert!(!texts(&one).contains(&"rps"));
    let two = line(vec![(0.0, 1.0)])
        .series(Series::new("p99", RED, vec![(0.0, 2.0)]))
        .render(600, 300);
    let t = texts(&two);
    assert!(t.contains(&"rps") && t.contains(&"p99"), "{t:?}");
}

#[test]
fn no_external_references() {
    let svg = line(vec![(0.0, 1.0), (1.0, 3.0)])
        .note("see http://example.com")
        .render(600, 300);
    // Only the namespace, and text that the chart was given (escaped, inert).
    let without = svg
        .replace(XMLNS, "")
        .replace(">see http://example.com<", "");
    for bad in [
        "http://", "https://", "href", "url(", "@import", "<image", "<script",
    ] {
        assert!(!without.contains(bad), "{bad} in {svg}");
    }
}

#[test]
fn output_is_deterministic() {
    let chart = line(vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.5)]);
    assert_eq!(chart.render(640, 240), chart.render(640, 240));
}

/// A change to the renderer must change this file too, on purpose: rerun
/// with STAMPEDE_BLESS=1 to rewrite it, and read the diff.
#[test]
fn golden_line_chart() {
    let svg = Chart::new("Latency", "time (s)", "latency (ms)")
        .series(Series::new(
            "p50",
            BLUE,
            vec![(0.0, 1.2), (1.0, 1.5), (2.0, 1.1)],
        ))
        .series(Series::new(
            "p99",
            RED,
            vec![(0.0, 4.0), (1.0, 9.5), (2.0, 6.25)],
        ))
        .note("a note")
        .render(400, 200);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/report/testdata/line_chart.svg"
    );
    if std::env::var_os("STAMPEDE_BLESS").is_some() {
        std::fs::write(path, &svg).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        svg, expected,
        "rerun with STAMPEDE_BLESS=1 if the change is meant"
    );
}

#[test]
fn counts_get_whole_number_ticks_and_a_log_y_axis_gets_decades() {
    let failures = vec![(0.0, 0.0), (1.0, 2.0), (2.0, 1.0)];
    let (_, y) = Chart::new("Failures", "t", "n")
        .series(Series::new("f", RED, failures.clone()))
        .counts_y()
        .axes()
        .unwrap();
    assert!(
        y.ticks
            .iter()
            .all(|(v, label)| v.fract() == 0.0 && !label.contains('.')),
        "{:?}",
        y.ticks
    );
    let (_, plain) = Chart::new("Failures", "t", "n")
        .series(Series::new("f", RED, failures))
        .axes()
        .unwrap();
    assert!(
        plain.ticks.iter().any(|(v, _)| v.fract() != 0.0),
        "the old fractional ticks"
    );

    // One 875 ms outlier among 0.3 ms requests stays readable.
    let tail = vec![(1.0, 0.3), (10.0, 0.35), (100.0, 0.5), (1000.0, 875.0)];
    let (_, y) = Chart::new("Latency distribution", "percentile", "ms")
        .series(Series::new("latency", BLUE, tail))
        .log_x(None)
        .log_y()
        .axes()
        .unwrap();
    assert!(y.log);
    assert_eq!((y.lo, y.hi), (0.1, 1000.0));
}

#[test]
fn the_last_x_label_ends_at_the_right_edge() {
    let svg = Chart::new("Latency distribution", "percentile", "ms")
        .series(Series::new(
            "latency",
            BLUE,
            vec![(1.0, 1.0), (100_000.0, 9.0)],
        ))
        .log_x(Some(percentile_tick))
        .render(400, 200);
    assert!(svg.contains(r#"text-anchor="end">99.999%</text>"#), "{svg}");
}
