/*
 * proc_ids: the set*id calls at their edges, where Linux answers the same
 * for root and for anyone: -1 is no id (EINVAL where one must be given,
 * "leave it" in setre*id/setres*id), setfs*id never fails and returns the
 * old id, setgroups refuses more than NGROUPS_MAX groups and a -1 group.
 * Ids are only ever set to what they already are, so the result does not
 * depend on who runs the test. Raw syscalls: libc wrappers broadcast the
 * change to every thread and may check arguments themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-40s = -1 %s\n", what, ename(errno));
    else
        printf("%-40s = %ld\n", what, r);
}

int main(void)
{
    long uid = getuid(), gid = getgid(), none = -1;
    char what[64];

    show("setuid(-1)", syscall(SYS_setuid, none));
    show("setgid(-1)", syscall(SYS_setgid, none));
    show("setuid(-1 as 64-bit register)", syscall(SYS_setuid, 0xffffffffL));
    show("setuid(own uid)", syscall(SYS_setuid, uid));
    show("setgid(own gid)", syscall(SYS_setgid, gid));
    show("setreuid(-1, -1)", syscall(SYS_setreuid, none, none));
    show("setregid(-1, -1)", syscall(SYS_setregid, none, none));
    show("setreuid(own, -1)", syscall(SYS_setreuid, uid, none));
    show("setregid(-1, own)", syscall(SYS_setregid, none, gid));
    show("setresuid(-1, -1, -1)", syscall(SYS_setresuid, none, none, none));
    show("setresgid(-1, -1, -1)", syscall(SYS_setresgid, none, none, none));
    show("setresuid(own, own, own)", syscall(SYS_setresuid, uid, uid, uid));
    show("setresgid(own, -1, own)", syscall(SYS_setresgid, gid, none, gid));

    snprintf(what, sizeof what, "setfsuid(-1) == uid: %s", syscall(SYS_setfsuid, none) == uid ? "yes" : "no");
    printf("%s\n", what);
    snprintf(what, sizeof what, "setfsgid(-1) == gid: %s", syscall(SYS_setfsgid, none) == gid ? "yes" : "no");
    printf("%s\n", what);
    snprintf(what, sizeof what, "setfsuid(own) == uid: %s", syscall(SYS_setfsuid, uid) == uid ? "yes" : "no");
    printf("%s\n", what);

    unsigned int groups[2] = {(unsigned int)gid, (unsigned int)-1};
    show("setgroups(65537, list)", syscall(SYS_setgroups, 65537L, groups));
    show("setgroups(-1, list)", syscall(SYS_setgroups, -1L, groups));
    show("setgroups(2, [own, -1])", syscall(SYS_setgroups, 2L, groups));
    show("setgroups(1, NULL)", syscall(SYS_setgroups, 1L, NULL));
    show("getgroups(-1, NULL)", syscall(SYS_getgroups, -1L, NULL) < 0 ? -1 : 0);

    /* getresuid with a bad pointer */
    show("getresuid(NULL, ...)", syscall(SYS_getresuid, NULL, NULL, NULL));
    return 0;
}
