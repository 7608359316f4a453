/*
 * nullread: reading through a NULL pointer must kill the process with
 * SIGSEGV (shell status 139), like on Linux -- even though nommu maps a
 * trampoline at address 0 (it must be execute-only, not readable).
 */
#include <stdio.h>

static int *volatile null_ptr;   /* zero-initialised */

int main(void)
{
    printf("reading from a NULL pointer\n");
    fflush(stdout);
    int v = *null_ptr;
    printf("survived the NULL read?! (read %d)\n", v);
    return 1;
}
