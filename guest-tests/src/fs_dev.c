/*
 * fs_dev: the device files a program expects (modes are not printed:
 * they differ between hosts).
 *   /dev/null (EOF, swallows writes), /dev/zero (zeros), /dev/full
 *   (ENOSPC on write, zeros on read), /dev/random and /dev/urandom (16
 *   bytes), their types and device numbers, /dev/fd/N reopening an fd
 *   (for a regular file Linux opens a NEW open file description: its own
 *   offset), /dev/fd/1 and /dev/stdout carrying a line to stdout,
 *   /dev/stderr writable, /dev/stdin openable (the test runs it with
 *   stdin = /dev/null, so it reads EOF), ENOENT for a missing device.
 * /dev/tty (char 5,0) and /dev/console (a char device) are stat'ed;
 * whether /dev/tty opens depends on the terminal the tests run from
 * (printed either way: the same for both runs). /dev lists the names.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_check.h"

static void show_dev(const char *path, unsigned maj, unsigned min)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("stat(%s) = -1 %s\nFAIL stat(%s)\n", path, ename(errno), path);
        failures++;
        return;
    }
    if (maj == 0 && min == 0) { /* any character device (numbers vary, e.g. in containers) */
        printf("%s: %s\n", path, S_ISCHR(st.st_mode) ? "char" : "NOT-char");
        if (!S_ISCHR(st.st_mode))
            printf("FAIL %s: expected a character device\n", path), failures++;
        return;
    }
    printf("%s: %s %u,%u\n", path, S_ISCHR(st.st_mode) ? "char" : "NOT-char", major(st.st_rdev),
           minor(st.st_rdev));
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min) {
        printf("FAIL %s: expected char %u,%u\n", path, maj, min);
        failures++;
    }
}

static int all_zero(const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int main(void)
{
    char buf[4096];
    char path[64];

    /* /dev/null */
    int fd = FD(open("/dev/null", O_RDWR));
    T(read(fd, buf, sizeof buf), 0, 0);
    T(write(fd, buf, sizeof buf), 4096, 0);
    T(lseek(fd, 100, SEEK_SET), 0, 0);
    T(pread(fd, buf, 10, 0), 0, 0);
    T(fcntl(fd, F_GETFL), O_RDWR | 0100000, 0);
    OK(close(fd));
    show_dev("/dev/null", 1, 3);

    /* /dev/zero */
    fd = FD(open("/dev/zero", O_RDWR));
    memset(buf, 'x', sizeof buf);
    T(read(fd, buf, 1000), 1000, 0);
    check("/dev/zero gives zeros", all_zero(buf, 1000) && buf[1000] == 'x');
    T(write(fd, "abc", 3), 3, 0);
    OK(close(fd));
    show_dev("/dev/zero", 1, 5);

    /* /dev/full */
    fd = FD(open("/dev/full", O_RDWR));
    ERR(write(fd, "x", 1), ENOSPC);
    memset(buf, 'x', 16);
    T(read(fd, buf, 16), 16, 0);
    check("/dev/full reads zeros", all_zero(buf, 16));
    OK(close(fd));
    show_dev("/dev/full", 1, 7);

    /* /dev/random, /dev/urandom */
    fd = FD(open("/dev/urandom", O_RDONLY));
    memset(buf, 0, 16);
    T(read(fd, buf, 16), 16, 0);
    check("/dev/urandom: not all zero", !all_zero(buf, 16));
    OK(close(fd));
    show_dev("/dev/urandom", 1, 9);
    fd = FD(open("/dev/random", O_RDONLY));
    memset(buf, 0, 16);
    T(read(fd, buf, 16), 16, 0);
    check("/dev/random: not all zero", !all_zero(buf, 16));
    OK(close(fd));
    show_dev("/dev/random", 1, 8);

    /* /dev/tty opens only with a controlling terminal, which the test
     * run may or may not have (the same for both runs): print either way */
    show_dev("/dev/tty", 5, 0);
    show_dev("/dev/console", 0, 0);
    errno = 0;
    fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    printf("open(/dev/tty) = %s\n", fd >= 0 ? "fd" : ename(errno));
    if (fd < 0 && errno != ENXIO)
        printf("FAIL open(/dev/tty): expected an fd or ENXIO\n"), failures++;
    if (fd >= 0)
        close(fd);
    ERR(open("/dev/no-such-device", O_RDONLY), ENOENT);
    const char *names[] = { "null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr" };
    int seen[9] = { 0 };
    DIR *d = opendir("/dev");
    struct dirent *e;
    while (d && (e = readdir(d)))
        for (int i = 0; i < 9; i++)
            if (strcmp(e->d_name, names[i]) == 0)
                seen[i]++;
    if (d)
        closedir(d);
    for (int i = 0; i < 9; i++) {
        printf("/dev lists %s: %s\n", names[i], seen[i] == 1 ? "yes" : "NO");
        if (seen[i] != 1)
            failures++;
    }
    struct stat st;
    OK(stat("/dev", &st));
    check("/dev is a directory", S_ISDIR(st.st_mode));
    OK(stat("/dev/fd", &st));
    check("/dev/fd is (or leads to) a directory", S_ISDIR(st.st_mode));

    /* /dev/fd/N of a regular file: a new open file description */
    int f = FD(open("file", O_RDWR | O_CREAT | O_TRUNC, 0644));
    T(write(f, "abcdef", 6), 6, 0);
    snprintf(path, sizeof path, "/dev/fd/%d", f);
    int g = FD(open(path, O_RDONLY));
    check("reopened fd is a different fd", g != f);
    T(read(g, buf, 3), 3, 0);
    check("it starts at offset 0: \"abc\"", memcmp(buf, "abc", 3) == 0);
    T(lseek(f, 0, SEEK_CUR), 6, 0);
    T(fcntl(g, F_GETFL), O_RDONLY | 0100000, 0);
    OK(fstat(g, &st));
    T(st.st_size, 6, 0);
    OK(close(g));
    ERR(open("/dev/fd/99", O_RDONLY), ENOENT);
    OK(close(f));
    ERR(open(path, O_RDONLY), ENOENT);

    /* stdout through /dev/fd/1 and /dev/stdout (stdout is a pipe) */
    fflush(stdout);
    fd = FD(open("/dev/fd/1", O_WRONLY));
    fflush(stdout);
    T(write(fd, "a line through /dev/fd/1\n", 25), 25, 0);
    OK(close(fd));
    fd = FD(open("/dev/stdout", O_WRONLY));
    fflush(stdout);
    T(write(fd, "a line through /dev/stdout\n", 27), 27, 0);
    OK(close(fd));
    fd = FD(open("/dev/stderr", O_WRONLY));
    T(write(fd, "a line through /dev/stderr\n", 27), 27, 0);
    OK(close(fd));

    /* stdin is /dev/null in the test */
    fd = FD(open("/dev/stdin", O_RDONLY));
    T(read(fd, buf, sizeof buf), 0, 0);
    OK(close(fd));
    fd = FD(open("/dev/fd/0", O_RDONLY));
    OK(fstat(fd, &st));
    check("/dev/fd/0 is /dev/null (char 1,3)",
          S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
    OK(close(fd));

    /* a pipe through /dev/fd/N shares the pipe */
    int p[2];
    OK(pipe(p));
    snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
    int w = FD(open(path, O_WRONLY));
    T(write(w, "via", 3), 3, 0);
    T(read(p[0], buf, sizeof buf), 3, 0);
    OK(close(w));
    OK(close(p[0]));
    OK(close(p[1]));

    /* /dev/null never touches a buffer: one below TASK_SIZE that is not
     * memory is fine (read: 0, write: all of it), one above is EFAULT. */
    {
        void *bad = (void *)16, *kbad = (void *)-4096L;
        struct iovec badiov = { bad, 5 };
        int null = FD(open("/dev/null", O_RDWR));
        T(syscall(SYS_read, null, bad, 5), 0, 0);
        T(syscall(SYS_write, null, bad, 5), 5, 0);
        T(syscall(SYS_writev, null, &badiov, 1), 5, 0);
        T(syscall(SYS_readv, null, &badiov, 1), 0, 0);
        ERR(syscall(SYS_write, null, kbad, 5), EFAULT);
        OK(close(null));
    }
    return finish("fs_dev");
}
