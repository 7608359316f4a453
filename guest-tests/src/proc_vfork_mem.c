/*
 * proc_vfork_mem: memory a vfork child maps belongs to the address space
 * it shares with its parent. It stays mapped, with its contents, after
 * the child execs or exits; the parent's later mappings do not land on
 * it and the parent can munmap it. This is what busybox hush on NOMMU
 * relies on: it mallocs in its vfork children (musl's malloc mmaps) and
 * the parent frees that memory later.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

static char *volatile child_map;
static void *volatile child_malloc;

static void test_child_mappings(void)
{
    static const char *how[] = { "exec", "_exit" };
    for (int k = 0; k < 2; k++) {
        char *argv[] = { (char *)self, "exit", NULL };
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            child_map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (child_map != MAP_FAILED)
                memset(child_map, 'A', 65536);
            child_malloc = malloc(300000);
            if (child_malloc)
                memset(child_malloc, 'M', 300000);
            if (k == 0)
                execv(self, argv);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        /* new mappings in the parent must not land on the child's */
        char *mine = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *mine2 = malloc(300000);
        if (mine != MAP_FAILED)
            memset(mine, 'B', 65536);
        if (mine2)
            memset(mine2, 'N', 300000);
        char what[128];
        snprintf(what, sizeof what, "vfork child's mmap survives its %s (not reused, contents kept)", how[k]);
        check(what, child_map != MAP_FAILED && mine != child_map && child_map[0] == 'A' && child_map[65535] == 'A');
        snprintf(what, sizeof what, "vfork child's malloc survives its %s (contents kept)", how[k]);
        check(what, child_malloc && ((char *)child_malloc)[0] == 'M' && ((char *)child_malloc)[299999] == 'M');
        snprintf(what, sizeof what, "parent can munmap the child's mapping after its %s", how[k]);
        check(what, munmap(child_map, 65536) == 0);
        free(child_malloc);
        free(mine2);
        munmap(mine, 65536);
    }
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc > 1)
        return 0;
    test_child_mappings();
    return finish();
}
