//! Terminal and job-control signals sent to nommu itself become guest
//! signals (docs/architecture.md, invariant 6). Every thread starts with
//! them blocked; a thread that runs a task takes them with the host-signal
//! stub, which records them and kicks that thread, and the kernel routes
//! them wherever it looks at kicks (`take`). `NOMMU_HOST_SIGNAL_THREAD=1`:
//! one host thread takes them with sigwaitinfo and routes them instead.

use super::lifecycle::send_to_process;
use super::machine::Machine;
use super::signal::SigInfo;
use crate::abi::signal::SI_KERNEL;
use crate::arch::{host, hostsig};
use std::sync::{Arc, OnceLock, Weak};

/// The routed signals acted on; they come first in `ROUTED`.
const HANDLED: [i32; 8] = [
    libc::SIGUSR1,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGWINCH,
    libc::SIGCONT,
];

/// Routed but never acted on: blocked for ever (a background nommu's
/// terminal read gets EIO, its write goes through).
const KEPT_BLOCKED: [i32; 3] = [libc::SIGTTIN, libc::SIGTTOU, libc::SIGUSR2];

/// The signals routed to the guest, `HANDLED` then `KEPT_BLOCKED`. Call
/// `block_routed` before any other thread starts so that all of them
/// inherit the mask.
const ROUTED: [i32; HANDLED.len() + KEPT_BLOCKED.len()] = {
    let mut all = [0; HANDLED.len() + KEPT_BLOCKED.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < HANDLED.len() { HANDLED[i] } else { KEPT_BLOCKED[i - HANDLED.len()] };
        i += 1;
    }
    all
};

/// NOMMU_HOST_SIGNAL_THREAD=1: the routing thread of old.
fn thread_mode() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_HOST_SIGNAL_THREAD").is_some_and(|v| v == "1"))
}

/// Blocks the routed signals and, unless the routing thread does it,
/// has the vCPU threads take them. Call before any other thread exists.
pub fn block_routed() {
    if thread_mode() {
        host::block_signals(&ROUTED, &ROUTED);
        return;
    }
    // The handled ones get the stub at once; the others go back to SIG_DFL.
    host::block_signals(&ROUTED, &KEPT_BLOCKED);
    if let Err(e) = hostsig::route_signals(&HANDLED) {
        log::warn!("host signals cannot be routed: {e}");
    }
}

/// Starts the routing thread (`NOMMU_HOST_SIGNAL_THREAD=1` only).
pub(crate) fn start(m: &Arc<Machine>) {
    if !thread_mode() {
        return;
    }
    let weak = Arc::downgrade(m);
    // The one thread that wants the routed signals (it waits for them).
    crate::arch::hostmount::settle();
    let _ = std::thread::Builder::new().name("hostsignals".into()).spawn(move || wait_and_route(weak));
}

fn wait_and_route(m: Weak<Machine>) {
    loop {
        let signo = host::wait_for_signal(&ROUTED);
        let Some(m) = m.upgrade() else { return };
        route(&m, signo);
    }
}

/// A kick was taken (or a wait ended): it may have been the process's
/// host timer (its SIGALRM is made now) or a host signal sent to nommu
/// (routed now).
pub(crate) fn after_kick(m: &Machine, p: &Arc<super::Process>) {
    super::timers::check_host_alarm(m, p);
    take(m);
}

/// Routes the host signals taken since the last look. Called wherever a
/// kick is looked at (`after_kick`, or alone where no timer can have
/// fired) and when a thread's task is over: one load when none was taken.
#[inline]
pub(crate) fn take(m: &Machine) {
    let taken = hostsig::take_routed();
    if taken != 0 {
        route_all(m, taken);
    }
}

#[cold]
fn route_all(m: &Machine, taken: u64) {
    for signo in HANDLED {
        if taken & (1 << (signo - 1)) != 0 {
            route(m, signo);
        }
    }
}

fn route(m: &Machine, signo: i32) {
    let info = SigInfo::user(signo, SI_KERNEL, 0);
    match signo {
        // Keyboard signals go to the terminal's foreground group.
        libc::SIGINT | libc::SIGQUIT | libc::SIGTSTP | libc::SIGWINCH => {
            let fg = m.foreground_pgrp();
            let group: Vec<_> = m.live_processes().into_iter().filter(|p| p.pgid() == fg).collect();
            let targets = if group.is_empty() { m.process(1).into_iter().collect() } else { group };
            for p in targets {
                send_to_process(m, &p, info, false);
            }
        }
        // The emulator was continued (after stopping itself for a
        // stopped guest): continue the guest's stopped processes.
        libc::SIGCONT => {
            for p in m.live_processes() {
                if matches!(*p.state(), super::process::ProcState::Stopped { .. }) {
                    send_to_process(m, &p, info, true);
                }
            }
        }
        // SIGUSR1 to nommu: draw the arena now (--memmap).
        libc::SIGUSR1 => {
            let path = m.diag.memmap_path();
            if let Some(path) = path {
                let svg = super::memmap::svg(&super::memmap::snapshot(m));
                match std::fs::write(&path, svg) {
                    Ok(()) => log::warn!("arena picture written to {}", path.display()),
                    Err(e) => log::error!("cannot write {}: {e}", path.display()),
                }
            }
        }
        libc::SIGTERM | libc::SIGHUP => {
            if let Some(init) = m.process(1) {
                send_to_process(m, &init, info, false);
            }
        }
        _ => {}
    }
}

/// The calling thread's task is over: it routes what it took, and
/// (`block`) blocks the routed signals for good (nommu's main thread,
/// whose last waits and terminal restore must not be interrupted).
pub(crate) fn task_over(m: &Machine, block: bool) {
    if block {
        hostsig::set_routed_unblocked(false);
    }
    take(m);
}
