import Glibc

/// Writes all of `bytes` to `fd`, retrying EINTR and short writes. For swinit's own messages
/// and command output; EAGAIN on a non-blocking descriptor drops the rest (never blocks).
@discardableResult
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n > 0 { offset += n; continue }
        if n < 0 && errno == EINTR { continue }
        return false
    }
    return true
}

@discardableResult
public func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var text = text
    return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
}

/// swinit's own diagnostics on stderr: "swinit: message".
public struct Console {
    public var verbosity: Int
    public var prefix = "swinit: "
    /// In config mode, messages go through the output router (`swinit | …`, non-blocking).
    public var router: OutputRouter? = nil

    public init(verbosity: Int) { self.verbosity = verbosity }

    /// notice and above by default; -v adds info, -vv debug.
    public func shows(_ level: LogLevel) -> Bool { level.rawValue <= LogLevel.notice.rawValue + verbosity }

    /// The most verbose level shown.
    public var maximumLevel: LogLevel { LogLevel(rawValue: max(0, min(LogLevel.debug.rawValue, LogLevel.notice.rawValue + verbosity))) ?? .debug }

    public func log(_ level: LogLevel, _ message: String) {
        guard shows(level) else { return }
        if let router { router.log(level, message); return }
        let tag: String
        switch level {
        case .error: tag = "error: "
        case .warning: tag = "warning: "
        default: tag = ""
        }
        writeAll(2, prefix + tag + message + "\n")
    }
}

import InitCore
