/*
 * proc_vfork_run: what a vfork child may do before it execs or exits, and
 * what happens to its suspended parent meanwhile (nommu runs such a child
 * on its parent's host thread; these are the cases where that shows).
 *
 * - nested vforks: a child that vforks again, 2 and 6 levels deep, the
 *   deepest one exec'ing this program (status 7); each level above adds 1;
 * - a child that crashes (SIGSEGV, SIGABRT) before exec: it dies of its
 *   signal, the parent goes on with its own registers and locals;
 * - a signal to the suspended parent: handled once vfork returns, and the
 *   child's sleep meanwhile is not interrupted;
 * - SIGKILL for the parent while its child runs (the child kills it; or a
 *   third process kills it while the child is blocked in read): the parent
 *   dies at once, the child lives on (it is reparented and reports);
 * - the parent's process ends (another thread calls _exit) while its child
 *   runs: the same;
 * - vfork from a process with another thread: that thread keeps running
 *   while the child runs (the child waits for it to count, and blocks in
 *   a read only it answers);
 * - CPU time: the child starts near zero, the parent's own time does not
 *   include the child's, the child's is the parent's children's time and
 *   its wait4 rusage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>

#include "proc_check.h"

/* Burns ms milliseconds of this thread's CPU time. */
static void burn(int ms)
{
    volatile uint64_t x = 1;
    double end = clock_ms(CLOCK_THREAD_CPUTIME_ID) + ms;
    while (clock_ms(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005ULL + 1;
}

static pid_t wait_status(pid_t pid, int *st)
{
    pid_t r;
    while ((r = waitpid(pid, st, 0)) < 0 && errno == EINTR) {
    }
    return r;
}

/* vfork `depth` levels deep; the deepest execs this program ("exit7"). */
__attribute__((noinline)) static int nest(int depth)
{
    if (depth == 0) {
        char *argv[] = { (char *)self, "exit7", NULL };
        execv(self, argv);
        _exit(127);
    }
    pid_t p = vfork();
    if (p == 0)
        _exit(nest(depth - 1) + 1);
    int st;
    if (p < 0 || wait_status(p, &st) != p)
        return 200;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 201;
}

static void nested(void)
{
    fflush(stdout);
    check("2 nested vforks, the last execs: status 8", nest(2) == 8);
    check("6 nested vforks, the last execs: status 12", nest(6) == 12);
}

static void crashes(void)
{
    volatile int mine = 1234;
    int st;
    fflush(stdout);
    pid_t p = vfork();
    if (p == 0) {
        *(volatile int *)(uintptr_t)0 = 1;
        _exit(1);
    }
    check("a child that writes to NULL dies of SIGSEGV",
          p > 0 && wait_status(p, &st) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    check("the parent's locals are its own", mine == 1234);
    p = vfork();
    if (p == 0) {
        /* not abort() or raise(): libc's cached thread id is the parent's */
        kill(getpid(), SIGABRT);
        _exit(1);
    }
    check("a child that sends itself SIGABRT dies of it",
          p > 0 && wait_status(p, &st) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    p = vfork();
    if (p == 0)
        _exit(3);
    check("the next vfork is fine", p > 0 && wait_status(p, &st) == p && WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int s)
{
    (void)s;
    usr1++;
}

static void signal_to_parent(void)
{
    signal(SIGUSR1, on_usr1);
    volatile int slept = -1, seen_in_child = -1;
    fflush(stdout);
    pid_t p = vfork();
    if (p == 0) {
        kill(getppid(), SIGUSR1);
        struct timespec ts = { 0, 30 * 1000000L };
        slept = nanosleep(&ts, NULL);
        seen_in_child = usr1;
        _exit(0);
    }
    int handled = usr1;
    int st;
    wait_status(p, &st);
    check("the child's sleep is not interrupted by the parent's signal", slept == 0);
    check("the parent's handler did not run during the vfork", seen_in_child == 0);
    check("the parent's handler ran when vfork returned", handled == 1);
    signal(SIGUSR1, SIG_DFL);
}

/* The modes a killed parent runs in (a process of its own). */
static int wait_orphaned(pid_t parent)
{
    for (int i = 0; i < 5000 && getppid() == parent; i++)
        msleep(1);
    return getppid() != parent;
}

static void *exit_later(void *arg)
{
    (void)arg;
    msleep(50);
    _exit(7);
}

static int killed_parent(const char *how, int report, int ready, int go)
{
    pid_t me = getpid();
    if (!strcmp(how, "group")) {
        pthread_t t;
        pthread_create(&t, NULL, exit_later, NULL);
    }
    pid_t p = vfork();
    if (p == 0) {
        char c = 'r';
        if (!strcmp(how, "self"))
            kill(me, SIGKILL);
        if (!strcmp(how, "blocked")) {
            write(ready, &c, 1);
            if (read(go, &c, 1) != 1)
                _exit(1);
        }
        c = wait_orphaned(me) ? 'A' : 'N';
        write(report, &c, 1);
        _exit(0);
    }
    return 50; /* not reached: the parent was killed */
}

static void parent_killed(const char *how, const char *what)
{
    int report[2], ready[2], go[2];
    pipe(report);
    pipe(ready);
    pipe(go);
    char a[3][16];
    snprintf(a[0], 16, "%d", report[1]);
    snprintf(a[1], 16, "%d", ready[1]);
    snprintf(a[2], 16, "%d", go[0]);
    pid_t m = fork();
    if (m < 0) {
        /* no fork (a no-MMU system): the middle process is this program
         * again, through vfork + exec */
        char *argv[] = { (char *)self, "killed", (char *)how, a[0], a[1], a[2], NULL };
        fflush(stdout);
        m = vfork();
        if (m == 0) {
            execv(self, argv);
            _exit(127);
        }
    } else if (m == 0) {
        _exit(killed_parent(how, report[1], ready[1], go[0]));
    }
    close(report[1]);
    close(ready[1]);
    close(go[0]);
    char c = 0;
    if (!strcmp(how, "blocked")) {
        read(ready[0], &c, 1);
        kill(m, SIGKILL);
    }
    int st;
    int r = wait_status(m, &st);
    char line[128];
    if (!strcmp(how, "group"))
        snprintf(line, sizeof line, "%s: it exits 7", what);
    else
        snprintf(line, sizeof line, "%s: it dies of SIGKILL", what);
    int ok = r == m && (!strcmp(how, "group") ? WIFEXITED(st) && WEXITSTATUS(st) == 7
                                              : WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    check(line, ok);
    if (!strcmp(how, "blocked"))
        write(go[1], "g", 1);
    c = 0;
    read(report[0], &c, 1);
    snprintf(line, sizeof line, "%s: the child lives on and is reparented", what);
    check(line, c == 'A');
    close(report[0]);
    close(ready[0]);
    close(go[1]);
}

static volatile int counter, stop_counting;
static int to_child[2];
static void *count(void *arg)
{
    (void)arg;
    while (!stop_counting) {
        counter++;
        if (counter == 20)
            write(to_child[1], "t", 1);
        msleep(1);
    }
    return NULL;
}

static void with_threads(void)
{
    pipe(to_child);
    pthread_t t;
    pthread_create(&t, NULL, count, NULL);
    volatile int advanced = 0, got = 0;
    fflush(stdout);
    pid_t p = vfork();
    if (p == 0) {
        char c;
        got = read(to_child[0], &c, 1) == 1 && c == 't';
        int start = counter;
        for (int i = 0; i < 5000 && counter < start + 5; i++)
            msleep(1);
        advanced = counter >= start + 5;
        _exit(0);
    }
    int st;
    wait_status(p, &st);
    stop_counting = 1;
    pthread_join(t, NULL);
    check("another thread runs during the vfork (it wakes the child's read)", got);
    check("another thread runs during the vfork (it counts)", advanced);
    close(to_child[0]);
    close(to_child[1]);
}

static void cpu_times(void)
{
    burn(60);
    struct rusage before, after, thread, child, children;
    struct tms t0, t1;
    getrusage(RUSAGE_SELF, &before);
    times(&t0);
    volatile double child_start = -1, child_thread_start = -1;
    fflush(stdout);
    pid_t p = vfork();
    if (p == 0) {
        child_start = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        struct rusage ru;
        getrusage(RUSAGE_THREAD, &ru);
        child_thread_start = timeval_ms(ru.ru_utime) + timeval_ms(ru.ru_stime);
        burn(100);
        _exit(0);
    }
    int st;
    while (wait4(p, &st, 0, &child) < 0 && errno == EINTR) {
    }
    getrusage(RUSAGE_SELF, &after);
    getrusage(RUSAGE_THREAD, &thread);
    getrusage(RUSAGE_CHILDREN, &children);
    times(&t1);
    double own = timeval_ms(after.ru_utime) + timeval_ms(after.ru_stime) - timeval_ms(before.ru_utime) - timeval_ms(before.ru_stime);
    long hz = sysconf(_SC_CLK_TCK);
    check("a vfork child's process CPU clock starts near 0", child_start >= 0 && child_start < 30);
    check("a vfork child's thread CPU time starts near 0", child_thread_start >= 0 && child_thread_start < 30);
    check("the parent's time does not include the child's", own < 50);
    check("the parent's thread time is its own", timeval_ms(thread.ru_utime) + timeval_ms(thread.ru_stime) < 1000);
    check("wait4's rusage has the child's time", timeval_ms(child.ru_utime) + timeval_ms(child.ru_stime) >= 70);
    check("RUSAGE_CHILDREN has the child's time", timeval_ms(children.ru_utime) + timeval_ms(children.ru_stime) >= 70);
    check("times(): the child's time is the children's",
          (t1.tms_cutime + t1.tms_cstime - t0.tms_cutime - t0.tms_cstime) * 1000 / hz >= 70);
    check("times(): the parent's time is its own",
          (t1.tms_utime + t1.tms_stime - t0.tms_utime - t0.tms_stime) * 1000 / hz < 50);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1 && !strcmp(argv[1], "exit7"))
        return 7;
    if (argc > 5 && !strcmp(argv[1], "killed"))
        return killed_parent(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    setvbuf(stdout, NULL, _IOLBF, 0);
    nested();
    crashes();
    signal_to_parent();
    parent_killed("self", "the child kills its parent");
    parent_killed("blocked", "the parent is killed while the child blocks in read");
    parent_killed("group", "another thread of the parent calls _exit");
    with_threads();
    cpu_times();
    return finish();
}
