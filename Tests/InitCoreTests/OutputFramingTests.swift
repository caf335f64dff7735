// Output framing, rendering, the recent-lines ring and the rotation plan: pure, no I/O.

import Testing
@testable import InitCore

/// Runs the framer over `chunks` and records each fragment as (text, continuation, ends).
private func frame(_ chunks: [[UInt8]], max: Int = 16, finish: Bool = false) -> [([UInt8], Bool, Bool)] {
    var framer = LineFramer(maxLineLength: max)
    var out: [([UInt8], Bool, Bool)] = []
    for chunk in chunks {
        let used = chunk.withUnsafeBytes { framer.feed($0) { out.append((Array($0.bytes), $0.continuation, $0.ends)); return true } }
        #expect(used == chunk.count)
    }
    if finish { framer.finish { out.append((Array($0.bytes), $0.continuation, $0.ends)) } }
    return out
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite("Line framing")
struct LineFramingTests {
    @Test("complete lines come out one by one, without their newline")
    func completeLines() {
        let got = frame([bytes("a\nbb\n\nccc\n")])
        #expect(got.map { String(decoding: $0.0, as: UTF8.self) } == ["a", "bb", "", "ccc"])
        #expect(got.allSatisfy { !$0.1 && $0.2 })
    }

    @Test("a line split across reads is held until its newline")
    func heldAcrossReads() {
        let got = frame([bytes("hel"), bytes("lo wo"), bytes("rld\nnext")])
        #expect(got.count == 1)
        #expect(got[0].0 == bytes("hello world"))
    }

    @Test("a missing final newline is flushed at the end of input")
    func finalPartialLine() {
        let got = frame([bytes("one\ntwo")], finish: true)
        #expect(got.map(\.0) == [bytes("one"), bytes("two")])
        #expect(got[1].2)
    }

    @Test("a line of exactly the maximum length is one fragment")
    func exactMaximum() {
        let line = [UInt8](repeating: 0x61, count: 16)
        let got = frame([line + [0x0A]])
        #expect(got.count == 1 && got[0].0 == line && got[0].2 && !got[0].1)
    }

    @Test("a long line is cut into a first fragment and marked continuations", arguments: [1, 7, 100])
    func longLineCut(chunkSize: Int) {
        let line = (0..<40).map { UInt8(0x41 + $0 % 26) }
        let input = line + [0x0A]
        let chunks = stride(from: 0, to: input.count, by: chunkSize).map { Array(input[$0..<min($0 + chunkSize, input.count)]) }
        let got = frame(chunks)
        #expect(got.map(\.0.count) == [16, 16, 8])
        #expect(got.map(\.1) == [false, true, true])
        #expect(got.map(\.2) == [false, false, true])
        #expect(got.flatMap(\.0) == line)
    }

    @Test("a cut never splits a UTF-8 sequence")
    func utf8SafeCut() {
        // 14 ASCII bytes then "€" (3 bytes) straddling the 16-byte limit.
        let line = [UInt8](repeating: 0x2E, count: 14) + bytes("€") + bytes("abc")
        let got = frame([line + [0x0A]])
        #expect(got[0].0.count == 14)
        #expect(got[1].0 == bytes("€abc"))
    }

    @Test("bytes that are not UTF-8 pass through unchanged")
    func binaryPassesThrough() {
        let line: [UInt8] = [0xFF, 0x00, 0xC3, 0x28, 0x80, 0x7F]
        let got = frame([line + [0x0A]])
        #expect(got.count == 1 && got[0].0 == line)
    }

    @Test("a consumer that says stop gets the rest later, nothing lost or repeated")
    func stopsWhenConsumerIsFull() {
        var framer = LineFramer(maxLineLength: 16)
        let input = bytes("a\nb\nc\nd\n")
        var seen: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let used = input[offset...].withUnsafeBytes { framer.feed($0) { seen.append(Array($0.bytes)); return false } }
            #expect(used > 0)
            offset += used
        }
        #expect(seen == ["a", "b", "c", "d"].map(bytes))
    }

    @Test("memory held for a line without newline is bounded by the maximum")
    func boundedHold() {
        var framer = LineFramer(maxLineLength: 16)
        let junk = [UInt8](repeating: 0x78, count: 1000)
        var fragments = 0
        _ = junk.withUnsafeBytes { framer.feed($0) { _ in fragments += 1; return true } }
        #expect(framer.heldBytes <= 16)
        #expect(fragments == 62)
    }
}

@Suite("JSON escaping")
struct JSONTextTests {
    static let cases: [([UInt8], String)] = [
        (bytes("plain text"), "plain text"),
        (bytes("say \"hi\" \\ bye"), "say \\\"hi\\\" \\\\ bye"),
        ([0x0A, 0x0D, 0x09, 0x08, 0x0C], "\\n\\r\\t\\b\\f"),
        ([0x01, 0x1F, 0x7F], "\\u0001\\u001f\\u007f"),
        (bytes("héllo €𝄞"), "héllo €𝄞"),
        ([0x61, 0xFF, 0x62], "a\u{FFFD}b"),                    // never valid
        ([0xC0, 0x80], "\u{FFFD}\u{FFFD}"),                     // overlong NUL
        ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),       // surrogate
        ([0xE2, 0x82], "\u{FFFD}\u{FFFD}"),                     // truncated
        ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"), // past U+10FFFF
    ]

    @Test("control characters are escaped and bytes that are not UTF-8 become U+FFFD", arguments: cases)
    func escapes(input: [UInt8], expected: String) {
        var out: [UInt8] = []
        input.withUnsafeBytes { JSONText.appendEscaped($0, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(String(validating: out, as: UTF8.self) != nil)
    }
}

@Suite("Log line rendering")
struct LogFormatterTests {
    static func render(_ f: LogFormatter, _ text: String, continuation: Bool = false, ends: Bool = true, time: String = "") -> String {
        var out: [UInt8] = []
        bytes(text).withUnsafeBytes { f.append(LineFragment(bytes: $0, continuation: continuation, ends: ends), time: bytes(time), to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("prefix mode pads the name to the longest unit name")
    func prefixPadding() {
        let f = LogFormatter(style: .prefix(colour: nil), unitName: "web", service: "web", instance: nil, stream: .stdout, nameWidth: 8, timestamps: false)
        #expect(Self.render(f, "hello") == "web      | hello\n")
        #expect(Self.render(f, "rest", continuation: true) == "web      + rest\n")
    }

    @Test("prefix mode colours the name and separator when asked, and puts the time first")
    func prefixColourAndTime() {
        let f = LogFormatter(style: .prefix(colour: 36), unitName: "db", service: "db", instance: nil, stream: .stderr, nameWidth: 2, timestamps: true)
        #expect(Self.render(f, "x", time: "2026-01-02T03:04:05.678Z") == "2026-01-02T03:04:05.678Z \u{1B}[36mdb | \u{1B}[0mx\n")
    }

    @Test("json mode writes one object per line, instance only for instances")
    func json() {
        let single = LogFormatter(style: .json, unitName: "web", service: "web", instance: nil, stream: .stdout, nameWidth: 0, timestamps: false)
        #expect(Self.render(single, "a\"b", time: "T") == #"{"time":"T","service":"web","stream":"stdout","line":"a\"b"}"# + "\n")
        let instance = LogFormatter(style: .json, unitName: "web.2", service: "web", instance: 2, stream: .stderr, nameWidth: 0, timestamps: false)
        #expect(Self.render(instance, "x", ends: false, time: "T") == #"{"time":"T","service":"web","instance":2,"stream":"stderr","line":"x","partial":true}"# + "\n")
    }

    @Test("plain (file) mode writes a cut line back whole")
    func plainRejoinsCutLines() {
        let f = LogFormatter(style: .plain, unitName: "web", service: "web", instance: nil, stream: .stdout, nameWidth: 0, timestamps: false)
        #expect(Self.render(f, "abc", ends: false) + Self.render(f, "def", continuation: true) == "abcdef\n")
    }

    @Test("swinit's own messages carry their level")
    func ownMessages() {
        let prefix = LogFormatter(style: .prefix(colour: nil), unitName: "swinit", service: "swinit", instance: nil, stream: .stderr, nameWidth: 6, timestamps: false)
        var out: [UInt8] = []
        prefix.appendMessage("boom", level: "error", time: [], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "swinit | error: boom\n")
        let json = LogFormatter(style: .json, unitName: "swinit", service: "swinit", instance: nil, stream: .stderr, nameWidth: 0, timestamps: false)
        out = []
        json.appendMessage("web started", level: nil, time: bytes("T"), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"time":"T","service":"swinit","stream":"stderr","line":"web started"}"# + "\n")
        out = []
        json.appendMessage("x", level: "warning", time: bytes("T"), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"time":"T","service":"swinit","stream":"stderr","level":"warning","line":"x"}"# + "\n")
    }

    @Test("times are RFC 3339 UTC with milliseconds")
    func time() {
        #expect(LogFormatter.renderTime(unixSeconds: 1_772_366_400, nanoseconds: 123_456_789) == bytes("2026-03-01T12:00:00.123Z"))
    }
}

@Suite("Rendering whole lines as a block")
struct LineBlockTests {
    static func render(_ input: String, head: String, max: Int = 16, room: Int = 1024) -> (consumed: Int, text: String, lines: Int) {
        var out = [UInt8](repeating: 0, count: room)
        let r = bytes(input).withUnsafeBytes { i in
            bytes(head).withUnsafeBytes { h in out.withUnsafeMutableBytes { LineBlock.render(i, head: h, maxLine: max, into: $0) } }
        }
        return (r.consumed, String(decoding: out[0..<r.written], as: UTF8.self), r.lines)
    }

    @Test("whole lines get the head; an unterminated tail is left for the framer")
    func linesAndTail() {
        let r = Self.render("a\nbb\n\nccc", head: "w | ")
        #expect(r.text == "w | a\nw | bb\nw | \n")
        #expect(r.consumed == 6 && r.lines == 3)
    }

    @Test("it stops before a line longer than the maximum, and takes one of exactly the maximum")
    func longLines() {
        #expect(Self.render("ok\n0123456789abcdefX\nlater\n", head: "> ").consumed == 3)
        let exact = Self.render("0123456789abcdef\n", head: "> ")
        #expect(exact.lines == 1 && exact.text == "> 0123456789abcdef\n")
    }

    @Test("it stops before a line that would not fit in the output")
    func outputFull() {
        let r = Self.render("abc\ndef\n", head: "x ", room: 8)
        #expect(r.text == "x abc\n" && r.consumed == 4 && r.lines == 1)
    }

    @Test("the same bytes as the framer and formatter line by line, in prefix style with time")
    func sameAsLineByLine() {
        let f = LogFormatter(style: .prefix(colour: 33), unitName: "web.1", service: "web", instance: 1, stream: .stdout, nameWidth: 7, timestamps: true)
        let time = bytes("2026-01-02T03:04:05.678Z")
        let input = bytes((0..<200).map { "line \($0) " + String(repeating: "é", count: $0 % 7) + "\n" }.joined())
        var expected: [UInt8] = []
        var framer = LineFramer()
        _ = input.withUnsafeBytes { framer.feed($0) { f.append($0, time: time, to: &expected); return true } }
        let head = f.lineHead(time: time)!
        var out = [UInt8](repeating: 0, count: 64 * 1024)
        let r = input.withUnsafeBytes { i in
            head.withUnsafeBytes { h in out.withUnsafeMutableBytes { LineBlock.render(i, head: h, maxLine: LineFramer.defaultMaxLineLength, into: $0) } }
        }
        #expect(r.consumed == input.count && r.lines == 200)
        #expect(Array(out[0..<r.written]) == expected)
        let json = LogFormatter(style: .json, unitName: "web", service: "web", instance: nil, stream: .stdout, nameWidth: 0, timestamps: false)
        #expect(json.lineHead(time: time) == nil, "JSON lines need escaping: no block path")
    }
}

@Suite("Recent lines ring")
struct LogRingTests {
    @Test("the last N lines come back oldest first")
    func lastLines() {
        var ring = LogRing(capacity: 64)
        for i in 1...5 { ring.append("line \(i)") }
        #expect(ring.lastLines(2).map { String(decoding: $0, as: UTF8.self) } == ["line 4", "line 5"])
        #expect(ring.lastLines(99).count == 5)
    }

    @Test("old lines are dropped whole when the ring is full, and it wraps correctly")
    func eviction() {
        var ring = LogRing(capacity: 20)
        for i in 0..<50 { ring.append("n\(i)") }
        let lines = ring.lastLines(100).map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.last == "n49")
        #expect(lines == (50 - lines.count..<50).map { "n\($0)" })
        #expect(lines.reduce(0) { $0 + $1.utf8.count + 1 } <= 20)
        #expect(ring.appendedLines == 50)
    }

    @Test("a line longer than the ring keeps its start")
    func longLine() {
        var ring = LogRing(capacity: 8)
        ring.append("abcdefghijkl")
        #expect(ring.lastLines(1) == [bytes("abcdefg")])
    }

    @Test("a block of whole lines is kept as its newest lines, and mixes with single appends")
    func blockAppend() {
        var ring = LogRing(capacity: 16)
        ring.append("old")
        let block = bytes("aaaa\nbbbb\ncccc\ndddd\n")
        block.withUnsafeBytes { ring.append(block: $0, lines: 4) }
        #expect(ring.lastLines(10) == [bytes("bbbb"), bytes("cccc"), bytes("dddd")])
        ring.append("e")
        #expect(ring.lastLines(10) == [bytes("cccc"), bytes("dddd"), bytes("e")])
        #expect(ring.appendedLines == 6)
    }

    @Test("a follower gets the lines appended since it last looked")
    func follow() {
        var ring = LogRing(capacity: 64)
        ring.append("a")
        let seen = ring.appendedLines
        ring.append("b"); ring.append("c")
        #expect(ring.lines(after: seen) == [bytes("b"), bytes("c")])
        #expect(ring.lines(after: ring.appendedLines).isEmpty)
    }
}

@Suite("Log rotation plan")
struct LogRotationTests {
    @Test("backups shift up, oldest overwritten, live file last")
    func steps() {
        #expect(LogRotation.steps(path: "/l/a.log", maxFiles: 3) == [
            .rename(from: "/l/a.log.2", to: "/l/a.log.3"),
            .rename(from: "/l/a.log.1", to: "/l/a.log.2"),
            .rename(from: "/l/a.log", to: "/l/a.log.1"),
        ])
        #expect(LogRotation.steps(path: "x", maxFiles: 1) == [.rename(from: "x", to: "x.1")])
        #expect(LogRotation.steps(path: "x", maxFiles: 0) == [.truncate])
    }

    @Test("rotation happens before a line that would pass max-size, never for an empty file",
          arguments: [(0, 5000, false), (900, 100, false), (900, 101, true), (1, 2000, true)])
    func needed(size: Int64, incoming: Int64, expected: Bool) {
        #expect(LogRotation.needed(size: size, incoming: incoming, maxSize: 1000) == expected)
    }
}
