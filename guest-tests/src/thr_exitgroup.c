/*
 * thr_exitgroup: one thread ends the whole process.
 *
 *   usage: thr_exitgroup [exit|raw|signal|segv]
 *
 *   Threads block in pthread_cond_wait (a futex), in read() on a pipe, in
 *   nanosleep, in poll, in sigwaitinfo, in write() to a full pipe, in
 *   sigsuspend, and one spins in pure guest code;
 *   the main thread waits in pthread_join. Then a further thread ends the
 *   process:
 *     exit          exit(7): atexit handlers run, stdout is flushed
 *     raw           syscall(SYS_exit_group, 9): nothing runs
 *     signal        raise(SIGTERM) with the default action: status 128+15
 *     segv          a NULL-page write: SIGSEGV kills them all, 128+11
 *   The process must end at once with that status (the caller measures
 *   the time), whatever the other threads were doing.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thr_background.h"

static const char *mode = "exit";

static void *poller(void *arg)
{
    (void)arg;
    struct pollfd p = { .fd = background_pipe[0], .events = POLLIN };
    arrived();
    poll(&p, 1, -1);
    printf("poll returned\n");
    return NULL;
}

static void *sigwaiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    arrived();
    sigwaitinfo(&s, NULL);
    printf("sigwaitinfo returned\n");
    return NULL;
}

static void *full_pipe_writer(void *arg)
{
    (void)arg;
    int p[2];
    if (pipe(p) != 0)
        return NULL;
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    arrived();
    for (;;)
        if (write(p[1], buf, sizeof buf) < 0)
            break; /* blocks once the pipe is full */
    printf("write returned an error\n");
    return NULL;
}

static void *suspender(void *arg)
{
    (void)arg;
    sigset_t none;
    sigemptyset(&none);
    sigaddset(&none, SIGUSR2); /* keep SIGUSR2 for the sigwaitinfo thread */
    arrived();
    sigsuspend(&none);
    printf("sigsuspend returned\n");
    return NULL;
}

static void *ender(void *arg)
{
    (void)arg;
    wait_arrivals(8);
    usleep(100000); /* let everybody block */
    printf("ending the process (%s)\n", mode);
    if (strcmp(mode, "raw") == 0) {
        fflush(stdout);
        syscall(SYS_exit_group, 9);
    } else if (strcmp(mode, "signal") == 0) {
        fflush(stdout);
        raise(SIGTERM);
    } else if (strcmp(mode, "segv") == 0) {
        fflush(stdout);
        volatile int *volatile p = NULL;
        p[2] = 1;
    } else {
        exit(7);
    }
    printf("still here\n");
    return NULL;
}

static void at_exit(void)
{
    printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1];
    setvbuf(stdout, NULL, _IOFBF, 4096); /* exit() must flush it */
    atexit(at_exit);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    if (pipe(background_pipe) != 0)
        return 1;
    void *(*fns[])(void *) = { cond_blocker, read_blocker, sleeper,   poller,
                               sigwaiter,    spinner,      full_pipe_writer, suspender, ender };
    enum { N = sizeof fns / sizeof fns[0] };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, fns[i], NULL) != 0)
            return 1;
    printf("main joins\n");
    pthread_join(t[N - 1], NULL);
    printf("join returned\n");
    return 0;
}
