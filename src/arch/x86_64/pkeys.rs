//! Protection keys for `--isolate` (issue 19): the host's keys, the PKRU
//! values host and guest code run with, and the instructions to switch.
//!
//! Linux gives a process up to 15 keys besides key 0 (`pkey_alloc`); one
//! of them it may already have taken for execute-only mappings (page 0 is
//! one, see `trampoline.rs`). Each key has two bits in PKRU: Access-Disable
//! (bit 2k) and Write-Disable (bit 2k+1). Host code (nommu's kernel) runs
//! with every key nommu allocated granted; guest code with its own key
//! and key 0 only. Both keep the bits the host had set for keys nommu did
//! not allocate, among them the execute-only key's Access-Disable bit,
//! without which NULL reads would stop faulting.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The keys nommu holds, and the PKRU value its own code runs with.
#[derive(Debug)]
pub struct HostKeys {
    /// The key of arena memory nobody owns (free pages, the allocator's
    /// cached ones): no task is granted it.
    pub free: u32,
    /// The keys processes get, in turn.
    pub owners: Vec<u32>,
    /// PKRU for host code: the allocated keys granted.
    pub kernel_pkru: u32,
    /// How many memory contexts hold each of `owners`, and whose turn a
    /// tie is.
    users: std::sync::Mutex<Vec<u32>>,
    next: AtomicUsize,
}

static KEYS: OnceLock<HostKeys> = OnceLock::new();
/// `kernel_pkru` once keys are allocated, for the entry area (which
/// switches PKRU only once `SWITCHING` is set: without an execute-only
/// key the kernel's PKRU is 0).
static KERNEL_PKRU: AtomicU32 = AtomicU32::new(0);
static SWITCHING: AtomicBool = AtomicBool::new(false);

/// Both rights bits of `key` in PKRU.
fn deny_bits(key: u32) -> u32 {
    0b11 << (2 * key)
}

/// The keys, once `allocate` succeeded.
pub fn keys() -> Option<&'static HostKeys> {
    KEYS.get()
}

/// Takes every key the host gives (the first for free memory, the rest
/// for processes) and makes the calling thread's PKRU the kernel's (new
/// host threads inherit it). Needs at least two keys. Once per host
/// process: a second call returns the same keys.
pub fn allocate() -> std::io::Result<&'static HostKeys> {
    if let Some(k) = KEYS.get() {
        return Ok(k);
    }
    let mut got = Vec::new();
    loop {
        // SAFETY: pkey_alloc(flags 0, rights 0: full access for this thread).
        let key = unsafe { libc::syscall(libc::SYS_pkey_alloc, 0u64, 0u64) };
        if key < 0 {
            break;
        }
        got.push(key as u32);
    }
    if got.len() < 2 {
        for &k in &got {
            // SAFETY: gives back a key this function allocated.
            unsafe { libc::syscall(libc::SYS_pkey_free, k as u64) };
        }
        return Err(std::io::Error::other(format!("the host gave {} protection keys, 2 are needed", got.len())));
    }
    let kernel_pkru = rdpkru() & !got.iter().fold(0, |m, &k| m | deny_bits(k));
    let keys = HostKeys::new(got[0], got[1..].to_vec(), kernel_pkru);
    let keys = KEYS.get_or_init(|| keys);
    wrpkru(keys.kernel_pkru);
    KERNEL_PKRU.store(keys.kernel_pkru, Ordering::Release);
    SWITCHING.store(true, Ordering::Release);
    Ok(keys)
}

impl HostKeys {
    fn new(free: u32, owners: Vec<u32>, kernel_pkru: u32) -> HostKeys {
        let users = std::sync::Mutex::new(vec![0; owners.len()]);
        HostKeys { free, owners, kernel_pkru, users, next: AtomicUsize::new(0) }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, Vec<u32>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A key for a new memory context: one nobody holds if there is one,
    /// else the least held (in turn among equals). With more live
    /// processes than keys, processes share keys; a short-lived one gives
    /// its key back (`release`), so a long-lived shell rarely shares.
    /// Also says whether the key is shared now.
    pub fn take(&self) -> (u32, bool) {
        let mut users = self.users();
        let n = users.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let i = (0..n).map(|k| (start + k) % n).min_by_key(|&i| users[i]).unwrap_or(0);
        users[i] = users[i].saturating_add(1);
        (self.owners[i], users[i] > 1)
    }

    /// A memory context that held `key` is gone.
    pub fn release(&self, key: u32) {
        if let Some(i) = self.owners.iter().position(|&k| k == key) {
            let mut users = self.users();
            users[i] = users[i].saturating_sub(1);
        }
    }

    /// PKRU for guest code whose memory carries `key`: the kernel's, with
    /// every other key nommu holds (the free one too) denied.
    pub fn guest_pkru(&self, key: u32) -> u32 {
        std::iter::once(self.free)
            .chain(self.owners.iter().copied())
            .filter(|&k| k != key)
            .fold(self.kernel_pkru, |v, k| v | deny_bits(k))
    }
}

/// PKRU host code runs with once keys are allocated (the entry stubs
/// switch PKRU then only), else None.
pub(crate) fn kernel_pkru() -> Option<u32> {
    SWITCHING.load(Ordering::Acquire).then(|| KERNEL_PKRU.load(Ordering::Acquire))
}

pub(crate) fn rdpkru() -> u32 {
    let eax: u32;
    // SAFETY: rdpkru reads the thread's PKRU (callers run only where
    // `allocate` found PKU in force); ecx must be 0.
    unsafe { core::arch::asm!("rdpkru", in("ecx") 0u32, out("eax") eax, out("edx") _, options(nomem, nostack)) };
    eax
}

/// Sets the calling thread's PKRU.
pub fn wrpkru(value: u32) {
    // SAFETY: wrpkru changes which protection keys this thread may use;
    // the callers give values that grant key 0 (nommu's own memory).
    unsafe { core::arch::asm!("wrpkru", in("eax") value, in("ecx") 0u32, in("edx") 0u32, options(nostack)) };
}

/// Sets the protection and key of [addr, addr+len) (pages).
pub fn pkey_mprotect(addr: u64, len: u64, prot: i32, key: u32) -> std::io::Result<()> {
    // SAFETY: the caller passes arena pages it owns; the protection is
    // the one they have (the key is the only change).
    let rc = unsafe { libc::syscall(libc::SYS_pkey_mprotect, addr, len, prot as i64, key as i64) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_pkru_grants_own_key_and_keeps_the_hosts_bits() {
        let keys = HostKeys::new(2, vec![3, 4], 0b100);
        let v = keys.guest_pkru(3);
        assert_eq!(v & deny_bits(3), 0);
        assert_eq!(v & deny_bits(0), 0);
        assert_eq!(v & deny_bits(2), deny_bits(2));
        assert_eq!(v & deny_bits(4), deny_bits(4));
        assert_eq!(v & 0b100, 0b100, "the execute-only key stays denied");
    }

    #[test]
    fn keys_go_to_the_least_held_and_come_back() {
        let keys = HostKeys::new(2, vec![3, 4, 5], 0);
        assert_eq!(keys.take(), (3, false));
        assert_eq!(keys.take(), (4, false));
        assert_eq!(keys.take(), (5, false));
        keys.release(4);
        assert_eq!(keys.take(), (4, false), "a key given back goes first");
        let (k, shared) = keys.take();
        assert!(shared && [3, 4, 5].contains(&k));
        keys.release(k);
        keys.release(5);
        keys.release(7);
        assert_eq!(keys.take(), (5, false), "the one nobody holds");
    }
}
