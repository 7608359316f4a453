//! User-pointer access. Every guest pointer a syscall touches goes through
//! `vm-memory` over the arena (identity addresses): a pointer outside guest
//! memory is `EFAULT`, never a host crash.

use crate::arch::{host, sigframe};
use crate::errno::{Errno, SysResult};
pub(crate) use sock::Received;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use vm_memory::{
    ByteValued, Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap, GuestRegionMmap, MmapRegion, VolatileSlice,
};

mod cstr;
mod sock;

pub struct UserMemory {
    /// The arena alone. It never changes, so the common case (a range inside
    /// the arena) needs no lock and no reference count.
    arena: GuestMemoryMmap,
    /// [arena_start, arena_end): what `arena` covers.
    arena_start: u64,
    arena_end: u64,
    /// Every guest region: the arena plus images mapped at their link
    /// address (`add_region`, rare). Only ranges outside the arena look here.
    mem: RwLock<Arc<GuestMemoryMmap>>,
    /// Pages of the arena that must not be touched (stack guards, guest
    /// PROT_NONE pages).
    pub guards: super::guard::GuardMap,
    /// Pages of the arena mapped read-only from the image cache (a
    /// program's text and rodata, `mm::text`): readable, and written only
    /// by nommu's forced writes (`write_code`); other writes are EFAULT.
    pub(crate) readonly: super::guard::GuardMap,
    /// Memory in use against `--mem` (held while pages change between
    /// accessible and inaccessible, so the count matches the guard map).
    pub(super) commit: std::sync::Mutex<super::commit::Commit>,
    /// Main stacks committed as they grow (`mm::stackgrow`).
    pub(super) stacks: super::stackgrow::Stacks,
    /// Under `--isolate`, each arena page's protection key (`isolation`).
    pub(super) page_keys: std::sync::OnceLock<super::isolation::PageKeys>,
}

fn region(addr: u64, len: u64) -> std::io::Result<GuestRegionMmap> {
    // SAFETY: callers pass memory that stays mapped for the life of the
    // machine (the arena, or an image mapped at its link address).
    let mapping = unsafe {
        MmapRegion::build_raw(
            addr as *mut u8,
            len as usize,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        )
    }
    .map_err(|e| std::io::Error::other(format!("guest region {addr:#x}+{len:#x}: {e}")))?;
    GuestRegionMmap::new(mapping, GuestAddress(addr))
        .ok_or_else(|| std::io::Error::other(format!("guest region {addr:#x}+{len:#x} overflows")))
}

impl UserMemory {
    /// Guest memory over `arena`, its guard and read-only maps in `guards`
    /// and `readonly` (`GuardMap::words_for(arena.size())` words each).
    pub(crate) fn new(
        arena: &super::Arena,
        limit: u64,
        guards: super::zeroed::ZeroedWords,
        readonly: super::zeroed::ZeroedWords,
    ) -> std::io::Result<UserMemory> {
        let r = Arc::new(region(arena.base(), arena.size())?);
        let err = |e: vm_memory::GuestRegionCollectionError| std::io::Error::other(e.to_string());
        let mem = GuestMemoryMmap::from_arc_regions(vec![r.clone()]).map_err(err)?;
        Ok(UserMemory {
            arena: GuestMemoryMmap::from_arc_regions(vec![r]).map_err(err)?,
            arena_start: arena.base(),
            arena_end: arena.end(),
            mem: RwLock::new(Arc::new(mem)),
            guards: super::guard::GuardMap::with_words(arena.base(), arena.size(), guards),
            readonly: super::guard::GuardMap::with_words(arena.base(), arena.size(), readonly),
            commit: std::sync::Mutex::new(super::commit::Commit::new(limit)),
            stacks: Default::default(),
            page_keys: Default::default(),
        })
    }

    /// Registers memory outside the arena (an `ET_EXEC` image at its link
    /// address) as guest memory.
    pub(crate) fn add_region(&self, addr: u64, len: u64) -> std::io::Result<()> {
        let r = region(addr, len)?;
        let mut guard = self.mem.write().unwrap_or_else(|e| e.into_inner());
        let grown = guard.insert_region(Arc::new(r)).map_err(|e| std::io::Error::other(e.to_string()))?;
        *guard = Arc::new(grown);
        Ok(())
    }

    /// EFAULT for a range that touches a guard page (after growing a main
    /// stack the range reaches into, as Linux's fault path would).
    #[inline]
    pub(super) fn unguarded(&self, addr: u64, len: usize) -> SysResult<()> {
        if self.guards.overlaps(addr, len as u64) && !self.grow_stack_over(addr, len as u64) {
            return Err(Errno::EFAULT);
        }
        if Self::isolating() {
            return self.check_owner(addr, len);
        }
        Ok(())
    }

    /// `unguarded`, for a range nommu writes: read-only text is EFAULT too
    /// (Linux's `copy_to_user` into a program's text).
    #[inline]
    fn writable(&self, addr: u64, len: usize) -> SysResult<()> {
        self.unguarded(addr, len)?;
        if self.readonly.overlaps(addr, len as u64) {
            return Err(Errno::EFAULT);
        }
        Ok(())
    }

    /// Does [addr, addr+len) lie inside the arena?
    #[inline]
    fn in_arena(&self, addr: u64, len: usize) -> bool {
        addr >= self.arena_start && self.arena_end.checked_sub(addr).is_some_and(|room| len as u64 <= room)
    }

    /// Runs `f` on guest memory that covers [addr, addr+len) if any does:
    /// the arena directly when the range lies inside it (no lock, no
    /// reference count: this is every syscall's path), else the whole map.
    /// Both answer the same for such a range: the arena is one region of it.
    pub(super) fn with_mem<R>(&self, addr: u64, len: usize, f: impl FnOnce(&GuestMemoryMmap) -> R) -> R {
        if self.in_arena(addr, len) {
            f(&self.arena)
        } else {
            f(&self.whole_map())
        }
    }

    /// The map of every guest region, cloned out of its lock: a caller
    /// that blocks in a host call on it (a read into an image's `.bss`
    /// that waits for a pipe) must not hold up `add_region`, or the exec
    /// that would write into the pipe waits for the read for ever. Its
    /// regions stay mapped for the machine's life (`region`).
    fn whole_map(&self) -> Arc<GuestMemoryMmap> {
        Arc::clone(&self.mem.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Buffers up to this size go through vm-memory's copy, which moves an
    /// aligned word in one access; larger ones in the arena (one region)
    /// are one `memcpy`, as vm-memory would do too, without its per-call
    /// bookkeeping.
    const SMALL: usize = 8;

    pub fn read(&self, addr: u64, buf: &mut [u8]) -> SysResult<()> {
        if buf.len() > Self::SMALL && self.in_arena(addr, buf.len()) {
            return self.with_host_ptr(addr, buf.len(), |p, n| {
                // SAFETY: [p, p+n) is checked guest memory, which never
                // overlaps a host buffer; buf has n bytes.
                unsafe { core::ptr::copy_nonoverlapping(p as *const u8, buf.as_mut_ptr(), n) }
            });
        }
        self.unguarded(addr, buf.len())?;
        self.with_mem(addr, buf.len(), |m| m.read_slice(buf, GuestAddress(addr))).map_err(|_| Errno::EFAULT)
    }

    pub fn write(&self, addr: u64, buf: &[u8]) -> SysResult<()> {
        let n = buf.len();
        if n > Self::SMALL && self.plainly_writable(addr, n) {
            // SAFETY: as `plainly_writable` answered.
            unsafe { copy_out(addr as *mut u8, buf) };
            return Ok(());
        }
        self.write_checked(addr, buf)
    }

    /// Can nommu store to [addr, addr+len) directly: inside the arena
    /// (mapped at the guest's own addresses for the machine's lifetime,
    /// never overlapping a host buffer), no guard page, no read-only page,
    /// no `--isolate` ownership to check? One load of each map when the
    /// range lies within one of their words (every syscall's buffer but
    /// the largest); `false` sends the caller to the full checks.
    #[inline(always)]
    fn plainly_writable(&self, addr: u64, len: usize) -> bool {
        self.in_arena(addr, len)
            && !Self::isolating()
            && self.guards.overlaps_in_word(addr, len as u64) == Some(false)
            && self.readonly.overlaps_in_word(addr, len as u64) == Some(false)
    }

    /// `write` with every check (a range across map words, a stack to grow,
    /// memory outside the arena, a value of at most `SMALL` bytes).
    #[inline(never)]
    fn write_checked(&self, addr: u64, buf: &[u8]) -> SysResult<()> {
        let n = buf.len();
        if n > Self::SMALL
            && self.in_arena(addr, n)
            && !Self::isolating()
            && !self.guards.overlaps(addr, n as u64)
            && !self.readonly.overlaps(addr, n as u64)
        {
            // SAFETY: [addr, addr+n) lies in the arena, which is mapped at
            // the guest's own addresses for the machine's lifetime, is
            // neither a guard nor a read-only page, and never overlaps a
            // host buffer.
            unsafe { copy_out(addr as *mut u8, buf) };
            return Ok(());
        }
        if n > Self::SMALL && self.in_arena(addr, n) {
            return self.with_host_ptr_mut(addr, buf.len(), |p, n| {
                // SAFETY: [p, p+n) is checked guest memory, which never
                // overlaps a host buffer; buf has n bytes.
                unsafe { core::ptr::copy_nonoverlapping(buf.as_ptr(), p, n) }
            });
        }
        self.writable(addr, buf.len())?;
        self.with_mem(addr, buf.len(), |m| m.write_slice(buf, GuestAddress(addr))).map_err(|_| Errno::EFAULT)
    }

    pub(crate) fn read_val<T: ByteValued>(&self, addr: u64) -> SysResult<T> {
        let len = core::mem::size_of::<T>();
        self.unguarded(addr, len)?;
        self.with_mem(addr, len, |m| m.read_obj(GuestAddress(addr))).map_err(|_| Errno::EFAULT)
    }

    /// `n` values of `T` at `addr` (a guest array), read in one access.
    pub(crate) fn read_array<T: ByteValued + Default>(&self, addr: u64, n: usize) -> SysResult<Vec<T>> {
        let size = core::mem::size_of::<T>();
        let mut raw = vec![0u8; size.checked_mul(n).ok_or(Errno::EFAULT)?];
        self.read(addr, &mut raw)?;
        Ok(raw
            .chunks_exact(size.max(1))
            .map(|bytes| {
                let mut v = T::default();
                v.as_mut_slice().copy_from_slice(bytes);
                v
            })
            .collect())
    }

    /// `vals` written as a guest array at `addr`, in one access.
    pub(crate) fn write_array<T: ByteValued>(&self, addr: u64, vals: &[T]) -> SysResult<()> {
        let raw: Vec<u8> = vals.iter().flat_map(|v| v.as_slice().iter().copied()).collect();
        self.write(addr, &raw)
    }

    /// `write_val` from a reference (no move of a large value).
    pub(crate) fn write_obj<T: ByteValued>(&self, addr: u64, val: &T) -> SysResult<()> {
        let n = core::mem::size_of::<T>();
        if n > Self::SMALL && n <= COPY_OUT_INLINE && self.plainly_writable(addr, n) {
            // SAFETY: as `plainly_writable` answered. Inlined with the
            // size known: a `struct stat` is nine 16-byte stores.
            unsafe { copy_out(addr as *mut u8, val.as_slice()) };
            return Ok(());
        }
        self.write_checked(addr, val.as_slice())
    }

    pub(crate) fn write_val<T: ByteValued>(&self, addr: u64, val: T) -> SysResult<()> {
        let len = core::mem::size_of::<T>();
        if len > Self::SMALL {
            return self.write_obj(addr, &val);
        }
        self.writable(addr, len)?;
        self.with_mem(addr, len, |m| m.write_obj(val, GuestAddress(addr))).map_err(|_| Errno::EFAULT)
    }

    pub(crate) fn read_u64(&self, addr: u64) -> SysResult<u64> {
        self.read_val::<u64>(addr)
    }

    /// Runs `f` with a host pointer to `len` bytes of guest memory at `addr`,
    /// after checking the whole range is guest memory. `f` is a host call
    /// that reads or writes the range (read(2), getrandom(2), ...).
    fn with_host_ptr<R>(&self, addr: u64, len: usize, f: impl FnOnce(*mut u8, usize) -> R) -> SysResult<R> {
        self.unguarded(addr, len)?;
        self.with_kernel_ptr(addr, len, f)
    }

    /// `with_host_ptr` for a host call that writes the range.
    fn with_host_ptr_mut<R>(&self, addr: u64, len: usize, f: impl FnOnce(*mut u8, usize) -> R) -> SysResult<R> {
        self.writable(addr, len)?;
        self.with_kernel_ptr(addr, len, f)
    }

    /// Like `with_host_ptr`, for a pointer only the host kernel will use:
    /// inaccessible pages are left to it, and it answers for them exactly
    /// as Linux does (a short count up to the first one, or EFAULT).
    #[inline(always)]
    fn with_kernel_ptr<R>(&self, addr: u64, len: usize, f: impl FnOnce(*mut u8, usize) -> R) -> SysResult<R> {
        // Every read and write's path: a range inside the arena (mapped at
        // the guest's own addresses, so its own host pointer) with no guard
        // page in it. Nothing else is inlined into the caller's frame.
        if len != 0
            && self.in_arena(addr, len)
            && !Self::isolating()
            && self.guards.overlaps_in_word(addr, len as u64) == Some(false)
        {
            return Ok(f(addr as *mut u8, len));
        }
        self.with_kernel_ptr_slow(addr, len, false, f)
    }

    /// `with_kernel_ptr` for a host call that transfers data between the
    /// range and a file (read, write, pread, pwrite): a range Linux's
    /// `access_ok` takes that is not guest memory is given to the host as
    /// a range of the same length that faults (`faultzone`), so the host
    /// answers as Linux would (0 at end of file, else EFAULT).
    #[inline(always)]
    fn with_transfer_ptr<R>(&self, addr: u64, len: usize, f: impl FnOnce(*mut u8, usize) -> R) -> SysResult<R> {
        if len != 0
            && self.in_arena(addr, len)
            && !Self::isolating()
            && self.guards.overlaps_in_word(addr, len as u64) == Some(false)
        {
            return Ok(f(addr as *mut u8, len));
        }
        self.with_kernel_ptr_slow(addr, len, true, f)
    }

    /// `with_kernel_ptr` for an empty range, one outside the arena, or one
    /// over a guard page.
    #[cold]
    #[inline(never)]
    fn with_kernel_ptr_slow<R>(
        &self,
        addr: u64,
        len: usize,
        stand_in: bool,
        f: impl FnOnce(*mut u8, usize) -> R,
    ) -> SysResult<R> {
        if len == 0 {
            return Ok(f(core::ptr::NonNull::<u8>::dangling().as_ptr(), 0));
        }
        if Self::isolating() {
            self.check_owner(addr, len)?;
        }
        if self.guards.overlaps(addr, len as u64) {
            // A main stack not yet grown that far grows first, as Linux's
            // would on the host kernel's fault; other guard pages are left
            // to the host kernel.
            self.grow_stack_over(addr, len as u64);
        }
        // The arena is mapped at the guest's own addresses: a range inside
        // it is its own host pointer (one compare, no region lookup).
        if self.in_arena(addr, len) {
            return Ok(f(addr as *mut u8, len));
        }
        let mut f = Some(f);
        let r = self.with_mem(addr, len, |mem| {
            let slice: VolatileSlice<'_, _> = mem.get_slice(GuestAddress(addr), len).map_err(|_| Errno::EFAULT)?;
            let guard = slice.ptr_guard_mut();
            Ok(f.take().map(|f| f(guard.as_ptr(), len)))
        });
        match (r, f) {
            (Ok(Some(r)), _) => Ok(r),
            (Err(Errno::EFAULT), Some(f)) if stand_in => match super::faultzone::stand_in(addr, len) {
                Some((p, n)) => Ok(f(p, n)),
                None => Err(Errno::EFAULT),
            },
            (Err(e), _) => Err(e),
            (Ok(None), _) => Err(Errno::EFAULT),
        }
    }

    /// read(2) from a host fd straight into guest memory.
    /// With `interruptible`, a kick of this vCPU thread ends a blocked
    /// read with EINTR (pipes, terminals: see `arch::isyscall`).
    #[inline]
    pub(crate) fn host_read(&self, fd: i32, addr: u64, len: usize, interruptible: bool) -> SysResult<usize> {
        self.with_transfer_ptr(addr, len, |p, n| {
            // SAFETY: [p, p+n) is checked guest memory, mapped for the
            // machine's lifetime; the host kernel writes into it.
            unsafe { raw_syscall(libc::SYS_read, [fd as u64, p as u64, n as u64, 0, 0, 0], interruptible) }
        })?
    }

    /// pread(2) into guest memory.
    pub(crate) fn host_pread(&self, fd: i32, addr: u64, len: usize, off: i64) -> SysResult<usize> {
        let rc = self.with_transfer_ptr(addr, len, |p, n| {
            // SAFETY: as in host_read.
            unsafe { libc::pread(fd, p as *mut libc::c_void, n, off) }
        })?;
        host_result(rc)
    }

    /// pwrite(2) from guest memory.
    pub(crate) fn host_pwrite(&self, fd: i32, addr: u64, len: usize, off: i64) -> SysResult<usize> {
        let rc = self.with_transfer_ptr(addr, len, |p, n| {
            // SAFETY: [p, p+n) is checked guest memory; the host only reads it.
            unsafe { libc::pwrite(fd, p as *const libc::c_void, n, off) }
        })?;
        host_result(rc)
    }

    /// write(2) to a host fd straight from guest memory.
    #[inline]
    pub(crate) fn host_write(&self, fd: i32, addr: u64, len: usize, interruptible: bool) -> SysResult<usize> {
        self.with_transfer_ptr(addr, len, |p, n| {
            // SAFETY: [p, p+n) is checked guest memory; the host only reads it.
            unsafe { raw_syscall(libc::SYS_write, [fd as u64, p as u64, n as u64, 0, 0, 0], interruptible) }
        })?
    }

    /// writev(2)/readv(2) with every iovec pointing into checked guest memory.
    /// With `offset`, preadv/pwritev at that offset.
    pub(crate) fn host_rwv(
        &self,
        fd: i32,
        iov: &[(u64, u64)],
        write: bool,
        offset: Option<i64>,
        interruptible: bool,
    ) -> SysResult<usize> {
        let (nr, off) = match (write, offset) {
            (true, None) => (libc::SYS_writev, 0),
            (false, None) => (libc::SYS_readv, 0),
            (true, Some(off)) => (libc::SYS_pwritev, off),
            (false, Some(off)) => (libc::SYS_preadv, off),
        };
        self.with_host_iovecs(iov, |host_iov| {
            let (ptr, cnt) = (host_iov.as_ptr(), host_iov.len() as i32);
            // SAFETY: every iovec covers checked guest memory that stays
            // mapped for the call.
            unsafe { raw_syscall(nr, [fd as u64, ptr as u64, cnt as u64, off as u64, 0, 0], interruptible) }
        })?
    }

    /// Runs `f` with host iovecs for guest buffers, keeping the guest
    /// memory they point to alive for the call. Like Linux, the transfer
    /// goes up to the first bad buffer; only a bad first buffer is EFAULT
    /// (and a buffer `access_ok` refuses, before anything).
    fn with_host_iovecs<R>(&self, iov: &[(u64, u64)], f: impl FnOnce(&[libc::iovec]) -> R) -> SysResult<R> {
        // A few buffers inside the arena (stdio's writev, a shell's
        // readv): the arena is mapped at the guest's own addresses, so
        // each is its own host iovec, and nothing is allocated.
        const FEW: usize = 8;
        // (An empty buffer is left out wherever it points: stdio's writev
        // often starts with an empty one at NULL.)
        if iov.len() <= FEW && iov.iter().all(|&(base, len)| len == 0 || self.in_arena(base, len as usize)) {
            let mut host = [libc::iovec { iov_base: core::ptr::null_mut(), iov_len: 0 }; FEW];
            let given = iov.iter().filter(|&&(_, len)| len != 0);
            for (h, &(base, len)) in host.iter_mut().zip(given.clone()) {
                *h = libc::iovec { iov_base: base as *mut libc::c_void, iov_len: len as usize };
            }
            return Ok(f(&host[..given.count()]));
        }
        let whole;
        let mem = if iov.iter().all(|&(base, len)| self.in_arena(base, len as usize)) {
            &self.arena
        } else {
            whole = self.whole_map();
            &*whole
        };
        let mut slices = Vec::with_capacity(iov.len());
        for &(base, len) in iov {
            if len == 0 {
                continue;
            }
            // A buffer that is not guest memory but that Linux's
            // `access_ok` takes faults only when data reaches it: the host
            // gets a range that faults (`faultzone`), and answers as Linux
            // (0 at end of file, the bytes before it, or EFAULT).
            match mem.get_slice(GuestAddress(base), len as usize) {
                Ok(slice) => slices.push(Ok(slice)),
                Err(_) => slices.push(Err(super::faultzone::stand_in(base, len as usize).ok_or(Errno::EFAULT)?)),
            }
        }
        let guards: Vec<_> = slices.iter().map(|s| s.as_ref().ok().map(|s| s.ptr_guard_mut())).collect();
        let host_iov: Vec<libc::iovec> = guards
            .iter()
            .zip(&slices)
            .map(|(g, s)| match (g, s) {
                (Some(g), Ok(s)) => libc::iovec { iov_base: g.as_ptr() as *mut libc::c_void, iov_len: s.len() },
                (_, Err((p, n))) => libc::iovec { iov_base: *p as *mut libc::c_void, iov_len: *n },
                _ => libc::iovec { iov_base: core::ptr::null_mut(), iov_len: 0 },
            })
            .collect();
        Ok(f(&host_iov))
    }

    /// FUTEX_WAIT_BITSET / FUTEX_WAKE(_BITSET) on a guest word (arena
    /// addresses are host addresses, so the host kernel serves guest
    /// futexes directly). `timeout` is a host copy; waits are interruptible.
    pub(crate) fn host_futex(
        &self,
        uaddr: u64,
        op: u32,
        val: u32,
        timeout: Option<&libc::timespec>,
        bitset: u32,
    ) -> SysResult<usize> {
        self.with_mem(uaddr, 4, |m| m.get_slice(GuestAddress(uaddr), 4).map(drop)).map_err(|_| Errno::EFAULT)?;
        let t = timeout.map_or(0, |t| t as *const libc::timespec as u64);
        let args = [uaddr, op as u64, val as u64, t, 0, bitset as u64];
        // SAFETY: the futex word was checked to be guest memory (mapped for
        // the machine's life); the timeout is a live host timespec.
        unsafe { raw_syscall(libc::SYS_futex, args, true) }
    }

    /// FUTEX_WAKE(_BITSET): the address is only a key (a private wake of
    /// an unmapped word wakes nobody, as on Linux), so it is not checked.
    pub(crate) fn host_futex_wake(&self, uaddr: u64, op: u32, val: u32, bitset: u32) -> SysResult<usize> {
        let args = [uaddr, op as u64, val as u64, 0, 0, bitset as u64];
        // SAFETY: FUTEX_WAKE never dereferences the address in user space;
        // the host kernel validates it.
        unsafe { raw_syscall(libc::SYS_futex, args, false) }
    }

    /// futex(2) operations whose fourth argument is a count (val2):
    /// REQUEUE, CMP_REQUEUE, WAKE_OP. Both words must be guest memory.
    pub(crate) fn host_futex_val2(
        &self,
        uaddr: u64,
        op: u32,
        val: u32,
        val2: u32,
        uaddr2: u64,
        val3: u32,
    ) -> SysResult<usize> {
        for a in [uaddr, uaddr2] {
            self.with_mem(a, 4, |m| m.get_slice(GuestAddress(a), 4).map(drop)).map_err(|_| Errno::EFAULT)?;
        }
        let args = [uaddr, op as u64, val as u64, val2 as u64, uaddr2, val3 as u64];
        // SAFETY: both futex words were checked to be guest memory.
        unsafe { raw_syscall(libc::SYS_futex, args, false) }
    }

    /// getrandom(2) into guest memory.
    pub(crate) fn host_getrandom(&self, addr: u64, len: usize, flags: u32) -> SysResult<usize> {
        let rc = self.with_kernel_ptr(addr, len, |p, n| {
            // SAFETY: [p, p+n) is checked guest memory.
            unsafe { libc::getrandom(p as *mut libc::c_void, n, flags) }
        })?;
        host_result(rc)
    }

    /// Fills guest memory with zeros.
    pub(crate) fn zero(&self, addr: u64, len: usize) -> SysResult<()> {
        self.with_host_ptr_mut(addr, len, |p, n| {
            // SAFETY: [p, p+n) is checked guest memory.
            unsafe { core::ptr::write_bytes(p, 0, n) }
        })
    }

    /// Replaces the two code bytes at `addr` with `new` if they still are
    /// `old`, in one atomic store, so that another thread executing them
    /// sees either instruction whole. Returns false (and changes nothing)
    /// when the bytes differ or straddle an 8-byte boundary.
    pub(crate) fn patch_code_u16(&self, addr: u64, old: [u8; 2], new: [u8; 2]) -> SysResult<bool> {
        let (word, byte) = (addr & !7, addr & 7);
        if byte > 6 {
            return Ok(false);
        }
        let shift = byte << 3;
        self.forced(word, 8, || self.patch_u16_at(word, shift, old, new))?
    }

    /// `patch_code_u16`'s store, in the aligned word at `word`.
    fn patch_u16_at(&self, word: u64, shift: u64, old: [u8; 2], new: [u8; 2]) -> SysResult<bool> {
        self.with_host_ptr(word, 8, |p, _| {
            // SAFETY: [p, p+8) is checked, 8-byte aligned guest memory
            // (guest address == host address), valid for an AtomicU64.
            let cell = unsafe { &*(p as *const core::sync::atomic::AtomicU64) };
            let mask = 0xffffu64 << shift;
            let want = (u16::from_le_bytes(old) as u64) << shift;
            let put = (u16::from_le_bytes(new) as u64) << shift;
            let mut cur = cell.load(core::sync::atomic::Ordering::Acquire);
            loop {
                if cur & mask != want {
                    return false;
                }
                match cell.compare_exchange_weak(
                    cur,
                    (cur & !mask) | put,
                    core::sync::atomic::Ordering::AcqRel,
                    core::sync::atomic::Ordering::Acquire,
                ) {
                    Ok(_) => return true,
                    Err(now) => cur = now,
                }
            }
        })
    }

    /// Runs `f` on the aligned guest u32 at `addr` as an atomic (a futex
    /// word other guest threads change with their own atomics): EINVAL
    /// for an unaligned address, EFAULT where no guest memory is.
    fn with_atomic_u32<R>(&self, addr: u64, write: bool, f: impl FnOnce(&AtomicU32) -> R) -> SysResult<R> {
        if addr & 3 != 0 {
            return Err(Errno::EINVAL);
        }
        if write {
            self.writable(addr, 4)?;
        }
        self.with_host_ptr(addr, 4, |p, _| {
            // SAFETY: [p, p+4) is checked, 4-byte aligned guest memory
            // (guest address == host address), mapped for the machine's
            // life: valid for an AtomicU32, which it is only used as.
            f(unsafe { &*(p as *const AtomicU32) })
        })
    }

    /// An atomic load of a guest futex word.
    pub(crate) fn load_u32(&self, addr: u64) -> SysResult<u32> {
        self.with_atomic_u32(addr, false, |w| w.load(Ordering::SeqCst))
    }

    /// Compare-and-exchange on a guest futex word: stores `new` if the
    /// word holds `old`; returns the value found (`old` when it stored).
    pub(crate) fn cmpxchg_u32(&self, addr: u64, old: u32, new: u32) -> SysResult<u32> {
        self.with_atomic_u32(addr, true, |w| match w.compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        })
    }

    /// Copies within guest memory (ranges may overlap).
    pub(crate) fn copy_within(&self, src: u64, dst: u64, len: usize) -> SysResult<()> {
        self.unguarded(src, len)?;
        self.writable(dst, len)?;
        let whole;
        let mem = if self.in_arena(src, len) && self.in_arena(dst, len) {
            &self.arena
        } else {
            whole = self.whole_map();
            &*whole
        };
        let s = mem.get_slice(GuestAddress(src), len).map_err(|_| Errno::EFAULT)?;
        let d = mem.get_slice(GuestAddress(dst), len).map_err(|_| Errno::EFAULT)?;
        let (sp, dp) = (s.ptr_guard(), d.ptr_guard_mut());
        // SAFETY: both ranges are checked guest memory of `len` bytes.
        unsafe { core::ptr::copy(sp.as_ptr(), dp.as_ptr(), len) };
        Ok(())
    }
}

/// Signal frames (`arch::sigframe`) are built and read through this.
impl sigframe::UserBytes for UserMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> SysResult<()> {
        UserMemory::read(self, addr, buf)
    }

    fn write(&self, addr: u64, buf: &[u8]) -> SysResult<()> {
        UserMemory::write(self, addr, buf)
    }
}

/// Buffers up to this size are copied out by `copy_out`'s own stores.
const COPY_OUT_INLINE: usize = 512;

/// Copies `src` to guest memory at `dst`. Small copies (a `struct stat`,
/// a `timespec`) go 16 bytes at a time (one SSE load and store each; xmm
/// registers are the guest's saved ones on the syscall path): a `memcpy`
/// call is musl's `rep movsq`, whose start-up costs more than such a copy
/// (`perf`: ~10 ns per `stat` here), and a word loop is ~130 instructions
/// for a `struct stat` (callgrind, BENCHMARKS.md round 5).
///
/// # Safety
/// [dst, dst + src.len()) must be writable guest memory.
#[inline(always)]
unsafe fn copy_out(dst: *mut u8, src: &[u8]) {
    if src.len() > COPY_OUT_INLINE {
        // SAFETY: as the caller guarantees; guest memory never overlaps a
        // host buffer.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
        return;
    }
    use core::arch::x86_64::{_mm_loadu_si128, _mm_storeu_si128};
    let mut at = dst;
    let mut chunks = src.chunks_exact(16);
    for c in &mut chunks {
        // SAFETY: `c` has 16 bytes and [at, at+16) is within the
        // destination; unaligned SSE moves (SSE2 is x86-64's baseline),
        // one load and one store, never a `memcpy` call.
        unsafe {
            _mm_storeu_si128(at.cast(), _mm_loadu_si128(c.as_ptr().cast()));
            at = at.add(16);
        }
    }
    let mut words = chunks.remainder().chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        // SAFETY: [at, at+8) is within the destination; volatile, as
        // above; [u8; 8] has no alignment to keep.
        unsafe {
            at.cast::<[u8; 8]>().write_volatile(b);
            at = at.add(8);
        }
    }
    for &b in words.remainder() {
        // SAFETY: as above, one byte.
        unsafe {
            at.write_volatile(b);
            at = at.add(1);
        }
    }
}

/// A raw host syscall (`arch::host::call`), through the interruptible
/// stub when asked.
///
/// # Safety
/// As for `syscall(2)`: the arguments must be valid for `nr`.
#[inline(always)]
unsafe fn raw_syscall(nr: i64, a: [u64; 6], interruptible: bool) -> SysResult<usize> {
    let rc = if interruptible {
        // SAFETY: forwarded from the caller.
        unsafe { raw_interruptible(nr, a) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { host::raw(nr, a) }
    };
    if rc < 0 {
        return Err(Errno(rc.wrapping_neg() as i32));
    }
    Ok(rc as usize)
}

/// The interruptible host call, out of line: the uninterruptible one (every
/// read and write of a file) is one instruction in its caller's frame.
///
/// # Safety
/// As for `raw_syscall`.
#[inline(never)]
unsafe fn raw_interruptible(nr: i64, a: [u64; 6]) -> i64 {
    // SAFETY: forwarded from the caller.
    unsafe { host::raw_waiting(nr, a, host::Wait::Interruptible) }
}

/// A libc-style result (-1 and errno) as a SysResult.
fn host_result(rc: isize) -> SysResult<usize> {
    if rc < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(rc as usize)
    }
}
