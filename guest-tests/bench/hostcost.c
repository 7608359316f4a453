/* What one host call costs, in CPU time of the calling thread (ns/call),
 * with the conditions nommu's host process runs under switched on one by
 * one (BENCHMARKS.md, "issue 17 round 3, fileio"). Not a `make bench` row.
 *
 * Usage: hostcost MODE N CONFIG [PATH]
 *   MODE: getpid read1 write1 (1 byte, /dev/null)
 *         stat openclose (of PATH, default /etc/passwd, from AT_FDCWD)
 *         statnf   newfstatat(/etc, "passwd", AT_SYMLINK_NOFOLLOW)
 *         o2close  openat2(/etc, "passwd", NO_SYMLINKS|BENEATH) + close
 *         o2ns     openat2(/etc, "passwd", NO_SYMLINKS) + close
 *         sr       sendto + recvfrom of 1 byte on a unix socketpair
 *         srmsg    sendmsg + recvmsg of the same
 *   CONFIG: letters, or x for none:
 *         t  a second thread sleeps (the descriptor table is shared)
 *         u  the same thread, after unshare(CLONE_FILES)
 *         e  Syscall User Dispatch armed, the syscalls inside its exempt
 *            range (as nommu's own host calls are)
 * Run natively. Under `nommu run` with CONFIG x, getpid, read1, write1,
 * stat, openclose and sr measure nommu's whole path for the same call
 * (statnf and o2* are the host calls nommu makes itself: meant natively).
 * Every call is a raw `syscall`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#define OPENAT2 437
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08

static char selector = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */

/* A raw syscall with four arguments; the fifth and sixth are 0. */
static long sys4(long n, long a, long b, long c, long d)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = 0;
    register long r9 __asm__("r9") = 0;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *sleeper(void *unshared)
{
    if (unshared && unshare(CLONE_FILES) != 0)
        perror("unshare");
    pause();
    return NULL;
}

struct how {
    unsigned long long flags, mode, resolve;
};

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: hostcost MODE N CONFIG [PATH]\n");
        return 2;
    }
    const char *mode = argv[1], *cfg = argv[3];
    long n = atol(argv[2]);
    const char *path = argc > 4 ? argv[4] : "/etc/passwd";
    if (strchr(cfg, 't') || strchr(cfg, 'u')) {
        pthread_t t;
        pthread_create(&t, NULL, sleeper, strchr(cfg, 'u') ? (void *)1 : NULL);
        usleep(10000);
    }
    if (strchr(cfg, 'e')) {
        unsigned long start = (unsigned long)&sys4 & ~0xffffUL;
        if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, 0x100000, &selector) != 0)
            perror("PR_SET_SYSCALL_USER_DISPATCH");
    }
    int fd = open("/dev/null", O_RDWR);
    int dir = open("/etc", O_PATH | O_DIRECTORY);
    int sv[2];
    if (fd < 0 || dir < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    char b[8] = "x";
    struct stat st;
    struct iovec iov = { b, 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct how beneath = { O_RDONLY | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH };
    struct how nosym = { O_RDONLY | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS };
    double t0 = cpu_ns();
    for (long i = 0; i < n; i++) {
        if (!strcmp(mode, "getpid"))
            sys4(SYS_getpid, 0, 0, 0, 0);
        else if (!strcmp(mode, "read1"))
            sys4(SYS_read, fd, (long)b, 1, 0);
        else if (!strcmp(mode, "write1"))
            sys4(SYS_write, fd, (long)b, 1, 0);
        else if (!strcmp(mode, "stat"))
            sys4(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0);
        else if (!strcmp(mode, "statnf"))
            sys4(SYS_newfstatat, dir, (long)"passwd", (long)&st, AT_SYMLINK_NOFOLLOW);
        else if (!strcmp(mode, "openclose"))
            sys4(SYS_close, sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0), 0, 0, 0);
        else if (!strcmp(mode, "o2close"))
            sys4(SYS_close, sys4(OPENAT2, dir, (long)"passwd", (long)&beneath, sizeof beneath), 0, 0, 0);
        else if (!strcmp(mode, "o2ns"))
            sys4(SYS_close, sys4(OPENAT2, dir, (long)"passwd", (long)&nosym, sizeof nosym), 0, 0, 0);
        else if (!strcmp(mode, "onfclose"))
            sys4(SYS_close, sys4(SYS_openat, dir, (long)"passwd", O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0), 0, 0, 0);
        else if (!strcmp(mode, "sr")) {
            sys4(SYS_sendto, sv[0], (long)b, 1, 0);
            sys4(SYS_recvfrom, sv[1], (long)b, 1, 0);
        } else if (!strcmp(mode, "srmsg")) {
            sys4(SYS_sendmsg, sv[0], (long)&mh, 0, 0);
            sys4(SYS_recvmsg, sv[1], (long)&mh, 0, 0);
        } else {
            fprintf(stderr, "unknown mode %s\n", mode);
            return 2;
        }
    }
    printf("%s %s %.1f\n", mode, cfg, (cpu_ns() - t0) / n);
    return 0;
}
