/*
 * enosys: system call numbers the kernel does not know return -ENOSYS
 * (syscall() gives -1 with errno ENOSYS) instead of crashing: 500 (unused,
 * below 512), 1000 and 100000 (far above any real number).
 * Exit 0 when all three behave, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    static const long nrs[] = { 500, 1000, 100000 };
    int failures = 0;

    for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        errno = 0;
        long r = syscall(nrs[i], 1, 2, 3, 4, 5, 6);
        int e = errno;
        printf("syscall(%ld) = %ld, errno = %s\n", nrs[i], r,
               e == ENOSYS ? "ENOSYS" : strerror(e));
        if (r != -1 || e != ENOSYS)
            failures++;
    }
    printf("%s\n", failures ? "enosys FAILED" : "enosys ok");
    return failures ? 1 : 0;
}
