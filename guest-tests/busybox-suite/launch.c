/*
 * launch: the "$bindir/busybox" of the nommu side of run.sh.
 *
 * busybox's testsuite/runtest links every applet name to "$bindir/busybox"
 * and runs the tests with those links first in PATH. The same path is
 * executed from two places:
 *
 *   - by the test harness on the host (dash running *.tests): there it
 *     must start the applet inside nommu;
 *   - by an applet inside nommu (xargs, find -exec, env, hush, awk's
 *     system(), `$(which busybox)`, "$THIS_SH" in hush_test ...): there
 *     it must simply be busybox. A shell-script wrapper cannot be this
 *     (its interpreter, the host /bin/sh, is dynamically linked and nommu
 *     refuses it); a static-pie binary runs in both worlds.
 *
 * So this static-pie program looks where it runs. Inside nommu
 * (/proc/version says "no-MMU") it execs busybox with its own argv, so
 * busybox picks the applet from argv[0] as with a plain symlink. On the
 * host it runs
 *
 *     nommu run [--mem M] --argv0 ARGV0 REAL/<applet> ARGS...
 *
 * (with -DARGV0_OPTION, for a nommu that has --argv0), else
 *
 *     nommu run [--mem M] /proc/self/exe ARGS...
 *
 * passing its argv[0] in LAUNCH_ARGV0 (nommu sets argv[0] to the program
 * path); the copy inside nommu restores argv[0], drops the variable and
 * execs the applet: one exec more per applet process (~0.11 ms of CPU)
 * than natively. Either runs under a timeout of this program's own that
 * does what `timeout --foreground -k 5 TMO` did (run_with_timeout):
 * exec'ing coreutils' timeout (dynamically linked, then a fork) cost
 * ~0.45 ms of CPU per applet process, which the native side does not pay.
 * With -DLINKS=DIR (a directory of applet links to this program) the
 * guest's PATH starts with DIR. With -DREPORT_DIR=DIR each nommu run
 * writes --report=DIR/<time>.<pid>.json. With -DREAL=DIR (applet name ->
 * busybox symlinks) the applet runs as DIR/<applet> (so comm is the
 * applet's name), and the guest's THIS_SH (hush_test) is DIR/hush.
 *
 * Build (run.sh does it): gcc -specs=../musl-static-pie.specs -static-pie
 *   -DBUSYBOX='"..."' -DNOMMU='"..."' -DTMO='"180"'
 *   [-DMEM='"256M"'] [-DLINKS='"DIR"'] [-DREPORT_DIR='"DIR"'] [-DREAL='"DIR"']
 *   [-DARGV0_OPTION] -o launch launch.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int inside_nommu(void)
{
	char buf[512];
	int fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, "no-MMU") != NULL || strstr(buf, "(nommu ") != NULL;
}

/* The signals `timeout --foreground` passes on to the command it watches
 * (coreutils' timeout: cleanup() for these, SIGALRM being its own timer). */
static const int forwarded[] = { SIGINT, SIGQUIT, SIGHUP, SIGTERM };

/* Run argv (nommu) as `timeout --foreground -k KILL_AFTER TMO argv...`
 * would: the same process tree (this process, the pid the test harness
 * knows, is the parent of nommu), the signals above forwarded, SIGTERM
 * after TMO seconds and SIGKILL KILL_AFTER seconds after the first
 * SIGTERM (timed out or forwarded), exit status 124 on a timeout (137 if
 * SIGKILL ended it), else nommu's; a nommu killed by a signal kills this
 * process with the same signal (core dumps off, as timeout does). The
 * child starts with the signal mask and dispositions this process had. */
static int run_with_timeout(char **argv, unsigned tmo, unsigned kill_after)
{
	sigset_t waited, old;
	sigemptyset(&waited);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&waited, forwarded[i]);
	sigaddset(&waited, SIGALRM);
	sigaddset(&waited, SIGCHLD);
	sigprocmask(SIG_BLOCK, &waited, &old);

	/* timeout ignores these (a background job must not stop on tty
	 * access) and gives the command the default back. */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	sigset_t dfl;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGTTIN);
	sigaddset(&dfl, SIGTTOU);

	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &old);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (err) {
		errno = err;
		fprintf(stderr, "launch: cannot run %s: %m\n", argv[0]);
		return 126;
	}

	int timed_out = 0, term = SIGTERM, status;
	alarm(tmo);
	for (;;) {
		int sig = sigwaitinfo(&waited, NULL);
		if (sig < 0)
			continue; /* EINTR: a stop/continue */
		if (sig == SIGCHLD) {
			pid_t r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			continue;
		}
		if (sig == SIGALRM) {
			timed_out = 1;
			sig = term;
		}
		if (kill_after) {
			term = SIGKILL;
			alarm(kill_after);
			kill_after = 0;
		}
		kill(pid, sig);
	}
	if (WIFEXITED(status))
		return timed_out ? 124 : WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	if (WCOREDUMP(status))
		fprintf(stderr, "launch: the monitored command dumped core\n");
	if (timed_out)
		return sig == SIGKILL ? 128 + SIGKILL : 124;
	if (prctl(PR_SET_DUMPABLE, 0) == 0) {
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
	}
	return 128 + sig;
}

/* The program that is the applet argv0 names: REAL/<applet> (a symlink to
 * busybox) rather than busybox itself, so that the process's comm is the
 * applet's name, as after a direct exec of an applet link; busybox for
 * `busybox...` and for what REAL lacks. `buf` holds the REAL path. */
static const char *applet_program(const char *argv0, char buf[PATH_MAX])
{
#ifdef REAL
	const char *name = strrchr(argv0, '/');
	name = name ? name + 1 : argv0;
	if (*name && strncmp(name, "busybox", 7) != 0) {
		snprintf(buf, PATH_MAX, "%s/%s", REAL, name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
#else
	(void)argv0;
	(void)buf;
#endif
	return BUSYBOX;
}

int main(int argc, char **argv)
{
	if (inside_nommu()) {
		const char *a0 = getenv("LAUNCH_ARGV0");
		if (a0) {
			argv[0] = strdup(a0);
			unsetenv("LAUNCH_ARGV0");
		}
		char real[PATH_MAX];
		const char *program = applet_program(argv[0], real);
		execv(program, argv);
		fprintf(stderr, "launch: cannot exec %s inside nommu: %m\n", program);
		return 127;
	}

#ifdef ARGV0_OPTION
	/* nommu runs the applet itself, with this argv[0]. */
	char real[PATH_MAX];
	const char *program = applet_program(argv[0], real);
#else
	/* nommu runs this program, which execs the applet inside. */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("launch: /proc/self/exe");
		return 126;
	}
	self[n] = 0;
	const char *program = self;
	setenv("LAUNCH_ARGV0", argv[0], 1);
#endif
#ifdef REAL
	/* hush_test: "$THIS_SH" names the shell under test; inside the guest
	 * that is busybox hush itself (a #!$THIS_SH script must get its own
	 * name as comm, not this launcher's second exec's). */
	if (getenv("THIS_SH"))
		setenv("THIS_SH", REAL "/hush", 1);
#endif
#ifdef LINKS
	/* The guest finds applets first in LINKS (-> this program) even where
	 * the harness's PATH does not have runtest's links dir (old-style
	 * tests: "busybox xargs md5sum" must not reach the host's md5sum). */
	const char *path = getenv("PATH");
	size_t ll = strlen(LINKS);
	if (!path || strncmp(path, LINKS ":", ll + 1) != 0) {
		char *np = malloc(ll + 2 + (path ? strlen(path) : 0));
		sprintf(np, "%s:%s", LINKS, path ? path : "/usr/bin:/bin");
		setenv("PATH", np, 1);
	}
#endif

	char **nargv = calloc(argc + 16, sizeof(char *));
	int i = 0;
	nargv[i++] = NOMMU;
	nargv[i++] = "run";
#ifdef MEM
	nargv[i++] = "--mem";
	nargv[i++] = MEM;
#endif
#ifdef REPORT_DIR
	/* One JSON report per nommu run (ENOSYS syscalls, no-MMU
	 * incompatibilities, how it ended): run.sh adds them up. */
	static char report[PATH_MAX + 64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(report, sizeof(report), "--report=%s/%ld.%09ld.%d.json", REPORT_DIR,
		 (long)ts.tv_sec, ts.tv_nsec, (int)getpid());
	nargv[i++] = report;
#endif
#ifdef ARGV0_OPTION
	nargv[i++] = "--argv0";
	nargv[i++] = argv[0];
#endif
	nargv[i++] = (char *)program;
	for (int j = 1; j < argc; j++)
		nargv[i++] = argv[j];
	nargv[i] = NULL;
	return run_with_timeout(nargv, (unsigned)atoi(TMO), 5);
}
