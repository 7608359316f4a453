/*
 * syslog_errs: syslog(2)'s argument checks, which hold natively and under
 * nommu alike (the log's contents and sizes differ, so only errors and
 * calls that return 0 are printed). Nothing here changes the host's log
 * or console level: SYSLOG_ACTION_CONSOLE_LEVEL only with invalid levels.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>

static void try(const char *what, int type, char *buf, int len)
{
    errno = 0;
    int r = klogctl(type, buf, len);
    printf("%-28s %d %s\n", what, r < 0 ? -1 : r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    char buf[64];
    try("type -1", -1, buf, sizeof buf);
    try("type 11", 11, buf, sizeof buf);
    try("READ NULL", 2, NULL, 10);
    try("READ NULL len 0", 2, NULL, 0);
    try("READ len -1", 2, buf, -1);
    try("READ len 0", 2, buf, 0);
    try("READ_ALL NULL", 3, NULL, 10);
    try("READ_ALL len -1", 3, buf, -1);
    try("READ_ALL len 0", 3, buf, 0);
    try("READ_CLEAR NULL", 4, NULL, 10);
    try("CONSOLE_LEVEL 0", 8, NULL, 0);
    try("CONSOLE_LEVEL 9", 8, NULL, 9);
    try("CLOSE", 0, NULL, 0);
    try("OPEN", 1, NULL, 0);
    printf("SIZE_BUFFER > 0: %d\n", klogctl(10, NULL, 0) > 0);
    return 0;
}
