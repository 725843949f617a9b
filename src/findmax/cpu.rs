//! How busy the generator's own workers are: the CPU time of each
//! `worker-N` thread of this process, read from `/proc/self/task`, over
//! the time since the step began. A worker near 100% of its core cannot
//! keep a faster schedule, and reads responses late, so a step it failed
//! says nothing about the server.
//!
//! Read from outside the engine (on the recorder's thread, once a
//! second), so that the engine needs no hook for it; where `/proc` is not
//! there, the figure is simply unknown.

use std::time::Duration;

/// The engine names its threads `worker-{index}`.
const WORKER_PREFIX: &str = "worker-";

/// The largest share of `elapsed` (0..=1 and a little over, from the
/// clock ticks' resolution) that one worker thread spent on a CPU, or
/// None when no worker thread could be read.
pub(crate) fn busiest_worker(elapsed: Duration) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return None;
    }
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks <= 0 {
        return None;
    }
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    tasks
        .flatten()
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            cpu_ticks_of_worker(&stat)
        })
        .map(|t| t as f64 / ticks as f64 / secs)
        .reduce(f64::max)
}

/// From a `/proc/.../stat` line, a worker thread's user plus system
/// time in clock ticks; None for any other thread. The name sits in
/// parentheses and may hold spaces, so fields are counted after its
/// closing one: state is field 3, utime 14 and stime 15.
fn cpu_ticks_of_worker(stat: &str) -> Option<u64> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    if !stat.get(open + 1..close)?.starts_with(WORKER_PREFIX) {
        return None;
    }
    let mut fields = stat.get(close + 1..)?.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_workers_cpu_ticks_and_no_other_threads() {
        let line = "123 (worker-0) S 1 1 1 0 -1 4194304 172 0 0 0 25 7 0 0 20 0 1 0 2117541";
        assert_eq!(cpu_ticks_of_worker(line), Some(32));
        let other = "124 (recorder) S 1 1 1 0 -1 4194304 172 0 0 0 25 7 0 0 20 0";
        assert_eq!(cpu_ticks_of_worker(other), None);
        let spaced = "125 (worker-1 ) x) R 1 1 1 0 -1 4194304 172 0 0 0 3 4 0 0";
        assert_eq!(cpu_ticks_of_worker(spaced), Some(7));
        assert_eq!(cpu_ticks_of_worker("garbage"), None);
    }

    #[test]
    fn a_spinning_worker_is_busy() {
        let spinner = std::thread::Builder::new()
            .name("worker-test".into())
            .spawn(|| {
                let start = std::time::Instant::now();
                while start.elapsed() < Duration::from_millis(300) {
                    std::hint::spin_loop();
                }
                busiest_worker(start.elapsed())
            })
            .unwrap();
        let busy = spinner.join().unwrap().expect("/proc is there");
        // On a loaded machine the spinner may not have had its core all along.
        assert!(busy > 0.2, "{busy}");
    }
}
