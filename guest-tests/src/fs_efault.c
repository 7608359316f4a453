/*
 * fs_efault: every pointer-taking file system call, given a bad pointer
 * ((void*)16, NULL or a kernel-half address), fails with EFAULT and the
 * process carries on. Raw syscall() throughout, so libc never touches
 * the pointer. Also: a failed pipe() leaks no fds, a failed read consumes
 * no data, and a readv whose second buffer is bad returns the bytes that
 * went into the first (as Linux does); a buffer below TASK_SIZE is only
 * bad once data reaches it (reads at end of file return 0). Run in an empty directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_check.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

#define BAD ((void *)16)
#define KBAD ((void *)-4096L)

int main(void)
{
    struct stat st;
    char buf[256];
    char statxbuf[256];

    for (int i = 3; i < 256; i++)
        close(i);
    int fd = T(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644), 3, 0);
    T(write(fd, "0123456789", 10), 10, 0);
    OK(symlink("f", "lnk"));
    OK(mkdir("d", 0755));
    int dfd = T(open("d", O_RDONLY | O_DIRECTORY), 4, 0);
    int p[2];
    OK(pipe(p));
    T(write(p[1], "pipe data", 9), 9, 0);
    struct iovec badiov = { BAD, 5 };
    struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };

    /* paths */
    ERR(syscall(SYS_open, BAD, O_RDONLY), EFAULT);
    ERR(syscall(SYS_open, NULL, O_RDONLY), EFAULT);
    ERR(syscall(SYS_open, KBAD, O_RDONLY), EFAULT);
    ERR(syscall(SYS_openat, AT_FDCWD, BAD, O_RDONLY), EFAULT);
    ERR(syscall(SYS_openat, dfd, NULL, O_RDONLY), EFAULT);
    ERR(syscall(SYS_creat, BAD, 0644), EFAULT);
    ERR(syscall(SYS_stat, BAD, &st), EFAULT);
    ERR(syscall(SYS_lstat, NULL, &st), EFAULT);
    ERR(syscall(SYS_newfstatat, AT_FDCWD, BAD, &st, 0), EFAULT);
    ERR(syscall(SYS_statx, AT_FDCWD, BAD, 0, 0x7ff, statxbuf), EFAULT);
    ERR(syscall(SYS_access, BAD, F_OK), EFAULT);
    ERR(syscall(SYS_faccessat, AT_FDCWD, BAD, F_OK), EFAULT);
    ERR(syscall(SYS_faccessat2, AT_FDCWD, BAD, F_OK, 0), EFAULT);
    ERR(syscall(SYS_mkdir, BAD, 0755), EFAULT);
    ERR(syscall(SYS_mkdirat, AT_FDCWD, NULL, 0755), EFAULT);
    ERR(syscall(SYS_rmdir, BAD), EFAULT);
    ERR(syscall(SYS_unlink, BAD), EFAULT);
    ERR(syscall(SYS_unlinkat, AT_FDCWD, BAD, 0), EFAULT);
    ERR(syscall(SYS_rename, BAD, "x"), EFAULT);
    ERR(syscall(SYS_rename, "f", BAD), EFAULT);
    ERR(syscall(SYS_renameat, AT_FDCWD, "f", AT_FDCWD, NULL), EFAULT);
    ERR(syscall(SYS_renameat2, AT_FDCWD, BAD, AT_FDCWD, "x", 0), EFAULT);
    ERR(syscall(SYS_link, BAD, "x"), EFAULT);
    ERR(syscall(SYS_link, "f", BAD), EFAULT);
    ERR(syscall(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, BAD, 0), EFAULT);
    ERR(syscall(SYS_symlink, BAD, "x"), EFAULT);
    ERR(syscall(SYS_symlink, "x", BAD), EFAULT);
    ERR(syscall(SYS_symlinkat, "x", AT_FDCWD, BAD), EFAULT);
    ERR(syscall(SYS_readlink, BAD, buf, sizeof buf), EFAULT);
    ERR(syscall(SYS_readlinkat, AT_FDCWD, BAD, buf, sizeof buf), EFAULT);
    ERR(syscall(SYS_chdir, BAD), EFAULT);
    ERR(syscall(SYS_chmod, BAD, 0644), EFAULT);
    ERR(syscall(SYS_fchmodat, AT_FDCWD, BAD, 0644), EFAULT);
    ERR(syscall(SYS_chown, BAD, 0, 0), EFAULT);
    ERR(syscall(SYS_lchown, BAD, 0, 0), EFAULT);
    ERR(syscall(SYS_fchownat, AT_FDCWD, BAD, 0, 0, 0), EFAULT);
    ERR(syscall(SYS_utimensat, AT_FDCWD, BAD, ts, 0), EFAULT);
    ERR(syscall(SYS_truncate, BAD, 0), EFAULT);
    ERR(syscall(SYS_statfs, BAD, buf), EFAULT);
    ERR(syscall(SYS_mknodat, AT_FDCWD, BAD, S_IFIFO | 0644, 0), EFAULT);
    ERR(syscall(SYS_mknod, BAD, S_IFIFO | 0644, 0), EFAULT);

    /* result buffers */
    ERR(syscall(SYS_stat, "f", BAD), EFAULT);
    ERR(syscall(SYS_lstat, "lnk", BAD), EFAULT);
    ERR(syscall(SYS_fstat, fd, BAD), EFAULT);
    ERR(syscall(SYS_fstat, fd, NULL), EFAULT);
    ERR(syscall(SYS_newfstatat, AT_FDCWD, "f", BAD, 0), EFAULT);
    ERR(syscall(SYS_newfstatat, fd, "", KBAD, AT_EMPTY_PATH), EFAULT);
    ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, BAD), EFAULT);
    ERR(syscall(SYS_readlink, "lnk", BAD, 100), EFAULT);
    ERR(syscall(SYS_readlinkat, AT_FDCWD, "lnk", NULL, 100), EFAULT);
    ERR(syscall(SYS_getcwd, BAD, 100), EFAULT);
    ERR(syscall(SYS_getcwd, NULL, 100), EFAULT);
    ERR(syscall(SYS_getdents64, dfd, BAD, 4096), EFAULT);
    ERR(syscall(SYS_statfs, ".", BAD), EFAULT);
    ERR(syscall(SYS_fstatfs, fd, BAD), EFAULT);
    ERR(syscall(SYS_utimensat, AT_FDCWD, "f", BAD, 0), EFAULT);
    ERR(syscall(SYS_pipe, BAD), EFAULT);
    ERR(syscall(SYS_pipe2, NULL, 0), EFAULT);
    ERR(syscall(SYS_pipe2, KBAD, O_CLOEXEC), EFAULT);

    /* data buffers and vectors */
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    ERR(syscall(SYS_read, fd, BAD, 5), EFAULT);
    ERR(syscall(SYS_read, fd, NULL, 5), EFAULT);
    T(lseek(fd, 0, SEEK_CUR), 0, 0);
    ERR(syscall(SYS_write, fd, BAD, 5), EFAULT);
    ERR(syscall(SYS_pread64, fd, BAD, 5, 0), EFAULT);
    ERR(syscall(SYS_pwrite64, fd, KBAD, 5, 0), EFAULT);
    ERR(syscall(SYS_readv, fd, BAD, 1), EFAULT);
    ERR(syscall(SYS_readv, fd, &badiov, 1), EFAULT);
    ERR(syscall(SYS_writev, fd, BAD, 1), EFAULT);
    ERR(syscall(SYS_writev, fd, &badiov, 1), EFAULT);
    ERR(syscall(SYS_preadv, fd, BAD, 1, 0, 0), EFAULT);
    ERR(syscall(SYS_preadv, fd, &badiov, 1, 0, 0), EFAULT);
    ERR(syscall(SYS_pwritev, fd, NULL, 1, 0, 0), EFAULT);
    ERR(syscall(SYS_pwritev, fd, &badiov, 1, 0, 0), EFAULT);
    ERR(syscall(SYS_read, p[0], BAD, 5), EFAULT);
    ERR(syscall(SYS_readv, p[0], &badiov, 1), EFAULT);
    ERR(syscall(SYS_write, p[1], BAD, 5), EFAULT);
    T(read(p[0], buf, sizeof buf), 9, 0); /* nothing was consumed or added */
    /* a vector whose second buffer is bad: the first part is transferred */
    struct iovec half[2] = { { buf, 4 }, { BAD, 4 } };
    T(syscall(SYS_readv, fd, half, 2, 0), 4, 0);
    check("readv filled the good buffer", memcmp(buf, "0123", 4) == 0);
    T(lseek(fd, 0, SEEK_CUR), 4, 0);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    T(pread(fd, buf, 100, 0), 10, 0);
    check("file unchanged", memcmp(buf, "0123456789", 10) == 0);

    /* offsets passed by pointer */
    int out = FD(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
    ERR(syscall(SYS_sendfile, out, fd, BAD, 5), EFAULT);
    ERR(syscall(SYS_copy_file_range, fd, BAD, out, NULL, 5, 0), EFAULT);
    ERR(syscall(SYS_copy_file_range, fd, NULL, out, KBAD, 5, 0), EFAULT);
    OK(fstat(out, &st));
    T(st.st_size, 0, 0);

    /* poll and select */
    ERR(syscall(SYS_poll, BAD, 1, 0), EFAULT);
    ERR(syscall(SYS_ppoll, NULL, 1, NULL, NULL, 8), EFAULT);
    struct pollfd pf = { p[0], POLLIN, 0 };
    struct timespec zero = { 0, 0 };
    ERR(syscall(SYS_ppoll, &pf, 1, BAD, NULL, 8), EFAULT);
    struct timeval tv = { 0, 0 };
    ERR(syscall(SYS_select, 1, BAD, NULL, NULL, &tv), EFAULT);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    ERR(syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, BAD), EFAULT);
    ERR(syscall(SYS_pselect6, 1, NULL, BAD, NULL, &zero, NULL), EFAULT);
    ERR(syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, BAD, NULL), EFAULT);

    /* A buffer below TASK_SIZE is only found bad when data reaches it:
     * at end of file (or of a pipe whose writers are gone) a read into
     * it returns 0, a read past it returns what came before it; one
     * above TASK_SIZE is EFAULT at once. */
    T(lseek(fd, 0, SEEK_END), 10, 0);
    T(syscall(SYS_read, fd, BAD, 5), 0, 0);
    T(syscall(SYS_read, fd, NULL, 5), 0, 0);
    ERR(syscall(SYS_read, fd, KBAD, 5), EFAULT);
    T(syscall(SYS_readv, fd, &badiov, 1), 0, 0);
    struct iovec kbadiov = { KBAD, 5 };
    ERR(syscall(SYS_readv, fd, &kbadiov, 1), EFAULT);
    struct iovec good_kbad[2] = { { buf, 4 }, { KBAD, 4 } };
    ERR(syscall(SYS_readv, fd, good_kbad, 2), EFAULT);
    T(syscall(SYS_pread64, fd, BAD, 5, 100), 0, 0);
    T(syscall(SYS_preadv, fd, &badiov, 1, 100, 0), 0, 0);
    T(lseek(fd, 6, SEEK_SET), 6, 0);
    struct iovec good_bad[2] = { { buf, 2 }, { BAD, 4 } };
    T(syscall(SYS_readv, fd, good_bad, 2), 2, 0);
    T(lseek(fd, 0, SEEK_CUR), 8, 0);
    ERR(syscall(SYS_readv, fd, &badiov, 1), EFAULT);
    T(lseek(fd, 0, SEEK_CUR), 8, 0);
    int q[2];
    OK(pipe(q));
    OK(close(q[1]));
    T(syscall(SYS_read, q[0], BAD, 5), 0, 0);
    T(syscall(SYS_readv, q[0], &badiov, 1), 0, 0);
    OK(close(q[0]));

    /* nothing leaked: the next fd is still the lowest free one */
    int next = T(dup(0), 8, 0);
    OK(close(next));
    ERR(syscall(SYS_pipe2, BAD, 0), EFAULT);
    T(dup(0), 8, 0);

    return finish("fs_efault");
}
