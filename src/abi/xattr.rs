//! Extended attributes: setxattr's flags (<linux/xattr.h>) and the limits
//! on names and values (<linux/limits.h>).

/// setxattr's flags (an `int`).
pub const XATTR_CREATE: i32 = 0x1;
pub const XATTR_REPLACE: i32 = 0x2;

/// The longest name, without its NUL: longer ones are ERANGE.
pub const XATTR_NAME_MAX: usize = 255;
/// The largest value: larger ones are E2BIG.
pub const XATTR_SIZE_MAX: usize = 65536;
