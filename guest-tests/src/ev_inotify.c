/*
 * ev_inotify: inotify on the working directory: IN_CREATE, IN_MODIFY,
 * IN_CLOSE_WRITE, IN_MOVED_FROM/TO with a shared cookie, IN_DELETE with
 * the names, IN_IGNORED after inotify_rm_watch, a watch on a file
 * (IN_ATTRIB), IN_MASK_ADD, the same path giving the same watch, poll
 * readiness, O_NONBLOCK reads (EAGAIN), a blocking read ended by a signal
 * (EINTR), a read buffer too small (EINVAL), and the argument errors:
 * EINVAL flags and masks, EBADF, a non-inotify descriptor, ENOENT,
 * ENOTDIR with IN_ONLYDIR, EFAULT, EINVAL for an unknown watch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "proc_check.h"

static char buf[4096] __attribute__((aligned(8)));

static int errno_is(long r, int e)
{
    return r == -1 && errno == e;
}

/* Reads what is queued and prints each event as mask:name. */
static void show(int fd, const char *what)
{
    ssize_t n = read(fd, buf, sizeof buf);
    printf("%s:", what);
    uint32_t cookie = 0;
    int same_cookie = 1;
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf(" %#x:%s", e->mask, e->len ? e->name : "-");
        if (e->cookie) {
            if (cookie && e->cookie != cookie)
                same_cookie = 0;
            cookie = e->cookie;
        }
        p += sizeof *e + e->len;
    }
    printf("%s\n", same_cookie ? "" : " (cookies differ)");
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(int argc, char **argv)
{
    (void)argc;
    self = argv[0];
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    check("inotify_init1", in >= 0 && fcntl(in, F_GETFD) == FD_CLOEXEC);
    check("inotify_init1 bad flags: EINVAL", errno_is(inotify_init1(0x10), EINVAL));
    int wd = inotify_add_watch(in, ".", IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVE | IN_DELETE);
    check("watch the working directory", wd >= 0);
    check("same path, same watch", inotify_add_watch(in, "./", IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVE | IN_DELETE) == wd);
    check("nothing yet: EAGAIN", errno_is(read(in, buf, sizeof buf), EAGAIN));
    struct pollfd p = { in, POLLIN, 0 };
    check("poll: not ready", poll(&p, 1, 0) == 0);
    int f = open("a.txt", O_CREAT | O_WRONLY, 0644);
    write(f, "x", 1);
    close(f);
    check("poll: ready", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
    show(in, "create, modify, close");
    rename("a.txt", "b.txt");
    show(in, "rename");
    unlink("b.txt");
    show(in, "unlink");

    f = open("watched", O_CREAT | O_WRONLY, 0644);
    close(f);
    read(in, buf, sizeof buf);
    int fw = inotify_add_watch(in, "watched", IN_ATTRIB);
    check("watch a file", fw >= 0 && fw != wd);
    check("IN_MASK_ADD", inotify_add_watch(in, "watched", IN_MODIFY | IN_MASK_ADD) == fw);
    chmod("watched", 0600);
    show(in, "chmod");
    check("inotify_rm_watch", inotify_rm_watch(in, fw) == 0);
    show(in, "after rm_watch");
    check("rm_watch again: EINVAL", errno_is(inotify_rm_watch(in, fw), EINVAL));
    unlink("watched");
    read(in, buf, sizeof buf);

    f = open("t", O_CREAT | O_WRONLY, 0644);
    close(f);
    check("a buffer smaller than an event: EINVAL", errno_is(read(in, buf, 4), EINVAL));
    read(in, buf, sizeof buf);
    unlink("t");
    read(in, buf, sizeof buf);

    int pfd[2];
    pipe(pfd);
    check("add_watch bad mask: EINVAL", errno_is(inotify_add_watch(in, ".", 0), EINVAL));
    check("add_watch MASK_ADD|MASK_CREATE: EINVAL",
          errno_is(inotify_add_watch(in, ".", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL));
    check("add_watch closed fd: EBADF", errno_is(inotify_add_watch(999, ".", IN_CREATE), EBADF));
    check("add_watch on a pipe: EINVAL", errno_is(inotify_add_watch(pfd[0], ".", IN_CREATE), EINVAL));
    check("add_watch missing path: ENOENT", errno_is(inotify_add_watch(in, "missing", IN_CREATE), ENOENT));
    f = open("plain", O_CREAT | O_WRONLY, 0644);
    close(f);
    check("IN_ONLYDIR on a file: ENOTDIR", errno_is(inotify_add_watch(in, "plain", IN_CREATE | IN_ONLYDIR), ENOTDIR));
    check("IN_MASK_CREATE on a watched path: EEXIST", errno_is(inotify_add_watch(in, ".", IN_CREATE | IN_MASK_CREATE), EEXIST));
    unlink("plain");
    check("add_watch bad path pointer: EFAULT", errno_is(syscall(SYS_inotify_add_watch, in, (void *)16, IN_CREATE), EFAULT));
    check("rm_watch on a pipe: EINVAL", errno_is(inotify_rm_watch(pfd[0], 1), EINVAL));

    /* A blocking read ends with EINTR when a handler runs. */
    int blocking = inotify_init1(0);
    inotify_add_watch(blocking, ".", IN_CREATE);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    /* SIGALRM every 100 ms until the read returns (one that came before
     * the read blocked would leave it blocked). */
    struct itimerval every = { { 0, 100000 }, { 0, 100000 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &every, NULL);
    long r = read(blocking, buf, sizeof buf);
    int err = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    errno = err;
    check("blocking read interrupted: EINTR", errno_is(r, EINTR));
    return finish();
}
