//! Sub-millisecond wakeups. epoll's timeout has millisecond granularity (mio
//! rounds it up), which would make every scheduled request up to 1 ms late:
//! at 1000 requests/s that is a 0.5 ms average added by the generator. A
//! timerfd in the same Poll wakes the loop at the exact moment instead. It
//! is armed only for schedule deadlines (arrivals, think-time wakeups) and
//! only when the deadline changes, so a busy loop pays nothing for it.

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

pub(super) struct PreciseTimer {
    fd: OwnedFd,
    armed: Option<Instant>,
}

impl PreciseTimer {
    pub(super) fn new(registry: &Registry, token: Token) -> io::Result<PreciseTimer> {
        // SAFETY: timerfd_create returns a new descriptor we own, or -1.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a valid descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)?;
        Ok(PreciseTimer { fd, armed: None })
    }

    /// Wake the loop at `at`. Re-arming also clears an expiry nobody read,
    /// so the edge-triggered registration fires again next time.
    pub(super) fn arm(&mut self, at: Instant, now: Instant) {
        if self.armed == Some(at) {
            return;
        }
        self.armed = Some(at);
        // A zero it_value would disarm the timer; ask for 1 ns instead.
        let wait = at
            .saturating_duration_since(now)
            .max(std::time::Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: wait.as_secs() as libc::time_t,
                tv_nsec: wait.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: a valid timerfd and a fully initialised itimerspec. A
        // failure only costs precision: epoll's own timeout still wakes us.
        unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll};
    use std::time::Duration;

    #[test]
    fn wakes_the_poll_well_before_a_millisecond_rounding() {
        let mut poll = Poll::new().unwrap();
        let mut timer = PreciseTimer::new(poll.registry(), Token(7)).unwrap();
        let mut events = Events::with_capacity(4);
        let now = Instant::now();
        timer.arm(now + Duration::from_micros(300), now);
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(7)));
        assert!(
            now.elapsed() < Duration::from_secs(1),
            "woken by the timer, not the 5 s timeout"
        );
        // Re-arming after an unread expiry fires again (edge-triggered).
        let now = Instant::now();
        timer.arm(now + Duration::from_micros(200), now);
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(now.elapsed() < Duration::from_secs(1));
    }
}
