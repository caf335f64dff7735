// The value model produced by the TOML 1.0 reader (see TOMLParser.swift).
//
// Everything here is plain value types: a parsed document is a `TOMLTable` whose entries keep
// document order and remember where each key and value was written, so configuration code can
// point at the exact spot in the file when it rejects a value.

/// A 1-based line and column in a TOML source.
///
/// `column` counts Unicode scalars from the start of the line (a tab counts as one column, a
/// multi-byte UTF-8 character as one, a UTF-8 byte-order mark at the start of the file is not
/// counted). Lines are separated by LF or CRLF.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// "LINE:COL", e.g. "3:14".
    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        lhs.line != rhs.line ? lhs.line < rhs.line : lhs.column < rhs.column
    }
}

/// The fields of a TOML date, time or date-time. Which fields are meaningful depends on the
/// `TOMLValue` case holding it:
/// - `.offsetDateTime`: all fields; `offsetMinutes` is set (`Z` is 0, `-07:00` is -420)
/// - `.localDateTime`: all fields except `offsetMinutes` (nil)
/// - `.localDate`: year, month, day; the time fields are 0
/// - `.localTime`: hour, minute, second, nanosecond; year, month and day are 0
///
/// Fractional seconds are kept to nanosecond precision (further digits are truncated).
public struct TOMLDateTime: Hashable, Sendable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int, nanosecond: Int
    public var offsetMinutes: Int?

    public init(
        year: Int = 0, month: Int = 0, day: Int = 0,
        hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0,
        offsetMinutes: Int? = nil
    ) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
        self.offsetMinutes = offsetMinutes
    }
}

/// A TOML value.
///
/// Equality is structural and includes source positions of nested nodes. Floats compare with
/// `==` except that NaN equals NaN (so a parsed document always equals itself).
public indirect enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case offsetDateTime(TOMLDateTime)
    case localDateTime(TOMLDateTime)
    case localDate(TOMLDateTime)
    case localTime(TOMLDateTime)
    case array([TOMLNode])
    case table(TOMLTable)

    /// "string", "integer", "float", "boolean", "datetime", "array", "table" — used in
    /// type-mismatch messages. All four date/time kinds are "datetime".
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .offsetDateTime, .localDateTime, .localDate, .localTime: return "datetime"
        case .array: return "array"
        case .table: return "table"
        }
    }

    public static func == (lhs: TOMLValue, rhs: TOMLValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.float(a), .float(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.offsetDateTime(a), .offsetDateTime(b)): return a == b
        case let (.localDateTime(a), .localDateTime(b)): return a == b
        case let (.localDate(a), .localDate(b)): return a == b
        case let (.localTime(a), .localTime(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.table(a), .table(b)): return a == b
        default: return false
        }
    }
}

/// A value with where it starts in the source. For a table opened by a `[header]` or
/// `[[header]]` this is the position of the header's first `[`; for a table created implicitly
/// (by a dotted key or a header path) it is the key that first created it. A table that a header
/// path created implicitly and that is later defined (by its own `[header]`, or by dotted keys)
/// takes the position of that definition. An array of tables is at its first `[[header]]`.
public struct TOMLNode: Equatable, Sendable {
    public var value: TOMLValue
    public var position: SourcePosition

    public init(value: TOMLValue, position: SourcePosition) {
        self.value = value
        self.position = position
    }
}

/// A table that keeps its keys in document order and where each key was written.
public struct TOMLTable: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var node: TOMLNode

        public init(key: String, keyPosition: SourcePosition, node: TOMLNode) {
            self.key = key
            self.keyPosition = keyPosition
            self.node = node
        }
    }

    /// The entries in document order.
    public private(set) var entries: [Entry]
    /// Where the table was opened: its `[header]`, the inline `{`, 1:1 for the root; for
    /// implicitly created tables, the first key that created it.
    public var position: SourcePosition
    /// key -> index into `entries`
    private var index: [String: Int]

    /// An empty table.
    public init(position: SourcePosition = SourcePosition(line: 1, column: 1)) {
        self.entries = []
        self.position = position
        self.index = [:]
    }

    public subscript(key: String) -> TOMLNode? {
        guard let i = index[key] else { return nil }
        return entries[i].node
    }

    /// The keys in document order.
    public var keys: [String] { entries.map { $0.key } }

    /// Sets `key` to `node`. An existing key keeps its place in the order; a new key is appended.
    /// Returns the node that was replaced, if any.
    @discardableResult
    public mutating func updateValue(
        _ node: TOMLNode, forKey key: String, keyPosition: SourcePosition
    ) -> TOMLNode? {
        let entry = Entry(key: key, keyPosition: keyPosition, node: node)
        if let i = index[key] {
            let old = entries[i].node
            entries[i] = entry
            return old
        }
        index[key] = entries.count
        entries.append(entry)
        return nil
    }

    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.position == rhs.position && lhs.entries == rhs.entries
    }
}

/// A TOML syntax or semantic error, with where it was found.
public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    /// Lower-case, no trailing period, e.g. "expected '=' after key".
    public var message: String

    public init(position: SourcePosition, message: String) {
        self.position = position
        self.message = message
    }

    /// "LINE:COL: message"
    public var description: String { "\(position): \(message)" }
}
