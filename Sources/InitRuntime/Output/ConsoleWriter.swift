import CSystem
import Glibc
import InitCore

/// swinit's own stdout or stderr, written without ever blocking the loop.
///
/// Output is appended to a pending buffer and written when the descriptor takes it; on
/// EAGAIN the writer waits for EPOLLOUT (token `.console`). The router stops reading the
/// services' pipes while `hasRoom` is false, so a slow consumer slows the services down
/// (they block on their own writes) instead of growing memory or losing lines.
///
/// Why not just set O_NONBLOCK on fd 1/2: the flag belongs to the open file description,
/// which is shared with every process that inherited it — the `inherit`-mode children, and
/// whoever started swinit. A child that writes to a non-blocking stdout gets EAGAIN when the
/// reader is slow, and most programs treat that as a fatal error or lose the data. So the
/// writer gets its *own* description of the same pipe or terminal by opening
/// /proc/self/fd/N with O_NONBLOCK; a socket is written with send(MSG_DONTWAIT), which is
/// non-blocking per call; a regular file or /dev/null never blocks. Only when /proc is
/// missing is O_NONBLOCK set on the shared descriptor, and only if no child inherits it;
/// failing that, writes block (logged once as a warning).
final class ConsoleWriter {
    /// Above this many pending bytes the services feeding this writer are paused.
    static let highWater = 256 * 1024
    /// Paused services resume once the pending bytes fall below this.
    static let lowWater = 64 * 1024
    /// swinit's own messages are dropped (and counted) past this, so a consumer that never
    /// reads cannot grow memory through them either.
    static let messageLimit = 1024 * 1024

    let id: UInt64
    /// The descriptor written to: our own description when we could make one.
    let fd: Int32
    private let ownsDescriptor: Bool
    private let isSocket: Bool
    /// The original descriptor (1 or 2) is a terminal: colour is wanted.
    let isTerminal: Bool
    /// Identity of the open file, so stdout and stderr on the same pipe share one writer
    /// (two writers could interleave inside a line after a short write).
    let identity: (device: UInt64, inode: UInt64)?

    /// Pending output: bytes from `head` to the end.
    var buffer: [UInt8] = []
    private(set) var head = 0
    /// Registered in epoll for EPOLLOUT.
    private(set) var waiting = false
    /// The reader is gone (EPIPE) or the descriptor is unusable: output is discarded, so
    /// nothing ever waits on it.
    private(set) var broken = false
    /// How the writer was set up, when it is worth a warning.
    private(set) var setupWarning: String? = nil

    var pending: Int { buffer.count - head }

    /// Moves the buffer out for a batch of appends without an exclusive access per line
    /// (`give` puts it back); no copy is made.
    func take() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        return taken
    }

    /// Puts back the buffer moved out by `take`.
    func give(_ taken: inout [UInt8]) {
        swap(&taken, &buffer)
        taken = []
    }

    /// Sets up a writer for `target` (1 or 2). `inheritedByChildren`: some unit writes to
    /// the same descriptor directly (`inherit` mode), so its flags must not change.
    init(target: Int32, id: UInt64, inheritedByChildren: Bool) {
        self.id = id
        isTerminal = isatty(target) != 0
        var st = stat()
        guard fstat(target, &st) == 0 else {
            // fd 1/2 closed: there is nowhere to write.
            fd = -1; ownsDescriptor = false; isSocket = false; identity = nil; broken = true
            return
        }
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
        let type = st.st_mode & S_IFMT
        isSocket = type == S_IFSOCK
        if type == S_IFREG || type == S_IFSOCK || (type == S_IFCHR && !isTerminal) {
            // Regular files and /dev/null never block; sockets get MSG_DONTWAIT per call.
            fd = target; ownsDescriptor = false
            return
        }
        // A pipe, FIFO or terminal: our own non-blocking description of it. O_NOCTTY: PID 1
        // must not acquire a controlling terminal by opening one.
        let reopened = open("/proc/self/fd/\(target)", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if reopened >= 0 {
            fd = reopened; ownsDescriptor = true
            return
        }
        let code = errno
        fd = target; ownsDescriptor = false
        if !inheritedByChildren {
            let flags = fcntl(target, F_GETFL)
            if flags >= 0 && fcntl(target, F_SETFL, flags | O_NONBLOCK) == 0 { return }
        }
        setupWarning = "cannot open /proc/self/fd/\(target) (\(SystemError.describe(code))): writes to fd \(target) may block when its reader is slow"
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// True when the services feeding this writer may go on: below the high-water mark,
    /// after one attempt to write when above it.
    func hasRoom(_ loop: EventLoop) -> Bool {
        if broken || pending < Self.highWater { return true }
        if waiting { return false }
        _ = flush(loop)
        return broken || pending < Self.highWater
    }

    /// Writes what it can now; on EAGAIN, waits for EPOLLOUT. Returns an error to log once
    /// when the writer breaks.
    @discardableResult
    func flush(_ loop: EventLoop) -> SystemError? {
        if broken { discardAll(); return nil }
        while pending > 0 {
            let n = buffer.withUnsafeBytes { bytes -> Int in
                let start = bytes.baseAddress! + head
                return isSocket ? send(fd, start, pending, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) : write(fd, start, pending)
            }
            if n > 0 { head += n; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                if !waiting {
                    do {
                        try loop.add(fd, .write, Token(.console, id))
                        waiting = true
                    } catch {
                        // Not pollable: nothing to wait for; give up on this output.
                        broken = true
                        discardAll()
                        return error
                    }
                }
                compact()
                return nil
            }
            broken = true
            discardAll()
            return SystemError(call: "write fd \(id)", errno: n == 0 ? EIO : code)
        }
        buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Self.highWater)
        head = 0
        if waiting { loop.remove(fd); waiting = false }
        return nil
    }

    /// Writes `bytes` straight to the descriptor when nothing is pending before them, which
    /// saves copying them into the buffer; returns how many went out. 0 when bytes are pending
    /// or on EAGAIN or an error: the caller appends the rest, and `flush` meets and handles
    /// whatever the descriptor says.
    func writeDirectly(_ bytes: UnsafeRawBufferPointer, pendingBefore: Int) -> Int {
        guard pendingBefore == 0, !waiting, !broken, let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let n = isSocket ? send(fd, base, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) : write(fd, base, bytes.count)
        return max(n, 0)
    }

    /// Before exit: writes until everything is out or `deadline` passes, waiting with poll
    /// (the loop is over). Bounded by the deadline; what is left stays pending.
    func writeOut(until deadline: InitCore.Instant, _ loop: EventLoop) {
        if waiting { loop.remove(fd); waiting = false }
        while pending > 0 && !broken {
            let n = buffer.withUnsafeBytes { bytes -> Int in
                let start = bytes.baseAddress! + head
                return isSocket ? send(fd, start, pending, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) : write(fd, start, pending)
            }
            if n > 0 { head += n; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            guard n < 0 && (code == EAGAIN || code == EWOULDBLOCK) else { broken = true; discardAll(); return }
            let remaining = deadline - monotonicNow()
            if remaining <= .zero { break }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&poller, 1, Int32(clamping: remaining.millisecondsRoundedUp))
        }
        if pending == 0 { discardAll() } else { compact() }
    }

    private func discardAll() {
        buffer.removeAll(keepingCapacity: false)
        head = 0
    }

    /// Moves pending bytes to the front once the written part dominates, so the buffer's
    /// size stays bounded by what is pending.
    private func compact() {
        if head > 0 && head >= buffer.count / 2 {
            buffer.removeSubrange(0..<head)
            head = 0
        }
    }
}
