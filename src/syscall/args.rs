//! Typed syscall arguments. The syscall table declares each parameter
//! with one of these types; the table's macro turns the register into it
//! before the handler runs, and `--trace` shows it by the same type's
//! `SHOW`, so handling and decoding cannot disagree.
//!
//! The kernel looks only at the low 32 bits of an `int` argument, so the
//! 32-bit types drop the upper half of their register, as Linux does.

use super::table::Arg;
use std::marker::PhantomData;

/// A value the table's macro makes from a syscall register.
pub(crate) trait SyscallArg: Copy {
    /// How `--trace` shows it.
    const SHOW: Arg;
    fn from_reg(reg: u64) -> Self;
}

impl SyscallArg for i32 {
    const SHOW: Arg = Arg::Int;
    fn from_reg(reg: u64) -> Self {
        reg as u32 as i32
    }
}

impl SyscallArg for u32 {
    const SHOW: Arg = Arg::Int;
    fn from_reg(reg: u64) -> Self {
        reg as u32
    }
}

/// A 64-bit signed value (offsets, `long` arguments).
impl SyscallArg for i64 {
    const SHOW: Arg = Arg::Int;
    fn from_reg(reg: u64) -> Self {
        reg as i64
    }
}

/// A 64-bit value shown in hex (an `unsigned long` argument, a cookie).
impl SyscallArg for u64 {
    const SHOW: Arg = Arg::Hex;
    fn from_reg(reg: u64) -> Self {
        reg
    }
}

/// A length or count (`size_t`).
impl SyscallArg for usize {
    const SHOW: Arg = Arg::Len;
    fn from_reg(reg: u64) -> Self {
        reg as usize
    }
}

/// Defines a newtype over an integer with its trace kind.
macro_rules! arg_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty) as $show:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) struct $name(pub $inner);

        impl SyscallArg for $name {
            const SHOW: Arg = Arg::$show;
            fn from_reg(reg: u64) -> Self {
                $name(reg as $inner)
            }
        }
    };
}

arg_newtype!(
    /// A descriptor; `AT_FDCWD` (-100) where a directory is expected.
    Fd(i32) as Fd
);
arg_newtype!(
    /// A process (or thread, or group) id.
    Pid(i32) as Int
);
arg_newtype!(
    /// A file mode (permission bits, maybe with a file type).
    Mode(u32) as Oct
);
arg_newtype!(
    /// Flags shown in hex (an `unsigned long` or `int` bit set).
    Flags(u64) as Flags
);
arg_newtype!(
    /// Flags in an `int` (the upper half of the register is not looked
    /// at), shown in hex.
    IntFlags(u32) as Flags
);
arg_newtype!(
    /// `O_*` flags.
    OpenFlags(u32) as OpenFlags
);
arg_newtype!(
    /// `AT_*` flags.
    AtFlags(u32) as AtFlags
);
arg_newtype!(
    /// `PROT_*` flags.
    Prot(u32) as Prot
);
arg_newtype!(
    /// `MAP_*` flags.
    MapFlags(u32) as MapFlags
);
arg_newtype!(
    /// A signal number.
    Signal(i32) as Signal
);
arg_newtype!(
    /// A socket's address family (`AF_*`).
    SockDomain(i32) as SockDomain
);
arg_newtype!(
    /// A socket type with its `SOCK_NONBLOCK`/`SOCK_CLOEXEC` flags.
    SockType(i32) as SockType
);
arg_newtype!(
    /// A SysV IPC key (`key_t`, an int), shown in hex.
    IpcKey(i32) as Hex
);
arg_newtype!(
    /// mount(2) flags (`MS_*`, an `unsigned long`).
    MountFlags(u64) as MountFlags
);
arg_newtype!(
    /// umount2(2) flags (`MNT_*`, `UMOUNT_NOFOLLOW`).
    UmountFlags(u32) as UmountFlags
);
arg_newtype!(
    /// A futex(2) operation (`FUTEX_*`, with the private and clock flags).
    FutexOp(u32) as FutexOp
);
arg_newtype!(
    /// `PROT_*` flags in an `unsigned long` (mprotect: Linux rejects
    /// unknown bits in all 64).
    ProtLong(u64) as Prot
);

/// A guest address of something the kernel reads or writes; `T` says what
/// (and so how `--trace` shows it).
pub(crate) struct UserPtr<T> {
    addr: u64,
    _points_to: PhantomData<fn() -> T>,
}

impl<T> UserPtr<T> {
    pub(crate) fn new(addr: u64) -> Self {
        UserPtr { addr, _points_to: PhantomData }
    }

    pub(crate) fn addr(self) -> u64 {
        self.addr
    }

    pub(crate) fn is_null(self) -> bool {
        self.addr == 0
    }
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T> std::fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.addr)
    }
}

/// How `--trace` shows a pointer to `Self`.
pub(crate) trait Pointee {
    const SHOW: Arg;
}

impl<T: Pointee> SyscallArg for UserPtr<T> {
    const SHOW: Arg = T::SHOW;
    fn from_reg(reg: u64) -> Self {
        UserPtr::new(reg)
    }
}

/// Declares marker types that say what a pointer points to, for the
/// pointers `--trace` shows by their contents.
macro_rules! pointees {
    ($($(#[$doc:meta])* $name:ident => $show:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub(crate) enum $name {}

            impl Pointee for $name {
                const SHOW: Arg = Arg::$show;
            }
        )*
    };
}

pointees! {
    /// Memory the kernel only passes on or that nothing decodes.
    Opaque => Ptr;
    /// A NUL-terminated string (a path, a name).
    CStr => Str;
    /// Bytes the caller passes in; the next argument is the length.
    InBytes => InBuf;
    /// Bytes the kernel fills in; the return value is how many.
    OutBytes => OutBuf;
    /// Like `OutBytes`, with the terminating NUL counted (getcwd).
    OutCStr => OutBufNul;
    /// argv: a NULL-terminated array of strings.
    Argv => StrArray;
    /// envp: shown as how many variables.
    Envp => EnvArray;
    /// A `struct stat` the kernel fills in.
    StatBuf => Stat;
    /// A `struct timespec` the caller passes in (a timeout).
    TimespecIn => TimespecIn;
    /// A `struct timespec` the kernel fills in.
    TimespecOut => Timespec;
    /// A `struct sigaction` the caller passes in.
    SigactionIn => SigactionIn;
    /// A `struct sigaction` the kernel fills in.
    SigactionOut => Sigaction;
    /// A signal set the caller passes in.
    SigSetIn => SigSetIn;
    /// A signal set the kernel fills in.
    SigSetOut => SigSetPtr;
    /// An iovec array the kernel reads from (writev); the next argument is
    /// the count.
    IovecIn => IovecIn;
    /// An iovec array the kernel fills (readv).
    IovecOut => Iovec;
    /// `int[2]` for pipe(2) and socketpair(2).
    PipeFds => PipeFds;
    /// A socket address the caller passes in; the next argument is its
    /// length.
    SockAddrIn => SockAddr;
    /// A socket address the kernel fills in; the next argument points to
    /// its length.
    SockAddrOut => SockAddrOut;
    /// A `socklen_t` in and out (an address's or an option's length).
    SockLen => SockLen;
    /// A `struct epoll_event` the caller passes in (epoll_ctl).
    EpollEventIn => EpollEvent;
    /// `struct epoll_event`s the kernel fills in; the return value is how
    /// many.
    EpollEventsOut => EpollEvents;
    /// A `struct itimerspec` the caller passes in.
    ItimerspecIn => ItimerspecIn;
    /// A `struct itimerspec` the kernel fills in.
    ItimerspecOut => Itimerspec;
}

/// The argument registers of a syscall, in order.
pub(crate) type Args = [u64; 6];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_take_the_low_half_of_their_register() {
        assert_eq!(i32::from_reg(0xffff_ffff_0000_0005), 5);
        assert_eq!(i32::from_reg(0x0000_0000_ffff_ffff), -1);
        assert_eq!(Fd::from_reg(0x1_0000_0003), Fd(3));
        assert_eq!(Signal::from_reg(0xdead_0000_0000_000a), Signal(10));
        assert_eq!(i64::from_reg(u64::MAX), -1);
        assert_eq!(<UserPtr<CStr>>::from_reg(0x1234).addr(), 0x1234);
        assert_eq!(<UserPtr<CStr> as SyscallArg>::SHOW, Arg::Str);
    }
}
