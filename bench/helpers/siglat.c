// siglat: latency from kill(TARGET, SIGUSR1) until the receiver's handler runs.
//   siglat recv                        receiver: prints 'R', then for each SIGUSR1 writes the
//                                      CLOCK_MONOTONIC time (8 bytes) from inside the handler
//   siglat send N direct  -- CMD...    CMD must end up exec'ing `siglat recv`; signals go to
//   siglat send N init    -- CMD...    the receiver itself (direct) or to CMD's pid (init)
// The sender prints one latency in nanoseconds per line, then SIGTERMs the target.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_usr1(int s) {
    (void)s;
    int64_t t = now_ns();
    ssize_t r = write(1, &t, sizeof t);
    (void)r;
}

static int readn(int fd, void *buf, size_t n, int timeout_ms) {
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k <= 0) return -1;
        got += (size_t)k;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "recv") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        if (write(1, "R", 1) != 1) return 1;
        for (;;) pause();
    }
    if (argc < 6 || strcmp(argv[1], "send") != 0 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: siglat recv | siglat send N direct|init -- CMD...\n");
        return 64;
    }
    int n = atoi(argv[2]);
    int to_init = strcmp(argv[3], "init") == 0;
    int fds[2];
    if (pipe(fds) < 0) return 1;
    pid_t c = fork();
    if (c == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[5], argv + 5);
        _exit(127);
    }
    close(fds[1]);
    char r;
    if (readn(fds[0], &r, 1, 5000) < 0 || r != 'R') {
        fprintf(stderr, "siglat: receiver not ready\n");
        kill(c, SIGKILL);
        return 3;
    }
    (void)to_init;  // the target is the direct child either way: the receiver or the init
    usleep(20000);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        usleep(1000);
        int64_t t0 = now_ns(), t1;
        kill(c, SIGUSR1);
        if (readn(fds[0], &t1, sizeof t1, 2000) < 0) {
            fprintf(stderr, "siglat: no handler run within 2 s\n");
            failures++;
            break;
        }
        printf("%lld\n", (long long)(t1 - t0));
    }
    fflush(stdout);
    kill(c, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(c, NULL, WNOHANG) == c) return failures ? 2 : 0;
        usleep(10000);
    }
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    return failures ? 2 : 0;
}
