//! How `--trace` shows socket arguments, in strace's words.

use super::super::decode::quote;
use super::super::SyscallCtx;
use super::addr::family;
use crate::abi::socket::{
    AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, AF_UNSPEC, SOCKADDR_STORAGE_SIZE, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK,
    SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK, SUN_PATH_OFFSET,
};

const FAMILIES: [(u16, &str); 5] = [
    (AF_UNSPEC, "AF_UNSPEC"),
    (AF_UNIX, "AF_UNIX"),
    (AF_INET, "AF_INET"),
    (AF_INET6, "AF_INET6"),
    (AF_NETLINK, "AF_NETLINK"),
];

pub(crate) fn domain(d: i32) -> String {
    FAMILIES.iter().find(|(f, _)| i32::from(*f) == d).map_or(d.to_string(), |(_, n)| n.to_string())
}

pub(crate) fn sock_type(t: i32) -> String {
    const TYPES: [(i32, &str); 4] = [
        (SOCK_STREAM, "SOCK_STREAM"),
        (SOCK_DGRAM, "SOCK_DGRAM"),
        (SOCK_RAW, "SOCK_RAW"),
        (SOCK_SEQPACKET, "SOCK_SEQPACKET"),
    ];
    let base = t & SOCK_TYPE_MASK;
    let mut parts = vec![TYPES.iter().find(|(v, _)| *v == base).map_or(base.to_string(), |(_, n)| n.to_string())];
    if t & SOCK_NONBLOCK != 0 {
        parts.push("SOCK_NONBLOCK".into());
    }
    if t & SOCK_CLOEXEC != 0 {
        parts.push("SOCK_CLOEXEC".into());
    }
    let rest = t & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC);
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

/// An address in guest memory, `len` bytes long.
pub(crate) fn sockaddr_in(ctx: &SyscallCtx<'_>, p: u64, len: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    let mut buf = vec![0u8; (len as usize).min(SOCKADDR_STORAGE_SIZE)];
    if ctx.user().read(p, &mut buf).is_err() {
        return format!("{p:#x}");
    }
    sockaddr(&buf)
}

/// An address the kernel filled in; `len_ptr` points to its length.
pub(crate) fn sockaddr_out(ctx: &SyscallCtx<'_>, p: u64, len_ptr: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    match ctx.user().read_val::<u32>(len_ptr) {
        Ok(len) => sockaddr_in(ctx, p, u64::from(len)),
        Err(_) => format!("{p:#x}"),
    }
}

/// A `socklen_t *`: `[N]`.
pub(crate) fn socklen(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    ctx.user().read_val::<u32>(p).map_or(format!("{p:#x}"), |n| format!("[{n}]"))
}

fn sockaddr(b: &[u8]) -> String {
    let Some(f) = family(b) else { return "{}".into() };
    let fam = domain(i32::from(f));
    match f {
        AF_UNIX => {
            let path = &b[SUN_PATH_OFFSET..];
            match path.first() {
                None => format!("{{sa_family={fam}}}"),
                Some(0) => format!("{{sa_family={fam}, sun_path=@{}}}", quote(&path[1..], true)),
                Some(_) => {
                    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                    format!("{{sa_family={fam}, sun_path={}}}", quote(&path[..end], true))
                }
            }
        }
        AF_INET if b.len() >= 8 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            format!(
                "{{sa_family={fam}, sin_port=htons({port}), sin_addr=inet_addr(\"{}.{}.{}.{}\")}}",
                b[4], b[5], b[6], b[7]
            )
        }
        AF_INET6 if b.len() >= 24 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let octets: [u8; 16] = b[8..24].try_into().unwrap_or_default();
            let ip = std::net::Ipv6Addr::from(octets);
            format!("{{sa_family={fam}, sin6_port=htons({port}), sin6_addr=\"{ip}\"}}")
        }
        _ => format!("{{sa_family={fam}}}"),
    }
}
