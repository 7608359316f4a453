/*
 * thr_vfork: vfork in a multi-threaded process.
 *
 *   usage: thr_vfork           (the checks)
 *          thr_vfork middle    (a process whose thread vforks, and whose
 *                               other thread calls exit(4) meanwhile)
 *          thr_vfork exit N    (exits N)
 *
 *   1. A non-main thread vforks; while the child runs (before its exec,
 *      sleeping 200 ms), the other threads keep running: a spinning
 *      thread's counter advances during the child's sleep (the child reads
 *      it, sharing memory), and main's own loop goes on.
 *   2. The vforking thread is the only one suspended: main can create and
 *      join a thread while the child sleeps.
 *   3. exit_group from another thread while a thread waits in vfork: the
 *      process ends at once with that status (Linux's vfork wait is
 *      killable, and exit_group kills it); the vfork child, which owns its
 *      share of the memory, goes on and finishes later.
 *
 * Prints relations only. Exit 0 when everything holds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "thr_background.h"
#include "thr_check.h"

static void raw_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    syscall(SYS_nanosleep, &ts, NULL);
}

/* ---- 1 and 2 ---- */

static volatile unsigned long child_saw_before, child_saw_after;
static volatile int vfork_status = -1;
static volatile int in_child;

static void *vforker(void *arg)
{
    (void)arg;
    pid_t pid = vfork();
    if (pid == 0) {
        in_child = 1;
        child_saw_before = spins;
        raw_sleep_ms(200);
        child_saw_after = spins;
        in_child = 2;
        char *av[] = { self_path, "exit", "6", NULL };
        execv(self_path, av);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    vfork_status = st;
    return NULL;
}

static void *trivial(void *arg)
{
    return arg;
}

static void test_others_run(void)
{
    pthread_t sp, vf;
    pthread_create(&sp, NULL, spinner, NULL);
    usleep(20000);
    pthread_create(&vf, NULL, vforker, NULL);
    while (in_child == 0)
        usleep(1000);
    /* main is not suspended either: it can start and join a thread now */
    pthread_t t;
    int created = pthread_create(&t, NULL, trivial, (void *)7) == 0;
    void *r = NULL;
    int joined = created && pthread_join(t, &r) == 0 && r == (void *)7;
    int child_still_sleeping = in_child == 1;
    pthread_join(vf, NULL);
    stop = 1;
    pthread_join(sp, NULL);
    check("a thread spins on while another thread's vfork child runs", child_saw_after > child_saw_before);
    check("main creates and joins a thread while the vfork child sleeps", joined && child_still_sleeping);
    check("the vfork child's exec ran and its status is 6", WIFEXITED(vfork_status) && WEXITSTATUS(vfork_status) == 6);
}

/* ---- 3 ---- */

static void *vfork_and_linger(void *arg)
{
    (void)arg;
    pid_t pid = vfork();
    if (pid == 0) {
        raw_sleep_ms(600);
        static const char msg[] = "vfork child: finished after its parent\n";
        syscall(SYS_write, 1, msg, sizeof msg - 1);
        syscall(SYS_exit, 0);
    }
    static const char msg[] = "vfork returned in the parent: wrong\n";
    syscall(SYS_write, 1, msg, sizeof msg - 1);
    return NULL;
}

static int middle(void)
{
    pthread_t t;
    pthread_create(&t, NULL, vfork_and_linger, NULL);
    usleep(100000);
    exit(4);
}

static void test_exit_group_during_vfork(void)
{
    double t0 = now(CLOCK_MONOTONIC);
    pid_t pid = vfork();
    if (pid == 0) {
        char *av[] = { self_path, "middle", NULL };
        execv(self_path, av);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    double dt = now(CLOCK_MONOTONIC) - t0;
    check("exit(4) from a thread while another waits in vfork: status 4", WIFEXITED(st) && WEXITSTATUS(st) == 4);
    check("  at once, not when the vfork child is done", dt < 0.45);
    usleep(900000); /* the child's line comes now */
    printf("(after the child)\n");
}

int main(int argc, char **argv)
{
    if (find_self_path() != 0)
        return 9;
    if (argc > 2 && strcmp(argv[1], "exit") == 0)
        return atoi(argv[2]);
    if (argc > 1 && strcmp(argv[1], "middle") == 0)
        return middle();
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_others_run();
    test_exit_group_during_vfork();
    return finish();
}
