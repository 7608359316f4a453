//! getrandom's flags (<linux/random.h>).
//!
//! Linux's are an `unsigned int`: `u32`.

pub const GRND_NONBLOCK: u32 = 0x0001;
pub const GRND_RANDOM: u32 = 0x0002;
pub const GRND_INSECURE: u32 = 0x0004;
