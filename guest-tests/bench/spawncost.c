/* What each host call nommu makes around a vfork + execve + wait costs,
 * in CPU time of the calling thread (ns/call), run natively
 * (BENCHMARKS.md, "issue 17 round 4, spawn"). Not a `make bench` row.
 *
 * Usage: spawncost N
 * Prints one line per call kind:
 *   cpuclock   clock_gettime(CLOCK_THREAD_CPUTIME_ID)
 *   rusage     getrusage(RUSAGE_THREAD)
 *   timer      timer_settime arming a 2 ms timer, then disarming it (2 calls)
 *   futexwake  FUTEX_WAKE on a word nobody waits on
 *   textmap    mmap(MAP_FIXED) of 32 KiB of a file read-execute, then the
 *              anonymous mapping back over it (2 calls)
 *   guard      mprotect(PROT_NONE) of 960 KiB, mprotect back, madvise
 *              DONTNEED of 1088 KiB (3 calls)
 *   lookup     openat2 + fstat + readlinkat(/proc/self/fd/N) + close of this
 *              program (4 calls)
 *   readlink   the readlinkat alone */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* No kernel headers with musl-gcc: the two definitions used. */
#define FUTEX_WAKE_ 1
#define RESOLVE_NO_SYMLINKS_ 0x04
struct open_how_ {
    uint64_t flags, mode, resolve;
};

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long n;
static int self_fd, dir_fd;
static char self_name[4096], link_path[64];
static timer_t timer;
static uint32_t word;
static char *area;

static void one(const char *what)
{
    char buf[4096];
    if (!strcmp(what, "cpuclock")) {
        struct timespec ts;
        syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &ts);
    } else if (!strcmp(what, "rusage")) {
        struct rusage ru;
        syscall(SYS_getrusage, RUSAGE_THREAD, &ru);
    } else if (!strcmp(what, "timer")) {
        struct itimerspec on = { { 0, 0 }, { 0, 2000000 } }, off = { { 0, 0 }, { 0, 0 } };
        syscall(SYS_timer_settime, timer, 0, &on, NULL);
        syscall(SYS_timer_settime, timer, 0, &off, NULL);
    } else if (!strcmp(what, "futexwake")) {
        syscall(SYS_futex, &word, FUTEX_WAKE_, 1, 0, 0, 0);
    } else if (!strcmp(what, "textmap")) {
        mmap(area, 32768, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, self_fd, 0);
        mmap(area, 32768, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    } else if (!strcmp(what, "guard")) {
        char *g = area + 65536;
        mprotect(g, 983040, PROT_NONE);
        mprotect(g, 1114112, PROT_READ | PROT_WRITE | PROT_EXEC);
        madvise(g, 1114112, MADV_DONTNEED);
    } else if (!strcmp(what, "lookup")) {
        struct open_how_ how = { .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS_ };
        int fd = syscall(SYS_openat2, dir_fd, self_name, &how, sizeof how);
        struct stat st;
        syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
        char l[64];
        snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
        syscall(SYS_readlinkat, AT_FDCWD, l, buf, sizeof buf);
        syscall(SYS_close, fd);
    } else if (!strcmp(what, "readlink")) {
        syscall(SYS_readlinkat, AT_FDCWD, link_path, buf, sizeof buf);
    }
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atol(argv[1]) : 20000;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len < 0 ? 0 : len] = 0;
    char *slash = strrchr(exe, '/');
    snprintf(self_name, sizeof self_name, "%s", slash ? slash + 1 : exe);
    if (slash)
        *slash = 0;
    dir_fd = open(slash ? exe : ".", O_PATH | O_DIRECTORY);
    self_fd = open("/proc/self/exe", O_RDONLY);
    snprintf(link_path, sizeof link_path, "/proc/self/fd/%d", self_fd);
    struct sigevent ev = { .sigev_notify = SIGEV_NONE };
    timer_create(CLOCK_MONOTONIC, &ev, &timer);
    area = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    const char *kinds[] = { "cpuclock", "rusage", "timer", "futexwake", "textmap", "guard", "lookup", "readlink" };
    for (unsigned k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        for (long i = 0; i < n / 10; i++)
            one(kinds[k]);
        double t0 = cpu_ns();
        for (long i = 0; i < n; i++)
            one(kinds[k]);
        printf("%-10s %8.0f ns\n", kinds[k], (cpu_ns() - t0) / n);
    }
    return 0;
}
