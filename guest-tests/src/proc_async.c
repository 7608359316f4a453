/*
 * proc_async: signals that arrive asynchronously.
 *
 * - SIGALRM (setitimer) while this process spins on a volatile flag in
 *   pure guest code, no syscalls;
 * - SIGUSR1 from the parent while an exec'd child spins (the child says
 *   it is ready through a pipe); SIGTERM and SIGKILL to a spinning child;
 * - a blocking pipe read interrupted by a handled SIGALRM: EINTR without
 *   SA_RESTART; with SA_RESTART the read goes on and returns the data a
 *   helper child writes 200 ms later; a blocking write to a full pipe:
 *   EINTR; wait4 interrupted (EINTR) and restarted (SA_RESTART);
 *   poll and select: EINTR even with SA_RESTART (Linux never restarts
 *   them); a signal whose default action is to ignore it (SIGWINCH) does
 *   not interrupt a read;
 * - open of a FIFO without writer and flock on a file another process
 *   holds: EINTR; ppoll and pselect with a mask that unblocks a pending
 *   signal: EINTR after the handler, the old mask back; with the signal
 *   still blocked: a timeout;
 * - a child blocked in read is stopped (SIGSTOP) and continued (SIGCONT)
 *   and its read carries on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"
#include "sig_helpers.h"

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* All pipes are O_CLOEXEC; the child keeps the descriptor numbers that
 * appear as a2 and a3 (when numeric) across its exec. */
static void keep_passed_fds(char *const argv[])
{
    if (argv[2] && strcmp(argv[1], "sleep"))
        fcntl(atoi(argv[2]), F_SETFD, 0);
    if (argv[3] && !strcmp(argv[1], "reader"))
        fcntl(atoi(argv[3]), F_SETFD, 0);
}

static pid_t spawn_self(const char *a1, const char *a2, const char *a3, const char *a4)
{
    return vfork_self(keep_passed_fds, a1, a2, a3, a4);
}

static volatile sig_atomic_t flag, hits;

static void on_signal(int sig)
{
    (void)sig;
    hits++;
    flag = 1;
}

/* ---- child modes ---- */

/* spin until SIGUSR1 (handler) or death; says "ready" on fd first */
static int mode_spin(int readyfd, int handled)
{
    if (handled)
        handle(SIGUSR1, on_signal, 0);
    if (write(readyfd, "r", 1) != 1)
        return 2;
    close(readyfd);
    while (!flag) {
    }
    return 0;
}

/* sleeps ms, then writes data to fd */
static int mode_writer(int fd, int ms, const char *data)
{
    msleep(ms);
    return write(fd, data, strlen(data)) == (ssize_t)strlen(data) ? 0 : 1;
}

/* reads until EOF, exits with the number of bytes read (max 255) */
static int mode_reader(int fd, int readyfd)
{
    if (write(readyfd, "r", 1) != 1)
        return 254;
    close(readyfd);
    char buf[64];
    int total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0)
            return 253;
        if (n == 0)
            return total > 250 ? 250 : total;
        total += (int)n;
    }
}

/* ---- checks ---- */

static void test_spin_timer(void)
{
    flag = hits = 0;
    handle(SIGALRM, on_signal, 0);
    alarm_in_ms(30);
    while (!flag) {
    }
    check("SIGALRM interrupts a pure guest spin loop", hits == 1);
}

static void test_spinning_child(void)
{
    static const struct { const char *name; int sig; int handled; } cases[] = {
        { "SIGUSR1 (handled)", SIGUSR1, 1 },
        { "SIGTERM", SIGTERM, 0 },
        { "SIGKILL", SIGKILL, 0 },
    };
    for (unsigned i = 0; i < 3; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return;
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        pid_t pid = spawn_self("spin", fd, cases[i].handled ? "1" : "0", NULL);
        close(p[1]);
        char c;
        ssize_t n = read(p[0], &c, 1);
        close(p[0]);
        msleep(20); /* let it reach the loop */
        kill(pid, cases[i].sig);
        int st = 0;
        waitpid(pid, &st, 0);
        char what[96];
        snprintf(what, sizeof what, "spinning child gets %s: %s", cases[i].name, describe(st));
        int ok = n == 1 && (cases[i].handled ? WIFEXITED(st) && WEXITSTATUS(st) == 0
                                             : WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig);
        check(what, ok);
    }
}

static void test_pipe_read(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    char buf[16];

    /* no SA_RESTART: EINTR */
    flag = hits = 0;
    handle(SIGALRM, on_signal, 0);
    alarm_in_ms(50);
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof buf);
    check("blocking read + SIGALRM without SA_RESTART: -1 EINTR", n == -1 && errno == EINTR && hits == 1);

    /* SA_RESTART: the read goes on until a helper writes 200 ms later */
    flag = hits = 0;
    handle(SIGALRM, on_signal, SA_RESTART);
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    pid_t pid = spawn_self("writer", fd, "200", "data");
    long t0 = now_ms();
    alarm_in_ms(50);
    n = read(p[0], buf, sizeof buf);
    long dt = now_ms() - t0;
    check("blocking read + SIGALRM with SA_RESTART: restarted, gets the data",
          n == 4 && !memcmp(buf, "data", 4) && hits == 1);
    check("the restarted read waited for the writer (>= 150 ms)", dt >= 150);
    int st;
    waitpid(pid, &st, 0);

    /* a signal whose default is to be ignored does not interrupt */
    signal(SIGWINCH, SIG_DFL);
    pid = spawn_self("writer", fd, "150", "more");
    msleep(30);
    kill(getpid(), SIGWINCH);
    n = read(p[0], buf, sizeof buf);
    check("SIGWINCH (default: ignore) does not interrupt a read", n == 4 && !memcmp(buf, "more", 4));
    waitpid(pid, &st, 0);

    /* SIG_IGN'd signal sent while blocked: no interruption either */
    signal(SIGUSR2, SIG_IGN);
    pid = spawn_self("writer", fd, "150", "ign!");
    msleep(30);
    kill(getpid(), SIGUSR2);
    n = read(p[0], buf, sizeof buf);
    check("an ignored SIGUSR2 does not interrupt a read", n == 4 && !memcmp(buf, "ign!", 4));
    waitpid(pid, &st, 0);
    signal(SIGUSR2, SIG_DFL);

    /* blocking write to a full pipe */
    int fl = fcntl(p[1], F_GETFL);
    fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
    static char big[4096];
    long filled = 0;
    for (;;) {
        ssize_t w = write(p[1], big, sizeof big);
        if (w <= 0)
            break;
        filled += w;
    }
    fcntl(p[1], F_SETFL, fl);
    handle(SIGALRM, on_signal, 0);
    flag = hits = 0;
    alarm_in_ms(50);
    errno = 0;
    n = write(p[1], big, sizeof big);
    check("blocking write to a full pipe + SIGALRM: -1 EINTR", n == -1 && errno == EINTR && hits == 1);
    printf("pipe capacity filled: %ld bytes\n", filled);
    close(p[0]);
    close(p[1]);
}

static void test_wait_and_poll(void)
{
    /* wait4 interrupted */
    handle(SIGALRM, on_signal, 0);
    flag = hits = 0;
    pid_t pid = spawn_self("sleep", "250", NULL, NULL);
    alarm_in_ms(50);
    int st = 0;
    errno = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("waitpid + SIGALRM without SA_RESTART: -1 EINTR", w == -1 && errno == EINTR && hits == 1);
    handle(SIGALRM, on_signal, SA_RESTART);
    flag = hits = 0;
    alarm_in_ms(50);
    w = waitpid(pid, &st, 0);
    check("waitpid + SIGALRM with SA_RESTART: restarted, reaps the child",
          w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 && hits == 1);

    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    /* poll and select are never restarted */
    flag = hits = 0;
    alarm_in_ms(50);
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    errno = 0;
    int r = poll(&pfd, 1, 2000);
    check("poll + SIGALRM with SA_RESTART: -1 EINTR", r == -1 && errno == EINTR && hits == 1);
    flag = hits = 0;
    alarm_in_ms(50);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = { 2, 0 };
    errno = 0;
    r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    check("select + SIGALRM with SA_RESTART: -1 EINTR", r == -1 && errno == EINTR && hits == 1);
    close(p[0]);
    close(p[1]);
    signal(SIGALRM, SIG_DFL);
}

/* Other blocking calls a signal must interrupt. */
static void test_other_blocking(void)
{
    handle(SIGALRM, on_signal, SA_RESTART);
    /* open of a FIFO with no writer blocks */
    unlink("fifo");
    if (mkfifo("fifo", 0600) == 0) {
        handle(SIGALRM, on_signal, 0);
        flag = hits = 0;
        alarm_in_ms(50);
        errno = 0;
        int fd = open("fifo", O_RDONLY);
        check("open of a FIFO without writer + SIGALRM: -1 EINTR", fd == -1 && errno == EINTR && hits == 1);
        if (fd >= 0)
            close(fd);
        unlink("fifo");
    }
    /* flock on a file another process holds */
    int fd = open("lockfile", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int r[2];
    if (fd >= 0 && pipe2(r, O_CLOEXEC) == 0) {
        char rfd[16];
        snprintf(rfd, sizeof rfd, "%d", r[1]);
        pid_t pid = spawn_self("locker", rfd, "lockfile", NULL);
        close(r[1]);
        char c;
        ssize_t n = read(r[0], &c, 1);
        close(r[0]);
        handle(SIGALRM, on_signal, 0);
        flag = hits = 0;
        alarm_in_ms(50);
        errno = 0;
        int l = flock(fd, LOCK_EX);
        check("flock held by another process + SIGALRM: -1 EINTR", n == 1 && l == -1 && errno == EINTR && hits == 1);
        kill(pid, SIGTERM);
        int st;
        waitpid(pid, &st, 0);
        check("after the holder is gone, flock succeeds", flock(fd, LOCK_EX) == 0);
        close(fd);
        unlink("lockfile");
    }
    /* ppoll and pselect with a mask that unblocks the signal */
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    handle(SIGUSR1, on_signal, 0);
    sigset_t blk, old, during;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, &old);
    kill(getpid(), SIGUSR1); /* pending, blocked */
    flag = hits = 0;
    sigemptyset(&during);
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    struct timespec to = { 2, 0 };
    errno = 0;
    int rr = ppoll(&pfd, 1, &to, &during);
    check("ppoll with a mask unblocking a pending signal: -1 EINTR, handler ran", rr == -1 && errno == EINTR &&
                                                                                     hits == 1);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("after ppoll: SIGUSR1 blocked again", sigismember(&now, SIGUSR1) == 1);
    kill(getpid(), SIGUSR1);
    flag = hits = 0;
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    errno = 0;
    rr = pselect(p[0] + 1, &rs, NULL, NULL, &to, &during);
    check("pselect with a mask unblocking a pending signal: -1 EINTR, handler ran", rr == -1 && errno == EINTR &&
                                                                                       hits == 1);
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("after pselect: SIGUSR1 blocked again", sigismember(&now, SIGUSR1) == 1);
    /* ppoll whose mask keeps the signal blocked times out */
    kill(getpid(), SIGUSR1);
    flag = hits = 0;
    struct timespec shortto = { 0, 30 * 1000000L };
    rr = ppoll(&pfd, 1, &shortto, &blk);
    check("ppoll with the signal still blocked: times out (0)", rr == 0 && hits == 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    check("unblocked afterwards: handler ran", hits == 1);
    close(p[0]);
    close(p[1]);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
}

static void test_stop_cont_reader(void)
{
    int data[2], ready[2];
    if (pipe2(data, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0)
        return;
    char dfd[16], rfd[16];
    snprintf(dfd, sizeof dfd, "%d", data[0]);
    snprintf(rfd, sizeof rfd, "%d", ready[1]);
    pid_t pid = spawn_self("reader", dfd, rfd, NULL);
    close(data[0]);
    close(ready[1]);
    char c;
    ssize_t n = read(ready[0], &c, 1);
    close(ready[0]);
    msleep(20);
    if (write(data[1], "abc", 3) != 3)
        n = -1;
    msleep(20);
    kill(pid, SIGSTOP);
    int st = 0;
    pid_t w = waitpid(pid, &st, WUNTRACED);
    check("reader child stopped", n == 1 && w == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    /* data written while it is stopped waits */
    if (write(data[1], "defg", 4) != 4)
        n = -1;
    kill(pid, SIGCONT);
    msleep(20);
    if (write(data[1], "hi", 2) != 2)
        n = -1;
    close(data[1]);
    w = waitpid(pid, &st, 0);
    printf("reader child: %s\n", describe(st));
    check("stopped and continued reader read all 9 bytes", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 4 && !strcmp(argv[1], "spin"))
        return mode_spin(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 5 && !strcmp(argv[1], "writer"))
        return mode_writer(atoi(argv[2]), atoi(argv[3]), argv[4]);
    if (argc >= 4 && !strcmp(argv[1], "locker")) {
        int fd = open(argv[3], O_RDWR);
        if (fd < 0 || flock(fd, LOCK_EX) != 0)
            return 1;
        if (write(atoi(argv[2]), "l", 1) != 1)
            return 2;
        for (;;)
            pause();
    }
    if (argc >= 4 && !strcmp(argv[1], "reader"))
        return mode_reader(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "sleep")) {
        msleep(atoi(argv[2]));
        return 0;
    }
    test_spin_timer();
    test_spinning_child();
    test_pipe_read();
    test_wait_and_poll();
    test_other_blocking();
    test_stop_cont_reader();
    return finish();
}
