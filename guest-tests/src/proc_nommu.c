/*
 * proc_nommu: what only a no-MMU system does (run under nommu only; the
 * expected output is fixed, natively fork works and this program fails).
 *
 * - fork() fails with ENOSYS, and so do clone and clone3 without
 *   CLONE_VM (raw syscalls too);
 * - the machine survives crashing processes: vfork children that
 *   segfault (NULL write), execute ud2, divide by zero, or call a NULL
 *   function pointer, without exec, die with the right signal while a
 *   sibling keeps spinning in guest code; the parent goes on and the
 *   sibling still answers a signal afterwards;
 * - kill(-1, sig) reaches every other process, not the caller; ESRCH
 *   when there is none; the first process is pid 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"

static volatile sig_atomic_t flag;
static void on_usr1(int sig)
{
    (void)sig;
    flag = 1;
}

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "pause")) {
        for (;;)
            pause();
    }
    if (argc >= 3 && !strcmp(argv[1], "spin")) {
        signal(SIGUSR1, on_usr1);
        if (write(atoi(argv[2]), "r", 1) != 1)
            return 2;
        while (!flag) {
        }
        return 0;
    }

    errno = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0); /* natively: the child just leaves */
    if (pid > 0)
        waitpid(pid, NULL, 0);
    check("fork() returns -1 ENOSYS", pid == -1 && errno == ENOSYS);
    errno = 0;
    long r = syscall(SYS_fork);
    if (r == 0)
        _exit(0);
    check("raw fork syscall: ENOSYS", r == -1 && errno == ENOSYS);
    errno = 0;
    r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    check("clone(SIGCHLD) without CLONE_VM: ENOSYS", r == -1 && errno == ENOSYS);
    struct clone_args_v0 ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;
    errno = 0;
    r = syscall(SYS_clone3, &ca, sizeof ca);
    if (r == 0)
        _exit(0);
    check("clone3 without CLONE_VM: ENOSYS", r == -1 && errno == ENOSYS);

    /* a sibling that spins in guest code the whole time */
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return 1;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    char *sargv[] = { argv[0], "spin", fd, NULL };
    fflush(stdout);
    pid_t spinner = vfork();
    if (spinner == 0) {
        fcntl(p[1], F_SETFD, 0);
        execv(argv[0], sargv);
        _exit(127);
    }
    close(p[1]);
    char c;
    check("spinning sibling started", read(p[0], &c, 1) == 1);

    static const struct { const char *name; int sig; } crashes[] = {
        { "NULL write", SIGSEGV }, { "ud2", SIGILL }, { "divide by zero", SIGFPE }, { "NULL function call", SIGSEGV },
    };
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 4; i++) {
            fflush(stdout);
            pid = vfork();
            if (pid == 0) {
                volatile int zero = 0;
                void (*volatile fn)(void) = NULL;
                switch (i) {
                case 0: *(volatile int *)(uintptr_t)zero = 1; break;
                case 1: __asm__ volatile("ud2"); break;
                case 2: zero = 10 / zero; break;
                case 3: fn(); break;
                }
                _exit(0);
            }
            int st = 0;
            waitpid(pid, &st, 0);
            if (round == 0) {
                char what[96];
                snprintf(what, sizeof what, "vfork child crashes (%s): killed by signal %d", crashes[i].name,
                         crashes[i].sig);
                check(what, WIFSIGNALED(st) && WTERMSIG(st) == crashes[i].sig);
            } else if (!(WIFSIGNALED(st) && WTERMSIG(st) == crashes[i].sig)) {
                check("the same crash again", 0);
            }
        }
    check("the parent goes on after 12 crashed children", 1);
    kill(spinner, SIGUSR1);
    int st;
    waitpid(spinner, &st, 0);
    check("the spinning sibling survived and answered SIGUSR1", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* kill(-1): every process but the caller (and init: here the caller) */
    pid_t kids[3];
    char *pargv[] = { argv[0], "pause", NULL };
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        kids[i] = vfork();
        if (kids[i] == 0) {
            execv(argv[0], pargv);
            _exit(127);
        }
    }
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    check("kill(-1, SIGTERM) == 0", kill(-1, SIGTERM) == 0);
    int dead = 0;
    for (int i = 0; i < 3; i++)
        if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
            dead++;
    check("kill(-1) reached all three children, not the caller", dead == 3);
    errno = 0;
    check("kill(-1) with no other process: ESRCH", kill(-1, SIGTERM) == -1 && errno == ESRCH);
    check("the first process is pid 1", getpid() == 1);
    return finish();
}
