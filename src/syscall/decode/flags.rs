//! Flag words and small values by name, as strace writes them.

use super::flags;
use crate::abi::fcntl::{
    AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, FASYNC, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NOFOLLOW,
    O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use crate::abi::mman::{
    MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED,
    MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_STACK, PROT_EXEC, PROT_READ, PROT_WRITE,
};
use crate::abi::names::signal_short_name;

pub(crate) fn open_flags(v: u64) -> String {
    let acc = match v as i32 & O_ACCMODE {
        O_RDONLY => "O_RDONLY",
        O_WRONLY => "O_WRONLY",
        O_RDWR => "O_RDWR",
        _ => "O_ACCMODE",
    };
    const NAMES: &[(u64, &str)] = &[
        (O_CREAT as u64, "O_CREAT"),
        (O_EXCL as u64, "O_EXCL"),
        (O_NOCTTY as u64, "O_NOCTTY"),
        (O_TRUNC as u64, "O_TRUNC"),
        (O_APPEND as u64, "O_APPEND"),
        (O_NONBLOCK as u64, "O_NONBLOCK"),
        (O_DSYNC as u64, "O_DSYNC"),
        (FASYNC as u64, "O_ASYNC"),
        (O_DIRECT as u64, "O_DIRECT"),
        (O_LARGEFILE as u64, "O_LARGEFILE"),
        (O_DIRECTORY as u64, "O_DIRECTORY"),
        (O_NOFOLLOW as u64, "O_NOFOLLOW"),
        (O_NOATIME as u64, "O_NOATIME"),
        (O_CLOEXEC as u64, "O_CLOEXEC"),
        (O_PATH as u64, "O_PATH"),
    ];
    let rest = flags(v & !(O_ACCMODE as u64), NAMES, "");
    if rest.is_empty() {
        acc.to_string()
    } else {
        format!("{acc}|{rest}")
    }
}

pub(crate) fn at_flags(v: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (AT_SYMLINK_NOFOLLOW as u64, "AT_SYMLINK_NOFOLLOW"),
        (AT_REMOVEDIR as u64, "AT_REMOVEDIR"),
        (AT_SYMLINK_FOLLOW as u64, "AT_SYMLINK_FOLLOW"),
        (AT_NO_AUTOMOUNT as u64, "AT_NO_AUTOMOUNT"),
        (AT_EMPTY_PATH as u64, "AT_EMPTY_PATH"),
    ];
    flags(v, NAMES, "0")
}

pub(crate) fn prot(v: u64) -> String {
    flags(v, &[(PROT_READ, "PROT_READ"), (PROT_WRITE, "PROT_WRITE"), (PROT_EXEC, "PROT_EXEC")], "PROT_NONE")
}

pub(crate) fn map_flags(v: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (MAP_SHARED, "MAP_SHARED"),
        (MAP_PRIVATE, "MAP_PRIVATE"),
        (MAP_FIXED, "MAP_FIXED"),
        (MAP_ANONYMOUS, "MAP_ANONYMOUS"),
        (MAP_GROWSDOWN, "MAP_GROWSDOWN"),
        (MAP_DENYWRITE, "MAP_DENYWRITE"),
        (MAP_EXECUTABLE, "MAP_EXECUTABLE"),
        (MAP_LOCKED, "MAP_LOCKED"),
        (MAP_NORESERVE, "MAP_NORESERVE"),
        (MAP_POPULATE, "MAP_POPULATE"),
        (MAP_STACK, "MAP_STACK"),
        (MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    ];
    flags(v, NAMES, "0")
}

pub(crate) fn mount_flags(v: u64) -> String {
    use crate::abi::mount::*;
    const NAMES: &[(u64, &str)] = &[
        (MS_RDONLY, "MS_RDONLY"),
        (MS_NOSUID, "MS_NOSUID"),
        (MS_NODEV, "MS_NODEV"),
        (MS_NOEXEC, "MS_NOEXEC"),
        (MS_SYNCHRONOUS, "MS_SYNCHRONOUS"),
        (MS_REMOUNT, "MS_REMOUNT"),
        (MS_MANDLOCK, "MS_MANDLOCK"),
        (MS_DIRSYNC, "MS_DIRSYNC"),
        (MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"),
        (MS_NOATIME, "MS_NOATIME"),
        (MS_NODIRATIME, "MS_NODIRATIME"),
        (MS_BIND, "MS_BIND"),
        (MS_MOVE, "MS_MOVE"),
        (MS_REC, "MS_REC"),
        (MS_SILENT, "MS_SILENT"),
        (MS_POSIXACL, "MS_POSIXACL"),
        (MS_UNBINDABLE, "MS_UNBINDABLE"),
        (MS_PRIVATE, "MS_PRIVATE"),
        (MS_SLAVE, "MS_SLAVE"),
        (MS_SHARED, "MS_SHARED"),
        (MS_RELATIME, "MS_RELATIME"),
        (MS_KERNMOUNT, "MS_KERNMOUNT"),
        (MS_I_VERSION, "MS_I_VERSION"),
        (MS_STRICTATIME, "MS_STRICTATIME"),
        (MS_LAZYTIME, "MS_LAZYTIME"),
    ];
    // The old magic in the high half is shown as strace shows it.
    if v & MS_MGC_MSK == MS_MGC_VAL {
        let rest = flags(v & !MS_MGC_MSK, NAMES, "");
        return if rest.is_empty() { "MS_MGC_VAL".into() } else { format!("MS_MGC_VAL|{rest}") };
    }
    flags(v, NAMES, "0")
}

pub(crate) fn umount_flags(v: u64) -> String {
    use crate::abi::mount::*;
    const NAMES: &[(u64, &str)] = &[
        (MNT_FORCE as u64, "MNT_FORCE"),
        (MNT_DETACH as u64, "MNT_DETACH"),
        (MNT_EXPIRE as u64, "MNT_EXPIRE"),
        (UMOUNT_NOFOLLOW as u64, "UMOUNT_NOFOLLOW"),
    ];
    flags(v, NAMES, "0")
}

/// A futex(2) operation as strace shows it: `FUTEX_LOCK_PI_PRIVATE`,
/// `FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME`.
pub(crate) fn futex_op(v: u64) -> String {
    use crate::abi::futex::*;
    let op = v as u32;
    let name = match op & FUTEX_CMD_MASK {
        FUTEX_WAIT => "FUTEX_WAIT",
        FUTEX_WAKE => "FUTEX_WAKE",
        FUTEX_FD => "FUTEX_FD",
        FUTEX_REQUEUE => "FUTEX_REQUEUE",
        FUTEX_CMP_REQUEUE => "FUTEX_CMP_REQUEUE",
        FUTEX_WAKE_OP => "FUTEX_WAKE_OP",
        FUTEX_LOCK_PI => "FUTEX_LOCK_PI",
        FUTEX_UNLOCK_PI => "FUTEX_UNLOCK_PI",
        FUTEX_TRYLOCK_PI => "FUTEX_TRYLOCK_PI",
        FUTEX_WAIT_BITSET => "FUTEX_WAIT_BITSET",
        FUTEX_WAKE_BITSET => "FUTEX_WAKE_BITSET",
        FUTEX_WAIT_REQUEUE_PI => "FUTEX_WAIT_REQUEUE_PI",
        FUTEX_CMP_REQUEUE_PI => "FUTEX_CMP_REQUEUE_PI",
        FUTEX_LOCK_PI2 => "FUTEX_LOCK_PI2",
        _ => return format!("{op:#x} /* FUTEX_??? */"),
    };
    let private = if op & FUTEX_PRIVATE_FLAG != 0 { "_PRIVATE" } else { "" };
    let clock = if op & FUTEX_CLOCK_REALTIME != 0 { "|FUTEX_CLOCK_REALTIME" } else { "" };
    format!("{name}{private}{clock}")
}

/// A signal set: `[INT TERM]`, or, when more than half of the 64 signals
/// are in it, what is not: `~[RTMIN RT_1]` (`~[]`: all of them).
pub(crate) fn sigset(v: u64) -> String {
    let (v, prefix) = if v.count_ones() > 32 { (!v, "~") } else { (v, "") };
    let names: Vec<String> = (1..=64).filter(|s| v & (1u64 << (s - 1)) != 0).map(signal_short_name).collect();
    format!("{prefix}[{}]", names.join(" "))
}

/// send/recv flags: `MSG_NOSIGNAL|MSG_DONTWAIT`, `0`.
pub(crate) fn msg_flags(v: u64) -> String {
    flags(v & 0xffff_ffff, &crate::abi::names::MSG_FLAGS, "0")
}

/// clone's flags word: the flags, then the exit signal in the low byte
/// (`CLONE_VM|CLONE_VFORK|SIGCHLD`).
pub(crate) fn clone_flags(v: u64) -> String {
    let signal = (v & 0xff) as i32;
    let mut text = flags(v & !0xff, &crate::abi::names::CLONE_FLAGS, "");
    if signal != 0 {
        if !text.is_empty() {
            text.push('|');
        }
        text.push_str(&crate::abi::names::signal_strace_name(signal));
    }
    if text.is_empty() {
        text.push('0');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{clone_flags, futex_op, mount_flags, msg_flags, sigset, umount_flags};

    #[test]
    fn mount_flags_by_name() {
        assert_eq!(mount_flags(0), "0");
        assert_eq!(mount_flags(0x1021), "MS_RDONLY|MS_REMOUNT|MS_BIND");
        assert_eq!(mount_flags(0xc0ed_0000), "MS_MGC_VAL");
        assert_eq!(mount_flags(0xc0ed_0008), "MS_MGC_VAL|MS_NOEXEC");
        assert_eq!(umount_flags(2), "MNT_DETACH");
        assert_eq!(umount_flags(0x109), "MNT_FORCE|UMOUNT_NOFOLLOW|0x100");
    }

    #[test]
    fn futex_ops_by_name() {
        assert_eq!(futex_op(0x80), "FUTEX_WAIT_PRIVATE");
        assert_eq!(futex_op(6), "FUTEX_LOCK_PI");
        assert_eq!(futex_op(7 | 0x80), "FUTEX_UNLOCK_PI_PRIVATE");
        assert_eq!(futex_op(13 | 0x100), "FUTEX_LOCK_PI2|FUTEX_CLOCK_REALTIME");
        assert_eq!(futex_op(11 | 0x180), "FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME");
        assert_eq!(futex_op(12), "FUTEX_CMP_REQUEUE_PI");
        assert_eq!(futex_op(99), "0x63 /* FUTEX_??? */");
    }

    #[test]
    fn sets_and_flags_as_strace_writes_them() {
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset((1 << 1) | (1 << 14)), "[INT TERM]");
        assert_eq!(sigset(!((1 << 31) | (1 << 32))), "~[RTMIN RT_1]");
        assert_eq!(sigset(u64::MAX), "~[]");
        assert_eq!(clone_flags(0x4111), "CLONE_VM|CLONE_VFORK|SIGCHLD");
        assert_eq!(clone_flags(0), "0");
        assert_eq!(msg_flags(0x4040), "MSG_DONTWAIT|MSG_NOSIGNAL");
        assert_eq!(msg_flags(0), "0");
    }
}
