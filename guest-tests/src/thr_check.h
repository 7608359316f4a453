/* Checks shared by the thr_*.c guest tests: one line per check, a failure
 * count, the closing "all ok" / "N FAILED" line. A program that words its
 * results "yes"/"NO" defines CHECK_YES and CHECK_NO before including this. */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef CHECK_YES
#define CHECK_YES "ok"
#define CHECK_NO "FAIL"
#endif

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? CHECK_YES : CHECK_NO);
    fflush(stdout);
    if (!ok)
        failures++;
}

__attribute__((unused)) static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* Clock `c` now, in seconds. */
__attribute__((unused)) static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The time `ms` milliseconds from now on clock `c` (an absolute timeout). */
__attribute__((unused)) static struct timespec in(clockid_t c, long ms)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

/* The last line of the output; the exit status. */
static int finish(void)
{
    printf(failures ? "%d FAILED\n" : "all ok\n", failures);
    return failures != 0;
}
