import Glibc
import InitCore

/// Why initctl could not get an answer; each maps to an exit code.
public enum ClientError: Error, CustomStringConvertible {
    /// No swinit reads any candidate request FIFO: exit 3. The text says which paths were tried.
    case unreachable(String)
    /// A reply came but could not be used, or the exchange broke midway: exit 1.
    case failed(String)

    public var description: String {
        switch self {
        case .unreachable(let text), .failed(let text): return text
        }
    }
}

/// initctl's side of the control channel: finds a swinit, then for each request creates a
/// reply FIFO, writes one request line, and reads one reply with a bounded wait.
public final class ControlClient {
    public let directory: String
    private let requestFD: Int32
    private var counter = 0

    private init(directory: String, requestFD: Int32) {
        self.directory = directory
        self.requestFD = requestFD
    }

    deinit { close(requestFD) }

    /// The first candidate directory whose request FIFO has a reader (a live swinit).
    public static func connect(candidates: [String]) -> Result<ControlClient, ClientError> {
        var tried: [String] = []
        for candidate in candidates {
            let directory = ControlPaths.trimmed(candidate)
            let path = directory + "/" + ControlLimits.requestFIFO
            // O_NONBLOCK: ENXIO at once when no swinit reads it (a stale FIFO), never a hang.
            let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                var st = stat()
                if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO {
                    return .success(ControlClient(directory: directory, requestFD: fd))
                }
                close(fd)
                tried.append("\(path) (not a FIFO)")
                continue
            }
            let code = errno
            tried.append("\(path) (\(code == ENXIO ? "no swinit is reading it" : SystemError.describe(code)))")
        }
        return .failure(.unreachable("swinit is not reachable: tried \(tried.joined(separator: ", ")); use --control-dir or SWINIT_CONTROL_DIR if it uses another directory"))
    }

    /// Sends `verb` and waits up to `timeout` for the whole reply.
    public func request(_ verb: ControlVerb, timeout: TimeSpan) -> Result<ControlReply, ClientError> {
        let deadline = monotonicNow() + timeout
        let name: String
        switch makeReplyFIFO() {
        case .success(let n): name = n
        case .failure(let error): return .failure(error)
        }
        let path = directory + "/" + name
        var linked = true
        defer { if linked { unlink(path) } }
        // Open our end first (O_NONBLOCK succeeds without a writer), so swinit finds a reader.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            return .failure(.unreachable(SystemError(call: "open \(path)", errno: code).description))
        }
        defer { close(fd) }

        // A newline first: whatever another writer left unfinished in the FIFO ends there as
        // a line of its own (dropped as malformed) instead of swallowing this request.
        let line = "\n" + ControlRequest(reply: name, verb: verb).line()
        if case .failure(let error) = writeRequest(line, deadline: deadline) { return .failure(error) }

        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var connected = false
        while true {
            // A FIFO's reader sees EOF before any writer has come: poll first. Linux reports
            // nothing until swinit opens its end, then data, then a hang-up when it closes.
            let remaining = deadline - monotonicNow()
            if remaining <= .zero {
                return .failure(.unreachable("swinit did not answer within \(timeout) (request sent to \(directory)/\(ControlLimits.requestFIFO))"))
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: remaining.millisecondsRoundedUp))
            if ready < 0 {
                let code = errno
                if code == EINTR { continue }
                return .failure(.failed(SystemError(call: "poll", errno: code).description))
            }
            if ready == 0 { continue }
            if !connected {
                // swinit holds it open now: the name can go, so nothing is left behind even
                // if we are killed while reading.
                connected = true
                unlink(path)
                linked = false
            }
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    reply.append(contentsOf: chunk[0..<n])
                    if reply.count > 64 << 20 { return .failure(.failed("reply larger than 64 MiB")) }
                    continue
                }
                if n == 0 {
                    do {
                        return .success(try ControlReply.decode(reply))
                    } catch {
                        return .failure(.failed(reply.isEmpty ? "swinit closed the reply without answering" : error.description))
                    }
                }
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN { break }
                return .failure(.failed(SystemError(call: "read \(path)", errno: code).description))
            }
        }
    }

    /// "reply.PID.N.NANOS", created 0620 (the group bit matters only in a control-group
    /// directory, where swinit may run as another user in that group).
    private func makeReplyFIFO() -> Result<String, ClientError> {
        for _ in 0..<16 {
            counter += 1
            let name = "\(ControlLimits.replyPrefix)\(getpid()).\(counter).\(monotonicNow().nanoseconds % 1_000_000_000)"
            let path = directory + "/" + name
            if mkfifo(path, 0o620) == 0 { return .success(name) }
            let code = errno
            if code == EEXIST { continue }
            return .failure(.unreachable("cannot create a reply FIFO in \(directory): \(SystemError.describe(code))"))
        }
        return .failure(.failed("cannot find a free reply FIFO name in \(directory)"))
    }

    /// One write of at most PIPE_BUF bytes: atomic, so concurrent clients never interleave.
    private func writeRequest(_ line: String, deadline: Instant) -> Result<Void, ClientError> {
        let bytes = Array(line.utf8)
        guard bytes.count <= ControlLimits.requestBytes else { return .failure(.failed("request longer than \(ControlLimits.requestBytes) bytes")) }
        while true {
            let n = bytes.withUnsafeBytes { write(requestFD, $0.baseAddress, $0.count) }
            if n == bytes.count { return .success(()) }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && code == EAGAIN {
                // The FIFO is full (swinit is busy): wait for room, within the deadline.
                let remaining = deadline - monotonicNow()
                if remaining <= .zero { return .failure(.unreachable("swinit's request FIFO \(directory)/\(ControlLimits.requestFIFO) stayed full")) }
                var pfd = pollfd(fd: requestFD, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, Int32(clamping: remaining.millisecondsRoundedUp))
                continue
            }
            if n < 0 && code == EPIPE { return .failure(.unreachable("swinit stopped reading \(directory)/\(ControlLimits.requestFIFO)")) }
            return .failure(.failed(n < 0 ? SystemError(call: "write \(directory)/\(ControlLimits.requestFIFO)", errno: code).description : "short write of the request"))
        }
    }
}
