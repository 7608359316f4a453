/*
 * nullcall: calling a NULL function pointer must kill the process with
 * SIGSEGV (shell status 139), like on Linux.
 *
 * The pointer is read through a volatile object, so the compiler emits an
 * indirect call through a register (`call *%rax`, ff d0 -- the very
 * instruction nommu rewrites syscall sites to): under nommu this must not be
 * mistaken for a system call into the page-0 trampoline.
 */
#include <stdio.h>

typedef long (*fn_t)(void);
static fn_t volatile null_fn;   /* zero-initialised */

int main(void)
{
    printf("calling a NULL function pointer\n");
    fflush(stdout);
    long r = null_fn();
    printf("survived the NULL call?! (returned %ld)\n", r);
    return 1;
}
