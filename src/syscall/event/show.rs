//! How `--trace` shows epoll events and timer settings, in strace's words.

use super::super::SyscallCtx;
use crate::abi::event::*;
use crate::abi::types::Timespec;

const EVENT_NAMES: [(u32, &str); 16] = [
    (EPOLLIN, "EPOLLIN"),
    (EPOLLPRI, "EPOLLPRI"),
    (EPOLLOUT, "EPOLLOUT"),
    (EPOLLERR, "EPOLLERR"),
    (EPOLLHUP, "EPOLLHUP"),
    (EPOLLNVAL, "EPOLLNVAL"),
    (EPOLLRDNORM, "EPOLLRDNORM"),
    (EPOLLRDBAND, "EPOLLRDBAND"),
    (EPOLLWRNORM, "EPOLLWRNORM"),
    (EPOLLWRBAND, "EPOLLWRBAND"),
    (EPOLLMSG, "EPOLLMSG"),
    (EPOLLRDHUP, "EPOLLRDHUP"),
    (EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"),
    (EPOLLWAKEUP, "EPOLLWAKEUP"),
    (EPOLLONESHOT, "EPOLLONESHOT"),
    (EPOLLET, "EPOLLET"),
];

fn event_bits(v: u32) -> String {
    if v == 0 {
        return "0".into();
    }
    let mut parts: Vec<String> = EVENT_NAMES.iter().filter(|(b, _)| v & b != 0).map(|(_, n)| n.to_string()).collect();
    let rest = EVENT_NAMES.iter().fold(v, |r, (b, _)| r & !b);
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn one(e: EpollEvent) -> String {
    let (events, data) = (e.events, e.data);
    format!("{{events={}, data={data:#x}}}", event_bits(events))
}

/// An `epoll_event` the caller passes in (epoll_ctl).
pub(crate) fn epoll_event(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    ctx.user().read_val::<EpollEvent>(p).map_or(format!("{p:#x}"), one)
}

/// The `n` events epoll_wait stored at `p`.
pub(crate) fn epoll_events(ctx: &SyscallCtx<'_>, p: u64, n: u64) -> String {
    let mut shown = Vec::new();
    for i in 0..n.min(8) {
        match ctx.user().read_val::<EpollEvent>(p + i * 12) {
            Ok(e) => shown.push(one(e)),
            Err(_) => return format!("{p:#x}"),
        }
    }
    if n > 8 {
        shown.push("...".into());
    }
    format!("[{}]", shown.join(", "))
}

fn ts(t: Timespec) -> String {
    format!("{{tv_sec={}, tv_nsec={}}}", t.tv_sec, t.tv_nsec)
}

/// A `struct itimerspec` (timerfd_settime's new value, or what
/// timerfd_settime/gettime filled in).
pub(crate) fn itimerspec(ctx: &SyscallCtx<'_>, p: u64) -> String {
    if p == 0 {
        return "NULL".into();
    }
    match ctx.user().read_val::<Itimerspec>(p) {
        Ok(t) => format!("{{it_interval={}, it_value={}}}", ts(t.it_interval), ts(t.it_value)),
        Err(_) => format!("{p:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named() {
        assert_eq!(event_bits(0), "0");
        assert_eq!(event_bits(EPOLLIN | EPOLLET), "EPOLLIN|EPOLLET");
        assert_eq!(event_bits(EPOLLOUT | 0x800), "EPOLLOUT|0x800");
        assert_eq!(one(EpollEvent { events: EPOLLIN, data: 7 }), "{events=EPOLLIN, data=0x7}");
    }
}
