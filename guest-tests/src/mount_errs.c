/* mount(2) and umount2(2) in the working directory: tmpfs, ramfs, bind
 * and remount, statfs of each, and the errnos Linux documents (ENODEV,
 * ENOENT, ENOTDIR, EINVAL, EBUSY, EXDEV, EROFS, EFAULT). It mounts, so it
 * runs only under nommu (where every guest is root: no EPERM case).
 * Arguments: "enospc" (see enospc below); "thread": enospc's tmpfs is
 * mounted by another thread, before anything else is mounted, and used
 * by the main thread (both must see the same mounts). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "fs_check.h"

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define F_RDONLY 1 /* ST_RDONLY in f_flags */

static int in_mountinfo(const char *what)
{
    char buf[8192];
    int fd = open("/proc/self/mountinfo", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return strstr(buf, what) != NULL;
}

/* size= is enforced: writes past it are ENOSPC (argv "enospc": only when
 * the machine's tmpfs are host tmpfs mounts, which needs root). */
static void *mount_m2(void *arg)
{
    (void)arg;
    OK(mount("none", "m2", "tmpfs", 0, "size=64k"));
    return NULL;
}

static void enospc(int by_thread)
{
    if (by_thread) {
        pthread_t t;
        T(pthread_create(&t, NULL, mount_m2, NULL), 0, 0);
        T(pthread_join(t, NULL), 0, 0);
    } else {
        mount_m2(NULL);
    }
    int fd = FD(open("m2/big", O_WRONLY | O_CREAT, 0644));
    static char chunk[16384];
    long total = 0, n;
    int e = 0;
    while ((n = write(fd, chunk, sizeof chunk)) > 0)
        total += n;
    if (n == -1)
        e = errno;
    printf("the write past size= fails with %s\n", ename(e));
    check("ENOSPC", e == ENOSPC);
    T(total, 65536, 0);
    ERR(mount(NULL, "m2", NULL, MS_REMOUNT, "size=16k"), EINVAL);
    OK(mount(NULL, "m2", NULL, MS_REMOUNT, "size=128k"));
    T(write(fd, chunk, sizeof chunk), sizeof chunk, 0);
    struct statfs sf;
    OK(statfs("m2", &sf));
    T(sf.f_blocks, 32, 0);
    T(sf.f_bfree, 12, 0);
    /* Read-only while a file is open for writing: EBUSY, as Linux. */
    ERR(mount(NULL, "m2", NULL, MS_REMOUNT | MS_RDONLY, NULL), EBUSY);
    OK(close(fd));
    OK(mount(NULL, "m2", NULL, MS_REMOUNT | MS_RDONLY, NULL));
    ERR(chmod("m2/big", 0600), EROFS);
    ERR(truncate("m2/big", 0), EROFS);
    OK(mount(NULL, "m2", NULL, MS_REMOUNT, NULL));
    OK(chmod("m2/big", 0600));
    OK(umount2("m2", 0));
}

static int has_arg(int argc, char **argv, const char *what)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], what) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    char mnt[4200];
    snprintf(mnt, sizeof mnt, "%s/m", cwd);
    OK(mkdir("m", 0755));
    OK(mkdir("m2", 0755));
    OK(close(open("file", O_CREAT | O_WRONLY, 0644)));
    /* Before the other mounts: the thread's is the machine's first. */
    if (has_arg(argc, argv, "enospc") && has_arg(argc, argv, "thread"))
        enospc(1);

    /* Errors before anything is mounted. */
    ERR(mount("none", "m", "nosuchfs", 0, NULL), ENODEV);
    ERR(mount("none", "missing", "tmpfs", 0, NULL), ENOENT);
    ERR(mount("none", "file", "tmpfs", 0, NULL), ENOTDIR);
    ERR(mount("none", "m", NULL, 0, NULL), EINVAL);
    ERR(mount("none", "m", (char *)1, 0, NULL), EFAULT);
    ERR(mount("none", "m", "tmpfs", 0, "nosuchoption=1"), EINVAL);
    ERR(umount2("m", 0), EINVAL);
    ERR(umount2("missing", 0), ENOENT);
    ERR(umount2("m", 0x100), EINVAL);
    ERR(umount2("m", MNT_EXPIRE | MNT_DETACH), EINVAL);

    /* A 64 KiB tmpfs. */
    OK(mount("none", "m", "tmpfs", 0, "size=64k,mode=755"));
    struct statfs sf;
    OK(statfs("m", &sf));
    T(sf.f_type, TMPFS_MAGIC, 0);
    T(sf.f_blocks, 16, 0);
    T(sf.f_bfree, 16, 0);
    struct stat st, top;
    OK(stat("m", &st));
    TOCT(st.st_mode & 07777, 0755);
    OK(stat(".", &top));
    check("the mount has its own device", st.st_dev != top.st_dev);
    check("mountinfo shows it", in_mountinfo(mnt));
    int fd = FD(open("m/f", O_RDWR | O_CREAT, 0644));
    T(write(fd, "hello", 5), 5, 0);
    OK(fstatfs(fd, &sf));
    T(sf.f_type, TMPFS_MAGIC, 0);
    check("the file uses a block", sf.f_bfree < sf.f_blocks);
    OK(fstat(fd, &st));
    check("its files are on the mount's device", st.st_dev != top.st_dev);
    ERR(rename("m/f", "moved"), EXDEV);
    ERR(link("m/f", "linked"), EXDEV);
    ERR(rename("file", "m/file"), EXDEV);
    ERR(umount2("m", 0), EBUSY);
    OK(close(fd));

    /* Read-only remount. */
    OK(mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
    ERR(open("m/g", O_WRONLY | O_CREAT, 0644), EROFS);
    ERR(mkdir("m/d", 0755), EROFS);
    OK(statfs("m", &sf));
    T(sf.f_flags & F_RDONLY, F_RDONLY, 0);
    OK(mount(NULL, "m", NULL, MS_REMOUNT, NULL));
    OK(close(open("m/g", O_WRONLY | O_CREAT, 0644)));

    /* A bind mount of a directory in it, and mounts over mounts. */
    OK(mkdir("m/sub", 0755));
    OK(close(open("m/sub/x", O_WRONLY | O_CREAT, 0644)));
    OK(mount("m/sub", "m2", NULL, MS_BIND, NULL));
    OK(access("m2/x", F_OK));
    ERR(umount2("m", 0), EBUSY);
    OK(umount2("m2", 0));
    ERR(access("m2/x", F_OK), ENOENT);
    OK(mount("none", "m/sub", "ramfs", 0, NULL));
    OK(statfs("m/sub", &sf));
    T(sf.f_type, RAMFS_MAGIC, 0);
    ERR(access("m/sub/x", F_OK), ENOENT);
    ERR(umount2("m", 0), EBUSY);
    OK(umount2("m/sub", 0));
    OK(access("m/sub/x", F_OK));

    /* Lazy unmount: an open file stays usable. */
    fd = FD(open("m/f", O_RDONLY));
    OK(umount2("m", MNT_DETACH));
    char buf[8] = { 0 };
    T(read(fd, buf, 5), 5, 0);
    check("the detached file keeps its bytes", strcmp(buf, "hello") == 0);
    OK(close(fd));
    ERR(access("m/f", F_OK), ENOENT);
    ERR(umount2("m", 0), EINVAL);
    check("mountinfo no longer shows it", !in_mountinfo(mnt));
    /* noexec: exec of a file there is EACCES. */
    OK(mount("none", "m2", "tmpfs", MS_NOEXEC, NULL));
    int in = open("/proc/self/exe", O_RDONLY), out = open("m2/prog", O_WRONLY | O_CREAT, 0755);
    char chunk[65536];
    ssize_t n;
    while ((n = read(in, chunk, sizeof chunk)) > 0)
        write(out, chunk, n);
    close(in);
    close(out);
    char *pargv[] = { "prog", NULL };
    ERR(execv("m2/prog", pargv), EACCES);
    OK(umount2("m2", 0));
    if (has_arg(argc, argv, "enospc") && !has_arg(argc, argv, "thread"))
        enospc(0);
    OK(rmdir("m"));
    OK(rmdir("m2"));
    OK(unlink("file"));
    return finish("mount_errs");
}
