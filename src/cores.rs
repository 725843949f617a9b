//! CPU lists (`0`, `0,2`, `1-3`) and pinning threads to cores.

/// The highest core id a thread can be pinned to: Linux's `cpu_set_t`, which
/// `core_affinity` pins with, holds CPU_SETSIZE = 1024 cores. Checking ids
/// against it before a range is expanded keeps `0-18446744073709551615` from
/// allocating (or overflowing) a vector of that many ids.
const MAX_CORE_ID: usize = 1023;

/// Parse a CPU list such as `0`, `0,2` or `1-3,5` into sorted, unique core ids.
pub(crate) fn parse_cpu_list(text: &str) -> Result<Vec<usize>, String> {
    let mut cores = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let parse = |s: &str| {
            let id = s
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("bad CPU list {text:?}: {s:?} is not a core number"))?;
            if id > MAX_CORE_ID {
                return Err(format!(
                    "bad CPU list {text:?}: core {id} is past the highest core id ({MAX_CORE_ID})"
                ));
            }
            Ok(id)
        };
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (parse(lo)?, parse(hi)?);
                if lo > hi {
                    return Err(format!(
                        "bad CPU list {text:?}: range {part:?} runs backwards"
                    ));
                }
                cores.extend(lo..=hi);
            }
            None => cores.push(parse(part)?),
        }
    }
    cores.sort_unstable();
    cores.dedup();
    Ok(cores)
}

/// Ids of the cores this process may run on.
pub(crate) fn available() -> Vec<usize> {
    core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// Check that every core in `wanted` exists and is allowed for this process.
pub(crate) fn check_exist(wanted: &[usize]) -> Result<(), String> {
    let have = available();
    match wanted.iter().find(|c| !have.contains(c)) {
        Some(c) => Err(format!(
            "core {c} does not exist or is not allowed here (available: {})",
            format_list(&have)
        )),
        None => Ok(()),
    }
}

/// Pin the calling thread to `core`. Pinning is best effort: a failure only
/// costs speed, so it is not an error.
pub(crate) fn pin_current(core: usize) {
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

fn format_list(cores: &[usize]) -> String {
    cores
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges() {
        assert_eq!(parse_cpu_list("0").unwrap(), vec![0]);
        assert_eq!(parse_cpu_list("0,2").unwrap(), vec![0, 2]);
        assert_eq!(parse_cpu_list("1-3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_cpu_list("3,1-2,1").unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_cpu_list("").is_err());
        assert!(parse_cpu_list("a").is_err());
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("1,,2").is_err());
    }

    #[test]
    fn refuses_core_ids_past_cpu_setsize_before_expanding_the_range() {
        assert_eq!(parse_cpu_list("0-1023").unwrap().len(), 1024);
        for text in [
            "1024",
            "0-1024",
            "0-99999999",
            "0-4294967295",
            "0-18446744073709551615",
        ] {
            let err = parse_cpu_list(text).unwrap_err();
            assert!(err.contains("highest core id (1023)"), "{text}: {err}");
        }
    }
}
