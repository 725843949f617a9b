use super::*;
use std::path::PathBuf;
use std::time::Duration;

const HEAD: &str = "elapsed_us,latency_us,status,task,wait_us,bytes,error\n";
const EVIL: &str = "<script>alert(1)</script>";

/// A results.csv in its own temp dir.
fn csv(name: &str, body: &str) -> PathBuf {
    // Tests run in parallel: every call gets its own file.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("stampede-html-{}-{name}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("results.csv");
    std::fs::write(&path, format!("{HEAD}{body}")).unwrap();
    path
}

/// Three seconds of two tasks, one named to break out of the page, with
/// a 500 and a timeout among them.
fn report() -> Report {
    let mut body = String::new();
    for i in 0..60u64 {
        let task = if i % 3 == 0 { EVIL } else { "GET /hello" };
        let (status, error) = match i {
            7 => (500, ""),
            20 => (0, "timeout"),
            _ => (200, ""),
        };
        let latency = 1000 + (i * 7919) % 20_000;
        body.push_str(&format!(
            "{},{latency},{status},{task},50,100,{error}\n",
            i * 50_000
        ));
    }
    let path = csv("report", &body);
    Report::load(&[path.as_path()], Duration::from_secs(1), false).unwrap()
}

const TITLES: [&str; 6] = [
    "Requests per second",
    "Latency over time",
    "Failures",
    "Latency of each request",
    "Latency distribution",
    "Requests in flight (average)",
];

#[test]
fn every_chart_is_there_with_its_axes() {
    let page = render(&report(), "Run 1");
    assert_eq!(page.matches("<svg ").count(), TITLES.len(), "{page}");
    for title in TITLES {
        assert!(page.contains(&format!("<title>{title}</title>")), "{title}");
    }
    for label in [
        ">time (s)</text>",
        ">requests/s</text>",
        ">latency (ms)</text>",
        ">failures (count)</text>",
        ">time sent (s)</text>",
        ">percentile</text>",
        ">requests in flight (average)</text>",
        "Little&#39;s law",
    ] {
        assert!(page.contains(label), "missing {label}");
    }
    // The percentile axis reads in nines.
    for tick in [">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", ">99.999%<"] {
        assert!(page.contains(tick), "missing {tick}");
    }
    // p50, p90 and p99 over time: three lines, with a legend.
    assert!(
        page.contains(">p50</text>")
            && page.contains(">p90</text>")
            && page.contains(">p99</text>")
    );
    // Failed requests stand apart on the scatter.
    assert!(page.contains(">failed</text>"));
}

#[test]
fn the_header_has_the_headline_figures() {
    let r = report();
    let page = render(&r, "Run 1");
    assert!(page.contains("<title>Run 1</title>") && page.contains("<h1>Run 1</h1>"));
    // The rate counts responses: the timeout is not one.
    let rps = format!("{:.1}", 59.0 / r.run_time.as_secs_f64());
    for needle in [
        "<b>60</b>",
        "<b>2 (3.33 %)</b>",
        &format!("<b>{rps}</b>"),
        &format!("<b>{:.2} s</b>", r.run_time.as_secs_f64()),
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
}

#[test]
fn the_tables_are_there() {
    let page = render(&report(), "t");
    for head in [
        "Method", "Name", "Requests", "Fails", "RPS", "Median", "Avg", "Min", "Max", "p90", "p99",
    ] {
        assert!(page.contains(&format!(">{head}</th>")), "missing {head}");
    }
    assert!(
        page.contains("<td class=\"l\">GET</td><td class=\"l name\">GET /hello</td><td>40</td>")
    );
    assert!(page.contains("<tr class=\"total\"><td class=\"l\"></td><td class=\"l name\">Total</td><td>60</td><td>2</td>"));
    assert!(
        page.contains("<h2>Status codes</h2>")
            && page.contains("<td class=\"l\">200</td><td>58</td>")
    );
    assert!(page.contains("<td class=\"l\">none (no response)</td><td>1</td>"));
    assert!(
        page.contains("<h2>Errors</h2>") && page.contains("<td class=\"l\">timeout</td><td>1</td>")
    );
    assert!(
        page.contains("<h2>Latency distribution (ms)</h2>") && page.contains("<th>p99.99</th>")
    );
    assert_eq!(page.matches("<table>").count(), 4);
}

#[test]
fn strings_from_the_csv_are_escaped() {
    let mut r = report();
    r.warnings.push("x.csv:9: <b>cut</b> & skipped".into());
    let page = render(&r, "a <title> & \"quotes\"");
    assert!(!page.contains("<script"), "a script element in the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("<title>a &lt;title&gt; &amp; &quot;quotes&quot;</title>"));
    assert!(page.contains("<li>x.csv:9: &lt;b&gt;cut&lt;/b&gt; &amp; skipped</li>"));
}

#[test]
fn nothing_is_fetched() {
    let page = render(&report(), "t");
    let without = page.replace(&format!("xmlns=\"{}\"", svg::XMLNS), "");
    for bad in [
        "http://", "https://", "src=", "href=", "@import", "url(", "<script", "<link", "<img",
        "<iframe",
    ] {
        assert!(!without.contains(bad), "{bad} in the page");
    }
    assert!(page.contains("@media print") && page.contains("break-inside:avoid"));
}

#[test]
fn a_sampled_scatter_says_so() {
    let mut r = report();
    assert!(!render(&r, "t").contains("sampled"));
    r.rows = 10_000;
    assert!(render(&r, "t").contains("sampled 60 of 10000 requests"));
}

#[test]
fn series_values_follow_the_buckets() {
    let r = report();
    let charts = charts(&r);
    // 20 responses in each of the first seconds, drawn mid-interval.
    assert_eq!(charts[0].series[0].points[0], (0.5, 20.0));
    let failures: f64 = charts[2].series[0].points.iter().map(|p| p.1).sum();
    assert_eq!(failures, 2.0);
    // In flight: latency summed over the interval.
    let busy = r.series.total[0].busy_us as f64 / 1e6;
    assert_eq!(charts[5].series[0].points[0], (0.5, busy));
    // The percentile curve climbs from the minimum to the maximum.
    let dist = &charts[4].series[0].points;
    assert_eq!(dist.first().unwrap().0, 1.0);
    assert!((dist.last().unwrap().0 - 1e5).abs() < 1e-6);
    assert!(dist.windows(2).all(|w| w[0].1 <= w[1].1));
    assert_eq!(
        dist.last().unwrap().1,
        r.stats.total.max_us() as f64 / 1000.0
    );
}

#[test]
fn a_run_without_failures_renders_an_empty_failure_line() {
    let path = csv("ok", "0,1000,200,a,0,1,\n1500000,2000,200,a,0,1,\n");
    let r = Report::load(&[path.as_path()], Duration::from_secs(1), false).unwrap();
    let page = render(&r, "t");
    assert_eq!(page.matches("<svg ").count(), TITLES.len());
    assert!(!page.contains("NaN") && !page.contains("inf"));
    assert!(!page.contains(">failed</text>"));
    assert!(page.contains("<h2>Errors</h2><p>None.</p>"));
}

#[test]
fn a_huge_task_name_is_kept_whole_on_the_page() {
    let name = "n".repeat(70_000);
    let path = csv("huge-name", &format!("0,1000,200,{name},0,1,\n"));
    let r = Report::load(&[path.as_path()], Duration::from_secs(1), false).unwrap();
    assert_eq!(r.tasks.names, vec![name.clone()]);
    let page = render(&r, "t");
    assert!(page.contains(&format!("<td class=\"l name\">{name}</td>")));
}

#[test]
fn connection_setup_shows_when_the_csv_has_its_columns() {
    let head9 = "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n";
    let path = csv("setup", "");
    // Two connections opened, one over TLS; the third request reused one.
    let body = "0,5000,200,a,0,10,,1000,3000\n1,5000,200,a,0,10,,2000,0\n2,5000,200,a,0,10,,0,0\n";
    std::fs::write(&path, format!("{head9}{body}")).unwrap();
    let r = Report::load(&[path.as_path()], Duration::from_secs(1), false).unwrap();
    let page = render(&r, "t");
    for needle in [
        "<h2>Connection setup (ms)</h2>",
        "<th>count</th><th>avg</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>",
        "<tr><td class=\"l\">connect</td><td>2</td><td>1.50</td>",
        "<tr><td class=\"l\">TLS handshake</td><td>1</td><td>3.00</td>",
    ] {
        assert!(page.contains(needle), "missing {needle} in {page}");
    }
    // A CSV of 7 columns knows nothing of connections.
    let page = render(&report(), "t");
    assert!(!page.contains("Connection setup"), "{page}");
}
