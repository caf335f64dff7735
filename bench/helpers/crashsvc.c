// crashsvc FILE RUN_MS: append "start <ns>" to FILE, run RUN_MS milliseconds,
// append "crash <ns>" and exit 1 (CLOCK_MONOTONIC nanoseconds).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static void note(const char *file, const char *what) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s %lld\n", what, now_ns());
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) { if (write(fd, buf, (size_t)n) != n) {} close(fd); }
}
int main(int argc, char **argv) {
    if (argc < 3) return 64;
    note(argv[1], "start");
    long ms = atol(argv[2]);
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    note(argv[1], "crash");
    return 1;
}
