//! System V IPC (<linux/ipc.h>, <linux/msg.h>, <linux/sem.h>,
//! <linux/shm.h>, and the x86-64 `*64_ds` structures of <asm/msgbuf.h>,
//! <asm/sembuf.h>, <asm/shmbuf.h>) and memfd_create's flags
//! (<linux/memfd.h>), with Linux's default limits (the `kernel.msg*`,
//! `kernel.sem` and `kernel.shm*` sysctls of a fresh boot).
//!
//! Flags and commands are `int`s in C and `i32` here.

/// The key that always makes a new object.
pub const IPC_PRIVATE: i32 = 0;
/// `*get` flags.
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;

/// `*ctl` commands every kind has.
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;

/// msgctl commands.
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;
/// msgrcv flags.
pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;

/// semctl commands.
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;
/// sembuf.sem_flg.
pub const SEM_UNDO: i16 = 0x1000;

/// shmctl commands.
pub const SHM_LOCK: i32 = 11;
pub const SHM_UNLOCK: i32 = 12;
pub const SHM_STAT: i32 = 13;
pub const SHM_INFO: i32 = 14;
pub const SHM_STAT_ANY: i32 = 15;
/// shmat flags.
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_REMAP: i32 = 0o40000;
pub const SHM_EXEC: i32 = 0o100000;
/// Mode bits of a segment: marked for removal, locked in memory.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;
/// shmat's address alignment (a page on x86).
pub const SHMLBA: u64 = 4096;

/// Limits (Linux's defaults).
pub const MSGMNI: u32 = 32000;
pub const MSGMAX: u32 = 8192;
pub const MSGMNB: u32 = 16384;
pub const MSGPOOL: i32 = MSGMNI as i32 * (MSGMNB as i32 / 1024);
pub const MSGTQL: i32 = MSGMNB as i32;
pub const MSGMAP: i32 = MSGMNB as i32;
pub const MSGSSZ: i32 = 16;
pub const MSGSEG: u16 = 0xffff;
pub const SEMMNI: u32 = 32000;
pub const SEMMSL: u32 = 32000;
pub const SEMMNS: u32 = SEMMNI * SEMMSL;
pub const SEMOPM: u32 = 500;
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
pub const SEMUME: i32 = SEMOPM as i32;
pub const SEMUSZ: i32 = 20;
pub const SHMMNI: u32 = 4096;
pub const SHMMIN: u64 = 1;
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// In pages.
pub const SHMALL: u64 = u64::MAX - (1 << 24);
/// Objects of one kind, at most (indices below it).
pub const IPCMNI: u32 = 32768;
/// An id is `seq << IPCMNI_SHIFT | index`.
pub const IPCMNI_SHIFT: u32 = 15;

/// memfd_create flags.
pub const MFD_CLOEXEC: u32 = 0x1;
pub const MFD_ALLOW_SEALING: u32 = 0x2;
pub const MFD_HUGETLB: u32 = 0x4;
pub const MFD_NOEXEC_SEAL: u32 = 0x8;
pub const MFD_EXEC: u32 = 0x10;
pub const MFD_ALL_FLAGS: u32 = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
/// With MFD_HUGETLB, a huge page size may be encoded here.
pub const MFD_HUGE_MASK: u32 = 0x3f;
pub const MFD_HUGE_SHIFT: u32 = 26;
/// A memfd's name, without the "memfd:" prefix, at most (NAME_MAX - 6).
pub const MFD_NAME_MAX_LEN: usize = 249;

/// `struct ipc64_perm`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub __pad2: u16,
    pub __pad3: u32,
    pub __unused1: u64,
    pub __unused2: u64,
}

/// `struct msqid64_ds`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msqid64Ds {
    pub msg_perm: Ipc64Perm,
    pub msg_stime: i64,
    pub msg_rtime: i64,
    pub msg_ctime: i64,
    pub msg_cbytes: u64,
    pub msg_qnum: u64,
    pub msg_qbytes: u64,
    pub msg_lspid: i32,
    pub msg_lrpid: i32,
    pub __unused4: u64,
    pub __unused5: u64,
}

/// `struct semid64_ds` (x86-64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Semid64Ds {
    pub sem_perm: Ipc64Perm,
    pub sem_otime: i64,
    pub __unused1: u64,
    pub sem_ctime: i64,
    pub __unused2: u64,
    pub sem_nsems: u64,
    pub __unused3: u64,
    pub __unused4: u64,
}

/// `struct shmid64_ds`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shmid64Ds {
    pub shm_perm: Ipc64Perm,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub __unused4: u64,
    pub __unused5: u64,
}

/// `struct sembuf`: one operation of semop.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sembuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}

/// `struct msginfo` (msgctl IPC_INFO, MSG_INFO).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msginfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
    pub __pad: u16,
}

/// `struct seminfo` (semctl IPC_INFO, SEM_INFO).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seminfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}

/// `struct shminfo64` (shmctl IPC_INFO).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shminfo64 {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub __unused: [u64; 4],
}

/// `struct shm_info` (shmctl SHM_INFO).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShmInfo {
    pub used_ids: i32,
    pub __pad: u32,
    pub shm_tot: u64,
    pub shm_rss: u64,
    pub shm_swp: u64,
    pub swap_attempts: u64,
    pub swap_successes: u64,
}

const _: () = {
    assert!(std::mem::size_of::<Ipc64Perm>() == 48);
    assert!(std::mem::offset_of!(Ipc64Perm, seq) == 24);
    assert!(std::mem::size_of::<Msqid64Ds>() == 120);
    assert!(std::mem::offset_of!(Msqid64Ds, msg_qbytes) == 88);
    assert!(std::mem::offset_of!(Msqid64Ds, msg_lspid) == 96);
    assert!(std::mem::size_of::<Semid64Ds>() == 104);
    assert!(std::mem::offset_of!(Semid64Ds, sem_nsems) == 80);
    assert!(std::mem::size_of::<Shmid64Ds>() == 112);
    assert!(std::mem::offset_of!(Shmid64Ds, shm_cpid) == 80);
    assert!(std::mem::offset_of!(Shmid64Ds, shm_nattch) == 88);
    assert!(std::mem::size_of::<Sembuf>() == 6);
    assert!(std::mem::size_of::<Msginfo>() == 32);
    assert!(std::mem::size_of::<Seminfo>() == 40);
    assert!(std::mem::size_of::<Shminfo64>() == 72);
    assert!(std::mem::size_of::<ShmInfo>() == 48);
};
