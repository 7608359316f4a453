//! strace-style rendering of syscalls, driven by the argument kinds in the
//! one syscall table (no printer per call).

use super::table::{Arg, Ret, SyscallDef};
use super::SyscallCtx;
use crate::abi::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, FASYNC, O_ACCMODE,
    O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NOFOLLOW,
    O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use crate::abi::mman::{
    MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED,
    MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_STACK, PROT_EXEC, PROT_READ, PROT_WRITE,
};
use crate::abi::stat::{S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use crate::errno::{Errno, SysResult};
use crate::kernel::signal::signal_name;
use std::fmt::Write as _;

/// strace shows at most this many bytes of a string or buffer.
const STRING_LIMIT: usize = 32;

pub(crate) fn quote(bytes: &[u8], complete: bool) -> String {
    let mut s = String::from("\"");
    for &b in bytes.iter().take(STRING_LIMIT) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:o}");
            }
        }
    }
    s.push('"');
    if bytes.len() > STRING_LIMIT || !complete {
        s.push_str("...");
    }
    s
}

fn flags(value: u64, names: &[(u64, &str)], zero: &str) -> String {
    if value == 0 {
        return zero.to_string();
    }
    let mut parts = Vec::new();
    let mut rest = value;
    for &(bit, name) in names {
        if bit != 0 && rest & bit == bit {
            parts.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn open_flags(v: u64) -> String {
    let acc = match v as i32 & O_ACCMODE {
        O_RDONLY => "O_RDONLY",
        O_WRONLY => "O_WRONLY",
        O_RDWR => "O_RDWR",
        _ => "O_ACCMODE",
    };
    const NAMES: &[(u64, &str)] = &[
        (O_CREAT as u64, "O_CREAT"),
        (O_EXCL as u64, "O_EXCL"),
        (O_NOCTTY as u64, "O_NOCTTY"),
        (O_TRUNC as u64, "O_TRUNC"),
        (O_APPEND as u64, "O_APPEND"),
        (O_NONBLOCK as u64, "O_NONBLOCK"),
        (O_DSYNC as u64, "O_DSYNC"),
        (FASYNC as u64, "O_ASYNC"),
        (O_DIRECT as u64, "O_DIRECT"),
        (O_LARGEFILE as u64, "O_LARGEFILE"),
        (O_DIRECTORY as u64, "O_DIRECTORY"),
        (O_NOFOLLOW as u64, "O_NOFOLLOW"),
        (O_NOATIME as u64, "O_NOATIME"),
        (O_CLOEXEC as u64, "O_CLOEXEC"),
        (O_PATH as u64, "O_PATH"),
    ];
    let rest = flags(v & !(O_ACCMODE as u64), NAMES, "");
    if rest.is_empty() {
        acc.to_string()
    } else {
        format!("{acc}|{rest}")
    }
}

fn at_flags(v: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (AT_SYMLINK_NOFOLLOW as u64, "AT_SYMLINK_NOFOLLOW"),
        (AT_REMOVEDIR as u64, "AT_REMOVEDIR"),
        (AT_SYMLINK_FOLLOW as u64, "AT_SYMLINK_FOLLOW"),
        (AT_NO_AUTOMOUNT as u64, "AT_NO_AUTOMOUNT"),
        (AT_EMPTY_PATH as u64, "AT_EMPTY_PATH"),
    ];
    flags(v, NAMES, "0")
}

fn prot(v: u64) -> String {
    flags(v, &[(PROT_READ, "PROT_READ"), (PROT_WRITE, "PROT_WRITE"), (PROT_EXEC, "PROT_EXEC")], "PROT_NONE")
}

fn map_flags(v: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (MAP_SHARED, "MAP_SHARED"),
        (MAP_PRIVATE, "MAP_PRIVATE"),
        (MAP_FIXED, "MAP_FIXED"),
        (MAP_ANONYMOUS, "MAP_ANONYMOUS"),
        (MAP_GROWSDOWN, "MAP_GROWSDOWN"),
        (MAP_DENYWRITE, "MAP_DENYWRITE"),
        (MAP_EXECUTABLE, "MAP_EXECUTABLE"),
        (MAP_LOCKED, "MAP_LOCKED"),
        (MAP_NORESERVE, "MAP_NORESERVE"),
        (MAP_POPULATE, "MAP_POPULATE"),
        (MAP_STACK, "MAP_STACK"),
        (MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    ];
    flags(v, NAMES, "0")
}

fn mount_flags(v: u64) -> String {
    use crate::abi::mount::*;
    const NAMES: &[(u64, &str)] = &[
        (MS_RDONLY, "MS_RDONLY"),
        (MS_NOSUID, "MS_NOSUID"),
        (MS_NODEV, "MS_NODEV"),
        (MS_NOEXEC, "MS_NOEXEC"),
        (MS_SYNCHRONOUS, "MS_SYNCHRONOUS"),
        (MS_REMOUNT, "MS_REMOUNT"),
        (MS_MANDLOCK, "MS_MANDLOCK"),
        (MS_DIRSYNC, "MS_DIRSYNC"),
        (MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"),
        (MS_NOATIME, "MS_NOATIME"),
        (MS_NODIRATIME, "MS_NODIRATIME"),
        (MS_BIND, "MS_BIND"),
        (MS_MOVE, "MS_MOVE"),
        (MS_REC, "MS_REC"),
        (MS_SILENT, "MS_SILENT"),
        (MS_POSIXACL, "MS_POSIXACL"),
        (MS_UNBINDABLE, "MS_UNBINDABLE"),
        (MS_PRIVATE, "MS_PRIVATE"),
        (MS_SLAVE, "MS_SLAVE"),
        (MS_SHARED, "MS_SHARED"),
        (MS_RELATIME, "MS_RELATIME"),
        (MS_KERNMOUNT, "MS_KERNMOUNT"),
        (MS_I_VERSION, "MS_I_VERSION"),
        (MS_STRICTATIME, "MS_STRICTATIME"),
        (MS_LAZYTIME, "MS_LAZYTIME"),
    ];
    // The old magic in the high half is shown as strace shows it.
    if v & MS_MGC_MSK == MS_MGC_VAL {
        let rest = flags(v & !MS_MGC_MSK, NAMES, "");
        return if rest.is_empty() { "MS_MGC_VAL".into() } else { format!("MS_MGC_VAL|{rest}") };
    }
    flags(v, NAMES, "0")
}

fn umount_flags(v: u64) -> String {
    use crate::abi::mount::*;
    const NAMES: &[(u64, &str)] = &[
        (MNT_FORCE as u64, "MNT_FORCE"),
        (MNT_DETACH as u64, "MNT_DETACH"),
        (MNT_EXPIRE as u64, "MNT_EXPIRE"),
        (UMOUNT_NOFOLLOW as u64, "UMOUNT_NOFOLLOW"),
    ];
    flags(v, NAMES, "0")
}

/// A futex(2) operation as strace shows it: `FUTEX_LOCK_PI_PRIVATE`,
/// `FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME`.
fn futex_op(v: u64) -> String {
    use crate::abi::futex::*;
    let op = v as u32;
    let name = match op & FUTEX_CMD_MASK {
        FUTEX_WAIT => "FUTEX_WAIT",
        FUTEX_WAKE => "FUTEX_WAKE",
        FUTEX_FD => "FUTEX_FD",
        FUTEX_REQUEUE => "FUTEX_REQUEUE",
        FUTEX_CMP_REQUEUE => "FUTEX_CMP_REQUEUE",
        FUTEX_WAKE_OP => "FUTEX_WAKE_OP",
        FUTEX_LOCK_PI => "FUTEX_LOCK_PI",
        FUTEX_UNLOCK_PI => "FUTEX_UNLOCK_PI",
        FUTEX_TRYLOCK_PI => "FUTEX_TRYLOCK_PI",
        FUTEX_WAIT_BITSET => "FUTEX_WAIT_BITSET",
        FUTEX_WAKE_BITSET => "FUTEX_WAKE_BITSET",
        FUTEX_WAIT_REQUEUE_PI => "FUTEX_WAIT_REQUEUE_PI",
        FUTEX_CMP_REQUEUE_PI => "FUTEX_CMP_REQUEUE_PI",
        FUTEX_LOCK_PI2 => "FUTEX_LOCK_PI2",
        _ => return format!("{op:#x} /* FUTEX_??? */"),
    };
    let private = if op & FUTEX_PRIVATE_FLAG != 0 { "_PRIVATE" } else { "" };
    let clock = if op & FUTEX_CLOCK_REALTIME != 0 { "|FUTEX_CLOCK_REALTIME" } else { "" };
    format!("{name}{private}{clock}")
}

fn sigset(v: u64) -> String {
    let names: Vec<String> = (1..=64)
        .filter(|s| v & (1u64 << (s - 1)) != 0)
        .map(|s| signal_name(s).trim_start_matches("SIG").to_string())
        .collect();
    format!("[{}]", names.join(" "))
}

fn fd(v: u64) -> String {
    let fd = v as u32 as i32;
    if fd == AT_FDCWD {
        "AT_FDCWD".into()
    } else {
        fd.to_string()
    }
}

fn timespec(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    match (ctx.user().read_val::<i64>(p), ctx.user().read_val::<i64>(p + 8)) {
        (Ok(s), Ok(ns)) => format!("{{tv_sec={s}, tv_nsec={ns}}}"),
        _ => format!("{p:#x}"),
    }
}

fn stat(ctx: &SyscallCtx<'_>, p: u64) -> String {
    let Ok(st) = ctx.user().read_val::<crate::abi::types::Stat>(p) else {
        return format!("{p:#x}");
    };
    let kind = match st.st_mode & S_IFMT {
        S_IFDIR => "S_IFDIR",
        S_IFREG => "S_IFREG",
        S_IFLNK => "S_IFLNK",
        S_IFCHR => "S_IFCHR",
        S_IFBLK => "S_IFBLK",
        S_IFIFO => "S_IFIFO",
        S_IFSOCK => "S_IFSOCK",
        _ => "0",
    };
    format!("{{st_mode={kind}|{:04o}, st_size={}, ...}}", st.st_mode & S_IALLUGO, st.st_size)
}

fn sigaction(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    match ctx.user().read_val::<crate::abi::types::KernelSigaction>(p) {
        Ok(crate::abi::types::KernelSigaction { sa_handler: h, sa_flags: f, sa_mask: m, .. }) => {
            use crate::abi::signal::{
                SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_RESTORER, SA_SIGINFO,
                SIG_DFL, SIG_IGN,
            };
            let handler = match h {
                SIG_DFL => "SIG_DFL".to_string(),
                SIG_IGN => "SIG_IGN".to_string(),
                h => format!("{h:#x}"),
            };
            const NAMES: &[(u64, &str)] = &[
                (SA_NOCLDSTOP, "SA_NOCLDSTOP"),
                (SA_NOCLDWAIT, "SA_NOCLDWAIT"),
                (SA_SIGINFO, "SA_SIGINFO"),
                (SA_RESTORER, "SA_RESTORER"),
                (SA_ONSTACK, "SA_ONSTACK"),
                (SA_RESTART, "SA_RESTART"),
                (SA_NODEFER, "SA_NODEFER"),
                (SA_RESETHAND, "SA_RESETHAND"),
            ];
            format!("{{sa_handler={handler}, sa_mask={}, sa_flags={}}}", sigset(m), flags(f, NAMES, "0"))
        }
        _ => format!("{p:#x}"),
    }
}

fn iovec(ctx: &SyscallCtx<'_>, p: u64, count: u64, total: Option<u64>) -> String {
    let mut parts = Vec::new();
    let mut left = total.unwrap_or(u64::MAX);
    for i in 0..count.min(8) {
        let (Ok(base), Ok(len)) = (ctx.user().read_u64(p + 16 * i), ctx.user().read_u64(p + 16 * i + 8)) else {
            return format!("{p:#x}");
        };
        let shown = len.min(left).min(STRING_LIMIT as u64 + 1);
        let mut buf = vec![0u8; shown as usize];
        let data = if base == 0 {
            "NULL".to_string()
        } else if ctx.user().read(base, &mut buf).is_ok() {
            quote(&buf, shown >= len.min(left))
        } else {
            format!("{base:#x}")
        };
        left = left.saturating_sub(len);
        parts.push(format!("{{iov_base={data}, iov_len={len}}}"));
    }
    if count > 8 {
        parts.push("...".into());
    }
    format!("[{}]", parts.join(", "))
}

fn string_array(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    let Ok(ptrs) = ctx.user().read_ptr_array(p, 4096) else {
        return format!("{p:#x}");
    };
    let shown: Vec<String> = ptrs
        .iter()
        .take(16)
        .map(|&s| ctx.user().read_cstr(s, 4096).map_or(format!("{s:#x}"), |b| quote(&b, true)))
        .collect();
    let more = if ptrs.len() > 16 { format!(", /* {} more */", ptrs.len() - 16) } else { String::new() };
    format!("[{}{more}]", shown.join(", "))
}

fn buffer(ctx: &SyscallCtx<'_>, p: u64, len: u64) -> String {
    let shown = len.min(STRING_LIMIT as u64 + 1) as usize;
    let mut buf = vec![0u8; shown];
    match ctx.user().read(p, &mut buf) {
        Ok(()) => quote(&buf[..shown.min(len as usize)], len as usize <= STRING_LIMIT),
        Err(_) => format!("{p:#x}"),
    }
}

/// Arguments as shown before the call runs (strings, input buffers).
pub(crate) fn entry(ctx: &SyscallCtx<'_>, def: &SyscallDef, a: &[u64; 6]) -> Vec<Option<String>> {
    def.args
        .iter()
        .enumerate()
        .map(|(i, kind)| match kind {
            Arg::Str => Some(if a[i] == 0 {
                "NULL".into()
            } else {
                ctx.user().read_cstr(a[i], 4095).map_or(format!("{:#x}", a[i]), |b| quote(&b, true))
            }),
            Arg::InBuf => Some(buffer(ctx, a[i], a.get(i + 1).copied().unwrap_or(0))),
            // envp: strace shows only how many variables there are.
            Arg::EnvArray => {
                let n = ctx.user().read_ptr_array(a[i], 1 << 20).map_or(0, |v| v.len());
                Some(format!("{:#x} /* {n} vars */", a[i]))
            }
            Arg::StrArray => Some(string_array(ctx, a[i])),
            Arg::IovecIn => Some(iovec(ctx, a[i], a.get(i + 1).copied().unwrap_or(0), None)),
            Arg::SigactionIn => Some(sigaction(ctx, a[i])),
            Arg::SigSetIn => Some(ctx.user().read_u64(a[i]).map_or("NULL".into(), sigset)),
            // Timeouts are inputs; clock_gettime's is shown after the call.
            Arg::TimespecIn => Some(timespec(ctx, a[i])),
            Arg::SockAddr => Some(super::net::show::sockaddr_in(ctx, a[i], a.get(i + 1).copied().unwrap_or(0))),
            Arg::EpollEvent => Some(super::event::show::epoll_event(ctx, a[i])),
            Arg::ItimerspecIn => Some(super::event::show::itimerspec(ctx, a[i])),
            _ => None,
        })
        .collect()
}

/// One strace line (without the "[pid N] " prefix).
pub(crate) fn line(
    ctx: &SyscallCtx<'_>,
    def: &SyscallDef,
    a: &[u64; 6],
    pre: Vec<Option<String>>,
    r: &SysResult,
) -> String {
    let ok = r.as_ref().ok().copied();
    let mut args = Vec::new();
    for (i, kind) in def.args.iter().enumerate() {
        if let Some(Some(s)) = pre.get(i) {
            args.push(s.clone());
            continue;
        }
        let v = a[i];
        let shown = match kind {
            Arg::Int | Arg::Len => (v as i64).to_string(),
            Arg::Hex | Arg::Flags => format!("{v:#x}"),
            Arg::Oct => format!("{:#o}", v as u32),
            Arg::Fd => fd(v),
            Arg::Ptr
            | Arg::Str
            | Arg::InBuf
            | Arg::StrArray
            | Arg::EnvArray
            | Arg::IovecIn
            | Arg::SockAddr
            | Arg::EpollEvent
            | Arg::ItimerspecIn => {
                if v == 0 {
                    "NULL".into()
                } else {
                    format!("{v:#x}")
                }
            }
            // What was stored: at most the buffer (recv with MSG_TRUNC
            // returns more).
            Arg::OutBuf => match ok {
                Some(n) if v != 0 => buffer(ctx, v, n.min(a.get(i + 1).copied().unwrap_or(n))),
                _ => format!("{v:#x}"),
            },
            // getcwd counts the terminating NUL; strace does not show it.
            Arg::OutBufNul => match ok {
                Some(n) if v != 0 => buffer(ctx, v, n.saturating_sub(1)),
                _ => format!("{v:#x}"),
            },
            Arg::OpenFlags => open_flags(v),
            Arg::AtFlags => at_flags(v),
            Arg::Prot => prot(v),
            Arg::MapFlags => map_flags(v),
            Arg::MountFlags => mount_flags(v),
            Arg::UmountFlags => umount_flags(v),
            Arg::Signal => signal_name(v as i32),
            Arg::FutexOp => futex_op(v),
            Arg::Stat => match ok {
                Some(_) => stat(ctx, v),
                None => format!("{v:#x}"),
            },
            Arg::Timespec | Arg::TimespecIn => timespec(ctx, v),
            Arg::Sigaction | Arg::SigactionIn => sigaction(ctx, v),
            Arg::SigSetPtr | Arg::SigSetIn => {
                if v == 0 {
                    "NULL".into()
                } else {
                    ctx.user().read_u64(v).map_or(format!("{v:#x}"), sigset)
                }
            }
            Arg::Iovec => iovec(ctx, v, a[i + 1], ok),
            Arg::SockAddrOut => match ok {
                Some(_) => super::net::show::sockaddr_out(ctx, v, a.get(i + 1).copied().unwrap_or(0)),
                None if v == 0 => "NULL".into(),
                None => format!("{v:#x}"),
            },
            Arg::SockLen => super::net::show::socklen(ctx, v),
            Arg::EpollEvents | Arg::Itimerspec if v == 0 => "NULL".into(),
            Arg::EpollEvents => match ok {
                Some(n) => super::event::show::epoll_events(ctx, v, n),
                None => format!("{v:#x}"),
            },
            Arg::Itimerspec => match ok {
                Some(_) => super::event::show::itimerspec(ctx, v),
                None => format!("{v:#x}"),
            },
            Arg::SockDomain => super::net::show::domain(v as i32),
            Arg::SockType => super::net::show::sock_type(v as i32),
            Arg::PipeFds => match (ok, ctx.user().read_val::<[i32; 2]>(v)) {
                (Some(_), Ok([r, w])) => format!("[{r}, {w}]"),
                _ => format!("{v:#x}"),
            },
        };
        args.push(shown);
    }
    let result = match r {
        Ok(v) if def.ret == Ret::Addr => format!("{v:#x}"),
        Ok(v) => (*v as i64).to_string(),
        Err(e) if e.is_restart() => format!("? {} ({})", e.name().unwrap_or("ERESTART"), e.description()),
        Err(e) => format!("-1 {}", errno_text(*e)),
    };
    format!("{}({}) = {result}", def.name, args.join(", "))
}

/// The line for a syscall that does not return (exit, exit_group, a
/// successful execve replaces the image and returns 0).
pub(crate) fn no_return(def: &SyscallDef, a: &[u64; 6], pre: Vec<Option<String>>) -> String {
    let args: Vec<String> = def
        .args
        .iter()
        .enumerate()
        .map(|(i, _)| pre.get(i).cloned().flatten().unwrap_or_else(|| (a[i] as i64).to_string()))
        .collect();
    format!("{}({}) = ?", def.name, args.join(", "))
}

pub(crate) fn errno_text(e: Errno) -> String {
    format!("{} ({})", e.name().unwrap_or("E?"), e.description())
}

#[cfg(test)]
mod tests {
    use super::{futex_op, mount_flags, umount_flags};

    #[test]
    fn mount_flags_by_name() {
        assert_eq!(mount_flags(0), "0");
        assert_eq!(mount_flags(0x1021), "MS_RDONLY|MS_REMOUNT|MS_BIND");
        assert_eq!(mount_flags(0xc0ed_0000), "MS_MGC_VAL");
        assert_eq!(mount_flags(0xc0ed_0008), "MS_MGC_VAL|MS_NOEXEC");
        assert_eq!(umount_flags(2), "MNT_DETACH");
        assert_eq!(umount_flags(0x109), "MNT_FORCE|UMOUNT_NOFOLLOW|0x100");
    }

    #[test]
    fn futex_ops_by_name() {
        assert_eq!(futex_op(0x80), "FUTEX_WAIT_PRIVATE");
        assert_eq!(futex_op(6), "FUTEX_LOCK_PI");
        assert_eq!(futex_op(7 | 0x80), "FUTEX_UNLOCK_PI_PRIVATE");
        assert_eq!(futex_op(13 | 0x100), "FUTEX_LOCK_PI2|FUTEX_CLOCK_REALTIME");
        assert_eq!(futex_op(11 | 0x180), "FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME");
        assert_eq!(futex_op(12), "FUTEX_CMP_REQUEUE_PI");
        assert_eq!(futex_op(99), "0x63 /* FUTEX_??? */");
    }
}
