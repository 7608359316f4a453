//! ioctl(2) as strace shows it: the request by name (`_IOC(...)` for
//! one without), and the argument as that request uses it: none, an
//! `int` (`[1]`), a value, a `struct winsize` or the flags of a
//! `struct termios`.

use super::flags;
use super::Shown;
use crate::abi::ioctl::*;
use crate::abi::names::ioctl_name;
use crate::abi::socket::{
    SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFDSTADDR, SIOCGIFFLAGS, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFMAP, SIOCGIFMETRIC,
    SIOCGIFMTU, SIOCGIFNAME, SIOCGIFNETMASK, SIOCGIFTXQLEN,
};
use crate::syscall::SyscallCtx;

/// How a request uses its third argument.
enum ArgUse {
    None,
    /// An `int` the caller passes in (`FIONBIO`).
    IntIn,
    /// An `int` the kernel fills in (`FIONREAD`).
    IntOut,
    /// A plain number (`TIOCSCTTY`'s).
    Value,
    WinsizeIn,
    WinsizeOut,
    TermiosIn,
    TermiosOut,
    /// A `struct ifreq`: the interface's name in, one field of the union
    /// out.
    Ifreq(IfreqField),
    Pointer,
}

#[derive(Clone, Copy)]
enum IfreqField {
    Flags,
    Addr(&'static str),
    Int(&'static str),
    HwAddr,
    Map,
    /// SIOCGIFNAME: the index in, the name out.
    Name,
}

fn arg_use(request: u32) -> ArgUse {
    match request {
        FIOCLEX | FIONCLEX | TIOCNOTTY | 0x540C | 0x540D | 0x541D => ArgUse::None,
        FIONBIO | TIOCSPGRP | TIOCSPTLCK | TIOCPKT | 0x5452 => ArgUse::IntIn,
        FIONREAD | TIOCGPGRP | TIOCOUTQ | TIOCGSID | TIOCGPTN | TIOCGPKT | TIOCGPTLCK => ArgUse::IntOut,
        TCSBRK | TCXONC | TCFLSH | TIOCSCTTY | TIOCSIG | TIOCGPTPEER | 0x5425 => ArgUse::Value,
        TIOCSWINSZ => ArgUse::WinsizeIn,
        TIOCGWINSZ => ArgUse::WinsizeOut,
        TCSETS | TCSETSW | TCSETSF => ArgUse::TermiosIn,
        TCGETS => ArgUse::TermiosOut,
        SIOCGIFFLAGS => ArgUse::Ifreq(IfreqField::Flags),
        SIOCGIFADDR => ArgUse::Ifreq(IfreqField::Addr("ifr_addr")),
        SIOCGIFDSTADDR => ArgUse::Ifreq(IfreqField::Addr("ifr_dstaddr")),
        SIOCGIFBRDADDR => ArgUse::Ifreq(IfreqField::Addr("ifr_broadaddr")),
        SIOCGIFNETMASK => ArgUse::Ifreq(IfreqField::Addr("ifr_netmask")),
        SIOCGIFMETRIC => ArgUse::Ifreq(IfreqField::Int("ifr_metric")),
        SIOCGIFMTU => ArgUse::Ifreq(IfreqField::Int("ifr_mtu")),
        SIOCGIFINDEX => ArgUse::Ifreq(IfreqField::Int("ifr_ifindex")),
        SIOCGIFTXQLEN => ArgUse::Ifreq(IfreqField::Int("ifr_qlen")),
        SIOCGIFHWADDR => ArgUse::Ifreq(IfreqField::HwAddr),
        SIOCGIFNAME => ArgUse::Ifreq(IfreqField::Name),
        SIOCGIFMAP => ArgUse::Ifreq(IfreqField::Map),
        _ => ArgUse::Pointer,
    }
}

/// `_IOC(_IOC_READ, 0x54, 0x1, 0x4)`: a request by its fields.
fn ioc(request: u32) -> String {
    let dir = match request >> 30 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    let (kind, nr, size) = ((request >> 8) & 0xff, request & 0xff, (request >> 16) & 0x3fff);
    format!("_IOC({dir}, {}, {}, {})", c_hex(kind.into()), c_hex(nr.into()), c_hex(size.into()))
}

/// C's `%#x`, as strace prints numbers in hex: 0 without the prefix.
fn c_hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

pub(super) fn reshape(ctx: &SyscallCtx<'_>, a: &[u64; 6], ok: Option<u64>, args: &mut Vec<Shown>) {
    let request = a[1] as u32;
    if let Some(arg) = args.get_mut(1) {
        arg.text = ioctl_name(request).map_or_else(|| ioc(request), str::to_string);
    }
    let p = a[2];
    let pointer = || if p == 0 { "NULL".to_string() } else { format!("{p:#x}") };
    let text = match arg_use(request) {
        ArgUse::None => {
            args.truncate(2);
            return;
        }
        ArgUse::Value => (a[2] as i64).to_string(),
        ArgUse::IntIn => int(ctx, p).unwrap_or_else(pointer),
        ArgUse::IntOut if ok.is_some() => int(ctx, p).unwrap_or_else(pointer),
        ArgUse::WinsizeIn => winsize(ctx, p).unwrap_or_else(pointer),
        ArgUse::WinsizeOut if ok.is_some() => winsize(ctx, p).unwrap_or_else(pointer),
        ArgUse::TermiosIn => termios(ctx, p).unwrap_or_else(pointer),
        ArgUse::TermiosOut if ok.is_some() => termios(ctx, p).unwrap_or_else(pointer),
        ArgUse::Ifreq(field) => ifreq(ctx, p, field, ok.is_some()).unwrap_or_else(pointer),
        _ => pointer(),
    };
    if let Some(arg) = args.get_mut(2) {
        arg.text = text;
    }
}

fn int(ctx: &SyscallCtx<'_>, p: u64) -> Option<String> {
    ctx.user().read_val::<i32>(p).ok().map(|v| format!("[{v}]"))
}

fn winsize(ctx: &SyscallCtx<'_>, p: u64) -> Option<String> {
    let [row, col, x, y] = ctx.user().read_val::<[u16; 4]>(p).ok()?;
    Some(format!("{{ws_row={row}, ws_col={col}, ws_xpixel={x}, ws_ypixel={y}}}"))
}

/// `{ifr_name="lo", ifr_mtu=65536}`: the name the caller passed, and
/// the field the kernel filled in when the call succeeded.
fn ifreq(ctx: &SyscallCtx<'_>, p: u64, field: IfreqField, ok: bool) -> Option<String> {
    let mut raw = [0u8; 40];
    ctx.user().read(p, &mut raw).ok()?;
    let end = raw[..16].iter().position(|&b| b == 0).unwrap_or(16);
    let name = format!("ifr_name={}", super::quote(&raw[..end], true));
    let int = i32::from_ne_bytes([raw[16], raw[17], raw[18], raw[19]]);
    if let IfreqField::Name = field {
        return Some(if ok { format!("{{ifr_ifindex={int}, {name}}}") } else { format!("{{ifr_ifindex={int}}}") });
    }
    if !ok {
        return Some(format!("{{{name}}}"));
    }
    let value = match field {
        IfreqField::Flags => {
            let flags = u64::from(u16::from_ne_bytes([raw[16], raw[17]]));
            format!("ifr_flags={}", super::flags(flags, IFF_FLAGS, "0"))
        }
        IfreqField::Addr(what) => {
            format!("{what}={}", crate::syscall::net::show::sockaddr_in(ctx, p.saturating_add(16), 16))
        }
        IfreqField::Int(what) => format!("{what}={int}"),
        IfreqField::HwAddr => {
            let family = match u16::from_ne_bytes([raw[16], raw[17]]) {
                1 => "ARPHRD_ETHER".to_string(),
                772 => "ARPHRD_LOOPBACK".to_string(),
                776 => "ARPHRD_SIT".to_string(),
                65534 => "ARPHRD_NONE".to_string(),
                f => f.to_string(),
            };
            let mac: Vec<String> = raw[18..24].iter().map(|b| format!("{b:02x}")).collect();
            format!("ifr_hwaddr={{sa_family={family}, sa_data={}}}", mac.join(":"))
        }
        IfreqField::Map => {
            let word = |at: usize| u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default());
            format!(
                "ifr_map={{mem_start={}, mem_end={}, base_addr={}, irq={}, dma={}, port={}}}",
                c_hex(word(16)),
                c_hex(word(24)),
                c_hex(u16::from_ne_bytes([raw[32], raw[33]]).into()),
                raw[34],
                raw[35],
                raw[36]
            )
        }
        // Answered above.
        IfreqField::Name => return None,
    };
    Some(format!("{{{name}, {value}}}"))
}

/// Interface flags (<linux/if.h>).
const IFF_FLAGS: &[(u64, &str)] = &[
    (0x1, "IFF_UP"),
    (0x2, "IFF_BROADCAST"),
    (0x4, "IFF_DEBUG"),
    (0x8, "IFF_LOOPBACK"),
    (0x10, "IFF_POINTOPOINT"),
    (0x20, "IFF_NOTRAILERS"),
    (0x40, "IFF_RUNNING"),
    (0x80, "IFF_NOARP"),
    (0x100, "IFF_PROMISC"),
    (0x200, "IFF_ALLMULTI"),
    (0x400, "IFF_MASTER"),
    (0x800, "IFF_SLAVE"),
    (0x1000, "IFF_MULTICAST"),
    (0x2000, "IFF_PORTSEL"),
    (0x4000, "IFF_AUTOMEDIA"),
    (0x8000, "IFF_DYNAMIC"),
    (0x10000, "IFF_LOWER_UP"),
    (0x20000, "IFF_DORMANT"),
    (0x40000, "IFF_ECHO"),
];

/// The four flag words of a `struct termios` (the kernel's layout: they
/// come first), as strace shows them without -v.
fn termios(ctx: &SyscallCtx<'_>, p: u64) -> Option<String> {
    let [i, o, c, l] = ctx.user().read_val::<[u32; 4]>(p).ok()?;
    Some(format!(
        "{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}",
        flags(u64::from(i), IFLAGS, "0"),
        oflag(o),
        cflag(c),
        flags(u64::from(l), LFLAGS, "0")
    ))
}

const IFLAGS: &[(u64, &str)] = &[
    (0o1, "IGNBRK"),
    (0o2, "BRKINT"),
    (0o4, "IGNPAR"),
    (0o10, "PARMRK"),
    (0o20, "INPCK"),
    (0o40, "ISTRIP"),
    (0o100, "INLCR"),
    (0o200, "IGNCR"),
    (0o400, "ICRNL"),
    (0o1000, "IUCLC"),
    (0o2000, "IXON"),
    (0o4000, "IXANY"),
    (0o10000, "IXOFF"),
    (0o20000, "IMAXBEL"),
    (0o40000, "IUTF8"),
];

/// In strace's order (not the bits').
const LFLAGS: &[(u64, &str)] = &[
    (0o1, "ISIG"),
    (0o2, "ICANON"),
    (0o4, "XCASE"),
    (0o10, "ECHO"),
    (0o20, "ECHOE"),
    (0o40, "ECHOK"),
    (0o100, "ECHONL"),
    (0o200, "NOFLSH"),
    (0o100000, "IEXTEN"),
    (0o1000, "ECHOCTL"),
    (0o2000, "ECHOPRT"),
    (0o4000, "ECHOKE"),
    (0o10000, "FLUSHO"),
    (0o40000, "PENDIN"),
    (0o400, "TOSTOP"),
    (0o200000, "EXTPROC"),
];

/// c_oflag: the delay fields by value (`NL0|CR0|TAB0|BS0|VT0|FF0`), then
/// the flags.
fn oflag(o: u32) -> String {
    const OFLAGS: &[(u64, &str)] = &[
        (0o1, "OPOST"),
        (0o2, "OLCUC"),
        (0o4, "ONLCR"),
        (0o10, "OCRNL"),
        (0o20, "ONOCR"),
        (0o40, "ONLRET"),
        (0o100, "OFILL"),
        (0o200, "OFDEL"),
    ];
    let field = |shift: u32, mask: u32, name: &str| format!("{name}{}", (o >> shift) & mask);
    let mut parts = vec![
        field(8, 1, "NL"),
        field(9, 3, "CR"),
        field(11, 3, "TAB"),
        field(13, 1, "BS"),
        field(14, 1, "VT"),
        field(15, 1, "FF"),
    ];
    let rest = flags(u64::from(o & 0o377), OFLAGS, "");
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts.join("|")
}

/// c_cflag: the speed, the character size, then the flags.
fn cflag(c: u32) -> String {
    const SPEEDS: [&str; 16] = [
        "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400", "B4800",
        "B9600", "B19200", "B38400",
    ];
    const CFLAGS: &[(u64, &str)] = &[
        (0o100, "CSTOPB"),
        (0o200, "CREAD"),
        (0o400, "PARENB"),
        (0o1000, "PARODD"),
        (0o2000, "HUPCL"),
        (0o4000, "CLOCAL"),
    ];
    let speed = c & 0o10017;
    let speed = SPEEDS.get(speed as usize).map_or(format!("{speed:#o}"), |s| s.to_string());
    let size = format!("CS{}", 5 + ((c >> 4) & 3));
    let rest = flags(u64::from(c & 0o7700), CFLAGS, "");
    [speed, size, rest].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_without_a_name_by_their_fields() {
        assert_eq!(ioc(0x1234), "_IOC(_IOC_NONE, 0x12, 0x34, 0)");
        assert_eq!(ioc(0x8004_1234), "_IOC(_IOC_READ, 0x12, 0x34, 0x4)");
        assert_eq!(ioc(0xc010_5401), "_IOC(_IOC_READ|_IOC_WRITE, 0x54, 0x1, 0x10)");
    }

    #[test]
    fn termios_flags_as_strace_writes_them() {
        // A terminal's usual modes (what `stty sane` sets), as strace
        // showed them for TCGETS on a pty.
        assert_eq!(flags(0o2400, IFLAGS, "0"), "ICRNL|IXON");
        assert_eq!(oflag(0o5), "NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR");
        assert_eq!(cflag(0o277), "B38400|CS8|CREAD");
        assert_eq!(flags(0o105073, LFLAGS, "0"), "ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE");
        // Every flag set (natively: a pty's modes set by tcsetattr, then
        // read back under strace).
        assert_eq!(flags(0o62401, IFLAGS, "0"), "IGNBRK|ICRNL|IXON|IMAXBEL|IUTF8");
        assert_eq!(oflag(0o115), "NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR|OCRNL|OFILL");
        assert_eq!(cflag(0o6377), "B38400|CS8|CSTOPB|CREAD|HUPCL|CLOCAL");
        assert_eq!(
            flags(0o357777, LFLAGS, "0"),
            "ISIG|ICANON|XCASE|ECHO|ECHOE|ECHOK|ECHONL|NOFLSH|IEXTEN|ECHOCTL|ECHOPRT|ECHOKE|FLUSHO|PENDIN|TOSTOP|EXTPROC"
        );
    }
}
