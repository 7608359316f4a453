/* Start-up time of a program, natively and under nommu, in milliseconds.
 * Usage: startup RUNS NOMMU PROGRAM [ARGS...]
 * Runs PROGRAM with posix_spawn + waitpid RUNS times natively and RUNS
 * times as `NOMMU run PROGRAM ARGS`, alternating (native, nommu, native,
 * ...), the children's stdout and stderr to /dev/null, and prints the
 * minimum and the median of each, then the ratio of the medians.
 * No shell is involved: what is timed is the host's spawn of the process
 * and its whole life. Runs on the host (it is built like every bench
 * program, a static binary that runs anywhere). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One spawn + wait of argv, in ms; exits on failure to spawn. */
static double one_run(char **argv, posix_spawn_file_actions_t *fa) {
    pid_t pid;
    double t0 = now_ms();
    int e = posix_spawn(&pid, argv[0], fa, NULL, argv, environ);
    if (e) {
        fprintf(stderr, "startup: cannot spawn %s: %s\n", argv[0], strerror(e));
        exit(2);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("startup: waitpid");
        exit(2);
    }
    return now_ms() - t0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: startup RUNS NOMMU PROGRAM [ARGS...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1)
        runs = 1;
    char **native = &argv[3];
    int nargs = argc - 3;
    char **under = calloc(nargs + 3, sizeof *under);
    double *tn = calloc(runs, sizeof *tn), *tu = calloc(runs, sizeof *tu);
    if (!under || !tn || !tu)
        return 2;
    under[0] = argv[2];
    under[1] = "run";
    memcpy(&under[2], native, nargs * sizeof *under);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* One of each first: page cache, nommu's image cache. */
    one_run(native, &fa);
    one_run(under, &fa);
    for (int i = 0; i < runs; i++) {
        tn[i] = one_run(native, &fa);
        tu[i] = one_run(under, &fa);
    }
    qsort(tn, runs, sizeof *tn, cmp_double);
    qsort(tu, runs, sizeof *tu, cmp_double);
    printf("native: min %.3f ms, median %.3f ms\n", tn[0], tn[runs / 2]);
    printf("nommu:  min %.3f ms, median %.3f ms\n", tu[0], tu[runs / 2]);
    printf("ratio of medians %.2f, of minimums %.2f (%d runs each, alternating)\n", tu[runs / 2] / tn[runs / 2],
           tu[0] / tn[0], runs);
    return 0;
}
