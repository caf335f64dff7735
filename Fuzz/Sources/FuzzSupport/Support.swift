// Shared helpers for the fuzz targets.

/// Fails the fuzz run with a message when an invariant does not hold. Unlike `precondition`, the
/// message survives -O builds, so the crash report says which invariant broke.
@inline(never)
public func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("fuzz invariant violated: \(message())", file: file, line: line)
    }
}

/// The fuzzer's input as a byte array.
@inline(__always)
public func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
}

/// FNV-1a, for deriving numbers from the input without consuming it.
public func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

/// A string with non-printable bytes escaped, for invariant messages.
public func escaped(_ s: String, limit: Int = 200) -> String {
    var out = ""
    for u in s.unicodeScalars.prefix(limit) {
        switch u {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 || u.value == 0x7F { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
    }
    if s.unicodeScalars.count > limit { out += "…" }
    return "\"" + out + "\""
}
