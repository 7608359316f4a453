//! Limits of execve (<linux/binfmts.h>).

/// The most argv + envp strings execve takes.
pub const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// How much of a file execve reads to recognise it: a `#!` line longer
/// than this is cut.
pub const BINPRM_BUF_SIZE: usize = 256;
/// How many interpreters (`#!`) may chain.
pub const BINPRM_MAX_RECURSION: usize = 4;
