//! The ioctl requests nommu answers (<asm-generic/ioctls.h>: terminals and
//! the generic `FIO*` ones), and the sizes of the structures they carry.
//!
//! ioctl's request is an `unsigned int`: `u32`.

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TCSBRK: u32 = 0x5409;
pub const TCXONC: u32 = 0x540A;
pub const TCFLSH: u32 = 0x540B;
pub const TIOCSCTTY: u32 = 0x540E;
pub const TIOCGPGRP: u32 = 0x540F;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCOUTQ: u32 = 0x5411;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const FIONREAD: u32 = 0x541B;
pub const FIONBIO: u32 = 0x5421;
pub const TIOCNOTTY: u32 = 0x5422;
pub const TIOCGSID: u32 = 0x5429;
pub const FIONCLEX: u32 = 0x5450;
pub const FIOCLEX: u32 = 0x5451;

/// sizeof(struct termios) as the kernel's TCGETS writes it
/// (<asm-generic/termbits.h>: four flag words, c_line, 19 c_cc), which is
/// smaller than a libc's `struct termios`.
/// Pseudo-terminal requests.
pub const TIOCPKT: u32 = 0x5420;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;
pub const TIOCSIG: u32 = 0x4004_5436;
pub const TIOCGPKT: u32 = 0x8004_5438;
pub const TIOCGPTLCK: u32 = 0x8004_5439;
pub const TIOCGPTPEER: u32 = 0x5441;
/// termios `c_lflag` bits nommu looks at (`<asm-generic/termbits.h>`).
pub const ISIG: u32 = 0o1;
pub const TOSTOP: u32 = 0o400;
pub const IEXTEN: u32 = 0o100000;
pub const TERMIOS_SIZE: usize = 36;
/// sizeof(struct winsize): four `unsigned short`s.
pub const WINSIZE_SIZE: usize = 8;
