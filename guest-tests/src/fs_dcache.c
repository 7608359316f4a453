/* What a cached path walk must not remember: every case first walks a
 * path (so a kernel that caches resolved directories has it cached), then
 * changes what the path names, then walks it again, by absolute and by
 * relative path, with stat, lstat, open, access and statx:
 * a directory renamed (old and new names), rmdir + mkdir of the same
 * name, a symlink replaced by a directory, symlinks in last position
 * (followed, O_NOFOLLOW, O_DIRECTORY, O_CREAT through a dangling one),
 * chdir then relative opens, a directory made unsearchable (EACCES
 * beneath it unless the user may search it anyway), and (argument
 * "mount", as root) a tmpfs mounted over a cached directory and unmounted
 * again. Runs in an empty working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fs_check.h"

static char top[PATH_MAX];

/* The absolute path of `rel` (below the starting directory). */
static const char *A(const char *rel)
{
    static char buf[4][2 * PATH_MAX];
    static int n;
    char *b = buf[n++ % 4];
    snprintf(b, 2 * PATH_MAX, "%s/%s", top, rel);
    return b;
}

static int make(const char *p)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, "x", 1) != 1) /* not empty: a plain file */
        return -1;
    return close(fd);
}

static int st(const char *p)
{
    struct stat s;
    return stat(p, &s);
}

static int lst_is_link(const char *p)
{
    struct stat s;
    if (lstat(p, &s) != 0)
        return -1;
    return S_ISLNK(s.st_mode);
}

static int st_is_dir(const char *p)
{
    struct stat s;
    if (stat(p, &s) != 0)
        return -1;
    return S_ISDIR(s.st_mode);
}

static int sx(const char *p)
{
    unsigned long long buf[32]; /* a struct statx (not in every libc's headers) */
    return syscall(SYS_statx, AT_FDCWD, p, 0, 0x7ff, buf);
}

static int opn(const char *p, int flags)
{
    int fd = open(p, flags, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static void renamed_directory(void)
{
    OK(mkdir("a", 0755));
    OK(mkdir("a/d", 0755));
    OK(make("a/d/f"));
    OK(st(A("a/d/f")));
    OK(opn(A("a/d/f"), O_RDONLY));
    OK(access(A("a/d/f"), R_OK));
    OK(st("a/d/f"));
    OK(rename("a", "b"));
    ERR(st(A("a/d/f")), ENOENT);
    ERR(opn(A("a/d/f"), O_RDONLY), ENOENT);
    ERR(access(A("a/d/f"), F_OK), ENOENT);
    ERR(sx(A("a/d/f")), ENOENT);
    ERR(st("a/d/f"), ENOENT);
    OK(st(A("b/d/f")));
    OK(opn(A("b/d/f"), O_RDONLY));
    OK(sx(A("b/d/f")));
    OK(st("b/d/f"));
    /* A create through the old name must not land in the renamed one. */
    ERR(opn(A("a/d/new"), O_WRONLY | O_CREAT), ENOENT);
    ERR(st(A("b/d/new")), ENOENT);
    /* Renamed back over an empty directory of the old name. */
    OK(mkdir("a", 0755));
    OK(rename("b", "a"));
    OK(st(A("a/d/f")));
    ERR(st(A("b/d/f")), ENOENT);
}

static void rmdir_mkdir(void)
{
    OK(mkdir("c", 0755));
    OK(make("c/f"));
    OK(st(A("c/f")));
    OK(unlink("c/f"));
    OK(rmdir("c"));
    ERR(st(A("c/f")), ENOENT);
    ERR(opn(A("c/f"), O_RDONLY), ENOENT);
    ERR(opn(A("c/g"), O_WRONLY | O_CREAT), ENOENT);
    OK(mkdir("c", 0755));
    ERR(st(A("c/f")), ENOENT);
    OK(opn(A("c/g"), O_WRONLY | O_CREAT | O_EXCL));
    OK(st("c/g"));
    ERR(opn(A("c/g"), O_WRONLY | O_CREAT | O_EXCL), EEXIST);
}

static void symlink_replaced_by_directory(void)
{
    OK(mkdir("real", 0755));
    OK(make("real/f"));
    OK(symlink("real", "s"));
    OK(st(A("s/f")));
    OK(opn(A("s/f"), O_RDONLY));
    OK(unlink("s"));
    ERR(st(A("s/f")), ENOENT);
    OK(mkdir("s", 0755));
    ERR(st(A("s/f")), ENOENT);
    OK(opn(A("s/g"), O_WRONLY | O_CREAT | O_EXCL));
    ERR(st(A("real/g")), ENOENT);
    T(st_is_dir(A("s")), 1, 0);
    /* And back: a directory replaced by a symlink (rename over it). */
    OK(unlink("s/g"));
    OK(symlink("real", "s2"));
    ERR(rename("s2", "s"), EISDIR);
    OK(rmdir("s"));
    OK(rename("s2", "s"));
    OK(st(A("s/f")));
    T(lst_is_link(A("s")), 1, 0);
}

static void last_component_symlinks(void)
{
    OK(symlink(A("real/f"), "lf"));
    OK(symlink(A("real"), "ld"));
    OK(symlink(A("real/created"), "dangling"));
    OK(symlink("lf", "lf2"));
    T(lst_is_link(A("lf")), 1, 0);
    T(st_is_dir(A("lf")), 0, 0);
    T(st_is_dir(A("ld")), 1, 0);
    OK(st(A("lf2")));
    OK(sx(A("lf")));
    OK(access(A("lf"), R_OK));
    OK(faccessat(AT_FDCWD, A("lf"), F_OK, AT_SYMLINK_NOFOLLOW));
    OK(opn(A("lf"), O_RDONLY));
    OK(opn(A("lf2"), O_RDONLY));
    ERR(opn(A("lf"), O_RDONLY | O_NOFOLLOW), ELOOP);
    OK(opn(A("ld"), O_RDONLY | O_DIRECTORY));
    ERR(opn(A("lf"), O_RDONLY | O_DIRECTORY), ENOTDIR);
    ERR(opn(A("lf"), O_WRONLY | O_CREAT | O_EXCL), EEXIST);
    ERR(st(A("real/created")), ENOENT);
    OK(opn(A("dangling"), O_WRONLY | O_CREAT));
    OK(st(A("real/created")));
    ERR(opn(A("dangling"), O_WRONLY | O_CREAT | O_EXCL), EEXIST);
    /* The same, relative. */
    OK(opn("lf", O_RDONLY));
    ERR(opn("lf", O_RDONLY | O_NOFOLLOW), ELOOP);
    T(lst_is_link("lf"), 1, 0);
    ERR(st(A("lf/x")), ENOTDIR);
    ERR(st(A("real/f/")), ENOTDIR);
    OK(st(A("real/./f")));
    OK(st(A("real/../real/f")));
    OK(st(A("ld/../real/f")));
}

static void chdir_relative(void)
{
    OK(mkdir("w1", 0755));
    OK(mkdir("w2", 0755));
    OK(make("w1/one"));
    OK(make("w2/two"));
    OK(mkdir("w1/sub", 0755));
    OK(make("w1/sub/x"));
    OK(mkdir("w2/sub", 0755));
    OK(chdir("w1"));
    OK(st("one"));
    OK(st("sub/x"));
    OK(opn("sub/x", O_RDONLY));
    OK(access("sub/x", R_OK));
    OK(chdir("../w2"));
    ERR(st("one"), ENOENT);
    ERR(st("sub/x"), ENOENT);
    ERR(opn("sub/x", O_RDONLY), ENOENT);
    ERR(access("sub/x", F_OK), ENOENT);
    OK(st("two"));
    OK(opn("sub/y", O_WRONLY | O_CREAT | O_EXCL));
    OK(chdir(top));
    OK(st(A("w2/sub/y")));
    ERR(st(A("w1/sub/y")), ENOENT);
    /* The working directory renamed under the process. */
    OK(chdir("w1"));
    OK(st("sub/x"));
    OK(rename(A("w1"), A("w3")));
    OK(st("sub/x"));
    OK(st("one"));
    OK(chdir(top));
    OK(st(A("w3/sub/x")));
}

static void unsearchable(void)
{
    OK(mkdir("p", 0755));
    OK(make("p/f"));
    OK(st(A("p/f")));
    OK(chmod("p", 0));
    /* Root may search it anyway (natively; under nommu the host user's
     * permissions apply, whatever geteuid says). */
    if (access(A("p"), X_OK) == 0) {
        OK(st(A("p/f")));
    } else {
        ERR(st(A("p/f")), EACCES);
        ERR(opn(A("p/f"), O_RDONLY), EACCES);
        ERR(access(A("p/f"), F_OK), EACCES);
    }
    OK(chmod("p", 0755));
    OK(st(A("p/f")));
}

static void mount_over(void)
{
    /* Natively: in a private mount namespace of its own (root only). */
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    OK(mkdir("m", 0755));
    OK(make("m/under"));
    OK(st(A("m/under")));
    OK(mount("none", A("m"), "tmpfs", 0, NULL));
    ERR(st(A("m/under")), ENOENT);
    ERR(opn(A("m/under"), O_RDONLY), ENOENT);
    OK(opn(A("m/over"), O_WRONLY | O_CREAT | O_EXCL));
    OK(st(A("m/over")));
    OK(chdir("m"));
    OK(st("over"));
    OK(chdir(top));
    OK(umount(A("m")));
    OK(st(A("m/under")));
    ERR(st(A("m/over")), ENOENT);
}

int main(int argc, char **argv)
{
    if (!getcwd(top, sizeof top))
        return 2;
    if (argc > 1 && !strcmp(argv[1], "mount")) {
        mount_over();
        return finish("fs_dcache mount");
    }
    renamed_directory();
    rmdir_mkdir();
    symlink_replaced_by_directory();
    last_component_symlinks();
    chdir_relative();
    unsearchable();
    return finish("fs_dcache");
}
