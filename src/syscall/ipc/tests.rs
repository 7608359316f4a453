// Argument errors through the table, as a guest meets them (each checked
// against a native run: guest-tests/src/ipc_*.c and memfd.c). Nothing here
// waits: every wait is IPC_NOWAIT or a zero timeout.

use crate::abi::ipc::*;
use crate::errno::Errno;
use crate::syscall::testkit::TestMachine;

const SHMGET: u64 = crate::abi::names::number("shmget");
const SHMAT: u64 = crate::abi::names::number("shmat");
const SHMCTL: u64 = crate::abi::names::number("shmctl");
const SEMGET: u64 = crate::abi::names::number("semget");
const SEMOP: u64 = crate::abi::names::number("semop");
const SEMCTL: u64 = crate::abi::names::number("semctl");
const SHMDT: u64 = crate::abi::names::number("shmdt");
const MSGGET: u64 = crate::abi::names::number("msgget");
const MSGSND: u64 = crate::abi::names::number("msgsnd");
const MSGRCV: u64 = crate::abi::names::number("msgrcv");
const MSGCTL: u64 = crate::abi::names::number("msgctl");
const SEMTIMEDOP: u64 = crate::abi::names::number("semtimedop");
const MEMFD_CREATE: u64 = crate::abi::names::number("memfd_create");
const FCNTL: u64 = crate::abi::names::number("fcntl");

/// An int argument as its register holds it (sign-extended).
fn int(v: i32) -> u64 {
    v as i64 as u64
}

/// A msgbuf (type, then text) at `offset` of the scratch memory.
fn msgbuf(t: &TestMachine, offset: u64, mtype: i64, text: &[u8]) -> u64 {
    t.put(offset, &[&mtype.to_le_bytes()[..], text].concat())
}

#[test]
fn msg_argument_errors() {
    let mut t = TestMachine::new();
    let bad = t.bad_ptr();
    let q = t.value(MSGGET, &[0, 0o600]).unwrap();
    assert_eq!(t.errno(MSGGET, &[1234, 0]), Errno::ENOENT);
    let k = t.value(MSGGET, &[1234, int(IPC_CREAT | 0o640)]).unwrap();
    assert_ne!(q, k);
    assert_eq!(t.value(MSGGET, &[1234, 0]), Ok(k));
    assert_eq!(t.errno(MSGGET, &[1234, int(IPC_CREAT | IPC_EXCL)]), Errno::EEXIST);

    let m = msgbuf(&t, 0, 5, b"hello");
    // The type is read first, then the size, id and type are checked.
    assert_eq!(t.errno(MSGSND, &[int(-1), bad, 5, 0]), Errno::EFAULT);
    assert_eq!(t.errno(MSGSND, &[q, m, u64::from(MSGMAX) + 1, 0]), Errno::EINVAL);
    assert_eq!(t.errno(MSGSND, &[int(-1), m, 5, 0]), Errno::EINVAL);
    assert_eq!(t.errno(MSGSND, &[12345, m, 5, 0]), Errno::EINVAL);
    let zero = msgbuf(&t, 0x100, 0, b"x");
    assert_eq!(t.errno(MSGSND, &[q, zero, 1, 0]), Errno::EINVAL);
    assert_eq!(t.value(MSGSND, &[q, m, 5, 0]), Ok(0));

    let out = t.scratch + 0x200;
    assert_eq!(t.errno(MSGRCV, &[q, out, u64::MAX, 0, 0]), Errno::EINVAL, "a negative size");
    assert_eq!(t.errno(MSGRCV, &[int(-1), out, 16, 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(MSGRCV, &[q, out, 16, 9, int(IPC_NOWAIT)]), Errno::ENOMSG);
    assert_eq!(t.errno(MSGRCV, &[q, out, 4, 0, 0]), Errno::E2BIG);
    assert_eq!(t.errno(MSGRCV, &[q, out, 16, 0, int(MSG_COPY)]), Errno::EINVAL);
    assert_eq!(t.errno(MSGRCV, &[q, out, 16, 0, int(MSG_COPY | MSG_EXCEPT | IPC_NOWAIT)]), Errno::EINVAL);
    assert_eq!(t.errno(MSGRCV, &[q, bad, 16, 0, int(MSG_COPY | IPC_NOWAIT)]), Errno::EFAULT);
    assert_eq!(t.errno(MSGRCV, &[q, out, 16, 1, int(MSG_COPY | IPC_NOWAIT)]), Errno::ENOMSG);
    assert_eq!(t.value(MSGRCV, &[q, out, 16, 0, int(MSG_COPY | IPC_NOWAIT)]), Ok(5));
    assert_eq!(t.errno(MSGRCV, &[q, out, 16, 5, int(MSG_EXCEPT | IPC_NOWAIT)]), Errno::ENOMSG);
    assert_eq!(t.value(MSGRCV, &[q, out, 3, int(-5), int(MSG_NOERROR)]), Ok(3));
    let mut got = [0u8; 11];
    t.m.mem.user.read(out, &mut got).unwrap();
    assert_eq!(&got, b"\x05\0\0\0\0\0\0\0hel");

    // A queue of 4 bytes: a fifth does not fit.
    let ds = t.scratch + 0x400;
    assert_eq!(t.value(MSGCTL, &[q, int(IPC_STAT), ds]), Ok(0));
    let qbytes_at = ds + std::mem::offset_of!(Msqid64Ds, msg_qbytes) as u64;
    assert_eq!(t.m.mem.user.read_val::<u64>(qbytes_at), Ok(u64::from(MSGMNB)));
    t.m.mem.user.write_val(qbytes_at, 4u64).unwrap();
    assert_eq!(t.value(MSGCTL, &[q, int(IPC_SET), ds]), Ok(0));
    assert_eq!(t.errno(MSGSND, &[q, m, 5, int(IPC_NOWAIT)]), Errno::EAGAIN);
    assert_eq!(t.value(MSGSND, &[q, m, 4, int(IPC_NOWAIT)]), Ok(0));

    assert_eq!(t.errno(MSGCTL, &[q, int(-1), ds]), Errno::EINVAL);
    assert_eq!(t.errno(MSGCTL, &[q, 99, ds]), Errno::EINVAL);
    assert_eq!(t.errno(MSGCTL, &[q, int(IPC_STAT), bad]), Errno::EFAULT);
    assert_eq!(t.errno(MSGCTL, &[12345, int(IPC_SET), bad]), Errno::EFAULT, "the buffer is read first");
    let uid_at = ds + std::mem::offset_of!(Ipc64Perm, uid) as u64;
    t.m.mem.user.write_val(uid_at, u32::MAX).unwrap();
    assert_eq!(t.errno(MSGCTL, &[q, int(IPC_SET), ds]), Errno::EINVAL);
    // IPC_INFO returns the highest index in use; MSG_STAT takes an index.
    assert_eq!(t.value(MSGCTL, &[0, int(IPC_INFO), ds]), Ok(1));
    assert_eq!(t.value(MSGCTL, &[1, int(MSG_STAT), ds]), Ok(k));
    assert_eq!(t.errno(MSGCTL, &[2, int(MSG_STAT), ds]), Errno::EINVAL);
    assert_eq!(t.value(MSGCTL, &[q, int(IPC_RMID), 0]), Ok(0));
    assert_eq!(t.errno(MSGCTL, &[q, int(IPC_RMID), 0]), Errno::EINVAL);
    assert_eq!(t.errno(MSGSND, &[q, m, 1, 0]), Errno::EINVAL);
    assert_eq!(t.value(MSGCTL, &[k, int(IPC_RMID), 0]), Ok(0));
    assert_eq!(t.value(MSGCTL, &[0, int(MSG_INFO), ds]), Ok(0));
}

/// `struct sembuf`s at `offset` of the scratch memory.
fn sembufs(t: &TestMachine, offset: u64, ops: &[(u16, i16, i16)]) -> u64 {
    let bytes: Vec<u8> =
        ops.iter().flat_map(|&(n, op, flg)| [n.to_le_bytes(), op.to_le_bytes(), flg.to_le_bytes()].concat()).collect();
    t.put(offset, &bytes)
}

#[test]
fn sem_argument_errors() {
    let mut t = TestMachine::new();
    let bad = t.bad_ptr();
    assert_eq!(t.errno(SEMGET, &[0, int(-1), 0o600]), Errno::EINVAL);
    assert_eq!(t.errno(SEMGET, &[0, u64::from(SEMMSL) + 1, 0o600]), Errno::EINVAL);
    assert_eq!(t.errno(SEMGET, &[0, 0, 0o600]), Errno::EINVAL);
    let s = t.value(SEMGET, &[0, 2, 0o600]).unwrap();
    let k = t.value(SEMGET, &[77, 3, int(IPC_CREAT | 0o600)]).unwrap();
    assert_eq!(t.value(SEMGET, &[77, 0, 0]), Ok(k), "0 semaphores: any existing array");
    assert_eq!(t.errno(SEMGET, &[77, 4, 0]), Errno::EINVAL, "more than it has");

    let up = sembufs(&t, 0, &[(0, 1, 0)]);
    assert_eq!(t.errno(SEMOP, &[s, up, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SEMOP, &[s, up, u64::from(SEMOPM) + 1]), Errno::E2BIG);
    assert_eq!(t.errno(SEMOP, &[s, bad, 1]), Errno::EFAULT);
    assert_eq!(t.errno(SEMOP, &[int(-1), up, 1]), Errno::EINVAL);
    assert_eq!(t.errno(SEMOP, &[12345, up, 1]), Errno::EINVAL);
    let far = sembufs(&t, 0x10, &[(2, 1, 0)]);
    assert_eq!(t.errno(SEMOP, &[s, far, 1]), Errno::EFBIG);
    let down = sembufs(&t, 0x20, &[(1, -1, IPC_NOWAIT as i16)]);
    assert_eq!(t.errno(SEMOP, &[s, down, 1]), Errno::EAGAIN);
    assert_eq!(t.value(SEMOP, &[s, up, 1]), Ok(0));
    let big = sembufs(&t, 0x30, &[(0, i16::MAX, 0)]);
    assert_eq!(t.errno(SEMOP, &[s, big, 1]), Errno::ERANGE);

    // semtimedop: the timeout is read first and checked after the ops.
    let ts =
        |t: &TestMachine, off: u64, sec: i64, nsec: i64| t.put(off, &[sec.to_le_bytes(), nsec.to_le_bytes()].concat());
    let late = ts(&t, 0x40, 0, 1_000_000_000);
    let now = ts(&t, 0x50, 0, 0);
    let wait = sembufs(&t, 0x60, &[(1, -1, 0)]);
    assert_eq!(t.errno(SEMTIMEDOP, &[s, wait, 1, bad]), Errno::EFAULT);
    assert_eq!(t.errno(SEMTIMEDOP, &[s, wait, 0, late]), Errno::EINVAL);
    assert_eq!(t.errno(SEMTIMEDOP, &[s, bad, 1, late]), Errno::EFAULT);
    assert_eq!(t.errno(SEMTIMEDOP, &[s, wait, 1, late]), Errno::EINVAL);
    assert_eq!(t.errno(SEMTIMEDOP, &[s, wait, 1, now]), Errno::EAGAIN);

    // semctl.
    assert_eq!(t.errno(SEMCTL, &[int(-1), 0, int(GETVAL), 0]), Errno::EINVAL);
    assert_eq!(t.errno(SEMCTL, &[s, 0, 99, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SEMCTL, &[12345, 0, int(SETVAL), int(-1)]), Errno::ERANGE, "the value first");
    assert_eq!(t.errno(SEMCTL, &[s, 0, int(SETVAL), (SEMVMX + 1) as u64]), Errno::ERANGE);
    assert_eq!(t.errno(SEMCTL, &[s, 2, int(SETVAL), 1]), Errno::EINVAL);
    assert_eq!(t.errno(SEMCTL, &[s, int(-1), int(GETVAL), 0]), Errno::EINVAL);
    assert_eq!(t.value(SEMCTL, &[s, 1, int(SETVAL), 1 << 32 | 7]), Ok(0), "an int");
    assert_eq!(t.value(SEMCTL, &[s, 1, int(GETVAL), 0]), Ok(7));
    assert_eq!(t.value(SEMCTL, &[s, 1, int(GETPID), 0]), Ok(1));
    assert_eq!(t.value(SEMCTL, &[s, 1, int(GETNCNT), 0]), Ok(0));
    assert_eq!(t.errno(SEMCTL, &[s, 0, int(GETALL), bad]), Errno::EFAULT);
    assert_eq!(t.errno(SEMCTL, &[s, 0, int(SETALL), bad]), Errno::EFAULT);
    let vals = t.put(0x70, &[3u16.to_le_bytes(), 40000u16.to_le_bytes()].concat());
    assert_eq!(t.errno(SEMCTL, &[s, 0, int(SETALL), vals]), Errno::ERANGE);
    let vals = t.put(0x70, &[3u16.to_le_bytes(), 4u16.to_le_bytes()].concat());
    assert_eq!(t.value(SEMCTL, &[s, 0, int(SETALL), vals]), Ok(0));
    let all = t.scratch + 0x80;
    assert_eq!(t.value(SEMCTL, &[s, 0, int(GETALL), all]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<u32>(all), Ok(3 | 4 << 16));
    let ds = t.scratch + 0x100;
    assert_eq!(t.errno(SEMCTL, &[s, 0, int(IPC_STAT), bad]), Errno::EFAULT);
    assert_eq!(t.value(SEMCTL, &[s, 0, int(IPC_STAT), ds]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<Semid64Ds>(ds).map(|d| d.sem_nsems), Ok(2));
    assert_eq!(t.value(SEMCTL, &[0, 0, int(SEM_STAT), ds]), Ok(s));
    assert_eq!(t.value(SEMCTL, &[0, 0, int(SEM_INFO), ds]), Ok(1));
    assert_eq!(t.m.mem.user.read_val::<Seminfo>(ds).map(|i| (i.semusz, i.semaem)), Ok((2, 5)));
    assert_eq!(t.value(SEMCTL, &[s, 0, int(IPC_RMID), 0]), Ok(0));
    assert_eq!(t.errno(SEMOP, &[s, up, 1]), Errno::EINVAL);
    assert_eq!(t.value(SEMCTL, &[k, 0, int(IPC_RMID), 0]), Ok(0));
}

#[test]
fn shm_argument_errors() {
    let mut t = TestMachine::new();
    let bad = t.bad_ptr();
    assert_eq!(t.errno(SHMGET, &[0, 0, 0o600]), Errno::EINVAL);
    assert_eq!(t.errno(SHMGET, &[0, u64::MAX, 0o600]), Errno::EINVAL);
    assert_eq!(t.errno(SHMGET, &[55, 100, 0o600]), Errno::ENOENT);
    let s = t.value(SHMGET, &[55, 100, int(IPC_CREAT | 0o600)]).unwrap();
    assert_eq!(t.errno(SHMGET, &[55, 4096, 0]), Errno::EINVAL, "bigger than it is");
    assert_eq!(t.value(SHMGET, &[55, 0, 0]), Ok(s));

    assert_eq!(t.errno(SHMAT, &[int(-1), 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SHMAT, &[12345, 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SHMAT, &[s, 0, int(SHM_REMAP)]), Errno::EINVAL);
    let a = t.value(SHMAT, &[s, 0, 0]).unwrap();
    assert_eq!(a % 4096, 0);
    assert_eq!(t.errno(SHMAT, &[s, a + 1, 0]), Errno::EINVAL, "unaligned");
    assert_eq!(t.value(SHMAT, &[s, a + 1, int(SHM_RND | SHM_RDONLY)]), Ok(a), "rounded down");
    assert_eq!(t.errno(SHMAT, &[s, a + 4096, 0]), Errno::EINVAL, "the segment is where it is");
    assert_eq!(t.value(SHMAT, &[s, a, 0]), Ok(a));

    // Three attachments; removal waits for the last.
    let ds = t.scratch;
    assert_eq!(t.value(SHMCTL, &[s, int(IPC_STAT), ds]), Ok(0));
    let st: Shmid64Ds = t.m.mem.user.read_val(ds).unwrap();
    assert_eq!((st.shm_segsz, st.shm_nattch, st.shm_perm.key), (100, 3, 55));
    assert_eq!(t.value(SHMCTL, &[s, int(IPC_RMID), 0]), Ok(0));
    assert_eq!(t.errno(SHMGET, &[55, 100, 0]), Errno::ENOENT, "its key is gone");
    assert_eq!(t.value(SHMCTL, &[s, int(IPC_STAT), ds]), Ok(0));
    let st: Shmid64Ds = t.m.mem.user.read_val(ds).unwrap();
    assert_eq!((st.shm_perm.mode, st.shm_perm.key), (0o600 | SHM_DEST, 0));
    assert_eq!(t.errno(SHMDT, &[a + 1]), Errno::EINVAL);
    assert_eq!(t.errno(SHMDT, &[a + 4096]), Errno::EINVAL);
    let free = t.m.mem.stats().mem_free;
    for _ in 0..3 {
        assert_eq!(t.value(SHMDT, &[a]), Ok(0));
    }
    assert_eq!(t.errno(SHMDT, &[a]), Errno::EINVAL);
    assert_eq!(t.errno(SHMCTL, &[s, int(IPC_STAT), ds]), Errno::EINVAL, "gone at the last detach");
    assert_eq!(t.m.mem.stats().mem_free, free + 4096, "its page went back to the arena");

    assert_eq!(t.errno(SHMCTL, &[0, int(-1), ds]), Errno::EINVAL);
    assert_eq!(t.errno(SHMCTL, &[int(-1), int(IPC_STAT), ds]), Errno::EINVAL);
    assert_eq!(t.errno(SHMCTL, &[0, 99, ds]), Errno::EINVAL);
    let p = t.value(SHMGET, &[0, 8192, 0o600]).unwrap();
    assert_eq!(t.errno(SHMCTL, &[p, int(IPC_STAT), bad]), Errno::EFAULT);
    assert_eq!(t.errno(SHMCTL, &[12345, int(IPC_SET), bad]), Errno::EFAULT);
    assert_eq!(t.value(SHMCTL, &[0, int(SHM_INFO), ds]), Ok(crate::kernel::ipc::index_of(p as i32).into()));
    assert_eq!(t.m.mem.user.read_val::<ShmInfo>(ds).map(|i| (i.used_ids, i.shm_tot)), Ok((1, 2)));
    assert_eq!(t.value(SHMCTL, &[p, int(SHM_LOCK), 0]), Ok(0));
    assert_eq!(t.value(SHMCTL, &[p, int(IPC_STAT), ds]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<Shmid64Ds>(ds).map(|d| d.shm_perm.mode), Ok(0o600 | SHM_LOCKED));
    assert_eq!(t.value(SHMCTL, &[p, int(IPC_RMID), 0]), Ok(0), "nothing attached: gone at once");
    assert_eq!(t.errno(SHMCTL, &[p, int(IPC_STAT), ds]), Errno::EINVAL);
}

#[test]
fn memfd_argument_errors() {
    let mut t = TestMachine::new();
    let bad = t.bad_ptr();
    let name = t.cstr(0, "nommu-test");
    assert_eq!(t.errno(MEMFD_CREATE, &[name, 0x100]), Errno::EINVAL);
    assert_eq!(t.errno(MEMFD_CREATE, &[name, u64::from(MFD_EXEC | MFD_NOEXEC_SEAL)]), Errno::EINVAL);
    assert_eq!(t.errno(MEMFD_CREATE, &[name, 1 << MFD_HUGE_SHIFT]), Errno::EINVAL, "a size needs MFD_HUGETLB");
    assert_eq!(t.errno(MEMFD_CREATE, &[bad, 0]), Errno::EFAULT);
    let long = t.cstr(0x100, &"x".repeat(MFD_NAME_MAX_LEN + 1));
    assert_eq!(t.errno(MEMFD_CREATE, &[long, 0]), Errno::EINVAL);
    let longest = t.cstr(0x400, &"y".repeat(MFD_NAME_MAX_LEN));
    let fd = t.value(MEMFD_CREATE, &[longest, u64::from(MFD_CLOEXEC)]).unwrap();
    assert_eq!(t.task.process.files().entry(fd as i32).map(|e| e.cloexec), Ok(true));
    let fd = t.value(MEMFD_CREATE, &[name, u64::from(MFD_ALLOW_SEALING)]).unwrap();
    let f = t.task.process.files().get(fd as i32).unwrap();
    assert_eq!(f.path.as_bytes(), b"/memfd:nommu-test (deleted)");
    // The seals are the host's: F_SEAL_SHRINK (2), then F_GET_SEALS.
    assert_eq!(t.value(FCNTL, &[fd, 1033, 2]), Ok(0));
    assert_eq!(t.value(FCNTL, &[fd, 1034, 0]), Ok(2));
}

#[test]
fn int_arguments_ignore_their_upper_half() {
    const HIGH: u64 = 1 << 32;
    let mut t = TestMachine::new();
    let q = t.value(MSGGET, &[0, HIGH | 0o600]).unwrap();
    let m = msgbuf(&t, 0, 1, b"x");
    assert_eq!(t.value(MSGSND, &[HIGH | q, m, 1, HIGH | int(IPC_NOWAIT)]), Ok(0));
    let out = t.scratch + 0x100;
    assert_eq!(t.value(MSGRCV, &[HIGH | q, out, 8, 0, HIGH | int(IPC_NOWAIT)]), Ok(1));
    assert_eq!(t.errno(MSGRCV, &[q, out, 8, 0, HIGH | int(IPC_NOWAIT)]), Errno::ENOMSG, "did not wait");
    assert_eq!(t.value(MSGCTL, &[HIGH | q, HIGH | int(IPC_RMID), 0]), Ok(0));

    let s = t.value(SEMGET, &[0, HIGH | 2, HIGH | 0o600]).unwrap();
    let up = t.put(0x200, &[1u16.to_le_bytes(), 1i16.to_le_bytes(), 0i16.to_le_bytes()].concat());
    assert_eq!(t.value(SEMOP, &[HIGH | s, up, HIGH | 1]), Ok(0));
    assert_eq!(t.value(SEMCTL, &[HIGH | s, HIGH | 1, HIGH | int(GETVAL), 0]), Ok(1));
    assert_eq!(t.value(SEMCTL, &[s, 0, int(IPC_RMID), 0]), Ok(0));

    let shm = t.value(SHMGET, &[0, 4096, HIGH | 0o600]).unwrap();
    let at = t.value(SHMAT, &[HIGH | shm, 0, HIGH]).unwrap();
    assert_eq!(t.value(SHMDT, &[at]), Ok(0));
    assert_eq!(t.value(SHMCTL, &[HIGH | shm, HIGH | int(IPC_RMID), 0]), Ok(0));
    let name = t.cstr(0x300, "x");
    assert!(t.value(MEMFD_CREATE, &[name, HIGH]).is_ok());
}
