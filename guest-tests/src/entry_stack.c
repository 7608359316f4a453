/* The way back from a syscall (docs/architecture.md, "The entry path"):
 * nommu re-enters the guest by a `ret` through the stack slot that the
 * rewritten `call *%rax` wrote at rsp-8, writing the return address back
 * there first. A syscall can take that slot away: here a syscall made with
 * rsp at the start of a page protects the page below it (PROT_NONE), and
 * then unmaps it. The program goes on as natively: each syscall returns 0
 * and nothing faults, since a native syscall returns without touching the
 * stack. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* long syscall_on_stack(void *rsp, long nr, void *a, long b): syscall `nr`
 * with arguments (a, b, 0), issued with rsp set to `rsp`. */
long syscall_on_stack(void *rsp, long nr, void *a, long b);
__asm__(".text\n"
        ".globl syscall_on_stack\n"
        "syscall_on_stack:\n"
        "    mov %rsp, %r8\n"
        "    mov %rdi, %rsp\n"
        "    mov %rsi, %rax\n"
        "    mov %rdx, %rdi\n"
        "    mov %rcx, %rsi\n"
        "    xor %edx, %edx\n"
        "    syscall\n"
        "    mov %r8, %rsp\n"
        "    ret\n");

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    int failures = 0;
    for (int i = 0; i < 3; i++) {
        char *m = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 2;
        m[0] = m[page] = 1;
        long r = syscall_on_stack(m + page, 10 /* mprotect */, m, page);
        printf("round %d: mprotect(PROT_NONE) of the page below rsp: %ld\n", i, r);
        failures += r != 0;
        r = syscall_on_stack(m + page, 11 /* munmap */, m, page);
        printf("round %d: munmap of the page below rsp: %ld\n", i, r);
        failures += r != 0;
        printf("round %d: the page above is still there: %s\n", i, m[page] == 1 ? "yes" : "no");
        failures += m[page] != 1;
        munmap(m + page, page);
    }
    return failures != 0;
}
