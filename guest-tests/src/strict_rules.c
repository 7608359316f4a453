/* The memory rules a no-MMU kernel (mm/nommu.c) answers differently from
 * an MMU kernel, one line each: "rule: ok" or "rule: ERRNO" (or what was
 * seen). tests/strict.rs runs it natively, under nommu's permissive
 * profile and under --strict, and compares.
 *
 * strict_rules DISK_DIR MEMORY_DIR [mount] [frag]
 *   DISK_DIR    a directory on a disk file system
 *   MEMORY_DIR  a directory on a tmpfs ("mount": mount one there first)
 *   frag        also fill memory with pages and ask for two contiguous
 *               ones (only under nommu with a small --mem: it takes all
 *               the memory there is)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

#define PAGE 4096L

static const char *errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case ENOSYS: return "ENOSYS";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case EEXIST: return "EEXIST";
	default: return "other";
	}
}

static void report(const char *rule, long ret)
{
	if (ret < 0)
		printf("%s: %s\n", rule, errname(errno));
	else
		printf("%s: ok\n", rule);
	fflush(stdout);
}

static void *map(long len, int prot, int flags, int fd, long off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static long mapped(void *p)
{
	return p == MAP_FAILED ? -1 : 0;
}

static void *anon(long len)
{
	return map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* A file of `pages` pages in `dir`, open read-write. */
static int make_file(const char *dir, const char *name, int pages)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		printf("cannot create %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char page[PAGE];
	memset(page, 'x', sizeof page);
	for (int i = 0; i < pages; i++)
		if (write(fd, page, sizeof page) != sizeof page)
			exit(2);
	unlink(path);
	return fd;
}

static sigjmp_buf fault;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(fault, 1);
}

/* Can `p` be read? (A PROT_NONE page faults with an MMU.) */
static const char *readable(volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	sigaction(SIGSEGV, &sa, &old);
	const char *seen = "accessible";
	if (sigsetjmp(fault, 1))
		seen = "SIGSEGV";
	else
		(void)*p;
	sigaction(SIGSEGV, &old, NULL);
	return seen;
}

/* The main stack's range, from /proc/self/maps. */
static void stack_range(unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	*start = *end = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long a, b;
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &a, &b) == 2)
			*start = a, *end = b;
	}
	if (f)
		fclose(f);
}

/* Fills memory with single pages until none is left, frees the middle
 * two of every aligned group of four, and asks for two contiguous pages:
 * they exist, but none is naturally aligned (what a buddy allocator
 * needs). */
#define MAX_PAGES 65536
static char *pages[MAX_PAGES];

static void fragmented(void)
{
	int n = 0;
	while (n < MAX_PAGES) {
		void *p = anon(PAGE);
		if (p == MAP_FAILED)
			break;
		pages[n++] = p;
	}
	for (int i = 0; i < n; i++) {
		long index = (long)((uintptr_t)pages[i] / PAGE);
		if (index % 4 == 1 || index % 4 == 2)
			munmap(pages[i], PAGE);
	}
	report("fragmented_two_pages", mapped(anon(2 * PAGE)));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: strict_rules DISK_DIR MEMORY_DIR [mount] [frag]\n");
		return 2;
	}
	const char *disk = argv[1], *memory = argv[2];
	int frag = 0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "mount") && mount("none", memory, "tmpfs", 0, NULL)) {
			printf("cannot mount a tmpfs on %s: %s\n", memory, strerror(errno));
			return 2;
		}
		if (!strcmp(argv[i], "frag"))
			frag = 1;
	}

	/* mmap */
	char *a = anon(2 * PAGE);
	report("mmap_fixed", mapped(mmap(a, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	int disk_fd = make_file(disk, "strict-rules-disk", 2);
	report("mmap_shared_validate", mapped(map(PAGE, PROT_READ, MAP_SHARED_VALIDATE, disk_fd, 0)));
	report("mmap_shared_disk_write", mapped(map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, disk_fd, 0)));
	report("mmap_shared_disk_read", mapped(map(PAGE, PROT_READ, MAP_SHARED, disk_fd, 0)));
	char wpath[4096];
	snprintf(wpath, sizeof wpath, "%s/strict-rules-wronly", disk);
	int wronly = open(wpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	unlink(wpath);
	/* validate_mmap_request checks the descriptor's modes before anything. */
	report("mmap_shared_wronly", mapped(map(PAGE, PROT_READ, MAP_SHARED, wronly, 0)));
	report("mmap_private_disk", mapped(map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, disk_fd, 0)));
	int mem_fd = make_file(memory, "strict-rules-memory", 2);
	void *shared = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
	report("mmap_shared_tmpfs", mapped(shared));
	/* A read-only shared mapping is the file's pages: later writes show. */
	char *ro = map(PAGE, PROT_READ, MAP_SHARED, mem_fd, 0);
	report("mmap_shared_tmpfs_read", mapped(ro));
	if (ro != MAP_FAILED && pwrite(mem_fd, "y", 1, 0) == 1)
		printf("shared_read_sees_writes: %s\n", ro[0] == 'y' ? "yes" : "no");
	report("mmap_shared_tmpfs_past_eof", mapped(map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0)));
	int memfd = memfd_create("strict-rules", 0);
	if (memfd < 0 || ftruncate(memfd, PAGE))
		return 2;
	report("mmap_shared_memfd", mapped(map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)));
	char *none = map(PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report("mmap_prot_none", mapped(none));
	if (none != MAP_FAILED)
		printf("prot_none_read: %s\n", readable(none));

	/* the calls a no-MMU kernel does not have */
	report("mprotect", mprotect(a, PAGE, PROT_READ));
	mprotect(a, PAGE, PROT_READ | PROT_WRITE);
	report("madvise", madvise(a, PAGE, MADV_DONTNEED));
	report("msync", msync(a, PAGE, MS_SYNC));
	report("mlock", mlock(a, PAGE));
	report("munlock", munlock(a, PAGE));

	/* mremap */
	char *r = anon(PAGE);
	char *grown = mremap(r, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	report("mremap_grow", mapped(grown));
	char *s = anon(2 * PAGE);
	report("mremap_shrink", mapped(mremap(s, 2 * PAGE, PAGE, 0)));
	report("mremap_regrow", mapped(mremap(s, PAGE, 2 * PAGE, 0)));
	/* A live mapping as the target: never where `f` is. */
	char *target = anon(4 * PAGE);
	char *f = anon(PAGE);
	report("mremap_fixed", mapped(mremap(f, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target)));
	if (shared != MAP_FAILED)
		report("mremap_shared", mapped(mremap(shared, 2 * PAGE, PAGE, 0)));

	/* munmap */
	char *gone = anon(PAGE);
	munmap(gone, PAGE);
	report("munmap_nothing_mapped", munmap(gone, PAGE));
	char *copy = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, disk_fd, 0);
	report("munmap_file_part", munmap(copy, PAGE));
	char *three = anon(3 * PAGE);
	report("munmap_anon_middle", munmap(three + PAGE, PAGE));

	/* brk: fs/binfmt_elf_fdpic.c gives no room to grow */
	char *brk0 = sbrk(0);
	printf("brk_grow: %s\n", (char *)syscall(SYS_brk, brk0 + PAGE) == brk0 + PAGE ? "grew" : "stays");

	/* fork */
	long pid = syscall(SYS_fork);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	report("fork", pid);

	unsigned long stack_start, stack_end;
	stack_range(&stack_start, &stack_end);
	printf("stack_kib: %lu\n", (stack_end - stack_start) >> 10);
	printf("brk_at_stack_bottom: %s\n", (unsigned long)brk0 == stack_start ? "yes" : "no");
	fflush(stdout);
	if (frag)
		fragmented();
	return 0;
}
