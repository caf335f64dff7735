// Readiness support: sd_notify datagrams with their sender's credentials. CMSG_* are macros,
// so receiving SCM_CREDENTIALS lives here.
#ifndef SWINIT_CSYSTEM_NOTIFY_H
#define SWINIT_CSYSTEM_NOTIFY_H

#include <stdint.h>
#include <sys/types.h>

/// socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC), SO_PASSCRED on, bound to `path`
/// (an existing file there is removed first). -1 and errno on failure.
int cs_notify_socket(const char *path);

/// Receives one datagram (truncated to `capacity`). Returns its length, 0 with errno EAGAIN
/// when none is pending (-1 is returned for that case too, errno set), -1 on error. `*pid` is
/// the sender's pid from SCM_CREDENTIALS, or 0 when none was attached.
long cs_notify_receive(int fd, uint8_t *buffer, long capacity, int32_t *pid);

/// A non-blocking, close-on-exec TCP socket connecting to an IPv4 `address`:`port`. Returns
/// the fd, with *connected 1 when the connect finished at once, 0 when it is in progress.
/// -1 and errno on failure.
int cs_tcp_connect(const char *address, uint16_t port, int *connected);

/// pipe2(fds, flags): Glibc's Swift overlay hides it (it is a GNU extension).
int cs_pipe2(int fds[2], int flags);

/// getsockopt(SO_ERROR): the pending error of a connecting socket (0: connected).
int cs_socket_error(int fd);

#endif
