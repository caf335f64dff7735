// Fuzz target: the TOML 1.0 reader (Sources/InitCore/Config/TOML/).
//
// Invariants beyond "does not crash":
// - on success every position (root table, each key, each value, array elements, nested
//   tables) is on a line of the input and at a column that exists on that line;
// - on failure the message is non-empty and the position is at most one line past the end
//   (line <= lines + 1) with column >= 1;
// - parsing is deterministic (a second parse gives an equal result or the same error).
import FuzzSupport
import InitCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let lines = LineTable(input)
    let first: Result<TOMLTable, TOMLError>
    do {
        first = .success(try TOML.parse(input))
    } catch {
        first = .failure(error)
    }
    switch first {
    case .success(let table):
        checkTable(table, lines, path: "")
    case .failure(let error):
        check(!error.message.isEmpty, "TOML error without a message at \(error.position)")
        check(error.position.line >= 1 && error.position.line <= lines.count + 1,
              "TOML error line \(error.position.line) outside 1...\(lines.count + 1): \(error)")
        check(error.position.column >= 1, "TOML error column < 1: \(error)")
    }
    // Determinism.
    let second: Result<TOMLTable, TOMLError>
    do { second = .success(try TOML.parse(input)) } catch { second = .failure(error) }
    check(first == second, "TOML.parse is not deterministic")
    return 0
}

/// Lines as SourcePosition counts them: split at LF (a CRLF line keeps its CR here, which is
/// one extra allowed column); columns are Unicode scalars, a leading BOM is not counted.
struct LineTable {
    /// Scalars on each line, without the LF; nil when the line is not valid UTF-8.
    var scalarCounts: [Int?] = []
    var count: Int { scalarCounts.count }

    init(_ bytes: [UInt8]) {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var i = start
        while true {
            let end = bytes[i...].firstIndex(of: 0x0A) ?? bytes.count
            scalarCounts.append(Self.scalars(bytes[i..<end]))
            if end == bytes.count { break }
            i = end + 1
        }
    }

    static func scalars(_ slice: ArraySlice<UInt8>) -> Int? {
        var n = 0
        var decoder = UTF8()
        var it = slice.makeIterator()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue: n += 1
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        return n
    }
}

func checkPosition(_ p: SourcePosition, _ lines: LineTable, _ what: @autoclosure () -> String, isRoot: Bool = false) {
    check(p.line >= 1 && p.line <= lines.count, "\(what()) at \(p): line outside 1...\(lines.count)")
    check(p.column >= 1, "\(what()) at \(p): column < 1")
    // The root table is at 1:1 even when the first line is empty.
    if !isRoot, p.line >= 1 && p.line <= lines.count, let n = lines.scalarCounts[p.line - 1] {
        // A node starts at a character of its line.
        check(p.column <= n, "\(what()) at \(p): column past the end of the line (\(n) characters)")
    }
}

func checkTable(_ table: TOMLTable, _ lines: LineTable, path: String) {
    checkPosition(table.position, lines, "table '\(path)'", isRoot: path.isEmpty)
    var seen = Set<String>()
    for entry in table.entries {
        let keyPath = path.isEmpty ? escaped(entry.key) : path + "." + escaped(entry.key)
        check(seen.insert(entry.key).inserted, "duplicate key \(keyPath) in a parsed table")
        check(table[entry.key] == entry.node, "subscript disagrees with entries for \(keyPath)")
        checkPosition(entry.keyPosition, lines, "key \(keyPath)")
        checkNode(entry.node, lines, path: keyPath)
    }
    check(table.keys.count == table.entries.count, "keys/entries count mismatch in '\(path)'")
}

func checkNode(_ node: TOMLNode, _ lines: LineTable, path: String) {
    checkPosition(node.position, lines, "value of \(path)")
    switch node.value {
    case .array(let elements):
        for (i, element) in elements.enumerated() { checkNode(element, lines, path: "\(path)[\(i)]") }
    case .table(let table):
        checkTable(table, lines, path: path)
    case .offsetDateTime(let d), .localDateTime(let d), .localDate(let d), .localTime(let d):
        check(d.nanosecond >= 0 && d.nanosecond < 1_000_000_000, "\(path): nanosecond \(d.nanosecond) out of range")
        check(d.hour >= 0 && d.hour <= 23 && d.minute >= 0 && d.minute <= 59 && d.second >= 0 && d.second <= 60,
              "\(path): time fields out of range: \(d)")
        if case .localTime = node.value {} else {
            check(d.month >= 1 && d.month <= 12 && d.day >= 1
                  && d.day <= CivilTime.daysInMonth(year: d.year, month: d.month),
                  "\(path): date fields out of range: \(d)")
        }
        if let off = d.offsetMinutes { check(off > -24 * 60 && off < 24 * 60, "\(path): offset \(off) min out of range") }
    default:
        break
    }
}
