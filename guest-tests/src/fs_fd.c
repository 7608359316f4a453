/*
 * fs_fd: the per-process fd table. All fds above 2 are closed first, so
 * fd numbers are deterministic and printed (lowest free fd is the rule).
 *   dup/dup2/dup3/F_DUPFD/F_DUPFD_CLOEXEC (numbers, EBADF/EINVAL cases),
 *   close-on-exec bits (O_CLOEXEC, F_SETFD, dup clears it, dup3 sets it),
 *   offsets and status flags shared across dup'ed fds but not across two
 *   open()s of the same file, F_GETFL raw values (including the
 *   O_LARGEFILE bit the kernel adds on x86-64), F_SETFL ignoring access
 *   mode bits, EBADF on closed/negative/huge fds, and RLIMIT_NOFILE = 64:
 *   count of files opened until EMFILE, dup/F_DUPFD/dup2/pipe at the limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

int main(void)
{
    char buf[64];
    struct stat st;

    for (int i = 3; i < 1024; i++)
        close(i);

    int fd = T(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), 3, 0);
    T(fcntl(fd, F_GETFD), 0, 0);
    T(fcntl(fd, F_GETFL), O_RDWR | 0100000, 0); /* O_LARGEFILE, added by the kernel */

    /* dup: lowest free fd, shares the offset, clears FD_CLOEXEC */
    OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    T(fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
    int d1 = T(dup(fd), 4, 0);
    T(fcntl(d1, F_GETFD), 0, 0);
    T(write(fd, "abcdef", 6), 6, 0);
    T(lseek(d1, 0, SEEK_CUR), 6, 0);
    T(lseek(d1, 2, SEEK_SET), 2, 0);
    T(read(fd, buf, 2), 2, 0);
    check("read through fd after lseek on its dup gives \"cd\"", memcmp(buf, "cd", 2) == 0);
    T(lseek(fd, 0, SEEK_CUR), 4, 0);
    T(lseek(d1, 0, SEEK_CUR), 4, 0);

    /* status flags are shared, fd flags are not */
    OK(fcntl(d1, F_SETFL, O_APPEND));
    T(fcntl(fd, F_GETFL), O_RDWR | O_APPEND | 0100000, 0);
    T(fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
    T(fcntl(d1, F_GETFD), 0, 0);
    T(write(fd, "g", 1), 1, 0);
    T(lseek(d1, 0, SEEK_CUR), 7, 0);
    /* F_SETFL cannot change the access mode */
    OK(fcntl(fd, F_SETFL, O_WRONLY | O_NONBLOCK));
    T(fcntl(d1, F_GETFL), O_RDWR | O_NONBLOCK | 0100000, 0);
    OK(fcntl(fd, F_SETFL, 0));
    T(fcntl(d1, F_GETFL), O_RDWR | 0100000, 0);

    /* a second open of the same file has its own offset and flags */
    int o2 = T(open("f", O_RDONLY), 5, 0);
    T(lseek(o2, 0, SEEK_CUR), 0, 0);
    T(read(o2, buf, 3), 3, 0);
    check("second open reads \"abc\"", memcmp(buf, "abc", 3) == 0);
    T(lseek(fd, 0, SEEK_CUR), 7, 0);
    OK(fcntl(o2, F_SETFL, O_NONBLOCK));
    T(fcntl(fd, F_GETFL), O_RDWR | 0100000, 0);
    T(fcntl(o2, F_GETFL), O_RDONLY | O_NONBLOCK | 0100000, 0);

    /* O_NOFOLLOW is in F_GETFL only when the open asked for it (nommu adds
     * it to the host's open from a cached directory), by relative and by
     * absolute path, the second time round from the directory cache; of a
     * symlink it is ELOOP, or ENOTDIR with O_DIRECTORY */
    char abs[4096], absl[4096];
    check("getcwd", getcwd(abs, sizeof abs - 8) != NULL);
    strcpy(absl, abs);
    strcat(abs, "/f");
    strcat(absl, "/link");
    OK(symlink("f", "link"));
    for (int i = 0; i < 2; i++) {
        const char *names[] = {"f", abs};
        for (int k = 0; k < 2; k++) {
            int a = T(open(names[k], O_RDONLY), 6, 0);
            T(fcntl(a, F_GETFL), O_RDONLY | 0100000, 0);
            OK(close(a));
            a = T(open(names[k], O_RDONLY | O_NOFOLLOW), 6, 0);
            T(fcntl(a, F_GETFL), O_RDONLY | O_NOFOLLOW | 0100000, 0);
            OK(close(a));
            a = T(open(names[k], O_RDONLY | O_CLOEXEC), 6, 0);
            T(fcntl(a, F_GETFL), O_RDONLY | 0100000, 0);
            OK(close(a));
        }
        ERR(open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
        ERR(open(absl, O_RDONLY | O_NOFOLLOW), ELOOP);
        ERR(open("link", O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
        ERR(open(absl, O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
        int a = T(open(absl, O_RDONLY), 6, 0);
        T(fcntl(a, F_GETFL), O_RDONLY | 0100000, 0);
        OK(close(a));
    }
    OK(unlink("link"));

    /* closing one dup leaves the other working */
    OK(close(fd));
    ERR(fcntl(fd, F_GETFD), EBADF);
    T(lseek(d1, 0, SEEK_SET), 0, 0);
    T(read(d1, buf, 7), 7, 0);
    check("dup still reads \"abcdefg\"", memcmp(buf, "abcdefg", 7) == 0);

    /* lowest free fd */
    T(dup(d1), 3, 0);
    T(dup(d1), 6, 0);
    OK(close(3));
    OK(close(6));

    /* dup2 */
    T(dup2(d1, 10), 10, 0);
    T(fcntl(10, F_GETFD), 0, 0);
    T(dup2(d1, d1), 4, 0);
    ERR(dup2(99, 99), EBADF);
    ERR(dup2(99, 10), EBADF);
    T(fcntl(10, F_GETFD), 0, 0); /* still open after the failed dup2 */
    ERR(dup2(d1, -1), EBADF);
    /* dup2 onto an open fd closes it silently */
    int o3 = T(open("f", O_RDONLY | O_CLOEXEC), 3, 0);
    T(dup2(d1, o3), 3, 0);
    T(fcntl(3, F_GETFD), 0, 0);
    T(fcntl(3, F_GETFL), O_RDWR | 0100000, 0);
    OK(close(3));
    T(syscall(SYS_dup2, d1, 11), 11, 0);
    T(syscall(SYS_dup2, d1, d1), 4, 0);
    ERR(syscall(SYS_dup2, 77, 77), EBADF);

    /* dup3 */
    T(dup3(d1, 12, O_CLOEXEC), 12, 0);
    T(fcntl(12, F_GETFD), FD_CLOEXEC, 0);
    T(dup3(d1, 12, 0), 12, 0);
    T(fcntl(12, F_GETFD), 0, 0);
    ERR(dup3(d1, d1, 0), EINVAL);
    ERR(syscall(SYS_dup3, d1, 13, 0x40), EINVAL); /* musl's dup3() would ignore it */
    ERR(syscall(SYS_dup3, d1, d1, O_CLOEXEC), EINVAL);
    ERR(dup3(99, 13, 0), EBADF);
    ERR(fcntl(13, F_GETFD), EBADF);

    /* F_DUPFD, F_DUPFD_CLOEXEC */
    T(fcntl(d1, F_DUPFD, 20), 20, 0);
    T(fcntl(d1, F_DUPFD, 20), 21, 0);
    T(fcntl(d1, F_DUPFD, 0), 3, 0);
    T(fcntl(21, F_GETFD), 0, 0);
    T(fcntl(d1, F_DUPFD_CLOEXEC, 30), 30, 0);
    T(fcntl(30, F_GETFD), FD_CLOEXEC, 0);
    ERR(fcntl(d1, F_DUPFD, -1), EINVAL);
    ERR(fcntl(99, F_DUPFD, 0), EBADF);
    ERR(fcntl(99, F_DUPFD_CLOEXEC, 0), EBADF);

    /* F_SETFD keeps only FD_CLOEXEC */
    OK(fcntl(20, F_SETFD, 0xff));
    T(fcntl(20, F_GETFD), FD_CLOEXEC, 0);
    OK(fcntl(20, F_SETFD, 0));
    T(fcntl(20, F_GETFD), 0, 0);

    /* bad fds and commands */
    ERR(close(-1), EBADF);
    ERR(close(99), EBADF);
    ERR(close(1 << 20), EBADF);
    ERR(read(-1, buf, 1), EBADF);
    ERR(read(99, buf, 1), EBADF);
    ERR(write(99, "x", 1), EBADF);
    ERR(lseek(99, 0, SEEK_SET), EBADF);
    ERR(fstat(99, &st), EBADF);
    ERR(fstat(-5, &st), EBADF);
    ERR(dup(99), EBADF);
    ERR(dup(-1), EBADF);
    ERR(fcntl(99, F_GETFD), EBADF);
    ERR(fcntl(99, F_GETFL), EBADF);
    ERR(fcntl(99, F_SETFL, 0), EBADF);
    ERR(fcntl(d1, 9999), EINVAL);
    ERR(fsync(99), EBADF);
    ERR(ftruncate(99, 0), EBADF);
    ERR(fchmod(99, 0644), EBADF);
    ERR(fchdir(99), EBADF);

    /* which fds are open now: 0 1 2 3 4 5 10 11 12 20 21 30 */
    printf("open fds:");
    for (int i = 0; i < 64; i++)
        if (fcntl(i, F_GETFD) >= 0)
            printf(" %d", i);
    printf("\n");
    for (int i = 3; i < 64; i++)
        if (i != d1)
            close(i);

    /* RLIMIT_NOFILE */
    struct rlimit old, lim;
    OK(getrlimit(RLIMIT_NOFILE, &old));
    lim.rlim_cur = 64;
    lim.rlim_max = old.rlim_max;
    OK(setrlimit(RLIMIT_NOFILE, &lim));
    int n = 0, last = -1, err = 0;
    for (;;) {
        int r = open("f", O_RDONLY);
        if (r < 0) {
            err = errno;
            break;
        }
        last = r;
        n++;
        if (n > 10000)
            break;
    }
    printf("opened %d more files (highest fd %d) before %s\n", n, last, ename(err));
    check("60 more files (fds 0-2 and 4 were open), then EMFILE", n == 60 && last == 63 && err == EMFILE);
    ERR(open("f", O_RDONLY), EMFILE);
    ERR(dup(d1), EMFILE);
    ERR(fcntl(d1, F_DUPFD, 0), EMFILE);
    ERR(fcntl(d1, F_DUPFD, 64), EINVAL);
    ERR(dup2(d1, 64), EBADF);
    ERR(dup2(d1, 1000), EBADF);
    ERR(dup3(d1, 64, 0), EBADF);
    int p[2];
    ERR(pipe(p), EMFILE);
    ERR(openat(AT_FDCWD, "missing", O_RDONLY), EMFILE); /* the fd is taken first */
    T(dup2(d1, 63), 63, 0); /* replacing an fd below the limit is fine */
    OK(close(40));
    T(dup(d1), 40, 0);
    OK(close(17));
    T(open("f", O_RDONLY), 17, 0);
    OK(close(5));
    OK(close(9));
    T(pipe(p), 0, 0);
    printf("pipe fds = %d %d\n", p[0], p[1]);
    check("pipe took fds 5 and 9", p[0] == 5 && p[1] == 9);
    /* lowering the limit below open fds leaves them usable */
    lim.rlim_cur = 10;
    OK(setrlimit(RLIMIT_NOFILE, &lim));
    T(fcntl(63, F_GETFD), 0, 0);
    ERR(dup(d1), EMFILE);
    ERR(open("f", O_RDONLY), EMFILE);
    ERR(open("missing", O_RDONLY), EMFILE); /* the limit, not the table's length */
    for (int i = 3; i < 64; i++)
        if (i != d1)
            close(i);
    T(dup(d1), 3, 0);
    T(dup(d1), 5, 0);
    T(open("f", O_RDONLY), 6, 0); /* below the lowered limit again */
    OK(close(6));
    OK(setrlimit(RLIMIT_NOFILE, &old));
    T(fcntl(d1, F_DUPFD, 64), 64, 0);

    return finish("fs_fd");
}
