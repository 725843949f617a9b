//! Each user holds a socket, so the open-file limit caps the user count.

/// File descriptors kept free for everything that is not a user's socket.
const SPARE_FDS: u64 = 64;

/// Raise the soft RLIMIT_NOFILE to the hard limit, then check that `sockets`
/// connections fit.
pub(crate) fn ensure_room_for(sockets: usize) -> Result<(), String> {
    let lim = raise();
    let needed = (sockets as u64).saturating_add(SPARE_FDS);
    if lim.rlim_cur != libc::RLIM_INFINITY && lim.rlim_cur < needed {
        return Err(format!(
            "{sockets} users need about {needed} open files, but the limit is {} (hard limit {}); \
             raise it (ulimit -n) or use fewer users",
            lim.rlim_cur, lim.rlim_max
        ));
    }
    Ok(())
}

/// How many sockets fit, once the soft limit is raised to the hard one:
/// for a default that must not fail where the limit is low.
pub(crate) fn room() -> usize {
    let lim = raise();
    if lim.rlim_cur == libc::RLIM_INFINITY {
        return usize::MAX;
    }
    usize::try_from(lim.rlim_cur.saturating_sub(SPARE_FDS)).unwrap_or(usize::MAX)
}

/// Raise the soft RLIMIT_NOFILE to the hard limit, if it can be; the
/// limits then in force.
fn raise() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    lim
}
