/*
 * fs_pipe: pipes in a single process (no fork or threads): pipe/pipe2
 * flags, F_GETFL/F_GETFD values, O_NONBLOCK reads (EAGAIN) and writes
 * (filling the 64 KiB pipe: partial write then EAGAIN), poll/ppoll/
 * select/pselect6 readiness (empty, with data, full, writer closed ->
 * POLLHUP, reader closed -> POLLERR, POLLNVAL for a closed fd, a 50 ms
 * timeout that expires), EOF after the writer closes, EPIPE with SIGPIPE
 * ignored (and select reporting the broken pipe writable), zero-length
 * reads and writes (never EAGAIN/EPIPE), fstat S_IFIFO, isatty ENOTTY,
 * F_GETPIPE_SZ, and EBADF on the wrong end.
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
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

static short revents(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    int r = poll(&p, 1, 0);
    if (r < 0)
        return -1;
    return p.revents;
}

static void show_revents(const char *what, int fd, short events, short want)
{
    short r = revents(fd, events);
    printf("%s: revents =%s%s%s%s%s%s\n", what, r & POLLIN ? " POLLIN" : "", r & POLLOUT ? " POLLOUT" : "",
           r & POLLHUP ? " POLLHUP" : "", r & POLLERR ? " POLLERR" : "", r & POLLNVAL ? " POLLNVAL" : "",
           r == 0 ? " 0" : "");
    if (r != want) {
        printf("FAIL %s: expected revents 0x%x, got 0x%x\n", what, want, r);
        failures++;
    }
}

static int readable_by_select(int fd)
{
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    struct timeval tv = { 0, 0 };
    int r = select(fd + 1, &rs, NULL, NULL, &tv);
    return r < 0 ? -1 : r == 1 && FD_ISSET(fd, &rs);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void)
{
    int p[2], q[2];
    char buf[4096];
    static char big[70000];

    for (int i = 3; i < 256; i++)
        close(i);

    /* pipe: fds 3 and 4, read end O_RDONLY, write end O_WRONLY */
    OK(pipe(p));
    printf("pipe fds = %d %d\n", p[0], p[1]);
    T(fcntl(p[0], F_GETFL), O_RDONLY, 0);
    T(fcntl(p[1], F_GETFL), O_WRONLY, 0);
    T(fcntl(p[0], F_GETFD), 0, 0);
    T(fcntl(p[0], F_GETPIPE_SZ), 65536, 0);
    ERR(write(p[0], "x", 1), EBADF);
    ERR(read(p[1], buf, 1), EBADF);

    /* readiness of an empty pipe */
    show_revents("empty, read end", p[0], POLLIN, 0);
    show_revents("empty, write end", p[1], POLLOUT, POLLOUT);
    T(readable_by_select(p[0]), 0, 0);

    /* data */
    T(write(p[1], "hello", 5), 5, 0);
    show_revents("5 bytes, read end", p[0], POLLIN | POLLOUT, POLLIN);
    T(readable_by_select(p[0]), 1, 0);
    T(read(p[0], buf, 2), 2, 0);
    T(read(p[0], buf, sizeof buf), 3, 0); /* short read: what is there */
    check("read \"llo\"", memcmp(buf, "llo", 3) == 0);
    T(read(p[0], buf, 0), 0, 0);
    T(write(p[1], "", 0), 0, 0);

    /* O_NONBLOCK via fcntl */
    OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    T(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK, 0);
    ERR(read(p[0], buf, 1), EAGAIN);
    T(read(p[0], buf, 0), 0, 0); /* zero bytes: no EAGAIN */
    OK(fcntl(p[0], F_SETFL, 0));

    /* what a pipe looks like */
    struct stat st;
    OK(fstat(p[0], &st));
    check("fstat: S_IFIFO, size 0", S_ISFIFO(st.st_mode) && st.st_size == 0);
    T(isatty(p[0]), 0, 0);
    ERR(ioctl(p[0], TCGETS, buf), ENOTTY);

    /* ppoll, pselect6, raw poll/select */
    T(write(p[1], "x", 1), 1, 0);
    struct pollfd pf[3] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 0 } };
    struct timespec zero = { 0, 0 };
    T(ppoll(pf, 3, &zero, NULL), 2, 0);
    check("ppoll: POLLIN, POLLOUT, 0 for fd -1",
          pf[0].revents == POLLIN && pf[1].revents == POLLOUT && pf[2].revents == 0);
    pf[0].revents = pf[1].revents = 7;
    T(syscall(SYS_poll, pf, 2, 0), 2, 0);
    check("raw poll", pf[0].revents == POLLIN && pf[1].revents == POLLOUT);
    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_SET(p[0], &rs);
    FD_SET(p[1], &rs);
    FD_SET(p[1], &ws);
    T(pselect(p[1] + 1, &rs, &ws, NULL, &zero, NULL), 2, 0);
    check("pselect: read end readable, write end writable only",
          FD_ISSET(p[0], &rs) && !FD_ISSET(p[1], &rs) && FD_ISSET(p[1], &ws));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tz = { 0, 0 };
    T(syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tz), 1, 0);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct { const sigset_t *ss; size_t len; } sig = { NULL, 8 };
    T(syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, &sig), 1, 0);
    T(read(p[0], buf, 1), 1, 0);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    T(syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, NULL), 0, 0);
    check("pselect6 cleared the bit", !FD_ISSET(p[0], &rs));
    ERR(select(-1, NULL, NULL, NULL, &tz), EINVAL);
    struct timeval badtv = { 0, -1 };
    ERR(select(1, NULL, NULL, NULL, &badtv), EINVAL);
    /* the lowest free fd, closed again: surely not open, whatever the
       environment passed down */
    int closed_fd = dup(0);
    close(closed_fd);
    FD_ZERO(&rs);
    FD_SET(closed_fd, &rs);
    ERR(select(closed_fd + 1, &rs, NULL, NULL, &tz), EBADF);
    struct timespec badts = { 0, 1000000000 };
    ERR(ppoll(pf, 1, &badts, NULL), EINVAL);

    /* POLLNVAL for a closed fd, counted in the result */
    struct pollfd nv[2] = { { closed_fd, POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    T(poll(nv, 2, 0), 2, 0);
    check("closed fd: POLLNVAL", nv[0].revents == POLLNVAL && nv[1].revents == POLLOUT);
    T(poll(NULL, 0, 0), 0, 0);

    /* a timeout that expires */
    int64_t t0 = now_ms();
    struct pollfd one = { p[0], POLLIN, 0 };
    T(poll(&one, 1, 50), 0, 0);
    int64_t waited = now_ms() - t0;
    check("poll(50 ms) waited at least 45 ms", waited >= 45);
    t0 = now_ms();
    struct timeval tv50 = { 0, 50000 };
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    T(syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv50), 0, 0);
    waited = now_ms() - t0;
    check("raw select(50 ms) waited at least 45 ms", waited >= 45);
    check("raw select updated the timeout (musl's select() would not)", tv50.tv_sec == 0 && tv50.tv_usec < 10000);

    /* filling the pipe without blocking */
    OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    memset(big, 'b', sizeof big);
    T(write(p[1], big, sizeof big), 65536, 0); /* partial write */
    ERR(write(p[1], "x", 1), EAGAIN);
    show_revents("full, write end", p[1], POLLOUT, 0);
    show_revents("full, read end", p[0], POLLIN, POLLIN);
    T(read(p[0], buf, 4096), 4096, 0);
    show_revents("one page read, write end", p[1], POLLOUT, POLLOUT);
    T(write(p[1], big, 4096), 4096, 0);
    ERR(write(p[1], big, 4096), EAGAIN);
    long total = 0;
    OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    for (;;) {
        long n = read(p[0], buf, sizeof buf);
        if (n <= 0)
            break;
        total += n;
    }
    printf("drained %ld bytes, then %s\n", total, ename(errno));
    check("drained 65536 bytes then EAGAIN", total == 65536 && errno == EAGAIN);
    OK(fcntl(p[1], F_SETFL, 0));

    /* writer closed: data first, then EOF and POLLHUP */
    T(write(p[1], "bye", 3), 3, 0);
    OK(close(p[1]));
    show_revents("writer closed with data", p[0], POLLIN, POLLIN | POLLHUP);
    T(readable_by_select(p[0]), 1, 0);
    T(read(p[0], buf, sizeof buf), 3, 0);
    show_revents("writer closed, drained", p[0], POLLIN, POLLHUP);
    T(readable_by_select(p[0]), 1, 0);
    T(read(p[0], buf, sizeof buf), 0, 0);
    T(read(p[0], buf, sizeof buf), 0, 0);
    OK(close(p[0]));

    /* reader closed: POLLERR, EPIPE with SIGPIPE ignored */
    signal(SIGPIPE, SIG_IGN);
    OK(pipe(p));
    OK(close(p[0]));
    show_revents("reader closed, write end", p[1], POLLOUT, POLLOUT | POLLERR);
    FD_ZERO(&ws);
    FD_SET(p[1], &ws);
    T(select(p[1] + 1, NULL, &ws, NULL, &tz), 1, 0);
    check("select: a broken pipe is writable", FD_ISSET(p[1], &ws));
    T(write(p[1], "", 0), 0, 0); /* zero bytes: no EPIPE */
    ERR(write(p[1], "x", 1), EPIPE);
    struct iovec iov = { "x", 1 };
    ERR(writev(p[1], &iov, 1), EPIPE);
    OK(close(p[1]));

    /* pipe2 */
    OK(pipe2(q, O_CLOEXEC));
    T(fcntl(q[0], F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(q[1], F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(q[1], F_GETFL), O_WRONLY, 0);
    OK(close(q[0]));
    OK(close(q[1]));
    OK(pipe2(q, O_NONBLOCK));
    T(fcntl(q[0], F_GETFL), O_RDONLY | O_NONBLOCK, 0);
    T(fcntl(q[1], F_GETFL), O_WRONLY | O_NONBLOCK, 0);
    T(fcntl(q[0], F_GETFD), 0, 0);
    ERR(read(q[0], buf, 1), EAGAIN);
    T(write(q[1], "nb", 2), 2, 0);
    T(read(q[0], buf, 10), 2, 0);
    ERR(read(q[0], buf, 1), EAGAIN);
    OK(close(q[1]));
    T(read(q[0], buf, 1), 0, 0); /* EOF beats EAGAIN */
    OK(close(q[0]));
    OK(pipe2(q, 0));
    OK(close(q[0]));
    OK(close(q[1]));
    ERR(pipe2(q, O_APPEND), EINVAL);
    ERR(pipe2(q, 0x1), EINVAL);
    OK(syscall(SYS_pipe, q));
    printf("raw pipe fds = %d %d\n", q[0], q[1]);
    /* a dup of the write end keeps the pipe open */
    int w2 = T(dup(q[1]), 5, 0);
    OK(close(q[1]));
    show_revents("one writer left", q[0], POLLIN, 0);
    OK(close(w2));
    show_revents("no writer left", q[0], POLLIN, POLLHUP);
    OK(close(q[0]));
    ERR(fcntl(q[0], F_GETPIPE_SZ), EBADF);

    return finish("fs_pipe");
}
