//! syslog(2) (`klogctl`, busybox `dmesg` and `klogd`): the kernel's log.
//! The machine's log holds what its kernel says at boot, the
//! `/proc/version` line; nothing is logged after it, so a read that waits
//! for news (SYSLOG_ACTION_READ, klogd) waits until a signal.

use super::args::{Opaque, UserPtr};
use super::SyscallCtx;
use crate::errno::{Errno, SysResult};
use std::sync::Mutex;

const SYSLOG_ACTION_CLOSE: i32 = 0;
const SYSLOG_ACTION_OPEN: i32 = 1;
const SYSLOG_ACTION_READ: i32 = 2;
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
const SYSLOG_ACTION_CLEAR: i32 = 5;
const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// The size of the log buffer, Linux's default (CONFIG_LOG_BUF_SHIFT 17).
const LOG_BUF_LEN: u64 = 1 << 17;

/// Where readers are in the log: what SYSLOG_ACTION_READ has consumed,
/// and whether READ_ALL's view was cleared. One machine per nommu
/// process, so one state.
struct LogState {
    read: usize,
    cleared: bool,
}

static STATE: Mutex<LogState> = Mutex::new(LogState { read: 0, cleared: false });

/// The log's records, "<level>[seconds] text\n" each.
fn log_text() -> Vec<u8> {
    format!("<5>[    0.000000] {}", crate::kernel::procfs::version_line()).into_bytes()
}

pub(crate) fn sys_syslog(ctx: &mut SyscallCtx<'_>, action: i32, buf: UserPtr<Opaque>, len: i32) -> SysResult {
    let log = log_text();
    let reads = matches!(action, SYSLOG_ACTION_READ | SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR);
    if reads && (buf.is_null() || len < 0) {
        return Err(Errno::EINVAL);
    }
    let len = usize::try_from(len).unwrap_or(0);
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN | SYSLOG_ACTION_CONSOLE_OFF | SYSLOG_ACTION_CONSOLE_ON => Ok(0),
        SYSLOG_ACTION_READ if len == 0 => Ok(0),
        SYSLOG_ACTION_READ => {
            let from = STATE.lock().unwrap_or_else(|e| e.into_inner()).read;
            let unread = log.get(from..).unwrap_or_default();
            if unread.is_empty() {
                // Nothing more will be logged.
                return super::signal::wait_for_signal(ctx);
            }
            let n = unread.len().min(len);
            ctx.user().write(buf.addr(), &unread[..n])?;
            STATE.lock().unwrap_or_else(|e| e.into_inner()).read = from.saturating_add(n);
            Ok(n as u64)
        }
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
            // Whole records only: the log is one, which fits or not.
            let shown: &[u8] = if state.cleared || log.len() > len { &[] } else { &log };
            ctx.user().write(buf.addr(), shown)?;
            if action == SYSLOG_ACTION_READ_CLEAR {
                state.cleared = true;
            }
            Ok(shown.len() as u64)
        }
        SYSLOG_ACTION_CLEAR => {
            STATE.lock().unwrap_or_else(|e| e.into_inner()).cleared = true;
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL if (1..=8).contains(&len) => Ok(0),
        SYSLOG_ACTION_SIZE_UNREAD => {
            let read = STATE.lock().unwrap_or_else(|e| e.into_inner()).read;
            Ok(log.len().saturating_sub(read) as u64)
        }
        SYSLOG_ACTION_SIZE_BUFFER => Ok(LOG_BUF_LEN),
        _ => Err(Errno::EINVAL),
    }
}
