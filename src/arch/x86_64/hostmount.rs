//! Host mounts for the machine's memory file systems (tmpfs, ramfs, the
//! initramfs root): when nommu may mount (CAP_SYS_ADMIN), `boot` takes a
//! private mount namespace at start and mounts a real host tmpfs (ramfs)
//! for each guest one, so the host kernel enforces `size=` and
//! `nr_inodes=` (ENOSPC) and counts the blocks. `run` takes the namespace
//! only when first needed (`settle`: the guest's first mount, or before
//! nommu's first host thread: a namespace is a thread's, and one taken
//! with two threads would be the calling thread's alone, its mounts unseen
//! by the other): copying the host's mount table is ~13 µs of the ~0.22 ms
//! a small program's whole run takes, which most runs never need. The
//! namespace, and every mount in it, goes away with nommu.
//!
//! Two capabilities, detected and forced off like the CPU's (`caps.rs`):
//! - host mounts (`NOMMU_NO_HOST_MOUNTS=1`: no unshare, no mount);
//! - a writable host tmpfs to keep the files of memory file systems in
//!   when they are no host mounts of their own (`/dev/shm`, else
//!   `$XDG_RUNTIME_DIR`); without one (`NOMMU_NO_HOST_TMPFS=1`), the
//!   temporary directory, on disk, which `nommu caps` and the banner say.

use super::caps::{forced_off, Feature, Switch};
use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};

/// What `take_private_namespace` or `detect` found (a `Feature`).
static STATE: AtomicU8 = AtomicU8::new(NOT_TRIED);
const NOT_TRIED: u8 = 0;
const IN_FORCE: u8 = 1;
const FORCED_OFF: u8 = 2;
const ABSENT: u8 = 3;
/// Allowed, and taken when first needed (`settle`).
const DEFERRED: u8 = 4;

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// unshare(CLONE_NEWNS), then make every mount private so that mounts
/// made here never reach the host's namespace.
fn unshare_private() -> bool {
    // SAFETY: plain syscall with no pointers.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return false;
    }
    // SAFETY: NUL-terminated path literal; the other pointers may be NULL.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    };
    rc == 0
}

/// Lets the kernel drop this process's mount namespace after nommu's exit
/// has been reported rather than before. Dropping a namespace unmounts
/// its copy of the host's mounts and waits for an RCU grace period
/// (~100 µs on the 2-CPU VM of BENCHMARKS.md, a sixth of a whole `nommu
/// run` of a small program), and a process's namespaces are dropped in
/// its exit before its parent hears of it. So a second reference is
/// parked where only the kernel's garbage collector of unix sockets
/// releases it: a descriptor of the namespace, in flight in a datagram
/// that also carries the receiving socket itself (a cycle). The sending
/// socket stays open (`O_CLOEXEC`) until nommu exits; then the cycle is
/// garbage, and the collector, a kernel worker on Linux 6.10 and later,
/// releases the namespace after the exit. On kernels whose collector
/// runs in the closing process, or when any step fails, the namespace is
/// dropped in the exit as before. Nothing else changes: the namespace is
/// private and every mount nommu made in it was unmounted when the
/// machine stopped.
fn release_after_exit() {
    // SAFETY: plain syscalls on descriptors this function owns; the
    // message's buffers live on this stack frame through the sendmsg.
    unsafe {
        // A raw openat (`host::open`): musl's open() adds an F_SETFD.
        let Ok(ns) = super::host::open(c"/proc/self/ns/mnt", libc::O_RDONLY, 0) else { return };
        let ns = std::os::fd::IntoRawFd::into_raw_fd(ns);
        let mut sv = [-1; 2];
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0, sv.as_mut_ptr()) != 0 {
            libc::close(ns);
            return;
        }
        let fds = [sv[1], ns];
        let mut byte = 0u8;
        let mut iov = libc::iovec { iov_base: (&mut byte as *mut u8).cast(), iov_len: 1 };
        let space = libc::CMSG_SPACE(size_of_val(&fds) as u32) as usize;
        let mut control = [0u64; 8];
        debug_assert!(space <= size_of_val(&control));
        let mut msg: libc::msghdr = core::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of_val(&fds) as u32) as _;
        core::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(cmsg).cast::<i32>(), fds.len());
        let sent = libc::sendmsg(sv[0], &msg, 0) == 1;
        libc::close(ns);
        libc::close(sv[1]);
        if !sent {
            libc::close(sv[0]);
        }
        // sv[0] stays open until nommu exits.
    }
}

/// Whether a private mount namespace can be had here, asked of a child
/// process (this one's namespace stays the host's).
fn probe() -> bool {
    // SAFETY: the child only makes raw syscalls and `_exit`s (nothing that
    // could need a lock another thread held at the fork).
    match unsafe { libc::fork() } {
        0 => {
            let ok = unshare_private();
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        -1 => false,
        pid => {
            let mut status = 0;
            // SAFETY: status is a valid out-pointer.
            let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
            rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
        }
    }
}

/// For `run` and `boot`: takes a private mount namespace (mounts made in
/// it never reach the host's) if the host allows it and
/// `NOMMU_NO_HOST_MOUNTS` does not forbid it; with `defer`, only when
/// `settle` is first called. Must run before any thread exists: a new
/// namespace (and the fs context unshare(CLONE_NEWNS) copies with it) is
/// the calling thread's only; threads started later inherit it.
pub fn take_private_namespace(defer: bool) {
    let state = if forced_off(Switch::NoHostMounts) {
        if probe() {
            FORCED_OFF
        } else {
            ABSENT
        }
    } else if defer {
        DEFERRED
    } else {
        take_now()
    };
    STATE.store(state, Ordering::Release);
}

fn take_now() -> u8 {
    if unshare_private() {
        release_after_exit();
        IN_FORCE
    } else {
        ABSENT
    }
}

/// Takes the deferred namespace now, if it is still to be taken. Called
/// before every mount and before nommu starts any host thread of its own
/// (`kernel::hostthread`): while nommu is one thread, so is everything that
/// calls it.
pub(crate) fn settle() {
    if STATE.load(Ordering::Acquire) == DEFERRED {
        let state = take_now();
        log::debug!("private mount namespace taken: {}", if state == IN_FORCE { "yes" } else { "no" });
        STATE.store(state, Ordering::Release);
    }
}

/// For commands that mount nothing (`caps`): what `run` would have, found
/// out in a child process. Before any thread exists too.
pub fn detect() -> Feature {
    let host_has = probe();
    STATE.store(
        if !host_has {
            ABSENT
        } else if forced_off(Switch::NoHostMounts) {
            FORCED_OFF
        } else {
            IN_FORCE
        },
        Ordering::Release,
    );
    feature()
}

/// Host mounts: in force, forced off, or absent (also when nothing asked,
/// as in a process that never called `take_private_namespace`). Settles
/// a deferred namespace.
pub fn feature() -> Feature {
    settle();
    match STATE.load(Ordering::Acquire) {
        IN_FORCE => Feature::InForce,
        FORCED_OFF => Feature::ForcedOff(Switch::NoHostMounts),
        _ => Feature::Absent,
    }
}

/// Can memory file systems be real host mounts (in this process's private
/// namespace)? Settles a deferred namespace.
pub(crate) fn can_mount() -> bool {
    settle();
    STATE.load(Ordering::Acquire) == IN_FORCE
}

/// Where the files of memory file systems that are no host mounts of
/// their own live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryDir {
    pub path: PathBuf,
    /// A writable host tmpfs (/dev/shm, `$XDG_RUNTIME_DIR`): its files are
    /// memory. Else the temporary directory, on disk.
    pub tmpfs: Feature,
}

fn writable_dir(p: &std::path::Path) -> bool {
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// The first of /dev/shm, `$XDG_RUNTIME_DIR` that is a writable host
/// tmpfs (unless `NOMMU_NO_HOST_TMPFS`); else the temporary directory.
pub fn memory_dir() -> MemoryDir {
    let mut candidates = vec![PathBuf::from("/dev/shm")];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(d));
    }
    let found = candidates.into_iter().find(|c| super::host::is_tmpfs(c) && writable_dir(c));
    match found {
        Some(_) if forced_off(Switch::NoHostTmpfs) => {
            MemoryDir { path: std::env::temp_dir(), tmpfs: Feature::ForcedOff(Switch::NoHostTmpfs) }
        }
        Some(path) => MemoryDir { path, tmpfs: Feature::InForce },
        None => MemoryDir { path: std::env::temp_dir(), tmpfs: Feature::Absent },
    }
}

/// `memory_dir`, found out when first asked: only a guest tmpfs without
/// host mounts of its own (and `nommu caps`, `-v`, `--report`) needs it,
/// and looking costs 4 host calls at every start. Compared, cloned and
/// printed by its value.
#[derive(Clone, Default)]
pub struct LazyMemoryDir(std::sync::OnceLock<MemoryDir>);

impl LazyMemoryDir {
    /// The directory, looked for now if not yet.
    pub fn get(&self) -> &MemoryDir {
        self.0.get_or_init(memory_dir)
    }
}

impl From<MemoryDir> for LazyMemoryDir {
    fn from(d: MemoryDir) -> Self {
        LazyMemoryDir(std::sync::OnceLock::from(d))
    }
}

impl PartialEq for LazyMemoryDir {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for LazyMemoryDir {}

impl std::fmt::Debug for LazyMemoryDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// One line on where a guest tmpfs's files are, for `nommu caps`, `-v` and
/// the boot banner.
pub fn describe(mounts: Feature, dir: &MemoryDir) -> String {
    if mounts.in_force() {
        return "a host tmpfs (ramfs) of its own each, in a private mount namespace: size= and nr_inodes= \
                enforced (ENOSPC), read-only remounts are the host's"
            .to_string();
    }
    let why = match mounts {
        Feature::ForcedOff(s) => format!("{}=1", s.var()),
        _ => "nommu may not mount here (needs CAP_SYS_ADMIN)".to_string(),
    };
    let place = match dir.tmpfs {
        Feature::InForce => "a host tmpfs: memory".to_string(),
        Feature::ForcedOff(s) => format!("ON DISK, not memory: {}=1", s.var()),
        Feature::Absent => "ON DISK, not memory: no writable host tmpfs (/dev/shm, $XDG_RUNTIME_DIR)".to_string(),
    };
    format!(
        "a private directory each in {} ({place}); no host mounts ({why}): size= and nr_inodes= not enforced",
        dir.path.display()
    )
}

/// Mounts a host `fstype` ("tmpfs", "ramfs") with `data` on `dir`:
/// nosuid, nodev (device nodes can be made, not opened).
pub(crate) fn mount_fs(dir: &CStr, fstype: &CStr, data: &CStr) -> std::io::Result<()> {
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    // SAFETY: every pointer is a NUL-terminated string that outlives the call.
    check(unsafe { libc::mount(c"nommu".as_ptr(), dir.as_ptr(), fstype.as_ptr(), flags, data.as_ptr().cast()) })
}

/// Changes a host mount's options (`size=` …).
pub(crate) fn remount(dir: &CStr, data: &CStr, rdonly: bool) -> std::io::Result<()> {
    let ro = if rdonly { libc::MS_RDONLY } else { 0 };
    let flags = libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV | ro;
    // SAFETY: NUL-terminated strings; the source and type may be NULL.
    check(unsafe { libc::mount(std::ptr::null(), dir.as_ptr(), std::ptr::null(), flags, data.as_ptr().cast()) })
}

/// Detaches a host mount.
pub(crate) fn unmount(dir: &CStr) -> std::io::Result<()> {
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::umount2(dir.as_ptr(), libc::MNT_DETACH) })
}
