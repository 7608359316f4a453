/*
 * syscalls: the first set of system calls, printing only facts that are
 * the same natively and under nommu (where pids are small and uid is 0):
 * ids, uname, clocks, getrandom, prlimit64, sched_getaffinity, anonymous
 * mmap/mremap/mprotect/madvise/munmap, brk, writev, rt_sigaction,
 * rt_sigprocmask and ioctl(TIOCGWINSZ).
 * Exit 0 when every check passes, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "yes" : "NO");
    if (!ok)
        failures++;
}

static void on_usr1(int sig) { (void)sig; }

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int main(void)
{
    /* ids */
    pid_t pid = getpid();
    check("getpid > 0", pid > 0);
    check("getppid >= 0", getppid() >= 0);
    check("gettid == getpid", syscall(SYS_gettid) == pid);
    uid_t u = getuid(), eu = geteuid();
    gid_t g = getgid(), eg = getegid();
    (void)u; (void)eu; (void)g; (void)eg;
    printf("uid is number: yes\n");

    /* uname */
    struct utsname un;
    int r = uname(&un);
    check("uname returns 0", r == 0);
    printf("uname sysname=%s machine=%s\n", un.sysname, un.machine);

    /* clocks */
    struct timespec prev, cur;
    int mono_ok = clock_gettime(CLOCK_MONOTONIC, &prev) == 0;
    for (int i = 0; i < 1000 && mono_ok; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &cur) != 0 || ns(&cur) < ns(&prev) ||
            cur.tv_nsec < 0 || cur.tv_nsec >= 1000000000)
            mono_ok = 0;
        prev = cur;
    }
    check("CLOCK_MONOTONIC non-decreasing over 1000 calls", mono_ok);

    struct timeval tv;
    struct timespec rt;
    int t1 = gettimeofday(&tv, NULL);
    int t2 = clock_gettime(CLOCK_REALTIME, &rt);
    int64_t diff = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000 - ns(&rt);
    check("gettimeofday ~ CLOCK_REALTIME (1 s)",
          t1 == 0 && t2 == 0 && diff < 1000000000 && diff > -1000000000 &&
          tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    check("realtime is after 2020", rt.tv_sec > 1577836800);

    /* getrandom */
    unsigned char rnd[32] = { 0 };
    ssize_t n = getrandom(rnd, sizeof rnd, 0);
    printf("getrandom(32) = %zd\n", n);
    int rnz = 0;
    for (int i = 0; i < 32; i++)
        rnz |= rnd[i];
    check("getrandom bytes nonzero", n == 32 && rnz);

    /* prlimit64 */
    struct rlimit old = { 0, 0 };
    long lr = syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &old);
    check("prlimit64(0, RLIMIT_STACK, NULL, &old) == 0", lr == 0);
    check("stack limit cur <= max", old.rlim_cur <= old.rlim_max && old.rlim_cur > 0);

    /* sched_getaffinity (raw: returns the kernel's mask size in bytes) */
    cpu_set_t set;
    CPU_ZERO(&set);
    long ar = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    check("sched_getaffinity returns > 0 bytes", ar > 0);
    check("at least one CPU in affinity", CPU_COUNT(&set) >= 1);

    /* anonymous mmap, mremap, mprotect, madvise, munmap */
    size_t one = 1 << 20, four = 4 << 20;
    unsigned char *m = mmap(NULL, one, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap 1 MiB", m != MAP_FAILED);
    if (m == MAP_FAILED)
        return 1;
    check("mmap page aligned", ((uintptr_t)m & 4095) == 0);
    int zero = 1;
    for (size_t i = 0; i < one; i++)
        zero &= m[i] == 0;
    check("mmap memory zeroed", zero);
    for (size_t i = 0; i < one; i++)
        m[i] = (unsigned char)(i * 7 + (i >> 12));
    unsigned char *m2 = mremap(m, one, four, MREMAP_MAYMOVE);
    check("mremap grow to 4 MiB", m2 != MAP_FAILED);
    if (m2 == MAP_FAILED)
        return 1;
    int kept = 1;
    for (size_t i = 0; i < one; i++)
        kept &= m2[i] == (unsigned char)(i * 7 + (i >> 12));
    check("mremap kept contents", kept);
    zero = 1;
    for (size_t i = one; i < four; i++)
        zero &= m2[i] == 0;
    check("mremap new part zeroed", zero);
    memset(m2 + one, 0x5c, four - one);
    check("mprotect(PROT_READ) == 0", mprotect(m2, four, PROT_READ) == 0);
    check("mprotect(PROT_READ|PROT_WRITE) == 0",
          mprotect(m2, four, PROT_READ | PROT_WRITE) == 0);
    check("madvise(MADV_DONTNEED) == 0", madvise(m2, four, MADV_DONTNEED) == 0);
    check("munmap == 0", munmap(m2, four) == 0);

    /* brk(0): just that it answers (the value differs) */
    long b = syscall(SYS_brk, 0);
    (void)b;
    printf("brk(0) answered\n");

    /* writev */
    struct iovec iov[3] = {
        { "writev: ", 8 }, { "three ", 6 }, { "parts\n", 6 },
    };
    fflush(stdout);
    ssize_t w = writev(1, iov, 3);
    printf("writev returned %zd\n", w);
    check("writev wrote 20 bytes", w == 20);

    /* rt_sigaction */
    struct sigaction sa, got;
    check("sigaction get SIGINT == 0", sigaction(SIGINT, NULL, &got) == 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    check("sigaction set SIGUSR1 == 0", sigaction(SIGUSR1, &sa, NULL) == 0);
    memset(&got, 0, sizeof got);
    check("sigaction get SIGUSR1 == 0", sigaction(SIGUSR1, NULL, &got) == 0);
    check("SIGUSR1 handler read back", got.sa_handler == on_usr1);
    check("SIGUSR1 SA_RESTART read back", (got.sa_flags & SA_RESTART) != 0);
    check("SIGUSR1 sa_mask read back", sigismember(&got.sa_mask, SIGUSR2) == 1 &&
                                           sigismember(&got.sa_mask, SIGTERM) == 0);

    /* rt_sigprocmask */
    sigset_t blk, cur_mask;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    check("sigprocmask block SIGUSR1 == 0", sigprocmask(SIG_BLOCK, &blk, NULL) == 0);
    sigprocmask(SIG_BLOCK, NULL, &cur_mask);
    check("SIGUSR1 blocked", sigismember(&cur_mask, SIGUSR1) == 1);
    check("sigprocmask unblock SIGUSR1 == 0", sigprocmask(SIG_UNBLOCK, &blk, NULL) == 0);
    sigprocmask(SIG_BLOCK, NULL, &cur_mask);
    check("SIGUSR1 unblocked", sigismember(&cur_mask, SIGUSR1) == 0);
    /* SIGKILL/SIGSTOP can never be blocked */
    sigset_t ks;
    sigemptyset(&ks);
    sigaddset(&ks, SIGKILL);
    sigaddset(&ks, SIGSTOP);
    sigprocmask(SIG_BLOCK, &ks, NULL);
    sigprocmask(SIG_BLOCK, NULL, &cur_mask);
    check("SIGKILL/SIGSTOP not blockable", !sigismember(&cur_mask, SIGKILL) &&
                                              !sigismember(&cur_mask, SIGSTOP));

    /* ioctl(TIOCGWINSZ): a terminal or not, both answers are fine */
    struct winsize ws;
    errno = 0;
    r = ioctl(1, TIOCGWINSZ, &ws);
    printf("ioctl(1, TIOCGWINSZ): %s\n",
           r == 0 || (r == -1 && errno == ENOTTY) ? "ok" : "unexpected");
    if (!(r == 0 || (r == -1 && errno == ENOTTY)))
        failures++;

    printf("%s\n", failures ? "syscalls FAILED" : "syscalls ok");
    return failures ? 1 : 0;
}
