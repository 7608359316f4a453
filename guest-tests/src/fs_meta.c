/*
 * fs_meta: metadata calls, run in an empty directory.
 *   stat/lstat/fstat/newfstatat/statx (type, permission bits, size, nlink;
 *   no inode numbers or times), raw stat/lstat/newfstatat/statx syscalls,
 *   AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW, access/faccessat/faccessat2
 *   (as root: W_OK on a read-only file succeeds, X_OK needs an x bit),
 *   chmod/fchmod/fchmodat, chown/fchown/lchown/fchownat (to 1234:1234 and
 *   back to 0:0, -1 keeps a value, chown clears set-user-ID),
 *   utimensat/futimens with fixed times, UTIME_OMIT and UTIME_NOW,
 *   truncate/ftruncate and their errors, umask applied to mkdir, open and
 *   mknod (not symlinks), special bits through mkdir (only sticky) and open.
 * uid/gid are only compared, never printed (nommu reports uid 0; the
 * native run must be as root for the chown checks).
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
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

/* struct statx as the kernel defines it (musl 1.2.3 has none). */
struct kstatx_ts { int64_t tv_sec; uint32_t tv_nsec; int32_t pad; };
struct kstatx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct kstatx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#define K_STATX_BASIC_STATS 0x7ffU
#ifndef AT_STATX_SYNC_AS_STAT
#define AT_STATX_SYNC_AS_STAT 0
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static void show(const char *what, const struct stat *st)
{
    printf("%s: mode=%o size=%lld nlink=%lu\n", what, (unsigned)st->st_mode,
           (long long)st->st_size, (unsigned long)st->st_nlink);
}

static struct stat st_of(const char *path)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    if (lstat(path, &st) != 0)
        printf("lstat(%s) failed: %s\n", path, ename(errno));
    return st;
}

int main(void)
{
    struct stat st, st2;
    struct kstatx sx;
    int fd, dfd;

    umask(022);
    fd = FD(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
    T(write(fd, "0123456789", 10), 10, 0);
    OK(mkdir("d", 0755));
    OK(symlink("f", "lnk"));
    OK(symlink("nowhere", "dangling"));

    /* stat family */
    OK(stat("f", &st));
    show("stat f", &st);
    check("f is a regular file of 10 bytes, nlink 1",
          S_ISREG(st.st_mode) && st.st_size == 10 && st.st_nlink == 1);
    check("st_blksize > 0", st.st_blksize > 0);
    OK(fstat(fd, &st2));
    check("fstat == stat (dev, ino, mode, size)",
          st.st_dev == st2.st_dev && st.st_ino == st2.st_ino && st.st_mode == st2.st_mode &&
          st.st_size == st2.st_size);
    check("st_uid == getuid(), st_gid == getgid()", st.st_uid == getuid() && st.st_gid == getgid());
    OK(lstat("lnk", &st));
    show("lstat lnk", &st);
    check("lstat lnk: S_IFLNK 0777, size 1", st.st_mode == (S_IFLNK | 0777) && st.st_size == 1);
    OK(stat("lnk", &st));
    show("stat lnk", &st);
    check("stat lnk follows to f", st.st_ino == st2.st_ino);
    OK(lstat("dangling", &st));
    check("lstat dangling: size 7", S_ISLNK(st.st_mode) && st.st_size == 7);
    ERR(stat("dangling", &st), ENOENT);
    OK(stat("d", &st));
    printf("stat d: mode=%o\n", (unsigned)st.st_mode);
    check("d is a directory", S_ISDIR(st.st_mode));
    ERR(stat("missing", &st), ENOENT);
    ERR(stat("", &st), ENOENT);
    ERR(lstat("", &st), ENOENT);
    ERR(stat("f/", &st), ENOTDIR);
    ERR(stat("f/x", &st), ENOTDIR);
    ERR(lstat("lnk/", &st), ENOTDIR);
    OK(lstat("d/", &st));
    OK(stat("d/.././f", &st));
    T(st.st_size, 10, 0);

    /* fstatat / newfstatat */
    dfd = FD(open("d", O_RDONLY | O_DIRECTORY));
    OK(fstatat(AT_FDCWD, "f", &st, 0));
    OK(fstatat(dfd, "../lnk", &st, AT_SYMLINK_NOFOLLOW));
    check("fstatat NOFOLLOW sees the link", S_ISLNK(st.st_mode));
    OK(fstatat(dfd, "../lnk", &st, 0));
    check("fstatat follows by default", S_ISREG(st.st_mode));
    OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
    T(st.st_size, 10, 0);
    OK(fstatat(dfd, "", &st, AT_EMPTY_PATH));
    check("fstatat(dfd, \"\", AT_EMPTY_PATH) is the directory", S_ISDIR(st.st_mode));
    OK(fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
    check("fstatat(AT_FDCWD, \"\", AT_EMPTY_PATH) is the cwd", S_ISDIR(st.st_mode));
    ERR(fstatat(fd, "", &st, 0), ENOENT);
    ERR(fstatat(fd, "x", &st, 0), ENOTDIR);
    ERR(fstatat(999, "f", &st, 0), EBADF);
    ERR(syscall(SYS_newfstatat, 999, "", &st, AT_EMPTY_PATH), EBADF);
    ERR(syscall(SYS_newfstatat, AT_FDCWD, "f", &st, 0x8000), EINVAL);
    /* The flags are an int: the upper half of the register is ignored. */
    OK(syscall(SYS_newfstatat, AT_FDCWD, "lnk", &st, 0x100000000L | AT_SYMLINK_NOFOLLOW));
    check("raw newfstatat, flags with the upper half set", S_ISLNK(st.st_mode));
    OK(syscall(SYS_newfstatat, AT_FDCWD, "lnk", &st, AT_SYMLINK_NOFOLLOW));
    check("raw newfstatat NOFOLLOW", S_ISLNK(st.st_mode));
    OK(syscall(SYS_stat, "lnk", &st));
    check("raw stat follows", S_ISREG(st.st_mode) && st.st_size == 10);
    OK(syscall(SYS_lstat, "lnk", &st));
    check("raw lstat does not", S_ISLNK(st.st_mode));
    OK(syscall(SYS_fstat, fd, &st));
    ERR(syscall(SYS_stat, "missing", &st), ENOENT);

    /* statx */
    memset(&sx, 0, sizeof sx);
    OK(syscall(SYS_statx, AT_FDCWD, "f", AT_STATX_SYNC_AS_STAT, K_STATX_BASIC_STATS, &sx));
    printf("statx f: mode=%o size=%llu nlink=%u\n", sx.stx_mode, (unsigned long long)sx.stx_size, sx.stx_nlink);
    check("statx mask has the basic stats", (sx.stx_mask & K_STATX_BASIC_STATS) == K_STATX_BASIC_STATS);
    OK(stat("f", &st));
    check("statx agrees with stat (ino, uid, mtime)",
          sx.stx_ino == st.st_ino && sx.stx_uid == st.st_uid &&
          sx.stx_mtime.tv_sec == st.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec);
    OK(syscall(SYS_statx, AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, K_STATX_BASIC_STATS, &sx));
    printf("statx lnk NOFOLLOW: mode=%o\n", sx.stx_mode);
    OK(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, K_STATX_BASIC_STATS, &sx));
    T(sx.stx_size, 10, 0);
    OK(syscall(SYS_statx, dfd, "..", 0, 0x1U /* STATX_TYPE */, &sx));
    check("statx(dfd, \"..\") is a directory", (sx.stx_mode & S_IFMT) == S_IFDIR);
    ERR(syscall(SYS_statx, AT_FDCWD, "missing", 0, K_STATX_BASIC_STATS, &sx), ENOENT);
    ERR(syscall(SYS_statx, AT_FDCWD, "f", 0x1000000, K_STATX_BASIC_STATS, &sx), EINVAL);
    ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, 0x80000000U, &sx), EINVAL);
    ERR(syscall(SYS_statx, 999, "f", 0, K_STATX_BASIC_STATS, &sx), EBADF);

    /* access */
    OK(access("f", F_OK));
    OK(access("f", R_OK | W_OK));
    ERR(access("f", X_OK), EACCES);
    ERR(access("missing", F_OK), ENOENT);
    ERR(access("f/", F_OK), ENOTDIR);
    ERR(access("f", 0x10), EINVAL);
    OK(access("d", X_OK));
    OK(chmod("f", 0444));
    OK(access("f", W_OK)); /* root */
    OK(chmod("f", 0100));
    OK(access("f", X_OK));
    OK(access("f", R_OK | W_OK | X_OK));
    OK(chmod("f", 0644));
    OK(faccessat(AT_FDCWD, "f", R_OK, 0));
    OK(faccessat(dfd, "../f", W_OK, 0));
    ERR(faccessat(dfd, "f", F_OK, 0), ENOENT);
    ERR(faccessat(999, "f", F_OK, 0), EBADF);
    ERR(syscall(SYS_access, "dangling", F_OK), ENOENT);
    OK(syscall(SYS_faccessat, AT_FDCWD, "f", R_OK));
    OK(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    ERR(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), ENOENT);
    OK(syscall(SYS_faccessat2, AT_FDCWD, "f", W_OK, AT_EACCESS));
    OK(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
    ERR(syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1), EINVAL);

    /* chmod family */
    OK(chmod("f", 0600));
    TOCT(st_of("f").st_mode, 0100600);
    OK(fchmod(fd, 0640));
    TOCT(st_of("f").st_mode, 0100640);
    OK(chmod("lnk", 0604)); /* follows the link */
    TOCT(st_of("f").st_mode, 0100604);
    TOCT(st_of("lnk").st_mode, 0120777);
    OK(fchmodat(AT_FDCWD, "f", 0755, 0));
    TOCT(st_of("f").st_mode, 0100755);
    OK(fchmodat(dfd, "../f", 0644, 0));
    TOCT(st_of("f").st_mode, 0100644);
    OK(syscall(SYS_fchmodat, AT_FDCWD, "f", 07777));
    TOCT(st_of("f").st_mode, 0107777);
    OK(chmod("f", 0170644)); /* the type bits are ignored */
    TOCT(st_of("f").st_mode, 0100644);
    OK(chmod("d", 0700));
    TOCT(st_of("d").st_mode, 040700);
    OK(chmod("d", 0755));
    ERR(chmod("missing", 0644), ENOENT);
    ERR(chmod("dangling", 0644), ENOENT);
    ERR(fchmod(999, 0644), EBADF);
    ERR(fchmodat(999, "f", 0644, 0), EBADF);

    /* chown family (run as root) */
    OK(chown("f", 1234, 1234));
    OK(stat("f", &st));
    check("chown: uid 1234 gid 1234", st.st_uid == 1234 && st.st_gid == 1234);
    OK(chown("f", -1, 4321));
    OK(stat("f", &st));
    check("chown(-1, 4321) keeps uid 1234", st.st_uid == 1234 && st.st_gid == 4321);
    OK(fchown(fd, 0, -1));
    OK(stat("f", &st));
    check("fchown(0, -1)", st.st_uid == 0 && st.st_gid == 4321);
    OK(lchown("lnk", 1234, 1234));
    OK(lstat("lnk", &st));
    OK(stat("f", &st2));
    check("lchown changes the link, not the file",
          st.st_uid == 1234 && st.st_gid == 1234 && st2.st_uid == 0 && st2.st_gid == 4321);
    OK(chown("lnk", 1234, -1));
    OK(stat("f", &st2));
    OK(lstat("lnk", &st));
    check("chown through the link changes the file", st2.st_uid == 1234 && st.st_uid == 1234);
    OK(fchownat(AT_FDCWD, "lnk", 0, 0, AT_SYMLINK_NOFOLLOW));
    OK(lstat("lnk", &st));
    check("fchownat NOFOLLOW", st.st_uid == 0 && st.st_gid == 0);
    OK(fchownat(dfd, "../f", 0, 0, 0));
    OK(stat("f", &st));
    check("fchownat(dfd, \"../f\", 0, 0)", st.st_uid == 0 && st.st_gid == 0);
    OK(fchownat(fd, "", 1234, 1234, AT_EMPTY_PATH));
    OK(fstat(fd, &st));
    check("fchownat AT_EMPTY_PATH", st.st_uid == 1234 && st.st_gid == 1234);
    OK(fchmod(fd, 06755));
    TOCT(st_of("f").st_mode, 0106755);
    OK(fchown(fd, 0, 0));
    TOCT(st_of("f").st_mode, 0100755); /* chown cleared set-user-ID and set-group-ID */
    OK(fchmod(fd, 0644));
    ERR(chown("missing", 0, 0), ENOENT);
    ERR(lchown("missing", 0, 0), ENOENT);
    ERR(fchown(999, 0, 0), EBADF);
    ERR(fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
    OK(syscall(SYS_chown, "f", 0, 0));
    OK(syscall(SYS_lchown, "lnk", 0, 0));
    OK(syscall(SYS_fchownat, AT_FDCWD, "d", 0, 0, 0));

    /* utimensat */
    struct timespec now0;
    clock_gettime(CLOCK_REALTIME, &now0);
    struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
    OK(utimensat(AT_FDCWD, "f", ts, 0));
    OK(stat("f", &st));
    printf("atime = %lld.%09ld mtime = %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    check("times read back exactly", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789 &&
                                         st.st_mtim.tv_sec == 1234567890 && st.st_mtim.tv_nsec == 987654321);
    struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    OK(utimensat(AT_FDCWD, "f", omit_now, 0));
    OK(stat("f", &st));
    check("UTIME_OMIT kept atime", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789);
    check("UTIME_NOW set mtime >= start - 1 s", st.st_mtim.tv_sec >= now0.tv_sec - 1);
    struct timespec ts2[2] = { { 5, 0 }, { 0, UTIME_OMIT } };
    OK(futimens(fd, ts2));
    OK(fstat(fd, &st));
    check("futimens: atime 5, mtime kept", st.st_atim.tv_sec == 5 && st.st_atim.tv_nsec == 0 &&
                                               st.st_mtim.tv_sec >= now0.tv_sec - 1);
    OK(utimensat(AT_FDCWD, "f", NULL, 0));
    OK(stat("f", &st));
    check("NULL times: both now", st.st_atim.tv_sec >= now0.tv_sec - 1 && st.st_mtim.tv_sec >= now0.tv_sec - 1);
    struct timespec old[2] = { { 100, 1 }, { 200, 2 } };
    OK(utimensat(AT_FDCWD, "lnk", old, AT_SYMLINK_NOFOLLOW));
    OK(lstat("lnk", &st));
    OK(stat("f", &st2));
    check("NOFOLLOW: the link's times", st.st_mtim.tv_sec == 200 && st.st_mtim.tv_nsec == 2 &&
                                            st2.st_mtim.tv_sec >= now0.tv_sec - 1);
    OK(utimensat(dfd, "../lnk", old, 0));
    OK(stat("f", &st2));
    check("utimensat(dfd, \"../lnk\") follows", st2.st_atim.tv_sec == 100 && st2.st_mtim.tv_sec == 200);
    OK(syscall(SYS_utimensat, fd, NULL, ts, 0)); /* NULL path: the fd itself */
    OK(fstat(fd, &st));
    check("utimensat(fd, NULL, ...)", st.st_mtim.tv_sec == 1234567890 && st.st_mtim.tv_nsec == 987654321);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    struct timespec bad2[2] = { { 0, -1 }, { 0, 0 } };
    ERR(utimensat(AT_FDCWD, "f", bad2, 0), EINVAL);
    ERR(utimensat(AT_FDCWD, "f", ts, 0x1), EINVAL);
    ERR(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
    ERR(syscall(SYS_utimensat, AT_FDCWD, "missing", ts, 0x100000000L), ENOENT); /* flags: an int */
    ERR(utimensat(999, "f", ts, 0), EBADF);
    ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);

    /* truncate / ftruncate */
    OK(truncate("f", 3));
    T(st_of("f").st_size, 3, 0);
    OK(truncate("lnk", 100)); /* follows */
    T(st_of("f").st_size, 100, 0);
    OK(ftruncate(fd, 0));
    T(st_of("f").st_size, 0, 0);
    OK(ftruncate(fd, 4096 * 3 + 1));
    T(st_of("f").st_size, 12289, 0);
    ERR(truncate("f", -1), EINVAL);
    ERR(ftruncate(fd, -1), EINVAL);
    ERR(truncate("d", 0), EISDIR);
    ERR(truncate("missing", 0), ENOENT);
    ERR(truncate("f/", 0), ENOTDIR);
    ERR(ftruncate(dfd, 0), EINVAL);
    int ro = FD(open("f", O_RDONLY));
    ERR(ftruncate(ro, 0), EINVAL);
    OK(close(ro));
    int p[2];
    OK(pipe(p));
    ERR(ftruncate(p[1], 0), EINVAL);
    OK(close(p[0]));
    OK(close(p[1]));
    ERR(ftruncate(999, 0), EBADF);

    /* umask */
    TOCT(umask(027), 022);
    OK(mkdir("m", 0777));
    TOCT(st_of("m").st_mode, 040750);
    int u = FD(open("mf", O_WRONLY | O_CREAT, 0666));
    OK(close(u));
    TOCT(st_of("mf").st_mode, 0100640);
    OK(mknod("fifo", S_IFIFO | 0666, 0));
    TOCT(st_of("fifo").st_mode, 010640);
    OK(symlink("x", "sl"));
    TOCT(st_of("sl").st_mode, 0120777); /* symlinks ignore the umask */
    TOCT(umask(022), 027);
    OK(chmod("m", 01777));
    TOCT(st_of("m").st_mode, 041777);
    OK(mkdir("sticky", 07777)); /* mkdir keeps only the sticky bit */
    TOCT(st_of("sticky").st_mode, 041755);
    int su = FD(open("suid", O_WRONLY | O_CREAT, 07777));
    OK(close(su));
    TOCT(st_of("suid").st_mode, 0107755);

    OK(close(dfd));
    OK(close(fd));
    return finish("fs_meta");
}
