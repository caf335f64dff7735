#define _GNU_SOURCE
#include "csystem.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int cs_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int cs_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int cs_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int cs_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int cs_wifexited(int status) { return WIFEXITED(status); }
int cs_wexitstatus(int status) { return WEXITSTATUS(status); }
int cs_wifsignaled(int status) { return WIFSIGNALED(status); }
int cs_wtermsig(int status) { return WTERMSIG(status); }
int cs_wifstopped(int status) { return WIFSTOPPED(status); }
int cs_wstopsig(int status) { return WSTOPSIG(status); }
int cs_wcoredump(int status) { return WCOREDUMP(status); }

void cs_blockable_signals(sigset_t *set) {
    sigfillset(set);
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(set, faults[i]);
}

int cs_signalfd(const sigset_t *set) { return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC); }

int cs_signalfd_read(int fd, int *signo, int32_t *sender_pid, int32_t *code) {
    struct signalfd_siginfo info;
    ssize_t n;
    do {
        n = read(fd, &info, sizeof info);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != (ssize_t)sizeof info) {
        errno = EIO;
        return -1;
    }
    *signo = (int)info.ssi_signo;
    *sender_pid = (int32_t)info.ssi_pid;
    *code = info.ssi_code;
    return 1;
}

int cs_signalfd_read_many(int fd, cs_signal_info *out, int max) {
    struct signalfd_siginfo info[32];
    if (max > 32) max = 32;
    if (max < 1) return 0;
    ssize_t n;
    do {
        n = read(fd, info, sizeof info[0] * (size_t)max);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n % (ssize_t)sizeof info[0] != 0) {
        errno = EIO;
        return -1;
    }
    int count = (int)(n / (ssize_t)sizeof info[0]);
    for (int i = 0; i < count; i++) {
        out[i].signo = (int32_t)info[i].ssi_signo;
        out[i].sender_pid = (int32_t)info[i].ssi_pid;
        out[i].code = info[i].ssi_code;
    }
    return count;
}

int cs_signal_limit(void) { return _NSIG; }

int cs_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int epoll_control(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

int cs_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    return epoll_control(epfd, EPOLL_CTL_ADD, fd, events, token);
}
int cs_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    return epoll_control(epfd, EPOLL_CTL_MOD, fd, events, token);
}
int cs_epoll_remove(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

int cs_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event ready[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, ready, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return n;
}

uint32_t cs_epollin(void) { return EPOLLIN; }
uint32_t cs_epollout(void) { return EPOLLOUT; }
uint32_t cs_epollhup(void) { return EPOLLHUP; }
uint32_t cs_epollerr(void) { return EPOLLERR; }

int cs_tty_make_controlling(int fd) { return ioctl(fd, TIOCSCTTY, 0); }

// MARK: The child between fork and exec.
// Only async-signal-safe calls from here to execve: the parent may have held a lock in
// malloc or stdio when it forked. Everything was prepared by the parent in `attr`.

// The child shares our memory (CLONE_VM) until it execs: it reports a failure by writing
// here, and the parent, resumed when the child execs or exits (CLONE_VFORK), reads it.
struct spawn_report {
    int stage;
    int error;
};

static void child_fail(struct spawn_report *report, int stage) {
    report->error = errno;
    report->stage = stage;
    _exit(127);
}

// Marks every descriptor from `first` up as close-on-exec (Linux 5.11 close_range), falling
// back to a bounded loop on older kernels.
static void mark_cloexec_from(int first) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    struct rlimit limit;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (long)limit.rlim_cur < max)
        max = (long)limit.rlim_cur;
    for (long fd = first; fd < max; fd++) {
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static void child_setup_and_exec(const struct cs_spawn_attr *a, struct spawn_report *report) {
    // The signal mask is still PID 1's (everything blocked), so the terminal calls below
    // cannot stop us with SIGTTOU.
    if (a->new_session) {
        if (setsid() < 0) child_fail(report, CS_STAGE_SESSION);
        if (a->foreground_tty >= 0) (void)cs_tty_make_controlling(a->foreground_tty);
    } else if (a->new_process_group) {
        if (setpgid(0, 0) < 0) child_fail(report, CS_STAGE_SESSION);
        if (a->foreground_tty >= 0) (void)tcsetpgrp(a->foreground_tty, getpid());
    }

    // Descriptors: move every source above the targets first (so a mapping never overwrites
    // another's source), mark the rest close-on-exec, then dup2 into place.
    int highest_target = 2;
    for (int i = 0; i < a->fd_map_count; i++)
        if (a->fd_map[2 * i + 1] > highest_target) highest_target = a->fd_map[2 * i + 1];
    // The parent refuses more than CS_MAX_FD_MAP pairs, so none is ever dropped here.
    int staged[CS_MAX_FD_MAP];
    int count = a->fd_map_count > CS_MAX_FD_MAP ? CS_MAX_FD_MAP : a->fd_map_count;
    for (int i = 0; i < count; i++) {
        int source = a->fd_map[2 * i];
        if (source < 0) {
            source = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (source < 0) child_fail(report, CS_STAGE_FDS);
        }
        staged[i] = fcntl(source, F_DUPFD_CLOEXEC, highest_target + 1);
        if (staged[i] < 0) child_fail(report, CS_STAGE_FDS);
    }
    mark_cloexec_from(3);
    for (int i = 0; i < count; i++)
        if (dup2(staged[i], a->fd_map[2 * i + 1]) < 0) child_fail(report, CS_STAGE_FDS);

    if (a->set_umask) umask(a->umask);
    for (int i = 0; i < a->rlimit_count; i++)
        if (setrlimit(a->rlimit_resources[i], &a->rlimits[i]) < 0)
            child_fail(report, CS_STAGE_RLIMIT);
    if (a->cpu_count > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int i = 0; i < a->cpu_count; i++)
            if (a->cpus[i] >= 0 && a->cpus[i] < CPU_SETSIZE) CPU_SET(a->cpus[i], &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) child_fail(report, CS_STAGE_AFFINITY);
    }
    if (a->set_ids) {
        // Raw syscalls: glibc's wrappers would try to reach the parent's other threads.
        if (syscall(SYS_setgroups, (size_t)a->group_count, a->groups) < 0) child_fail(report, CS_STAGE_GROUPS);
        if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0) child_fail(report, CS_STAGE_GID);
        if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0) child_fail(report, CS_STAGE_UID);
    }
    // After dropping privileges, so the directory is entered with the service's rights.
    if (a->workdir && chdir(a->workdir) < 0) child_fail(report, CS_STAGE_CHDIR);
    if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(report, CS_STAGE_NO_NEW_PRIVS);
    if (a->parent_death_signal > 0) (void)prctl(PR_SET_PDEATHSIG, a->parent_death_signal, 0, 0, 0);

    // Default dispositions (SIG_IGN would survive execve) and an empty mask last, so no
    // signal can interrupt the setup above. The raw syscall, not glibc's sigaction: glibc
    // refuses its reserved signals 32 and 33, which a parent may still have left ignored.
    // An all-zero kernel sigaction is SIG_DFL with no flags on every architecture.
    unsigned long kernel_default[4] = {0, 0, 0, 0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)syscall(SYS_rt_sigaction, sig, kernel_default, NULL, (size_t)8);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0) child_fail(report, CS_STAGE_SIGNALS);

    if (a->listen_pid_entry) {
        // Socket activation: LISTEN_PID must name the process that receives the descriptors.
        char digits[16];
        int n = 0;
        for (pid_t p = getpid(); p > 0 && n < 15; p /= 10) digits[n++] = (char)('0' + p % 10);
        char *out = a->listen_pid_entry + 11;  // after "LISTEN_PID="
        while (n > 0) *out++ = digits[--n];
        *out = '\0';
    }

    execve(a->path, a->argv, a->envp);
    child_fail(report, CS_STAGE_EXEC);
}

void cs_close_from(int first) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
    struct rlimit limit;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (long)limit.rlim_cur < max)
        max = (long)limit.rlim_cur;
    for (long fd = first; fd < max; fd++) close((int)fd);
}

struct child_arguments {
    const struct cs_spawn_attr *attr;
    struct spawn_report report;
};

static int child_main(void *argument) {
    struct child_arguments *args = argument;
    child_setup_and_exec(args->attr, &args->report);
    return 127;
}

// The child's stack: the parent is suspended while the child uses it (CLONE_VFORK), and PID 1
// is single-threaded, so one static stack serves every spawn.
static char child_stack[64 * 1024] __attribute__((aligned(64)));

pid_t cs_spawn(const struct cs_spawn_attr *attr, int *stage, int *error) {
    // clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does: no page tables to copy and no
    // copy-on-write faults in the child, whatever the parent's size.
    struct child_arguments args = {attr, {CS_STAGE_NONE, 0}};
    pid_t pid = clone(child_main, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (pid < 0) {
        *stage = CS_STAGE_FORK;
        *error = errno;
        return -1;
    }
    if (args.report.stage != CS_STAGE_NONE) {
        // The child failed before exec and has exited: collect it now so the pid never
        // reaches the main reaper as an unknown child.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        *stage = args.report.stage;
        *error = args.report.error;
        return -1;
    }
    *stage = CS_STAGE_NONE;
    *error = 0;
    return pid;
}
