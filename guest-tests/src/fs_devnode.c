/* mknod of character and block devices: the nodes show their type, mode,
 * owner and device number in stat, lstat, fstatat, fstat of an O_PATH
 * descriptor, statx and readdir's d_type, keep them across chmod, chown, rename and link;
 * opening 1:3, 1:5 and 1:7 gives null, zero and full; a number without a
 * driver (major 60, local/experimental) is ENXIO; errors: EEXIST, ENOENT,
 * ENOTDIR, EINVAL. Needs root natively (CAP_MKNOD). On a nodev file system
 * natively the nodes cannot be opened: then no open is tried. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fs_check.h"

static void show(const char *name)
{
    struct stat st;
    if (lstat(name, &st) != 0) {
        printf("lstat %s = -1 %s\n", name, ename(errno));
        return;
    }
    const char *type = S_ISCHR(st.st_mode) ? "chr" : S_ISBLK(st.st_mode) ? "blk" : "other";
    printf("%s: %s %04o %u:%u uid %u gid %u nlink %lu size %lld\n", name, type, st.st_mode & 07777,
           major(st.st_rdev), minor(st.st_rdev), st.st_uid, st.st_gid, (unsigned long)st.st_nlink,
           (long long)st.st_size);
}

int main(void)
{
    umask(0);
    OK(mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    OK(mknod("zero", S_IFCHR | 0640, makedev(1, 5)));
    OK(mknod("full", S_IFCHR | 0600, makedev(1, 7)));
    OK(mknodat(AT_FDCWD, "sda", S_IFBLK | 0660, makedev(8, 0)));
    OK(mknod("none", S_IFCHR | 0600, makedev(60, 1)));
    OK(mknod("bnone", S_IFBLK | 0600, makedev(60, 1)));
    umask(022);
    OK(mknod("masked", S_IFCHR | 0666, makedev(4, 64)));
    show("null");
    show("zero");
    show("full");
    show("sda");
    show("masked");

    /* Errors. */
    ERR(mknod("null", S_IFCHR | 0600, makedev(1, 3)), EEXIST);
    ERR(mknod("missing/x", S_IFBLK | 0600, makedev(8, 1)), ENOENT);
    ERR(mknod("null/x", S_IFCHR | 0600, makedev(1, 3)), ENOTDIR);
    ERR(mknod("bad", 0170000 | 0600, 0), EINVAL);

    /* The other ways to look. */
    struct stat a, b;
    OK(stat("sda", &a));
    OK(fstatat(AT_FDCWD, "sda", &b, AT_SYMLINK_NOFOLLOW));
    check("stat and fstatat agree", a.st_mode == b.st_mode && a.st_rdev == b.st_rdev);
    int pfd = FD(open("sda", O_PATH));
    OK(fstat(pfd, &b));
    check("fstat of an O_PATH descriptor", S_ISBLK(b.st_mode) && b.st_rdev == makedev(8, 0));
    OK(close(pfd));
    /* struct statx by offset (older libc headers lack it): stx_mode at 28,
     * stx_rdev_major and _minor at 128 and 132. */
    unsigned char sx[256];
    OK(syscall(SYS_statx, AT_FDCWD, "zero", 0, 0x7ffu, sx));
    unsigned short smode;
    unsigned int rmaj, rmin;
    memcpy(&smode, sx + 28, 2);
    memcpy(&rmaj, sx + 128, 4);
    memcpy(&rmin, sx + 132, 4);
    printf("statx zero: chr %d %04o %u:%u\n", S_ISCHR(smode), smode & 07777, rmaj, rmin);
    OK(symlink("sda", "link"));
    OK(stat("link", &b));
    check("stat through a symlink", S_ISBLK(b.st_mode));

    /* readdir's d_type, sorted by name. */
    DIR *d = opendir(".");
    struct dirent *e;
    char seen[64][32];
    int n = 0;
    while (d && (e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.')
            snprintf(seen[n++], 32, "%.20s %d", e->d_name, e->d_type);
    closedir(d);
    qsort(seen, n, 32, (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++)
        printf("entry %s\n", seen[i]);

    /* Metadata changes keep the node. */
    OK(chmod("sda", 0600));
    OK(chown("sda", 6, 7));
    OK(rename("sda", "sdb"));
    OK(link("sdb", "sdc"));
    show("sdb");
    show("sdc");
    OK(unlink("sdc"));
    show("sdb");

    /* Opening: the devices the numbers name. */
    struct statvfs sv;
    OK(statvfs(".", &sv));
    if (sv.f_flag & ST_NODEV)
        return finish("fs_devnode (nodev: no opens)");
    int fd = FD(open("null", O_RDWR));
    T(write(fd, "abc", 3), 3, 0);
    char buf[8] = "xxxxxxx";
    T(read(fd, buf, sizeof buf), 0, 0);
    OK(fstat(fd, &b));
    check("an open null is a character device", S_ISCHR(b.st_mode) && b.st_rdev == makedev(1, 3));
    OK(close(fd));
    fd = FD(open("zero", O_RDONLY));
    T(read(fd, buf, 4), 4, 0);
    check("zero reads zeros", memcmp(buf, "\0\0\0\0", 4) == 0);
    OK(close(fd));
    fd = FD(open("full", O_WRONLY));
    ERR(write(fd, "a", 1), ENOSPC);
    OK(close(fd));
    ERR(open("none", O_RDONLY), ENXIO);
    ERR(open("bnone", O_RDONLY), ENXIO);
    show("null");
    return finish("fs_devnode");
}
