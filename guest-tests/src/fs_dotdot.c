/* Paths with ".." in them while the host's mounts change: a lookup that
 * climbs with ".." must never fail because some other process (anywhere
 * on the host) mounted or unmounted something meanwhile. A Linux open,
 * stat or access of such a path does not fail with EAGAIN; nommu looks
 * paths up with openat2's RESOLVE_IN_ROOT / RESOLVE_BENEATH, where the
 * host kernel returns EAGAIN when a mount or rename raced with a "..",
 * and must retry. The test (tests/files.rs) churns mounts in another
 * mount namespace while this runs. Usage: fs_dotdot [rounds]. Runs in an
 * empty working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kind {
    const char *what;
    long failures;
    int first_errno;
};

static void note(struct kind *k, int ok)
{
    if (!ok) {
        if (!k->failures++)
            k->first_errno = errno;
    }
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    char top[PATH_MAX], abs[2 * PATH_MAX];
    if (!getcwd(top, sizeof top) || mkdir("d", 0755) || mkdir("d/e", 0755)) {
        perror("setup");
        return 1;
    }
    int fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1 || close(fd)) {
        perror("setup f");
        return 1;
    }
    snprintf(abs, sizeof abs, "%s/d/e/../../f", top);
    int dirfd = open("d/e", O_RDONLY | O_DIRECTORY);
    if (dirfd < 0) {
        perror("open d/e");
        return 1;
    }
    struct kind kinds[] = {
        {"open d/../f"}, {"open absolute d/e/../../f"}, {"stat d/e/.."},
        {"access d/../d/e/../../f"}, {"openat d/e ../../f"},
    };
    struct stat st;
    for (long i = 0; i < rounds; i++) {
        fd = open("d/../f", O_RDONLY);
        note(&kinds[0], fd >= 0 && close(fd) == 0);
        fd = open(abs, O_RDONLY);
        note(&kinds[1], fd >= 0 && close(fd) == 0);
        note(&kinds[2], stat("d/e/..", &st) == 0 && S_ISDIR(st.st_mode));
        note(&kinds[3], access("d/../d/e/../../f", R_OK) == 0);
        fd = openat(dirfd, "../../f", O_RDONLY);
        note(&kinds[4], fd >= 0 && close(fd) == 0);
    }
    int bad = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (kinds[k].failures) {
            bad = 1;
            printf("%s: %ld of %ld failed, first with %s\n", kinds[k].what, kinds[k].failures, rounds,
                   strerror(kinds[k].first_errno));
        } else {
            printf("%s: all %ld succeeded\n", kinds[k].what, rounds);
        }
    }
    return bad;
}
