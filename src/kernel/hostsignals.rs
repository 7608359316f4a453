//! Terminal and job-control signals sent to nommu itself become guest
//! signals (docs/architecture.md, invariant 6): every thread blocks them, and one host
//! thread takes them with sigwaitinfo and routes them.

use super::lifecycle::send_to_process;
use super::machine::Machine;
use super::signal::SigInfo;
use crate::abi::signal::SI_KERNEL;
use crate::arch::host;
use std::sync::{Arc, Weak};

/// The signals routed to the guest. Call `block_routed` before any other
/// thread starts so that all of them inherit the mask.
const ROUTED: [i32; 11] = [
    libc::SIGUSR1,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGWINCH,
    libc::SIGCONT,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGUSR2,
];

pub fn block_routed() {
    host::block_signals(&ROUTED);
}

/// Starts the routing thread.
pub(crate) fn start(m: &Arc<Machine>) {
    let weak = Arc::downgrade(m);
    let _ = std::thread::Builder::new().name("hostsignals".into()).spawn(move || route(weak));
}

fn route(m: Weak<Machine>) {
    loop {
        let signo = host::wait_for_signal(&ROUTED);
        let Some(m) = m.upgrade() else { return };
        let info = SigInfo::user(signo, SI_KERNEL, 0);
        match signo {
            // Keyboard signals go to the terminal's foreground group.
            libc::SIGINT | libc::SIGQUIT | libc::SIGTSTP | libc::SIGWINCH => {
                let fg = m.foreground_pgrp();
                let group: Vec<_> = m.live_processes().into_iter().filter(|p| p.pgid() == fg).collect();
                let targets = if group.is_empty() { m.process(1).into_iter().collect() } else { group };
                for p in targets {
                    send_to_process(&m, &p, info, false);
                }
            }
            // The emulator was continued (after stopping itself for a
            // stopped guest): continue the guest's stopped processes.
            libc::SIGCONT => {
                for p in m.live_processes() {
                    if matches!(*p.state(), super::process::ProcState::Stopped { .. }) {
                        send_to_process(&m, &p, info, true);
                    }
                }
            }
            // SIGUSR1 to nommu: draw the arena now (--memmap).
            libc::SIGUSR1 => {
                let path = m.diag.memmap_path();
                if let Some(path) = path {
                    let svg = super::memmap::svg(&super::memmap::snapshot(&m));
                    match std::fs::write(&path, svg) {
                        Ok(()) => log::warn!("arena picture written to {}", path.display()),
                        Err(e) => log::error!("cannot write {}: {e}", path.display()),
                    }
                }
            }
            libc::SIGTERM | libc::SIGHUP => {
                if let Some(init) = m.process(1) {
                    send_to_process(&m, &init, info, false);
                }
            }
            _ => {}
        }
    }
}
