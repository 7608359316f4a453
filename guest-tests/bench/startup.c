/* Start-up cost of a command: posix_spawn + waitpid, N times; prints the
 * median in milliseconds (and the minimum). Unlike timing a command from a
 * shell, no shell fork is counted with it.
 * Usage: startup N PROGRAM [ARGS...]   (runs natively; PROGRAM may be
 * `nommu run hello` or `qemu-x86_64 hello`; any exit status counts,
 * a killed program stops the benchmark). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: startup N PROGRAM [ARGS...]\n");
        return 2;
    }
    long n = atol(argv[1]);
    if (n < 1) n = 1;
    double *t = calloc(n, sizeof *t);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (long i = 0; i < n; i++) {
        pid_t pid;
        int status;
        double t0 = now_ms();
        if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
            perror("posix_spawn");
            return 1;
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
            fprintf(stderr, "startup: %s was killed or failed\n", argv[2]);
            return 1;
        }
        t[i] = now_ms() - t0;
    }
    qsort(t, n, sizeof *t, by_value);
    printf("%.3f ms median (min %.3f, %ld runs)\n", t[n / 2], t[0], n);
    return 0;
}
