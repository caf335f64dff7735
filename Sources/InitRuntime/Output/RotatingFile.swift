import Glibc
import InitCore

/// A log file with size-based rotation (`{ file = PATH, max-size, max-files }`), shared by
/// every stream configured with the same path.
///
/// Lines are gathered in `buffer` and written in large writes; rotation happens between
/// lines only (see `LogRotation`). The file is opened O_APPEND (several writers, and
/// operators' `>>`, stay consistent) and O_NONBLOCK for form's sake: a regular file never
/// returns EAGAIN, so writes here are synchronous but short.
final class RotatingFile {
    /// The buffer is written out once it holds this much, so it stays small.
    static let batchSize = 64 * 1024

    let path: String
    let maxSize: Int64
    let maxFiles: Int
    private var fd: Int32
    /// Bytes in the live file (as of our last write).
    private var size: Int64
    /// Lines not written yet.
    var buffer: [UInt8] = []
    /// The last write failed: logged once until a write succeeds again.
    private var failing = false

    private init(path: String, maxSize: Int64, maxFiles: Int, fd: Int32, size: Int64) {
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = maxFiles
        self.fd = fd
        self.size = size
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Opens (creating) the live file; the error names the path.
    static func open(path: String, maxSize: Int64, maxFiles: Int) -> Result<RotatingFile, SystemError> {
        switch openLive(path) {
        case .success(let (fd, size)):
            return .success(RotatingFile(path: path, maxSize: maxSize, maxFiles: maxFiles, fd: fd, size: size))
        case .failure(let error):
            return .failure(error)
        }
    }

    private static func openLive(_ path: String) -> Result<(Int32, Int64), SystemError> {
        // O_NOFOLLOW and a regular-file check: swinit may be root while the service that owns
        // the log directory is not; a symlink planted there must not redirect swinit's writes.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW, 0o644)
        if fd < 0 { return .failure(SystemError(call: "cannot open log file \(path)", errno: errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(SystemError(call: "cannot open log file \(path) (not a regular file)", errno: EINVAL))
        }
        let size = Int64(st.st_size)
        return .success((fd, size))
    }

    /// Called after one fragment was appended to `buffer` from offset `mark`. At a line start
    /// that would take the file past max-size, the lines before it are written and the file
    /// rotated first. Returns an error worth logging.
    func appended(from mark: Int, lineStart: Bool) -> SystemError? {
        var failure: SystemError? = nil
        if lineStart && LogRotation.needed(size: size + Int64(mark), incoming: Int64(buffer.count - mark), maxSize: maxSize) {
            failure = write(upTo: mark)
            if let error = rotate() { failure = error }
        }
        if buffer.count >= Self.batchSize, let error = write(upTo: buffer.count) { failure = error }
        return failure
    }

    /// Writes the whole buffer.
    func flush() -> SystemError? {
        buffer.isEmpty ? nil : write(upTo: buffer.count)
    }

    /// Writes `buffer[..<count]` and removes it. On failure the bytes are dropped (a full
    /// disk must not grow swinit's memory); the first failure in a row is returned.
    private func write(upTo count: Int) -> SystemError? {
        var offset = 0
        var failure: SystemError? = nil
        while offset < count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, count - offset) }
            if n > 0 { offset += n; size += Int64(n); continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if !failing { failure = SystemError(call: "write \(path)", errno: n == 0 ? EIO : code) }
            failing = true
            break
        }
        if offset == count { failing = false }
        buffer.removeSubrange(0..<count)
        return failure
    }

    /// PATH.(N-1) → PATH.N, …, PATH → PATH.1, then a new PATH; or truncation when max-files = 0.
    private func rotate() -> SystemError? {
        for step in LogRotation.steps(path: path, maxFiles: maxFiles) {
            switch step {
            case .truncate:
                if ftruncate(fd, 0) != 0 { return SystemError(call: "truncate \(path)", errno: errno) }
                size = 0
                return nil
            case .rename(let from, let to):
                if Glibc.rename(from, to) != 0 {
                    let code = errno
                    if code != ENOENT { return SystemError(call: "rename \(from) to \(to)", errno: code) }
                }
            }
        }
        switch Self.openLive(path) {
        case .success(let (newFD, newSize)):
            close(fd)
            fd = newFD
            size = newSize
            return nil
        case .failure(let error):
            // Keep writing to the renamed file rather than losing lines; try again after
            // another max-size rather than on every line.
            size = 0
            return error
        }
    }
}
