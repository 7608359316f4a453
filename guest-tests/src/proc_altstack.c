/*
 * proc_altstack: sigaltstack sizes as Linux takes them. Anything from
 * MINSIGSTKSZ (2048) up is accepted, whatever the CPU's frame size
 * (AT_MINSIGSTKSZ); smaller is ENOMEM; bad flags are EINVAL; changing it
 * while running on it is EPERM. A handler runs on an 8 KiB stack. A frame
 * that does not fit the stack it must go on (2048 bytes with a large
 * xsave image) is a SIGSEGV, checked in a child: the parent prints how the
 * child ended, which must be the same natively and under nommu.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_check.h"

static char stack8k[8192] __attribute__((aligned(16)));
static char stack2k[2048] __attribute__((aligned(16)));
static volatile uintptr_t handler_sp;
static volatile int handled;

static void show(const char *what, int r)
{
    if (r < 0)
        printf("%-44s = -1 %s\n", what, ename(errno));
    else
        printf("%-44s = %d\n", what, r);
}

static int set_stack(void *sp, size_t size, int flags)
{
    stack_t ss = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};
    return sigaltstack(&ss, NULL);
}

static void on_usr1(int sig)
{
    (void)sig;
    int local;
    handler_sp = (uintptr_t)&local;
    handled++;
    /* EPERM: changing the stack we are running on */
    show("sigaltstack while on it", set_stack(stack8k, sizeof stack8k, 0));
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("ss_flags in handler: %s\n", cur.ss_flags & SS_ONSTACK ? "SS_ONSTACK" : "0");
}

static void on_usr1_small(int sig)
{
    (void)sig;
    handled++;
}

/* The child: a 2048-byte stack; the handler runs there if the frame fits,
 * else the child dies of SIGSEGV (natively the same). */
static int small_stack_child(void)
{
    handle(SIGUSR1, on_usr1_small, SA_ONSTACK);
    set_stack(stack2k, sizeof stack2k, 0);
    raise(SIGUSR1);
    return handled == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "small") == 0)
        return small_stack_child();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    show("sigaltstack(2047 bytes)", set_stack(stack8k, 2047, 0));
    show("sigaltstack(0 bytes)", set_stack(stack8k, 0, 0));
    show("sigaltstack(2048 bytes)", set_stack(stack2k, 2048, 0));
    show("sigaltstack(8 KiB)", set_stack(stack8k, sizeof stack8k, 0));
    show("sigaltstack(bad flags 0x10)", set_stack(stack8k, sizeof stack8k, 0x10));
    show("sigaltstack(SS_ONSTACK flag)", set_stack(stack8k, sizeof stack8k, SS_ONSTACK));
    show("sigaltstack(SS_DISABLE, size 0)", set_stack(NULL, 0, SS_DISABLE));
    stack_t old;
    sigaltstack(NULL, &old);
    printf("after SS_DISABLE: flags %s\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other");

    set_stack(stack8k, sizeof stack8k, 0);
    raise(SIGUSR1);
    printf("handler ran on the 8 KiB stack: %s\n",
           handled == 1 && handler_sp >= (uintptr_t)stack8k && handler_sp < (uintptr_t)stack8k + sizeof stack8k
               ? "yes"
               : "no");

    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", "proc_altstack", "small", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("2048-byte stack: killed by %s\n", strsignal(WTERMSIG(status)));
    else
        printf("2048-byte stack: exited %d\n", WEXITSTATUS(status));
    printf("AT_MINSIGSTKSZ > 2048: %s\n", getauxval(AT_MINSIGSTKSZ) > 2048 ? "yes" : "no");
    return 0;
}
