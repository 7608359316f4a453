/* What the SysV IPC guest tests (ipc_msg, ipc_sem, ipc_shm) share, on top
 * of proc_check.h: errno checks, a one-shot SIGALRM, the /proc/sysvipc
 * lookup, and children exec'd from the test in a mode with an IPC id. */
#ifndef IPC_CHECK_H
#define IPC_CHECK_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "proc_check.h"
#include "sig_helpers.h"

#define BAD_PTR ((void *)16)

__attribute__((unused)) static int errno_is(long r, int e)
{
    return r == -1 && errno == e;
}

__attribute__((unused)) static void on_alarm(int sig)
{
    (void)sig;
}

/* A key of this process's own for the IPC kind `tag` (a letter): no
 * other test's object, nor a run's before, has it. */
__attribute__((unused)) static key_t private_key(char tag)
{
    return (key_t)(((unsigned)tag << 24) | (getpid() & 0xffffff));
}

/* Whether /proc/sysvipc/<file> has a line for the object id with this key,
 * and its header line is `header` (Linux's, newline included). */
__attribute__((unused)) static int in_sysvipc(const char *file, const char *header, int id, key_t key)
{
    char path[64], line[512], want[32];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", file);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int found = 0;
    snprintf(want, sizeof want, "%10d %10d ", key, id);
    if (!fgets(line, sizeof line, f) || strcmp(line, header) != 0) {
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof line, f))
        found |= !strncmp(line, want, strlen(want));
    fclose(f);
    return found;
}

/* This program again (vfork + exec), as `self MODE ID`. */
__attribute__((unused)) static pid_t spawn(const char *mode, int id)
{
    char arg[16];
    snprintf(arg, sizeof arg, "%d", id);
    return vfork_self(NULL, mode, arg, NULL, NULL);
}

/* Whether the child ended with status 0. */
__attribute__((unused)) static int child_ok(pid_t pid)
{
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#endif
