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
