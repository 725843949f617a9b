//! How long the page stays up after the run: with a terminal on stdin,
//! until Enter (or Ctrl-C); otherwise for `--dashboard-linger`.

use crate::console::errln;
use crate::signal;
use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) fn linger(otherwise: Duration) {
    // A Ctrl-C that stopped the run is not a request to leave the page.
    let stopped_before = signal::stop_requested();
    let asked_to_leave =
        || (!stopped_before && signal::stop_requested()) || signal::abort_requested();
    if interactive() {
        errln!("stampede: the run is over; the dashboard stays up until you press Enter");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = std::io::stdin().read_line(&mut String::new());
            let _ = tx.send(());
        });
        while rx.recv_timeout(Duration::from_millis(100)).is_err() && !asked_to_leave() {}
        return;
    }
    let until = Instant::now() + otherwise;
    while Instant::now() < until && !asked_to_leave() {
        std::thread::sleep(
            Duration::from_millis(50).min(until.saturating_duration_since(Instant::now())),
        );
    }
}

/// stdin is a terminal and we are its foreground job: reading it from the
/// background would stop the process (SIGTTIN) instead.
fn interactive() -> bool {
    // SAFETY: tcgetpgrp and getpgrp only read process state.
    std::io::stdin().is_terminal() && unsafe { libc::tcgetpgrp(0) == libc::getpgrp() }
}
