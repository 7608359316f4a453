//! reboot(2)'s magic numbers and commands (<linux/reboot.h>).

pub const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
/// Any of these is the second magic number.
pub const LINUX_REBOOT_MAGIC2: u32 = 672_274_793;
pub const LINUX_REBOOT_MAGIC2A: u32 = 85_072_278;
pub const LINUX_REBOOT_MAGIC2B: u32 = 369_367_448;
pub const LINUX_REBOOT_MAGIC2C: u32 = 537_993_216;

pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0x0000_0000;
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
pub const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;
pub const LINUX_REBOOT_CMD_SW_SUSPEND: u32 = 0xd000_fce2;
pub const LINUX_REBOOT_CMD_KEXEC: u32 = 0x4558_4543;
