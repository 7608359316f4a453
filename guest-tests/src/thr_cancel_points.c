/*
 * thr_cancel_points: pthread_cancel of a thread blocked in each of the
 * calls that talk (cancellation points): accept, connect-free recv,
 * recvmsg, send on a full socket, read of a pipe, poll, epoll_wait,
 * msgrcv, sem_wait on a named semaphore, sigwaitinfo-free pause and
 * nanosleep. Each thread must end PTHREAD_CANCELED, with its cleanup
 * handler run, and the call must not have completed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "thr_check.h"

enum call { ACCEPT, RECV, RECVMSG, SEND_FULL, READ_PIPE, POLL, EPOLL_WAIT, MSGRCV, SEM_WAIT, PAUSE, NANOSLEEP, NCALLS };
static const char *names[NCALLS] = { "accept", "recv", "recvmsg", "send to a full socket", "read of a pipe", "poll",
                                     "epoll_wait", "msgrcv", "sem_wait", "pause", "nanosleep" };

static int fd_a, fd_b, epfd, msqid;
static sem_t *sem;
static volatile int cleaned, returned;

static void cleanup(void *arg)
{
    (void)arg;
    cleaned = 1;
}

static void *blocker(void *arg)
{
    enum call c = (enum call)(long)arg;
    char buf[64];
    pthread_cleanup_push(cleanup, NULL);
    switch (c) {
    case ACCEPT:
        accept(fd_a, NULL, NULL);
        break;
    case RECV:
        recv(fd_a, buf, sizeof buf, 0);
        break;
    case RECVMSG: {
        struct iovec iov = { buf, sizeof buf };
        struct msghdr m = { 0 };
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        recvmsg(fd_a, &m, 0);
        break;
    }
    case SEND_FULL: {
        static char big[1 << 16];
        for (;;)
            send(fd_a, big, sizeof big, 0);
    }
    case READ_PIPE:
        read(fd_a, buf, sizeof buf);
        break;
    case POLL: {
        struct pollfd p = { fd_a, POLLIN, 0 };
        poll(&p, 1, -1);
        break;
    }
    case EPOLL_WAIT: {
        struct epoll_event ev;
        epoll_wait(epfd, &ev, 1, -1);
        break;
    }
    case MSGRCV: {
        struct {
            long type;
            char text[16];
        } msg;
        msgrcv(msqid, &msg, sizeof msg.text, 0, 0);
        break;
    }
    case SEM_WAIT:
        sem_wait(sem);
        break;
    case PAUSE:
        pause();
        break;
    case NANOSLEEP: {
        struct timespec ts = { 100, 0 };
        nanosleep(&ts, NULL);
        break;
    }
    default:
        break;
    }
    returned = 1;
    pthread_cleanup_pop(0);
    return NULL;
}

static void setup(enum call c)
{
    int sv[2];
    fd_a = fd_b = epfd = msqid = -1;
    switch (c) {
    case ACCEPT: {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "thr_cancel_points.%d", getpid());
        fd_a = socket(AF_UNIX, SOCK_STREAM, 0);
        bind(fd_a, (struct sockaddr *)&a, sizeof a);
        listen(fd_a, 1);
        break;
    }
    case RECV:
    case RECVMSG:
    case SEND_FULL:
    case POLL:
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        fd_a = sv[0];
        fd_b = sv[1];
        break;
    case READ_PIPE:
        pipe(sv);
        fd_a = sv[0];
        fd_b = sv[1];
        break;
    case EPOLL_WAIT: {
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        fd_a = sv[0];
        fd_b = sv[1];
        epfd = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN };
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd_a, &ev);
        break;
    }
    case MSGRCV:
        msqid = msgget(IPC_PRIVATE, 0600);
        break;
    case SEM_WAIT: {
        char name[64];
        snprintf(name, sizeof name, "/thr_cancel_points.%d", getpid());
        sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
        sem_unlink(name);
        break;
    }
    default:
        break;
    }
}

static void teardown(void)
{
    if (fd_a >= 0)
        close(fd_a);
    if (fd_b >= 0)
        close(fd_b);
    if (epfd >= 0)
        close(epfd);
    if (msqid >= 0)
        msgctl(msqid, IPC_RMID, NULL);
    if (sem) {
        sem_close(sem);
        sem = NULL;
    }
}

int main(void)
{
    for (enum call c = 0; c < NCALLS; c++) {
        char what[96];
        setup(c);
        cleaned = returned = 0;
        pthread_t t;
        pthread_create(&t, NULL, blocker, (void *)(long)c);
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        pthread_cancel(t);
        void *res = NULL;
        pthread_join(t, &res);
        snprintf(what, sizeof what, "cancelled in %s", names[c]);
        check(what, res == PTHREAD_CANCELED && cleaned && !returned);
        teardown();
    }
    return finish();
}
