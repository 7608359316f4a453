/*
 * tty_console: terminal names as ttyname(3), isatty(3) and tty(1) find
 * them, and /dev/tty as the controlling terminal.
 *
 * Without arguments (stdin /dev/null, stdout and stderr pipes; the same
 * natively and in nommu): isatty and ttyname of a pipe and of /dev/null
 * are ENOTTY; /dev/console and /dev/tty are char 5,1 and 5,0; after
 * setsid() a process has no controlling terminal and /dev/tty is ENXIO.
 *
 * With "console" (nommu on a terminal, tests/console.rs): fds 0, 1 and 2
 * are the machine's console: isatty, fstat char 5,1, /proc/self/fd/0 ->
 * /dev/console, ttyname /dev/console, the same inode as stat(/dev/console);
 * a new open of /dev/console is the console too; /dev/tty opens (the
 * console is the controlling terminal) as 5,0 and ttyname says /dev/tty;
 * access(2) of the device nodes answers as Linux answers root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_check.h"

/* ttyname(fd) is `want` (NULL: fails with `want_errno`). */
static void check_ttyname(const char *what, int fd, const char *want, int want_errno)
{
    errno = 0;
    const char *name = ttyname(fd);
    int e = errno;
    printf("ttyname(%s) = %s\n", what, name ? name : ename(e));
    if (want ? !name || strcmp(name, want) != 0 : name != NULL || e != want_errno) {
        printf("FAIL ttyname(%s): expected %s\n", what, want ? want : ename(want_errno));
        failures++;
    }
}

static void check_isatty(const char *what, int fd, int want)
{
    errno = 0;
    int r = isatty(fd);
    int e = errno;
    printf("isatty(%s) = %d%s%s\n", what, r, r ? "" : " ", r ? "" : ename(e));
    if (r != want || (!want && e != ENOTTY)) {
        printf("FAIL isatty(%s): expected %d\n", what, want);
        failures++;
    }
}

/* fstat(fd) is the character device maj,min, and `path` is its inode. */
static void check_device(const char *what, int fd, const char *path, unsigned maj, unsigned min)
{
    struct stat fst, pst;
    if (fstat(fd, &fst) != 0 || stat(path, &pst) != 0) {
        printf("FAIL %s: fstat/stat %s\n", what, ename(errno));
        failures++;
        return;
    }
    printf("%s: %s %u,%u mode %o\n", what, S_ISCHR(fst.st_mode) ? "char" : "NOT-char", major(fst.st_rdev),
           minor(fst.st_rdev), fst.st_mode & 07777);
    if (!S_ISCHR(fst.st_mode) || major(fst.st_rdev) != maj || minor(fst.st_rdev) != min) {
        printf("FAIL %s: expected char %u,%u\n", what, maj, min);
        failures++;
    }
    if (fst.st_dev != pst.st_dev || fst.st_ino != pst.st_ino || fst.st_rdev != pst.st_rdev) {
        printf("FAIL %s: fstat and stat(%s) differ\n", what, path);
        failures++;
    }
}

/* The kernel's struct statx (musl's headers have none). */
struct kernel_statx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, spare0;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct { int64_t sec; uint32_t nsec; int32_t spare; } stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#define BASIC_STATS 0x7ffU

/* statx of the descriptor (AT_EMPTY_PATH) says what fstat says. */
static void check_statx(const char *what, int fd)
{
    struct stat st;
    struct kernel_statx stx;
    memset(&stx, 0, sizeof stx);
    if (fstat(fd, &st) != 0 || syscall(SYS_statx, fd, "", AT_EMPTY_PATH, BASIC_STATS, &stx) != 0) {
        printf("FAIL %s: fstat/statx %s\n", what, ename(errno));
        failures++;
        return;
    }
    int same = makedev(stx.stx_rdev_major, stx.stx_rdev_minor) == st.st_rdev && stx.stx_ino == st.st_ino
               && makedev(stx.stx_dev_major, stx.stx_dev_minor) == st.st_dev && stx.stx_mode == st.st_mode;
    printf("%s: statx %s\n", what, same ? "as fstat" : "DIFFERS");
    if (!same)
        failures++;
}

static void check_link(int fd, const char *want)
{
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    printf("%s -> %s\n", link, target);
    if (strcmp(target, want) != 0) {
        printf("FAIL %s: expected %s\n", link, want);
        failures++;
    }
}

/* In a new session (a child's own: a vfork child shares nothing it
 * changes but its process attributes), /dev/tty is ENXIO: the exit
 * status is the errno of its open, 0 if it opened. */
static void check_no_ctty_after_setsid(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        if (setsid() < 0)
            _exit(100);
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
        _exit(fd >= 0 ? 0 : errno);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int e = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    printf("after setsid: open(/dev/tty) = %s\n", e == 0 ? "fd" : e == 100 ? "setsid failed" : ename(e));
    if (e != ENXIO) {
        printf("FAIL open(/dev/tty) after setsid: expected ENXIO\n");
        failures++;
    }
}

static void without_terminal(void)
{
    int p[2];
    OK(pipe(p));
    check_isatty("pipe", p[0], 0);
    check_ttyname("pipe", p[0], NULL, ENOTTY);
    check_isatty("stdin (/dev/null)", 0, 0);
    check_ttyname("stdin (/dev/null)", 0, NULL, ENOTTY);
    close(p[0]);
    close(p[1]);
    check_ttyname("a closed fd", p[0], NULL, EBADF);
    struct stat st;
    OK(stat("/dev/console", &st));
    check("/dev/console is char 5,1", S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 1));
    OK(stat("/dev/tty", &st));
    check("/dev/tty is char 5,0", S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0));
}

static void on_the_console(void)
{
    for (int fd = 0; fd < 3; fd++) {
        char what[16];
        snprintf(what, sizeof what, "fd %d", fd);
        check_isatty(what, fd, 1);
        check_device(what, fd, "/dev/console", 5, 1);
        check_statx(what, fd);
        check_link(fd, "/dev/console");
        check_ttyname(what, fd, "/dev/console", 0);
    }
    int fd = FD(open("/dev/console", O_RDWR | O_NOCTTY));
    check_device("open(/dev/console)", fd, "/dev/console", 5, 1);
    check_link(fd, "/dev/console");
    check_ttyname("open(/dev/console)", fd, "/dev/console", 0);
    T(write(fd, "through /dev/console\n", 21), 21, 0);
    OK(close(fd));
    /* The console is the controlling terminal of the machine's first
     * session: /dev/tty is it, a file of the node 5,0. */
    fd = FD(open("/dev/tty", O_RDWR));
    check_isatty("open(/dev/tty)", fd, 1);
    check_device("open(/dev/tty)", fd, "/dev/tty", 5, 0);
    check_statx("open(/dev/tty)", fd);
    check_link(fd, "/dev/tty");
    check_ttyname("open(/dev/tty)", fd, "/dev/tty", 0);
    T(write(fd, "through /dev/tty\n", 17), 17, 0);
    OK(close(fd));
}

/* access(2) of the device nodes, as Linux answers root (checked natively:
 * readable and writable, no x bit so not executable). */
static void check_access(void)
{
    const char *nodes[] = { "/dev/console", "/dev/ttyS0", "/dev/tty", "/dev/null", "/dev/ptmx" };
    for (unsigned i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        char what[64];
        snprintf(what, sizeof what, "access(%s, R_OK|W_OK)", nodes[i]);
        errno = 0;
        long r = access(nodes[i], R_OK | W_OK);
        check_ret(what, r, errno, 0, 0);
        snprintf(what, sizeof what, "access(%s, X_OK)", nodes[i]);
        errno = 0;
        r = access(nodes[i], X_OK);
        check_ret(what, r, errno, -1, EACCES);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "console") == 0) {
        on_the_console();
        check_access();
    }
    else
        without_terminal();
    check_no_ctty_after_setsid();
    printf("tty_console: %d failures\n", failures);
    return failures != 0;
}
