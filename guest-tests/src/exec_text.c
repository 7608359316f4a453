/*
 * exec_text: a program's text belongs to its process. Under nommu an
 * image's read-only pages are a private mapping of the exec image cache (docs/architecture.md, "Exec without copying");
 * this checks what that must keep:
 * - the program first re-executes itself, so that (under nommu) the run
 *   being checked comes from the image cache;
 * - it makes a text page writable and patches a function in it; the
 *   patched code runs; a child spawned from the same program sees the
 *   original code (the patch is this process's alone);
 * - mode "dontneed": MADV_DONTNEED on that text page gives back the
 *   program file's code, as for any private file mapping (nommu without
 *   exec_map has anonymous copies there, which read back zero: that mode
 *   is not checked with NOMMU_EXEC_MAP=0).
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Alone on its page, so the page can be patched and dropped while the
 * rest of the program runs. */
__attribute__((noinline, aligned(4096), section(".text.exec_text_f"))) int f(void) { return 1; }
__attribute__((noinline, used, aligned(4096), section(".text.exec_text_f"))) int after_f(void) { return 2; }
int (*volatile fp)(void) = f;

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "plain";
    if (argc < 3) {
        char *av[] = {argv[0], (char *)mode, "again", 0};
        execve("/proc/self/exe", av, environ);
        perror("execve");
        return 1;
    }
    if (!strcmp(argv[2], "child")) {
        printf("child: f() = %d\n", fp());
        return 0;
    }
    uintptr_t page = (uintptr_t)fp & ~4095UL;
    printf("f() = %d\n", fp());
    if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)) {
        perror("mprotect");
        return 1;
    }
    static const unsigned char code[] = {0xb8, 42, 0, 0, 0, 0xc3}; /* mov eax, 42; ret */
    memcpy((void *)page, code, sizeof code);
    printf("patched: f() = %d\n", fp());
    fflush(stdout);
    pid_t pid;
    char *av[] = {argv[0], (char *)mode, "child", 0};
    if (posix_spawn(&pid, "/proc/self/exe", 0, 0, av, environ)) {
        perror("posix_spawn");
        return 1;
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
        printf("child failed: %#x\n", st);
        return 1;
    }
    printf("after the child: f() = %d\n", fp());
    if (!strcmp(mode, "dontneed")) {
        if (madvise((void *)page, 4096, MADV_DONTNEED)) {
            perror("madvise");
            return 1;
        }
        printf("after MADV_DONTNEED: f() = %d\n", fp());
    }
    return 0;
}
