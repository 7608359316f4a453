//! The calls whose arguments strace decodes together rather than one by
//! one: what an ioctl's third argument is depends on its request, which
//! of futex's arguments exist on its operation, clone's pointers on its
//! flags. The table's types are what the handlers take, so these are
//! reshaped here, after the generic rendering, by syscall number.

use super::flags::{clone_flags, msg_flags};
use super::{iovec, timespec, Shown};
use crate::abi::names::{arch_prctl_name, number, protocol_name, signal_strace_name, sigprocmask_how_name};
use crate::syscall::SyscallCtx;

const IOCTL: u64 = number("ioctl");
const ARCH_PRCTL: u64 = number("arch_prctl");
const FUTEX: u64 = number("futex");
const CLONE: u64 = number("clone");
const CLONE3: u64 = number("clone3");
const SOCKET: u64 = number("socket");
const SOCKETPAIR: u64 = number("socketpair");
const SENDMSG: u64 = number("sendmsg");
const RECVMSG: u64 = number("recvmsg");
const SENDTO: u64 = number("sendto");
const RECVFROM: u64 = number("recvfrom");
const SENDMMSG: u64 = number("sendmmsg");
const RECVMMSG: u64 = number("recvmmsg");
const RT_SIGPROCMASK: u64 = number("rt_sigprocmask");

/// Rewrites `args` (the generic rendering of syscall `nr`) the way strace
/// shows that call; `ok` is what it returned, if it succeeded.
pub(super) fn reshape(ctx: &SyscallCtx<'_>, nr: u64, a: &[u64; 6], ok: Option<u64>, args: &mut Vec<Shown>) {
    match nr {
        ARCH_PRCTL => arch_prctl(ctx, a, ok, args),
        IOCTL => super::ioctl::reshape(ctx, a, ok, args),
        FUTEX => futex(ctx, a, args),
        CLONE => clone(ctx, a, ok, args),
        CLONE3 => clone3(ctx, a, ok, args),
        SOCKET | SOCKETPAIR => set(args, 2, protocol_name(a[0] as i32, a[2] as i32).map(str::to_string)),
        SENDMSG | RECVMSG => {
            let sending = nr == SENDMSG;
            let shown = if sending || ok.is_some() { msghdr(ctx, a[1], if sending { None } else { ok }) } else { None };
            set(args, 1, shown);
            set(args, 2, Some(msg_flags(a[2])));
        }
        SENDTO | RECVFROM | SENDMMSG | RECVMMSG => set(args, 3, Some(msg_flags(a[3]))),
        RT_SIGPROCMASK => set(args, 0, sigprocmask_how_name(a[0] as i32).map(str::to_string)),
        _ => {}
    }
}

/// Replaces argument `i`'s text, when there is a new one.
fn set(args: &mut [Shown], i: usize, text: Option<String>) {
    if let (Some(arg), Some(text)) = (args.get_mut(i), text) {
        arg.text = text;
    }
}

fn hex_or_null(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("{v:#x}")
    }
}

/// `arch_prctl(ARCH_SET_FS, 0x7f...)`; what a GET code stored: `[0x7f...]`.
fn arch_prctl(ctx: &SyscallCtx<'_>, a: &[u64; 6], ok: Option<u64>, args: &mut [Shown]) {
    let code = a[0] as u32;
    set(args, 0, Some(arch_prctl_name(code).map_or(format!("{code:#x} /* ARCH_??? */"), str::to_string)));
    let getter = matches!(code, 0x1003 | 0x1004);
    let stored =
        if getter && ok.is_some() { ctx.user().read_u64(a[1]).ok().map(|v| format!("[{v:#x}]")) } else { None };
    set(args, 1, Some(stored.unwrap_or_else(|| format!("{:#x}", a[1]))));
}

/// futex(2) shows the arguments its operation uses: `futex(0x..,
/// FUTEX_WAKE_PRIVATE, 1)`, a wait's timeout as a timespec, a bitset.
fn futex(ctx: &SyscallCtx<'_>, a: &[u64; 6], args: &mut Vec<Shown>) {
    use crate::abi::futex::*;
    let op = a[1] as u32;
    let timeout = || timespec(ctx, a[3]);
    let val2 = || (a[3] as u32).to_string();
    let bitset =
        || if a[5] as u32 == u32::MAX { "FUTEX_BITSET_MATCH_ANY".to_string() } else { format!("{:#x}", a[5] as u32) };
    // (index, text) of what follows uaddr and op; None: as rendered.
    let rest: Vec<(usize, Option<String>)> = match op & FUTEX_CMD_MASK {
        FUTEX_WAIT => vec![(2, None), (3, Some(timeout()))],
        FUTEX_WAKE | FUTEX_FD => vec![(2, None)],
        FUTEX_REQUEUE => vec![(2, None), (3, Some(val2())), (4, None)],
        FUTEX_CMP_REQUEUE | FUTEX_CMP_REQUEUE_PI => vec![(2, None), (3, Some(val2())), (4, None), (5, None)],
        FUTEX_WAKE_OP => vec![(2, None), (3, Some(val2())), (4, None), (5, Some(format!("{:#x}", a[5] as u32)))],
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 => vec![(3, Some(timeout()))],
        FUTEX_UNLOCK_PI | FUTEX_TRYLOCK_PI => vec![],
        FUTEX_WAIT_BITSET => vec![(2, None), (3, Some(timeout())), (5, Some(bitset()))],
        FUTEX_WAKE_BITSET => vec![(2, None), (5, Some(bitset()))],
        FUTEX_WAIT_REQUEUE_PI => vec![(2, None), (3, Some(timeout())), (4, None)],
        _ => return,
    };
    let mut shown: Vec<Shown> = args.iter().take(2).cloned().collect();
    for (i, text) in rest {
        if let Some(mut arg) = args.get(i).cloned() {
            if let Some(text) = text {
                arg.text = text;
            }
            shown.push(arg);
        }
    }
    *args = shown;
}

fn named(name: &'static str, text: String) -> Shown {
    Shown { name, text, named: true }
}

/// `clone(child_stack=0x.., flags=CLONE_VM|CLONE_VFORK|SIGCHLD)`, with the
/// pointers its flags use (x86-64 order: flags, stack, parent_tid,
/// child_tid, tls).
fn clone(ctx: &SyscallCtx<'_>, a: &[u64; 6], ok: Option<u64>, args: &mut Vec<Shown>) {
    use crate::abi::sched::*;
    let flags = a[0];
    let mut shown = vec![named("child_stack", hex_or_null(a[1])), named("flags", clone_flags(flags))];
    if flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
        let stored = ok.and_then(|_| ctx.user().read_val::<i32>(a[2]).ok());
        shown.push(named("parent_tid", stored.map_or(hex_or_null(a[2]), |t| format!("[{t}]"))));
    }
    if flags & CLONE_SETTLS != 0 {
        shown.push(named("tls", format!("{:#x}", a[4])));
    }
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        shown.push(named("child_tidptr", hex_or_null(a[3])));
    }
    *args = shown;
}

/// `clone3({flags=.., exit_signal=SIGCHLD, stack=0x.., stack_size=0x..},
/// 88)`, and `=> {parent_tid=[N]}` for what it stored.
fn clone3(ctx: &SyscallCtx<'_>, a: &[u64; 6], ok: Option<u64>, args: &mut [Shown]) {
    use crate::abi::sched::*;
    let Ok(c) = ctx.user().read_val::<CloneArgs>(a[0]) else { return };
    let mut fields = vec![format!("flags={}", super::flags(c.flags, &crate::abi::names::CLONE_FLAGS, "0"))];
    if c.flags & CLONE_PIDFD != 0 {
        fields.push(format!("pidfd={}", hex_or_null(c.pidfd)));
    }
    if c.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        fields.push(format!("child_tid={}", hex_or_null(c.child_tid)));
    }
    if c.flags & CLONE_PARENT_SETTID != 0 {
        fields.push(format!("parent_tid={}", hex_or_null(c.parent_tid)));
    }
    let signal = if c.exit_signal == 0 { "0".to_string() } else { signal_strace_name(c.exit_signal as i32) };
    fields.push(format!("exit_signal={signal}"));
    fields.push(format!("stack={}", hex_or_null(c.stack)));
    fields.push(format!("stack_size={:#x}", c.stack_size));
    if c.flags & CLONE_SETTLS != 0 {
        fields.push(format!("tls={:#x}", c.tls));
    }
    let mut text = format!("{{{}}}", fields.join(", "));
    if ok.is_some() && c.flags & CLONE_PARENT_SETTID != 0 {
        if let Ok(t) = ctx.user().read_val::<i32>(c.parent_tid) {
            text.push_str(&format!(" => {{parent_tid=[{t}]}}"));
        }
    }
    set(args, 0, Some(text));
}

/// A `struct msghdr` as strace shows it. `received`: recvmsg's result
/// (how much of the iovec holds data); None for sendmsg.
fn msghdr(ctx: &SyscallCtx<'_>, p: u64, received: Option<u64>) -> Option<String> {
    let m = ctx.user().read_val::<crate::abi::socket::Msghdr>(p).ok()?;
    let name = match m.msg_name {
        0 => "NULL".to_string(),
        n => crate::syscall::net::show::sockaddr_in(ctx, n, u64::from(m.msg_namelen)),
    };
    let iov = iovec(ctx, m.msg_iov, m.msg_iovlen, received);
    let control = if m.msg_controllen == 0 {
        String::new()
    } else {
        format!("msg_control={}, ", cmsgs(ctx, m.msg_control, m.msg_controllen))
    };
    Some(format!(
        "{{msg_name={name}, msg_namelen={}, msg_iov={iov}, msg_iovlen={}, {control}msg_controllen={}, msg_flags={}}}",
        m.msg_namelen,
        m.msg_iovlen,
        m.msg_controllen,
        msg_flags(u64::from(m.msg_flags as u32))
    ))
}

/// Control messages: `[{cmsg_len=20, cmsg_level=SOL_SOCKET,
/// cmsg_type=SCM_RIGHTS, cmsg_data=[3]}]`.
fn cmsgs(ctx: &SyscallCtx<'_>, p: u64, len: u64) -> String {
    use crate::abi::socket::{Cmsghdr, CMSG_HDR_LEN, SCM_RIGHTS, SOL_SOCKET};
    let mut shown = Vec::new();
    let mut off = 0u64;
    // Guest-given lengths: saturating, and at most 8 messages shown.
    while off.saturating_add(CMSG_HDR_LEN as u64) <= len && shown.len() < 8 {
        let Ok(h) = ctx.user().read_val::<Cmsghdr>(p.saturating_add(off)) else { break };
        let level = if h.cmsg_level == SOL_SOCKET { "SOL_SOCKET".to_string() } else { h.cmsg_level.to_string() };
        let data_len = h.cmsg_len.saturating_sub(CMSG_HDR_LEN as u64);
        let data = p.saturating_add(off).saturating_add(CMSG_HDR_LEN as u64);
        let (kind, body) = match (h.cmsg_level, h.cmsg_type) {
            (SOL_SOCKET, SCM_RIGHTS) => {
                let fds: Vec<String> = (0..data_len / 4)
                    .take(64)
                    .map(|i| ctx.user().read_val::<i32>(data + 4 * i).map_or("?".into(), |f| f.to_string()))
                    .collect();
                ("SCM_RIGHTS".to_string(), format!("[{}]", fds.join(", ")))
            }
            (SOL_SOCKET, 2) => {
                let ids = ctx.user().read_val::<[u32; 3]>(data).ok();
                let body =
                    ids.map_or(format!("{data:#x}"), |[pid, uid, gid]| format!("{{pid={pid}, uid={uid}, gid={gid}}}"));
                ("SCM_CREDENTIALS".to_string(), body)
            }
            (_, t) => (t.to_string(), format!("{data:#x}")),
        };
        shown.push(format!("{{cmsg_len={}, cmsg_level={level}, cmsg_type={kind}, cmsg_data={body}}}", h.cmsg_len));
        if h.cmsg_len < CMSG_HDR_LEN as u64 {
            break;
        }
        off = off.saturating_add(h.cmsg_len.saturating_add(7) & !7);
    }
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_linuxs() {
        assert_eq!((IOCTL, ARCH_PRCTL, FUTEX, CLONE, CLONE3), (16, 158, 202, 56, 435));
        assert_eq!((SENDMSG, RECVMSG, RT_SIGPROCMASK), (46, 47, 14));
    }
}
