//! The socket guest tests (`guest-tests/src/net_*.c`): each program runs
//! natively and under `nommu run` in a fresh directory, for musl and
//! glibc builds, static and dynamic; stdout and exit status must match.
//! Internet sockets stay on loopback.

mod common;
use common::*;

#[test]
fn unix_sockets_pairs_paths_abstract_rights_and_errors() {
    each_libc("net_unix", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

#[test]
fn internet_sockets_on_loopback_tcp_udp_v4_v6() {
    each_libc("net_inet", |bin| {
        differential_in_dirs(bin, &[], &[], &[], 0);
    });
}

/// `--net none`: internet sockets are made but reach nothing; unix
/// sockets work. Not differential: natively there is a network.
#[test]
fn net_none_reaches_nothing() {
    each_static_libc("net_inet", |bin| {
        let out = run_nommu_in_env(&std::env::temp_dir(), bin, &["none"], &[], &["--net", "none"]);
        assert_eq!(shell_status(&out), 0, "{}{}", text(&out), stderr_text(&out));
        assert!(text(&out).ends_with("all ok\n"), "{}", text(&out));
    });
}
