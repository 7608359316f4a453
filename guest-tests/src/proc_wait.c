/*
 * proc_wait: children's state changes.
 *
 * - ECHILD with no children (wait4 and waitid); EINVAL for bad options;
 * - a zombie stays until waited: waitid(WEXITED|WNOWAIT) twice sees it,
 *   kill(zombie, 0), getpgid(zombie), sigqueue(zombie) still work, then
 *   waitpid reaps it and the pid is gone (ESRCH, ECHILD);
 * - waitpid(WNOHANG) is 0 while the child runs, waitid(WNOHANG) leaves
 *   si_pid 0;
 * - SIGSTOP/SIGCONT: WUNTRACED, waitid(WSTOPPED|WNOWAIT) (si_code
 *   CLD_STOPPED, si_status SIGSTOP), a stop is reported once, WCONTINUED
 *   and CLD_CONTINUED, then SIGKILL of a stopped child; SIGTERM (default
 *   action) and a handled signal wait for SIGCONT; SIGKILL and SIGTERM end a child blocked in read;
 * - a SIGCHLD handler (SA_SIGINFO|SA_RESTART) sees CLD_EXITED with
 *   si_status and si_pid, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED; with
 *   SA_NOCLDSTOP only the exit;
 * - SIGCHLD ignored (SIG_IGN) and SA_NOCLDWAIT: children are reaped by
 *   themselves (ECHILD), the SA_NOCLDWAIT handler still runs;
 * - a clone child with exit signal 0 is only seen with __WALL/__WCLONE;
 * - rt_sigqueueinfo with si_code SI_USER to another process: EPERM;
 * - a parent waiting in vfork is killed by SIGKILL or SIGTERM while its
 *   child goes on;
 * - reparenting: a grandchild whose parent exits gets another parent;
 * - among many children (40 paused, in two process groups): wait(-1)
 *   and waitpid(-pgid) find the one that exited, stopped or continued,
 *   WNOHANG is 0 while none has, a group with no child is ECHILD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"

/* pipes are O_CLOEXEC: the child keeps the ones passed on */
static void keep_passed_fds(char *const argv[])
{
    /* (test_many_children: the group is joined before the exec, as
     * setpgid of a child that has exec'd is EACCES) */
    if (argv[1] && argv[2] && !strcmp(argv[1], "pause"))
        setpgid(0, atoi(argv[2]));
    if (argv[2] && (!strcmp(argv[1], "middle") || !strcmp(argv[1], "grandchild") || !strcmp(argv[1], "vfork-hang")))
        fcntl(atoi(argv[2]), F_SETFD, 0);
    if (argv[4] && !strcmp(argv[1], "grandchild"))
        fcntl(atoi(argv[4]), F_SETFD, 0);
}

static pid_t spawn_self4(const char *a1, const char *a2, const char *a3, const char *a4)
{
    return vfork_self(keep_passed_fds, a1, a2, a3, a4);
}

static pid_t spawn_self(const char *a1, const char *a2, const char *a3)
{
    return spawn_self4(a1, a2, a3, NULL);
}

/* a child that exits at once with `code` (vfork, no exec) */
static pid_t quick_child(int code)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0)
        _exit(code);
    return pid;
}

static const char *code_name(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    case 0: return "0";
    }
    return "other";
}

/* ---- SIGCHLD handler log ---- */
static struct { int code, status, pid; } chld[16];
static volatile int nchld;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (nchld < 16) {
        chld[nchld].code = si->si_code;
        chld[nchld].status = si->si_status;
        chld[nchld].pid = si->si_pid;
        nchld++;
    }
}

static void chld_handler(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    nchld = 0;
}

static void chld_default(void)
{
    signal(SIGCHLD, SIG_DFL);
}

/* Prints the SIGCHLD log with statuses and whether si_pid was `pid`. */
static void show_chld(const char *what, pid_t pid)
{
    printf("%s: SIGCHLD x%d:", what, nchld);
    for (int i = 0; i < nchld; i++)
        printf(" %s/%d/%s", code_name(chld[i].code), chld[i].status, chld[i].pid == pid ? "pid" : "other-pid");
    printf("\n");
}

static void exit21(int sig)
{
    (void)sig;
    _exit(21);
}

static void test_echild(void)
{
    int st;
    errno = 0;
    check("wait with no children: ECHILD", wait(&st) == -1 && errno == ECHILD);
    siginfo_t si;
    errno = 0;
    check("waitid(P_ALL) with no children: ECHILD", waitid(P_ALL, 0, &si, WEXITED) == -1 && errno == ECHILD);
    errno = 0;
    check("waitpid(bad options): EINVAL", waitpid(-1, &st, 0x10000) == -1 && errno == EINVAL);
    errno = 0;
    check("waitid(no WEXITED/WSTOPPED/WCONTINUED): EINVAL", waitid(P_ALL, 0, &si, WNOHANG) == -1 && errno == EINVAL);
    errno = 0;
    check("waitid(bad idtype): EINVAL", waitid((idtype_t)42, 0, &si, WEXITED) == -1 && errno == EINVAL);
}

static void test_zombie(void)
{
    pid_t pid = quick_child(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    check("waitid(WNOWAIT) sees the zombie", r == 0 && si.si_pid == pid && si.si_signo == SIGCHLD &&
                                                 si.si_code == CLD_EXITED && si.si_status == 3);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
    check("waitid(WNOWAIT) again: still there", r == 0 && si.si_pid == pid && si.si_status == 3);
    check("kill(zombie, 0) == 0", kill(pid, 0) == 0);
    check("kill(zombie, SIGTERM) == 0 (no effect)", kill(pid, SIGTERM) == 0);
    errno = 0;
    pid_t g = getpgid(pid);
    check("getpgid(zombie child) == our pgid", g == getpgrp());
    errno = 0;
    pid_t s = getsid(pid);
    check("getsid(zombie child) == our sid", s == getsid(0));
    errno = 0;
    r = sigqueue(pid, SIGUSR1, (union sigval){ .sival_int = 1 });
    check("sigqueue(zombie) == 0", r == 0);
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("waitpid reaps it: exited 3 (the SIGTERM did nothing)", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    errno = 0;
    check("reaped: waitpid again ECHILD", waitpid(pid, &st, 0) == -1 && errno == ECHILD);
    errno = 0;
    check("reaped: kill ESRCH", kill(pid, 0) == -1 && errno == ESRCH);
    errno = 0;
    check("reaped: getpgid ESRCH", getpgid(pid) == -1 && errno == ESRCH);

    /* WNOHANG while running */
    pid = spawn_self("sleep", "150", NULL);
    errno = 0;
    w = waitpid(pid, &st, WNOHANG);
    check("waitpid(WNOHANG) while the child runs: 0", w == 0);
    memset(&si, 0xff, sizeof si);
    r = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
    check("waitid(WNOHANG) while the child runs: 0 and si_pid 0", r == 0 && si.si_pid == 0);
    w = waitpid(pid, &st, 0);
    check("then waitpid reaps it", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* wait4 with rusage and a pid of -1 */
    pid = quick_child(0);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    w = wait4(-1, &st, 0, &ru);
    check("wait4(-1) with rusage", w == pid && ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
                                       ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_sec >= 0);
    /* status pointer NULL */
    pid = quick_child(0);
    check("waitpid with a NULL status pointer", waitpid(pid, NULL, 0) == pid);
}

static void test_stop_continue(void)
{
    /* (sleeps between the steps, so that each SIGCHLD is handled before
     * the next is sent: standard signals do not queue) */
    chld_handler(0);
    pid_t pid = spawn_self("pause", NULL, NULL);
    msleep(20);
    kill(pid, SIGSTOP);
    msleep(40);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT);
    check("waitid(WSTOPPED|WNOWAIT): CLD_STOPPED, SIGSTOP",
          r == 0 && si.si_pid == pid && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP);
    int st = 0;
    pid_t w = waitpid(pid, &st, WUNTRACED);
    check("waitpid(WUNTRACED): stopped by SIGSTOP", w == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    w = waitpid(pid, &st, WUNTRACED | WNOHANG);
    check("the stop is reported only once", w == 0);
    w = waitpid(pid, &st, WNOHANG);
    check("waitpid without WUNTRACED ignores a stopped child", w == 0);
    kill(pid, SIGCONT);
    msleep(40);
    w = waitpid(pid, &st, WCONTINUED);
    check("waitpid(WCONTINUED): continued", w == pid && WIFCONTINUED(st));
    memset(&si, 0xff, sizeof si);
    r = waitid(P_PID, pid, &si, WCONTINUED | WNOHANG);
    check("the continue is reported only once", r == 0 && si.si_pid == 0);
    kill(pid, SIGSTOP);
    msleep(40);
    w = waitpid(pid, &st, WUNTRACED);
    check("stopped again", w == pid && WIFSTOPPED(st));
    kill(pid, SIGKILL);
    w = waitpid(pid, &st, 0);
    check("a stopped child dies by SIGKILL", w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    msleep(40);
    show_chld("stop, continue, stop, kill", pid);
    check("SIGCHLD codes", nchld == 4 && chld[0].code == CLD_STOPPED && chld[0].status == SIGSTOP &&
                               chld[1].code == CLD_CONTINUED && chld[1].status == SIGCONT &&
                               chld[2].code == CLD_STOPPED && chld[3].code == CLD_KILLED &&
                               chld[3].status == SIGKILL);

    /* exits */
    chld_handler(0);
    pid = quick_child(42);
    w = waitpid(pid, &st, 0);
    show_chld("child exits 42", pid);
    check("SIGCHLD: CLD_EXITED, si_status 42, si_pid", nchld == 1 && chld[0].code == CLD_EXITED &&
                                                           chld[0].status == 42 && chld[0].pid == pid);
    chld_handler(0);
    pid = spawn_self("pause", NULL, NULL);
    msleep(20);
    kill(pid, SIGTERM);
    w = waitpid(pid, &st, 0);
    show_chld("child killed by SIGTERM", pid);
    check("SIGCHLD: CLD_KILLED, si_status SIGTERM", nchld == 1 && chld[0].code == CLD_KILLED &&
                                                        chld[0].status == SIGTERM && chld[0].pid == pid);

    /* a fatal signal (default action) other than SIGKILL waits until the
     * stopped process continues */
    chld_default();
    pid = spawn_self("pause", NULL, NULL);
    msleep(20);
    kill(pid, SIGSTOP);
    w = waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGTERM);
    msleep(50);
    w = waitpid(pid, &st, WNOHANG);
    check("SIGTERM does not end a stopped child", w == 0);
    kill(pid, SIGCONT);
    w = waitpid(pid, &st, 0);
    check("... SIGCONT, and it dies by SIGTERM", w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    /* a handled signal waits until the stopped process continues */
    pid = spawn_self("usr1-exit", NULL, NULL);
    msleep(20);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGUSR1);
    msleep(50);
    w = waitpid(pid, &st, WNOHANG);
    check("a handled SIGUSR1 does not run while the child is stopped", w == 0);
    kill(pid, SIGCONT);
    w = waitpid(pid, &st, 0);
    check("... and runs after SIGCONT (exit 21)", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 21);
    /* SIGKILL and SIGTERM for a child blocked in read */
    static const int sigs[] = { SIGKILL, SIGTERM };
    for (int i = 0; i < 2; i++) {
        pid = spawn_self("read-stdin", NULL, NULL);
        msleep(20);
        kill(pid, sigs[i]);
        w = waitpid(pid, &st, 0);
        char what[80];
        snprintf(what, sizeof what, "a child blocked in read dies by signal %d", sigs[i]);
        check(what, w == pid && WIFSIGNALED(st) && WTERMSIG(st) == sigs[i]);
    }

    /* SA_NOCLDSTOP */
    chld_handler(SA_NOCLDSTOP);
    chld_handler(SA_NOCLDSTOP);
    pid = spawn_self("pause", NULL, NULL);
    msleep(20);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    show_chld("SA_NOCLDSTOP: stop, continue, kill", pid);
    check("SA_NOCLDSTOP: only the death is signalled", nchld == 1 && chld[0].code == CLD_KILLED);
    chld_default();
}

static void test_autoreap(void)
{
    signal(SIGCHLD, SIG_IGN);
    pid_t pid = quick_child(5);
    int st;
    errno = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("SIGCHLD ignored: no zombie, waitpid ECHILD", w == -1 && errno == ECHILD);
    /* a running child: wait blocks until it is gone, then ECHILD */
    pid = spawn_self("sleep", "50", NULL);
    errno = 0;
    w = waitpid(-1, &st, 0);
    check("SIGCHLD ignored: wait for a running child ends with ECHILD", w == -1 && errno == ECHILD);
    chld_handler(SA_NOCLDWAIT);
    pid = quick_child(6);
    errno = 0;
    w = waitpid(pid, &st, 0);
    check("SA_NOCLDWAIT: waitpid ECHILD", w == -1 && errno == ECHILD);
    check("SA_NOCLDWAIT: the handler still ran with CLD_EXITED/6", nchld == 1 && chld[0].code == CLD_EXITED &&
                                                                         chld[0].status == 6);
    chld_default();
}

static char clone_stack[32 * 1024] __attribute__((aligned(16)));
static int clone_fn(void *arg)
{
    (void)arg;
    return 4;
}

static void ignore_it(int sig)
{
    (void)sig;
}

static void test_wclone(void)
{
    fflush(stdout);
    pid_t pid = clone(clone_fn, clone_stack + sizeof clone_stack, CLONE_VM | CLONE_VFORK, NULL);
    int st = 0;
    errno = 0;
    pid_t w = waitpid(pid, &st, WNOHANG);
    check("exit signal 0 child: invisible to plain waitpid (ECHILD)", w == -1 && errno == ECHILD);
    w = waitpid(pid, &st, __WALL);
    check("exit signal 0 child: __WALL reaps it, status 4", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4);
    signal(SIGUSR2, ignore_it);
    fflush(stdout);
    pid = clone(clone_fn, clone_stack + sizeof clone_stack, CLONE_VM | CLONE_VFORK | SIGUSR2, NULL);
    errno = 0;
    w = waitpid(pid, &st, 0);
    check("exit signal SIGUSR2 child: invisible to plain waitpid (ECHILD)", w == -1 && errno == ECHILD);
    w = waitpid(pid, &st, __WCLONE);
    if (!(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4))
        printf("__WCLONE: w == pid: %s, errno %s, status %#x\n", w == pid ? "yes" : "no", strerror(errno), st);
    check("exit signal SIGUSR2 child: __WCLONE reaps it", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4);
    signal(SIGUSR2, SIG_DFL);
}

static void test_sigqueue_perm(void)
{
    pid_t pid = spawn_self("pause", NULL, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_USER;
    errno = 0;
    long r = syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si);
    check("rt_sigqueueinfo(child, SI_USER): EPERM", r == -1 && errno == EPERM);
    si.si_code = SI_QUEUE;
    r = syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &si);
    int st;
    pid_t w = waitpid(pid, &st, 0);
    check("rt_sigqueueinfo(child, SI_QUEUE, SIGTERM) kills it", r == 0 && w == pid && WIFSIGNALED(st) &&
                                                                     WTERMSIG(st) == SIGTERM);
}

/* A parent waiting in vfork for a child that never execs or exits can
 * still be killed (SIGKILL, or a fatal SIGTERM); the child lives on. */
static void test_kill_vfork_parent(void)
{
    static const int sigs[] = { SIGKILL, SIGTERM };
    for (int i = 0; i < 2; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return;
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        pid_t parent = spawn_self("vfork-hang", fd, NULL);
        close(p[1]);
        int child = 0;
        ssize_t n = read(p[0], &child, sizeof child);
        close(p[0]);
        msleep(20);
        kill(parent, sigs[i]);
        int st = 0;
        pid_t w = 0;
        for (int k = 0; k < 100 && w == 0; k++) {
            w = waitpid(parent, &st, WNOHANG);
            if (w == 0)
                msleep(10);
        }
        char what[96];
        snprintf(what, sizeof what, "signal %d kills a parent waiting in vfork", sigs[i]);
        check(what, n == sizeof child && w == parent && WIFSIGNALED(st) && WTERMSIG(st) == sigs[i]);
        check("its vfork child is still alive", n == sizeof child && kill(child, 0) == 0);
        if (n == sizeof child)
            kill(child, SIGKILL);
        if (w == 0) {
            kill(parent, SIGKILL);
            waitpid(parent, &st, 0);
        }
    }
}

static void test_reparent(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    pid_t mid = spawn_self("middle", fd, NULL);
    close(p[1]);
    int st;
    pid_t w = waitpid(mid, &st, 0);
    check("middle child exits 0 after starting the grandchild", w == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char buf[128] = "";
    ssize_t n, total = 0;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    close(p[0]);
    printf("grandchild says: %s", buf);
    check("grandchild's ppid changed after its parent exited", !strcmp(buf, "ppid was parent: yes, changed: yes\n"));
}

/* 40 children that pause (this program again, vfork + exec: no fork on
 * no-MMU), the odd ones in a group of their own; some are killed, one is
 * stopped and continued, while the rest wait */
static void test_many_children(void)
{
    enum { N = 40 };
    pid_t kids[N], group = 0;
    for (int i = 0; i < N; i++) {
        char g[16];
        snprintf(g, sizeof g, "%d", i % 2 ? (int)group : (int)getpgrp());
        kids[i] = spawn_self("pause", g, NULL);
        if (i % 2 && !group)
            group = kids[i];
    }
    int st;
    check("many children: WNOHANG while all run is 0", waitpid(-1, &st, WNOHANG) == 0);
    check("many children: WNOHANG for the group is 0", waitpid(-group, &st, WNOHANG) == 0);
    errno = 0;
    check("many children: a group with none is ECHILD", waitpid(-999999, &st, WNOHANG) == -1 && errno == ECHILD);
    kill(kids[N - 3], SIGKILL);
    pid_t got = waitpid(-group, &st, 0);
    check("many children: the group's wait finds its killed child",
          got == kids[N - 3] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    kill(kids[N - 4], SIGTERM);
    got = wait(&st);
    check("many children: wait(-1) finds the one that ended", got == kids[N - 4] && WIFSIGNALED(st));
    kill(kids[7], SIGSTOP);
    got = waitpid(-1, &st, WUNTRACED);
    check("many children: WUNTRACED finds the stopped one", got == kids[7] && WIFSTOPPED(st));
    check("many children: a stop is reported once", waitpid(-1, &st, WNOHANG | WUNTRACED) == 0);
    kill(kids[7], SIGCONT);
    got = waitpid(-1, &st, WCONTINUED);
    check("many children: WCONTINUED finds it", got == kids[7] && WIFCONTINUED(st));
    check("many children: then nothing to report", waitpid(-1, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0);
    int reaped = 2;
    for (int i = 0; i < N; i++)
        if (i != N - 3 && i != N - 4)
            kill(kids[i], SIGKILL);
    while (wait(&st) > 0)
        reaped++;
    check("many children: all reaped, then ECHILD", reaped == N && errno == ECHILD);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3 && !strcmp(argv[1], "sleep")) {
        msleep(atoi(argv[2]));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "vfork-hang")) {
        /* the vfork child sends its pid and pauses, with raw syscalls */
        int fd = atoi(argv[2]);
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            int me = (int)syscall(SYS_getpid);
            syscall(SYS_write, fd, &me, sizeof me);
            for (;;)
                syscall(SYS_pause);
        }
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "usr1-exit")) {
        signal(SIGUSR1, exit21);
        for (;;)
            pause();
    }
    if (argc >= 2 && !strcmp(argv[1], "read-stdin")) {
        int p[2];
        char c;
        if (pipe(p) != 0)
            return 1;
        return (int)read(p[0], &c, 1) + 50; /* never returns */
    }
    if (argc >= 2 && !strcmp(argv[1], "pause")) {
        for (;;)
            pause();
    }
    if (argc >= 2 && !strcmp(argv[1], "pause")) {
        for (;;)
            pause();
    }
    if (argc >= 3 && !strcmp(argv[1], "middle")) {
        /* starts the grandchild, waits until it has looked at its ppid,
         * exits */
        char pid[16], qfd[16];
        int q[2];
        if (pipe2(q, O_CLOEXEC) != 0)
            return 1;
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        snprintf(qfd, sizeof qfd, "%d", q[1]);
        spawn_self4("grandchild", argv[2], pid, qfd);
        close(q[1]);
        char c;
        return read(q[0], &c, 1) == 1 ? 0 : 1;
    }
    if (argc >= 5 && !strcmp(argv[1], "grandchild")) {
        int fd = atoi(argv[2]);
        pid_t parent = atoi(argv[3]);
        int was = getppid() == parent, changed = 0;
        if (write(atoi(argv[4]), "x", 1) != 1)
            return 1;
        close(atoi(argv[4]));
        for (int i = 0; i < 400 && !changed; i++) {
            changed = getppid() != parent;
            if (!changed)
                msleep(5);
        }
        dprintf(fd, "ppid was parent: %s, changed: %s\n", was ? "yes" : "no", changed ? "yes" : "no");
        return 0;
    }
    test_echild();
    test_many_children(); /* first: no other child may end meanwhile */
    test_zombie();
    test_stop_continue();
    test_autoreap();
    test_wclone();
    test_sigqueue_perm();
    test_kill_vfork_parent(); /* under nommu, the orphans become our children */
    test_reparent();
    return finish();
}
