/*
 * ev_epoll: epoll in one process. epoll_create/epoll_create1 (flags,
 * close-on-exec, no read or write), epoll_ctl's errors in Linux's order (EFAULT for the
 * event, EBADF, EPERM for a regular file, EINVAL for a non-epoll, itself,
 * a bad op and EPOLLEXCLUSIVE misuse, EEXIST, ENOENT, ELOOP), epoll_wait's
 * (EINVAL maxevents, EBADF, EINVAL, EFAULT on copy-out only), a pipe and a
 * socketpair (level-triggered, data kept exactly, EPOLLHUP, EPOLLRDHUP),
 * EPOLLET and EPOLLONESHOT (and MOD re-arming), DEL, a closed descriptor
 * leaving its epoll, maxevents smaller than what is ready, nested epolls
 * and poll on an epoll, a timeout that expires, EINTR of a blocking
 * epoll_wait by a SIGALRM handler (with and without SA_RESTART: never
 * restarted), epoll_pwait's temporary mask (a pending blocked signal
 * interrupts, the mask comes back after the handler) and epoll_pwait2,
 * a wait another thread's write ends, and one a pthread_kill ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

#define BAD_PTR ((void *)16)

static volatile sig_atomic_t alarms, usr1s;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1s++;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* How many events a zero-timeout wait returns (at most 8). */
static int ready(int ep)
{
    struct epoll_event evs[8];
    return epoll_wait(ep, evs, 8, 0);
}

/* The one event of a zero-timeout wait: 1 if exactly one came with these
 * events and data. */
static int one_event(int ep, uint32_t events, uint64_t data)
{
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, 0);
    if (n != 1) {
        printf("  (%d events)\n", n);
        return 0;
    }
    if (evs[0].events != events || evs[0].data.u64 != data) {
        printf("  (events %#x data %#llx)\n", evs[0].events, (unsigned long long)evs[0].data.u64);
        return 0;
    }
    return 1;
}

static void creation(void)
{
    ERR(syscall(SYS_epoll_create, 0), EINVAL); /* musl's wrapper does not pass the size */
    ERR(syscall(SYS_epoll_create, -1), EINVAL);
    ERR(epoll_create1(1), EINVAL);
    ERR(epoll_create1(EPOLL_CLOEXEC | 1), EINVAL);
    int a = FD(epoll_create(1));
    int b = FD(epoll_create1(EPOLL_CLOEXEC));
    T(fcntl(a, F_GETFD), 0, 0);
    T(fcntl(b, F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(a, F_GETFL), O_RDWR, 0);
    char c;
    ERR(read(a, &c, 1), EINVAL);
    ERR(write(a, "x", 1), EINVAL);
    close(a);
    close(b);
}

static void ctl_errors(void)
{
    int ep = epoll_create1(0), ep2 = epoll_create1(0), p[2];
    pipe(p);
    int file = open("regular", O_CREAT | O_RDWR, 0600);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

    ERR(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], BAD_PTR), EFAULT);
    /* the event is read first, even for a bad epoll descriptor */
    ERR(syscall(SYS_epoll_ctl, 999, EPOLL_CTL_ADD, p[0], BAD_PTR), EFAULT);
    ERR(epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    ERR(epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev), EPERM);
    ERR(epoll_ctl(p[0], EPOLL_CTL_ADD, file, &ev), EPERM);
    ERR(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    ERR(epoll_ctl(ep, 99, p[0], &ev), EINVAL);
    ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
    ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    /* DEL ignores its event pointer */
    OK(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], BAD_PTR));
    ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &ev), ENOENT);
    /* EPOLLEXCLUSIVE: not with MOD, not for an epoll, only with some bits */
    struct epoll_event ex = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = 2 };
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ex), EINVAL);
    struct epoll_event ex_bad = { .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, .data.u64 = 2 };
    ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ex_bad), EINVAL);
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ex));
    ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
    /* nesting, and the loop it would make */
    OK(add(ep, ep2, EPOLLIN, 3));
    ERR(add(ep2, ep, EPOLLIN, 4), ELOOP);

    close(file);
    close(p[0]);
    close(p[1]);
    close(ep);
    close(ep2);
}

static void wait_errors(void)
{
    int ep = epoll_create1(0), efd = eventfd(1, 0);
    struct epoll_event evs[4];
    ERR(epoll_wait(ep, evs, 0, 0), EINVAL);
    ERR(syscall(SYS_epoll_wait, ep, evs, -1, 0), EINVAL);
    ERR(syscall(SYS_epoll_wait, ep, evs, 0x7fffffff, 0), EINVAL);
    ERR(epoll_wait(999, evs, 4, 0), EBADF);
    ERR(epoll_wait(efd, evs, 4, 0), EINVAL);
    /* nothing ready: the buffer is never touched */
    T(syscall(SYS_epoll_wait, ep, BAD_PTR, 4, 0), 0, 0);
    OK(add(ep, efd, EPOLLIN, 5));
    ERR(syscall(SYS_epoll_wait, ep, BAD_PTR, 4, 0), EFAULT);
    /* beyond user space */
    ERR(syscall(SYS_epoll_wait, ep, (void *)-64L, 4, 0), EFAULT);
    sigset_t none;
    sigemptyset(&none);
    ERR(syscall(SYS_epoll_pwait, ep, evs, 4, 0, &none, 4), EINVAL);
    ERR(syscall(SYS_epoll_pwait, ep, evs, 4, 0, BAD_PTR, 8), EFAULT);
    ERR(syscall(SYS_epoll_pwait, ep, evs, 0, 0, &none, 4), EINVAL);
    T(syscall(SYS_epoll_pwait, ep, evs, 4, 0, NULL, 4), 1, 0);
    struct timespec zero = { 0, 0 }, late = { 0, 1000000000 }, neg = { -1, 0 };
    ERR(syscall(SYS_epoll_pwait2, ep, evs, 4, BAD_PTR, NULL, 8), EFAULT);
    ERR(syscall(SYS_epoll_pwait2, ep, evs, 4, &late, NULL, 8), EINVAL);
    ERR(syscall(SYS_epoll_pwait2, ep, evs, 4, &neg, NULL, 8), EINVAL);
    ERR(syscall(SYS_epoll_pwait2, ep, evs, 4, &zero, &none, 7), EINVAL);
    T(syscall(SYS_epoll_pwait2, ep, evs, 4, &zero, &none, 8), 1, 0);
    T(syscall(SYS_epoll_pwait2, ep, evs, 4, NULL, NULL, 8), 1, 0);
    close(efd);
    T(syscall(SYS_epoll_pwait2, ep, evs, 4, &zero, NULL, 8), 0, 0);
    close(ep);
}

static void pipes_and_sockets(void)
{
    int ep = epoll_create1(0), p[2], sv[2];
    char buf[16];
    pipe(p);
    const uint64_t cookie = 0xdeadbeefcafef00dULL;
    OK(add(ep, p[0], EPOLLIN, cookie));
    T(ready(ep), 0, 0);
    write(p[1], "ab", 2);
    check("pipe readable, data kept", one_event(ep, EPOLLIN, cookie));
    check("level-triggered: again", one_event(ep, EPOLLIN, cookie));
    read(p[0], buf, 2);
    T(ready(ep), 0, 0);
    /* the write end too: always writable */
    OK(add(ep, p[1], EPOLLOUT, 7));
    check("write end writable", one_event(ep, EPOLLOUT, 7));
    OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    close(p[1]);
    check("writer gone: EPOLLHUP", one_event(ep, EPOLLHUP, cookie));
    close(p[0]);
    T(ready(ep), 0, 0);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    OK(add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 100));
    OK(add(ep, sv[1], EPOLLIN | EPOLLOUT, 101));
    check("socket writable", one_event(ep, EPOLLOUT, 101));
    send(sv[1], "ping", 4, 0);
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, 0);
    int both = n == 2;
    for (int i = 0; i < n; i++)
        both &= (evs[i].data.u64 == 100 && evs[i].events == EPOLLIN) ||
                (evs[i].data.u64 == 101 && evs[i].events == EPOLLOUT);
    check("socketpair: reader in, writer out", both);
    /* maxevents 1 of 2 ready */
    T(epoll_wait(ep, evs, 1, 0), 1, 0);
    recv(sv[0], buf, sizeof buf, 0);
    shutdown(sv[1], SHUT_WR);
    n = epoll_wait(ep, evs, 8, 0);
    int rdhup = 0;
    for (int i = 0; i < n; i++)
        if (evs[i].data.u64 == 100)
            rdhup = evs[i].events == (EPOLLIN | EPOLLRDHUP);
    check("peer shut down: EPOLLIN|EPOLLRDHUP", rdhup);
    close(sv[0]);
    close(sv[1]);
    close(ep);
}

static void edge_and_oneshot(void)
{
    int ep = epoll_create1(0), p[2], q[2];
    char buf[16];
    pipe(p);
    pipe(q);
    OK(add(ep, p[0], EPOLLIN | EPOLLET, 1));
    T(ready(ep), 0, 0);
    write(p[1], "a", 1);
    check("edge: first byte reported", one_event(ep, EPOLLIN, 1));
    T(ready(ep), 0, 0); /* no new edge, data still there */
    write(p[1], "b", 1);
    check("edge: second write reported", one_event(ep, EPOLLIN, 1));
    T(read(p[0], buf, sizeof buf), 2, 0);
    T(ready(ep), 0, 0);

    OK(add(ep, q[0], EPOLLIN | EPOLLONESHOT, 2));
    write(q[1], "x", 1);
    check("oneshot: reported once", one_event(ep, EPOLLIN, 2));
    T(ready(ep), 0, 0);
    write(q[1], "y", 1);
    T(ready(ep), 0, 0); /* disarmed */
    OK(mod(ep, q[0], EPOLLIN | EPOLLONESHOT, 3));
    check("oneshot: re-armed by MOD", one_event(ep, EPOLLIN, 3));
    T(ready(ep), 0, 0);
    ERR(add(ep, q[0], EPOLLIN, 4), EEXIST); /* still registered */
    OK(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
    OK(add(ep, q[0], EPOLLIN, 4));
    check("re-added after DEL", one_event(ep, EPOLLIN, 4));

    /* a descriptor that is closed leaves the epoll */
    int efd = eventfd(1, 0);
    OK(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
    OK(add(ep, efd, EPOLLIN, 5));
    check("eventfd ready", one_event(ep, EPOLLIN, 5));
    close(efd);
    T(ready(ep), 0, 0);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(ep);
}

static void nesting(void)
{
    int outer = epoll_create1(0), inner = epoll_create1(0), p[2];
    pipe(p);
    OK(add(inner, p[0], EPOLLIN, 1));
    OK(add(outer, inner, EPOLLIN, 2));
    T(ready(outer), 0, 0);
    struct pollfd pf = { inner, POLLIN, 0 };
    T(poll(&pf, 1, 0), 0, 0);
    write(p[1], "z", 1);
    check("nested: outer sees inner ready", one_event(outer, EPOLLIN, 2));
    T(poll(&pf, 1, 0), 1, 0);
    check("poll of an epoll: POLLIN", pf.revents == POLLIN);
    check("inner has the pipe", one_event(inner, EPOLLIN, 1));
    close(p[0]);
    close(p[1]);
    close(inner);
    close(outer);
}

static void timeouts_and_signals(void)
{
    int ep = epoll_create1(0);
    struct epoll_event evs[4];
    T(epoll_wait(ep, evs, 4, 30), 0, 0);
    struct timespec ms20 = { 0, 20 * 1000000 };
    T(syscall(SYS_epoll_pwait2, ep, evs, 4, &ms20, NULL, 8), 0, 0);

    /* a blocking wait ends with EINTR, restartable handler or not */
    handle(SIGALRM, on_alarm, 0);
    alarm_in_ms(30);
    ERR(epoll_wait(ep, evs, 4, -1), EINTR);
    T(alarms, 1, 0);
    handle(SIGALRM, on_alarm, SA_RESTART);
    alarm_in_ms(30);
    ERR(epoll_wait(ep, evs, 4, 5000), EINTR);
    T(alarms, 2, 0);
    alarm_in_ms(30);
    ERR(epoll_pwait(ep, evs, 4, -1, NULL), EINTR);
    T(alarms, 3, 0);

    /* epoll_pwait's mask: SIGUSR1 blocked and pending; waiting with it
     * unblocked runs the handler, and the mask is back afterwards */
    handle(SIGUSR1, on_usr1, 0);
    sigset_t usr1, none, now;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    raise(SIGUSR1);
    T(usr1s, 0, 0);
    /* waiting with it still blocked: a timeout */
    T(epoll_pwait(ep, evs, 4, 10, &usr1), 0, 0);
    T(usr1s, 0, 0);
    ERR(epoll_pwait(ep, evs, 4, -1, &none), EINTR);
    T(usr1s, 1, 0);
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("mask restored after epoll_pwait", sigismember(&now, SIGUSR1) == 1);
    raise(SIGUSR1);
    ERR(syscall(SYS_epoll_pwait2, ep, evs, 4, NULL, &none, 8), EINTR);
    T(usr1s, 2, 0);
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("mask restored after epoll_pwait2", sigismember(&now, SIGUSR1) == 1);
    /* a zero timeout never reports EINTR, and ready events win over a
     * pending signal: either way the mask is put back at once and the
     * signal stays pending */
    raise(SIGUSR1);
    T(epoll_pwait(ep, evs, 4, 0, &none), 0, 0);
    T(usr1s, 2, 0);
    int efd = eventfd(1, 0);
    add(ep, efd, EPOLLIN, 9);
    T(epoll_pwait(ep, evs, 4, -1, &none), 1, 0);
    T(usr1s, 2, 0);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    T(usr1s, 3, 0);
    close(efd);
    close(ep);
}

static int thread_pipe, thread_ep;
static volatile int thread_waiting;
static long thread_result, thread_errno;

static void *late_writer(void *arg)
{
    (void)arg;
    usleep(20000);
    write(thread_pipe, "t", 1);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    struct epoll_event evs[4];
    thread_waiting = 1;
    errno = 0;
    thread_result = epoll_wait(thread_ep, evs, 4, 3000);
    thread_errno = errno;
    return NULL;
}

/* Another thread makes the epoll ready; a signal for the waiting thread
 * alone ends its wait. */
static void threads(void)
{
    int ep = epoll_create1(0), p[2];
    struct epoll_event evs[4];
    pipe(p);
    add(ep, p[0], EPOLLIN, 11);
    thread_pipe = p[1];
    pthread_t t;
    pthread_create(&t, NULL, late_writer, NULL);
    T(epoll_wait(ep, evs, 4, 5000), 1, 0);
    check("woken by another thread's write", evs[0].data.u64 == 11);
    pthread_join(t, NULL);

    int empty = epoll_create1(0);
    thread_ep = empty;
    handle(SIGUSR2, on_usr1, 0);
    int before = usr1s;
    pthread_create(&t, NULL, waiter, NULL);
    while (!thread_waiting)
        usleep(1000);
    usleep(50000);
    pthread_kill(t, SIGUSR2);
    pthread_join(t, NULL);
    check("pthread_kill ends that thread's wait: EINTR", thread_result == -1 && thread_errno == EINTR);
    T(usr1s - before, 1, 0);
    close(empty);
    close(p[0]);
    close(p[1]);
    close(ep);
}

int main(void)
{
    for (int i = 3; i < 256; i++)
        close(i);
    creation();
    ctl_errors();
    wait_errors();
    pipes_and_sockets();
    edge_and_oneshot();
    nesting();
    timeouts_and_signals();
    threads();
    return finish("ev_epoll");
}
