//! Stop signals. SIGINT (Ctrl-C), SIGTERM (Kubernetes, docker, systemd) and
//! SIGHUP (a closed terminal) all mean the same:
//! - the first asks the run to stop gracefully: drain, write everything;
//! - the second aborts: in-flight requests are written at once as
//!   `aborted` rows, without waiting for the drain, and the files are
//!   still written;
//! - the third quits at once, writing nothing more.
//!
//! Plain atomics are enough: every event loop wakes at least every 100 ms
//! and looks at them, so no self-pipe or waker is needed.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

/// Stop requested, by a signal or by the dashboard's Stop button.
static STOP: AtomicBool = AtomicBool::new(false);
/// Stop signals received so far.
static SIGNALS: AtomicU32 = AtomicU32::new(0);
/// The first stop signal's number, for the message.
static FIRST: AtomicI32 = AtomicI32::new(0);
/// A worker cut its drain short on a second signal (one that comes after
/// the drain is over aborts nothing).
static ABORTED: AtomicBool = AtomicBool::new(false);

/// Exit code of a run stopped early by a signal; its files are complete.
pub(crate) const INTERRUPTED_EXIT: i32 = 130;
/// Exit code of a run aborted by a second signal: the files are written,
/// with the requests still in flight recorded as `aborted`.
pub(crate) const ABORTED_EXIT: i32 = 3;
/// Exit code when a third signal quits at once: the files may be incomplete.
pub(crate) const QUIT_EXIT: i32 = 4;

const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(signo: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    let _ = FIRST.compare_exchange(0, signo, Ordering::SeqCst, Ordering::SeqCst);
    match SIGNALS.fetch_add(1, Ordering::SeqCst) {
        0 => {}
        1 => say(b"\nstampede: second signal: stopping now, without waiting; signal once more to quit at once\n"),
        _ => {
            say(b"\nstampede: quitting at once; the output files may be incomplete\n");
            // _exit is async-signal-safe; exit is not.
            unsafe { libc::_exit(QUIT_EXIT) };
        }
    }
}

/// One write(2) to stderr: the only way to speak from a signal handler.
fn say(message: &[u8]) {
    // SAFETY: write is async-signal-safe and the buffer outlives the call.
    unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
}

/// Install the handler for SIGINT, SIGTERM and SIGHUP. Call once, early.
pub(crate) fn install() {
    // SAFETY: the handler only touches atomics and calls write and _exit,
    // all async-signal-safe; sigaction is given a fully initialised struct.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        for signo in STOP_SIGNALS {
            libc::sigaction(signo, &action, std::ptr::null_mut());
        }
    }
}

/// Ask the run to stop, as the first signal does.
pub(crate) fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

pub(crate) fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// A second stop signal came: stop now, without the drain.
pub(crate) fn abort_requested() -> bool {
    SIGNALS.load(Ordering::Relaxed) >= 2
}

/// A worker skipped its drain: the run is aborted, not merely stopped.
pub(crate) fn note_aborted() {
    ABORTED.store(true, Ordering::SeqCst);
}

pub(crate) fn run_aborted() -> bool {
    ABORTED.load(Ordering::SeqCst)
}

/// The name of the signal that stopped the run, if one did.
pub(crate) fn stopped_by() -> Option<&'static str> {
    match FIRST.load(Ordering::Relaxed) {
        libc::SIGINT => Some("Ctrl-C (SIGINT)"),
        libc::SIGTERM => Some("SIGTERM"),
        libc::SIGHUP => Some("SIGHUP"),
        _ => None,
    }
}
