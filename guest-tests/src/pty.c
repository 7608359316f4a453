/* Pseudo-terminals: posix_openpt, grantpt, unlockpt, ptsname and the
 * number TIOCGPTN gives, the slave's device node, data both ways in raw
 * and cooked modes (ONLCR, ICRNL, canonical lines), the window size,
 * isatty and ttyname, the lock (TIOCSPTLCK, TIOCGPTLCK) and TIOCGPTPEER,
 * job control (a vfork'ed child that makes a new session, takes the slave
 * as controlling terminal and is signalled by a Ctrl-C typed into the
 * master, TIOCSIG and a window-size change; one that gets it by opening
 * it, whose background jobs get SIGTTIN/SIGTTOU and whose foreground job
 * gets SIGHUP when it exits; one that gets SIGHUP when the master is
 * closed), and EIO on the master once every slave is closed. Mode
 * "machine" holds the checks that only hold under nommu. Prints no number the host chooses (pty numbers,
 * pids), so that a native run and a run under nommu print the same; what
 * happens to a number once its master is closed (another host process may
 * take it at once) is checked under nommu only (tests/pty.rs). */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "wait_words.h"
#include "fs_check.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Reads from fd until `want` bytes came or 5 s passed without any;
 * returns how many came. */
static size_t read_for(int fd, char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t n = read(fd, buf + got, want - got);
        if (n <= 0)
            break;
        got += n;
    }
    return got;
}

/* Checks that `text` comes out of fd next. */
static void expect(const char *what, int fd, const char *text)
{
    char buf[256] = { 0 };
    size_t n = strlen(text);
    size_t got = read_for(fd, buf, n);
    int ok = got == n && memcmp(buf, text, n) == 0;
    check(what, ok);
    if (!ok) {
        printf("  got %zu bytes:", got);
        for (size_t i = 0; i < got; i++)
            printf(" %02x", (unsigned char)buf[i]);
        printf("\n");
    }
}

static void put(int fd, const char *text)
{
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        printf("write failed: %s\n", ename(errno));
}

/* The child side of the job-control checks, in a new session: "ctty"
 * opens the slave O_NOCTTY and takes it with TIOCSCTTY; "open" gets it by
 * opening it. Reports through its exit status and stdout. */
/* Where a job left behind reports (the same number natively and in the
 * machine). */
#define REPORT_FD 20

static volatile sig_atomic_t got;
static void on_sig(int sig)
{
    got |= 1 << sig;
}

/* Waits on fd with `sig` unblocked until a signal comes; whether it was
 * `sig`. */
static int wait_for(int fd, int sig, sigset_t *blocked)
{
    sigset_t during = *blocked;
    sigdelset(&during, sig);
    struct pollfd p = { fd, POLLIN, 0 };
    int r = ppoll(&p, 1, NULL, &during);
    return r == -1 && errno == EINTR && (got & (1 << sig));
}

/* A background job of the child's session (its own group), doing `what`
 * on the terminal fd: "read", "read-ignored" (SIGTTIN ignored), "write"
 * (TOSTOP is set), "tcsetattr", "tcsetattr-ignored" (SIGTTOU ignored).
 * Exits 0 if the call went through, 5 if it failed with EIO, else 3. */
static int background(const char *what, int fd)
{
    char c;
    struct termios t;
    tcgetattr(fd, &t);
    int reads = strncmp(what, "read", 4) == 0;
    if (strstr(what, "ignored"))
        signal(reads ? SIGTTIN : SIGTTOU, SIG_IGN);
    long r;
    if (reads)
        r = read(fd, &c, 1) == 1 ? 0 : -1;
    else if (strcmp(what, "write") == 0)
        r = write(fd, "w", 1) == 1 ? 0 : -1;
    else
        r = tcsetattr(fd, TCSANOW, &t);
    return r == 0 ? 0 : errno == EIO ? 5 : 3;
}

/* A foreground group of the "open" child's session, left behind when the
 * session leader exits: it hears SIGHUP, and says so down `report` (a
 * pipe to the top process, REPORT_FD) once it told the leader it is
 * ready (down `ready`). */
static int foreground(int report, int ready)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_sig;
    sigaction(SIGHUP, &sa, NULL);
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &during);
    sigdelset(&during, SIGHUP);
    if (write(ready, "r", 1) != 1)
        return 1;
    alarm(10);
    sigsuspend(&during);
    return write(report, (got & (1 << SIGHUP)) ? "H" : "-", 1) == 1 ? 0 : 1;
}

/* Runs background(what) in a new group and says how it ended. */
static void in_background(const char *self, const char *what, int fd, const char *want)
{
    char fdstr[16], line[96];
    snprintf(fdstr, sizeof fdstr, "%d", fd);
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        setpgid(0, 0);
        execl(self, self, "bg", what, fdstr, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, WUNTRACED);
    snprintf(line, sizeof line, "background %s: %s", what, describe(st));
    check(line, strcmp(describe(st), want) == 0);
    if (WIFSTOPPED(st)) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
}

static int child(const char *self, const char *mode, const char *slave, const char *parent_pgrp)
{
    char what[64];
    T(getpgrp() == getpid(), 0, 0);
    OK(setsid() == getpid() ? 0 : -1);
    int fd;
    if (strcmp(mode, "ctty") == 0) {
        fd = FD(open(slave, O_RDWR | O_NOCTTY));
        T(tcgetpgrp(fd), -1, ENOTTY);
        OK(ioctl(fd, TIOCSCTTY, 0));
    } else {
        fd = FD(open(slave, O_RDWR));
    }
    snprintf(what, sizeof what, "%s: foreground group is mine", mode);
    check(what, tcgetpgrp(fd) == getpid());
    pid_t sid = -1;
    OK(ioctl(fd, TIOCGSID, &sid));
    snprintf(what, sizeof what, "%s: TIOCGSID is my session", mode);
    check(what, sid == getpid());
    /* Already mine: TIOCSCTTY again is fine. */
    OK(ioctl(fd, TIOCSCTTY, 0));
    OK(tcsetpgrp(fd, getpid()));
    T(tcsetpgrp(fd, 0x3fffffff), -1, ESRCH);
    T(tcsetpgrp(fd, atoi(parent_pgrp)), -1, EPERM);
    T(tcsetpgrp(fd, -1), -1, EINVAL);
    /* /dev/tty is the controlling terminal. */
    int tty = FD(open("/dev/tty", O_RDWR));
    snprintf(what, sizeof what, "%s: /dev/tty is a terminal", mode);
    check(what, isatty(tty));
    if (strcmp(mode, "hup") == 0) {
        /* The parent closes the master: the session leader is told. */
        struct sigaction sa = { 0 };
        sa.sa_handler = on_sig;
        sigaction(SIGHUP, &sa, NULL);
        sigset_t block, during;
        sigemptyset(&block);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &during);
        sigdelset(&during, SIGHUP);
        put(tty, "ready\n");
        check("hup: sigsuspend ends in EINTR", sigsuspend(&during) == -1 && errno == EINTR);
        check("hup: closing the master is SIGHUP for the session leader", got & (1 << SIGHUP));
        char c;
        T(read(fd, &c, 1), 0, 0);
        return finish("pty child hup");
    }
    if (strcmp(mode, "open") == 0) {
        /* Job control of the session's background groups. */
        in_background(self, "read", fd, "stopped by signal 21");
        in_background(self, "read-ignored", fd, "exited 5");
        in_background(self, "tcsetattr", fd, "stopped by signal 22");
        in_background(self, "tcsetattr-ignored", fd, "exited 0");
        struct termios t;
        tcgetattr(fd, &t);
        t.c_lflag |= TOSTOP;
        OK(tcsetattr(fd, TCSANOW, &t));
        in_background(self, "write", fd, "stopped by signal 22");
        t.c_lflag &= ~TOSTOP;
        OK(tcsetattr(fd, TCSANOW, &t));
        /* A foreground group left behind when this leader exits. */
        int ready[2];
        pipe(ready);
        char rfd[16], wfd[16];
        snprintf(rfd, sizeof rfd, "%d", REPORT_FD);
        snprintf(wfd, sizeof wfd, "%d", ready[1]);
        fflush(stdout);
        pid_t fg = vfork();
        if (fg == 0) {
            setpgid(0, 0);
            execl(self, self, "fg", rfd, wfd, (char *)NULL);
            _exit(127);
        }
        close(ready[1]);
        char c = 0;
        check("open: foreground job ready", read(ready[0], &c, 1) == 1 && c == 'r');
        OK(tcsetpgrp(fd, fg));
        int r = finish("pty child open");
        put(tty, "bye\n");
        return r;
    }
    /* Signals from the terminal, blocked but while waiting for each. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_sig;
    sigset_t block;
    sigemptyset(&block);
    int sigs[] = { SIGINT, SIGQUIT, SIGWINCH };
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&block, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &block, NULL);
    put(tty, "ready\n");
    check("ctty: Ctrl-C typed into the master is SIGINT", wait_for(fd, SIGINT, &block));
    put(tty, "int\n");
    check("ctty: TIOCSIG on the master", wait_for(fd, SIGQUIT, &block));
    put(tty, "quit\n");
    check("ctty: a new window size is SIGWINCH", wait_for(fd, SIGWINCH, &block));
    put(tty, "winch\n");
    char buf[64];
    ssize_t n;
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, sizeof buf - 1);
    check("ctty: read a line", n == 12 && strcmp(buf, "hello child\n") == 0);
    return finish("pty child ctty");
}

static void raw(int fd)
{
    struct termios t;
    tcgetattr(fd, &t);
    cfmakeraw(&t);
    OK(tcsetattr(fd, TCSANOW, &t));
}

/* Canonical input without echo, ONLCR output, ISIG. */
static void cooked(int fd)
{
    struct termios t;
    tcgetattr(fd, &t);
    t.c_iflag |= ICRNL;
    t.c_oflag |= OPOST | ONLCR;
    t.c_lflag |= ICANON | ISIG;
    t.c_lflag &= ~(ECHO | ECHONL);
    OK(tcsetattr(fd, TCSANOW, &t));
}

static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        found |= strcmp(e->d_name, name) == 0;
    closedir(d);
    return found;
}

static pid_t spawn(const char *self, const char *mode, const char *slave)
{
    char pgrp[16];
    snprintf(pgrp, sizeof pgrp, "%d", (int)getpgrp());
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execl(self, self, "child", mode, slave, pgrp, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* /dev/pts as the entries it lists, sorted, in one string ("0 3 ptmx"). */
static const char *pts_listing(void)
{
    static char out[256];
    char names[16][NAME_MAX + 1];
    int count = 0;
    DIR *d = opendir("/dev/pts");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && count < 16)
            snprintf(names[count++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, count, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = 0;
    for (int i = 0; i < count; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", names[i]);
    return out;
}

/* Under nommu only: /dev/pts holds the machine's ptys and nothing else,
 * and host pty `host` (unlocked, open in the host) cannot be reached. */
static int machine_only(const char *host)
{
    char path[64], want[64];
    check("/dev/pts holds only ptmx", strcmp(pts_listing(), "ptmx") == 0);
    int m1 = FD(posix_openpt(O_RDWR | O_NOCTTY));
    int m2 = FD(posix_openpt(O_RDWR | O_NOCTTY));
    unlockpt(m1);
    unlockpt(m2);
    unsigned n1, n2;
    ioctl(m1, TIOCGPTN, &n1);
    ioctl(m2, TIOCGPTN, &n2);
    /* The listing is sorted as strings ("10" before "9"). */
    char a[16], b[16];
    snprintf(a, sizeof a, "%u", n1);
    snprintf(b, sizeof b, "%u", n2);
    int a_first = strcmp(a, b) < 0;
    snprintf(want, sizeof want, "%s %s ptmx", a_first ? a : b, a_first ? b : a);
    check("/dev/pts holds the two ptys", strcmp(pts_listing(), want) == 0);
    snprintf(path, sizeof path, "/dev/pts/%s", host);
    ERR(open(path, O_RDWR | O_NOCTTY), ENOENT);
    struct stat st;
    ERR(stat(path, &st), ENOENT);
    snprintf(path, sizeof path, "/dev/pts/0%u", n2);
    ERR(open(path, O_RDWR | O_NOCTTY), ENOENT);
    snprintf(path, sizeof path, "/dev/pts/+%u", n2);
    ERR(open(path, O_RDWR | O_NOCTTY), ENOENT);
    snprintf(path, sizeof path, "/dev/pts/%u", n1);
    int s1 = FD(open(path, O_RDWR | O_NOCTTY));
    /* /proc/self/fd/N of a master opens a new pty, which is ours too. */
    snprintf(path, sizeof path, "/proc/self/fd/%d", m2);
    int m3 = FD(open(path, O_RDWR | O_NOCTTY));
    unsigned n3 = n2;
    OK(ioctl(m3, TIOCGPTN, &n3));
    check("a reopened master is a new pty", n3 != n2 && n3 != n1);
    close(m3);
    /* A closed master's number is no longer the machine's. */
    close(m1);
    snprintf(want, sizeof want, "%u ptmx", n2);
    check("/dev/pts forgets a closed master", strcmp(pts_listing(), want) == 0);
    snprintf(path, sizeof path, "/dev/pts/%u", n1);
    ERR(open(path, O_RDWR | O_NOCTTY), ENOENT);
    ERR(stat(path, &st), ENOENT);
    /* Its slave, still open, is hung up. */
    char c;
    T(read(s1, &c, 1), 0, 0);
    pid_t pg = 0;
    ERR(ioctl(s1, TIOCGPGRP, &pg), EIO);
    ERR(ioctl(s1, TIOCSPGRP, &pg), ENOTTY);
    close(s1);
    close(m2);
    check("/dev/pts is empty again", strcmp(pts_listing(), "ptmx") == 0);
    return finish("pty machine");
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "child") == 0)
        return child(argv[0], argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "bg") == 0)
        return background(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "fg") == 0)
        return foreground(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "machine") == 0)
        return machine_only(argv[2]);
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    /* The master and its number. */
    int m = FD(posix_openpt(O_RDWR | O_NOCTTY));
    OK(grantpt(m));
    OK(unlockpt(m));
    unsigned n = ~0u;
    OK(ioctl(m, TIOCGPTN, &n));
    char name[64];
    snprintf(name, sizeof name, "/dev/pts/%u", n);
    const char *pts = ptsname(m);
    check("ptsname is /dev/pts/ + TIOCGPTN", pts && strcmp(pts, name) == 0);
    char rbuf[64] = { 0 };
    OK(ptsname_r(m, rbuf, sizeof rbuf));
    check("ptsname_r agrees", strcmp(rbuf, name) == 0);

    /* Device nodes. */
    struct stat st, st2;
    OK(stat("/dev/ptmx", &st));
    check("/dev/ptmx is char 5,2", S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 2);
    OK(stat("/dev/pts/ptmx", &st));
    check("/dev/pts/ptmx is char 5,2", S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 2);
    OK(stat(name, &st));
    check("slave is char 136,N", S_ISCHR(st.st_mode) && major(st.st_rdev) == 136 && minor(st.st_rdev) == n);
    OK(stat("/dev/pts", &st2));
    check("/dev/pts is a directory", S_ISDIR(st2.st_mode));
    check("/dev/pts lists the slave", listed("/dev/pts", name + 9));
    check("/dev/pts lists ptmx", listed("/dev/pts", "ptmx"));
    check("/dev lists ptmx", listed("/dev", "ptmx"));
    ERR(stat("/dev/pts/999999", &st2), ENOENT);
    ERR(open("/dev/pts/999999", O_RDWR | O_NOCTTY), ENOENT);
    ERR(stat("/dev/ptmx/x", &st2), ENOTDIR);

    /* The slave. */
    int s = FD(open(name, O_RDWR | O_NOCTTY));
    check("isatty(master)", isatty(m) == 1);
    check("isatty(slave)", isatty(s) == 1);
    const char *tn = ttyname(s);
    check("ttyname(slave) is its path", tn && strcmp(tn, name) == 0);
    char tbuf[64] = { 0 };
    OK(ttyname_r(s, tbuf, sizeof tbuf));
    check("ttyname_r(slave) is its path", strcmp(tbuf, name) == 0);
    char link[64] = { 0 }, fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", s);
    check("/proc/self/fd of the slave", readlink(fdpath, link, sizeof link - 1) > 0 && strcmp(link, name) == 0);
    memset(link, 0, sizeof link);
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", m);
    check("/proc/self/fd of the master", readlink(fdpath, link, sizeof link - 1) > 0 && strcmp(link, "/dev/ptmx") == 0);
    OK(fstat(s, &st2));
    OK(stat(name, &st));
    check("fstat(slave) is stat(ptsname)",
          st.st_dev == st2.st_dev && st.st_ino == st2.st_ino && st.st_rdev == st2.st_rdev);

    /* Fresh modes: canonical, echo, ONLCR. */
    struct termios t;
    OK(tcgetattr(s, &t));
    check("new slave is cooked", (t.c_lflag & ICANON) && (t.c_lflag & ECHO) && (t.c_oflag & ONLCR));

    /* Raw both ways. */
    raw(s);
    put(m, "ping\n");
    expect("raw: master -> slave", s, "ping\n");
    put(s, "pong\n");
    expect("raw: slave -> master", m, "pong\n");

    /* Cooked: ONLCR on output, ICRNL and lines on input. */
    cooked(s);
    OK(tcgetattr(m, &t));
    check("TCGETS on the master reads the slave's modes", (t.c_lflag & ICANON) && !(t.c_lflag & ECHO));
    put(s, "a\nb\n");
    expect("ONLCR: slave \\n is \\r\\n at the master", m, "a\r\nb\r\n");
    put(m, "cr\r");
    expect("ICRNL: master \\r is \\n at the slave", s, "cr\n");
    put(m, "line one\nline two\n");
    char line[64] = { 0 };
    T(read(s, line, sizeof line), 9, 0);
    check("canonical read is one line", strcmp(line, "line one\n") == 0);
    expect("then the next", s, "line two\n");

    /* Window size, set on the master, seen on the slave. */
    struct winsize ws = { .ws_row = 24, .ws_col = 80 }, ws2 = { 0 };
    OK(ioctl(m, TIOCSWINSZ, &ws));
    OK(ioctl(s, TIOCGWINSZ, &ws2));
    check("window size set on the master shows on the slave", ws2.ws_row == 24 && ws2.ws_col == 80);

    /* Job control, as a process whose terminal this is not. */
    pid_t pg = -1;
    OK(ioctl(m, TIOCGPGRP, &pg));
    check("no foreground group yet (master)", pg == 0);
    ERR(ioctl(s, TIOCGPGRP, &pg), ENOTTY);
    ERR(ioctl(m, TIOCGSID, &pg), ENOTTY);
    ERR(ioctl(s, TIOCGSID, &pg), ENOTTY);
    ERR(ioctl(s, TIOCNOTTY), ENOTTY);
    ERR(ioctl(m, TIOCNOTTY), ENOTTY);
    pg = getpgrp();
    ERR(ioctl(s, TIOCSPGRP, &pg), ENOTTY);
    OK(ioctl(m, TIOCSIG, SIGINT));
    ERR(ioctl(m, TIOCSIG, SIGKILL), EINVAL);
    ERR(ioctl(s, TIOCSIG, SIGINT), ENOTTY);
    ERR(ioctl(s, TIOCGPTN, &n), ENOTTY);
    int fds[2];
    pipe(fds);
    ERR(ioctl(fds[0], TIOCGPTN, &n), ENOTTY);
    ERR(ioctl(fds[0], TIOCSCTTY, 0), ENOTTY);
    close(fds[0]);
    close(fds[1]);

    /* A second pty, locked until unlockpt. */
    int m2 = FD(posix_openpt(O_RDWR | O_NOCTTY));
    char name2[64];
    snprintf(name2, sizeof name2, "%s", ptsname(m2));
    int lock = -1;
    OK(ioctl(m2, TIOCGPTLCK, &lock));
    check("a new pty is locked", lock == 1);
    ERR(open(name2, O_RDWR | O_NOCTTY), EIO);
    ERR(ioctl(m2, TIOCGPTPEER, O_RDWR | O_NOCTTY), EIO);
    lock = 0;
    OK(ioctl(m2, TIOCSPTLCK, &lock));
    OK(ioctl(m2, TIOCGPTLCK, &lock));
    check("unlocked", lock == 0);
    int peer = FD(ioctl(m2, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    tn = ttyname(peer);
    check("TIOCGPTPEER gives the slave", tn && strcmp(tn, name2) == 0);
    check("TIOCGPTPEER's O_CLOEXEC", fcntl(peer, F_GETFD) == FD_CLOEXEC);
    raw(peer);
    put(m2, "x\n");
    expect("peer reads what the master wrote", peer, "x\n");
    close(peer);
    T(read_for(m2, line, 1), 0, 0);
    T(read(m2, line, 1), -1, EIO);
    close(m2);

    /* A child in its own session takes the slave and is Ctrl-C'ed. */
    cooked(s);
    pid_t pid = spawn(argv[0], "ctty", name);
    expect("child: ready", m, "ready\r\n");
    put(m, "\003");
    expect("child: interrupted", m, "int\r\n");
    /* Nothing printed until the child answers: it prints as it goes. */
    int sent = ioctl(m, TIOCSIG, SIGQUIT);
    expect("child: quit", m, "quit\r\n");
    check("TIOCSIG(SIGQUIT) = 0", sent == 0);
    /* The same size again is no news; another is. */
    sent = ioctl(m, TIOCSWINSZ, &ws);
    ws.ws_col = 100;
    sent |= ioctl(m, TIOCSWINSZ, &ws);
    expect("child: window", m, "winch\r\n");
    check("TIOCSWINSZ = 0", sent == 0);
    put(m, "hello child\n");
    int status = -1;
    waitpid(pid, &status, 0);
    check("ctty child passed", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Its session is over: the terminal is nobody's. */
    pg = -1;
    OK(ioctl(m, TIOCGPGRP, &pg));
    check("session leader gone: no foreground group", pg == 0);
    ERR(ioctl(m, TIOCGSID, &pg), ENOTTY);

    int report[2];
    pipe(report);
    dup2(report[1], REPORT_FD);
    close(report[1]);
    pid = spawn(argv[0], "open", name);
    close(REPORT_FD);
    expect("open child: bye", m, "bye\r\n");
    waitpid(pid, &status, 0);
    check("open child passed", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect("the leader's exit is SIGHUP for the foreground group", report[0], "H");
    close(report[0]);

    /* A session leader on a third pty hears of its master's close. */
    int m3 = FD(posix_openpt(O_RDWR | O_NOCTTY));
    OK(unlockpt(m3));
    OK(fcntl(m3, F_SETFD, FD_CLOEXEC)); /* the child must not hold it */
    char name3[64];
    snprintf(name3, sizeof name3, "%s", ptsname(m3));
    pid = spawn(argv[0], "hup", name3);
    expect("hup child: ready", m3, "ready\r\n");
    fflush(stdout);
    close(m3);
    waitpid(pid, &status, 0);
    check("hup child passed", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Every slave closed: the master reads EIO. */
    close(s);
    T(read_for(m, line, 1), 0, 0);
    T(read(m, line, sizeof line), -1, EIO);
    close(m);
    return finish("pty");
}
