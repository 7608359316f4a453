//! The event descriptor guest tests (`guest-tests/src/ev_*.c`): epoll,
//! eventfd, timerfd and signalfd. Each program runs natively and under
//! `nommu run` in a fresh directory, for musl and glibc builds, static and
//! dynamic; stdout and exit status must match.

mod common;
use common::*;

guest_program_tests! {
    epoll_levels_edges_oneshot_nesting_signals_and_errors: "ev_epoll";
    eventfd_timerfd_signalfd_and_errors: "ev_fds";
    inotify_events_names_cookies_and_errors: "ev_inotify";
}
