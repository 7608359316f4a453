//! `/proc/net`: the host's network tables as `--net host` exposes them
//! (busybox `ifconfig`, `netstat`, `route` read these), with the unix
//! socket table cut down to this machine's sockets and its names shown as
//! guests bound them. With `--net none` the tables are empty.

use super::machine::Machine;
use super::net::NetMode;

/// The files of /proc/net.
pub(crate) const NET_FILES: [&str; 10] =
    ["dev", "if_inet6", "raw", "raw6", "route", "tcp", "tcp6", "udp", "udp6", "unix"];

/// Header lines of each table (kept under `--net none`).
fn header_lines(name: &str) -> usize {
    match name {
        "dev" => 2,
        "if_inet6" => 0,
        _ => 1,
    }
}

pub(crate) fn file(m: &Machine, name: &str) -> Vec<u8> {
    let host = std::fs::read(format!("/proc/net/{name}")).unwrap_or_default();
    let mut lines = host.split_inclusive(|&b| b == b'\n');
    let mut out: Vec<u8> = lines.by_ref().take(header_lines(name)).flatten().copied().collect();
    if m.net.mode() == NetMode::None {
        return out;
    }
    if name != "unix" {
        lines.for_each(|l| out.extend_from_slice(l));
        return out;
    }
    for line in lines {
        if let Some(l) = unix_line(m, line) {
            out.extend_from_slice(&l);
        }
    }
    out
}

/// A line of /proc/net/unix if the socket is one of this machine's
/// (column 7 is the inode), with its name in the guest's form.
fn unix_line(m: &Machine, line: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(line).ok()?.trim_end_matches('\n');
    let cols: Vec<&str> = text.split_whitespace().collect();
    let ino: u64 = cols.get(6)?.parse().ok()?;
    m.net.owner(ino)?;
    let mut out = cols[..7].join(" ").into_bytes();
    if let Some(path) = cols.get(7) {
        out.push(b' ');
        out.extend_from_slice(&guest_name(m, path));
    }
    out.push(b'\n');
    Some(out)
}

fn guest_name(m: &Machine, host: &str) -> Vec<u8> {
    if let Some(abs) = host.strip_prefix('@') {
        let tag = String::from_utf8_lossy(m.net.abstract_tag()).into_owned();
        return format!("@{}", abs.strip_prefix(tag.as_str()).unwrap_or(abs)).into_bytes();
    }
    let mut with_nul = host.as_bytes().to_vec();
    with_nul.push(0);
    if let Some(n) = m.net.guest_name(&with_nul) {
        return n;
    }
    m.root.guest_path_of_host(std::path::Path::new(host)).unwrap_or_else(|| host.as_bytes().to_vec())
}
