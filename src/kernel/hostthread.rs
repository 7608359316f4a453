//! Every host thread nommu starts for itself — guest processes and
//! threads (`threadpool`), the interval timers, pty hangups — is started
//! here, so that what must happen while nommu is still one thread has
//! happened first (the deferred private mount namespace,
//! `hostmount::settle`: unshare(CLONE_NEWNS) changes only the calling
//! thread's namespace, which threads started after it inherit), and the
//! routed host signals stay blocked in the new thread until it binds an
//! entry area (`hostsig::with_routed_blocked`).

use std::thread::{Builder, JoinHandle};

pub(crate) fn spawn<F, T>(builder: Builder, f: F) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::arch::hostmount::settle();
    crate::arch::hostsig::with_routed_blocked(|| builder.spawn(f))
}
