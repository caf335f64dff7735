/// JSON string escaping for raw process output, which need not be UTF-8.
///
/// Valid UTF-8 passes through as is; `"` and `\` are escaped; control characters (U+0000 to
/// U+001F, and DEL) become `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`. Each byte that does not
/// belong to a well-formed UTF-8 sequence (stray continuation bytes, overlong forms,
/// surrogates, code points past U+10FFFF, truncated sequences) becomes U+FFFD: the result is
/// always valid UTF-8 JSON, which strict consumers (jq, Loki, Elasticsearch) require. Mapping
/// a bad byte to `\u00XX` instead would silently turn it into a Latin-1 character.
public enum JSONText {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends `"…"`: `bytes` escaped as above, between quotes.
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        appendEscaped(bytes, to: &out)
        out.append(0x22)
    }

    /// Appends `bytes` escaped as above, without quotes.
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let count = bytes.count
        var i = 0
        var runStart = 0
        while i < count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C {
                i += 1
                continue
            }
            if b >= 0x80 {
                let length = sequenceLength(bytes, at: i)
                if length > 0 { i += length; continue }
            }
            // Flush the run of bytes that need nothing, then write this one's escape.
            if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0x08: out.append(0x5C); out.append(0x62)
            case 0x0C: out.append(0x5C); out.append(0x66)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default:
                out.append(contentsOf: replacement)
            }
            i += 1
            runStart = i
        }
        if runStart < count { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<count])) }
    }

    /// Appends a Swift string (already valid UTF-8) escaped.
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (a byte ≥ 0x80), or 0.
    /// Ranges from the Unicode standard, table 3-7.
    static func sequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // the allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard i + length <= bytes.count else { return 0 }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { return 0 }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return 0 }
        return length
    }
}
