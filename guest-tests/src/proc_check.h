/* Pieces shared by the proc_*.c guest tests: one line per check ("what:
 * ok" / "what: FAIL") and a failure count, the closing "all ok" / "SOME
 * CHECKS FAILED" line and exit status, the program's own path (self, set
 * by main from argv[0]) with vfork + exec of it in a mode, msleep, and a
 * wait status in words, times in milliseconds. Included once per program,
 * after its includes. */
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wait_words.h"

static int failures;
__attribute__((unused)) static const char *self;

__attribute__((unused)) static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
}

/* The last line of the output; the exit status. */
__attribute__((unused)) static int finish(void)
{
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all ok");
    return failures ? 1 : 0;
}

/* What main does first: stdout line-buffered (so that the lines stay in
 * order with the children's), self = argv[0]. */
__attribute__((unused)) static void start_test(char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    self = argv[0];
}

/* A clock's time (clock_gettime) in milliseconds. */
__attribute__((unused)) static double clock_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A struct timeval (rusage times) in milliseconds. */
__attribute__((unused)) static double timeval_ms(struct timeval tv)
{
    return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

/* Sleeps ms milliseconds, through signal handlers. */
__attribute__((unused)) static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* vfork + execv(self, { self, a1, a2, a3, a4 }) (the arguments end at the
 * first NULL), stdout flushed first; in the child, before the exec,
 * prepare(argv) when given (it runs on our memory: no stdio). A failed
 * exec is exit status 127. Returns the child's pid (-1 if vfork failed). */
__attribute__((unused)) static pid_t vfork_self(void (*prepare)(char *const argv[]), const char *a1, const char *a2,
                                                const char *a3, const char *a4)
{
    char *argv[] = { (char *)self, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        if (prepare)
            prepare(argv);
        execv(self, argv);
        _exit(127);
    }
    return pid;
}

/* This program again in mode a1 (vfork_self), waited for: its wait status. */
__attribute__((unused)) static int run_self_status(const char *a1)
{
    pid_t pid = vfork_self(NULL, a1, NULL, NULL, NULL);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

