/* Extended attributes on nommu's file system, which keeps none (like a file
 * system mounted without xattr support: EOPNOTSUPP, empty lists), after the
 * usual path and descriptor checks; and fadvise. Run under nommu only:
 * natively the answers depend on the host's file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_check.h"

int main(void) {
    char buf[64];
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    memcpy(longname, "user.", 5);
    longname[sizeof longname - 1] = 0;
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    OK(symlink("f", "l"));
    ERR(getxattr("f", "user.x", buf, sizeof buf), EOPNOTSUPP);
    ERR(lgetxattr("l", "user.x", buf, sizeof buf), EOPNOTSUPP);
    ERR(fgetxattr(fd, "user.x", buf, sizeof buf), EOPNOTSUPP);
    T(listxattr("f", buf, sizeof buf), 0, 0);
    T(llistxattr("l", buf, sizeof buf), 0, 0);
    T(flistxattr(fd, buf, sizeof buf), 0, 0);
    ERR(setxattr("f", "user.x", "v", 1, 0), EOPNOTSUPP);
    ERR(fsetxattr(fd, "user.x", "v", 1, XATTR_CREATE), EOPNOTSUPP);
    ERR(setxattr("f", "user.x", "v", 1, 4), EINVAL);
    ERR(removexattr("f", "user.x"), EOPNOTSUPP);
    ERR(getxattr("missing", "user.x", buf, sizeof buf), ENOENT);
    ERR(getxattr("f/x", "user.x", buf, sizeof buf), ENOTDIR);
    ERR(getxattr(NULL, "user.x", buf, sizeof buf), EFAULT);
    ERR(getxattr("f", "", buf, sizeof buf), ERANGE);
    ERR(getxattr("f", longname, buf, sizeof buf), ERANGE);
    ERR(fgetxattr(999, "user.x", buf, sizeof buf), EBADF);
    ERR(flistxattr(-1, buf, sizeof buf), EBADF);
    T(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0, 0);
    ERR(syscall(SYS_fadvise64, fd, 0, 0, 99), EINVAL);
    ERR(syscall(SYS_fadvise64, fd, 0L, -1L, 0), EINVAL);
    ERR(syscall(SYS_fadvise64, 999, 0, 0, 0), EBADF);
    int p[2];
    OK(pipe(p));
    ERR(syscall(SYS_fadvise64, p[0], 0, 0, 0), ESPIPE);
    return finish("fs_xattr");
}
