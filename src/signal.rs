//! Ctrl-C: the first SIGINT asks the run to stop gracefully (drain, write
//! everything); a second one exits at once.
//!
//! A plain atomic flag is enough: every event loop wakes at least every
//! 100 ms and looks at it, so no self-pipe or waker is needed.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Exit code of a process killed by SIGINT, by shell convention.
pub const INTERRUPTED_EXIT: i32 = 130;

extern "C" fn on_sigint(_: libc::c_int) {
    if STOP.swap(true, Ordering::SeqCst) {
        // Second Ctrl-C: leave now. _exit is async-signal-safe; exit is not.
        unsafe { libc::_exit(INTERRUPTED_EXIT) };
    }
}

/// Install the SIGINT handler. Call once, early in main.
pub fn install() {
    // SAFETY: the handler only touches an atomic and calls _exit, both
    // async-signal-safe; sigaction is given a fully initialised struct.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Ask the run to stop, as the first Ctrl-C does.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
