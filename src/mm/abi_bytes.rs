//! vm-memory's `ByteValued` for the ABI structures, so that guest memory
//! is read and written as those types (`UserMemory::read_val`/`write_val`).

use crate::abi::socket::{Cmsghdr, Mmsghdr, Msghdr, Ucred};
use crate::abi::types::{Iovec, Itimerval, KernelSigaction, Rusage, Stat, Statx, StatxTimestamp, Timespec, Timeval};
use vm_memory::ByteValued;

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

use crate::abi::ipc::{Ipc64Perm, Msginfo, Msqid64Ds, Sembuf, Semid64Ds, Seminfo, ShmInfo, Shmid64Ds, Shminfo64};

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
