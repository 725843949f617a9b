//! Execution segments: one plan split over N processes (pods of a
//! Kubernetes Indexed Job, or boxes), each running segment I. Arrival k
//! (open model) or user k (closed model) is dealt round-robin, to segment
//! k mod N; inside a process the same deal goes on over its workers, so the
//! shares nest and every event of the one-machine plan has exactly one home.

/// The most segments: far beyond any fleet, and small enough that segments
/// times workers never overflows.
const MAX_SEGMENTS: usize = 1_000_000;

/// The environment variable a Kubernetes Indexed Job sets in each pod.
pub(crate) const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// Segment `index` of `count` (index from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub index: usize,
    pub count: usize,
}

/// How many of `count` things dealt round-robin over `of` hands (0, 1,
/// ..., of - 1, 0, 1, ...) go to hand `index`.
pub(crate) fn dealt(count: usize, index: usize, of: usize) -> usize {
    if count > index {
        (count - index - 1) / of + 1
    } else {
        0
    }
}

impl Segment {
    /// The whole plan, in one process.
    pub(crate) const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// The segment from `--segment I/N`, or from `--segments N` with I
    /// read from `job_index` (the value of `JOB_COMPLETION_INDEX`, if set).
    /// Given both flags, they must agree on N, and `--segment` says I.
    pub(crate) fn resolve(
        segment: Option<&str>,
        segments: Option<usize>,
        job_index: Option<&str>,
    ) -> Result<Segment, String> {
        let count = |n: usize, flag: &str| match n {
            0 => Err(format!("{flag}: the count of segments must be at least 1")),
            n if n > MAX_SEGMENTS => Err(format!("{flag}: at most {MAX_SEGMENTS} segments")),
            n => Ok(n),
        };
        match (segment, segments) {
            (None, None) => Ok(Segment::WHOLE),
            (Some(text), given) => {
                let s = Segment::parse(text)?;
                count(s.count, &format!("--segment {text}"))?;
                match given {
                    Some(n) if n != s.count => Err(format!(
                        "--segment {text} and --segments {n} disagree on the count; give one of them"
                    )),
                    _ => Ok(s),
                }
            }
            (None, Some(n)) => {
                let n = count(n, "--segments")?;
                let Some(text) = job_index else {
                    return Err(format!(
                        "--segments {n} takes the segment from {JOB_INDEX_VAR}, which is not set; give --segment I/{n} instead"
                    ));
                };
                match text.trim().parse::<usize>() {
                    Ok(index) if index < n => Ok(Segment { index, count: n }),
                    Ok(index) => Err(format!(
                        "{JOB_INDEX_VAR}={index} is not below --segments {n} (segments count from 0)"
                    )),
                    Err(_) => Err(format!(
                        "{JOB_INDEX_VAR}={text:?} is not a segment number (0, 1, ...)"
                    )),
                }
            }
        }
    }

    /// `I/N`, I from 0.
    fn parse(text: &str) -> Result<Segment, String> {
        let bad = |why: &str| Err(format!("--segment {text:?}: {why} (example: 0/4)"));
        let Some((i, n)) = text.split_once('/') else {
            return bad("expected I/N");
        };
        let (Ok(index), Ok(count)) = (i.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return bad("expected I/N, two whole numbers");
        };
        if index >= count {
            return bad("I counts from 0 and must be below N");
        }
        Ok(Segment { index, count })
    }

    pub(crate) fn is_whole(self) -> bool {
        self.count == 1
    }

    /// Worker `index` of `of` inside this segment, as a hand of the whole
    /// plan's deal: of the plan's events (arrivals or users), it holds every
    /// `(count * of)`-th from `self.index + count * index`. The worker's
    /// events are then exactly the segment's `index`-th of every `of`.
    pub(crate) fn nest(self, index: usize, of: usize) -> (usize, usize) {
        (self.index + self.count * index, self.count * of)
    }

    /// How many of `count` things (users, connections, requests) dealt
    /// over the segments are this one's.
    pub(crate) fn share_of(self, count: usize) -> usize {
        dealt(count, self.index, self.count)
    }

    /// `path` with every `{segment}` replaced by the index, so that each
    /// process writes its own files.
    pub(crate) fn fill(self, path: &str) -> String {
        path.replace("{segment}", &self.index.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ramp::Ramp;
    use std::time::Duration;

    const COUNTS: [usize; 5] = [1, 2, 3, 7, 1000];

    /// Segments of `n`, each with its own worker count (boxes differ).
    fn layout(n: usize) -> impl Iterator<Item = (Segment, usize)> {
        (0..n).map(move |index| (Segment { index, count: n }, 1 + index % 3))
    }

    #[test]
    fn parses_and_resolves() {
        let s = |index, count| Ok(Segment { index, count });
        assert_eq!(Segment::resolve(None, None, Some("3")), Ok(Segment::WHOLE));
        assert_eq!(Segment::resolve(Some("2/4"), None, None), s(2, 4));
        assert_eq!(Segment::resolve(Some(" 0 / 1 "), None, Some("9")), s(0, 1));
        assert_eq!(Segment::resolve(None, Some(4), Some("3")), s(3, 4));
        assert_eq!(Segment::resolve(Some("1/4"), Some(4), Some("3")), s(1, 4));
        for (segment, segments, env, why) in [
            (Some("4/4"), None, None, "must be below N"),
            (Some("1"), None, None, "expected I/N"),
            (Some("-1/4"), None, None, "two whole numbers"),
            (Some("a/b"), None, None, "two whole numbers"),
            (Some("0/0"), None, None, "must be below N"),
            (Some("0/2000000"), None, None, "at most 1000000"),
            (Some("1/4"), Some(3), None, "disagree"),
            (None, Some(0), Some("0"), "at least 1"),
            (
                None,
                Some(4),
                None,
                "JOB_COMPLETION_INDEX, which is not set",
            ),
            (None, Some(4), Some("4"), "is not below --segments 4"),
            (None, Some(4), Some("x"), "not a segment number"),
            (None, Some(4), Some(""), "not a segment number"),
        ] {
            let e = Segment::resolve(segment, segments, env).unwrap_err();
            assert!(e.contains(why), "{segment:?} {segments:?} {env:?}: {e}");
        }
    }

    #[test]
    fn fills_the_index_into_paths() {
        let s = Segment { index: 3, count: 4 };
        assert_eq!(s.fill("out/{segment}/r-{segment}.csv"), "out/3/r-3.csv");
        assert_eq!(s.fill("results.csv"), "results.csv");
        assert_eq!(Segment::WHOLE.fill("r{segment}.csv"), "r0.csv");
    }

    #[test]
    fn dealing_gives_every_thing_one_hand() {
        assert_eq!((dealt(10, 0, 2), dealt(10, 1, 2)), (5, 5));
        assert_eq!((dealt(5, 0, 2), dealt(5, 1, 2)), (3, 2));
        assert_eq!((dealt(1, 0, 3), dealt(1, 1, 3), dealt(1, 2, 3)), (1, 0, 0));
        assert_eq!(dealt(0, 0, 1), 0);
        for count in 0..20 {
            assert_eq!((0..3).map(|i| dealt(count, i, 3)).sum::<usize>(), count);
        }
    }

    /// The things (users, arrivals) `0..count` that worker `w` of
    /// `workers` in segment `s` holds, as the engine deals them: its slot
    /// u is thing `index + of * u` of the nested hand.
    fn held(s: Segment, w: usize, workers: usize, count: usize) -> Vec<usize> {
        let (index, of) = s.nest(w, workers);
        (0..dealt(count, index, of))
            .map(|u| index + of * u)
            .collect()
    }

    #[test]
    fn nested_shares_partition_the_plan() {
        for n in COUNTS {
            for count in [0, 1, 5, 999, 1000, 1001, 4321] {
                let mut all: Vec<usize> = layout(n)
                    .flat_map(|(s, workers)| {
                        // The segment's things, dealt on to its workers.
                        let seg = s.share_of(count);
                        let of_workers: usize = (0..workers).map(|w| dealt(seg, w, workers)).sum();
                        assert_eq!(of_workers, seg, "{n} segments, {count}");
                        (0..workers).flat_map(move |w| held(s, w, workers, count))
                    })
                    .collect();
                all.sort();
                assert_eq!(all, (0..count).collect::<Vec<_>>(), "{n} segments, {count}");
            }
        }
    }

    #[test]
    fn closed_model_users_follow_the_global_ramp() {
        // At every moment the ramp's count changes, the users running over
        // all segments and workers are exactly users 0..count of one box:
        // user k starts and stops at its global times, wherever it runs.
        let ramps = [
            Ramp::parse_stages("1s:20,1s:20,500ms:3,0s:17,1s:0").unwrap(),
            Ramp::climb(2500.0, 1000.0, Duration::from_secs(5)),
        ];
        for ramp in &ramps {
            let mut moments = vec![0.0];
            while let Some(t) = ramp.next_count_change(*moments.last().unwrap()) {
                moments.push(t);
            }
            assert!(moments.len() > 10);
            for n in COUNTS {
                for &t in &moments {
                    let count = ramp.count_at(t);
                    let mut running: Vec<usize> = layout(n)
                        .flat_map(|(s, workers)| {
                            (0..workers).flat_map(move |w| held(s, w, workers, count))
                        })
                        .collect();
                    running.sort();
                    assert_eq!(running, (0..count).collect::<Vec<_>>(), "{n} at {t}");
                }
            }
        }
    }
}
