//! A host POSIX timer that kicks one vCPU thread when it expires: the
//! host's own hrtimer interrupt sends the kick signal straight to the
//! thread (timer_create(2) with SIGEV_THREAD_ID), as Linux sends an
//! itimer's SIGALRM, with no nommu thread on the way.

use super::hostsig::kick_signal;
use crate::abi::time::{Sigevent, CLOCK_MONOTONIC, SIGEV_THREAD_ID};
use std::time::Duration;

/// One host timer on CLOCK_MONOTONIC, aimed at one host thread; deleted
/// when dropped.
#[derive(Debug)]
pub(crate) struct HostTimer {
    id: i32,
    host_tid: i32,
}

impl HostTimer {
    /// A disarmed timer whose expiry kicks host thread `host_tid` (a vCPU
    /// thread of this process).
    pub(crate) fn aimed_at(host_tid: i32) -> std::io::Result<HostTimer> {
        let ev = Sigevent {
            sigev_value: 0,
            sigev_signo: kick_signal(),
            sigev_notify: SIGEV_THREAD_ID,
            sigev_notify_thread_id: host_tid,
            pad: [0; 11],
        };
        let mut id: i32 = 0;
        // SAFETY: a valid sigevent and an out-pointer to a live i32 (the
        // kernel's timer_t is an int).
        let rc = unsafe {
            libc::syscall(libc::SYS_timer_create, CLOCK_MONOTONIC, &ev as *const Sigevent, &mut id as *mut i32)
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(HostTimer { id, host_tid })
    }

    /// The host thread the timer kicks.
    pub(crate) fn host_tid(&self) -> i32 {
        self.host_tid
    }

    /// Arms the timer to expire `after` from now (never before: the host
    /// counts from its own later "now"), then every `every` (zero: once;
    /// the host moves it on in its interrupt, skipping missed periods);
    /// `None` disarms it.
    pub(crate) fn arm(&self, after: Option<Duration>, every: Duration) -> std::io::Result<()> {
        // A zero it_value disarms; a timer that is already due fires in 1 ns.
        let left = after.map_or(Duration::ZERO, |d| d.max(Duration::from_nanos(1)));
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: every.as_secs() as i64, tv_nsec: i64::from(every.subsec_nanos()) },
            it_value: libc::timespec { tv_sec: left.as_secs() as i64, tv_nsec: i64::from(left.subsec_nanos()) },
        };
        // SAFETY: a valid itimerspec; no old-value pointer.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_timer_settime,
                self.id,
                0,
                &spec as *const libc::itimerspec,
                core::ptr::null_mut::<libc::itimerspec>(),
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for HostTimer {
    fn drop(&mut self) {
        // SAFETY: deletes our own timer id; nothing else uses it.
        unsafe { libc::syscall(libc::SYS_timer_delete, self.id) };
    }
}
