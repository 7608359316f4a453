/* Checks shared by the fs_*.c guest tests: errno names, one line per
 * check, a failure count; and the signal helpers (sig_helpers.h).
 * Included once per program. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "sig_helpers.h"

static int failures;

static const char *ename(int e)
{
    switch (e) {
#define E_(x) case x: return #x;
    E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG)
    E_(ENOEXEC) E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES)
    E_(EFAULT) E_(ENOTBLK) E_(EBUSY) E_(EEXIST) E_(EXDEV) E_(ENODEV)
    E_(ENOTDIR) E_(EISDIR) E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY)
    E_(ETXTBSY) E_(EFBIG) E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK)
    E_(EPIPE) E_(EDOM) E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOLCK)
    E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP) E_(ENODATA) E_(EOVERFLOW)
    E_(EBADFD) E_(ENOTSOCK) E_(EOPNOTSUPP) E_(ENOTCONN) E_(ETIMEDOUT)
    E_(ESTALE) E_(EDQUOT) E_(ENOMEDIUM) E_(ECANCELED) E_(EMSGSIZE)
#undef E_
    case 0: return "0";
    }
    static char buf[32];
    snprintf(buf, sizeof buf, "errno#%d", e);
    return buf;
}

/* Prints "what = r", or "what = -1 ENAME" on failure, and counts a
 * failure unless r == want (and errno == want_errno when want is -1). */
__attribute__((unused)) static long check_ret(const char *what, long r, int e, long want, int want_errno)
{
    if (r == -1)
        printf("%s = -1 %s\n", what, ename(e));
    else
        printf("%s = %ld\n", what, r);
    if (r != want || (want == -1 && e != want_errno)) {
        if (want == -1)
            printf("FAIL %s: expected -1 %s\n", what, ename(want_errno));
        else
            printf("FAIL %s: expected %ld\n", what, want);
        failures++;
    }
    fflush(stdout);
    return r;
}

/* Like check_ret for values best read in octal (modes, umask). */
__attribute__((unused)) static long check_oct(const char *what, long r, long want)
{
    printf("%s = 0%lo\n", what, r);
    if (r != want) {
        printf("FAIL %s: expected 0%lo\n", what, want);
        failures++;
    }
    fflush(stdout);
    return r;
}
#define TOCT(expr, want) check_oct(#expr, (long)(expr), (want))

/* For calls that return a new fd (or any non-negative value whose exact
 * number is not part of the contract): prints "what = fd". */
__attribute__((unused)) static long check_fd(const char *what, long r, int e)
{
    if (r >= 0)
        printf("%s = fd\n", what);
    else {
        printf("%s = -1 %s\nFAIL %s: expected an fd\n", what, ename(e), what);
        failures++;
    }
    fflush(stdout);
    return r;
}

__attribute__((unused)) static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
    fflush(stdout);
}

#define T(expr, want, werr) \
    ({ errno = 0; long r_ = (long)(expr); int e_ = errno; check_ret(#expr, r_, e_, (want), (werr)); })
#define OK(expr) \
    ({ errno = 0; long r_ = (long)(expr); int e_ = errno; check_ret(#expr, r_, e_, 0, 0); })
#define ERR(expr, e) \
    ({ errno = 0; long r_ = (long)(expr); int e_ = errno; check_ret(#expr, r_, e_, -1, (e)); })
#define FD(expr) ({ errno = 0; long r_ = (long)(expr); int e_ = errno; check_fd(#expr, r_, e_); })

__attribute__((unused)) static int finish(const char *name)
{
    printf("%s: %s\n", name, failures ? "FAILED" : "all ok");
    fflush(stdout);
    return failures ? 1 : 0;
}
