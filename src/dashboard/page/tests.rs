use super::*;
use crate::record::Sample;
use crate::record::sample::ErrorKind;

pub(crate) const EVIL: &str = "<script>alert(1)</script>";

/// A live state some seconds into a run of two tasks, one named to break
/// out of the page, with a 500 and a timeout among the requests.
pub(crate) fn live(seconds: u32, open_model: bool) -> Live {
    let tasks = vec![
        ("GET".to_string(), "GET /hello".to_string()),
        ("POST".to_string(), EVIL.to_string()),
    ];
    let mut live = Live::new(
        "http://127.0.0.1:8080".into(),
        "10 users, all at once, for 10s".into(),
        open_model,
        Duration::from_secs(10),
        tasks,
    );
    for s in 0..seconds {
        push_second(&mut live, s);
    }
    live
}

/// One more second: 20 requests and a point.
pub(crate) fn push_second(live: &mut Live, s: u32) {
    for i in 0..20u64 {
        let (status, error) = match i {
            7 => (500, None),
            13 => (0, Some(ErrorKind::Timeout)),
            _ => (200, None),
        };
        live.stats.add(&Sample {
            elapsed_us: u64::from(s) * 1_000_000 + i * 50_000,
            latency_us: 1000 + (i * 7919) % 20_000,
            wait_us: 50,
            bytes: 100,
            status,
            task: (i % 2) as u16,
            error,
            // The second's first request opened a connection, over TLS.
            connect_us: if i == 0 { 400 } else { 0 },
            tls_us: if i == 0 { 1_500 } else { 0 },
        });
    }
    live.elapsed = Duration::from_secs(u64::from(s) + 1);
    live.points.push(Point {
        t_s: f64::from(s + 1),
        rps: 20.0,
        p50_ms: 5.0,
        p90_ms: 12.0,
        p99_ms: 20.0,
        failures: 2,
        active: 10,
        queued: 3,
    });
}

#[test]
fn the_header_has_target_plan_times_and_totals() {
    let page = page(&live(3, false), false);
    for needle in [
        "<h1>http://127.0.0.1:8080</h1>",
        "10 users, all at once, for 10s",
        "<span>Elapsed</span><b>0:03</b>",
        "<span>Remaining</span><b>0:07</b>",
        "<span>Requests</span><b>60</b>",
        "<span>Failures</span><b>6 (10.00 %)</b>",
        "<span>Current RPS</span><b>20.0</b>",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
}

#[test]
fn the_charts_are_the_reports_svg() {
    let closed = fragment(&live(3, false), false);
    assert_eq!(closed.matches("<svg ").count(), 5);
    for title in [
        "Requests per second",
        "Active users",
        "Latency over time",
        "Failures",
        "Latency distribution",
    ] {
        assert!(
            closed.contains(&format!("<title>{title}</title>")),
            "{title}"
        );
    }
    assert!(closed.contains(">p50</text>") && closed.contains(">p99</text>"));
    let open = fragment(&live(3, true), false);
    assert!(open.contains("<title>Queue and busy connections</title>"));
    assert!(open.contains(">busy connections</text>") && !open.contains("Active users"));
    // Same size and look as the report's charts.
    assert!(closed.contains(&format!("width=\"{WIDTH}\" height=\"{HEIGHT}\"")));
}

#[test]
fn the_tables_are_live() {
    let page = fragment(&live(2, false), false);
    for needle in [
        "<h2>Requests by task</h2>",
        "<td class=\"l name\">GET /hello</td>",
        "<h2>Status codes</h2>",
        "<td class=\"l\">500</td><td>2</td>",
        "<h2>Errors</h2>",
        "<td class=\"l\">timeout</td><td>2</td>",
        "<h2>Connection setup (ms)</h2>",
        "<td class=\"l\">TLS handshake</td><td>2</td>",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
}

#[test]
fn names_are_escaped() {
    let mut l = live(1, false);
    l.target = "http://x/<b>".into();
    l.plan = "a & b".into();
    l.summary = Some(EVIL.into());
    l.finished = true;
    let page = page(&l, false);
    assert!(!page.contains(EVIL) && !page.contains("<b>\""));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("http://x/&lt;b&gt;") && page.contains("a &amp; b"));
}

#[test]
fn nothing_is_fetched_from_elsewhere() {
    let page = page(&live(3, false), false);
    let without = page
        .replace(&format!("xmlns=\"{}\"", svg::XMLNS), "")
        .replace("http://127.0.0.1:8080", "");
    for bad in [
        "http://", "https://", "src=", "href=", "@import", "url(", "<link", "<img", "<iframe",
    ] {
        assert!(!without.contains(bad), "{bad} in the page");
    }
    // One script, inline, and it only talks to this server.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains("<script>") && page.contains("fetch('/live'"));
}

#[test]
fn a_running_page_has_the_stop_form_and_refreshes() {
    let page = page(&live(1, false), false);
    assert!(page.contains("<form id=\"stop\" method=\"post\" action=\"/stop\">"));
    assert!(page.contains("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"));
    assert!(page.contains("data-finished=\"0\"") && !page.contains("Run finished"));
    // Once Stop is pressed, the button gives way to a note.
    let stopping = fragment(&live(1, false), true);
    assert!(!stopping.contains("<form") && stopping.contains("Stopping"));
}

#[test]
fn a_finished_page_shows_the_summary_and_no_button() {
    let mut l = live(10, false);
    l.finished = true;
    l.summary = Some("Requests: 200\nFailures: 20".into());
    let page = page(&l, false);
    assert!(page.contains("Run finished"));
    // The line break as a reference: the one escaper writes it so, for XML.
    assert!(page.contains("<pre>Requests: 200&#10;Failures: 20</pre>"));
    assert!(page.contains("<span>Remaining</span><b>finished</b>"));
    assert!(!page.contains("<form") && !page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("data-finished=\"1\""));
}

#[test]
fn an_empty_run_renders() {
    let l = live(0, true);
    let page = page(&l, false);
    assert!(page.contains("no data") && page.contains("<span>Requests</span><b>0</b>"));
    assert!(page.contains("<span>Current RPS</span><b>0.0</b>"));
}

#[test]
fn clock_reads_minutes_and_hours() {
    assert_eq!(clock(Duration::from_secs(7)), "0:07");
    assert_eq!(clock(Duration::from_secs(750)), "12:30");
    assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
}
