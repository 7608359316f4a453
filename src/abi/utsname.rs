//! The system's names as uname(2) gives them (<linux/utsname.h>; the
//! fixed ones from <linux/uts.h> and the build's <generated/compile.h>).

/// What the kernel calls itself and the machine (`UTS_SYSNAME`,
/// `UTS_MACHINE`; the machine is also AT_PLATFORM's string).
pub const UTS_SYSNAME: &[u8] = b"Linux";
pub const UTS_MACHINE: &[u8] = b"x86_64";

/// The longest name, without its NUL (`__NEW_UTS_LEN`).
pub const NEW_UTS_LEN: usize = 64;

/// `struct new_utsname`: six NUL-terminated names.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewUtsname {
    pub sysname: [u8; NEW_UTS_LEN + 1],
    pub nodename: [u8; NEW_UTS_LEN + 1],
    pub release: [u8; NEW_UTS_LEN + 1],
    pub version: [u8; NEW_UTS_LEN + 1],
    pub machine: [u8; NEW_UTS_LEN + 1],
    pub domainname: [u8; NEW_UTS_LEN + 1],
}

const _: () = assert!(std::mem::size_of::<NewUtsname>() == 390);
