import Glibc

/// A failed system call: renders as "signalfd: Invalid argument".
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(SystemError.describe(errno))" }

    /// strerror, copied out at once.
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Every syscall goes through here: EINTR is retried, -1 becomes a `SystemError` with the
/// errno captured on the line after the call.
@inline(__always)
public func systemCall<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code != EINTR { throw SystemError(call: call, errno: code) }
    }
}

/// Both clocks as the core's `Instant`: CLOCK_MONOTONIC for deadlines, CLOCK_REALTIME for schedules.
public func monotonicNow() -> InitCore.Instant {
    var mono = timespec(), wall = timespec()
    clock_gettime(CLOCK_MONOTONIC, &mono)
    clock_gettime(CLOCK_REALTIME, &wall)
    return InitCore.Instant(nanoseconds: Int64(mono.tv_sec) * 1_000_000_000 + Int64(mono.tv_nsec),
                            wallNanoseconds: Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec))
}

/// Wall-clock seconds since the epoch (CLOCK_REALTIME), for schedules and log stamps.
public func wallClockNow() -> (seconds: Int64, nanoseconds: Int) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (Int64(ts.tv_sec), Int(ts.tv_nsec))
}

import InitCore
