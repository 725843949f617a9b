//! Coordinated omission, measured: a server that stalls 1 s in every 4 s,
//! loaded by the open model and by the closed model (see the README's "Two
//! load models" for why their figures differ).

mod common;
use common::*;

/// p`q` of the latencies, in µs.
fn percentile(rows: &[Row], q: f64) -> u64 {
    let mut lat: Vec<u64> = rows.iter().map(|r| r.latency_us).collect();
    lat.sort_unstable();
    lat[((lat.len() as f64 * q / 100.0) as usize).min(lat.len() - 1)]
}

#[test]
fn a_stall_shows_in_the_open_model_and_hides_in_the_closed_one() {
    let (_open_server, open_base) = start_serve_with(&["--stall", "1s/4s"]);
    let (_closed_server, closed_base) = start_serve_with(&["--stall", "1s/4s"]);
    let open_url = format!("{open_base}/hello");
    let closed_url = format!("{closed_base}/hello");
    // Both run at once, each against its own stalling server, for 8.5 s: two
    // stalls each (at 3-4 s and 7-8 s of the server's clock), and the run
    // ends between stalls, so nothing is left queued at the end.
    let open = std::thread::spawn(move || {
        run_recorded(
            "stall-open",
            &open_url,
            &["--rate", "200", "-c", "50", "-d", "8500ms"],
        )
    });
    let (closed_out, closed_rows, _) =
        run_recorded("stall-closed", &closed_url, &["-c", "10", "-d", "8500ms"]);
    let (open_out, open_rows, open_json) = open.join().unwrap();

    assert_eq!(open_out.code, 0, "{}", open_out.stderr);
    assert_eq!(
        open_rows.len(),
        1700,
        "every request due at 200/s for 8.5 s"
    );
    assert!(
        open_rows
            .iter()
            .all(|r| r.status == 200 && r.error.is_empty())
    );
    // 2 s of 8.5 fall in a stall, with latencies spread over 0-1 s: p90 is
    // where 0.235 x (1 - p90) = 0.1, about 0.57 s, and p99 about 0.96 s.
    let p90 = percentile(&open_rows, 90.0);
    assert!(
        (450_000..=750_000).contains(&p90),
        "open-model p90 {p90} µs, expected about 600 ms"
    );
    let p99 = percentile(&open_rows, 99.0);
    assert!(
        (850_000..=1_100_000).contains(&p99),
        "open-model p99 {p99} µs, expected about 960 ms"
    );
    assert_accounting(&open_rows, &open_json);

    eprintln!(
        "open p90 {p90} µs, p99 {p99} µs; closed p90 {} µs",
        percentile(&closed_rows, 90.0)
    );
    assert_eq!(closed_out.code, 0, "{}", closed_out.stderr);
    let closed_p90 = percentile(&closed_rows, 90.0);
    assert!(
        closed_p90 * 10 < p90,
        "closed-model p90 {closed_p90} µs should be far below the open model's {p90} µs"
    );
    // The closed model saw the stalls too, as a handful of slow requests.
    assert!(closed_rows.iter().any(|r| r.latency_us > 500_000));
}
