//! The read-only interface ioctls on sockets (`ifconfig`, `ip`, `route`
//! ask them). With `--net none` the machine has no interfaces.

use super::super::SyscallCtx;
use crate::abi::socket::{
    IFREQ_SIZE, SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFCONF, SIOCGIFDSTADDR, SIOCGIFFLAGS, SIOCGIFHWADDR, SIOCGIFINDEX,
    SIOCGIFMAP, SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFNAME, SIOCGIFNETMASK, SIOCGIFTXQLEN,
};
use crate::arch::{host, hostnet};
use crate::errno::{Errno, SysResult};
use crate::kernel::net::NetMode;
use std::os::fd::RawFd;

/// The longest interface list passed through.
const IFCONF_MAX: usize = 64 << 10;

/// Answers an interface ioctl; None if `req` is not one.
pub(crate) fn interface_ioctl(ctx: &SyscallCtx<'_>, host_fd: RawFd, req: u32, arg: u64) -> Option<SysResult> {
    const IFREQ_READS: [u32; 12] = [
        SIOCGIFNAME,
        SIOCGIFFLAGS,
        SIOCGIFADDR,
        SIOCGIFDSTADDR,
        SIOCGIFBRDADDR,
        SIOCGIFNETMASK,
        SIOCGIFMETRIC,
        SIOCGIFMTU,
        SIOCGIFHWADDR,
        SIOCGIFINDEX,
        SIOCGIFTXQLEN,
        SIOCGIFMAP,
    ];
    let none = ctx.m.net.mode() == NetMode::None;
    if req == SIOCGIFCONF {
        return Some(ifconf(ctx, host_fd, arg, none));
    }
    if !IFREQ_READS.contains(&req) {
        return None;
    }
    Some((|| {
        let mut ifr = [0u8; IFREQ_SIZE];
        ctx.user().read(arg, &mut ifr)?;
        if none {
            return Err(Errno::ENODEV);
        }
        host::ioctl_buf(host_fd, req, &mut ifr)?;
        ctx.user().write(arg, &ifr)?;
        Ok(0)
    })())
}

/// SIOCGIFCONF: `struct ifconf { int ifc_len; char *ifc_buf; }`; a NULL
/// buffer asks only for the length.
fn ifconf(ctx: &SyscallCtx<'_>, host_fd: RawFd, arg: u64, none: bool) -> SysResult {
    let len: i32 = ctx.user().read_val(arg)?;
    let buf: u64 = ctx.user().read_val(arg + 8)?;
    if none {
        ctx.user().write_val(arg, 0i32)?;
        return Ok(0);
    }
    let room = if buf == 0 { 0 } else { (len.max(0) as usize).min(IFCONF_MAX) };
    let mut host_buf = vec![0u8; room];
    let got = hostnet::ifconf(host_fd, &mut host_buf)?;
    if buf != 0 {
        ctx.user().write(buf, &host_buf[..got.min(room)])?;
    }
    let got = got as i32;
    ctx.user().write_val(arg, got)?;
    Ok(0)
}
