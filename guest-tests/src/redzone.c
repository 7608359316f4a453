/* The red zone (issue 7, docs/architecture.md, invariant 5): a leaf function keeps
 * data below rsp across a `syscall`. Rewritten into `call *%rax`, the call
 * would push its return address over rsp-8; such a site must be left to
 * the trap path. */
#include <stdio.h>
#include <unistd.h>

/* long rz_getpid(long a, long b, int *intact): getpid with a and b kept at
 * rsp-8 and rsp-16 across the syscall; *intact says whether both survived. */
long rz_getpid(long a, long b, int *intact);
__asm__(".text\n"
        ".globl rz_getpid\n"
        "rz_getpid:\n"
        "    mov %rdi, -8(%rsp)\n"
        "    mov %rsi, -16(%rsp)\n"
        "    mov $39, %eax\n"
        "    syscall\n"
        "    xor %ecx, %ecx\n"
        "    cmp %rdi, -8(%rsp)\n"
        "    jne 1f\n"
        "    cmp %rsi, -16(%rsp)\n"
        "    jne 1f\n"
        "    mov $1, %ecx\n"
        "1:  mov %ecx, (%rdx)\n"
        "    ret\n");

/* The same with the data written only after the syscall is issued and read
 * back after: rsp-8 is clobbered only if the call's push lands there while
 * the value is live, so this variant stores before and checks after. */
long rz_after(long a, int *intact);
__asm__(".text\n"
        ".globl rz_after\n"
        "rz_after:\n"
        "    mov %rdi, -24(%rsp)\n"
        "    mov %rdi, -8(%rsp)\n"
        "    mov $186, %eax\n"
        "    syscall\n"
        "    mov -8(%rsp), %rcx\n"
        "    cmp -24(%rsp), %rcx\n"
        "    sete %cl\n"
        "    movzbl %cl, %ecx\n"
        "    mov %ecx, (%rsi)\n"
        "    ret\n");

int main(void) {
    int failures = 0;
    for (int i = 0; i < 3; i++) {
        int intact = 0;
        long pid = rz_getpid(0x1111222233334444, 0x5555666677778888, &intact);
        printf("call %d: pid matches %s, red zone %s\n", i, pid == getpid() ? "yes" : "no",
               intact ? "intact" : "CLOBBERED");
        failures += pid != getpid() || !intact;
        intact = 0;
        rz_after(0x0123456789abcdef, &intact);
        printf("call %d: red zone after the syscall %s\n", i, intact ? "intact" : "CLOBBERED");
        failures += !intact;
    }
    return failures != 0;
}
