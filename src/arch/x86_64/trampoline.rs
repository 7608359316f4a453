//! The zpoline trampoline at virtual address 0 (docs/architecture.md, invariant 1).
//!
//! Layout of page 0 (execute-only once built where PKU can make it so,
//! else readable and executable: `caps::Page0` says which is in force):
//!
//! ```text
//!   0 .. 512   nop sled: `call *%rax` with rax = syscall number < 512
//!              lands at byte rax and slides to 512. The sled is runs of
//!              `66 66 … 66 90` (14 operand-size prefixes and a nop): entered
//!              anywhere, each run is one nop instruction of at most 15
//!              bytes, so the slide takes ~35 instructions instead of up to
//!              512 one-byte nops (measured here: 7.6 ns instead of 63 ns
//!              for getpid's slide).
//!   512        e9 90 90 00 00   jmp rel32 -> HOP_ADDR (0x9295)
//!   517 ..     0xcc (int3)
//! ```
//!
//! The rel32 was chosen so that entering *inside* the jump (rax = 513..516)
//! still traps: `90 90 00 00` is nop, nop, `add [rax], al`, a write to
//! page 0 (never writable), and `00 cc` then `int3`. Every rax ≥ 512 therefore
//! ends in a fault whose return address is a rewritten site, which the run
//! loop turns into `-ENOSYS` (numbers ≥ 4096 fault on the call itself).
//! The hop page holds `movabs r11, nommu_syscall_entry; jmp r11` (r11 is
//! clobbered by `syscall` anyway).

use super::entry::nommu_syscall_entry;
use crate::abi::consts::PAGE_SIZE;

/// Syscall numbers below this slide straight into the kernel.
pub(crate) const SLED_LEN: usize = 512;
pub(crate) const HOP_PAGE: usize = 0x9000;
pub(crate) const HOP_ADDR: usize = 0x9295;
const JMP_REL32: u8 = 0xe9;
const INT3: u8 = 0xcc;
const NOP: u8 = 0x90;
const OPSIZE_PREFIX: u8 = 0x66;
/// Bytes per sled run: 14 prefixes + nop, the longest legal instruction.
const SLED_RUN: usize = 15;

#[derive(Debug)]
pub enum TrampolineError {
    /// `vm.mmap_min_addr` forbids mapping page 0.
    MmapMinAddr { current: Option<u64>, source: std::io::Error },
    /// Something else is already at page 0 or at the hop page.
    Map(std::io::Error),
}

impl std::fmt::Display for TrampolineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrampolineError::MmapMinAddr { current, source } => {
                let cur = current.map(|v| v.to_string()).unwrap_or_else(|| "unknown".into());
                write!(
                    f,
                    "cannot map the syscall trampoline at address 0 ({source}): \
                     vm.mmap_min_addr is {cur}, it must be 0. Fix (as root): sysctl -w vm.mmap_min_addr=0"
                )
            }
            TrampolineError::Map(e) => write!(f, "cannot map the syscall trampoline: {e}"),
        }
    }
}

impl std::error::Error for TrampolineError {}

/// True when `rip` is inside the trampoline pages (a syscall with an
/// out-of-range number faulted there).
pub(crate) fn contains(rip: u64) -> bool {
    (rip as usize) <= PAGE_SIZE as usize || (HOP_PAGE..HOP_PAGE + PAGE_SIZE as usize).contains(&(rip as usize))
}

fn mmap_min_addr() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/mmap_min_addr").ok()?.trim().parse().ok()
}

fn map_fixed(addr: usize) -> std::io::Result<*mut u8> {
    // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping; the
    // page is ours from here on and never unmapped.
    let p = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            PAGE_SIZE as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    if p as usize != addr {
        // Kernels before 4.17 treat NOREPLACE as a hint.
        // SAFETY: unmapping the page we were just given elsewhere.
        unsafe { libc::munmap(p, PAGE_SIZE as usize) };
        return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(p as *mut u8)
}

/// Execute-only when the CPU's protection keys can make it so (Linux gives
/// `PROT_EXEC` alone an execute-only key); readable and executable
/// otherwise, which is what x86 page tables can express.
fn protect(p: *mut u8, execute_only: bool) -> std::io::Result<()> {
    let prot = if execute_only { libc::PROT_EXEC } else { libc::PROT_READ | libc::PROT_EXEC };
    // SAFETY: p is a page we mapped; nothing of ours reads it afterwards
    // except through the kernel (`readable`).
    if unsafe { libc::mprotect(p as *mut libc::c_void, PAGE_SIZE as usize, prot) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Copies a page into `dst` with `rep movsb`: page 0 is address 0, which
/// Rust's pointer functions may assume never to be written through.
fn fill_page(dst: *mut u8, page: &[u8; PAGE_SIZE as usize]) {
    // SAFETY: `dst` is a read-write page of ours, PAGE_SIZE long; the
    // source is a PAGE_SIZE array; DF is clear in Rust code (ABI).
    unsafe {
        core::arch::asm!(
            "rep movsb",
            inout("rdi") dst => _,
            inout("rsi") page.as_ptr() => _,
            inout("rcx") PAGE_SIZE as usize => _,
            options(nostack, preserves_flags)
        )
    };
}

/// Whether user-mode reads of the page at `addr` succeed, measured rather
/// than assumed, in one host call without side effects: `rt_sigprocmask`
/// with an invalid `how` copies the new set (8 bytes, here from the
/// page's second word: a NULL set would be no set) first, EFAULT if the
/// protection (a protection key) forbids reading it, and only then
/// refuses the `how` (EINVAL), changing nothing. (Raw: musl checks `how`
/// itself.)
pub(crate) fn readable(addr: usize) -> bool {
    const NO_SUCH_HOW: libc::c_long = 0x7fff;
    let probe = (addr & !(PAGE_SIZE as usize - 1)) | 8;
    // SAFETY: the kernel reads 8 bytes at `probe` on our behalf and reports
    // a bad address as EFAULT; an invalid `how` changes no signal mask; no
    // Rust reference to that memory exists.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigprocmask, NO_SUCH_HOW, probe, 0usize, 8usize) };
    !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT))
}

/// Page 0 as installed, made at compile time: no 4 KiB array on the
/// start-up stack (a page fault of its own) and no loop at run time.
static SLED_PAGE: [u8; PAGE_SIZE as usize] = sled_page();

const fn sled_page() -> [u8; PAGE_SIZE as usize] {
    let mut page = [INT3; PAGE_SIZE as usize];
    // Runs end at byte SLED_LEN - 1, so the jump starts on an instruction
    // boundary whatever the entry point.
    let mut i = 0;
    while i < SLED_LEN {
        page[i] = if (SLED_LEN - 1 - i).is_multiple_of(SLED_RUN) { NOP } else { OPSIZE_PREFIX };
        i += 1;
    }
    let rel = ((HOP_ADDR as i64 - (SLED_LEN as i64 + 5)) as i32).to_le_bytes();
    page[SLED_LEN] = JMP_REL32;
    page[SLED_LEN + 1] = rel[0];
    page[SLED_LEN + 2] = rel[1];
    page[SLED_LEN + 3] = rel[2];
    page[SLED_LEN + 4] = rel[3];
    page
}

/// The hop page's code, at `HOP_ADDR`: `movabs r11, nommu_syscall_entry;
/// jmp r11`.
fn hop_code() -> [u8; 13] {
    let target = nommu_syscall_entry as *const () as usize as u64;
    let mut code = [0u8; 13];
    code[..2].copy_from_slice(&[0x49, 0xbb]); // movabs r11, imm64
    code[2..10].copy_from_slice(&target.to_le_bytes());
    code[10..].copy_from_slice(&[0x41, 0xff, 0xe3]); // jmp r11
    code
}

/// What `install` set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Installed {
    /// Guest code can read page 0 (measured after protecting it).
    pub readable: bool,
}

static INSTALLED: std::sync::Mutex<Option<Installed>> = std::sync::Mutex::new(None);

/// Maps page 0 and the hop page, execute-only when `execute_only` (the
/// caller knows PKU is in force), else readable and executable; says
/// what it measured. Idempotent per process.
pub(crate) fn install(execute_only: bool) -> Result<Installed, TrampolineError> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(done) = *installed {
        return Ok(done);
    }
    let page0 = map_fixed(0).map_err(|source| match source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => TrampolineError::MmapMinAddr { current: mmap_min_addr(), source },
        _ => TrampolineError::Map(source),
    })?;
    let hop = match map_fixed(HOP_PAGE) {
        Ok(hop) => hop,
        Err(e) => {
            unmap(0);
            return Err(TrampolineError::Map(e));
        }
    };
    fill_page(page0, &SLED_PAGE);
    let code = hop_code();
    // SAFETY: `hop` is the read-write hop page just mapped, PAGE_SIZE
    // long; the code's 13 bytes at HOP_ADDR lie inside it.
    unsafe {
        core::ptr::write_bytes(hop, INT3, PAGE_SIZE as usize);
        core::ptr::copy_nonoverlapping(code.as_ptr(), hop.add(HOP_ADDR - HOP_PAGE), code.len());
    }
    if let Err(e) = protect(page0, execute_only).and_then(|()| protect(hop, execute_only)) {
        unmap(0);
        unmap(HOP_PAGE);
        return Err(TrampolineError::Map(e));
    }
    let done = Installed { readable: readable(0) };
    *installed = Some(done);
    Ok(done)
}

/// Takes the trampoline away again (it turned out readable where the user
/// wants NULL reads to fault). No guest code may have run yet.
pub(crate) fn uninstall() {
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if installed.take().is_some() {
        unmap(0);
        unmap(HOP_PAGE);
    }
}

fn unmap(addr: usize) {
    // SAFETY: only the trampoline pages, which hold no Rust objects and
    // which no guest has entered yet.
    unsafe { libc::munmap(addr as *mut libc::c_void, PAGE_SIZE as usize) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmap_min_addr_error_says_how_to_fix() {
        let e = TrampolineError::MmapMinAddr {
            current: Some(65536),
            source: std::io::Error::from_raw_os_error(libc::EPERM),
        };
        let msg = e.to_string();
        assert!(msg.contains("vm.mmap_min_addr is 65536"), "{msg}");
        assert!(msg.contains("sysctl -w vm.mmap_min_addr=0"), "{msg}");
    }

    #[test]
    fn readable_tells_a_readable_page_from_an_inaccessible_one() {
        let len = PAGE_SIZE as usize;
        // SAFETY: a fresh private mapping, used only through the probe.
        let page = unsafe {
            libc::mmap(core::ptr::null_mut(), len, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        assert_ne!(page, libc::MAP_FAILED);
        assert!(!readable(page as usize));
        // SAFETY: the page mapped above.
        assert_eq!(unsafe { libc::mprotect(page, len, libc::PROT_READ) }, 0);
        assert!(readable(page as usize));
        // SAFETY: the page mapped above.
        unsafe { libc::munmap(page, len) };
    }

    #[test]
    fn jump_bytes_trap_when_entered_midway() {
        let page = SLED_PAGE;
        assert_eq!(&page[SLED_LEN..SLED_LEN + 6], &[0xe9, 0x90, 0x90, 0x00, 0x00, 0xcc]);
        assert_eq!(page[SLED_LEN - 1], NOP);
        // From every entry point, the next nop is at most 14 bytes away and
        // only operand-size prefixes come before it.
        for entry in 0..SLED_LEN {
            let next_nop = (entry..SLED_LEN).find(|&i| page[i] == NOP).unwrap();
            assert!(next_nop - entry < SLED_RUN);
            assert!(page[entry..next_nop].iter().all(|&b| b == OPSIZE_PREFIX));
        }
    }
}
