/* A wait status in words, for the guest tests that print what became of
 * a child (proc_check.h includes it; so does pty.c). */
#ifndef WAIT_WORDS_H
#define WAIT_WORDS_H
#include <stdio.h>
#include <sys/wait.h>

/* A wait status in words: "exited N", "killed by signal N", "stopped by
 * signal N", else the raw number. */
__attribute__((unused)) static const char *describe(int st)
{
    static char buf[64];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(st));
    else if (WIFSTOPPED(st))
        snprintf(buf, sizeof buf, "stopped by signal %d", WSTOPSIG(st));
    else
        snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}
#endif
