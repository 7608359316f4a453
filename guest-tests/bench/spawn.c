/* Process creation, microseconds per iteration.
 * Usage: spawn MODE [iterations]; MODE: vfork_exit vfork_exec fork_exec pipe_rtt
 * (the binary re-executes itself with "child" and "pong" modes).
 * fork_exec uses fork() where there is one, and vfork() where fork is
 * ENOSYS (a no-MMU system), as a portable program would. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "vfork_exit";
    long n = argc > 2 ? atol(argv[2]) : 1000;
    if (!strcmp(mode, "child")) return 0;
    if (!strcmp(mode, "pong")) {
        char c;
        while (read(0, &c, 1) == 1) write(1, &c, 1);
        return 0;
    }
    double t0 = now_us();
    if (!strcmp(mode, "pipe_rtt")) {
        int to[2], from[2];
        pipe(to);
        pipe(from);
        pid_t p = vfork();
        if (p == 0) {
            dup2(to[0], 0);
            dup2(from[1], 1);
            close(to[1]);
            close(from[0]);
            execl("/proc/self/exe", argv[0], "pong", (char *)0);
            _exit(127);
        }
        close(to[0]);
        close(from[1]);
        char c = 'x';
        t0 = now_us();
        for (long i = 0; i < n; i++) {
            write(to[1], &c, 1);
            read(from[0], &c, 1);
        }
        double t = now_us() - t0;
        close(to[1]);
        waitpid(p, 0, 0);
        printf("%.2f us/round-trip\n", t / n);
        return 0;
    }
    int use_fork = 0;
    if (!strcmp(mode, "fork_exec")) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        use_fork = p > 0;
        if (p > 0)
            waitpid(p, 0, 0);
        else if (errno != ENOSYS)
            return 1;
        t0 = now_us();
    }
    for (long i = 0; i < n; i++) {
        pid_t p = use_fork ? fork() : vfork();
        if (p == 0) {
            if (strcmp(mode, "vfork_exit") != 0) execl("/proc/self/exe", argv[0], "child", (char *)0);
            _exit(0);
        }
        waitpid(p, 0, 0);
    }
    printf("%.2f us/iteration (%s)\n", (now_us() - t0) / n, mode);
    return 0;
}
