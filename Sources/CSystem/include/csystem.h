// CSystem: the few things Swift cannot express on Linux — variadic calls (prctl, syscall,
// ioctl), function-like macros (WIFEXITED…), packed kernel structs (epoll_event,
// signalfd_siginfo) — and the whole fork-to-exec child, which must run no Swift code.
#ifndef SWINIT_CSYSTEM_H
#define SWINIT_CSYSTEM_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <signal.h>

// MARK: Process attributes

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphans below us are re-parented to us (Linux 3.4).
int cs_set_child_subreaper(void);
/// prctl(PR_SET_PDEATHSIG, sig): receive `sig` when the parent dies.
int cs_set_parent_death_signal(int sig);

// MARK: pidfd (Linux 5.3 for pidfd_open, 5.1 for pidfd_send_signal)

/// pidfd_open(pid, 0), with O_CLOEXEC set by the kernel. -1 and errno on failure.
int cs_pidfd_open(pid_t pid);
/// pidfd_send_signal(fd, sig, NULL, 0).
int cs_pidfd_send_signal(int pidfd, int sig);

// MARK: Wait status macros

int cs_wifexited(int status);
int cs_wexitstatus(int status);
int cs_wifsignaled(int status);
int cs_wtermsig(int status);
int cs_wifstopped(int status);
int cs_wstopsig(int status);
int cs_wcoredump(int status);

// MARK: Signals

/// The set of every signal except the ones the kernel raises for faults (SIGSEGV, SIGBUS,
/// SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS): blocking those would turn a crash into a hang.
void cs_blockable_signals(sigset_t *set);
/// signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC).
int cs_signalfd(const sigset_t *set);
/// Reads one signalfd_siginfo. Returns 1 with the fields filled, 0 when none is pending
/// (EAGAIN), -1 and errno on error.
int cs_signalfd_read(int fd, int *signo, int32_t *sender_pid, int32_t *code);
/// One signal as read from a signalfd.
typedef struct { int32_t signo; int32_t sender_pid; int32_t code; } cs_signal_info;
/// Reads up to `max` (at most 32) pending signals with one read(): the count, 0 when none is
/// pending, -1 with errno on an error. Fewer than `max` means the queue is empty now.
int cs_signalfd_read_many(int fd, cs_signal_info *out, int max);
/// The highest signal number plus one (_NSIG).
int cs_signal_limit(void);

// MARK: epoll (epoll_event is packed on x86-64, so Swift gets a wrapper)

int cs_epoll_create(void);
int cs_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int cs_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
int cs_epoll_remove(int epfd, int fd);
/// Waits at most `timeout_ms` (-1: forever). Fills `tokens` and `events`; returns the count,
/// 0 on timeout, -1 and errno on error (EINTR included: the caller decides).
int cs_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);
uint32_t cs_epollin(void);
uint32_t cs_epollout(void);
uint32_t cs_epollhup(void);
uint32_t cs_epollerr(void);

// MARK: Terminals

/// ioctl(fd, TIOCSCTTY, 0): make `fd` the controlling terminal of a new session leader.
int cs_tty_make_controlling(int fd);

// MARK: Spawning

/// Where the child failed, reported to the parent with the errno.
enum cs_spawn_stage {
    CS_STAGE_NONE = 0,
    CS_STAGE_SESSION = 1,     // setsid / setpgid
    CS_STAGE_FDS = 2,         // dup2 of stdin/stdout/stderr/extra descriptors
    CS_STAGE_RLIMIT = 3,
    CS_STAGE_AFFINITY = 4,
    CS_STAGE_GROUPS = 5,      // setgroups
    CS_STAGE_GID = 6,
    CS_STAGE_UID = 7,
    CS_STAGE_CHDIR = 8,
    CS_STAGE_NO_NEW_PRIVS = 9,
    CS_STAGE_EXEC = 10,
    CS_STAGE_FORK = 11,
    CS_STAGE_SIGNALS = 12,
};

/// The most descriptor pairs a spawn can move (socket activation's LISTEN_FDS included).
#define CS_MAX_FD_MAP 256

/// Everything the child needs, prepared by the parent: no allocation happens after fork.
struct cs_spawn_attr {
    const char *path;            // absolute or relative path to execve
    char *const *argv;           // NULL-terminated
    char *const *envp;           // NULL-terminated
    const char *workdir;         // NULL: inherit
    int new_session;             // setsid() instead of setpgid(0, 0)
    int new_process_group;       // setpgid(0, 0) (ignored when new_session)
    int foreground_tty;          // fd of a terminal to hand the foreground to, or -1
    const int *fd_map;           // pairs (source, target): dup2(source, target); source -1 opens /dev/null
    int fd_map_count;            // number of pairs
    int set_umask;
    mode_t umask;
    const int *rlimit_resources; // RLIMIT_* values
    const struct rlimit *rlimits;
    int rlimit_count;
    const int *cpus;             // CPU numbers for sched_setaffinity
    int cpu_count;
    int set_ids;                 // setgroups, setgid, setuid in that order
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
    int no_new_privs;
    int parent_death_signal;     // 0: none
    char *listen_pid_entry;      // "LISTEN_PID=" with room for 10 digits, rewritten to the child's pid; or NULL
};

/// close_range(first, ~0U, 0), or a bounded loop on kernels before 5.9.
void cs_close_from(int first);

/// Forks; the child sets itself up from `attr` and execs. Returns the child's pid, or -1 with
/// `*stage` and `*error` saying which step failed (an exec failure is reported through a
/// CLOEXEC pipe, and the child is reaped here: it never existed as far as callers know).
pid_t cs_spawn(const struct cs_spawn_attr *attr, int *stage, int *error);

#endif
