/* The memory syscalls at the edges of their arguments: lengths of 0, near
 * 2^64 (~0, ~0xfff, values that wrap to 0 when rounded up to a page), 2^63
 * and 2^47; ranges whose end wraps past 2^64; unaligned addresses;
 * addresses at and above TASK_SIZE (0x7ffffffff000 with 4-level paging:
 * nothing can be mapped there); file offsets whose end lies past
 * MAX_LFS_FILESIZE (EOVERFLOW). Each call's answer is Linux's exact one,
 * checked here and printed one line per call; natively and under nommu the
 * output must be the same.
 *
 * Calls that could change memory only ever name memory this program
 * mapped itself, with holes around it (no-MMU: one arena holds the
 * program's own code too). At the end every such mapping must still hold
 * its pattern: a call that fails must not have dropped or zeroed anything.
 *
 * With the argument --no-mlock the mlock family is left out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

#define PG 4096UL
/* TASK_SIZE on x86-64 with 4-level paging: the first address no mapping
 * may reach; the page there is always unmapped. */
#define TOP 0x7ffffffff000UL
#define BIT47 (1UL << 47)
#define BIT63 (1UL << 63)
/* The last page below 2^64: any length of a page or more wraps from it. */
#define LAST_PAGE 0xfffffffffffff000UL
/* Lengths that round up to 0 (wrap) when page-aligned. */
#define WRAPS_TO_0 0xfffffffffffff001UL
#define ALL_ONES (~0UL)
/* The greatest file offset a regular file has (MAX_LFS_FILESIZE, 2^63-1),
 * rounded down to a page. */
#define OFF_MAX_PAGE 0x7ffffffffffff000UL

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef SYS_mlock2
#define SYS_mlock2 325
#endif

/* The raw system calls: libc wrappers may check or round arguments
 * themselves (glibc's mremap, musl's mmap offset check). */
static long sys_mmap(unsigned long a, unsigned long l, long prot, long flags, long fd, unsigned long off)
{
    return syscall(SYS_mmap, a, l, prot, flags, fd, off);
}
static long sys_munmap(unsigned long a, unsigned long l) { return syscall(SYS_munmap, a, l); }
static long sys_mprotect(unsigned long a, unsigned long l, unsigned long prot)
{
    return syscall(SYS_mprotect, a, l, prot);
}
static long sys_madvise(unsigned long a, unsigned long l, long advice) { return syscall(SYS_madvise, a, l, advice); }
static long sys_msync(unsigned long a, unsigned long l, long flags) { return syscall(SYS_msync, a, l, flags); }
static long sys_mremap(unsigned long a, unsigned long ol, unsigned long nl, unsigned long flags, unsigned long na)
{
    return syscall(SYS_mremap, a, ol, nl, flags, na);
}
static long sys_brk(unsigned long a) { return syscall(SYS_brk, a); }
static long sys_mlock(unsigned long a, unsigned long l) { return syscall(SYS_mlock, a, l); }
static long sys_munlock(unsigned long a, unsigned long l) { return syscall(SYS_munlock, a, l); }
static long sys_mlock2(unsigned long a, unsigned long l, long flags) { return syscall(SYS_mlock2, a, l, flags); }

/* A call that returns an address: "= want" when it returned `want`,
 * "= address" for any other address (expected when want is 0). */
static long check_addr(const char *what, long r, int e, unsigned long want, const char *want_name)
{
    if (r == -1)
        printf("%s = -1 %s\nFAIL %s: expected an address\n", what, ename(e), what);
    else if (want && (unsigned long)r == want)
        printf("%s = %s\n", what, want_name);
    else if (want)
        printf("%s = another address\nFAIL %s: expected %s\n", what, what, want_name);
    else
        printf("%s = address\n", what);
    failures += r == -1 || (want && (unsigned long)r != want);
    fflush(stdout);
    return r;
}
#define ADDR(expr, want) \
    ({ errno = 0; long r_ = (long)(expr); int e_ = errno; check_addr(#expr, r_, e_, (unsigned long)(want), #want); })
/* A fresh mapping of `len` bytes anywhere: checked, then unmapped. */
#define NEWMAP(expr, len)                                \
    ({                                                   \
        errno = 0;                                       \
        long r_ = (long)(expr);                          \
        int e_ = errno;                                  \
        check_addr(#expr, r_, e_, 0, "");                \
        if (r_ != -1)                                    \
            munmap((void *)r_, (len));                   \
    })

/* A result that depends on the caller's privilege (CAP_IPC_LOCK, the
 * RLIMIT_MEMLOCK budget): printed, not checked. */
#define SHOW(expr)                                                          \
    ({                                                                      \
        errno = 0;                                                          \
        long r_ = (long)(expr);                                             \
        if (r_ == -1)                                                       \
            printf("%s = -1 %s\n", #expr, ename(errno));                    \
        else                                                                \
            printf("%s = %ld\n", #expr, r_);                                \
        fflush(stdout);                                                     \
    })

static void fill(unsigned long addr, unsigned long len, int seed)
{
    /* Letters only: no byte pair here looks like a syscall instruction. */
    for (unsigned long i = 0; i < len; i++)
        ((char *)addr)[i] = 'a' + (i / 7 + seed) % 26;
}

static int intact(unsigned long addr, unsigned long len, int seed)
{
    for (unsigned long i = 0; i < len; i++)
        if (((char *)addr)[i] != 'a' + (i / 7 + seed) % 26)
            return 0;
    return 1;
}

/* `pages` pages with an unmapped page on either side. */
static unsigned long map_with_holes(unsigned long pages)
{
    char *r = mmap(NULL, (pages + 2) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        _exit(2);
    }
    munmap(r, PG);
    munmap(r + (pages + 1) * PG, PG);
    return (unsigned long)r + PG;
}

int main(int argc, char **argv)
{
    int with_mlock = !(argc > 1 && strcmp(argv[1], "--no-mlock") == 0);
    printf("mm_edges\n");
    fflush(stdout);
    int fd = open(argv[0], O_RDONLY);
    if (fd < 0) {
        perror(argv[0]);
        return 2;
    }

    /* p: four pages of pattern, holes around them. */
    unsigned long p = map_with_holes(4);
    fill(p, 4 * PG, 1);

    /* Ranges that do not wrap but run past the end of p's mapping into
     * the hole after it: Linux works through the mappings up to the hole
     * (nothing to change here) and answers ENOMEM. */
    ERR(sys_mprotect(p, BIT63, PROT_READ | PROT_WRITE), ENOMEM);
    ERR(sys_madvise(p, BIT63, MADV_NORMAL), ENOMEM);
    ERR(sys_msync(p, BIT63, MS_SYNC), ENOMEM);
    ERR(sys_msync(p, 5 * PG, MS_ASYNC), ENOMEM);
    ERR(sys_mprotect(p, 5 * PG, PROT_READ | PROT_WRITE), ENOMEM);

    printf("-- mmap\n");
    ERR(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    ERR(sys_mmap(0, ALL_ONES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, WRAPS_TO_0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, LAST_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, BIT63, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, BIT47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, TOP + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1), EINVAL);
    ERR(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, ALL_ONES), EINVAL);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    ERR(sys_mmap(0, 0, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    ERR(sys_mmap(0, ALL_ONES, PROT_READ, MAP_ANONYMOUS, -1, 0), ENOMEM);
    ERR(sys_mmap(0, PG, PROT_READ, 0x0f | MAP_ANONYMOUS, -1, 0), EINVAL);
    ERR(sys_mmap(0, PG, PROT_READ, 0x04 | MAP_ANONYMOUS, -1, 0), EINVAL);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    /* MAP_DROPPABLE (0x08, Linux 6.11) cannot be locked; before 6.11 it is
     * an unknown type: EINVAL either way. */
    ERR(sys_mmap(0, PG, PROT_READ, 0x08 | MAP_ANONYMOUS | MAP_LOCKED, -1, 0), EINVAL);
    /* Fixed addresses: the range must end at or below TASK_SIZE (ENOMEM),
     * checked before the alignment (EINVAL). */
    ERR(sys_mmap(LAST_PAGE, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    /* An address in the last 4095 bytes comes back as it is, which reads
     * as -errno (Linux's get_unmapped_area takes it for an error). */
    ERR(sys_mmap(LAST_PAGE + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), 4095);
    ERR(sys_mmap(ALL_ONES, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EPERM);
    ERR(sys_mmap(ALL_ONES - 12, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EACCES);
    ERR(sys_mmap(ALL_ONES, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    ERR(sys_mmap(ALL_ONES, LAST_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(BIT47, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(TOP, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(TOP - PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(BIT63, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(p, BIT63, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(p, LAST_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    ERR(sys_mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    ERR(sys_mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    ERR(sys_mmap(LAST_PAGE, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), ENOMEM);
    ERR(sys_mmap(p, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    /* A hint is only a hint, whatever it is. */
    NEWMAP(sys_mmap(LAST_PAGE, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PG);
    NEWMAP(sys_mmap(TOP, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PG);
    NEWMAP(sys_mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PG);
    /* Anonymous memory ignores the offset (only its alignment counts). */
    NEWMAP(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, LAST_PAGE), PG);
    NEWMAP(sys_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, LAST_PAGE), PG);

    printf("-- mmap of a file\n");
    ERR(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
    ERR(sys_mmap(0, ALL_ONES, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
    ERR(sys_mmap(0, PG, PROT_READ, 0, -1, 0), EBADF);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, -1, 1), EINVAL);
    ERR(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
    ERR(sys_mmap(0, ALL_ONES, PROT_READ, MAP_PRIVATE, fd, 0), ENOMEM);
    ERR(sys_mmap(0, BIT63, PROT_READ, MAP_PRIVATE, fd, OFF_MAX_PAGE), ENOMEM);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, ALL_ONES), EINVAL);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, LAST_PAGE), EOVERFLOW);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, BIT63), EOVERFLOW);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, OFF_MAX_PAGE), EOVERFLOW);
    ERR(sys_mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, OFF_MAX_PAGE - PG), EOVERFLOW);
    ERR(sys_mmap(0, PG, PROT_READ, MAP_SHARED, fd, OFF_MAX_PAGE), EOVERFLOW);
    ERR(sys_mmap(0, PG, PROT_READ, 0, fd, 0), EINVAL);
    ERR(sys_mmap(0, PG, PROT_READ, 0, fd, LAST_PAGE), EOVERFLOW);
    /* The last page a file can have: past EOF, but a valid mapping. */
    NEWMAP(sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, OFF_MAX_PAGE - PG), PG);

    printf("-- munmap\n");
    ERR(sys_munmap(p, 0), EINVAL);
    ERR(sys_munmap(p + 1, PG), EINVAL);
    ERR(sys_munmap(p + 1, 0), EINVAL);
    ERR(sys_munmap(p, ALL_ONES), EINVAL);
    ERR(sys_munmap(p, WRAPS_TO_0), EINVAL);
    ERR(sys_munmap(p, LAST_PAGE), EINVAL);
    ERR(sys_munmap(p, BIT63), EINVAL);
    ERR(sys_munmap(p, BIT47), EINVAL);
    ERR(sys_munmap(p, TOP - p + 1), EINVAL);
    ERR(sys_munmap(LAST_PAGE, PG), EINVAL);
    ERR(sys_munmap(LAST_PAGE, 0), EINVAL);
    ERR(sys_munmap(BIT47, PG), EINVAL);
    ERR(sys_munmap(BIT63, PG), EINVAL);
    ERR(sys_munmap(TOP, PG), EINVAL);
    ERR(sys_munmap(TOP, 0), EINVAL);
    ERR(sys_munmap(TOP - PG, PG + 1), EINVAL);

    printf("-- mprotect\n");
    OK(sys_mprotect(p, 0, PROT_READ | PROT_WRITE));
    OK(sys_mprotect(p, 0, 0x10));
    OK(sys_mprotect(LAST_PAGE, 0, PROT_READ));
    ERR(sys_mprotect(p + 1, 0, PROT_READ | PROT_WRITE), EINVAL);
    ERR(sys_mprotect(p + 1, PG, PROT_READ | PROT_WRITE), EINVAL);
    ERR(sys_mprotect(p, PG, 0x10), EINVAL);
    ERR(sys_mprotect(p, PG, 0x04000000), EINVAL);
    ERR(sys_mprotect(p, PG, 0x100000003), EINVAL);
    ERR(sys_mprotect(p, PG, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ), EINVAL);
    ERR(sys_mprotect(p, 0, PROT_GROWSDOWN | PROT_GROWSUP), EINVAL);
    ERR(sys_mprotect(p, PG, PROT_GROWSUP | PROT_READ | PROT_WRITE), EINVAL);
    ERR(sys_mprotect(p, PG, PROT_GROWSDOWN | PROT_READ | PROT_WRITE), EINVAL);
    ERR(sys_mprotect(p, ALL_ONES, PROT_READ | PROT_WRITE), ENOMEM);
    ERR(sys_mprotect(p, WRAPS_TO_0, PROT_READ | PROT_WRITE), ENOMEM);
    ERR(sys_mprotect(p, LAST_PAGE, PROT_READ | PROT_WRITE), ENOMEM);
    ERR(sys_mprotect(p, ALL_ONES, 0x10), ENOMEM);
    ERR(sys_mprotect(LAST_PAGE, PG, PROT_READ), ENOMEM);
    ERR(sys_mprotect(TOP, PG, PROT_READ), ENOMEM);
    ERR(sys_mprotect(BIT47, PG, PROT_READ), ENOMEM);
    ERR(sys_mprotect(TOP, BIT63, PROT_READ), ENOMEM);
    ERR(sys_mprotect(TOP, PG, 0x10), EINVAL);
    OK(sys_mprotect(p, 4 * PG, PROT_READ | PROT_WRITE));
    OK(sys_mprotect(p, 4 * PG - 1, PROT_READ | PROT_WRITE));

    printf("-- madvise\n");
    OK(sys_madvise(p, 0, MADV_DONTNEED));
    OK(sys_madvise(LAST_PAGE, 0, MADV_NORMAL));
    OK(sys_madvise(TOP, 0, MADV_NORMAL));
    ERR(sys_madvise(p + 1, 0, MADV_NORMAL), EINVAL);
    ERR(sys_madvise(p + 1, PG, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(p, PG, 5), EINVAL);
    ERR(sys_madvise(p, 0, 5), EINVAL);
    ERR(sys_madvise(p, PG, -1), EINVAL);
    ERR(sys_madvise(p, PG, 1000), EINVAL);
    ERR(sys_madvise(p, LAST_PAGE, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(p, ALL_ONES, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(p, WRAPS_TO_0, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(p, -p, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(p, LAST_PAGE, MADV_FREE), EINVAL);
    ERR(sys_madvise(p, ALL_ONES, MADV_NORMAL), EINVAL);
    ERR(sys_madvise(LAST_PAGE, PG, MADV_NORMAL), EINVAL);
    ERR(sys_madvise(LAST_PAGE, 1, MADV_DONTNEED), EINVAL);
    ERR(sys_madvise(TOP, PG, MADV_NORMAL), ENOMEM);
    ERR(sys_madvise(TOP, PG, MADV_DONTNEED), ENOMEM);
    ERR(sys_madvise(BIT47, PG, MADV_WILLNEED), ENOMEM);
    ERR(sys_madvise(BIT63, PG, MADV_DONTNEED), ENOMEM);
    OK(sys_madvise(p, 4 * PG, MADV_NORMAL));
    OK(sys_madvise(p, 4 * PG - 1, MADV_WILLNEED));
    /* The advice is an int: the upper half of the register is ignored. */
    OK(sys_madvise(p, PG, 0x100000000L | MADV_NORMAL));

    printf("-- msync\n");
    OK(sys_msync(p, 0, MS_SYNC));
    OK(sys_msync(p, PG, MS_SYNC));
    OK(sys_msync(p, PG, 0));
    OK(sys_msync(p, 4 * PG - 1, MS_ASYNC | MS_INVALIDATE));
    OK(sys_msync(p, PG, 0x100000000L | MS_SYNC));
    /* A length that wraps to 0 when rounded up is no length at all. */
    OK(sys_msync(p, ALL_ONES, MS_SYNC));
    OK(sys_msync(p, WRAPS_TO_0, MS_SYNC));
    OK(sys_msync(LAST_PAGE, ALL_ONES, MS_SYNC));
    ERR(sys_msync(p + 1, PG, MS_SYNC), EINVAL);
    ERR(sys_msync(p + 1, 0, MS_SYNC), EINVAL);
    ERR(sys_msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL);
    ERR(sys_msync(p, PG, 8), EINVAL);
    ERR(sys_msync(p, 0, 8), EINVAL);
    ERR(sys_msync(p, LAST_PAGE, MS_SYNC), ENOMEM);
    ERR(sys_msync(LAST_PAGE, PG, MS_SYNC), ENOMEM);
    ERR(sys_msync(TOP, PG, MS_ASYNC), ENOMEM);
    ERR(sys_msync(BIT47, PG, MS_SYNC), ENOMEM);

    printf("-- mremap\n");
    /* m: two pages, holes around them. */
    unsigned long m = map_with_holes(2);
    fill(m, 2 * PG, 2);
    ERR(sys_mremap(m, PG, 0, 0, 0), EINVAL);
    ERR(sys_mremap(m, PG, ALL_ONES, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, PG, WRAPS_TO_0, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, PG, LAST_PAGE, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, PG, BIT63, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, PG, BIT47, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, PG, TOP + 1, 0, 0), EINVAL);
    ERR(sys_mremap(m + 1, PG, PG, 0, 0), EINVAL);
    ERR(sys_mremap(m, PG, PG, 8, 0), EINVAL);
    ERR(sys_mremap(m, PG, PG, MREMAP_FIXED, LAST_PAGE), EINVAL);
    ERR(sys_mremap(m, PG, PG, MREMAP_FIXED | MREMAP_MAYMOVE, LAST_PAGE), EINVAL);
    ERR(sys_mremap(m, PG, PG, MREMAP_FIXED | MREMAP_MAYMOVE, TOP), EINVAL);
    ERR(sys_mremap(m, PG, PG, MREMAP_FIXED | MREMAP_MAYMOVE, m + 1), EINVAL);
    ERR(sys_mremap(m, PG, 2 * PG, MREMAP_DONTUNMAP | MREMAP_MAYMOVE, 0), EINVAL);
    /* Shrinking unmaps [old + new_len, old + old_len) like munmap would:
     * an old length that runs off the end of the address space is
     * EINVAL, and nothing is unmapped. */
    ERR(sys_mremap(m, LAST_PAGE, PG, 0, 0), EINVAL);
    ERR(sys_mremap(m, BIT63, PG, 0, 0), EINVAL);
    ERR(sys_mremap(m, TOP, PG, MREMAP_MAYMOVE, 0), EINVAL);
    /* An old length that rounds to 0 asks to duplicate a private mapping. */
    ERR(sys_mremap(m, ALL_ONES, PG, MREMAP_MAYMOVE, 0), EINVAL);
    ERR(sys_mremap(m, 0, PG, MREMAP_MAYMOVE, 0), EINVAL);
    /* Nothing mapped there. */
    ERR(sys_mremap(LAST_PAGE, PG, PG, 0, 0), EFAULT);
    ERR(sys_mremap(LAST_PAGE, PG, 2 * PG, MREMAP_MAYMOVE, 0), EFAULT);
    ERR(sys_mremap(TOP, PG, 2 * PG, MREMAP_MAYMOVE, 0), EFAULT);
    ERR(sys_mremap(TOP, 0, PG, MREMAP_MAYMOVE, 0), EFAULT);
    ERR(sys_mremap(m - PG, PG, 2 * PG, MREMAP_MAYMOVE, 0), EFAULT);
    /* Growing needs the old range inside one mapping. */
    ERR(sys_mremap(m, 3 * PG, 4 * PG, MREMAP_MAYMOVE, 0), EFAULT);
    ERR(sys_mremap(m + PG, 2 * PG, 3 * PG, MREMAP_MAYMOVE, 0), EFAULT);
    ERR(sys_mremap(m, 2 * PG, TOP, 0, 0), ENOMEM);
    /* Same size: nothing to do, however far the old range reaches. */
    ADDR(sys_mremap(m, PG, PG, 0, 0), m);
    ADDR(sys_mremap(m, 0x10000, 0x10000, 0, 0), m);
    ADDR(sys_mremap(m, PG - 1, 1, 0, 0), m);
    check("m still holds its pattern", intact(m, 2 * PG, 2));
    /* Shrinking may run past the mapping: the rest is unmapped, as by
     * munmap (here: m's second page and the hole after it). */
    ADDR(sys_mremap(m, 3 * PG, PG, 0, 0), m);
    check("m's first page still holds its pattern", intact(m, PG, 2));
    ERR(sys_madvise(m, 2 * PG, MADV_NORMAL), ENOMEM);
    ERR(sys_mremap(m + PG, PG, PG, 0, 0), EFAULT);
    OK(sys_munmap(m, PG));

    printf("-- brk\n");
    long cur = sys_brk(0);
    T(sys_brk(ALL_ONES) == cur, 1, 0);
    T(sys_brk(LAST_PAGE) == cur, 1, 0);
    T(sys_brk(WRAPS_TO_0) == cur, 1, 0);
    T(sys_brk(BIT63) == cur, 1, 0);
    T(sys_brk(BIT47) == cur, 1, 0);
    T(sys_brk(TOP) == cur, 1, 0);
    T(sys_brk(1) == cur, 1, 0);
    T(sys_brk(0) == cur, 1, 0);

    if (with_mlock) {
        printf("-- mlock\n");
        OK(sys_mlock(p, 0));
        OK(sys_munlock(p, 0));
        OK(sys_mlock(p + 1, PG - 1));
        OK(sys_munlock(p + 1, PG - 1));
        OK(sys_mlock(p + PG - 1, 2));
        OK(sys_munlock(p + PG - 1, 2));
        /* Rounded up to a page, these wrap to 0. */
        OK(sys_mlock(p, ALL_ONES));
        OK(sys_mlock(p + 1, ALL_ONES));
        OK(sys_mlock(p + 1, LAST_PAGE));
        OK(sys_munlock(p, ALL_ONES));
        OK(sys_munlock(p + 1, ALL_ONES));
        ERR(sys_munlock(p, LAST_PAGE), EINVAL);
        ERR(sys_munlock(LAST_PAGE, PG), EINVAL);
        ERR(sys_munlock(LAST_PAGE + 1, 1), EINVAL);
        ERR(sys_munlock(TOP, PG), ENOMEM);
        ERR(sys_munlock(p, BIT63), ENOMEM);
        ERR(sys_munlock(p, 5 * PG), ENOMEM);
        ERR(sys_mlock(LAST_PAGE, PG), EINVAL);
        ERR(sys_mlock(TOP, PG), ENOMEM);
        ERR(sys_mlock(BIT47, PG), ENOMEM);
        ERR(sys_mlock(p, 5 * PG), ENOMEM);
        OK(sys_munlock(p, 4 * PG));
        /* Past the RLIMIT_MEMLOCK budget unless privileged (ENOMEM then),
         * else checked like the rest (EINVAL: wraps; ENOMEM: a hole). */
        SHOW(sys_mlock(p, LAST_PAGE));
        SHOW(sys_mlock(p, BIT63));
        OK(sys_munlock(p, 4 * PG));
        ERR(sys_mlock2(p, PG, 2), EINVAL);
        ERR(sys_mlock2(p, PG, -1), EINVAL);
        ERR(sys_mlock2(LAST_PAGE, PG, 2), EINVAL);
        ERR(sys_mlock2(LAST_PAGE, PG, MLOCK_ONFAULT), EINVAL);
        OK(sys_mlock2(p, ALL_ONES, MLOCK_ONFAULT));
        OK(sys_mlock2(p, PG, MLOCK_ONFAULT));
        OK(sys_munlock(p, PG));
    }

    printf("-- afterwards\n");
    check("p still holds its pattern", intact(p, 4 * PG, 1));
    OK(sys_munmap(p, 4 * PG));
    close(fd);
    return finish("mm_edges");
}
