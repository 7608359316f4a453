/*
 * ev_fds: eventfd, timerfd and signalfd in one process. eventfd: flags
 * (EINVAL, close-on-exec, O_NONBLOCK), counter reads and writes, short
 * buffers and the largest value (EINVAL), overflow (EAGAIN),
 * EFD_SEMAPHORE, poll/select readiness, EFAULT, a blocking read ended by
 * a signal (EINTR) and restarted by an SA_RESTART handler that writes.
 * timerfd: clocks and flags (EINVAL), settime's errors (EFAULT, EINVAL,
 * EBADF, EINVAL for a non-timerfd), gettime of a disarmed and an armed
 * timer, the old value, the expiration count of a periodic timer started
 * in the past (TFD_TIMER_ABSTIME), a blocking read of a one-shot timer,
 * EINTR, epoll readiness, TFD_TIMER_CANCEL_ON_SET accepted. signalfd:
 * size, flags and descriptor errors (EINVAL, EFAULT, EBADF), EAGAIN, a
 * short buffer, a blocked SIGUSR1 raised and read (ssi_pid == getpid(),
 * SI_TKILL), kill's SI_USER, sigqueue's value, several signals in one
 * read, a new mask, no writing, signalfd in poll, select and epoll, a
 * blocking read of a SIGALRM, a blocking read ended by a handled signal
 * (EINTR); signals from a vfork+exec'd child (its kill ending a blocking
 * read and waking an epoll, its SIGCHLD with pid and status), and a
 * signal a handler took leaving nothing to read.
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

#define BAD_PTR ((void *)16)

static volatile sig_atomic_t alarms, usr2s;
static const char *self;
static int alarm_writes_to = -1;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
    if (alarm_writes_to >= 0) {
        uint64_t one = 1;
        write(alarm_writes_to, &one, 8);
    }
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2s++;
}

static short revents(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

static int selected(int fd)
{
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    struct timeval tv = { 0, 0 };
    return select(fd + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &rs);
}

static uint64_t counter(int fd)
{
    uint64_t v = 0;
    return read(fd, &v, 8) == 8 ? v : (uint64_t)-1;
}

static void eventfds(void)
{
    uint64_t v;
    ERR(eventfd(0, 2), EINVAL);
    ERR(eventfd(0, O_APPEND), EINVAL);
    int e = FD(eventfd(5, 0));
    T(fcntl(e, F_GETFD), 0, 0);
    T(fcntl(e, F_GETFL), O_RDWR, 0);
    T(counter(e), 5, 0);
    int n = FD(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    T(fcntl(n, F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(n, F_GETFL), O_RDWR | O_NONBLOCK, 0);
    ERR(read(n, &v, 8), EAGAIN);
    T(revents(n, POLLIN | POLLOUT), POLLOUT, 0);
    T(selected(n), 0, 0);
    v = 3;
    T(write(n, &v, 8), 8, 0);
    v = 4;
    T(write(n, &v, 8), 8, 0);
    T(revents(n, POLLIN | POLLOUT), POLLIN | POLLOUT, 0);
    T(selected(n), 1, 0);
    ERR(read(n, &v, 4), EINVAL);
    ERR(write(n, &v, 4), EINVAL);
    T(counter(n), 7, 0);
    v = UINT64_MAX;
    ERR(write(n, &v, 8), EINVAL);
    v = UINT64_MAX - 1;
    T(write(n, &v, 8), 8, 0);
    v = 1;
    ERR(write(n, &v, 8), EAGAIN); /* full */
    T(revents(n, POLLOUT), 0, 0);
    ERR(syscall(SYS_write, n, BAD_PTR, 8), EFAULT);
    T(counter(n), UINT64_MAX - 1, 0);

    int s = FD(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
    T(counter(s), 1, 0);
    T(counter(s), 1, 0);
    T(counter(s), 1, 0);
    ERR(read(s, &v, 8), EAGAIN);

    /* a blocking read: ended by a handler without SA_RESTART, restarted
     * by one with it (which writes the counter) */
    handle(SIGALRM, on_alarm, 0);
    alarm_in_ms(30);
    ERR(read(e, &v, 8), EINTR);
    T(alarms, 1, 0);
    handle(SIGALRM, on_alarm, SA_RESTART);
    alarm_writes_to = e;
    alarm_in_ms(30);
    T(counter(e), 1, 0);
    T(alarms, 2, 0);
    alarm_writes_to = -1;
    close(e);
    close(n);
    close(s);
}

static void timerfds(void)
{
    struct itimerspec off = { { 0, 0 }, { 0, 0 } }, cur, old;
    uint64_t v;
    ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    ERR(timerfd_create(42, 0), EINVAL);
    ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
    int t = FD(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    T(fcntl(t, F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(t, F_GETFL), O_RDWR | O_NONBLOCK, 0);
    int e = eventfd(0, 0);
    struct itimerspec hour = { { 0, 0 }, { 3600, 0 } }, bad_ns = { { 0, 0 }, { 0, 1000000000 } },
                      neg = { { -1, 0 }, { 1, 0 } };
    ERR(syscall(SYS_timerfd_settime, t, 0, BAD_PTR, NULL), EFAULT);
    ERR(timerfd_settime(t, 4, &hour, NULL), EINVAL);
    ERR(timerfd_settime(t, 0, &bad_ns, NULL), EINVAL);
    ERR(timerfd_settime(t, 0, &neg, NULL), EINVAL);
    /* flags and values before the descriptor */
    ERR(timerfd_settime(999, 4, &hour, NULL), EINVAL);
    ERR(timerfd_settime(999, 0, &hour, NULL), EBADF);
    ERR(timerfd_settime(e, 0, &hour, NULL), EINVAL);
    ERR(timerfd_gettime(999, &cur), EBADF);
    ERR(timerfd_gettime(e, &cur), EINVAL);
    ERR(syscall(SYS_timerfd_gettime, t, BAD_PTR), EFAULT);
    OK(timerfd_gettime(t, &cur));
    check("disarmed: all zero", memcmp(&cur, &off, sizeof cur) == 0);
    ERR(read(t, &v, 8), EAGAIN);
    T(revents(t, POLLIN), 0, 0);
    OK(timerfd_settime(t, 0, &hour, NULL));
    OK(timerfd_gettime(t, &cur));
    check("armed: about an hour left", cur.it_value.tv_sec > 3500 && cur.it_value.tv_sec <= 3600 &&
                                           cur.it_interval.tv_sec == 0);
    ERR(syscall(SYS_timerfd_settime, t, 0, &hour, BAD_PTR), EFAULT); /* the timer is set all the same */
    OK(timerfd_settime(t, 0, &off, &old));
    check("old value returned", old.it_value.tv_sec > 3500 && old.it_value.tv_sec <= 3600);
    OK(timerfd_gettime(t, &cur));
    check("disarmed again", memcmp(&cur, &off, sizeof cur) == 0);

    /* periodic every second, started 10.5 s ago: 11 expirations at once
     * (half a second of margin either way) */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec past = { { 1, 0 }, { now.tv_sec - 10, now.tv_nsec } };
    if (past.it_value.tv_nsec >= 500000000)
        past.it_value.tv_nsec -= 500000000;
    else {
        past.it_value.tv_sec--;
        past.it_value.tv_nsec += 500000000;
    }
    OK(timerfd_settime(t, TFD_TIMER_ABSTIME, &past, NULL));
    T(revents(t, POLLIN), POLLIN, 0);
    ERR(read(t, &v, 4), EINVAL);
    T(counter(t), 11, 0);
    ERR(read(t, &v, 8), EAGAIN);
    OK(timerfd_settime(t, 0, &off, NULL));

    /* a blocking read of a one-shot timer */
    int b = FD(timerfd_create(CLOCK_BOOTTIME, 0));
    struct itimerspec soon = { { 0, 0 }, { 0, 20000000 } };
    OK(timerfd_settime(b, 0, &soon, NULL));
    T(counter(b), 1, 0);
    /* ... and one a signal ends */
    OK(timerfd_settime(b, 0, &hour, NULL));
    handle(SIGALRM, on_alarm, 0);
    alarm_in_ms(30);
    ERR(read(b, &v, 8), EINTR);

    /* in an epoll */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x7171 }, got;
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
    OK(timerfd_settime(b, 0, &soon, NULL));
    T(epoll_wait(ep, &got, 1, 2000), 1, 0);
    check("timerfd in epoll", got.events == EPOLLIN && got.data.u64 == 0x7171);
    T(counter(b), 1, 0);
    T(epoll_wait(ep, &got, 1, 0), 0, 0);

    int r = FD(timerfd_create(CLOCK_REALTIME, 0));
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    struct itimerspec later = { { 0, 0 }, { wall.tv_sec + 3600, 0 } };
    OK(timerfd_settime(r, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &later, NULL));
    close(r);
    close(ep);
    close(b);
    close(e);
    close(t);
}

static void signalfds(void)
{
    struct signalfd_siginfo si[3];
    sigset_t usr = set_of(SIGUSR1, SIGUSR2);
    int p[2];
    pipe(p);
    ERR(syscall(SYS_signalfd4, -1, &usr, 4, 0), EINVAL);
    ERR(syscall(SYS_signalfd4, -1, BAD_PTR, 8, 0), EFAULT);
    ERR(syscall(SYS_signalfd4, -1, &usr, 8, 1), EINVAL);
    ERR(syscall(SYS_signalfd4, 999, &usr, 8, 0), EBADF);
    ERR(syscall(SYS_signalfd4, -2, &usr, 8, 0), EBADF);
    ERR(syscall(SYS_signalfd4, p[0], &usr, 8, 0), EINVAL);
    ERR(syscall(SYS_signalfd, -1, &usr, 16), EINVAL);
    int s = FD(signalfd(-1, &usr, SFD_NONBLOCK | SFD_CLOEXEC));
    T(fcntl(s, F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK, 0);
    ERR(read(s, si, sizeof si[0]), EAGAIN);
    ERR(read(s, si, sizeof si[0] - 1), EINVAL);
    ERR(write(s, si, sizeof si[0]), EINVAL);
    T(revents(s, POLLIN), 0, 0);

    /* SIGUSR1 blocked, raised: readable, read with the sender's pid */
    sigprocmask(SIG_BLOCK, &usr, NULL);
    raise(SIGUSR1);
    T(revents(s, POLLIN), POLLIN, 0);
    T(selected(s), 1, 0);
    T(read(s, si, sizeof si), sizeof si[0], 0);
    check("raise: SIGUSR1 from this process, SI_TKILL",
          si[0].ssi_signo == SIGUSR1 && si[0].ssi_pid == (uint32_t)getpid() && si[0].ssi_uid == getuid() &&
              si[0].ssi_code == SI_TKILL);
    T(revents(s, POLLIN), 0, 0);
    sigset_t pend;
    sigpending(&pend);
    check("taken: no longer pending", !sigismember(&pend, SIGUSR1));

    /* two at once, lowest first; kill's SI_USER */
    kill(getpid(), SIGUSR2);
    raise(SIGUSR1);
    T(read(s, si, sizeof si), 2 * sizeof si[0], 0);
    check("two in one read", si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == SIGUSR2 && si[1].ssi_code == SI_USER &&
                                 si[1].ssi_pid == (uint32_t)getpid());

    /* sigqueue's value, after a new mask */
    sigset_t rt = set_of(SIGRTMIN, 0);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    T(signalfd(s, &rt, 0), s, 0);
    union sigval val = { .sival_int = 42 };
    OK(sigqueue(getpid(), SIGRTMIN, val));
    raise(SIGUSR1); /* no longer in the mask: stays pending */
    T(read(s, si, sizeof si), sizeof si[0], 0);
    check("sigqueue: SI_QUEUE with its value", si[0].ssi_signo == (uint32_t)SIGRTMIN && si[0].ssi_code == SI_QUEUE &&
                                                    si[0].ssi_int == 42 && si[0].ssi_ptr == 42 &&
                                                    si[0].ssi_pid == (uint32_t)getpid());
    T(revents(s, POLLIN), 0, 0);
    sigpending(&pend);
    check("SIGUSR1 still pending", sigismember(&pend, SIGUSR1) == 1);
    T(signalfd(s, &usr, 0), s, 0);
    T(revents(s, POLLIN), POLLIN, 0);
    T(read(s, si, sizeof si), sizeof si[0], 0);

    /* in an epoll */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 }, got;
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    T(epoll_wait(ep, &got, 1, 0), 0, 0);
    raise(SIGUSR2);
    T(epoll_wait(ep, &got, 1, 1000), 1, 0);
    check("signalfd in epoll", got.events == EPOLLIN && got.data.u64 == 77);
    T(read(s, si, sizeof si), sizeof si[0], 0);
    check("read SIGUSR2", si[0].ssi_signo == SIGUSR2);
    T(epoll_wait(ep, &got, 1, 0), 0, 0);
    close(ep);

    /* a blocking signalfd: waits for a blocked SIGALRM; a handled signal
     * ends the wait */
    sigset_t alrm = set_of(SIGALRM, 0);
    int w = FD(signalfd(-1, &alrm, 0));
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    alarm_in_ms(30);
    T(read(w, si, sizeof si), sizeof si[0], 0);
    check("blocking read: SIGALRM from the kernel", si[0].ssi_signo == SIGALRM && si[0].ssi_code == SI_KERNEL);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    T(signalfd(w, &usr, 0), w, 0);
    handle(SIGALRM, on_alarm, 0);
    int before = alarms;
    alarm_in_ms(30);
    ERR(read(w, si, sizeof si), EINTR);
    T(alarms - before, 1, 0);
    sigprocmask(SIG_UNBLOCK, &usr, NULL);
    sigprocmask(SIG_UNBLOCK, &rt, NULL);
    close(w);
    close(s);
    close(p[0]);
    close(p[1]);
}

/* vfork + exec of this program in a mode; the child's pid. */
static pid_t spawn(const char *mode)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execl(self, self, mode, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Signals from another process: a blocking read that a child's kill
 * ends, readiness in an epoll that a child's kill makes, SIGCHLD read
 * with the child's pid and status; a signal a handler took is not ready. */
static void signals_from_children(void)
{
    struct signalfd_siginfo si;
    sigset_t usr1 = set_of(SIGUSR1, 0), chld = set_of(SIGCHLD, 0);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int s = signalfd(-1, &usr1, 0);
    pid_t kid = spawn("kill-parent");
    T(read(s, &si, sizeof si), sizeof si, 0);
    check("a child's kill: SI_USER with its pid",
          si.ssi_signo == SIGUSR1 && si.ssi_code == SI_USER && si.ssi_pid == (uint32_t)kid);
    int st;
    check("child reaped", waitpid(kid, &st, 0) == kid);

    int c = signalfd(-1, &chld, SFD_NONBLOCK);
    T(read(c, &si, sizeof si), sizeof si, 0);
    check("SIGCHLD of that child: CLD_EXITED 3", si.ssi_signo == SIGCHLD && si.ssi_code == CLD_EXITED &&
                                                    si.ssi_pid == (uint32_t)kid && si.ssi_status == 3);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 }, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    ev.data.u64 = 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    kid = spawn("kill-parent");
    /* (its SIGCHLD may be ready by the time this wait returns, too) */
    struct epoll_event two[2];
    int n = epoll_wait(ep, two, 2, 5000);
    check("epoll: woken by the child's signal", (n == 1 || n == 2) && (two[0].data.u64 == 1 || two[n - 1].data.u64 == 1));
    T(read(s, &si, sizeof si), sizeof si, 0);
    check("child reaped", waitpid(kid, &st, 0) == kid);
    check("exit status 3", WIFEXITED(st) && WEXITSTATUS(st) == 3);
    T(epoll_wait(ep, &got, 1, 1000), 1, 0);
    check("epoll: SIGCHLD", got.data.u64 == 2);
    T(read(c, &si, sizeof si), sizeof si, 0);
    check("SIGCHLD: CLD_EXITED 3", si.ssi_code == CLD_EXITED && si.ssi_status == 3 && si.ssi_pid == (uint32_t)kid);
    T(epoll_wait(ep, &got, 1, 0), 0, 0);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);

    /* a signal in the mask but not blocked goes to its handler: nothing
     * is left to read */
    handle(SIGUSR2, on_usr2, 0);
    sigset_t usr2 = set_of(SIGUSR2, 0);
    int h = signalfd(-1, &usr2, SFD_NONBLOCK);
    raise(SIGUSR2);
    T(usr2s, 1, 0);
    T(revents(h, POLLIN), 0, 0);
    ERR(read(h, &si, sizeof si), EAGAIN);
    close(h);
    close(ep);
    close(c);
    close(s);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "kill-parent") == 0) {
        usleep(20000);
        kill(getppid(), SIGUSR1);
        return 3;
    }
    for (int i = 3; i < 256; i++)
        close(i);
    eventfds();
    timerfds();
    signalfds();
    signals_from_children();
    return finish("ev_fds");
}
