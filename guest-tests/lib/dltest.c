/* A shared library for the dlopen tests (guest-tests/src/dlopen.c): its own
 * syscall instruction, its own data, a constructor. */
#include <sys/syscall.h>

static int counter;
static int constructed;

__attribute__((constructor)) static void init(void) {
    constructed = 1;
}

int dltest_constructed(void) {
    return constructed;
}

int dltest_increment(void) {
    return ++counter;
}

/* getpid with a `syscall` instruction inside the library, so that the
 * library's own code must reach the kernel. */
long dltest_getpid(void) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_getpid) : "rcx", "r11", "memory");
    return ret;
}
