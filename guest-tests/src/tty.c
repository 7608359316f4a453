/* The terminal: isatty is true on a terminal and false on a pipe or file,
 * termios and window-size ioctls work on a terminal and fail with ENOTTY
 * elsewhere. Run it on a pty (tests/tty.rs) and on pipes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e)
{
    return e == ENOTTY ? "ENOTTY" : e == EBADF ? "EBADF" : e == 0 ? "0" : "other";
}

int main(void)
{
    for (int fd = 0; fd < 3; fd++)
        printf("isatty(%d) = %d\n", fd, isatty(fd));
    struct termios t;
    int r = tcgetattr(0, &t);
    printf("tcgetattr(0) = %d %s\n", r, r ? ename(errno) : "");
    if (r == 0) {
        struct termios u = t;
        u.c_lflag &= ~ECHO;
        printf("tcsetattr(-ECHO) = %d\n", tcsetattr(0, TCSANOW, &u));
        struct termios v;
        tcgetattr(0, &v);
        printf("ECHO now off: %s\n", (v.c_lflag & ECHO) ? "no" : "yes");
        printf("tcsetattr(restore) = %d\n", tcsetattr(0, TCSADRAIN, &t));
        struct winsize ws;
        printf("TIOCGWINSZ = %d\n", ioctl(0, TIOCGWINSZ, &ws));
        struct winsize set = { .ws_row = 33, .ws_col = 101 };
        printf("TIOCSWINSZ = %d\n", ioctl(0, TIOCSWINSZ, &set));
        ioctl(0, TIOCGWINSZ, &ws);
        printf("size now %dx%d\n", ws.ws_row, ws.ws_col);
        pid_t pg = -1;
        printf("TIOCGPGRP = %d, pgrp > 0: %s\n", ioctl(0, TIOCGPGRP, &pg), pg > 0 ? "yes" : "no");
        int n = -1;
        printf("FIONREAD = %d, n >= 0: %s\n", ioctl(0, FIONREAD, &n), n >= 0 ? "yes" : "no");
    }
    int fds[2];
    pipe(fds);
    errno = 0;
    printf("isatty(pipe) = %d %s\n", isatty(fds[0]), ename(errno));
    struct winsize ws;
    r = ioctl(fds[0], TIOCGWINSZ, &ws);
    printf("TIOCGWINSZ(pipe) = %d %s\n", r, r ? ename(errno) : "");
    r = ioctl(fds[0], TIOCGPGRP, &r);
    printf("TIOCGPGRP(pipe) = %d %s\n", r, r ? ename(errno) : "");
    return 0;
}
