/*
 * thr_misc: threads meet the rest of the process.
 *
 *   /proc/self/status "Threads:" and /proc/self/stat num_threads count
 *   the threads; setuid/setgid in a multi-threaded process (glibc makes
 *   every thread repeat the call through a signal) while others block in
 *   a futex, in read and spin; a timer's SIGALRM (ITIMER_REAL, 100 ms)
 *   is process-directed (main blocks SIGALRM, a thread takes it); a
 *   fault in a thread with a SIGSEGV handler is handled in that thread
 *   (siglongjmp back out); vfork from a non-main thread while another
 *   thread keeps counting; a child started by one thread is reaped by
 *   another; getppid from a thread;
 *   getrusage(RUSAGE_THREAD).
 *
 *   usage: thr_misc            (the checks)
 *          thr_misc child N    (what the spawned child runs: exit N)
 *
 * Prints relations only. Exit 0 when everything holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "thr_background.h"
#include "thr_check.h"

static int proc_status_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Threads:", 8) == 0)
            n = atoi(line + 8);
    fclose(f);
    return n;
}

static int proc_stat_threads(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* field 3 (state) follows ") "; num_threads is field 20 */
    p += 2;
    for (int field = 3; field < 20 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? atoi(p) : -1;
}

/* ---- SIGALRM ---- */

static volatile pid_t alarm_tid;

static void on_alarm(int s)
{
    (void)s;
    alarm_tid = my_tid();
}

static volatile pid_t alarm_taker_tid;
static volatile pid_t taker_ppid;

static void *alarm_taker(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    taker_ppid = getppid();
    alarm_taker_tid = my_tid();
    for (int i = 0; i < 3000 && !alarm_tid; i++)
        usleep(1000);
    return NULL;
}

/* ---- SIGSEGV handled in the faulting thread ---- */

static __thread sigjmp_buf fault_jmp;
static volatile pid_t segv_tid;

static void on_segv(int s)
{
    (void)s;
    segv_tid = my_tid();
    siglongjmp(fault_jmp, 1);
}

static volatile pid_t faulter_tid;
static volatile int recovered;

static void *faulter(void *arg)
{
    (void)arg;
    faulter_tid = my_tid();
    if (sigsetjmp(fault_jmp, 1) == 0) {
        volatile int *volatile p = NULL;
        p[4] = 1;
    } else {
        recovered = 1;
    }
    return NULL;
}

/* ---- vfork from a thread, reaped by another ---- */

static volatile pid_t spawned;
static volatile unsigned long spins_before, spins_after;

static void *vforker(void *arg)
{
    (void)arg;
    spins_before = spins;
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = { self_path, "child", "3", NULL };
        execv(self_path, argv);
        _exit(127);
    }
    spawned = pid;
    return NULL;
}

static volatile int reaped_status = -1;

static void *reaper(void *arg)
{
    (void)arg;
    while (!spawned)
        usleep(1000);
    int st;
    if (waitpid(spawned, &st, 0) == spawned)
        reaped_status = st;
    spins_after = spins;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
        return atoi(argv[2]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (find_self_path() != 0)
        return 4;
    if (pipe(background_pipe) != 0)
        return 1;

    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* inherited by every thread */
    check("one thread: /proc/self/status Threads: 1", proc_status_threads() == 1);
    pthread_t t[3];
    pthread_create(&t[0], NULL, cond_blocker, NULL);
    pthread_create(&t[1], NULL, read_blocker, NULL);
    pthread_create(&t[2], NULL, spinner, NULL);
    wait_arrivals(3);
    usleep(50000);
    check("four threads: /proc/self/status Threads: 4", proc_status_threads() == 4);
    check("four threads: /proc/self/stat num_threads 4", proc_stat_threads() == 4);

    /* setuid/setgid with blocked and spinning threads around. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int r1 = setgid(getgid()), r2 = setuid(getuid());
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    check("setgid/setuid with blocked and spinning threads return 0", r1 == 0 && r2 == 0);
    check("  promptly (under 2 s)", dt < 2);

    /* ITIMER_REAL: every thread blocks SIGALRM but one. */
    signal(SIGALRM, on_alarm);
    pthread_t at;
    alarm_tid = 0;
    pthread_create(&at, NULL, alarm_taker, NULL); /* starts blocked too, unblocks itself */
    while (!alarm_taker_tid)
        usleep(1000);
    struct itimerval soon = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &soon, NULL);
    pthread_join(at, NULL);
    check("timer SIGALRM: handled by the only thread not blocking it", alarm_tid == alarm_taker_tid);
    check("getppid is the same in a thread and in main", taker_ppid == getppid());
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);

    /* SIGSEGV in a thread, handled there. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_t ft;
    pthread_create(&ft, NULL, faulter, NULL);
    pthread_join(ft, NULL);
    check("a fault in a thread runs the SIGSEGV handler in that thread", segv_tid == faulter_tid && recovered);
    signal(SIGSEGV, SIG_DFL);

    /* vfork from a thread; another thread reaps the child. */
    pthread_t vt, rt;
    pthread_create(&rt, NULL, reaper, NULL);
    pthread_create(&vt, NULL, vforker, NULL);
    pthread_join(vt, NULL);
    pthread_join(rt, NULL);
    check("vfork+exec from a thread; another thread's waitpid gets exit 3",
          WIFEXITED(reaped_status) && WEXITSTATUS(reaped_status) == 3);
    check("the spinning thread kept running meanwhile", spins_after > spins_before);

    struct rusage ru;
    check("getrusage(RUSAGE_THREAD) works", getrusage(RUSAGE_THREAD, &ru) == 0);

    stop_background();
    write(background_pipe[1], "x", 1);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    int left = proc_status_threads();
    for (int i = 0; i < 1000 && left != 1; i++) {
        usleep(1000);
        left = proc_status_threads();
    }
    check("after the joins: Threads: 1", left == 1);
    return finish();
}
