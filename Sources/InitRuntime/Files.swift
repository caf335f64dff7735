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

/// The process environment in order, as its `NAME=VALUE` entries: passed on to the children
/// as they are. Built from bytes: splitting a String by Character runs grapheme breaking.
public func currentEnvironment() -> [String] {
    var result: [String] = []
    var cursor = environ
    while let entry = cursor.pointee {
        let length = strlen(entry)
        entry.withMemoryRebound(to: UInt8.self, capacity: length) {
            result.append(String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self))
        }
        cursor += 1
    }
    return result
}

/// NAME → VALUE of `NAME=VALUE` entries, the last one winning (as getenv sees the first, a
/// shell's export the last: duplicates are rare and then the later is the intended one).
public func environmentVariables(_ entries: [String]) -> [String: String] {
    var variables: [String: String] = [:]
    variables.reserveCapacity(entries.count)
    for entry in entries {
        guard let eq = entry.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
        variables[String(entry[..<eq])] = String(entry[entry.utf8.index(after: eq)...])
    }
    return variables
}
