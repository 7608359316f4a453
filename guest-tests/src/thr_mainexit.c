/*
 * thr_mainexit: the main thread leaves first with pthread_exit.
 *
 *   usage: thr_mainexit [exit|return|raw]
 *
 *   Main starts three workers and calls pthread_exit. The workers go on:
 *   they check getpid() is unchanged, that a process-directed signal still
 *   reaches a live thread, and hand a token around; then the last one ends
 *   the process:
 *     exit     exit(5)                       -> status 5
 *     return   returns from its start routine (the libc calls exit(0))
 *     raw      syscall(SYS_exit, 5): a plain thread exit of the last
 *              thread; since Linux 5.19 (synchronize_group_exit) the last
 *              thread's code becomes the process's -> status 5
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *mode = "exit";
static pid_t main_pid;
static int token;
static int worker0_done;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t got_usr1;
static int main_gone;

static void on_usr1(int s)
{
    (void)s;
    got_usr1 = 1;
}

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    /* Wait until main has (almost certainly) left. */
    while (!__atomic_load_n(&main_gone, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(50000);
    for (int round = 0; round < 100; round++) {
        pthread_mutex_lock(&m);
        while (token % 3 != me)
            pthread_cond_wait(&cv, &m);
        token++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&m);
    }
    if (me == 0) {
        printf("worker: getpid unchanged: %s\n", getpid() == main_pid ? "yes" : "no");
        kill(getpid(), SIGUSR1);
        for (int i = 0; i < 1000 && !got_usr1; i++)
            usleep(1000);
        printf("worker: process-directed signal handled after main left: %s\n", got_usr1 ? "yes" : "no");
        __atomic_store_n(&worker0_done, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    if (me == 1)
        return NULL;
    /* me == 2: the last one, once the others are gone (worker 0 has
       printed; a little longer for worker 1 to finish returning). */
    for (int i = 0; i < 5000 && !__atomic_load_n(&worker0_done, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    usleep(50000);
    printf("last worker: token %d\n", token);
    fflush(stdout);
    if (strcmp(mode, "raw") == 0)
        syscall(SYS_exit, 5);
    else if (strcmp(mode, "exit") == 0)
        exit(5);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    main_pid = getpid();
    signal(SIGUSR1, on_usr1);
    for (long i = 0; i < 3; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)i) != 0)
            return 1;
        pthread_detach(t);
    }
    printf("main: pthread_exit\n");
    __atomic_store_n(&main_gone, 1, __ATOMIC_SEQ_CST);
    pthread_exit((void *)1);
}
