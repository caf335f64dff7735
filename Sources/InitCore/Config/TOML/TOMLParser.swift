// The TOML 1.0 reader: document structure (key/value pairs, [table] and [[array]] headers,
// arrays, inline tables) and the rules about which tables may be defined or extended where.
// Scanning of keys, strings and scalars is in TOMLLexer.swift, the value model in TOMLValue.swift.
//
// Pure standard library, single pass over the bytes, no recursion deeper than
// `TOMLReader.maxDepth` levels of nesting, and no input can make it trap.

public enum TOML {
    /// Parses a TOML 1.0 document from UTF-8 bytes. A leading UTF-8 byte-order mark is skipped.
    /// Invalid UTF-8, NUL and other control characters TOML forbids are errors with a position.
    public static func parse(_ bytes: [UInt8]) throws(TOMLError) -> TOMLTable {
        var parser = TOMLDocumentParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// Parses a TOML 1.0 document.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        try parse(Array(text.utf8))
    }
}

// MARK: - Table builder

/// A table under construction. Reference semantics let headers and dotted keys reach into the
/// middle of the tree; `build()` turns the finished tree into value types.
final class TOMLTableBuilder {
    enum Kind {
        /// The document's root table.
        case root
        /// Created as an intermediate of a `[a.b.c]` / `[[a.b.c]]` header path; may later be
        /// defined by its own header once.
        case implicit
        /// Defined by a `[header]` (or an element of `[[header]]`).
        case header
        /// Created by a dotted key (`a.b = 1`); can be extended by more dotted keys in the same
        /// section, can hold sub-tables from headers, but cannot be defined by a header.
        case dotted
        /// The top of an inline table `{ ... }` while it is being parsed.
        case inline
    }

    enum Slot {
        /// A finished value: scalars, static arrays, inline tables. Cannot be extended.
        case value(TOMLNode)
        case table(TOMLTableBuilder)
        /// An array of tables built by `[[header]]`s.
        case tableArray(TOMLTableArrayBuilder)
    }

    var kind: Kind
    var position: SourcePosition
    let depth: Int
    /// The key path from the root (or from the inline table's key), for messages.
    let path: [String]
    private(set) var names: [String] = []
    var keyPositions: [SourcePosition] = []
    private(set) var slots: [Slot] = []
    private var index: [String: Int] = [:]

    init(kind: Kind, position: SourcePosition, depth: Int, path: [String]) {
        self.kind = kind
        self.position = position
        self.depth = depth
        self.path = path
    }

    func slotIndex(_ name: String) -> Int? { index[name] }

    func slot(at i: Int) -> Slot { slots[i] }

    func append(_ name: String, keyPosition: SourcePosition, _ slot: Slot) {
        index[name] = names.count
        names.append(name)
        keyPositions.append(keyPosition)
        slots.append(slot)
    }

    func build() -> TOMLTable {
        var table = TOMLTable(position: position)
        for i in names.indices {
            let node: TOMLNode
            switch slots[i] {
            case .value(let n):
                node = n
            case .table(let t):
                node = TOMLNode(value: .table(t.build()), position: t.position)
            case .tableArray(let a):
                var elements: [TOMLNode] = []
                elements.reserveCapacity(a.tables.count)
                for t in a.tables {
                    elements.append(TOMLNode(value: .table(t.build()), position: t.position))
                }
                node = TOMLNode(value: .array(elements), position: a.position)
            }
            table.updateValue(node, forKey: names[i], keyPosition: keyPositions[i])
        }
        return table
    }
}

final class TOMLTableArrayBuilder {
    let position: SourcePosition
    var tables: [TOMLTableBuilder]

    init(position: SourcePosition, first: TOMLTableBuilder) {
        self.position = position
        self.tables = [first]
    }
}

// MARK: - Document parser

struct TOMLDocumentParser {
    var reader: TOMLReader

    init(bytes: [UInt8]) {
        reader = TOMLReader(bytes: bytes)
    }

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        try reader.validateEncoding()
        let root = TOMLTableBuilder(
            kind: .root, position: SourcePosition(line: 1, column: 1), depth: 0, path: [])
        var current = root
        while true {
            reader.skipWhitespace()
            if reader.atEnd { break }
            let c = reader.peek()
            let what: String
            if c == UInt8(ascii: "#") {
                reader.skipComment()
                what = ""
            } else if TOMLReader.isNewlineByte(c) {
                reader.consumeNewline()
                continue
            } else if c == UInt8(ascii: "[") {
                current = try parseHeader(root: root)
                what = "table header"
            } else {
                try parseKeyValue(into: current)
                what = "value"
            }
            // The rest of the line may only hold whitespace and a comment.
            reader.skipWhitespace()
            if reader.peek() == UInt8(ascii: "#") { reader.skipComment() }
            if reader.atEnd { break }
            guard reader.atNewline else {
                throw reader.errorHere(
                    "expected a newline after the \(what), found \(reader.describeHere())")
            }
            reader.consumeNewline()
        }
        return root.build()
    }

    // MARK: Key/value pairs

    /// `key = value` into `table` (the current section, or an inline table being built).
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(TOMLError) {
        let parts = try reader.parseKey()
        guard reader.peek() == UInt8(ascii: "=") else {
            throw reader.errorHere("expected '=' after key")
        }
        reader.index += 1
        reader.skipWhitespace()
        guard let last = parts.last else {
            throw reader.errorHere("expected a key")
        }
        let target = try descendDotted(from: table, through: parts.dropLast())
        if let i = target.slotIndex(last.name) {
            throw duplicateKeyError(in: target, at: i, name: last.name, position: last.position)
        }
        let depth = target.depth + 1
        let valuePosition = reader.position()
        let value = try parseValue(depth: depth, path: target.path + [last.name])
        target.append(last.name, keyPosition: last.position, .value(TOMLNode(value: value, position: valuePosition)))
    }

    /// Follows the leading parts of a dotted key from `table`, creating tables as needed.
    mutating func descendDotted(
        from table: TOMLTableBuilder, through parts: ArraySlice<TOMLReader.KeyPart>
    ) throws(TOMLError) -> TOMLTableBuilder {
        var t = table
        for part in parts {
            let path = t.path + [part.name]
            if let i = t.slotIndex(part.name) {
                switch t.slot(at: i) {
                case .table(let child):
                    switch child.kind {
                    case .dotted:
                        break
                    case .implicit:
                        // Created only as an intermediate of a header path: defining it with
                        // dotted keys here is its (single) definition.
                        child.kind = .dotted
                        child.position = part.position
                        t.keyPositions[i] = part.position
                    case .header, .root, .inline:
                        throw reader.error(
                            "cannot add to table \(Self.show(path)) with dotted keys: it was defined by a [header] at \(child.position)",
                            at: part.position)
                    }
                    t = child
                case .tableArray(let array):
                    throw reader.error(
                        "cannot add to array of tables \(Self.show(path)) (defined at \(array.position)) with dotted keys",
                        at: part.position)
                case .value(let node):
                    throw notATableError(path: path, node: node, keyPosition: t.keyPositions[i], at: part.position)
                }
            } else {
                let child = try makeTable(in: t, name: part.name, kind: .dotted, position: part.position)
                t.append(part.name, keyPosition: part.position, .table(child))
                t = child
            }
        }
        return t
    }

    mutating func makeTable(
        in parent: TOMLTableBuilder, name: String, kind: TOMLTableBuilder.Kind, position: SourcePosition
    ) throws(TOMLError) -> TOMLTableBuilder {
        let depth = parent.depth + 1
        guard depth <= TOMLReader.maxDepth else {
            throw reader.error("nesting too deep (the maximum depth is \(TOMLReader.maxDepth))", at: position)
        }
        return TOMLTableBuilder(kind: kind, position: position, depth: depth, path: parent.path + [name])
    }

    func duplicateKeyError(
        in table: TOMLTableBuilder, at i: Int, name: String, position: SourcePosition
    ) -> TOMLError {
        reader.error(
            "duplicate key \(Self.show(table.path + [name])) (first defined at \(table.keyPositions[i]))",
            at: position)
    }

    func notATableError(
        path: [String], node: TOMLNode, keyPosition: SourcePosition, at position: SourcePosition
    ) -> TOMLError {
        if case .table = node.value {
            return reader.error(
                "cannot add to inline table \(Self.show(path)) (defined at \(keyPosition)): inline tables cannot be extended",
                at: position)
        }
        let type = node.value.typeName
        let article = type.first == "a" || type.first == "i" ? "an" : "a"
        return reader.error(
            "key \(Self.show(path)) (defined at \(keyPosition)) is \(article) \(type), not a table",
            at: position)
    }

    // MARK: Headers

    /// `[a.b.c]` or `[[a.b.c]]`; returns the table that following key/value pairs go into.
    mutating func parseHeader(root: TOMLTableBuilder) throws(TOMLError) -> TOMLTableBuilder {
        let headerPosition = reader.position()
        let isArray = reader.peek(1) == UInt8(ascii: "[")
        reader.index += isArray ? 2 : 1
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "]") {
            throw reader.errorHere("empty table name (use [\"\"] for an empty key)")
        }
        let parts = try reader.parseKey()
        if isArray {
            guard reader.peek() == UInt8(ascii: "]"), reader.peek(1) == UInt8(ascii: "]") else {
                // Point past a lone ']' at what should have been the second one.
                let at = reader.index + (reader.peek() == UInt8(ascii: "]") ? 1 : 0)
                throw reader.error(
                    "expected ']]' to close the array-of-tables header, found \(reader.describe(at: at))",
                    at: reader.position(at: at))
            }
            reader.index += 2
        } else {
            guard reader.peek() == UInt8(ascii: "]") else {
                throw reader.errorHere("expected ']' to close the table header, found \(reader.describeHere())")
            }
            reader.index += 1
        }
        guard let last = parts.last else { throw reader.error("expected a key", at: headerPosition) }

        // Walk (and create) the intermediate tables.
        var t = root
        for part in parts.dropLast() {
            let path = t.path + [part.name]
            if let i = t.slotIndex(part.name) {
                switch t.slot(at: i) {
                case .table(let child):
                    t = child
                case .tableArray(let array):
                    guard let element = array.tables.last else {
                        throw reader.error("internal error: empty array of tables", at: part.position)
                    }
                    t = element
                case .value(let node):
                    if case .array = node.value {
                        throw reader.error(
                            "cannot add tables to static array \(Self.show(path)) (defined at \(t.keyPositions[i]))",
                            at: part.position)
                    }
                    throw notATableError(path: path, node: node, keyPosition: t.keyPositions[i], at: part.position)
                }
            } else {
                let child = try makeTable(in: t, name: part.name, kind: .implicit, position: part.position)
                t.append(part.name, keyPosition: part.position, .table(child))
                t = child
            }
        }

        let path = t.path + [last.name]
        let shown = isArray ? "[[\(Self.display(path))]]" : "[\(Self.display(path))]"
        if let i = t.slotIndex(last.name) {
            switch t.slot(at: i) {
            case .tableArray(let array):
                guard isArray else {
                    throw reader.error(
                        "cannot define table \(shown): \(Self.show(path)) is an array of tables (defined at \(array.position))",
                        at: headerPosition)
                }
                let element = try makeTable(in: t, name: last.name, kind: .header, position: headerPosition)
                array.tables.append(element)
                return element
            case .table(let child):
                if isArray {
                    throw reader.error(
                        "cannot define array of tables \(shown): \(Self.show(path)) is already a table (defined at \(child.position))",
                        at: headerPosition)
                }
                switch child.kind {
                case .implicit:
                    child.kind = .header
                    child.position = headerPosition
                    t.keyPositions[i] = last.position
                    return child
                case .header, .root, .inline:
                    throw reader.error(
                        "duplicate table \(shown) (first defined at \(child.position))", at: headerPosition)
                case .dotted:
                    throw reader.error(
                        "cannot define table \(shown): it was already defined with dotted keys at \(child.position)",
                        at: headerPosition)
                }
            case .value(let node):
                switch node.value {
                case .table:
                    throw reader.error(
                        "cannot define table \(shown): \(Self.show(path)) is an inline table (defined at \(t.keyPositions[i])) and cannot be extended",
                        at: headerPosition)
                case .array where isArray:
                    throw reader.error(
                        "cannot append to static array \(Self.show(path)) (defined at \(t.keyPositions[i])) with \(shown)",
                        at: headerPosition)
                default:
                    throw reader.error(
                        "cannot define table \(shown): key \(Self.show(path)) is already defined (at \(t.keyPositions[i]))",
                        at: headerPosition)
                }
            }
        }
        let table = try makeTable(in: t, name: last.name, kind: .header, position: headerPosition)
        if isArray {
            t.append(last.name, keyPosition: last.position,
                     .tableArray(TOMLTableArrayBuilder(position: headerPosition, first: table)))
        } else {
            t.append(last.name, keyPosition: last.position, .table(table))
        }
        return table
    }

    // MARK: Values

    mutating func parseValue(depth: Int, path: [String]) throws(TOMLError) -> TOMLValue {
        let c = reader.peek()
        switch c {
        case UInt8(ascii: "\""):
            if reader.peek(1) == UInt8(ascii: "\"") && reader.peek(2) == UInt8(ascii: "\"") {
                return .string(try reader.parseMultilineBasicString())
            }
            return .string(try reader.parseBasicString())
        case UInt8(ascii: "'"):
            if reader.peek(1) == UInt8(ascii: "'") && reader.peek(2) == UInt8(ascii: "'") {
                return .string(try reader.parseMultilineLiteralString())
            }
            return .string(try reader.parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray(depth: depth, path: path)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth, path: path)
        default:
            if reader.atEnd || reader.atNewline || c == UInt8(ascii: "#") {
                throw reader.errorHere("expected a value, found \(reader.describeHere())")
            }
            return try reader.parseScalar()
        }
    }

    mutating func checkDepth(_ depth: Int) throws(TOMLError) {
        if depth > TOMLReader.maxDepth {
            throw reader.errorHere("nesting too deep (the maximum depth is \(TOMLReader.maxDepth))")
        }
    }

    /// `[ v, v, ... ]`; the cursor is on `[`. Newlines and comments are allowed between elements.
    mutating func parseArray(depth: Int, path: [String]) throws(TOMLError) -> TOMLValue {
        try checkDepth(depth)
        let start = reader.position()
        reader.index += 1
        var elements: [TOMLNode] = []
        while true {
            reader.skipWhitespaceCommentsAndNewlines()
            if reader.peek() == UInt8(ascii: "]") {
                reader.index += 1
                return .array(elements)
            }
            if reader.atEnd {
                throw reader.error("unterminated array (missing ']')", at: start)
            }
            if reader.peek() == UInt8(ascii: ",") {
                throw reader.errorHere("expected a value in array, found ','")
            }
            let position = reader.position()
            let value = try parseValue(depth: depth + 1, path: path)
            elements.append(TOMLNode(value: value, position: position))
            reader.skipWhitespaceCommentsAndNewlines()
            switch reader.peek() {
            case UInt8(ascii: ","):
                reader.index += 1
            case UInt8(ascii: "]"):
                reader.index += 1
                return .array(elements)
            default:
                if reader.atEnd {
                    throw reader.error("unterminated array (missing ']')", at: start)
                }
                throw reader.errorHere("expected ',' or ']' after array element, found \(reader.describeHere())")
            }
        }
    }

    /// `{ k = v, ... }`; the cursor is on `{`. TOML 1.0 inline tables are on one line and have
    /// no trailing comma.
    mutating func parseInlineTable(depth: Int, path: [String]) throws(TOMLError) -> TOMLValue {
        try checkDepth(depth)
        let start = reader.position()
        reader.index += 1
        let table = TOMLTableBuilder(kind: .inline, position: start, depth: depth, path: path)
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
            return .table(table.build())
        }
        while true {
            reader.skipWhitespace()
            if reader.atEnd {
                throw reader.error("unterminated inline table (missing '}')", at: start)
            }
            if reader.atNewline {
                throw reader.errorHere("newlines are not allowed inside an inline table")
            }
            if reader.peek() == UInt8(ascii: "}") {
                throw reader.errorHere("trailing comma is not allowed in an inline table")
            }
            try parseKeyValue(into: table)
            reader.skipWhitespace()
            switch reader.peek() {
            case UInt8(ascii: ","):
                reader.index += 1
            case UInt8(ascii: "}"):
                reader.index += 1
                return .table(table.build())
            default:
                if reader.atEnd {
                    throw reader.error("unterminated inline table (missing '}')", at: start)
                }
                if reader.atNewline {
                    throw reader.errorHere("newlines are not allowed inside an inline table")
                }
                throw reader.errorHere("expected ',' or '}' in inline table, found \(reader.describeHere())")
            }
        }
    }

    // MARK: Messages

    /// A key path as written in TOML: bare components as-is, others quoted.
    static func display(_ path: [String]) -> String {
        var out = ""
        for (n, part) in path.enumerated() {
            if n > 0 { out += "." }
            if !part.isEmpty && part.utf8.allSatisfy({ TOMLReader.isBareKeyByte($0) }) {
                out += part
            } else {
                out += "\""
                for scalar in part.unicodeScalars {
                    switch scalar {
                    case "\"": out += "\\\""
                    case "\\": out += "\\\\"
                    case "\n": out += "\\n"
                    case "\t": out += "\\t"
                    default:
                        if scalar.value < 0x20 || scalar.value == 0x7F {
                            out += "\\u" + TOMLReader.hex(scalar.value, digits: 4)
                        } else {
                            out.unicodeScalars.append(scalar)
                        }
                    }
                }
                out += "\""
            }
        }
        return out
    }

    /// A key path in quotes for messages: 'a.b'.
    static func show(_ path: [String]) -> String { "'\(display(path))'" }
}
