use super::*;

fn sample(elapsed_ms: u64, latency_ms: u64, task: u16, status: u16) -> Sample {
    Sample {
        elapsed_us: elapsed_ms * 1000,
        latency_us: latency_ms * 1000,
        wait_us: 0,
        bytes: 10,
        status,
        task,
        error: None,
        connect_us: 0,
        tls_us: 0,
    }
}

#[test]
fn buckets_by_completion_time() {
    let mut s = Series::new(1_000_000, false);
    s.add(&sample(900, 50, 0, 200)); // completes at 0.95 s
    s.add(&sample(900, 150, 0, 500)); // completes at 1.05 s
    s.add(&sample(2500, 10, 0, 200));
    assert_eq!(
        s.total.iter().map(|b| b.requests).collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    assert_eq!(s.total[1].failures, 1);
    assert_eq!(
        s.to_csv(&[]),
        "start_s,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes,length_s\n\
         0,1,1,0,50,50,50,50,50,10,1\n\
         1,1,1,1,150,150,150,150,150,10,1\n\
         2,1,1.961,0,10,10,10,10,10,10,0.51\n"
    );
}

#[test]
fn the_last_interval_lasts_until_the_run_ended_and_a_sliver_is_not_drawn() {
    // A 3 s run: 10 requests a second, and 2 that end just after 3 s.
    let mut s = Series::new(1_000_000, false);
    for i in 0..30 {
        s.add(&sample(i * 100, 5, 0, 200));
    }
    s.add(&sample(2995, 6, 0, 200));
    s.add(&sample(2996, 5, 0, 200));
    let points = s.points(&s.total);
    assert_eq!(
        points.len(),
        3,
        "the 1 ms into the fourth second is left out"
    );
    assert!(s.drops_a_sliver());
    let last_row = s.to_csv(&[]).lines().last().unwrap().to_string();
    assert!(
        last_row.starts_with("3,2,,"),
        "a sliver has no rate: {last_row}"
    );
    for (k, &(mid, len, b)) in points.iter().enumerate() {
        assert_eq!((mid, len), (k as f64 + 0.5, 1.0));
        assert_eq!(b.responses as f64 / len, 10.0, "no false drop at the end");
    }
    // A last interval of at least half an interval is drawn, at its
    // middle, with its rate over its own length.
    let mut s = Series::new(1_000_000, false);
    s.add(&sample(0, 5, 0, 200));
    s.add(&sample(1000, 599, 0, 200));
    let points = s.points(&s.total);
    assert_eq!(points.len(), 2);
    let (mid, len, b) = points[1];
    assert!((len - 0.599).abs() < 1e-9, "{len}");
    assert!((mid - (1.0 + len / 2.0)).abs() < 1e-9);
    assert_eq!(b.responses, 1);
    assert!(!s.drops_a_sliver());
}

#[test]
fn a_run_shorter_than_half_an_interval_keeps_its_one_point() {
    let mut s = Series::new(1_000_000, false);
    s.add(&sample(0, 5, 0, 200));
    s.add(&sample(300, 100, 0, 200));
    assert!(!s.drops_a_sliver());
    let points = s.points(&s.total);
    assert_eq!(points.len(), 1);
    assert!((points[0].2.responses as f64 / points[0].1 - 5.0).abs() < 1e-9);
}

#[test]
fn unsent_requests_are_not_in_the_series() {
    let mut s = Series::new(1_000_000, false);
    s.add(&sample(100, 5, 0, 200));
    let mut unsent = sample(900, 2100, 0, 0);
    unsent.error = Some(ErrorKind::Unsent);
    s.add(&unsent);
    assert_eq!(s.total.len(), 1, "no bucket at the end for the unsent");
    assert_eq!(s.length_us(0), 105_000);
}

#[test]
fn by_task_has_a_row_per_task_per_interval() {
    let mut s = Series::new(500_000, true);
    s.add(&sample(0, 100, 0, 200));
    s.add(&sample(600, 100, 1, 200));
    let names = vec!["a".to_string(), "b,c".to_string()];
    assert_eq!(
        s.to_csv(&names),
        "start_s,task,requests,rps,failures,avg_ms,p50_ms,p90_ms,p99_ms,max_ms,bytes,length_s\n\
         0,a,1,2,0,100,100,100,100,100,10,0.5\n\
         0,\"b,c\",0,0,0,0,0,0,0,0,0,0.5\n\
         0.5,a,0,,0,0,0,0,0,0,0,0.2\n\
         0.5,\"b,c\",1,,0,100,100,100,100,100,10,0.2\n"
    );
}

const DAY_MS: u64 = 24 * 3600 * 1000;

#[test]
fn a_year_long_run_gets_10_minute_intervals() {
    let mut s = Series::new(1_000_000, false);
    for day in [0, 1, 100, 365] {
        s.add(&sample(day * DAY_MS, 5, 0, 200));
    }
    assert_eq!(s.interval_us, 600_000_000);
    assert_eq!(s.total.len(), (365 * 144 + 1) as usize);
    assert!(s.points <= MAX_POINTS);
    let at = |day: u64| s.total[(day * 144) as usize].requests;
    assert_eq!((at(0), at(1), at(100), at(365)), (1, 1, 1, 1));
    assert_eq!(s.total.iter().map(|b| b.requests).sum::<u64>(), 4);
    assert_eq!(
        s.interval_note(1_000_000, None).unwrap(),
        "a long run: time-series intervals of 10m, to stay within 100000 points"
    );
    assert!(
        s.interval_note(1_000_000, Some("1s"))
            .unwrap()
            .starts_with("warning: --interval 1s would make more than 100000")
    );
    assert_eq!(s.interval_note(600_000_000, Some("10m")), None);
}

#[test]
fn coarsening_merges_exactly() {
    // A series grown at 1 s and coarsened reads the same as one built at 10 s.
    let samples: Vec<Sample> = (0..500u64)
        .map(|i| {
            sample(
                i * 977 % 200_000,
                i * 31 % 5000,
                (i % 3) as u16,
                200 + (i % 2) as u16 * 300,
            )
        })
        .collect();
    let (mut fine, mut coarse) = (Series::new(1_000_000, true), Series::new(10_000_000, true));
    for x in &samples {
        fine.add(x);
        coarse.add(x);
    }
    fine.coarsen_to(10_000_000);
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    assert_eq!(fine.interval_us, 10_000_000);
    assert_eq!(fine.to_csv(&names), coarse.to_csv(&names));
    assert_eq!(fine.points, coarse.points);
}

#[test]
fn per_task_buckets_count_toward_the_bound() {
    // 40,000 s fits at 1 s alone, but not with three tasks beside it.
    let mut s = Series::new(1_000_000, true);
    for t in 0..3 {
        s.add(&sample(40_000_000, 1, t, 200));
    }
    assert_eq!(s.interval_us, 10_000_000);
    assert!(s.points <= MAX_POINTS, "{}", s.points);
}

#[test]
fn a_finer_interval_coarsens_tenfold_then_by_the_ladder() {
    let mut s = Series::new(500_000, false);
    s.add(&sample(200_000 * 1000, 1, 0, 200));
    assert_eq!(s.interval_us, 5_000_000);
    s.add(&sample(900_000 * 1000, 1, 0, 200));
    assert_eq!(s.interval_us, 10_000_000);
}

#[test]
fn an_absurd_timestamp_still_fits() {
    let mut s = Series::new(1, true);
    let far = Sample {
        elapsed_us: u64::MAX,
        ..sample(0, 1, 0, 200)
    };
    s.add(&far);
    s.add(&sample(0, 1, 65_535, 200));
    assert!(s.points <= MAX_POINTS);
    assert_eq!(s.total.iter().map(|b| b.requests).sum::<u64>(), 2);
}

#[test]
fn rounds_to_three_decimals() {
    assert_eq!(round3(1.23456), "1.235");
    assert_eq!(round3(2.0), "2");
    assert_eq!(round3(0.0004), "0");
}

#[test]
fn bucket_histograms_grow_clamp_at_an_hour_and_merge() {
    let mut small = Bucket::default();
    small.add(&sample(0, 1, 0, 200));
    let mut huge = Bucket::default();
    huge.add(&Sample {
        latency_us: u64::MAX,
        ..sample(0, 0, 0, 200)
    });
    small.absorb(huge);
    assert_eq!(small.requests, 2);
    let p0 = small.percentile_ms(0.0);
    assert!((0.99..=1.01).contains(&p0), "{p0}");
    let hour_ms = 3_600_000.0;
    let p100 = small.percentile_ms(100.0);
    assert!((hour_ms * 0.99..=hour_ms * 1.01).contains(&p100), "{p100}");
}
