/* --isolate (issue 19): a vfork+exec child given its parent's heap
 * address touches it.
 *
 *   isolate_stray write    the child writes the parent's heap byte
 *   isolate_stray read     the child reads it
 *   isolate_stray free     the child reads memory its parent unmapped
 *                          (the last page of 16 MiB: nobody's since)
 *   isolate_stray syscall  the child passes it to write(2)
 *   isolate_stray vfork    a vfork child (before exec) writes it
 *   isolate_stray handled  the child writes it with a SIGSEGV handler,
 *                          which prints si_code and whether si_pkey is set
 *
 * The parent prints how the child ended and the byte afterwards. Without
 * an MMU (nommu's default) the child's write lands; under --isolate it is
 * a SIGSEGV and the syscall EFAULT, except before exec, where the child
 * runs on its parent's memory.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_segv(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)context;
    char line[80];
    /* si_pkey follows si_addr and si_addr_lsb (with its padding). */
    unsigned pkey = *(unsigned *)((char *)&info->si_addr + 16);
    int n = snprintf(line, sizeof line, "child: SIGSEGV code=%d pkey_set=%d\n", info->si_code, pkey != 0);
    write(1, line, n);
    _exit(0);
}

static int child(const char *mode, const char *hex)
{
    volatile char *p = (volatile char *)(unsigned long)strtoul(hex, NULL, 16);
    if (strcmp(mode, "handled") == 0) {
        struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
        sigaction(SIGSEGV, &sa, NULL);
        *p = 'B';
        printf("child: wrote\n");
    } else if (strcmp(mode, "write") == 0) {
        *p = 'B';
        printf("child: wrote\n");
    } else if (strcmp(mode, "read") == 0 || strcmp(mode, "free") == 0) {
        printf("child: read %c\n", *p);
    } else {
        ssize_t r = write(1, (const void *)p, 1);
        printf("\nchild: write=%ld errno=%s\n", (long)r, r < 0 ? strerror(errno) : "0");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child(argv[2], argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s write|read|free|syscall|vfork|handled\n", argv[0]);
        return 2;
    }
    char *byte = malloc(64);
    byte[0] = 'A';
    char hex[32];
    snprintf(hex, sizeof hex, "%lx", (unsigned long)byte);
    if (strcmp(argv[1], "free") == 0) {
        size_t len = 16 << 20;
        char *gone = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (gone == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        gone[len - 4096] = 'F';
        munmap(gone, len);
        snprintf(hex, sizeof hex, "%lx", (unsigned long)(gone + len - 4096));
    }
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        if (strcmp(argv[1], "vfork") == 0) {
            *(volatile char *)byte = 'C';
            _exit(0);
        }
        char *args[] = {argv[0], "child", argv[1], hex, NULL};
        execv(argv[0], args);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    if (WIFSIGNALED(status))
        printf("parent: child killed by signal %d\n", WTERMSIG(status));
    else
        printf("parent: child exited %d\n", WEXITSTATUS(status));
    printf("parent: byte %c\n", byte[0]);
    return 0;
}
