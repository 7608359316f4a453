//! Socket addresses between guest and host.
//!
//! Internet addresses pass as they are (with `--net none` they reach
//! nothing). Unix addresses are the machine's own: a path resolves inside
//! the root like every other path, and an abstract name gets the
//! machine's tag in front, so a guest can neither bind nor reach a host
//! daemon's socket, and two machines' names never meet.

use super::super::path::host_parent;
use super::super::SyscallCtx;
use crate::abi::socket::{AF_INET, AF_INET6, AF_UNIX, SOCKADDR_STORAGE_SIZE, SOCKADDR_UN_SIZE, SUN_PATH_OFFSET};
use crate::errno::{Errno, SysResult};
use crate::fs::path::{self, Fs};
use crate::kernel::net::NetMode;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// What a socket call does with an address (the checks differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Use {
    Bind,
    /// connect, sendto, sendmsg.
    Reach,
}

/// An address as the host should see it. A unix path is reached through
/// a descriptor of this machine's walk (`/proc/self/fd/N`), which must
/// stay open for the call.
pub(super) struct HostAddr {
    pub bytes: Vec<u8>,
    _walk: Option<OwnedFd>,
    /// For a bind: the name as the guest gave it (what getsockname shows).
    pub guest_name: Option<Vec<u8>>,
}

impl HostAddr {
    fn plain(bytes: Vec<u8>) -> HostAddr {
        HostAddr { bytes, _walk: None, guest_name: None }
    }

    /// The unix name the host knows the socket by (the key of the
    /// machine's bound-name registry).
    pub(super) fn unix_name(&self) -> &[u8] {
        &self.bytes[SUN_PATH_OFFSET..]
    }
}

/// Reads an address argument: at most a `sockaddr_storage`.
pub(super) fn read(ctx: &SyscallCtx<'_>, ptr: u64, len: u32) -> SysResult<Vec<u8>> {
    let len = len as i32;
    if len < 0 || len as usize > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; len as usize];
    ctx.user().read(ptr, &mut bytes)?;
    Ok(bytes)
}

pub(super) fn family(bytes: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(..2)?.try_into().ok()?))
}

/// The host's form of a guest address.
pub(super) fn to_host(ctx: &SyscallCtx<'_>, guest: &[u8], how: Use) -> SysResult<HostAddr> {
    let family = family(guest).ok_or(Errno::EINVAL)?;
    match family {
        AF_UNIX => unix_to_host(ctx, guest, how),
        AF_INET | AF_INET6 if ctx.m.net.mode() == NetMode::None => {
            Err(if how == Use::Bind { Errno::EADDRNOTAVAIL } else { Errno::ENETUNREACH })
        }
        _ => Ok(HostAddr::plain(guest.to_vec())),
    }
}

fn unix_to_host(ctx: &SyscallCtx<'_>, guest: &[u8], how: Use) -> SysResult<HostAddr> {
    let guest = &guest[..guest.len().min(SOCKADDR_UN_SIZE)];
    let name = &guest[SUN_PATH_OFFSET..];
    let mut host = AF_UNIX.to_ne_bytes().to_vec();
    match name.first() {
        // Autobind: the host would pick a name outside the machine's tag.
        None if how == Use::Bind => return Ok(HostAddr::plain(host)),
        None => return Err(Errno::EINVAL),
        Some(0) => {
            host.push(0);
            host.extend_from_slice(ctx.m.net.abstract_tag());
            if host.len() + name.len() - 1 <= SOCKADDR_UN_SIZE {
                host.extend_from_slice(&name[1..]);
            } else {
                // A name that leaves no room for the tag (often a whole
                // sun_path of trailing NULs) is known to the host by its
                // hash, the same for every guest that uses it.
                host.extend_from_slice(format!("#{:016x}", fnv1a(&name[1..])).as_bytes());
            }
            let guest_name = Some(name.to_vec());
            return Ok(HostAddr { bytes: host, _walk: None, guest_name });
        }
        Some(_) => {}
    }
    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
    let abs = ctx.at_vec(crate::abi::fcntl::AT_FDCWD as u64, name.to_vec())?;
    if how == Use::Reach {
        // The socket file itself, found by a walk that cannot leave the
        // root; the host connects through the walk's descriptor.
        if path::classify(&abs) != Fs::Host {
            return Err(Errno::ECONNREFUSED);
        }
        let c = std::ffi::CString::new(abs).map_err(|_| Errno::EINVAL)?;
        let fd = ctx.m.root.path_fd(&c, true)?;
        host.extend_from_slice(format!("/proc/self/fd/{}", fd.as_raw_fd()).as_bytes());
        return Ok(HostAddr { bytes: host, _walk: Some(fd), guest_name: None });
    }
    if path::is_dot_or_dotdot(&path::split_last(&abs).1) {
        return Err(Errno::EADDRINUSE);
    }
    let (dir, last) = host_parent(&abs, ctx)?;
    // The directory's real host path if the whole name fits in sun_path
    // (so the host shows the guest a plain path), else a path through
    // the walk's descriptor.
    let dir_path = crate::arch::host::readlinkat(libc::AT_FDCWD, &proc_fd_path(&dir)?)?;
    let mut full = dir_path;
    full.push(b'/');
    full.extend_from_slice(last.as_bytes());
    if full.len() >= SOCKADDR_UN_SIZE - SUN_PATH_OFFSET {
        full = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
        full.extend_from_slice(last.as_bytes());
        if full.len() >= SOCKADDR_UN_SIZE - SUN_PATH_OFFSET {
            return Err(Errno::ENAMETOOLONG);
        }
    }
    host.extend_from_slice(&full);
    host.push(0);
    Ok(HostAddr { bytes: host, _walk: Some(dir), guest_name: Some(name.to_vec()) })
}

/// FNV-1a, 64 bits: a stable name for a long abstract address.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn proc_fd_path(fd: &OwnedFd) -> SysResult<std::ffi::CString> {
    std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)
}

/// The guest's form of an address the host reported (`len` as the host
/// said, which may exceed the bytes it wrote).
pub(super) fn to_guest(ctx: &SyscallCtx<'_>, host: &[u8], len: usize) -> (Vec<u8>, usize) {
    if family(host) != Some(AF_UNIX) || host.len() <= SUN_PATH_OFFSET {
        return (host.to_vec(), len);
    }
    let name = &host[SUN_PATH_OFFSET..];
    let mut guest = AF_UNIX.to_ne_bytes().to_vec();
    if name[0] == 0 {
        // A bound name as the guest gave it (a long one is known to the
        // host only by its hash), else the host's without the tag.
        if let Some(n) = ctx.m.net.guest_name(name) {
            guest.extend_from_slice(&n);
            let len = guest.len();
            return (guest, len);
        }
        let tag = ctx.m.net.abstract_tag();
        guest.push(0);
        guest.extend_from_slice(name[1..].strip_prefix(tag).unwrap_or(&name[1..]));
    } else {
        let path = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        let mut with_nul = path.to_vec();
        with_nul.push(0);
        match ctx.m.net.guest_name(&with_nul) {
            Some(n) => guest.extend_from_slice(&n),
            None => {
                let host_path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
                guest.extend_from_slice(&ctx.m.root.guest_path_of_host(host_path).unwrap_or_else(|| path.to_vec()))
            }
        }
        guest.push(0);
    }
    let len = guest.len();
    (guest, len)
}

/// Writes an address and its length out, as Linux's `move_addr_to_user`:
/// at most the caller's buffer, and the full length in `*len_ptr`.
pub(super) fn write_out(ctx: &SyscallCtx<'_>, ptr: u64, len_ptr: u64, addr: &[u8], full_len: usize) -> SysResult<()> {
    if ptr == 0 {
        return Ok(());
    }
    let room: i32 = ctx.user().read_val(len_ptr)?;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let n = addr.len().min(room as usize);
    ctx.user().write(ptr, &addr[..n])?;
    ctx.user().write_val(len_ptr, full_len as u32)?;
    Ok(())
}
