// Byte-level scanning for the TOML reader: the cursor and source positions, the encoding check,
// whitespace and comments, keys, strings, and scalar values (booleans, numbers, date-times).
// The document structure (tables, headers, arrays, inline tables) is in TOMLParser.swift.

/// The reader's state: the UTF-8 input and a cursor into it.
///
/// The input is checked once up front (`validateEncoding`): after that it is known to be valid
/// UTF-8 with no control characters other than tab, LF and CRLF. Every other routine relies on
/// that, and on NUL never occurring, which is why `peek` can return 0 for "end of input".
struct TOMLReader {
    /// The maximum nesting of tables and arrays (counting every dotted-key and header level).
    static let maxDepth = 256

    let bytes: [UInt8]
    /// The cursor.
    var index: Int
    /// The 1-based line of the cursor.
    var line = 1
    /// The byte offset where the cursor's line starts.
    var lineStart: Int
    // Column of `columnCacheIndex` (on the current line), so positions are computed in amortized
    // linear time even on very long lines.
    private var columnCacheIndex: Int
    private var columnCacheColumn = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte-order mark is allowed at the very start and is not part of the document.
        let start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        index = start
        lineStart = start
        columnCacheIndex = start
    }

    // MARK: Cursor

    var atEnd: Bool { index >= bytes.count }

    /// The byte `offset` bytes after the cursor, or 0 past the end (NUL cannot occur in valid input).
    @inline(__always)
    func peek(_ offset: Int = 0) -> UInt8 {
        let j = index + offset
        return j < bytes.count ? bytes[j] : 0
    }

    /// The position of byte offset `j`, which must be on the cursor's line.
    mutating func position(at j: Int) -> SourcePosition {
        var from = lineStart
        var column = 1
        if columnCacheIndex >= lineStart && columnCacheIndex <= j {
            from = columnCacheIndex
            column = columnCacheColumn
        }
        var k = from
        let end = min(j, bytes.count)
        while k < end {
            if bytes[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        if j >= lineStart {
            columnCacheIndex = k
            columnCacheColumn = column
        }
        return SourcePosition(line: line, column: column)
    }

    mutating func position() -> SourcePosition { position(at: index) }

    func error(_ message: String, at position: SourcePosition) -> TOMLError {
        TOMLError(position: position, message: message)
    }

    /// An error at the cursor.
    mutating func errorHere(_ message: String) -> TOMLError {
        TOMLError(position: position(), message: message)
    }

    /// How the byte at `j` reads in a message: "'x'", "newline", "end of file", ...
    func describe(at j: Int) -> String {
        guard j < bytes.count else { return "end of file" }
        let c = bytes[j]
        switch c {
        case 0x0A, 0x0D: return "newline"
        case 0x09: return "tab"
        case 0x20: return "space"
        case 0x27: return "\"'\""
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(c)))'"
        default:
            if let scalar = TOMLReader.decodeScalar(bytes, at: j) {
                return "'\(Character(scalar))' (U+\(TOMLReader.hex(scalar.value, digits: 4)))"
            }
            return "byte 0x\(TOMLReader.hex(UInt32(c), digits: 2))"
        }
    }

    mutating func describeHere() -> String { describe(at: index) }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let s = String(value, radix: 16, uppercase: true)
        return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
    }

    /// Decodes the (already validated) UTF-8 scalar starting at `j`.
    static func decodeScalar(_ bytes: [UInt8], at j: Int) -> Unicode.Scalar? {
        guard j < bytes.count else { return nil }
        let c = bytes[j]
        var value: UInt32
        var extra: Int
        switch c {
        case 0x00...0x7F: return Unicode.Scalar(c)
        case 0xC2...0xDF: value = UInt32(c & 0x1F); extra = 1
        case 0xE0...0xEF: value = UInt32(c & 0x0F); extra = 2
        case 0xF0...0xF4: value = UInt32(c & 0x07); extra = 3
        default: return nil
        }
        guard j + extra < bytes.count else { return nil }
        for k in 1...extra {
            let b = bytes[j + k]
            guard b & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return Unicode.Scalar(value)
    }

    // MARK: Encoding

    /// Rejects invalid UTF-8 and every control character TOML forbids (all of U+0000–U+001F and
    /// U+007F except tab, LF, and CR when it starts a CRLF). TOML has no context in which any
    /// of those is allowed literally, so checking the whole input first is exact.
    func validateEncoding() throws(TOMLError) {
        let n = bytes.count
        var k = index
        var line = 1
        var lineStart = index

        func column(_ j: Int) -> Int {
            var column = 1
            var m = lineStart
            while m < j {
                if bytes[m] & 0xC0 != 0x80 { column += 1 }
                m += 1
            }
            return column
        }

        while k < n {
            let c = bytes[k]
            if c < 0x80 {
                if c >= 0x20 && c != 0x7F || c == 0x09 {
                    k += 1
                } else if c == 0x0A {
                    k += 1
                    line += 1
                    lineStart = k
                } else if c == 0x0D && k + 1 < n && bytes[k + 1] == 0x0A {
                    k += 2
                    line += 1
                    lineStart = k
                } else {
                    let message: String
                    switch c {
                    case 0x0D: message = "carriage return (U+000D) must be followed by a line feed"
                    case 0x00: message = "NUL byte (U+0000) is not allowed"
                    default:
                        message = "control character U+\(TOMLReader.hex(UInt32(c), digits: 4)) is not allowed"
                    }
                    throw TOMLError(position: SourcePosition(line: line, column: column(k)), message: message)
                }
                continue
            }
            var value: UInt32
            var extra: Int
            switch c {
            case 0xC2...0xDF: value = UInt32(c & 0x1F); extra = 1
            case 0xE0...0xEF: value = UInt32(c & 0x0F); extra = 2
            case 0xF0...0xF4: value = UInt32(c & 0x07); extra = 3
            default:
                throw TOMLError(
                    position: SourcePosition(line: line, column: column(k)),
                    message: "invalid UTF-8 byte 0x\(TOMLReader.hex(UInt32(c), digits: 2))")
            }
            var ok = k + extra < n
            if ok {
                for m in 1...extra {
                    let b = bytes[k + m]
                    if b & 0xC0 != 0x80 { ok = false; break }
                    value = value << 6 | UInt32(b & 0x3F)
                }
            }
            if ok {
                switch extra {
                case 2: ok = value >= 0x800 && !(0xD800...0xDFFF).contains(value)
                case 3: ok = value >= 0x10000 && value <= 0x10FFFF
                default: break
                }
            }
            guard ok else {
                throw TOMLError(
                    position: SourcePosition(line: line, column: column(k)),
                    message: "invalid UTF-8 sequence starting with byte 0x\(TOMLReader.hex(UInt32(c), digits: 2))")
            }
            k += extra + 1
        }
    }

    // MARK: Whitespace, comments, newlines

    @inline(__always)
    static func isNewlineByte(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }

    var atNewline: Bool { TOMLReader.isNewlineByte(peek()) }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    /// Skips a comment (the cursor is on `#`) up to, not including, the end of the line.
    mutating func skipComment() {
        while index < bytes.count, !TOMLReader.isNewlineByte(bytes[index]) { index += 1 }
    }

    /// Consumes LF or CRLF at the cursor and starts a new line.
    mutating func consumeNewline() {
        index += peek() == 0x0D ? 2 : 1
        line += 1
        lineStart = index
        columnCacheIndex = index
        columnCacheColumn = 1
    }

    /// Skips whitespace, comments and newlines (inside arrays).
    mutating func skipWhitespaceCommentsAndNewlines() {
        while true {
            skipWhitespace()
            let c = peek()
            if c == UInt8(ascii: "#") {
                skipComment()
            } else if TOMLReader.isNewlineByte(c) {
                consumeNewline()
            } else {
                return
            }
        }
    }

    // MARK: Keys

    @inline(__always)
    static func isBareKeyByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// One component of a (possibly dotted) key.
    struct KeyPart {
        var name: String
        var position: SourcePosition
    }

    /// Parses `simple-key *( ws "." ws simple-key )`, leaving the cursor after the last part
    /// (trailing whitespace skipped).
    mutating func parseKey() throws(TOMLError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            parts.append(try parseSimpleKey())
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else { return parts }
            index += 1
            skipWhitespace()
        }
    }

    mutating func parseSimpleKey() throws(TOMLError) -> KeyPart {
        let start = position()
        let c = peek()
        switch c {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"") {
                throw error("a multi-line string cannot be used as a key", at: start)
            }
            return KeyPart(name: try parseBasicString(), position: start)
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'") && peek(2) == UInt8(ascii: "'") {
                throw error("a multi-line string cannot be used as a key", at: start)
            }
            return KeyPart(name: try parseLiteralString(), position: start)
        default:
            let s = index
            while index < bytes.count && TOMLReader.isBareKeyByte(bytes[index]) { index += 1 }
            if index == s {
                if c == UInt8(ascii: "=") { throw error("missing key before '='", at: start) }
                if c >= 0x80 {
                    throw error(
                        "invalid character \(describe(at: s)) in bare key (quote the key: \"...\")",
                        at: start)
                }
                throw error("expected a key, found \(describe(at: s))", at: start)
            }
            let name = String(decoding: bytes[s..<index], as: UTF8.self)
            // A bare key must end at whitespace or punctuation; anything else glued on is a typo
            // such as `bare!key` or `a#`.
            switch peek() {
            case 0, 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "."), UInt8(ascii: "="), UInt8(ascii: "]"),
                UInt8(ascii: ","), UInt8(ascii: "}"):
                break
            default:
                let extra = c >= 0x80 || peek() >= 0x80 ? " (quote the key: \"...\")" : ""
                throw errorHere("invalid character \(describeHere()) in bare key\(extra)")
            }
            return KeyPart(name: name, position: start)
        }
    }

    // MARK: Strings

    /// A basic string `"..."`; the cursor is on the opening quote.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let start = position()
        index += 1
        let contentStart = index
        // Fast path: no escapes.
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: bytes[contentStart..<index], as: UTF8.self)
                index += 1
                return s
            }
            if c == UInt8(ascii: "\\") || TOMLReader.isNewlineByte(c) { break }
            index += 1
        }
        var out = Array(bytes[contentStart..<index])
        while true {
            guard index < bytes.count, !atNewline else {
                throw error("unterminated string (missing closing '\"')", at: start)
            }
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                try parseEscape(into: &out, stringStart: start)
            } else {
                out.append(c)
                index += 1
            }
        }
    }

    /// A multi-line basic string `"""..."""`; the cursor is on the first opening quote.
    mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        let start = position()
        index += 3
        if atNewline { consumeNewline() }  // a newline right after the delimiter is trimmed
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else {
                throw error("unterminated multi-line string (missing closing '\"\"\"')", at: start)
            }
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\""):
                var run = 0
                while peek(run) == UInt8(ascii: "\"") { run += 1 }
                if run < 3 {
                    out.append(contentsOf: repeatElement(UInt8(ascii: "\""), count: run))
                    index += run
                } else if run <= 5 {
                    // Up to two quotes may directly precede the closing delimiter.
                    out.append(contentsOf: repeatElement(UInt8(ascii: "\""), count: run - 3))
                    index += run
                    return String(decoding: out, as: UTF8.self)
                } else {
                    throw errorHere("too many quotes: at most two '\"' may appear together inside a multi-line string")
                }
            case UInt8(ascii: "\\"):
                // Line-ending backslash: `\`, optional whitespace, newline, then all whitespace
                // and newlines up to the next other character are trimmed.
                var k = 1
                while peek(k) == 0x20 || peek(k) == 0x09 { k += 1 }
                if TOMLReader.isNewlineByte(peek(k)) {
                    index += k
                    while true {
                        skipWhitespace()
                        guard atNewline else { break }
                        consumeNewline()
                    }
                } else {
                    try parseEscape(into: &out, stringStart: start)
                }
            case 0x0A, 0x0D:
                out.append(0x0A)  // CRLF is normalized to LF
                consumeNewline()
            default:
                out.append(c)
                index += 1
            }
        }
    }

    /// An escape sequence in a basic string; the cursor is on the backslash.
    mutating func parseEscape(into out: inout [UInt8], stringStart: SourcePosition) throws(TOMLError) {
        let at = position()
        let e = peek(1)
        let simple: UInt8?
        switch e {
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "u"), UInt8(ascii: "U"): simple = nil
        case 0:
            throw error("unterminated string (missing closing '\"')", at: stringStart)
        default:
            let shown = e >= 0x21 && e <= 0x7E ? "'\\\(Character(Unicode.Scalar(e)))'" : "'\\' followed by \(describe(at: index + 1))"
            throw error(
                "invalid escape sequence \(shown) (valid escapes: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
                at: at)
        }
        if let simple {
            out.append(simple)
            index += 2
            return
        }
        let digits = e == UInt8(ascii: "u") ? 4 : 8
        var value: UInt32 = 0
        for k in 0..<digits {
            guard let d = TOMLReader.digitValue(peek(2 + k), radix: 16) else {
                throw error(
                    "invalid unicode escape: '\\\(Character(Unicode.Scalar(e)))' must be followed by \(digits) hex digits",
                    at: at)
            }
            value = value << 4 | UInt32(d)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error(
                "invalid unicode escape '\\\(Character(Unicode.Scalar(e)))\(TOMLReader.hex(value, digits: digits))': not a Unicode scalar value",
                at: at)
        }
        out.append(contentsOf: String(Character(scalar)).utf8)
        index += 2 + digits
    }

    /// A literal string `'...'`; the cursor is on the opening quote.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let start = position()
        index += 1
        let contentStart = index
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "'") {
                let s = String(decoding: bytes[contentStart..<index], as: UTF8.self)
                index += 1
                return s
            }
            if TOMLReader.isNewlineByte(c) { break }
            index += 1
        }
        throw error("unterminated string (missing closing \"'\")", at: start)
    }

    /// A multi-line literal string `'''...'''`; the cursor is on the first opening quote.
    mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        let start = position()
        index += 3
        if atNewline { consumeNewline() }
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else {
                throw error("unterminated multi-line string (missing closing \"'''\")", at: start)
            }
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "'"):
                var run = 0
                while peek(run) == UInt8(ascii: "'") { run += 1 }
                if run < 3 {
                    out.append(contentsOf: repeatElement(UInt8(ascii: "'"), count: run))
                    index += run
                } else if run <= 5 {
                    out.append(contentsOf: repeatElement(UInt8(ascii: "'"), count: run - 3))
                    index += run
                    return String(decoding: out, as: UTF8.self)
                } else {
                    throw errorHere("too many quotes: at most two \"'\" may appear together inside a multi-line literal string")
                }
            case 0x0A, 0x0D:
                out.append(0x0A)
                consumeNewline()
            default:
                out.append(c)
                index += 1
            }
        }
    }

    // MARK: Scalars

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    static func digitValue(_ c: UInt8, radix: Int) -> Int? {
        let d: Int
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): d = Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): d = Int(c - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return d < radix ? d : nil
    }

    @inline(__always)
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"),
            UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    /// A boolean, number or date/time value at the cursor.
    mutating func parseScalar() throws(TOMLError) -> TOMLValue {
        let start = position()
        let s = index
        while index < bytes.count && TOMLReader.isTokenByte(bytes[index]) { index += 1 }
        if index == s {
            throw error("expected a value, found \(describe(at: s))", at: start)
        }
        // A date followed by a space and a digit is a date-time with a space delimiter.
        if index - s == 10 && TOMLReader.isFullDateShape(bytes[s..<index]) && peek() == 0x20
            && TOMLReader.isDigit(peek(1))
        {
            index += 1
            while index < bytes.count && TOMLReader.isTokenByte(bytes[index]) { index += 1 }
        }
        let token = Array(bytes[s..<index])
        return try TOMLReader.scalarValue(token, at: start)
    }

    static func isFullDateShape(_ t: ArraySlice<UInt8>) -> Bool {
        let b = t.startIndex
        guard t.count >= 10 else { return false }
        for k in [0, 1, 2, 3, 5, 6, 8, 9] where !isDigit(t[b + k]) { return false }
        return t[b + 4] == UInt8(ascii: "-") && t[b + 7] == UInt8(ascii: "-")
    }

    static func text(_ token: [UInt8]) -> String { String(decoding: token, as: UTF8.self) }

    static func scalarValue(_ t: [UInt8], at start: SourcePosition) throws(TOMLError) -> TOMLValue {
        let text = self.text(t)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan": return .float(.nan)
        case "-nan": return .float(-Double.nan)
        default: break
        }
        if t.count >= 5 && isDigit(t[0]) && isDigit(t[1]) && isDigit(t[2]) && isDigit(t[3])
            && t[4] == UInt8(ascii: "-")
        {
            return try dateTimeValue(t, at: start)
        }
        if t.count >= 3 && isDigit(t[0]) && isDigit(t[1]) && t[2] == UInt8(ascii: ":") {
            var j = 0
            guard let time = parseTime(t, &j), j == t.count else {
                throw TOMLError(position: start, message: "invalid local time '\(text)' (expected HH:MM:SS[.fraction])")
            }
            try checkTime(time, text: text, at: start)
            return .localTime(time)
        }
        let signed = t[0] == UInt8(ascii: "+") || t[0] == UInt8(ascii: "-")
        let body = signed ? 1 : 0
        guard body < t.count, isDigit(t[body]) else {
            var hint = ""
            if t.allSatisfy({ isBareKeyByte($0) }) && !isDigit(t[0]) {
                hint = " (strings must be quoted, e.g. \"\(text)\")"
            }
            throw TOMLError(position: start, message: "invalid value '\(text)'\(hint)")
        }
        if t.count >= body + 2 && t[body] == UInt8(ascii: "0") {
            let radix: Int
            switch t[body + 1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = 0
            }
            if radix != 0 {
                if signed {
                    throw TOMLError(
                        position: start,
                        message: "invalid integer '\(text)': hexadecimal, octal and binary integers cannot have a sign")
                }
                return .integer(try integer(t, from: 2, radix: radix, negative: false, at: start))
            }
        }
        if t.contains(UInt8(ascii: ".")) || t.contains(UInt8(ascii: "e")) || t.contains(UInt8(ascii: "E")) {
            return .float(try float(t, at: start))
        }
        if t.count > body + 1 && t[body] == UInt8(ascii: "0") {
            throw TOMLError(position: start, message: "invalid integer '\(text)': leading zeros are not allowed")
        }
        return .integer(try integer(t, from: body, radix: 10, negative: t[0] == UInt8(ascii: "-"), at: start))
    }

    static func integer(
        _ t: [UInt8], from: Int, radix: Int, negative: Bool, at start: SourcePosition
    ) throws(TOMLError) -> Int64 {
        let text = self.text(t)
        var value: Int64 = 0
        var previousWasDigit = false
        var k = from
        while k < t.count {
            let c = t[k]
            k += 1
            if c == UInt8(ascii: "_") {
                guard previousWasDigit, k < t.count else {
                    throw TOMLError(position: start, message: "invalid integer '\(text)': '_' must be between digits")
                }
                previousWasDigit = false
                continue
            }
            guard let d = digitValue(c, radix: radix) else {
                let kind = radix == 16 ? "hexadecimal " : radix == 8 ? "octal " : radix == 2 ? "binary " : ""
                throw TOMLError(position: start, message: "invalid \(kind)integer '\(text)'")
            }
            let (m, o1) = value.multipliedReportingOverflow(by: Int64(radix))
            let (r, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 {
                throw TOMLError(position: start, message: "integer '\(text)' is out of range for a 64-bit signed integer")
            }
            value = r
            previousWasDigit = true
        }
        guard previousWasDigit else {
            throw TOMLError(position: start, message: "invalid integer '\(text)': missing digits")
        }
        return value
    }

    /// Scans `DIGIT *( DIGIT / "_" DIGIT )` from `k`; returns the number of digits, 0 if malformed.
    static func scanDigits(_ t: [UInt8], _ k: inout Int) -> Int {
        var digits = 0
        guard k < t.count, isDigit(t[k]) else { return 0 }
        while k < t.count {
            if isDigit(t[k]) {
                digits += 1
                k += 1
            } else if t[k] == UInt8(ascii: "_") && k + 1 < t.count && isDigit(t[k + 1]) {
                k += 1
            } else {
                break
            }
        }
        return digits
    }

    static func float(_ t: [UInt8], at start: SourcePosition) throws(TOMLError) -> Double {
        let text = self.text(t)
        func invalid(_ why: String) -> TOMLError {
            TOMLError(position: start, message: "invalid float '\(text)'\(why)")
        }
        var k = 0
        if t[0] == UInt8(ascii: "+") || t[0] == UInt8(ascii: "-") { k = 1 }
        let intStart = k
        let intDigits = scanDigits(t, &k)
        guard intDigits > 0 else { throw invalid("") }
        if intDigits > 1 && t[intStart] == UInt8(ascii: "0") { throw invalid(": leading zeros are not allowed") }
        var hasFraction = false
        var hasExponent = false
        if k < t.count && t[k] == UInt8(ascii: ".") {
            k += 1
            guard scanDigits(t, &k) > 0 else { throw invalid(": expected digits after '.'") }
            hasFraction = true
        }
        if k < t.count && (t[k] == UInt8(ascii: "e") || t[k] == UInt8(ascii: "E")) {
            k += 1
            if k < t.count && (t[k] == UInt8(ascii: "+") || t[k] == UInt8(ascii: "-")) { k += 1 }
            guard scanDigits(t, &k) > 0 else { throw invalid(": expected digits in the exponent") }
            hasExponent = true
        }
        guard k == t.count, hasFraction || hasExponent else { throw invalid("") }
        var cleaned = t
        cleaned.removeAll { $0 == UInt8(ascii: "_") }
        guard let value = Double(self.text(cleaned)) else { throw invalid("") }
        guard value.isFinite else {
            throw TOMLError(position: start, message: "float '\(text)' is out of range for a 64-bit float")
        }
        return value
    }

    // MARK: Dates and times

    /// Two ASCII digits at `k` as a number.
    static func twoDigits(_ t: [UInt8], _ k: Int) -> Int? {
        guard k + 1 < t.count, isDigit(t[k]), isDigit(t[k + 1]) else { return nil }
        return Int(t[k] - 48) * 10 + Int(t[k + 1] - 48)
    }

    /// `HH:MM:SS[.fraction]` from `k`, advancing `k`. Ranges are checked by `checkTime`.
    static func parseTime(_ t: [UInt8], _ k: inout Int) -> TOMLDateTime? {
        guard let h = twoDigits(t, k), k + 2 < t.count, t[k + 2] == UInt8(ascii: ":"),
            let m = twoDigits(t, k + 3), k + 5 < t.count, t[k + 5] == UInt8(ascii: ":"),
            let s = twoDigits(t, k + 6)
        else { return nil }
        k += 8
        var nanos = 0
        if k < t.count && t[k] == UInt8(ascii: ".") {
            k += 1
            var digits = 0
            while k < t.count && isDigit(t[k]) {
                if digits < 9 { nanos = nanos * 10 + Int(t[k] - 48) }
                digits += 1
                k += 1
            }
            guard digits > 0 else { return nil }
            var scale = digits
            while scale < 9 {
                nanos *= 10
                scale += 1
            }
        }
        return TOMLDateTime(hour: h, minute: m, second: s, nanosecond: nanos)
    }

    static func checkTime(_ time: TOMLDateTime, text: String, at start: SourcePosition) throws(TOMLError) {
        if time.hour > 23 { throw TOMLError(position: start, message: "invalid time in '\(text)': hour must be 00-23") }
        if time.minute > 59 { throw TOMLError(position: start, message: "invalid time in '\(text)': minute must be 00-59") }
        if time.second > 60 { throw TOMLError(position: start, message: "invalid time in '\(text)': second must be 00-60") }
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func dateTimeValue(_ t: [UInt8], at start: SourcePosition) throws(TOMLError) -> TOMLValue {
        let text = self.text(t)
        guard t.count >= 10, isFullDateShape(t[0..<10]),
            let yHigh = twoDigits(t, 0), let yLow = twoDigits(t, 2),
            let month = twoDigits(t, 5), let day = twoDigits(t, 8)
        else {
            throw TOMLError(position: start, message: "invalid date '\(text)' (expected YYYY-MM-DD)")
        }
        let year = yHigh * 100 + yLow
        guard (1...12).contains(month) else {
            throw TOMLError(position: start, message: "invalid date '\(text)': month must be 01-12")
        }
        guard day >= 1 && day <= daysInMonth(month, year: year) else {
            throw TOMLError(position: start, message: "invalid date '\(text)': day \(day) is out of range for month \(month)")
        }
        if t.count == 10 {
            return .localDate(TOMLDateTime(year: year, month: month, day: day))
        }
        let badShape = TOMLError(
            position: start,
            message: "invalid date-time '\(text)' (expected YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM])")
        guard t[10] == UInt8(ascii: "T") || t[10] == UInt8(ascii: "t") || t[10] == 0x20 else { throw badShape }
        var k = 11
        guard var value = parseTime(t, &k) else { throw badShape }
        try checkTime(value, text: text, at: start)
        value.year = year
        value.month = month
        value.day = day
        if k == t.count { return .localDateTime(value) }
        switch t[k] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard k + 1 == t.count else { throw badShape }
            value.offsetMinutes = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard k + 6 == t.count, let oh = twoDigits(t, k + 1), t[k + 3] == UInt8(ascii: ":"),
                let om = twoDigits(t, k + 4)
            else { throw badShape }
            guard oh <= 23, om <= 59 else {
                throw TOMLError(position: start, message: "invalid date-time '\(text)': offset must be between -23:59 and +23:59")
            }
            value.offsetMinutes = (t[k] == UInt8(ascii: "-") ? -1 : 1) * (oh * 60 + om)
        default:
            throw badShape
        }
        return .offsetDateTime(value)
    }
}
