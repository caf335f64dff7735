/// One piece of a service's output line, borrowed from the framer's or the caller's memory:
/// valid only during the `emit` call that receives it.
///
/// A line up to `maxLineLength` bytes is one fragment with `continuation == false` and
/// `ends == true`. A longer line is cut into fragments: the first has `ends == false`, the
/// following ones have `continuation == true`, and the last has `ends == true`.
public struct LineFragment {
    /// The bytes, without the newline.
    public var bytes: UnsafeRawBufferPointer
    /// This fragment continues a line cut at the maximum length.
    public var continuation: Bool
    /// The line ends with this fragment (newline seen, or end of input); false when cut.
    public var ends: Bool

    public init(bytes: UnsafeRawBufferPointer, continuation: Bool, ends: Bool) {
        self.bytes = bytes
        self.continuation = continuation
        self.ends = ends
    }
}

/// Cuts a byte stream into lines, holding a partial line until its newline arrives.
///
/// Memory is bounded: at most `maxLineLength` bytes are held; a line that grows past that is
/// emitted in fragments (see `LineFragment`). Bytes pass through unchanged, except that a cut
/// never falls inside a UTF-8 sequence when one can be recognised (so each fragment of a
/// valid UTF-8 line is valid UTF-8 too).
///
/// ```swift
/// var framer = LineFramer()
/// let used = framer.feed(chunk) { fragment in print(fragment.bytes.count); return true }
/// ```
public struct LineFramer {
    /// 16 KiB, the default longest line held before it is cut.
    public static let defaultMaxLineLength = 16 * 1024

    public let maxLineLength: Int
    /// The start of a line whose newline has not arrived yet (never more than maxLineLength).
    private var pending: [UInt8] = []
    /// The next fragment continues a line that was cut.
    private var continuing = false

    public init(maxLineLength: Int = LineFramer.defaultMaxLineLength) {
        precondition(maxLineLength >= 4, "a line must hold at least one UTF-8 sequence")
        self.maxLineLength = maxLineLength
    }

    /// Bytes of an unfinished line being held.
    public var heldBytes: Int { pending.count }

    /// No partial line is held and the last one ended: the next byte starts a new line.
    public var atLineStart: Bool { pending.isEmpty && !continuing }

    /// Frames `input`, calling `emit` for each fragment in order. `emit` returns false to stop
    /// after that fragment (the consumer is full); the return value is how many bytes of
    /// `input` were consumed, and the caller feeds the rest later.
    public mutating func feed(_ input: UnsafeRawBufferPointer, _ emit: (LineFragment) -> Bool) -> Int {
        guard let base = input.baseAddress else { return 0 }
        let end = input.count
        var start = 0
        while start < end {
            let room = maxLineLength - pending.count
            let available = end - start
            // Look one byte past the room: a newline there ends a line of exactly the maximum.
            let window = min(available, room + 1)
            let newline = Self.firstNewline(base, from: start, to: start + window)
            if newline >= 0 {
                let more = emitLine(UnsafeRawBufferPointer(start: base + start, count: newline - start), ends: true, emit)
                start = newline + 1
                if !more { return start }
                continue
            }
            if available <= room {
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: available))
                return end
            }
            // More than a whole line's room without a newline: cut, preferably between UTF-8
            // sequences. The byte after the room exists (available > room).
            let more: Bool
            if pending.isEmpty {
                let cut = Self.boundary(room) { base.load(fromByteOffset: start + $0, as: UInt8.self) }
                more = emitLine(UnsafeRawBufferPointer(start: base + start, count: cut), ends: false, emit)
                start += cut
            } else {
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: room))
                let next = base.load(fromByteOffset: start + room, as: UInt8.self)
                let held = pending
                let cut = Self.boundary(maxLineLength) { $0 < held.count ? held[$0] : next }
                more = held.withUnsafeBytes { emit(LineFragment(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<cut]), continuation: continuing, ends: false)) }
                continuing = true
                pending.removeAll(keepingCapacity: true)
                pending.append(contentsOf: held[cut...])
                start += room
            }
            if !more { return start }
        }
        return end
    }

    /// End of input: the held partial line, if any, is emitted as a line of its own.
    public mutating func finish(_ emit: (LineFragment) -> Void) {
        if !pending.isEmpty {
            pending.withUnsafeBytes { emit(LineFragment(bytes: $0, continuation: continuing, ends: true)) }
        }
        pending.removeAll(keepingCapacity: false)
        continuing = false
    }

    /// Emits `tail` joined to whatever is held, as one fragment.
    private mutating func emitLine(_ tail: UnsafeRawBufferPointer, ends: Bool, _ emit: (LineFragment) -> Bool) -> Bool {
        let more: Bool
        if pending.isEmpty {
            more = emit(LineFragment(bytes: tail, continuation: continuing, ends: ends))
        } else {
            pending.append(contentsOf: tail)
            more = pending.withUnsafeBytes { emit(LineFragment(bytes: $0, continuation: continuing, ends: ends)) }
            pending.removeAll(keepingCapacity: true)
        }
        continuing = !ends
        return more
    }

    /// The offset of the first newline in base[from..<to], or -1. Eight bytes at a time (the
    /// classic has-zero-byte test on `word ^ 0x0A0A…`): this loop sees every byte a service
    /// writes, and memchr is out of reach without Glibc.
    @inline(__always)
    static func firstNewline(_ base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        var i = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        while i + 8 <= to {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ newlines
            let found = (word &- ones) & ~word & highs
            if found != 0 { return i + (UInt64(littleEndian: found).trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < to {
            if base.load(fromByteOffset: i, as: UInt8.self) == 0x0A { return i }
            i += 1
        }
        return -1
    }

    /// Where to cut `length` bytes in: moved back (at most 3 bytes) while the byte at the cut
    /// is a UTF-8 continuation byte, so a sequence is not split; `length` if none is found.
    static func boundary(_ length: Int, _ byte: (Int) -> UInt8) -> Int {
        var cut = length
        while cut > length - 3 && cut > 1 && byte(cut) & 0xC0 == 0x80 { cut -= 1 }
        // A lead byte of a multi-byte sequence at the cut: cut before it. Otherwise the bytes
        // were not UTF-8 at all: cut at the maximum.
        return byte(cut) & 0xC0 == 0xC0 ? cut : length
    }
}
