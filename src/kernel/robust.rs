//! The robust-list walk (set_robust_list): when a thread exits or execs,
//! each futex it still holds gets FUTEX_OWNER_DIED, as Linux's
//! `exit_robust_list` does. A plain robust futex's waiter is woken here
//! (the host kernel holds plain waiters); a PI one is handed over by the
//! PI registry afterwards (`kernel::pifutex`), which runs this walk under
//! its lock.

use crate::abi::futex::{RobustListHead, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, ROBUST_LIST_LIMIT};
use crate::arch::host;
use crate::mm::UserMemory;

/// A list pointer: the entry, and bit 0 (the entry is a PI futex).
fn entry(p: u64) -> (u64, bool) {
    (p & !1, p & 1 != 0)
}

/// Walks the robust list at `head` of the thread `tid`.
pub(crate) fn walk(mem: &UserMemory, head: u64, tid: i32) {
    if head == 0 {
        return;
    }
    // The head is the guest's (set_robust_list): one that cannot be read
    // is no list.
    let Ok(RobustListHead { list, futex_offset: offset, list_op_pending }) = mem.read_val(head) else {
        return;
    };
    let word = |node: u64| node.wrapping_add(offset as u64);
    let (pending, pending_pi) = entry(list_op_pending);
    let (mut node, mut pi) = entry(list);
    for _ in 0..ROBUST_LIST_LIMIT {
        // Address 0 may be readable here (the page-0 trampoline): it ends
        // the list as the fault it is on Linux would.
        if node == head || node == 0 {
            break;
        }
        // The next entry first: handling this one may let another thread
        // reuse its memory.
        let next = mem.read_u64(node).map(entry);
        // A pending lock may be on the list already: handle it once.
        if node != pending && !owner_died(mem, word(node), tid, pi, false) {
            return;
        }
        let Ok((n, p)) = next else { return };
        (node, pi) = (n, p);
    }
    if pending != 0 {
        owner_died(mem, word(pending), tid, pending_pi, true);
    }
}

/// Linux's `handle_futex_death` for one word: if `tid` owns it, mark it
/// FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and wake a plain waiter.
/// False when the word is unaligned or unreadable, which ends the walk.
fn owner_died(mem: &UserMemory, word: u64, tid: i32, pi: bool, pending: bool) -> bool {
    loop {
        let Ok(val) = mem.load_u32(word) else { return false };
        let owner = val & FUTEX_TID_MASK;
        // A plain lock being released (or taken) when the thread died: its
        // word is already free, but a waiter may have been left unwoken.
        if pending && !pi && owner == 0 {
            host::futex_wake_addr(word, 1);
            return true;
        }
        if owner != tid as u32 {
            return true;
        }
        let new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        match mem.cmpxchg_u32(word, val, new) {
            Ok(found) if found != val => continue,
            Ok(_) => {}
            Err(_) => return false,
        }
        if !pi && val & FUTEX_WAITERS != 0 {
            host::futex_wake_addr(word, 1);
        }
        return true;
    }
}
