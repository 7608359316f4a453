//! ITIMER_REAL (alarm, setitimer): one host thread sends SIGALRM when a
//! process's timer expires.

use super::lifecycle::send_to_process;
use super::machine::Machine;
use super::process::Process;
use super::signal::SigInfo;
use crate::abi::signal::{SIGALRM, SI_KERNEL};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// A process's real-time interval timer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RealTimer {
    pub deadline: Option<Instant>,
    pub interval: Duration,
}

#[derive(Default)]
pub struct TimerWheel {
    changed: Mutex<bool>,
    cv: Condvar,
    started: std::sync::OnceLock<()>,
}

impl TimerWheel {
    /// Wakes the timer thread to look at the deadlines again (starting it
    /// the first time).
    pub(crate) fn rearm(&self, m: &Machine) {
        let weak = Arc::downgrade(&m.arc());
        self.started.get_or_init(|| {
            let _ = std::thread::Builder::new().name("itimers".into()).spawn(move || run(weak));
        });
        *self.changed.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }
}

/// Sends SIGALRM if `p`'s timer has expired by `now` (and moves an
/// interval timer on); returns the timer's deadline after that. The timer
/// thread calls it, and so does a task of `p` that slept until the
/// deadline itself (`SyscallCtx::sleep_until_kicked`): the timer's lock
/// makes one expiry fire once, whoever comes first.
pub(crate) fn fire_if_due(m: &Machine, p: &Arc<Process>, now: Instant) -> Option<Instant> {
    let mut t = p.real_timer();
    let d = t.deadline?;
    if d > now {
        return Some(d);
    }
    t.deadline = (!t.interval.is_zero()).then(|| d.max(now - t.interval) + t.interval);
    drop(t);
    send_to_process(m, p, SigInfo::user(SIGALRM, SI_KERNEL, 0), true);
    p.real_timer().deadline
}

fn run(m: Weak<Machine>) {
    // Linux's itimers expire on time (hrtimers, no slack); the thread that
    // plays them must not add the default 50 µs of a timed wait.
    crate::arch::host::set_timer_slack(1);
    loop {
        let Some(machine) = m.upgrade() else { return };
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        for p in machine.live_processes() {
            if let Some(d) = fire_if_due(&machine, &p, now) {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        let wheel = &machine.timers;
        let mut changed = wheel.changed.lock().unwrap_or_else(|e| e.into_inner());
        if !*changed {
            let wait = next.map_or(Duration::from_secs(3600), |n| n.saturating_duration_since(Instant::now()));
            changed = wheel.cv.wait_timeout(changed, wait).unwrap_or_else(|e| e.into_inner()).0;
        }
        *changed = false;
    }
}
