//! syslog(2)'s actions (`include/linux/syslog.h`).

pub const SYSLOG_ACTION_CLOSE: i32 = 0;
pub const SYSLOG_ACTION_OPEN: i32 = 1;
/// Read what the last READ left, waiting for a record if there is none.
pub const SYSLOG_ACTION_READ: i32 = 2;
/// Read the newest records since the last CLEAR that fit.
pub const SYSLOG_ACTION_READ_ALL: i32 = 3;
/// READ_ALL, then CLEAR.
pub const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
pub const SYSLOG_ACTION_CLEAR: i32 = 5;
pub const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
pub const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
/// Set the console log level (`len`, 1 to 8).
pub const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
pub const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
pub const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;
