/*
 * trace_enosys: calls that nommu may not implement (a socket) and numbers
 * Linux has no syscall for. Prints nothing of their results: the tests
 * look at what --trace, --summary and --report say, and at the guest's
 * stderr, which must stay the guest's own.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd >= 0)
        close(fd);
    syscall(500, 1, 2, 3, 4, 5, 6);
    syscall(1000, 7);
    write(1, "done\n", 5);
    return 0;
}
