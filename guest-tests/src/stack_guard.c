/* Stack overflow (issue 7): unbounded recursion must end in SIGSEGV when it
 * reaches the guard below the stack, for a vfork child (the parent goes on
 * and sees the signal) and for the process itself. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

static int recurse(int depth) {
    volatile char frame[512];
    memset((char *)frame, depth, sizeof frame);
    return recurse(depth + 1) + frame[depth % sizeof frame];
}

int main(int argc, char **argv) {
    if (argc > 1) {
        /* exec'd child: overflow our own (main) stack */
        recurse(0);
        return 0;
    }
    self = "/proc/self/exe";
    int status = run_self_status("overflow");
    printf("child overflowing its stack: %s\n",
           WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? "killed by SIGSEGV" : "something else");
    fflush(stdout);
    /* now ourselves */
    recurse(0);
    return 0;
}
