import Glibc

/// Reads a whole file. Errors name the call and the path.
/// Only regular files: opened O_NONBLOCK, so a FIFO put where a pid file, env-file or config
/// should be fails at once instead of blocking PID 1 until someone writes to it.
public func readFile(_ path: String, limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
    let fd = try systemCall("open \(path)") { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
        throw SystemError(call: "read \(path) (not a regular file)", errno: EINVAL)
    }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try systemCall("read \(path)") { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        if n == 0 { break }
        result.append(contentsOf: chunk[0..<n])
        if result.count > limit { throw SystemError(call: "read \(path)", errno: EFBIG) }
    }
    return result
}

/// True when `path` exists (any type).
public func pathExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}

/// The process environment: its `NAME=VALUE` entries in order, as bytes (passed on to the
/// children exactly as they came, UTF-8 or not), and NAME → VALUE for lookups, the last entry winning as in a shell's export.
/// Built from the bytes in one pass: splitting Strings costs several times as much at every
/// start.
public func currentEnvironment() -> (entries: [[UInt8]], variables: [String: String]) {
    var count = 0
    while environ[count] != nil { count += 1 }
    var entries: [[UInt8]] = []
    entries.reserveCapacity(count)
    var variables: [String: String] = [:]
    variables.reserveCapacity(count)
    var cursor = environ
    while let entry = cursor.pointee {
        let length = strlen(entry)
        entry.withMemoryRebound(to: UInt8.self, capacity: length) { base in
            let text = UnsafeBufferPointer(start: base, count: length)
            entries.append(Array(text))
            if let eq = text.firstIndex(of: UInt8(ascii: "=")) {
                variables[String(decoding: UnsafeBufferPointer(rebasing: text[..<eq]), as: UTF8.self)] =
                    String(decoding: UnsafeBufferPointer(rebasing: text[(eq + 1)...]), as: UTF8.self)
            }
        }
        cursor += 1
    }
    return (entries, variables)
}

/// Colour on `fd` when it is a terminal, unless NO_COLOR is set (no-color.org) or TERM is
/// "dumb": one rule for service output and initctl.
func wantsColour(_ fd: Int32, _ variable: (String) -> String?) -> Bool {
    isatty(fd) != 0 && variable("NO_COLOR") == nil && variable("TERM") != "dumb"
}
