/*
 * fs_open: open/openat/creat and their flags, run in an empty directory
 * (the current one). One line per check; exit 0 when all match Linux.
 *   O_CREAT|O_EXCL (EEXIST), O_TRUNC, O_APPEND, O_DIRECTORY (ENOTDIR),
 *   O_NOFOLLOW (ELOOP), O_CREAT through a dangling symlink, symlink loops,
 *   access modes (EBADF on the wrong direction, EISDIR on a directory
 *   opened for writing, read(2) of a directory), creat() and umask,
 *   openat() relative to a directory fd / AT_FDCWD / an absolute path,
 *   ENOENT (missing, empty path, missing parent), ENOTDIR (file used as a
 *   directory), ENAMETOOLONG (5000-byte path, 300-byte component) and a
 *   255-byte component that is fine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

static char buf[8192];

/* Reads a whole (small) file into buf; returns its length or -1. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static void check_content(const char *path, const char *want)
{
    long n = slurp(path);
    printf("content of %s = \"%s\"\n", path, n >= 0 ? buf : "<unreadable>");
    if (n < 0 || strcmp(buf, want) != 0) {
        printf("FAIL content of %s: expected \"%s\"\n", path, want);
        failures++;
    }
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return st.st_mode;
}

int main(void)
{
    int fd, fd2, dfd;
    struct stat st;

    umask(022);

    /* O_CREAT | O_EXCL */
    fd = FD(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
    T(write(fd, "hello", 5), 5, 0);
    ERR(read(fd, buf, 1), EBADF);
    OK(close(fd));
    ERR(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    printf("mode of f = %o\n", mode_of("f"));
    check("f is 0100644", mode_of("f") == 0100644);
    check_content("f", "hello");

    /* O_CREAT without O_EXCL opens the existing file, no truncation */
    fd = FD(open("f", O_RDWR | O_CREAT, 0600));
    OK(fstat(fd, &st));
    T(st.st_size, 5, 0);
    OK(close(fd));

    /* read-only fd cannot write */
    fd = FD(open("f", O_RDONLY));
    ERR(write(fd, "x", 1), EBADF);
    T(read(fd, buf, 100), 5, 0);
    T(read(fd, buf, 100), 0, 0);
    OK(close(fd));

    /* O_TRUNC */
    fd = FD(open("f", O_WRONLY | O_TRUNC));
    OK(fstat(fd, &st));
    T(st.st_size, 0, 0);
    T(write(fd, "abc", 3), 3, 0);
    OK(close(fd));

    /* O_APPEND: every write goes to the end, whatever the offset */
    fd = FD(open("f", O_WRONLY | O_APPEND));
    T(lseek(fd, 0, SEEK_CUR), 0, 0);
    T(write(fd, "def", 3), 3, 0);
    T(lseek(fd, 0, SEEK_CUR), 6, 0);
    T(lseek(fd, 1, SEEK_SET), 1, 0);
    T(write(fd, "gh", 2), 2, 0);
    T(lseek(fd, 0, SEEK_CUR), 8, 0);
    OK(close(fd));
    check_content("f", "abcdefgh");

    /* O_RDWR: read and write share the offset */
    fd = FD(open("f", O_RDWR));
    T(read(fd, buf, 2), 2, 0);
    T(write(fd, "XY", 2), 2, 0);
    OK(close(fd));
    check_content("f", "abXYefgh");

    /* missing files and parents */
    ERR(open("missing", O_RDONLY), ENOENT);
    ERR(open("missing/x", O_RDONLY), ENOENT);
    ERR(open("missing/x", O_WRONLY | O_CREAT, 0644), ENOENT);
    ERR(open("", O_RDONLY), ENOENT);
    ERR(open("", O_WRONLY | O_CREAT, 0644), ENOENT);

    /* a regular file used as a directory */
    ERR(open("f/x", O_RDONLY), ENOTDIR);
    ERR(open("f/", O_RDONLY), ENOTDIR);
    ERR(open("f/x", O_WRONLY | O_CREAT, 0644), ENOTDIR);
    ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);

    /* directories */
    OK(mkdir("d", 0755));
    dfd = FD(open("d", O_RDONLY | O_DIRECTORY));
    ERR(read(dfd, buf, 10), EISDIR);
    ERR(write(dfd, "x", 1), EBADF);
    OK(close(dfd));
    dfd = FD(open("d", O_RDONLY));
    OK(close(dfd));
    dfd = FD(open("d/", O_RDONLY));
    OK(close(dfd));
    dfd = FD(open("d/.", O_RDONLY));
    OK(close(dfd));
    ERR(open("d", O_WRONLY), EISDIR);
    ERR(open("d", O_RDWR), EISDIR);
    ERR(open("d", O_RDONLY | O_CREAT, 0644), EISDIR);
    ERR(open("d", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    ERR(open("newfile/", O_WRONLY | O_CREAT, 0644), EISDIR);
    ERR(open("newfile", O_RDONLY), ENOENT);
    ERR(open("d", O_RDONLY | O_TRUNC), EISDIR);
    ERR(open("d/../missing/..", O_RDONLY), ENOENT);
    dfd = FD(open("d/../d/./", O_RDONLY));
    OK(close(dfd));

    /* symlinks */
    OK(symlink("f", "lnk"));
    fd = FD(open("lnk", O_RDONLY));
    T(read(fd, buf, 8), 8, 0);
    OK(close(fd));
    ERR(open("lnk", O_RDONLY | O_NOFOLLOW), ELOOP);
    ERR(open("lnk", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    OK(symlink("d", "dlnk"));
    ERR(open("dlnk", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR); /* not ELOOP */
    dfd = FD(open("dlnk/", O_RDONLY | O_NOFOLLOW)); /* the trailing slash follows */
    OK(close(dfd));
    fd = FD(open("dlnk/../f", O_RDONLY | O_NOFOLLOW)); /* only the last component */
    OK(close(fd));

    /* O_CREAT through a dangling symlink creates its target */
    OK(symlink("target", "dangling"));
    ERR(open("dangling", O_RDONLY), ENOENT);
    ERR(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    ERR(open("target", O_RDONLY), ENOENT);
    fd = FD(open("dangling", O_WRONLY | O_CREAT, 0644));
    T(write(fd, "T", 1), 1, 0);
    OK(close(fd));
    check_content("target", "T");

    /* a symlink loop */
    OK(symlink("loop2", "loop1"));
    OK(symlink("loop1", "loop2"));
    ERR(open("loop1", O_RDONLY), ELOOP);
    ERR(open("loop1", O_WRONLY | O_CREAT, 0644), ELOOP);
    ERR(open("loop1/x", O_RDONLY), ELOOP);

    /* creat = open(O_CREAT|O_WRONLY|O_TRUNC) */
    fd = FD(creat("c", 0666));
    T(write(fd, "12345", 5), 5, 0);
    ERR(read(fd, buf, 1), EBADF);
    OK(close(fd));
    printf("mode of c (umask 022) = %o\n", mode_of("c"));
    check("creat mode is 0100644", mode_of("c") == 0100644);
    fd = FD(creat("c", 0600));
    OK(fstat(fd, &st));
    T(st.st_size, 0, 0);
    OK(close(fd));
    check("creat kept the old mode", mode_of("c") == 0100644);
    ERR(creat("d", 0644), EISDIR);
    ERR(creat("missing/c", 0644), ENOENT);

    /* umask */
    TOCT(umask(077), 022);
    fd = FD(open("u", O_WRONLY | O_CREAT, 0777));
    OK(close(fd));
    printf("mode of u (umask 077) = %o\n", mode_of("u"));
    check("u is 0100700", mode_of("u") == 0100700);
    TOCT(umask(0), 077);
    fd = FD(open("u0", O_WRONLY | O_CREAT, 0777));
    OK(close(fd));
    printf("mode of u0 (umask 0) = %o\n", mode_of("u0"));
    TOCT(umask(022), 0);

    /* openat */
    dfd = FD(open("d", O_RDONLY | O_DIRECTORY));
    fd = FD(openat(dfd, "in-d", O_WRONLY | O_CREAT | O_EXCL, 0644));
    T(write(fd, "in d", 4), 4, 0);
    OK(close(fd));
    check_content("d/in-d", "in d");
    fd = FD(openat(dfd, "../f", O_RDONLY));
    OK(close(fd));
    fd = FD(openat(AT_FDCWD, "d/in-d", O_RDONLY));
    OK(close(fd));
    ERR(openat(dfd, "f", O_RDONLY), ENOENT);
    ERR(openat(-1, "f", O_RDONLY), EBADF);
    ERR(openat(999, "f", O_RDONLY), EBADF);
    ERR(syscall(SYS_openat, 999, "", O_RDONLY), ENOENT);
    fd = FD(open("f", O_RDONLY));
    ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
    /* an absolute path ignores the directory fd, even a bad one */
    char cwd[PATH_MAX], abs[PATH_MAX + 16];
    if (!getcwd(cwd, sizeof cwd)) {
        printf("FAIL getcwd\n");
        return 1;
    }
    snprintf(abs, sizeof abs, "%s/f", cwd);
    fd2 = FD(openat(999, abs, O_RDONLY));
    OK(close(fd2));
    fd2 = FD(openat(fd, abs, O_RDONLY));
    OK(close(fd2));
    OK(close(fd));
    OK(close(dfd));
    ERR(close(dfd), EBADF);

    /* raw open and creat system calls (libcs use openat) */
    fd = FD(syscall(SYS_open, "f", O_RDONLY));
    OK(close(fd));
    ERR(syscall(SYS_open, "missing", O_RDONLY), ENOENT);
    fd = FD(syscall(SYS_creat, "c2", 0644));
    OK(close(fd));
    ERR(syscall(SYS_creat, "d", 0644), EISDIR);

    /* names that are too long */
    static char longpath[5000], comp[300], path[600];
    memset(longpath, 'a', sizeof longpath - 1);
    for (int i = 100; i < (int)sizeof longpath - 1; i += 100)
        longpath[i] = '/';
    memset(comp, 'b', sizeof comp - 1);
    ERR(open(longpath, O_RDONLY), ENAMETOOLONG);
    ERR(open(longpath, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
    ERR(open(comp, O_RDONLY), ENAMETOOLONG);
    ERR(open(comp, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
    snprintf(path, sizeof path, "d/%s/x", comp);
    ERR(open(path, O_RDONLY), ENAMETOOLONG);
    comp[255] = 0; /* NAME_MAX is fine */
    fd = FD(open(comp, O_WRONLY | O_CREAT, 0644));
    OK(close(fd));
    OK(unlink(comp));
    comp[255] = 'b';
    comp[256] = 0;
    ERR(open(comp, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);

    /* invalid flags */
    ERR(open("f", O_RDONLY | O_CREAT | O_DIRECTORY, 0644), EINVAL);

    /* close-on-exec on open */
    fd = FD(open("f", O_RDONLY | O_CLOEXEC));
    T(fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
    OK(close(fd));
    fd = FD(open("f", O_RDONLY));
    T(fcntl(fd, F_GETFD), 0, 0);
    OK(close(fd));

    return finish("fs_open");
}
