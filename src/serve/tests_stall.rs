//! Stall mode: parsing the schedule.

use std::time::Duration;

use super::{ServeConfig, Server, Stall};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn parse_accepts_hold_every() {
    let s = Stall::parse("1s/4s").unwrap();
    assert_eq!((s.hold, s.every), (ms(1000), ms(4000)));
    let s = Stall::parse("300ms/600ms").unwrap();
    assert_eq!((s.hold, s.every), (ms(300), ms(600)));
    let s = Stall::parse("1.5s/1m").unwrap();
    assert_eq!((s.hold, s.every), (ms(1500), ms(60_000)));
}

#[test]
fn parse_rejects_bad_schedules() {
    for bad in [
        "", "1s", "1s-4s", "/", "1s/", "/4s", "x/4s", "1s/y", "1s/4s/8s", "0s/4s", "0ms/1s",
        "1s/0s", "4s/4s", "5s/4s", "1s/9000h",
    ] {
        let err = Stall::parse(bad).expect_err(bad);
        assert!(err.starts_with("--stall "), "{bad:?}: {err}");
        assert!(!err.contains('\n'), "{bad:?}: {err}");
    }
    assert!(
        Stall::parse("0s/4s")
            .unwrap_err()
            .contains("more than zero")
    );
    assert!(Stall::parse("5s/4s").unwrap_err().contains("shorter"));
}

#[test]
fn start_rejects_an_invalid_stall() {
    for (hold, every) in [(0, 1000), (1000, 1000), (2000, 1000), (1, 0)] {
        let err = Server::start(ServeConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            cores: Vec::new(),
            stall: Some(Stall {
                hold: ms(hold),
                every: ms(every),
            }),
        })
        .err()
        .expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with("--stall "), "{err}");
    }
}
