/*
 * Single-steps a program under ptrace and writes, in the order they are
 * first executed, the addresses of the instructions it runs in
 * [lo, hi): what `tools/startup-order/update` turns into the order of
 * nommu's start-up functions (tools/startup-order.ld).
 *
 *   trace OUT LO HI PROGRAM [ARG...]      (LO, HI in hex)
 *
 * One thread only: nommu runs a guest without threads of its own, and a
 * vfork child on its parent's thread. The program's own output goes where
 * the caller sends it; signals it gets are passed on.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: trace OUT LO HI PROGRAM [ARG...]\n");
        return 2;
    }
    unsigned long lo = strtoul(argv[2], 0, 16), hi = strtoul(argv[3], 0, 16);
    if (hi <= lo || hi - lo > (1ul << 30)) {
        fprintf(stderr, "trace: bad range\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    unsigned char *seen = calloc(hi - lo, 1);
    if (!out || !seen) {
        perror("trace");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execv(argv[4], argv + 4);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC);
    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0); /* the exec */
    long steps = 0, distinct = 0;
    int pass = 0;
    while (ptrace(PTRACE_SINGLESTEP, pid, 0, pass) == 0 && waitpid(pid, &status, 0) == pid) {
        if (!WIFSTOPPED(status))
            break;
        pass = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0)
            break;
        steps++;
        if (regs.rip >= lo && regs.rip < hi && !seen[regs.rip - lo]) {
            seen[regs.rip - lo] = 1;
            distinct++;
            fprintf(out, "%llx\n", regs.rip);
        }
    }
    fprintf(stderr, "trace: %ld instructions, %ld distinct in range\n", steps, distinct);
    return fclose(out) != 0;
}
