/*
 * hello: process start-up state.
 *
 * Prints "hello, world", argc and every argv[i], every environment variable
 * whose name starts with NOMMU_TEST_ (sorted), then deterministic facts from
 * the auxiliary vector (values that are the same natively and under nommu on
 * this machine; addresses are only checked, never printed).
 * Exit status = argc (so "hello a b" exits 3).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern const Elf64_Ehdr __ehdr_start;   /* linker-defined: our own ELF header */
extern char _start[];                    /* the entry point of the image */

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *str_or_null(unsigned long v)
{
    return v ? (const char *)v : "(null)";
}

int main(int argc, char **argv)
{
    printf("hello, world\n");

    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", yesno(argv[argc] == NULL));

    /* NOMMU_TEST_* environment variables, sorted. */
    size_t n = 0, cap = 0;
    char **vars = NULL;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "NOMMU_TEST_", 11) != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            vars = realloc(vars, cap * sizeof *vars);
            if (!vars)
                return 100;
        }
        vars[n++] = *e;
    }
    qsort(vars, n, sizeof *vars, cmp_str);
    for (size_t i = 0; i < n; i++)
        printf("env %s\n", vars[i]);
    free(vars);

    /* Auxiliary vector. */
    unsigned long phdr = getauxval(AT_PHDR);
    unsigned long entry = getauxval(AT_ENTRY);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    /* uid/gid differ between a native run as a user and nommu (uid 0):
       check only that the auxv agrees with the syscalls. */
    printf("AT_UID matches getuid: %s\n", yesno(getauxval(AT_UID) == getuid()));
    printf("AT_EUID matches geteuid: %s\n", yesno(getauxval(AT_EUID) == geteuid()));
    printf("AT_GID matches getgid: %s\n", yesno(getauxval(AT_GID) == getgid()));
    printf("AT_EGID matches getegid: %s\n", yesno(getauxval(AT_EGID) == getegid()));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_PHNUM=%lu\n", getauxval(AT_PHNUM));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    /* 0 for a static program; a dynamic one's interpreter is loaded there. */
    unsigned long base = getauxval(AT_BASE);
    if (base == 0)
        printf("AT_BASE=0\n");
    else
        printf("AT_BASE is the interpreter's ELF header: %s\n", yesno(memcmp((void *)base, "\177ELF", 4) == 0));
    printf("AT_PLATFORM=%s\n", str_or_null(getauxval(AT_PLATFORM)));
    printf("AT_EXECFN=%s\n", str_or_null(getauxval(AT_EXECFN)));

    int rnd_nonzero = 0;
    if (rnd)
        for (int i = 0; i < 16; i++)
            rnd_nonzero |= rnd[i];
    printf("AT_RANDOM nonzero: %s\n", yesno(rnd_nonzero != 0));

    /* AT_PHDR must be the run-time address of our own program header table:
       ELF header (wherever it was loaded) + e_phoff. */
    unsigned long want_phdr = (unsigned long)&__ehdr_start + __ehdr_start.e_phoff;
    printf("AT_PHDR inside image: %s\n", yesno(phdr != 0 && phdr == want_phdr));
    printf("AT_PHNUM matches ELF header: %s\n",
           yesno(getauxval(AT_PHNUM) == __ehdr_start.e_phnum));
    /* If there is a PT_PHDR entry, its relocated address is AT_PHDR too. */
    int pt_phdr_ok = 1;
    if (phdr) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)phdr;
        for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++)
            if (ph[i].p_type == PT_PHDR &&
                (unsigned long)&__ehdr_start + ph[i].p_vaddr != phdr)
                pt_phdr_ok = 0;
    }
    printf("PT_PHDR consistent: %s\n", yesno(pt_phdr_ok));
    printf("AT_ENTRY is _start: %s\n", yesno(entry == (unsigned long)_start));

    printf("AT_HWCAP2 FSGSBASE: %s\n", yesno(getauxval(AT_HWCAP2) & 2));

    fflush(stdout);
    return argc;
}
