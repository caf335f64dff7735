import Glibc
import InitCore

/// A request line read from the FIFO: where to answer (if anywhere) and what is asked.
struct ReceivedRequest {
    var reply: String?
    var verb: Result<ControlVerb, ProtocolError>
}

/// The server side of the control channel, driven by the runtime's loop: reads request lines
/// from the request FIFO, writes replies to clients' FIFOs without ever blocking, and
/// publishes status.json. Every failure is logged (rate-limited) and the loop goes on.
final class ControlChannel {
    /// How long a client has to open and drain its reply FIFO before it is dropped.
    static let clientBound = TimeSpan.seconds(2)
    /// How often a reply FIFO with no reader yet (ENXIO) is tried again within the bound.
    static let retryInterval = TimeSpan.milliseconds(10)
    /// Replies in flight at once; beyond that new ones are dropped (bounded memory).
    static let maxPending = 256
    /// The largest reply; bigger ones are replaced by an error reply.
    static let maxReplyBytes = 4 << 20
    /// Bytes held for replies in flight, all together.
    static let maxPendingBytes = 16 << 20
    /// Bytes read from the request FIFO per wake-up; epoll is level-triggered, so the rest is
    /// read on the next turn and a flood cannot starve the signals.
    static let readBudget = 1 << 20

    let directory: ControlDirectory
    let loop: EventLoop
    let console: Console
    /// When swinit started, for uptimes.
    let startedAt: Instant
    /// readlink /proc/self/ns/pid: lets initctl tell whether it sees our pids.
    let pidNamespace: String?

    /// The start of a request line not yet ended by a newline.
    private var partial: [UInt8] = []
    /// Inside an over-long line: bytes are skipped up to the next newline.
    private var discarding = false
    private var pending: [UInt64: PendingReply] = [:]
    private var nextReplyID: UInt64 = 1
    private var publishedKey: String? = nil
    private var publishFailed = false
    private var limiter = MessageLimiter()

    /// A reply being delivered: waiting for the client to open its FIFO (`fd` -1), or for
    /// room in the pipe.
    struct PendingReply {
        var name: String
        var bytes: [UInt8]
        var offset = 0
        var fd: Int32 = -1
        var registered = false
        var deadline: Instant
        var retryAt: Instant?
    }

    init(directory: ControlDirectory, loop: EventLoop, console: Console, startedAt: Instant) throws(SystemError) {
        self.directory = directory
        self.loop = loop
        self.console = console
        self.startedAt = startedAt
        self.pidNamespace = ControlChannel.readLink("/proc/self/ns/pid")
        try loop.add(directory.requestFD, .read, Token(.controlRequests))
    }

    /// The earliest retry or drop deadline of a pending reply.
    var nextDeadline: Instant? {
        var earliest: Instant? = limiter.flushDeadline
        for reply in pending.values {
            let t = reply.retryAt.map { min($0, reply.deadline) } ?? reply.deadline
            if earliest == nil || t < earliest! { earliest = t }
        }
        return earliest
    }

    /// How many replies are in flight (for tests and diagnostics).
    var pendingCount: Int { pending.count }

    // MARK: Requests

    /// Reads what the request FIFO holds (up to the read budget) and returns the complete lines.
    func receive(at now: Instant) -> [ReceivedRequest] {
        var requests: [ReceivedRequest] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while total < ControlChannel.readBudget {
            let n = chunk.withUnsafeMutableBytes { read(directory.requestFD, $0.baseAddress, $0.count) }
            if n > 0 {
                total += n
                split(chunk[0..<n], into: &requests, now: now)
                continue
            }
            if n == 0 { break }
            let code = errno
            if code == EINTR { continue }
            if code != EAGAIN { report(now, SystemError(call: "read \(directory.path)/\(ControlLimits.requestFIFO)", errno: code).description) }
            break
        }
        return requests
    }

    /// Cuts bytes into lines. A line longer than PIPE_BUF is discarded up to its newline.
    private func split(_ bytes: ArraySlice<UInt8>, into requests: inout [ReceivedRequest], now: Instant) {
        var rest = bytes
        while !rest.isEmpty {
            guard let newline = rest.firstIndex(of: 0x0a) else {
                if discarding { return }
                if partial.count + rest.count >= ControlLimits.requestBytes {
                    tooLong(now)
                    return
                }
                partial.append(contentsOf: rest)
                return
            }
            let piece = rest[rest.startIndex..<newline]
            rest = rest[(newline + 1)...]
            if discarding {
                discarding = false
                continue
            }
            if partial.count + piece.count >= ControlLimits.requestBytes {
                partial.removeAll()
                report(now, "dropped a request longer than \(ControlLimits.requestBytes - 1) bytes")
                continue
            }
            var line = partial
            line.append(contentsOf: piece)
            partial.removeAll(keepingCapacity: true)
            if line.last == 0x0d { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let parsed = ControlRequest.parse(line)
            requests.append(ReceivedRequest(reply: parsed.reply, verb: parsed.verb))
        }
    }

    private func tooLong(_ now: Instant) {
        partial.removeAll()
        discarding = true
        report(now, "dropped a request longer than \(ControlLimits.requestBytes - 1) bytes")
    }

    /// Logs a refused or malformed request, at most a few per window (a flood must not turn
    /// into a flood on stderr).
    func report(_ now: Instant, _ message: String) {
        if let line = limiter.admit(message, at: now) { console.log(.warning, "control: " + line) }
    }

    // MARK: Replies

    /// Delivers `reply` to the client's FIFO `name`, now or later; never blocks.
    func send(_ reply: ControlReply, to name: String, at now: Instant) {
        let text: String
        switch ReplyPath.validate(name, controlDirectory: directory.path) {
        case .failure(let error):
            report(now, "refused reply: \(error.message)")
            return
        case .success(let bare):
            var encoded = reply.encoded()
            if encoded.utf8.count > ControlChannel.maxReplyBytes {
                encoded = ControlReply.failed("reply too large (over \(ControlChannel.maxReplyBytes) bytes); ask for fewer units or lines").encoded()
            }
            text = encoded
            let held = pending.values.reduce(0) { $0 + $1.bytes.count }
            if pending.count >= ControlChannel.maxPending || held + text.utf8.count > ControlChannel.maxPendingBytes {
                report(now, "dropped reply to \(bare): \(pending.count) replies (\(held) bytes) already in flight")
                return
            }
            var item = PendingReply(name: bare, bytes: Array(text.utf8), deadline: now + ControlChannel.clientBound)
            let id = nextReplyID
            nextReplyID += 1
            if attempt(&item, id: id, now: now) { pending[id] = item }
        }
    }

    /// Opens (if needed) and writes as much as the pipe takes. True while something remains.
    private func attempt(_ item: inout PendingReply, id: UInt64, now: Instant) -> Bool {
        if item.fd < 0 {
            switch openReply(item.name) {
            case .opened(let fd):
                item.fd = fd
                item.retryAt = nil
            case .noReader:
                item.retryAt = now + ControlChannel.retryInterval
                return true
            case .refused(let why):
                report(now, "refused reply FIFO \(directory.path)/\(item.name): \(why)")
                return false
            }
        }
        while item.offset < item.bytes.count {
            let n = item.bytes.withUnsafeBytes { raw in
                write(item.fd, raw.baseAddress! + item.offset, min(raw.count - item.offset, 65536))
            }
            if n > 0 { item.offset += n; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && code == EAGAIN {
                // The client has not read yet: wait for room (EPOLLOUT), within the bound.
                if !item.registered {
                    do {
                        try loop.add(item.fd, .write, Token(.controlReply, id))
                        item.registered = true
                    } catch {
                        report(now, error.description)
                        finish(&item)
                        return false
                    }
                }
                return true
            }
            // EPIPE: the client went away (SIGPIPE is blocked, so this is only an errno).
            if code != EPIPE { report(now, SystemError(call: "write \(directory.path)/\(item.name)", errno: code).description) }
            finish(&item)
            return false
        }
        finish(&item)
        return false
    }

    private func finish(_ item: inout PendingReply) {
        if item.fd >= 0 {
            if item.registered { loop.remove(item.fd) }
            close(item.fd)
            item.fd = -1
        }
    }

    /// The reply FIFO `id` has room again.
    func writable(_ id: UInt64, at now: Instant) {
        guard var item = pending[id] else { return }
        if attempt(&item, id: id, now: now) { pending[id] = item } else { pending[id] = nil }
    }

    /// Drops clients past their bound; retries FIFOs that had no reader.
    func expire(at now: Instant) {
        if let line = limiter.flush(at: now) { console.log(.warning, "control: " + line) }
        for (id, var item) in pending {
            if item.deadline <= now {
                let what = item.fd < 0 ? "never opened its reply FIFO" : "did not read its reply"
                report(now, "dropped client \(item.name): it \(what) within \(ControlChannel.clientBound)")
                finish(&item)
                pending[id] = nil
            } else if let retry = item.retryAt, retry <= now {
                if attempt(&item, id: id, now: now) { pending[id] = item } else { pending[id] = nil }
            }
        }
    }

    enum OpenOutcome {
        case opened(Int32)
        case noReader
        case refused(String)
    }

    /// Opens a reply FIFO for writing, only if it is a FIFO (never a regular file, a symlink
    /// or a device) owned by us or root, or — with a control group — in that group.
    func openReply(_ name: String) -> OpenOutcome {
        var before = stat()
        if fstatat(directory.directoryFD, name, &before, AT_SYMLINK_NOFOLLOW) != 0 {
            return .refused(SystemError.describe(errno))
        }
        if (before.st_mode & S_IFMT) != S_IFIFO { return .refused("not a FIFO") }
        guard allowedOwner(before) else { return .refused("owned by uid \(before.st_uid), gid \(before.st_gid)") }
        // O_NONBLOCK: open fails with ENXIO instead of waiting for a reader; O_NOFOLLOW and
        // O_NOCTTY: a swapped-in symlink or terminal is never followed or adopted.
        let fd = openat(directory.directoryFD, name, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            return code == ENXIO ? .noReader : .refused(SystemError.describe(code))
        }
        var after = stat()
        // Same object as checked: nothing was swapped in between.
        guard fstat(fd, &after) == 0, (after.st_mode & S_IFMT) == S_IFIFO, after.st_ino == before.st_ino, after.st_dev == before.st_dev else {
            close(fd)
            return .refused("changed while being opened")
        }
        return .opened(fd)
    }

    func allowedOwner(_ st: stat) -> Bool {
        if st.st_uid == directory.owner || st.st_uid == 0 { return true }
        if let group = directory.group, st.st_gid == group { return true }
        return false
    }

    // MARK: status.json

    /// Rewrites status.json (temp file + rename, so readers never see half of it) when the
    /// state differs from what was last written.
    func publish(_ snapshot: StatusSnapshot, at now: Instant) {
        let key = snapshot.changeKey
        if key == publishedKey { return }
        let temporary = ControlLimits.statusFile + ".tmp"
        // Whatever sits at the temporary name goes first, and the file is created new
        // (O_EXCL, O_NOFOLLOW, O_NONBLOCK): a FIFO, symlink or hard link planted there by a
        // member of the control group can neither block PID 1 nor redirect the write.
        _ = unlinkat(directory.directoryFD, temporary, 0)
        let fd = openat(directory.directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
        if fd < 0 {
            let code = errno
            publishFailure(now, SystemError(call: "open \(directory.path)/\(temporary)", errno: code))
            return
        }
        let written = writeAll(fd, snapshot.json.encoded() + "\n")
        let code = errno
        close(fd)
        if !written {
            publishFailure(now, SystemError(call: "write \(directory.path)/\(temporary)", errno: code))
            return
        }
        if renameat(directory.directoryFD, temporary, directory.directoryFD, ControlLimits.statusFile) != 0 {
            let code = errno
            publishFailure(now, SystemError(call: "rename \(directory.path)/\(ControlLimits.statusFile)", errno: code))
            return
        }
        publishedKey = key
        publishFailed = false
    }

    private func publishFailure(_ now: Instant, _ error: SystemError) {
        if !publishFailed { console.log(.warning, "cannot publish status: \(error.description)") }
        publishFailed = true
    }

    /// At exit: the request FIFO goes (initctl then says swinit is not running); status.json stays.
    func shutDown() {
        loop.remove(directory.requestFD)
        for (_, var item) in pending { finish(&item) }
        pending.removeAll()
        _ = unlinkat(directory.directoryFD, ControlLimits.requestFIFO, 0)
        close(directory.requestFD)
        close(directory.directoryFD)
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// At most `burst` messages per `window`; the rest are counted and the count is told with
/// the next message let through.
struct MessageLimiter {
    var burst = 5
    var window = TimeSpan.seconds(10)
    private var windowStart: Instant? = nil
    private var shown = 0
    private var suppressed = 0

    /// The message to log now (with a note of what was suppressed), or nil to stay quiet.
    mutating func admit(_ message: String, at now: Instant) -> String? {
        if windowStart == nil || now - windowStart! >= window {
            windowStart = now
            shown = 0
        }
        guard shown < burst else {
            suppressed += 1
            return nil
        }
        shown += 1
        defer { suppressed = 0 }
        return suppressed > 0 ? "\(message) (and \(suppressed) similar messages suppressed)" : message
    }

    /// When the suppressed count is due to be told (the end of the window), if anything was suppressed.
    var flushDeadline: Instant? {
        guard suppressed > 0, let start = windowStart else { return nil }
        return start + window
    }

    /// The count of suppressed messages once their window is over, so a flood is always told.
    mutating func flush(at now: Instant) -> String? {
        guard let due = flushDeadline, due <= now else { return nil }
        defer {
            suppressed = 0
            windowStart = nil
        }
        return "\(suppressed) similar messages suppressed in the last \(window)"
    }
}
