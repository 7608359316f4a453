/*
 * stack_grow: the main stack is there to its full size whatever touches
 * it first. Under nommu a main stack is committed as it grows
 * (docs/architecture.md, "Exec without copying", step 3): only its top is
 * accessible at exec, the rest is made so when reached, by the program's
 * own code (deep recursion, a large frame), by a syscall writing into a
 * buffer deep down (nommu's own copy, or the host kernel's), or by a
 * signal frame. Each case runs in a fresh exec of this program, so the
 * stack has not grown yet. 600 KiB fits nommu's 1 MiB default stack.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEEP (600 * 1024)

static int recurse(int depth) {
    volatile char frame[1024];
    frame[0] = (char)depth;
    if (depth == DEEP / 1024)
        return frame[0];
    return recurse(depth + 1) + frame[0] - (char)depth;
}

static volatile int handled;
static void on_usr1(int sig) { handled = sig; }

static int deep_buffer(const char *mode) {
    char buf[DEEP];
    char *low = buf; /* the lowest end: deepest */
    if (!strcmp(mode, "read")) {
        int p[2];
        if (pipe(p))
            return 1;
        if (write(p[1], "from the pipe", 14) != 14)
            return 1;
        ssize_t n = read(p[0], low, 14);
        printf("read into a deep buffer: %zd \"%s\"\n", n, n == 14 ? low : "");
    } else if (!strcmp(mode, "uaccess")) {
        struct timespec *ts = (struct timespec *)(low + 8);
        int rc = (int)syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts);
        printf("clock_gettime into a deep buffer: %d, %s\n", rc, ts->tv_sec > 0 || ts->tv_nsec > 0 ? "set" : "zero");
    } else if (!strcmp(mode, "frame")) {
        memset(low, 'x', 64);
        printf("a large frame: %c\n", low[63]);
    } else if (!strcmp(mode, "signal")) {
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        printf("a signal on a deep stack: %s\n", handled == SIGUSR1 ? "handled" : "lost");
    }
    return buf[DEEP / 2] & 0;
}

/* The signal case needs the stack pointer deep when the signal comes: the
 * buffer is above it. */
int main(int argc, char **argv) {
    static const char *modes[] = {"recurse", "read", "uaccess", "frame", "signal"};
    if (argc > 1) {
        if (!strcmp(argv[1], "recurse")) {
            printf("recursion %d KiB deep: %d\n", DEEP / 1024, recurse(0));
            return 0;
        }
        return deep_buffer(argv[1]);
    }
    for (unsigned i = 0; i < sizeof modes / sizeof *modes; i++) {
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            char *av[] = {argv[0], (char *)modes[i], 0};
            execve("/proc/self/exe", av, environ);
            _exit(127);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            printf("%s: child ended with %#x\n", modes[i], st);
    }
    return 0;
}
