/*
 * fs_rw: read/write/pread64/pwrite64/readv/writev/preadv/pwritev/lseek on
 * regular files and pipes, run in an empty directory.
 *   short reads at EOF, zero-length I/O, pread/pwrite leave the offset
 *   alone, pwrite past EOF leaves a zero-filled gap, pwrite on an
 *   O_APPEND fd appends (Linux quirk), vectored I/O across several
 *   buffers, lseek SET/CUR/END and past EOF, EINVAL (negative offsets,
 *   bad whence, bad iovcnt), ESPIPE on pipes, EBADF on wrong-direction
 *   fds, and a sparse file with data at 5 GiB (size, pread, SEEK_END,
 *   SEEK_DATA/SEEK_HOLE, st_blocks far below the size).
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
#include <sys/uio.h>
#include <unistd.h>

#include "fs_check.h"

static char buf[256];

static void check_buf(const char *what, const char *got, const char *want, size_t n)
{
    int ok = memcmp(got, want, n) == 0;
    printf("%s: \"", what);
    for (size_t i = 0; i < n; i++)
        putchar(got[i] >= 32 && got[i] < 127 ? got[i] : '.');
    printf("\"%s\n", ok ? "" : " FAIL");
    if (!ok)
        failures++;
}

int main(void)
{
    struct stat st;
    int fd = FD(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));

    /* write / read */
    T(write(fd, "0123456789", 10), 10, 0);
    T(write(fd, "", 0), 0, 0);
    T(lseek(fd, 0, SEEK_CUR), 10, 0);
    T(read(fd, buf, 5), 0, 0);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    T(read(fd, buf, 0), 0, 0);
    T(read(fd, buf, 4), 4, 0);
    check_buf("read 4", buf, "0123", 4);
    T(read(fd, buf, 100), 6, 0);
    check_buf("short read at EOF", buf, "456789", 6);
    T(read(fd, buf, 100), 0, 0);

    /* lseek */
    T(lseek(fd, -3, SEEK_END), 7, 0);
    T(read(fd, buf, 10), 3, 0);
    check_buf("read after SEEK_END-3", buf, "789", 3);
    T(lseek(fd, -2, SEEK_CUR), 8, 0);
    T(lseek(fd, 0, SEEK_END), 10, 0);
    ERR(lseek(fd, -11, SEEK_END), EINVAL);
    ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    ERR(lseek(fd, -100, SEEK_CUR), EINVAL);
    T(lseek(fd, 0, SEEK_CUR), 10, 0); /* failed lseeks do not move it */
    ERR(lseek(fd, 0, 99), EINVAL);
    ERR(lseek(fd, 0, -1), EINVAL);
    T(lseek(fd, 20, SEEK_SET), 20, 0);
    T(read(fd, buf, 10), 0, 0);
    OK(fstat(fd, &st));
    T(st.st_size, 10, 0); /* seeking past EOF does not extend */
    T(write(fd, "X", 1), 1, 0);
    OK(fstat(fd, &st));
    T(st.st_size, 21, 0);
    T(pread(fd, buf, 21, 0), 21, 0);
    check_buf("gap after a write past EOF reads as zeros", buf, "0123456789\0\0\0\0\0\0\0\0\0\0X", 21);

    /* pread / pwrite do not move the offset */
    T(lseek(fd, 3, SEEK_SET), 3, 0);
    T(pread(fd, buf, 4, 5), 4, 0);
    check_buf("pread at 5", buf, "5678", 4);
    T(pwrite(fd, "ab", 2, 0), 2, 0);
    T(lseek(fd, 0, SEEK_CUR), 3, 0);
    T(pread(fd, buf, 100, 19), 2, 0);
    T(pread(fd, buf, 100, 21), 0, 0);
    T(pread(fd, buf, 100, 1000), 0, 0);
    T(pwrite(fd, "end", 3, 30), 3, 0);
    OK(fstat(fd, &st));
    T(st.st_size, 33, 0);
    ERR(pread(fd, buf, 1, -1), EINVAL);
    ERR(pwrite(fd, "x", 1, -1), EINVAL);
    ERR(syscall(SYS_pread64, fd, buf, 1, -5L), EINVAL);
    T(syscall(SYS_pwrite64, fd, "cd", 2, 2L), 2, 0);
    T(syscall(SYS_pread64, fd, buf, 6, 0L), 6, 0);
    check_buf("raw pread64", buf, "abcd45", 6);

    /* readv / writev */
    OK(ftruncate(fd, 0));
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    struct iovec wv[3] = { { "one ", 4 }, { "", 0 }, { "two three", 9 } };
    T(writev(fd, wv, 3), 13, 0);
    T(lseek(fd, 0, SEEK_CUR), 13, 0);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    char a[3], b[5], c[20];
    struct iovec rv[3] = { { a, 3 }, { b, 5 }, { c, 20 } };
    T(readv(fd, rv, 3), 13, 0);
    check_buf("readv a", a, "one", 3);
    check_buf("readv b", b, " two ", 5);
    check_buf("readv c", c, "three", 5);
    T(readv(fd, rv, 3), 0, 0);
    T(readv(fd, rv, 0), 0, 0);
    T(writev(fd, wv, 0), 0, 0);
    ERR(syscall(SYS_readv, fd, rv, -1), EINVAL);
    ERR(syscall(SYS_writev, fd, wv, -1), EINVAL);
    ERR(syscall(SYS_readv, fd, rv, 1025), EINVAL);
    ERR(syscall(SYS_writev, fd, wv, 1025), EINVAL);
    struct iovec neg[2] = { { "x", 1 }, { "y", (size_t)-1 } };
    ERR(writev(fd, neg, 2), EINVAL);

    /* preadv / pwritev */
    struct iovec pw[2] = { { "AB", 2 }, { "CD", 2 } };
    T(pwritev(fd, pw, 2, 1), 4, 0);
    T(lseek(fd, 0, SEEK_CUR), 13, 0);
    char x[2], y[4];
    struct iovec pr[2] = { { x, 2 }, { y, 4 } };
    T(preadv(fd, pr, 2, 0), 6, 0);
    check_buf("preadv x", x, "oA", 2);
    check_buf("preadv y", y, "BCDw", 4);
    T(preadv(fd, pr, 2, 11), 2, 0);
    check_buf("preadv at 11", x, "ee", 2);
    T(preadv(fd, pr, 2, 13), 0, 0);
    ERR(preadv(fd, pr, 2, -1), EINVAL);
    ERR(pwritev(fd, pw, 2, -1), EINVAL);
    /* raw: offset split into low and high halves (high is ignored on x86-64) */
    T(syscall(SYS_pwritev, fd, pw, 1, 4L, 0L), 2, 0);
    T(syscall(SYS_preadv, fd, pr, 2, 0L, 0L), 6, 0);
    check_buf("raw preadv", y, "BCAB", 4);
    T(lseek(fd, 0, SEEK_CUR), 13, 0);

    /* empty buffers wherever they point (stdio's writev often starts with
     * one at NULL), more buffers than fit on nommu's stack, a bad one */
    int vf = FD(open("v", O_RDWR | O_CREAT | O_TRUNC, 0600));
    struct iovec ev[4] = { { NULL, 0 }, { "ab", 2 }, { (void *)8, 0 }, { "cd", 2 } };
    T(writev(vf, ev, 4), 4, 0);
    struct iovec many[12];
    for (int i = 0; i < 12; i++) {
        many[i].iov_base = (char *)"0123456789ab" + i;
        many[i].iov_len = 1;
    }
    T(writev(vf, many, 12), 12, 0);
    T(writev(vf, many, 8), 8, 0);
    T(lseek(vf, 0, SEEK_SET), 0, 0);
    char mb[24];
    struct iovec mr[12];
    for (int i = 0; i < 12; i++) {
        mr[i].iov_base = mb + 2 * i;
        mr[i].iov_len = 2;
    }
    T(readv(vf, mr, 12), 24, 0);
    check_buf("readv 12", mb, "abcd0123456789ab01234567", 24);
    struct iovec bad[2] = { { (void *)8, 1 }, { "x", 1 } };
    ERR(writev(vf, bad, 2), EFAULT);
    T(lseek(vf, 0, SEEK_SET), 0, 0);
    ERR(readv(vf, bad, 2), EFAULT);
    close(vf);
    unlink("v");

    /* wrong direction */
    int ro = FD(open("f", O_RDONLY));
    int wo = FD(open("f", O_WRONLY));
    ERR(write(ro, "x", 1), EBADF);
    ERR(pwrite(ro, "x", 1, 0), EBADF);
    ERR(writev(ro, wv, 1), EBADF);
    ERR(pwritev(ro, pw, 1, 0), EBADF);
    ERR(read(wo, buf, 1), EBADF);
    ERR(pread(wo, buf, 1, 0), EBADF);
    ERR(readv(wo, rv, 1), EBADF);
    ERR(preadv(wo, pr, 1, 0), EBADF);
    T(write(wo, "W", 1), 1, 0);
    T(pread(ro, buf, 1, 0), 1, 0);
    check_buf("write through another fd is visible", buf, "W", 1);
    OK(close(ro));
    OK(close(wo));

    /* pwrite on O_APPEND appends (Linux ignores the offset) */
    int ap = FD(open("f", O_WRONLY | O_APPEND));
    T(pwrite(ap, "Z", 1, 0), 1, 0);
    OK(fstat(ap, &st));
    T(st.st_size, 14, 0);
    T(pread(fd, buf, 2, 12), 2, 0);
    check_buf("pwrite with O_APPEND went to the end", buf, "eZ", 2);
    OK(close(ap));

    /* pipes: no seeking, no positional I/O */
    int p[2];
    OK(pipe(p));
    T(write(p[1], "pipe", 4), 4, 0);
    ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
    ERR(lseek(p[1], 0, SEEK_SET), ESPIPE);
    ERR(pread(p[0], buf, 1, 0), ESPIPE);
    ERR(pwrite(p[1], "x", 1, 0), ESPIPE);
    ERR(preadv(p[0], pr, 1, 0), ESPIPE);
    ERR(pwritev(p[1], pw, 1, 0), ESPIPE);
    T(readv(p[0], pr, 2), 4, 0);
    check_buf("readv from a pipe", x, "pi", 2);
    T(writev(p[1], wv, 3), 13, 0);
    T(read(p[0], buf, sizeof buf), 13, 0);
    check_buf("writev into a pipe", buf, "one two three", 13);
    OK(close(p[0]));
    OK(close(p[1]));

    /* reads and lseek on a directory */
    OK(mkdir("d", 0755));
    int dfd = FD(open("d", O_RDONLY | O_DIRECTORY));
    ERR(read(dfd, buf, 1), EISDIR);
    ERR(pread(dfd, buf, 1, 0), EISDIR);
    T(lseek(dfd, 0, SEEK_SET), 0, 0);
    OK(close(dfd));

    /* a sparse file with one byte at 5 GiB */
    const off_t G5 = 5LL << 30;
    int sp = FD(open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644));
    T(pwrite(sp, "Q", 1, G5), 1, 0);
    OK(fstat(sp, &st));
    printf("st_size = %lld\n", (long long)st.st_size);
    check("st_size == 5 GiB + 1", st.st_size == G5 + 1);
    check("sparse: st_blocks * 512 < 1 MiB", (long long)st.st_blocks * 512 < (1 << 20));
    T(pread(sp, buf, 4, G5 - 1), 2, 0);
    check_buf("pread at 5 GiB - 1", buf, "\0Q", 2);
    T(pread(sp, buf, 4, G5 / 2), 4, 0);
    check_buf("pread in the hole", buf, "\0\0\0\0", 4);
    T(lseek(sp, 0, SEEK_END), G5 + 1, 0);
    T(lseek(sp, G5, SEEK_SET), G5, 0);
    T(read(sp, buf, 10), 1, 0);
    T(lseek(sp, 0, SEEK_CUR), G5 + 1, 0);
    T(write(sp, "R", 1), 1, 0);
    T(lseek(sp, -2, SEEK_CUR), G5, 0);
    T(read(sp, buf, 10), 2, 0);
    check_buf("read at 5 GiB", buf, "QR", 2);
    T(lseek(sp, 0, SEEK_DATA), G5, 0);
    T(lseek(sp, 0, SEEK_HOLE), 0, 0);
    T(lseek(sp, G5, SEEK_HOLE), G5 + 2, 0);
    ERR(lseek(sp, G5 + 2, SEEK_DATA), ENXIO);
    ERR(lseek(sp, G5 + 10, SEEK_HOLE), ENXIO);
    T(lseek(sp, 8LL << 30, SEEK_SET), 8LL << 30, 0);
    T(lseek(sp, 0, SEEK_CUR), 8LL << 30, 0);
    OK(ftruncate(sp, 6LL << 30));
    OK(fstat(sp, &st));
    check("ftruncate to 6 GiB", st.st_size == 6LL << 30);
    T(lseek(sp, 0, SEEK_END), 6LL << 30, 0);
    T(syscall(SYS_lseek, sp, -1L, SEEK_END), (6LL << 30) - 1, 0);
    OK(ftruncate(sp, 0));
    OK(close(sp));
    OK(unlink("sparse"));

    OK(close(fd));
    return finish("fs_rw");
}
