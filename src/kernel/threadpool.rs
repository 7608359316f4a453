//! Host threads for tasks, kept for reuse.
//!
//! Every guest task runs on a host thread of its own. Creating one (its
//! stack mapping and guard, TLS, `clone`, and the teardown when it ends)
//! costs more than everything else in a `vfork` + `_exit`, so a thread
//! whose task ended waits a while for the next task instead of exiting.
//! Its vCPU (entry area, alternate signal stack, syscall dispatch) stays
//! with the thread too (`Vcpu::keep`); a vfork child does not need a
//! thread of its own at all until it execs (`kernel::vforkrun`).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// How long an idle thread waits for another task before it exits.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Idle threads kept at most; more exit at once.
const MAX_IDLE: usize = 32;

pub(crate) struct ThreadPool {
    stack_size: usize,
    /// Idle threads, each with the sender its next job comes through.
    idle: Mutex<Vec<(u64, Sender<Job>)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl ThreadPool {
    pub(crate) fn new(stack_size: usize) -> ThreadPool {
        ThreadPool { stack_size, idle: Mutex::new(Vec::new()), next_id: Default::default() }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Sender<Job>)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `job` on an idle thread, or on a new one named `name`.
    pub(crate) fn spawn(self: &Arc<Self>, name: String, job: Job) -> std::io::Result<()> {
        let mut job = job;
        loop {
            let Some((_, next)) = self.idle().pop() else { break };
            match next.send(job) {
                Ok(()) => return Ok(()),
                // That thread is gone (it cannot be: it leaves the list
                // before it stops listening); try another.
                Err(mpsc::SendError(j)) => job = j,
            }
        }
        let pool = self.clone();
        let builder = std::thread::Builder::new().name(name).stack_size(self.stack_size);
        let run = move || {
            pool.work(job);
            drop(pool);
            // The thread ends: its small blocks go back (`mm::smallcache`).
            crate::mm::smallcache::release_thread();
            crate::fs::pins::release_thread();
        };
        super::hostthread::spawn(builder, run)?;
        Ok(())
    }

    fn work(&self, first: Job) {
        let mut job = first;
        loop {
            job();
            let (tx, rx) = mpsc::channel();
            let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            {
                let mut idle = self.idle();
                if idle.len() >= MAX_IDLE {
                    return;
                }
                idle.push((id, tx));
            }
            job = match rx.recv_timeout(IDLE_TIMEOUT) {
                Ok(j) => j,
                Err(RecvTimeoutError::Timeout) => {
                    let mut idle = self.idle();
                    if let Some(i) = idle.iter().position(|(k, _)| *k == id) {
                        idle.swap_remove(i);
                        return;
                    }
                    drop(idle);
                    // Taken off the list just now: its job is on the way.
                    match rx.recv() {
                        Ok(j) => j,
                        Err(_) => return,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn reuses_an_idle_thread() {
        let pool = Arc::new(ThreadPool::new(64 << 10));
        let (tx, rx) = mpsc::channel();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let tx = tx.clone();
            pool.spawn("t".into(), Box::new(move || tx.send(std::thread::current().id()).unwrap())).unwrap();
            ids.push(rx.recv().unwrap());
            while pool.idle().is_empty() {
                std::thread::yield_now();
            }
        }
        assert_eq!(ids[0], ids[1], "the second job ran on the first job's thread");
    }

    #[test]
    fn runs_jobs_at_once_on_separate_threads() {
        let pool = Arc::new(ThreadPool::new(64 << 10));
        let running = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(5));
        for _ in 0..4 {
            let (running, barrier) = (running.clone(), barrier.clone());
            pool.spawn(
                "t".into(),
                Box::new(move || {
                    running.fetch_add(1, Ordering::SeqCst);
                    barrier.wait();
                }),
            )
            .unwrap();
        }
        barrier.wait();
        assert_eq!(running.load(Ordering::SeqCst), 4);
    }
}
