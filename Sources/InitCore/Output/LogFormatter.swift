/// One of a process's two output streams.
public enum LogStream: Int, Sendable, CaseIterable {
    case stdout = 0, stderr = 1

    /// "stdout" or "stderr", as in JSON lines.
    public var name: String { self == .stdout ? "stdout" : "stderr" }
}

/// How a stream's lines are rendered.
public enum LogStyle: Sendable, Equatable {
    /// `web   | line`, with `web   + rest` for the continuation of a line cut at the maximum
    /// length. Optional colour (ANSI) on the name and separator, optional timestamp first.
    case prefix(colour: Int?)
    /// `{"time":"…","service":"web","instance":0,"stream":"stdout","line":"…"}`; a fragment
    /// of a cut line carries `"partial":true` (the next object continues its `line`).
    case json
    /// The bytes as they came, for log files: a cut line is written back whole (fragments
    /// without newline in between); optional timestamp at the start of each line.
    case plain
}

/// Renders line fragments of one unit's stream into output bytes.
///
/// Everything that does not change per line (padded name, colour codes, JSON fields) is
/// rendered once at init, so a line costs a few appends. Bytes pass through unchanged in
/// prefix and plain styles; JSON escapes them as `JSONText` documents.
///
/// ```swift
/// let f = LogFormatter(style: .prefix(colour: nil), unitName: "web", service: "web",
///                      instance: nil, stream: .stdout, nameWidth: 6, timestamps: false)
/// f.append(fragment, time: [], to: &out)      // "web    | hello\n"
/// ```
public struct LogFormatter: Sendable {
    public let style: LogStyle
    public let timestamps: Bool
    /// Prefix style: `NAME | ` (coloured); JSON: `","service":"NAME",…,"line":"`.
    private let lead: [UInt8]
    /// Prefix style: `NAME + `; JSON: the fields without `line`, for swinit's own messages,
    /// which add a `level` field before it.
    private let continuationLead: [UInt8]

    /// Colours cycled through per unit (ANSI foreground codes): cyan, yellow, green, magenta,
    /// blue, and the bright variants. Red is left out: it reads as an error.
    public static let palette = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94]

    /// - Parameters:
    ///   - unitName: the name shown in prefix style ("web.0").
    ///   - service: the service name in JSON ("web"); `instance` its instance, nil for a single unit.
    ///   - nameWidth: prefix style pads the name to this many characters.
    ///   - timestamps: prefix and plain styles start each line with the time (JSON always has it).
    public init(style: LogStyle, unitName: String, service: String, instance: Int?, stream: LogStream,
                nameWidth: Int, timestamps: Bool) {
        self.style = style
        self.timestamps = timestamps
        switch style {
        case .prefix(let colour):
            let padding = String(repeating: " ", count: max(0, nameWidth - unitName.count))
            let start = colour.map { "\u{1B}[\($0)m" } ?? ""
            let reset = colour == nil ? "" : "\u{1B}[0m"
            lead = Array((start + unitName + padding + " | " + reset).utf8)
            continuationLead = Array((start + unitName + padding + " + " + reset).utf8)
        case .json:
            var fields: [UInt8] = Array("\",\"service\":".utf8)
            var name: [UInt8] = []
            JSONText.appendEscaped(service, to: &name)
            fields.append(0x22); fields += name; fields.append(0x22)
            if let instance { fields += Array(",\"instance\":\(instance)".utf8) }
            fields += Array(",\"stream\":\"\(stream.name)\"".utf8)
            lead = fields + Array(",\"line\":\"".utf8)
            continuationLead = fields
        case .plain:
            lead = []
            continuationLead = []
        }
    }

    /// Whether lines need the time: `append` then wants it rendered.
    public var needsTime: Bool { style == .json || timestamps }

    /// What goes before every whole line in prefix and plain styles (the time when shown,
    /// then the name), for `LineBlock.render`; nil in JSON, whose lines need escaping.
    public func lineHead(time: [UInt8]) -> [UInt8]? {
        switch style {
        case .prefix: return timestamps ? time + [0x20] + lead : lead
        case .plain: return timestamps ? time + [0x20] : []
        case .json: return nil
        }
    }

    /// Appends one fragment and its line end. `time` is the RFC 3339 time (`needsTime`).
    public func append(_ fragment: LineFragment, time: [UInt8], to out: inout [UInt8]) {
        switch style {
        case .prefix:
            if timestamps { out += time; out.append(0x20) }
            out += fragment.continuation ? continuationLead : lead
            out.append(contentsOf: fragment.bytes)
            out.append(0x0A)
        case .json:
            appendJSONHead(time: time, to: &out)
            out += lead
            JSONText.appendEscaped(fragment.bytes, to: &out)
            appendJSONTail(partial: !fragment.ends, to: &out)
        case .plain:
            if timestamps && !fragment.continuation { out += time; out.append(0x20) }
            out.append(contentsOf: fragment.bytes)
            if fragment.ends { out.append(0x0A) }
        }
    }

    /// Appends one of swinit's own messages, with its level ("error", "warning" or nil) as a
    /// word before the text in prefix style and as a `level` field in JSON.
    public func appendMessage(_ text: String, level: String?, time: [UInt8], to out: inout [UInt8]) {
        switch style {
        case .prefix, .plain:
            if timestamps { out += time; out.append(0x20) }
            out += lead
            if let level { out += Array((level + ": ").utf8) }
            out += Array(text.utf8)
            out.append(0x0A)
        case .json:
            appendJSONHead(time: time, to: &out)
            out += continuationLead
            if let level { out += Array(",\"level\":\"\(level)\"".utf8) }
            out += Array(",\"line\":\"".utf8)
            JSONText.appendEscaped(text, to: &out)
            appendJSONTail(partial: false, to: &out)
        }
    }

    // Rendered once: a line must not allocate for its constant parts.
    private static let jsonHead: [UInt8] = Array("{\"time\":\"".utf8)
    private static let jsonTail: [UInt8] = Array("\"}\n".utf8)
    private static let jsonPartialTail: [UInt8] = Array("\",\"partial\":true}\n".utf8)

    private func appendJSONHead(time: [UInt8], to out: inout [UInt8]) {
        out += Self.jsonHead
        out += time
    }

    private func appendJSONTail(partial: Bool, to out: inout [UInt8]) {
        out += partial ? Self.jsonPartialTail : Self.jsonTail
    }

    /// The RFC 3339 UTC time with milliseconds, as bytes: "2026-03-01T12:00:00.123Z".
    public static func renderTime(unixSeconds: Int64, nanoseconds: Int) -> [UInt8] {
        Array(CivilTime.formatRFC3339(unixSeconds: unixSeconds, nanoseconds: nanoseconds, fractionDigits: 3).utf8)
    }
}
