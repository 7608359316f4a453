//! strace-style rendering of syscalls, driven by the argument kinds in the
//! one syscall table; `calls` then reshapes the few calls whose arguments
//! mean something only together (an ioctl's argument by its request, a
//! futex's by its operation, clone's flags and the pointers they name),
//! as strace has a printer for each of those.

mod calls;
mod flags;
mod ioctl;

use flags::{at_flags, futex_op, map_flags, mount_flags, open_flags, prot, sigset, umount_flags};

use super::table::{Arg, Ret, SyscallDef};
use super::SyscallCtx;
use crate::abi::fcntl::AT_FDCWD;
use crate::abi::names::signal_strace_name;
use crate::abi::stat::{S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use crate::errno::{Errno, SysResult};
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

/// A flag word by name: `A|B|0x40` for the bits without one; `zero` for 0.
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
        Ok(crate::abi::types::KernelSigaction { sa_handler: h, sa_flags: f, sa_mask: m, sa_restorer: r }) => {
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
            let restorer = if f & SA_RESTORER != 0 { format!(", sa_restorer={r:#x}") } else { String::new() };
            format!("{{sa_handler={handler}, sa_mask={}, sa_flags={}{restorer}}}", sigset(m), flags(f, NAMES, "0"))
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

/// One argument as shown: its name (the table's parameter name, or the
/// name strace gives it) and its text; `named` arguments appear in the
/// line as `name=text`, as strace writes clone's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shown {
    pub name: &'static str,
    pub text: String,
    pub named: bool,
}

impl Shown {
    fn new(name: &'static str, text: String) -> Shown {
        Shown { name, text, named: false }
    }
}

/// A syscall as shown: its arguments and what it returned (`?` for calls
/// that do not return).
pub(crate) struct Rendered {
    pub name: &'static str,
    pub args: Vec<Shown>,
    pub result: String,
}

impl Rendered {
    /// The strace line (without the "[pid N] " prefix).
    pub(crate) fn line(&self) -> String {
        let args: Vec<String> =
            self.args.iter().map(|a| if a.named { format!("{}={}", a.name, a.text) } else { a.text.clone() }).collect();
        format!("{}({}) = {}", self.name, args.join(", "), self.result)
    }
}

/// A syscall that returned (`r`), after it ran.
pub(crate) fn render(
    ctx: &SyscallCtx<'_>,
    def: &SyscallDef,
    a: &[u64; 6],
    pre: Vec<Option<String>>,
    r: &SysResult,
) -> Rendered {
    let ok = r.as_ref().ok().copied();
    let mut args = Vec::new();
    for (i, kind) in def.args.iter().enumerate() {
        let name = def.params.get(i).copied().unwrap_or("arg");
        if let Some(Some(s)) = pre.get(i) {
            args.push(Shown::new(name, s.clone()));
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
            Arg::Signal => signal_strace_name(v as i32),
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
        args.push(Shown::new(name, shown));
    }
    calls::reshape(ctx, def.nr, a, ok, &mut args);
    let result = match r {
        Ok(v) if def.ret == Ret::Addr => format!("{v:#x}"),
        Ok(v) => (*v as i64).to_string(),
        Err(e) if e.is_restart() => format!("? {} ({})", e.name().unwrap_or("ERESTART"), e.description()),
        Err(e) => format!("-1 {}", errno_text(*e)),
    };
    Rendered { name: def.name, args, result }
}

/// A syscall that does not return (exit, exit_group; a successful execve
/// replaces the image: `= 0`, `returned` true), from what was shown
/// before it ran.
pub(crate) fn render_no_return(def: &SyscallDef, a: &[u64; 6], pre: Vec<Option<String>>, returned: bool) -> Rendered {
    let args = def
        .args
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let text = pre.get(i).cloned().flatten().unwrap_or_else(|| (a[i] as i64).to_string());
            Shown::new(def.params.get(i).copied().unwrap_or("arg"), text)
        })
        .collect();
    Rendered { name: def.name, args, result: if returned { "0" } else { "?" }.to_string() }
}

pub(crate) fn errno_text(e: Errno) -> String {
    format!("{} ({})", e.name().unwrap_or("E?"), e.description())
}
