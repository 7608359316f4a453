//! The trap path (docs/architecture.md, invariant 8): every `syscall` instruction that
//! guest code executes without having been rewritten raises SIGSYS, which
//! the host signal stub turns into the same syscall exit as the fast path.
//!
//! Two host mechanisms can do it:
//! * **Syscall User Dispatch** (Linux ≥ 5.11), per thread: syscalls from
//!   outside nommu's own text trap while the selector byte in the thread's
//!   entry area says BLOCK. The entry stub sets BLOCK on the way into the
//!   guest, every exit sets ALLOW first, so host code (and the vDSO's
//!   fallback syscalls) run untouched.
//! * **seccomp** `SECCOMP_RET_TRAP`, process-wide: a filter that allows
//!   syscalls whose instruction pointer lies in nommu's text or the vDSO and
//!   traps all others.
//!
//! `NOMMU_SYSCALL_TRAP=sud|seccomp|none` picks one (for testing the
//! fallbacks); by default the first that works.

use crate::abi::prctl::{
    PR_SET_NO_NEW_PRIVS, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, PR_SYS_DISPATCH_ON,
    SYSCALL_DISPATCH_FILTER_ALLOW,
};
use crate::abi::seccomp::*;
use core::mem::offset_of;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    UserDispatch,
    Seccomp,
}

impl TrapKind {
    /// The `NOMMU_SYSCALL_TRAP` value that picks it.
    pub fn name(self) -> &'static str {
        match self {
            TrapKind::UserDispatch => "sud",
            TrapKind::Seccomp => "seccomp",
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            TrapKind::UserDispatch => "Syscall User Dispatch",
            TrapKind::Seccomp => "seccomp SECCOMP_RET_TRAP",
        }
    }
}

static ACTIVE: OnceLock<Option<TrapKind>> = OnceLock::new();

/// The trap mechanism in force (after `activate`), if any.
pub(crate) fn active() -> Option<TrapKind> {
    ACTIVE.get().copied().flatten()
}

/// Finds a working trap mechanism and switches it on for the process
/// (seccomp) or for each vCPU thread from now on (SUD). Idempotent.
pub(crate) fn activate() -> Option<TrapKind> {
    *ACTIVE.get_or_init(|| {
        let wanted = super::switches::var("NOMMU_SYSCALL_TRAP").unwrap_or_default();
        let sud = || probe_user_dispatch().then_some(TrapKind::UserDispatch);
        let seccomp = || match install_seccomp_filter() {
            Ok(()) => Some(TrapKind::Seccomp),
            Err(e) => {
                log::debug!("seccomp trap filter unavailable: {e}");
                None
            }
        };
        match wanted {
            "none" => None,
            "seccomp" => seccomp(),
            "sud" => sud(),
            _ => sud().or_else(seccomp),
        }
    })
}

/// Makes the calling thread's syscalls from outside nommu's text trap
/// whenever `*selector` is `SYSCALL_DISPATCH_FILTER_BLOCK`. Call on every vCPU thread.
pub(crate) fn enable_on_current_thread(selector: *const u8) -> std::io::Result<()> {
    if active() != Some(TrapKind::UserDispatch) {
        return Ok(());
    }
    let (start, end) = host_text().ok_or_else(|| std::io::Error::other("cannot find nommu's text"))?;
    // SAFETY: `selector` is a byte in this thread's entry area, which lives
    // as long as the thread runs guest code (the Vcpu owns it).
    let rc =
        unsafe { libc::prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, end - start, selector as u64) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Undoes `enable_on_current_thread` before the selector goes away.
pub(crate) fn disable_on_current_thread() {
    if active() == Some(TrapKind::UserDispatch) {
        // SAFETY: switching dispatch off has no memory effects.
        unsafe { libc::prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0u64, 0u64, 0u64) };
    }
}

fn probe_user_dispatch() -> bool {
    static PROBE_SELECTOR: u8 = SYSCALL_DISPATCH_FILTER_ALLOW;
    let Some((start, end)) = host_text() else {
        return false;
    };
    // SAFETY: the selector is a static that outlives the probe; dispatch is
    // switched off again right away, and the selector says ALLOW meanwhile.
    unsafe {
        let on = libc::prctl(
            PR_SET_SYSCALL_USER_DISPATCH,
            PR_SYS_DISPATCH_ON,
            start,
            end - start,
            &PROBE_SELECTOR as *const u8 as u64,
        );
        if on != 0 {
            log::debug!("Syscall User Dispatch unavailable: {}", std::io::Error::last_os_error());
            return false;
        }
        libc::prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0u64, 0u64, 0u64);
    }
    true
}

/// The executable mapping holding nommu's own code, [start, end): from
/// the linker's symbols for the start of the image and the end of its
/// text (no file to read at start-up), else from /proc/self/maps.
pub(crate) fn host_text() -> Option<(u64, u64)> {
    static TEXT: OnceLock<Option<(u64, u64)>> = OnceLock::new();
    *TEXT.get_or_init(|| {
        let probe = super::entry::nommu_syscall_entry as *const () as usize as u64;
        unsafe extern "C" {
            static __executable_start: u8;
            static etext: u8;
        }
        // Only the symbols' addresses are taken; nothing is read there.
        let (start, end) = (&raw const __executable_start as usize as u64, &raw const etext as usize as u64);
        if (start..end).contains(&probe) {
            return Some((start & !0xfff, (end + 0xfff) & !0xfff));
        }
        maps_entries().into_iter().find(|&(s, e, _)| (s..e).contains(&probe)).map(|(s, e, _)| (s, e))
    })
}

fn vdso() -> Option<(u64, u64)> {
    maps_entries().into_iter().find(|(_, _, name)| name == "[vdso]").map(|(s, e, _)| (s, e))
}

fn maps_entries() -> Vec<(u64, u64, String)> {
    let text = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (lo, hi) = fields.next()?.split_once('-')?;
            let name = fields.nth(4).unwrap_or("").to_string();
            Some((u64::from_str_radix(lo, 16).ok()?, u64::from_str_radix(hi, 16).ok()?, name))
        })
        .collect()
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// The instructions the filter is made of.
const BPF_LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
const BPF_JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const BPF_JGE_K: u16 = BPF_JMP | BPF_JGE | BPF_K;
const BPF_JGT_K: u16 = BPF_JMP | BPF_JGT | BPF_K;
const BPF_RET_K: u16 = BPF_RET | BPF_K;
/// What it loads: the architecture, and the instruction pointer's halves.
const DATA_ARCH: u32 = offset_of!(SeccompData, arch) as u32;
const DATA_IP_LO: u32 = offset_of!(SeccompData, instruction_pointer) as u32;
const DATA_IP_HI: u32 = DATA_IP_LO + 4;

fn stmt(code: u16, k: u32) -> SockFilter {
    SockFilter { code, jt: 0, jf: 0, k }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// `[start, end)` cut at every 4 GiB boundary it crosses: BPF compares
/// 32 bits at a time, so each piece must have one upper half. (Where ASLR
/// puts nommu's text across such a boundary — rarely, but it happens —
/// the text is two pieces.)
fn split_at_4gib(start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut pieces = Vec::new();
    let mut at = start;
    while at < end {
        let boundary = (at | 0xffff_ffff).saturating_add(1);
        let piece_end = boundary.min(end);
        pieces.push((at, piece_end));
        at = piece_end;
    }
    pieces
}

/// Allow syscalls from the given [start, end) ranges, trap the rest.
fn trap_filter(allowed: &[(u64, u64)]) -> Option<Vec<SockFilter>> {
    let pieces: Vec<(u64, u64)> = allowed.iter().flat_map(|&(s, e)| split_at_4gib(s, e)).collect();
    let n = pieces.len();
    let mut prog =
        vec![stmt(BPF_LD_W_ABS, DATA_ARCH), jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 0, u8::try_from(6 * n).ok()?)];
    for &(start, end) in &pieces {
        let last = end.checked_sub(1)?;
        prog.extend([
            stmt(BPF_LD_W_ABS, DATA_IP_HI),
            jump(BPF_JEQ_K, (start >> 32) as u32, 0, 4),
            stmt(BPF_LD_W_ABS, DATA_IP_LO),
            jump(BPF_JGE_K, start as u32, 0, 2),
            jump(BPF_JGT_K, last as u32, 1, 0),
            stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
        ]);
    }
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_TRAP));
    Some(prog)
}

fn install_seccomp_filter() -> std::io::Result<()> {
    #[repr(C)]
    struct SockFprog {
        len: u16,
        filter: *const SockFilter,
    }
    let text = host_text().ok_or_else(|| std::io::Error::other("cannot find nommu's text"))?;
    let mut allowed = vec![text];
    allowed.extend(vdso());
    let prog = trap_filter(&allowed).ok_or_else(|| std::io::Error::other("too many ranges for one BPF jump"))?;
    let fprog = SockFprog { len: prog.len() as u16, filter: prog.as_ptr() };
    // SAFETY: no_new_privs only restricts future execve of set-id programs
    // (nommu runs none); the filter program is valid for the call's
    // duration and the kernel copies it.
    unsafe {
        if libc::prctl(PR_SET_NO_NEW_PRIVS, 1u64, 0u64, 0u64, 0u64) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let rc = libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_TSYNC,
            &fprog as *const SockFprog,
        );
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny BPF interpreter for the three instruction kinds the filter uses.
    fn run(prog: &[SockFilter], arch: u32, ip: u64) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                BPF_LD_W_ABS => {
                    acc = match i.k {
                        DATA_ARCH => arch,
                        DATA_IP_LO => ip as u32,
                        DATA_IP_HI => (ip >> 32) as u32,
                        _ => unreachable!(),
                    }
                }
                BPF_RET_K => return i.k,
                code => {
                    let taken = match code {
                        BPF_JEQ_K => acc == i.k,
                        BPF_JGE_K => acc >= i.k,
                        BPF_JGT_K => acc > i.k,
                        _ => unreachable!(),
                    };
                    pc += if taken { i.jt } else { i.jf } as usize;
                }
            }
        }
    }

    #[test]
    fn filter_allows_exactly_the_ranges() {
        let text = (0x5555_0000_1000, 0x5555_0020_0000);
        let vdso = (0x7fff_f000_0000, 0x7fff_f000_2000);
        let prog = trap_filter(&[text, vdso]).unwrap();
        let a = AUDIT_ARCH_X86_64;
        for ip in [text.0, text.0 + 5, text.1 - 1, vdso.0, vdso.1 - 1] {
            assert_eq!(run(&prog, a, ip), SECCOMP_RET_ALLOW, "{ip:#x}");
        }
        for ip in [0, text.0 - 1, text.1, vdso.0 - 1, vdso.1, 0x1000_0000, 0x5556_0000_1000, u64::MAX] {
            assert_eq!(run(&prog, a, ip), SECCOMP_RET_TRAP, "{ip:#x}");
        }
        assert_eq!(run(&prog, AUDIT_ARCH_I386, text.0), SECCOMP_RET_TRAP, "i386 int 0x80 traps");
    }

    #[test]
    fn a_range_across_4g_is_allowed_in_two_pieces() {
        let (start, end) = (0x7fff_ffff_f000u64, 0x8000_0000_1000u64);
        assert_eq!(split_at_4gib(start, end), vec![(start, 0x8000_0000_0000), (0x8000_0000_0000, end)]);
        let prog = trap_filter(&[(start, end)]).unwrap();
        for ip in [start, 0x7fff_ffff_fffe, 0x8000_0000_0000, end - 1] {
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, ip), SECCOMP_RET_ALLOW, "{ip:#x}");
        }
        for ip in [start - 1, end, 0x8000_ffff_f000, 0x7ffe_ffff_f000] {
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, ip), SECCOMP_RET_TRAP, "{ip:#x}");
        }
    }
}
