/*
 * proc_many: 200 processes alive at once.
 *
 * Each child is this program exec'd (vfork + execv) in "block" mode: it
 * reads a shared pipe until EOF, then exits with its index. Once all 200
 * are running, and each has said so through a second pipe, the parent
 * closes the write end; every child gets EOF; the parent reaps all 200
 * with wait() and checks each pid's status. Then a second round of 200
 * short-lived children started and reaped one after another (memory from
 * dead images must be reused).
 * Optional argument: the number of children (default 200).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 5 && !strcmp(argv[1], "block")) {
        int fd = atoi(argv[2]), ready = atoi(argv[3]);
        if (write(ready, "r", 1) != 1)
            return 254;
        close(ready);
        char c;
        ssize_t n;
        while ((n = read(fd, &c, 1)) > 0) {
        }
        return n == 0 ? atoi(argv[4]) : 253;
    }
    if (argc >= 3 && !strcmp(argv[1], "exit"))
        return atoi(argv[2]);

    int n = argc >= 2 ? atoi(argv[1]) : 200;
    if (n < 1 || n > 250)
        n = 200;
    int p[2], r[2];
    if (pipe2(p, O_CLOEXEC) != 0 || pipe2(r, O_CLOEXEC) != 0) {
        perror("pipe2");
        return 1;
    }
    char fd[16], rfd[16];
    snprintf(fd, sizeof fd, "%d", p[0]);
    snprintf(rfd, sizeof rfd, "%d", r[1]);
    pid_t *pids = calloc(n, sizeof *pids);
    int started = 0;
    for (int i = 0; i < n; i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        char *cargv[] = { argv[0], "block", fd, rfd, idx, NULL };
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            fcntl(p[0], F_SETFD, 0);
            fcntl(r[1], F_SETFD, 0);
            execv(argv[0], cargv);
            _exit(252);
        }
        if (pid < 0) {
            printf("vfork %d: %s\n", i, strerror(errno));
            break;
        }
        pids[i] = pid;
        started++;
    }
    close(r[1]);
    printf("started %d children\n", started);
    check("all children started", started == n);
    /* each says "r" once it runs */
    int ready = 0;
    char buf[256];
    ssize_t got;
    while (ready < started && (got = read(r[0], buf, sizeof buf)) > 0)
        ready += (int)got;
    printf("%d children ready at once\n", ready);
    check("all children alive at once", ready == n);
    int st;
    check("none has exited yet", waitpid(-1, &st, WNOHANG) == 0);
    close(p[1]);
    close(p[0]);
    int good = 0, reaped = 0;
    for (;;) {
        pid_t w = wait(&st);
        if (w < 0)
            break;
        reaped++;
        int i;
        for (i = 0; i < started && pids[i] != w; i++) {
        }
        if (i < started && WIFEXITED(st) && WEXITSTATUS(st) == i % 256)
            good++;
        else if (i < started)
            printf("child %d: status %#x\n", i, st);
        else
            printf("unknown child reaped\n");
    }
    printf("reaped %d, %d with the right status\n", reaped, good);
    check("every child reaped with its own exit status", reaped == n && good == n);
    check("then ECHILD", errno == ECHILD);

    /* one after another */
    int ok = 0;
    for (int i = 0; i < n; i++) {
        char code[16];
        snprintf(code, sizeof code, "%d", i % 256);
        char *cargv[] = { argv[0], "exit", code, NULL };
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            execv(argv[0], cargv);
            _exit(252);
        }
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == i % 256)
            ok++;
    }
    printf("%d sequential children ok\n", ok);
    check("sequential children", ok == n);
    return finish();
}
