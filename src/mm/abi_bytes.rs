//! vm-memory's `ByteValued` for the ABI structures, so that guest memory
//! is read and written as those types (`UserMemory::read_val`/`write_val`).

use crate::abi::event::{EpollEvent, Itimerspec, SignalfdSiginfo};
use crate::abi::futex::RobustListHead;
use crate::abi::ipc::{Ipc64Perm, Msginfo, Msqid64Ds, Sembuf, Semid64Ds, Seminfo, ShmInfo, Shmid64Ds, Shminfo64};
use crate::abi::mount::Statfs;
use crate::abi::poll::Pollfd;
use crate::abi::resource::Rlimit64;
use crate::abi::sched::CloneArgs;
use crate::abi::signal::{Sigaltstack, Siginfo};
use crate::abi::socket::{Cmsghdr, Mmsghdr, Msghdr, Ucred};
use crate::abi::sysinfo::Sysinfo;
use crate::abi::time::Tms;
use crate::abi::types::{Iovec, Itimerval, KernelSigaction, Rusage, Stat, Statx, StatxTimestamp, Timespec, Timeval};
use crate::abi::utsname::NewUtsname;
use crate::abi::x86::{Fpstate, FpxSwBytes, RtSigframe, Sigcontext, Ucontext, XstateHeader};
pub(crate) use vm_memory::ByteValued;

// SAFETY: each is `#[repr(C)]` with only integer fields (and arrays and
// structs of them) and no padding (sizes asserted in abi::types), so every
// byte pattern is a valid value and no byte is uninitialised.
unsafe impl ByteValued for Timespec {}
// SAFETY: as above.
unsafe impl ByteValued for Timeval {}
// SAFETY: as above.
unsafe impl ByteValued for Itimerval {}
// SAFETY: as above.
unsafe impl ByteValued for Rusage {}
// SAFETY: as above.
unsafe impl ByteValued for Stat {}
// SAFETY: as above.
unsafe impl ByteValued for Iovec {}
// SAFETY: as above.
unsafe impl ByteValued for StatxTimestamp {}
// SAFETY: as above.
unsafe impl ByteValued for Statx {}
// SAFETY: as above.
unsafe impl ByteValued for KernelSigaction {}
// SAFETY: as above.
unsafe impl ByteValued for Msghdr {}
// SAFETY: as above.
unsafe impl ByteValued for Mmsghdr {}
// SAFETY: as above.
unsafe impl ByteValued for Cmsghdr {}
// SAFETY: as above.
unsafe impl ByteValued for Ucred {}
// SAFETY: as above, sizes asserted in abi::event (EpollEvent is packed: 12
// bytes, no padding at all).
unsafe impl ByteValued for EpollEvent {}
// SAFETY: as above.
unsafe impl ByteValued for Itimerspec {}
// SAFETY: as above.
unsafe impl ByteValued for SignalfdSiginfo {}
// SAFETY: as above (its `__sifields` are kept as plain words).
unsafe impl ByteValued for Siginfo {}
// SAFETY: as above.
unsafe impl ByteValued for Sigaltstack {}
// SAFETY: as above.
unsafe impl ByteValued for FpxSwBytes {}
// SAFETY: as above.
unsafe impl ByteValued for Fpstate {}
// SAFETY: as above.
unsafe impl ByteValued for XstateHeader {}
// SAFETY: as above.
unsafe impl ByteValued for Sigcontext {}
// SAFETY: as above.
unsafe impl ByteValued for Ucontext {}
// SAFETY: as above (its siginfo as for Siginfo).
unsafe impl ByteValued for RtSigframe {}
// SAFETY: as above.
unsafe impl ByteValued for CloneArgs {}
// SAFETY: as above.
unsafe impl ByteValued for RobustListHead {}
// SAFETY: as above.
unsafe impl ByteValued for Tms {}
// SAFETY: as above.
unsafe impl ByteValued for Rlimit64 {}
// SAFETY: as above.
unsafe impl ByteValued for NewUtsname {}
// SAFETY: as above.
unsafe impl ByteValued for Sysinfo {}

// SAFETY: as above (sizes asserted in abi::ipc; the padding is explicit
// fields).
unsafe impl ByteValued for Ipc64Perm {}
// SAFETY: as above.
unsafe impl ByteValued for Msqid64Ds {}
// SAFETY: as above.
unsafe impl ByteValued for Semid64Ds {}
// SAFETY: as above.
unsafe impl ByteValued for Shmid64Ds {}
// SAFETY: as above.
unsafe impl ByteValued for Sembuf {}
// SAFETY: as above.
unsafe impl ByteValued for Msginfo {}
// SAFETY: as above.
unsafe impl ByteValued for Seminfo {}
// SAFETY: as above.
unsafe impl ByteValued for Shminfo64 {}
// SAFETY: as above.
unsafe impl ByteValued for ShmInfo {}
// SAFETY: as above (sizes asserted in abi::mount and abi::poll).
unsafe impl ByteValued for Statfs {}
// SAFETY: as above.
unsafe impl ByteValued for Pollfd {}

/// A `T` from the first `size_of::<T>()` bytes of `bytes` (a host buffer
/// of any alignment); `None` if it is shorter.
pub(crate) fn from_bytes<T: ByteValued + Default>(bytes: &[u8]) -> Option<T> {
    let mut v = T::default();
    v.as_mut_slice().copy_from_slice(bytes.get(..core::mem::size_of::<T>())?);
    Some(v)
}
