/* Signal helpers the guest tests share: a handler installed with flags,
 * a set of one or two signals, a one-shot ITIMER_REAL. Included after the
 * program's includes (fs_check.h and ipc_check.h include it). */
#ifndef SIG_HELPERS_H
#define SIG_HELPERS_H

#include <signal.h>
#include <string.h>
#include <sys/time.h>

/* Installs `fn` for `sig` with `flags`, nothing masked beyond the signal
 * itself; sigaction's answer. */
__attribute__((unused)) static int handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

/* The set of signals a and b (0: none). */
__attribute__((unused)) static sigset_t set_of(int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    return s;
}

/* SIGALRM in ms milliseconds, once (ITIMER_REAL). */
__attribute__((unused)) static void alarm_in_ms(long ms)
{
    struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

#endif
