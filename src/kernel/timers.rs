//! ITIMER_REAL (alarm, setitimer). A timer set by the thread its SIGALRM
//! would go to is played by a host POSIX timer aimed at that thread
//! (`HostTimer`): at the deadline the host's hrtimer interrupt kicks the
//! thread, which fires the timer itself (`check_host_alarm`, wherever a
//! kick is looked at). Any other timer, and one whose thread leaves, is
//! played by one host thread, the timer wheel.

use super::lifecycle::send_to_process;
use super::machine::Machine;
use super::process::Process;
use super::signal::SigInfo;
use super::task::Task;
use crate::abi::signal::{SIGALRM, SI_KERNEL};
use crate::arch::hosttimer::HostTimer;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// A process's real-time interval timer.
#[derive(Debug, Default)]
pub(crate) struct RealTimer {
    pub deadline: Option<Instant>,
    pub interval: Duration,
    /// The host timer that plays it while `Process::host_alarm` is set,
    /// and the guest task whose thread it kicks (kept disarmed for reuse).
    host: Option<(i32, HostTimer)>,
}

/// Host timers play itimers unless NOMMU_HOST_ITIMER=0 (then the timer
/// wheel plays them all, as before).
fn host_timers_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_HOST_ITIMER").is_none_or(|v| v != "0"))
}

/// setitimer/alarm from `task`: the timer of its process now expires at
/// `deadline` (none: disarmed), then every `interval` (zero: once).
pub(crate) fn set(m: &Machine, task: &Task, deadline: Option<Instant>, interval: Duration) {
    let p = &task.process;
    // Decided before the timer's lock is taken (it is a leaf lock; this
    // looks at the task list): a mask that changes in between only costs
    // the hop from this thread to the one the signal then goes to.
    let fits = host_timers_on()
        && task.shared.host_tid() != 0
        && task.loan.is_none()
        && !task.shared.blocks(SIGALRM)
        && super::lifecycle::would_pick(p, SIGALRM, &task.shared);
    let mut t = p.real_timer();
    t.deadline = deadline;
    t.interval = interval;
    let hosted = match deadline {
        Some(d) => host_plays(&mut t, task, fits, d),
        None => {
            disarm_host(&mut t, p);
            // Nothing to fire: the wheel finds that when it next looks.
            true
        }
    };
    drop(t);
    if !hosted {
        m.timers.rearm(m);
    }
}

/// Aims the process's host timer at `task`'s thread and arms it for `d`,
/// if the SIGALRM would go to `task` (`fits`: then its thread is where
/// the kick is wanted; should that change, the thread fires the timer and
/// the signal goes where it must). False: the wheel must play it.
fn host_plays(t: &mut RealTimer, task: &Task, fits: bool, d: Instant) -> bool {
    let p = &task.process;
    let host_tid = task.shared.host_tid();
    if !fits {
        disarm_host(t, p);
        return false;
    }
    if t.host.as_ref().is_none_or(|(tid, h)| *tid != task.tid || h.host_tid() != host_tid) {
        t.host = None;
        match HostTimer::aimed_at(host_tid) {
            Ok(h) => t.host = Some((task.tid, h)),
            Err(e) => {
                log::debug!("timer_create: {e}; the timer wheel plays ITIMER_REAL");
                p.host_alarm.store(false, Ordering::SeqCst);
                return false;
            }
        }
    }
    // Set before the host timer can fire: the kick finds it set.
    p.host_alarm.store(true, Ordering::SeqCst);
    let (left, every) = (d.saturating_duration_since(Instant::now()), t.interval);
    let armed = t.host.as_ref().is_some_and(|(_, h)| h.arm(Some(left), every).is_ok());
    if !armed {
        p.host_alarm.store(false, Ordering::SeqCst);
    }
    armed
}

fn disarm_host(t: &mut RealTimer, p: &Process) {
    if p.host_alarm.swap(false, Ordering::SeqCst) {
        if let Some((_, h)) = &t.host {
            let _ = h.arm(None, Duration::ZERO);
        }
    }
}

/// A kick was looked at: if it was `p`'s host timer expiring, fire it.
/// Every place that takes a kick calls this (the run loop, `signal_pending`
/// of the interruptible waits, a vfork parent's wait).
#[inline]
pub(crate) fn check_host_alarm(m: &Machine, p: &Arc<Process>) {
    if p.host_alarm.load(Ordering::SeqCst) {
        fire_if_due(m, p, Instant::now());
    }
}

/// `task` leaves its host thread (it ends, or a vfork child moves on): a
/// host timer aimed there is deleted, and the wheel plays the timer.
pub(crate) fn task_leaves(m: &Machine, task: &Task) {
    let p = &task.process;
    let mut t = p.real_timer();
    if t.host.as_ref().is_some_and(|(tid, _)| *tid == task.tid) {
        t.host = None;
        let was_on = p.host_alarm.swap(false, Ordering::SeqCst);
        drop(t);
        if was_on {
            m.timers.rearm(m);
        }
    }
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
            let builder = std::thread::Builder::new().name("itimers".into());
            let _ = super::hostthread::spawn(builder, move || run(weak));
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
    t.deadline = next_period(d, t.interval, now);
    if t.deadline.is_none() {
        // A one-shot host timer is spent; an interval one moves on by
        // itself, on the same periods as `next_period`.
        p.host_alarm.store(false, Ordering::SeqCst);
    }
    drop(t);
    send_to_process(m, p, SigInfo::user(SIGALRM, SI_KERNEL, 0), true);
    p.real_timer().deadline
}

/// The deadline after `d` once it has expired at `now`: none for a
/// one-shot timer, else the first of `d + k * interval` after `now`, as
/// Linux's itimer moves on (hrtimer_forward: missed periods are skipped,
/// the phase is kept).
fn next_period(d: Instant, interval: Duration, now: Instant) -> Option<Instant> {
    if interval.is_zero() {
        return None;
    }
    let late = now.saturating_duration_since(d).as_nanos();
    let k = late / interval.as_nanos() + 1;
    let step = interval.as_nanos().saturating_mul(k);
    d.checked_add(Duration::from_nanos(u64::try_from(step).unwrap_or(u64::MAX)))
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
            if p.host_alarm.load(Ordering::SeqCst) {
                continue;
            }
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

#[cfg(test)]
mod tests {
    use super::next_period;
    use std::time::{Duration, Instant};

    #[test]
    fn next_period_keeps_the_phase_and_skips_missed_periods() {
        let d = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(next_period(d, Duration::ZERO, d), None);
        assert_eq!(next_period(d, ms(20), d), Some(d + ms(20)));
        assert_eq!(next_period(d, ms(20), d + ms(5)), Some(d + ms(20)));
        // Exactly on a period: the next one.
        assert_eq!(next_period(d, ms(20), d + ms(20)), Some(d + ms(40)));
        // Late by several periods: the first period after now.
        assert_eq!(next_period(d, ms(20), d + ms(75)), Some(d + ms(80)));
    }
}
