//! Clocks and timers: clock ids, TIMER_ABSTIME and the interval timers
//! (<linux/time.h>), the clock tick user space counts CPU time in
//! (`USER_HZ`, <asm/param.h>; `struct tms`, <linux/times.h>), and how a
//! CPU-time clock id names its thread or process (the kernel's
//! <linux/posix-timers_types.h>, which C libraries mirror).

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
pub const CLOCK_REALTIME_COARSE: i32 = 5;
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
pub const CLOCK_BOOTTIME: i32 = 7;
pub const CLOCK_REALTIME_ALARM: i32 = 8;
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
pub const CLOCK_TAI: i32 = 11;

/// A negative clock id is a CPU-time clock: `~pid << 3`, this bit for a
/// thread, and the low two bits for which time (3 is none).
pub const CPUCLOCK_PERTHREAD_MASK: i32 = 4;
pub const CPUCLOCK_CLOCK_MASK: i32 = 3;
pub const CPUCLOCK_PROF: i32 = 0;
pub const CPUCLOCK_VIRT: i32 = 1;
pub const CPUCLOCK_SCHED: i32 = 2;
pub const CPUCLOCK_MAX: i32 = 3;

/// clock_nanosleep's flag: the time is a deadline, not a duration.
pub const TIMER_ABSTIME: i32 = 1;

/// setitimer/getitimer's `which`.
pub const ITIMER_REAL: i32 = 0;
pub const ITIMER_VIRTUAL: i32 = 1;
pub const ITIMER_PROF: i32 = 2;

/// Clock ticks a second, as times(2), SIGCHLD's si_utime, /proc and
/// AT_CLKTCK count them.
pub const USER_HZ: u64 = 100;

/// `struct tms` (times(2)), in clock ticks.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}

const _: () = assert!(std::mem::size_of::<Tms>() == 32);

/// `struct sigevent`'s `sigev_notify` for timer_create(2): the signal goes
/// to the one thread named in `sigev_notify_thread_id` (<asm-generic/siginfo.h>).
pub const SIGEV_THREAD_ID: i32 = 4;

/// `struct sigevent` as the kernel reads it (64 bytes on x86-64): the
/// value, the signal, how to notify, then the thread id of
/// SIGEV_THREAD_ID.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Sigevent {
    pub sigev_value: u64,
    pub sigev_signo: i32,
    pub sigev_notify: i32,
    pub sigev_notify_thread_id: i32,
    pub pad: [i32; 11],
}
