/*
 * proc_pgrp: process groups and sessions.
 *
 * The top process never signals its own group or calls setsid (natively
 * it shares both with the test harness); a child in a new group does.
 *
 * - getpgrp() == getpgid(0), getsid(0) == getsid(getpid());
 * - a vfork child: setsid() makes it leader of a new session and group,
 *   a second setsid() is EPERM, setpgid as a session leader is EPERM;
 *   setpgid(0,0) then setsid() is EPERM (a group leader);
 * - setpgid by the parent before the child execs (the shell's way), and
 *   EACCES after the exec; getpgid of the child; ESRCH/EINVAL/EPERM
 *   errors;
 * - kill(-pgid, SIGTERM) kills the whole group (3 children), waitpid(-pgid)
 *   reaps them one by one, then ECHILD;
 * - waitpid(0) waits only for children in the caller's group;
 * - a group leader child runs kill(0, SIGUSR1): itself and its two
 *   children in the group get it, the caller's own group does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"

static void new_group(char *const argv[])
{
    (void)argv;
    setpgid(0, 0);
}

/* vfork + exec self mode; own_group: setpgid(0, 0) in the child first */
static pid_t spawn_self(const char *mode, int own_group)
{
    return vfork_self(own_group ? new_group : NULL, mode, NULL, NULL, NULL);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

/* ---- child modes ---- */

static int mode_pause(void)
{
    for (;;)
        pause();
    return 0;
}

/* exits 10 when SIGUSR1 arrives; says so on descriptor `ready` (if
 * given) once its handler is in place */
static int mode_usr1(const char *ready)
{
    signal(SIGUSR1, on_usr1);
    if (ready && write(atoi(ready), "r", 1) != 1)
        return 11;
    while (!got_usr1)
        pause();
    return 10;
}

/* a group leader: two children in its group, kill(0, SIGUSR1), then
 * exit status = 1 (own handler ran) + 2 * (children that exited 10) */
static int mode_leader(void)
{
    if (getpgrp() != getpid())
        return 100;
    signal(SIGUSR1, on_usr1);
    /* The children say when their handlers are in place (a sleep was
     * not enough on a loaded machine). */
    int ready[2];
    if (pipe(ready) != 0)
        return 102;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", ready[1]);
    pid_t a = vfork_self(NULL, "usr1", fd, NULL, NULL), b = vfork_self(NULL, "usr1", fd, NULL, NULL);
    close(ready[1]);
    char c;
    for (int i = 0; i < 2; i++)
        if (read(ready[0], &c, 1) != 1)
            return 103;
    close(ready[0]);
    int same = getpgid(a) == getpid() && getpgid(b) == getpid();
    if (kill(0, SIGUSR1) != 0)
        return 101;
    int st, ok = 0;
    if (waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 10)
        ok++;
    if (waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 10)
        ok++;
    return (same ? 0 : 64) + (got_usr1 ? 1 : 0) + 2 * ok;
}

/* ---- checks ---- */

static volatile int v_setsid_ret_is_pid, v_sid_is_pid, v_pgrp_is_pid, v_setsid_again_eperm, v_setpgid_eperm,
    v_leader_setsid_eperm, v_parent_sid_unchanged;

static void test_ids(void)
{
    check("getpgrp() == getpgid(0)", getpgrp() == getpgid(0));
    check("getpgid(getpid()) == getpgrp()", getpgid(getpid()) == getpgrp());
    check("getsid(0) == getsid(getpid())", getsid(0) == getsid(getpid()));
    /* 0, not a pid, when the session leader lives in another pid
     * namespace (a container started by a runner outside it) */
    check("getsid(0) >= 0 and getpgrp() >= 0", getsid(0) >= 0 && getpgrp() >= 0);
    errno = 0;
    check("getpgid(-1): ESRCH", getpgid(-1) == -1 && errno == ESRCH);
}

static void test_setsid(void)
{
    pid_t my_sid = getsid(0), my_pgrp = getpgrp();
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        pid_t me = getpid();
        pid_t r = setsid();
        v_setsid_ret_is_pid = r == me;
        v_sid_is_pid = getsid(0) == me;
        v_pgrp_is_pid = getpgrp() == me;
        errno = 0;
        v_setsid_again_eperm = setsid() == -1 && errno == EPERM;
        errno = 0;
        v_setpgid_eperm = setpgid(0, my_pgrp) == -1 && errno == EPERM;
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    check("child setsid() returns its pid", v_setsid_ret_is_pid);
    check("child: getsid(0) == getpid()", v_sid_is_pid);
    check("child: getpgrp() == getpid()", v_pgrp_is_pid);
    check("child: setsid() again: EPERM", v_setsid_again_eperm);
    check("child: session leader setpgid to the old group: EPERM", v_setpgid_eperm);
    check("parent's session unchanged", getsid(0) == my_sid && getpgrp() == my_pgrp);

    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        setpgid(0, 0);
        errno = 0;
        v_leader_setsid_eperm = setsid() == -1 && errno == EPERM;
        v_parent_sid_unchanged = getsid(0) == my_sid;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    check("group leader (setpgid(0,0)) then setsid(): EPERM", v_leader_setsid_eperm);
    check("and its session is unchanged", v_parent_sid_unchanged);
}

static void test_setpgid(void)
{
    /* the shell's way: both parent and child call setpgid before exec */
    fflush(stdout);
    char *argv[] = { (char *)self, "pause", NULL };
    pid_t pid = vfork();
    if (pid == 0) {
        setpgid(0, 0);
        execv(self, argv);
        _exit(127);
    }
    int r = setpgid(pid, pid);
    /* the child has exec'd by now: EACCES (Linux) */
    printf("parent setpgid(child) after its exec: %s\n", r == 0 ? "0" : errno == EACCES ? "EACCES" : strerror(errno));
    check("getpgid(child) == child pid", getpgid(pid) == pid);
    check("getsid(child) == our sid", getsid(pid) == getsid(0));
    errno = 0;
    check("setpgid(child, our group) after exec: EACCES", setpgid(pid, getpgrp()) == -1 && errno == EACCES);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);

    /* errors */
    errno = 0;
    check("setpgid(-1, 0): EINVAL", setpgid(-1, 0) == -1 && errno == EINVAL);
    errno = 0;
    check("setpgid(0, -1): EINVAL", setpgid(0, -1) == -1 && errno == EINVAL);
    errno = 0;
    check("setpgid(reaped child, 0): ESRCH", setpgid(pid, 0) == -1 && errno == ESRCH);
    errno = 0;
    check("getpgid(reaped child): ESRCH", getpgid(pid) == -1 && errno == ESRCH);
    errno = 0;
    check("getsid(reaped child): ESRCH", getsid(pid) == -1 && errno == ESRCH);
    /* in a child: the top process may be a session leader (under nommu
     * it is pid 1), where setpgid is always EPERM */
    static volatile int noexist_eperm, noop_ok;
    pid_t gone = pid;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        errno = 0;
        noexist_eperm = setpgid(0, gone) == -1 && errno == EPERM;
        noop_ok = setpgid(0, getpgrp()) == 0;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    check("setpgid(0, a group that does not exist): EPERM", noexist_eperm);
    check("setpgid(0, getpgrp()) is a no-op", noop_ok);

    /* a child moved into another child's group, before exec */
    pid_t a = spawn_self("pause", 1);
    msleep(10);
    fflush(stdout);
    pid_t b = vfork();
    if (b == 0) {
        setpgid(0, a);
        execv(self, argv);
        _exit(127);
    }
    check("second child joined the first child's group", getpgid(b) == a);
    kill(-a, SIGKILL);
    waitpid(a, &st, 0);
    waitpid(b, &st, 0);
}

static void test_group_kill(void)
{
    pid_t leader = spawn_self("pause", 1);
    pid_t kids[3] = { leader, 0, 0 };
    for (int i = 1; i < 3; i++) {
        fflush(stdout);
        char *argv[] = { (char *)self, "pause", NULL };
        pid_t pid = vfork();
        if (pid == 0) {
            setpgid(0, leader);
            execv(self, argv);
            _exit(127);
        }
        kids[i] = pid;
    }
    msleep(30);
    int in_group = 0;
    for (int i = 0; i < 3; i++)
        in_group += getpgid(kids[i]) == leader;
    check("three children in the new group", in_group == 3);
    check("kill(-pgid, SIGTERM) == 0", kill(-leader, SIGTERM) == 0);
    int reaped = 0, st;
    pid_t w;
    while ((w = waitpid(-leader, &st, 0)) > 0) {
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
            reaped++;
        else
            printf("group member: %s\n", describe(st));
    }
    check("waitpid(-pgid) reaped all three, killed by SIGTERM", reaped == 3);
    check("then waitpid(-pgid): ECHILD", w == -1 && errno == ECHILD);
    errno = 0;
    check("kill(-pgid) of a group that is gone: ESRCH", kill(-leader, SIGTERM) == -1 && errno == ESRCH);
}

static void test_wait_zero(void)
{
    fflush(stdout);
    pid_t a = vfork();
    if (a == 0)
        _exit(1);
    pid_t b = vfork();
    if (b == 0) {
        setpgid(0, 0);
        _exit(2);
    }
    int st;
    pid_t w = waitpid(0, &st, 0);
    check("waitpid(0) gets the child in our group", w == a && WEXITSTATUS(st) == 1);
    errno = 0;
    w = waitpid(0, &st, 0);
    check("waitpid(0) again: ECHILD (the other child is in another group)", w == -1 && errno == ECHILD);
    w = waitpid(-b, &st, 0);
    check("waitpid(-its group) gets the other one", w == b && WEXITSTATUS(st) == 2);
}

static void test_kill_zero(void)
{
    signal(SIGUSR1, on_usr1);
    got_usr1 = 0;
    pid_t pid = spawn_self("leader", 1);
    int st;
    waitpid(pid, &st, 0);
    printf("leader: %s\n", describe(st));
    check("kill(0, SIGUSR1) in the child's group reached it and its 2 children", WIFEXITED(st) && WEXITSTATUS(st) == 5);
    check("kill(0, SIGUSR1) in the child's group did not reach us", got_usr1 == 0);
    signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 2 && !strcmp(argv[1], "pause"))
        return mode_pause();
    if (argc >= 2 && !strcmp(argv[1], "usr1"))
        return mode_usr1(argc >= 3 ? argv[2] : NULL);
    if (argc >= 2 && !strcmp(argv[1], "leader"))
        return mode_leader();
    test_ids();
    test_setsid();
    test_setpgid();
    test_group_kill();
    test_wait_zero();
    test_kill_zero();
    return finish();
}
