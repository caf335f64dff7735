// orphans: create orphans (double fork) and watch /proc until the init has reaped them.
//   orphans burst N           create N orphans that stay alive (blocked reading a pipe), then
//                             release them all at once: N processes exit together and the init
//                             must reap them; measures release -> nothing left but PID 1 and us
//   orphans stream RATE MS    RATE short-lived orphans per second for MS milliseconds
//   orphans own N             baseline: N children of our own (single fork), released together
//                             and reaped by us; the floor set by the kernel's exit work
// Meant to run as the main child of an init that is PID 1 of a fresh PID namespace with its
// own /proc (unshare --pid --fork --mount-proc), so every orphan is re-parented to the init.
// A monitor thread scans /proc continuously, counting processes in state Z (peak) and
// processes other than PID 1 and ourselves (to see when everything has been reaped).
// Prints one line of JSON on stdout. Exit 0 on success, 2 on timeout.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static atomic_int done;          // orphan creation finished
static atomic_int stop;          // monitor must stop
static long long t_start, t_done, t_clear = -1;
static int peak_z, last_z, scans;
static pid_t self;

static void scan(int *zombies, int *others) {
    int z = 0, o = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300], buf[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        pid_t p = (pid_t)atoi(e->d_name);
        if (p == 1 || p == self) continue;
        o++;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'Z') z++;
    }
    if (d) closedir(d);
    *zombies = z;
    *others = o;
}

static int count_others(void) {
    int o = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        pid_t p = (pid_t)atoi(e->d_name);
        if (p != 1 && p != self) o++;
    }
    if (d) closedir(d);
    return o;
}

static int pace_us;  // pause between scans (stream mode), 0 = scan continuously

static void *monitor(void *arg) {
    (void)arg;
    long long deadline = 0;
    unsigned it = 0;
    while (!atomic_load(&stop)) {
        int z = last_z, o;
        int was_done = atomic_load(&done);
        // A full scan (reads every /proc/N/stat) is slow with 10,000 entries; between full
        // scans only count entries, which is what decides when everything has been reaped.
        if (it++ % 4 == 0) scan(&z, &o); else o = count_others();
        if (pace_us) usleep(pace_us);
        scans++;
        if (z > peak_z) peak_z = z;
        last_z = z;
        if (was_done) {
            if (!deadline) deadline = now_ns() + 10000000000LL;
            if (o == 0) { t_clear = now_ns(); break; }
            if (now_ns() > deadline) break;
        }
    }
    return NULL;
}

static int create_live_orphans(long n, int *release_fd, int own) {
    int p[2];
    if (pipe(p) < 0) return -1;
    if (own) {
        for (long i = 0; i < n; i++) {
            pid_t g = fork();
            if (g == 0) {
                char c;
                close(p[1]);
                while (read(p[0], &c, 1) < 0) {}
                _exit(0);
            }
            if (g < 0) return -1;
        }
        close(p[0]);
        *release_fd = p[1];
        return 0;
    }
    long per = 100, made = 0;
    while (made < n) {
        long k = n - made < per ? n - made : per;
        pid_t m = fork();
        if (m < 0) { perror("fork"); return -1; }
        if (m == 0) {
            close(p[1]);
            for (long i = 0; i < k; i++) {
                pid_t g = fork();
                if (g == 0) {
                    char c;
                    while (read(p[0], &c, 1) < 0) {}
                    _exit(0);
                }
                if (g < 0) _exit(1);
            }
            _exit(0);
        }
        made += k;
    }
    close(p[0]);
    int status;
    while (wait(&status) > 0) {}
    *release_fd = p[1];
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: orphans burst N | stream RATE MS\n"); return 64; }
    self = getpid();
    signal(SIGCHLD, SIG_DFL);
    int stream = strcmp(argv[1], "stream") == 0;
    int own = strcmp(argv[1], "own") == 0;
    long n = atol(argv[2]);
    long ms = stream && argc > 3 ? atol(argv[3]) : 0;
    long total = stream ? n * ms / 1000 : n;
    pthread_t th;
    long made = 0;
    double create_ms = 0;
    if (!stream) {
        long long c0 = now_ns();
        int rel;
        if (create_live_orphans(n, &rel, own) < 0) return 1;
        create_ms = (now_ns() - c0) / 1e6;
        made = n;
        t_start = now_ns();
        pthread_create(&th, NULL, monitor, NULL);
        close(rel);  // every orphan reads EOF and exits now
        t_done = now_ns();
        atomic_store(&done, 1);
        if (own) while (wait(NULL) > 0) {}
    } else {
        pace_us = 500;
        t_start = now_ns();
        pthread_create(&th, NULL, monitor, NULL);
        for (long i = 0; i < total; i++) {
            long long due = t_start + (long long)(i * 1000000000LL / n);
            long long w = due - now_ns();
            if (w > 0) { struct timespec ts = { w / 1000000000LL, w % 1000000000LL }; nanosleep(&ts, NULL); }
            pid_t c = fork();
            if (c < 0) { perror("fork"); usleep(1000); continue; }
            if (c == 0) {
                if (fork() < 0) _exit(1);
                _exit(0);  // grandchild and middle child exit at once; grandchild -> orphan
            }
            while (waitpid(c, NULL, 0) < 0) {}
            made++;
        }
        t_done = now_ns();
        create_ms = (t_done - t_start) / 1e6;
        atomic_store(&done, 1);
    }
    pthread_join(th, NULL);
    printf("{\"mode\":\"%s\",\"orphans\":%ld,\"create_ms\":%.3f,\"reap_ms\":%.3f,"
           "\"peak_zombies\":%d,\"final_zombies\":%d,\"scans\":%d,\"cleared\":%s}\n",
           stream ? "stream" : own ? "own" : "burst", made, create_ms,
           t_clear > 0 ? (t_clear - t_start) / 1e6 : -1.0,
           peak_z, last_z, scans, t_clear > 0 ? "true" : "false");
    fflush(stdout);
    return t_clear > 0 ? 0 : 2;
}
