/*
 * fuzz_regress: bugs the syscall fuzzer work turned up, one case each.
 * Output must be the same natively and under nommu.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sig_helpers.h"

static int count_entries(int fd)
{
    static char buf[65536];
    int n = 0;
    long k;
    while ((k = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < k; n++)
            off += *(unsigned short *)(buf + off + 16);
    return n;
}

/* getdents64 into a buffer the kernel cannot write fails with EFAULT and
   uses up no entries (nommu read them from the host and dropped them). */
static void getdents_bad_buffer(void)
{
    mkdir("dir", 0755);
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "dir/f%d", i);
        close(open(name, O_CREAT | O_WRONLY, 0644));
    }
    int fd = open("dir", O_RDONLY | O_DIRECTORY);
    errno = 0;
    long r = syscall(SYS_getdents64, fd, (void *)1, 4096);
    printf("getdents64 into address 1: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = syscall(SYS_getdents64, fd, (void *)0xffff800000000000UL, 4096);
    printf("getdents64 into a kernel address: %ld %s\n", r, strerror(errno));
    printf("entries listed afterwards: %d\n", count_entries(fd));
    close(fd);
}

/* readv of a /proc file whose second buffer is bad: what the first one
   received is the result (nommu returned EFAULT and dropped it). */
static void readv_proc_bad_second_buffer(void)
{
    int fd = open("/proc/self/status", O_RDONLY);
    char a[16];
    struct iovec iov[2] = {{a, sizeof a}, {(void *)1, 64}};
    errno = 0;
    long r = readv(fd, iov, 2);
    printf("readv /proc/self/status, second buffer bad: %ld %s, first bytes \"%.5s\"\n", r,
           r < 0 ? strerror(errno) : "", a);
    char b[8] = {0};
    r = read(fd, b, 5);
    printf("then read: %ld \"%.5s\"\n", r, b);
    close(fd);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* Timeouts of LLONG_MAX seconds are "forever" (Linux saturates them at
   KTIME_MAX, about 292 years). nommu panicked on Instant overflow in
   rt_sigtimedwait, ppoll, select, pselect6 and setitimer, and a sleep of
   that long ended at once (its deadline wrapped into the past). */
static void huge_timeouts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    const struct timespec huge = {LONG_MAX, 999999999};
    struct timespec t, rem = {0, 0};
    int p[2];
    if (pipe(p) != 0 || write(p[1], "x", 1) != 1)
        return;

    struct pollfd pfd = {p[0], POLLIN, 0};
    t = huge;
    printf("ppoll on a readable pipe, timeout LONG_MAX s: %d\n", ppoll(&pfd, 1, &t, NULL));
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {LONG_MAX, 999999};
    printf("select on a readable pipe, timeout LONG_MAX s: %d\n", select(p[0] + 1, &rs, NULL, NULL, &tv));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    t = huge;
    printf("pselect on a readable pipe, timeout LONG_MAX s: %d\n", pselect(p[0] + 1, &rs, NULL, NULL, &t, NULL));

    alarm_in_ms(50);
    t = huge;
    errno = 0;
    int r = nanosleep(&t, &rem);
    printf("nanosleep(LONG_MAX s), alarm after 50 ms: %d %s, more than 100 years left: %s\n", r,
           r ? strerror(errno) : "", rem.tv_sec > 3153600000L ? "yes" : "no");
    alarm_in_ms(50);
    t = huge;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
    printf("clock_nanosleep(LONG_MAX s), alarm after 50 ms: %s\n", strerror(r));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    alarm_in_ms(50);
    t = huge;
    r = sigtimedwait(&set, NULL, &t);
    printf("sigtimedwait(SIGALRM, LONG_MAX s): %d\n", r);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    struct itimerval big = {{LONG_MAX, 0}, {LONG_MAX, 999999}}, cur;
    r = setitimer(ITIMER_REAL, &big, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("setitimer(LONG_MAX s): %d, armed more than 100 years away: %s\n", r,
           cur.it_value.tv_sec > 3153600000L ? "yes" : "no");
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    close(p[0]);
    close(p[1]);
}

/* RLIMIT_NOFILE cannot go past nr_open (nommu accepted RLIM_INFINITY, and
   then poll with a huge nfds made it allocate terabytes and abort); poll's
   nfds is an unsigned int (nommu read all 64 bits). */
static void descriptor_limits(void)
{
    struct rlimit orig, inf = {RLIM_INFINITY, RLIM_INFINITY};
    getrlimit(RLIMIT_NOFILE, &orig);
    errno = 0;
    int r = setrlimit(RLIMIT_NOFILE, &inf);
    printf("RLIMIT_NOFILE = RLIM_INFINITY: %d %s\n", r, r ? strerror(errno) : "");
    setrlimit(RLIMIT_NOFILE, &orig);
    struct pollfd pfd = {-1, POLLIN, 0};
    errno = 0;
    long k = syscall(SYS_poll, &pfd, (1UL << 32) + 1, 0);
    printf("poll with nfds (1 << 32) + 1 (that is 1): %ld %s\n", k, k < 0 ? strerror(errno) : "");
    errno = 0;
    k = syscall(SYS_poll, &pfd, 0xffffffffUL, 0);
    printf("poll with nfds 0xffffffff: %ld %s\n", k, k < 0 ? strerror(errno) : "");
}

/* kill(INT_MIN): no process group is -INT_MIN (nommu negated it). */
static void kill_int_min(void)
{
    errno = 0;
    int r = kill(-2147483647 - 1, 0);
    printf("kill(INT_MIN, 0): %d %s\n", r, r ? strerror(errno) : "");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    getdents_bad_buffer();
    readv_proc_bad_second_buffer();
    huge_timeouts();
    descriptor_limits();
    kill_int_min();
    return 0;
}
