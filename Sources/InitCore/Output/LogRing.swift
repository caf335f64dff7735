/// The recent output of one unit, line-framed, in a fixed number of bytes: for
/// `initctl logs NAME [-n N] [-f]` and for the last lines shown when a unit fails.
///
/// Lines are kept whole, oldest dropped first; a line longer than the whole ring keeps its
/// first `capacity - 1` bytes. The storage is allocated on the first line, so a silent unit
/// costs nothing.
///
/// ```swift
/// var ring = LogRing(capacity: 64 * 1024)
/// ring.append(bytes)                       // one line, without its newline
/// ring.lastLines(10)                       // oldest first
/// ```
public struct LogRing: Sendable {
    /// 64 KiB, the default size per unit.
    public static let defaultCapacity = 64 * 1024

    public let capacity: Int
    private var storage: [UInt8] = []
    /// Index of the oldest byte; the ring holds `used` bytes from there, wrapping.
    private var start = 0
    private var used = 0
    /// Lines ever appended (including dropped ones): a follower remembers it and asks for the
    /// lines appended since.
    public private(set) var appendedLines: UInt64 = 0

    public init(capacity: Int = LogRing.defaultCapacity) {
        precondition(capacity >= 2, "a ring holds at least one byte and its newline")
        self.capacity = capacity
    }

    /// Appends one line (its bytes, without a newline; a newline inside would split it).
    public mutating func append(_ line: UnsafeRawBufferPointer) {
        if storage.isEmpty { storage = [UInt8](repeating: 0, count: capacity) }
        let length = min(line.count, capacity - 1)
        if used + length + 1 > capacity { drop(atLeast: used + length + 1 - capacity) }
        var at = (start + used) % capacity
        storage.withUnsafeMutableBytes { ring in
            let first = min(length, capacity - at)
            if first > 0 { ring.baseAddress!.advanced(by: at).copyMemory(from: line.baseAddress!, byteCount: first) }
            if length > first { ring.baseAddress!.copyMemory(from: line.baseAddress! + first, byteCount: length - first) }
        }
        at = (at + length) % capacity
        storage[at] = 0x0A
        used += length + 1
        appendedLines += 1
    }

    /// Appends `lines` whole lines given as one block, each ending with its newline (a run
    /// of lines straight from a read). One copy for the lot: only the block's tail that fits
    /// is kept, cut after a newline.
    public mutating func append(block: UnsafeRawBufferPointer, lines: Int) {
        guard block.count > 0, let base = block.baseAddress else { return }
        if storage.isEmpty { storage = [UInt8](repeating: 0, count: capacity) }
        var from = 0
        if block.count > capacity {
            from = block.count - capacity
            // Skip to just after a newline: the partial line before is dropped whole.
            while from < block.count && base.load(fromByteOffset: from - 1, as: UInt8.self) != 0x0A { from += 1 }
            if from == block.count { return }
        }
        let length = block.count - from
        if used + length > capacity { drop(atLeast: used + length - capacity) }
        let at = (start + used) % capacity
        storage.withUnsafeMutableBytes { ring in
            let first = min(length, capacity - at)
            ring.baseAddress!.advanced(by: at).copyMemory(from: base + from, byteCount: first)
            if length > first { ring.baseAddress!.copyMemory(from: base + from + first, byteCount: length - first) }
        }
        used += length
        appendedLines += UInt64(lines)
    }

    /// Appends a line given as a string.
    public mutating func append(_ line: String) {
        var line = line
        line.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// The newest `count` lines held (fewer if the ring holds fewer), oldest first.
    public func lastLines(_ count: Int) -> [[UInt8]] {
        guard count > 0, used > 0 else { return [] }
        var lines: [[UInt8]] = []
        // `end` is the offset (from start) just past a line's newline; walk back line by line.
        var end = used
        while end > 0 && lines.count < count {
            var begin = end - 1            // the newline ending this line
            while begin > 0 && storage[(start + begin - 1) % capacity] != 0x0A { begin -= 1 }
            var line: [UInt8] = []
            line.reserveCapacity(end - 1 - begin)
            for offset in begin..<(end - 1) { line.append(storage[(start + offset) % capacity]) }
            lines.append(line)
            end = begin
        }
        return lines.reversed()
    }

    /// Lines appended after the follower saw `appendedLines == seen` (as many as are still held).
    public func lines(after seen: UInt64) -> [[UInt8]] {
        guard appendedLines > seen else { return [] }
        return lastLines(Int(clamping: appendedLines - seen))
    }

    /// Drops the oldest lines, whole, until at least `count` bytes are free: skips `count`
    /// bytes, then the rest of the line it landed in. This runs for every line once the ring
    /// is full, so it scans only the one partial line, without a division per byte.
    private mutating func drop(atLeast count: Int) {
        var n = min(count, used)
        if n > 0 && n < used {
            storage.withUnsafeBytes { ring in
                var index = (start + n - 1) % capacity      // the last byte dropped so far
                while n < used && ring[index] != 0x0A {
                    index += 1
                    if index == capacity { index = 0 }
                    n += 1
                }
            }
        }
        start = (start + n) % capacity
        used -= n
    }
}
