// Unit tests of the TOML reader: values, document order and source positions, and the error
// messages and exact positions for typical configuration mistakes.

import InitCore
import Testing

private func parse(_ text: String) throws(TOMLError) -> TOMLTable { try TOML.parse(text) }

/// The error `text` is rejected with, or nil if it parses.
private func failure(_ text: String) -> TOMLError? {
    do {
        _ = try TOML.parse(text)
        return nil
    } catch {
        return error
    }
}

private func failure(_ bytes: [UInt8]) -> TOMLError? {
    do {
        _ = try TOML.parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func pos(_ line: Int, _ column: Int) -> SourcePosition { SourcePosition(line: line, column: column) }

private func err(_ line: Int, _ column: Int, _ message: String) -> TOMLError {
    TOMLError(position: pos(line, column), message: message)
}

@Suite struct TOMLValueTests {
    @Test func scalars() throws {
        let t = try parse(
            """
            s = "a\\tb \\u00e9 \\U0001F600"
            lit = 'C:\\path'
            i = -42
            hex = 0xDEAD_beef
            oct = 0o755
            bin = 0b1010
            f = 6.626e-34
            inf = -inf
            b = true
            odt = 1979-05-27T07:32:00.999999999999-07:30
            ldt = 1979-05-27 07:32:00
            ld = 1979-05-27
            lt = 07:32:00.5
            min = -9223372036854775808
            max = 9223372036854775807
            """)
        #expect(t["s"]?.value == .string("a\tb é 😀"))
        #expect(t["lit"]?.value == .string("C:\\path"))
        #expect(t["i"]?.value == .integer(-42))
        #expect(t["hex"]?.value == .integer(0xDEAD_BEEF))
        #expect(t["oct"]?.value == .integer(0o755))
        #expect(t["bin"]?.value == .integer(10))
        #expect(t["f"]?.value == .float(6.626e-34))
        #expect(t["inf"]?.value == .float(-.infinity))
        #expect(t["b"]?.value == .boolean(true))
        #expect(
            t["odt"]?.value
                == .offsetDateTime(
                    TOMLDateTime(
                        year: 1979, month: 5, day: 27, hour: 7, minute: 32, second: 0,
                        nanosecond: 999_999_999, offsetMinutes: -450)))
        #expect(
            t["ldt"]?.value
                == .localDateTime(TOMLDateTime(year: 1979, month: 5, day: 27, hour: 7, minute: 32)))
        #expect(t["ld"]?.value == .localDate(TOMLDateTime(year: 1979, month: 5, day: 27)))
        #expect(t["lt"]?.value == .localTime(TOMLDateTime(hour: 7, minute: 32, nanosecond: 500_000_000)))
        #expect(t["min"]?.value == .integer(.min))
        #expect(t["max"]?.value == .integer(.max))
    }

    @Test func multilineStrings() throws {
        let t = try parse("a = \"\"\"\r\none\r\ntwo \\\r\n    three\"\"\"\nb = '''\n x''''\n")
        #expect(t["a"]?.value == .string("one\ntwo three"))
        #expect(t["b"]?.value == .string(" x'"))
    }

    @Test func typeNames() throws {
        let t = try parse(
            "s='x'\ni=1\nf=1.0\nb=false\nd=2000-01-01\nt=00:00:00\nl=2000-01-01T00:00:00\no=2000-01-01T00:00:00Z\na=[]\nt2={}")
        let names = t.entries.map { $0.node.value.typeName }
        #expect(names == ["string", "integer", "float", "boolean", "datetime", "datetime", "datetime", "datetime", "array", "table"])
    }

    @Test func nanEqualsItself() throws {
        let a = try parse("x = nan")
        let b = try parse("x = nan")
        #expect(a == b)
        #expect(TOMLValue.float(.nan) != .float(1))
    }

    @Test func documentOrderAndLookup() throws {
        let t = try parse("zeta = 1\nalpha = 2\n[mid]\nk = 3\n[[arr]]\n[[arr]]\n")
        #expect(t.keys == ["zeta", "alpha", "mid", "arr"])
        #expect(t["alpha"]?.value == .integer(2))
        #expect(t["missing"] == nil)
        guard case .array(let arr)? = t["arr"]?.value else {
            Issue.record("arr is not an array")
            return
        }
        #expect(arr.count == 2)
    }

    @Test func tableDefinitionRules() throws {
        // A super-table may be defined after its sub-tables; each [[a]] element gets its own [a.b].
        let t = try parse("[x.y.z]\nk = 1\n[x]\nj = 2\n[[a]]\n[a.b]\nn = 1\n[[a]]\n[a.b]\nn = 2\n")
        guard case .array(let elements)? = t["a"]?.value, elements.count == 2,
            case .table(let second) = elements[1].value, case .table(let b)? = second["b"]?.value
        else {
            Issue.record("unexpected shape: \(t)")
            return
        }
        #expect(b["n"]?.value == .integer(2))
        // Sub-tables may be added under a table made by dotted keys ...
        _ = try parse("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n")
        // ... and dotted keys may define a table that a header path only created implicitly,
        // after which that table counts as defined by dotted keys.
        _ = try parse("[a.b.c]\n[a]\nb.x = 1\n")
        #expect(
            failure("[a.b.c]\n[a]\nb.x = 1\n[a.b]\n")
                == err(4, 1, "cannot define table [a.b]: it was already defined with dotted keys at 3:1"))
    }

    @Test func bytesAndStringAgree() throws {
        let text = "a = 'é'\n[b]\nc = [1, 2]\n"
        #expect(try TOML.parse(text) == TOML.parse(Array(text.utf8)))
    }

    @Test func tableMutation() {
        var t = TOMLTable()
        t.updateValue(TOMLNode(value: .integer(1), position: pos(1, 5)), forKey: "a", keyPosition: pos(1, 1))
        t.updateValue(TOMLNode(value: .integer(2), position: pos(2, 5)), forKey: "b", keyPosition: pos(2, 1))
        let old = t.updateValue(TOMLNode(value: .integer(3), position: pos(3, 5)), forKey: "a", keyPosition: pos(3, 1))
        #expect(old?.value == .integer(1))
        #expect(t.keys == ["a", "b"])
        #expect(t["a"]?.value == .integer(3))
        #expect(t.position == pos(1, 1))
    }

    @Test func descriptions() {
        #expect(pos(3, 14).description == "3:14")
        #expect(err(2, 7, "expected '=' after key").description == "2:7: expected '=' after key")
    }
}

@Suite struct TOMLPositionTests {
    @Test func keyAndValuePositions() throws {
        let t = try parse("# comment\n  name = \"x\"\nport=80\n")
        let entries = t.entries
        #expect(entries.count == 2)
        #expect(entries[0].keyPosition == pos(2, 3))
        #expect(entries[0].node.position == pos(2, 10))
        #expect(entries[1].keyPosition == pos(3, 1))
        #expect(entries[1].node.position == pos(3, 6))
        #expect(t.position == pos(1, 1))
    }

    @Test func columnsCountUnicodeScalars() throws {
        // 'é' is 2 bytes and '😀' 4 bytes in UTF-8: each counts as one column, as does a tab.
        let t = try parse("\"é😀\" = \"ü\"\n\tx = 'ü' # ü\n")
        #expect(t.entries.map { $0.keyPosition } == [pos(1, 1), pos(2, 2)])
        #expect(t.entries.map { $0.node.position } == [pos(1, 8), pos(2, 6)])
    }

    @Test func columnsCountUnicodeScalarsInErrors() {
        #expect(failure("s = \"é😀ü\" junk\n") == err(1, 11, "expected a newline after the value, found 'j'"))
        #expect(failure("\"é\" = 1\n\t\"é\" = 2\n") == err(2, 2, "duplicate key '\"é\"' (first defined at 1:1)"))
    }

    @Test func byteOrderMarkIsNotAColumn() throws {
        let t = try TOML.parse([0xEF, 0xBB, 0xBF] + Array("a = 1\n".utf8))
        #expect(t.entries.first?.keyPosition == pos(1, 1))
        #expect(t.entries.first?.node.position == pos(1, 5))
        #expect(failure([0xEF, 0xBB, 0xBF] + Array("a 1".utf8)) == err(1, 3, "expected '=' after key"))
    }

    @Test func crlfLines() throws {
        let t = try parse("a = 1\r\n\r\nb = \"\"\"\r\nx\r\n\"\"\"\r\nc = 3\r\n")
        #expect(t.entries.map { $0.keyPosition } == [pos(1, 1), pos(3, 1), pos(6, 1)])
        #expect(t["b"]?.value == .string("x\n"))
    }

    @Test func tablePositions() throws {
        let t = try parse(
            """
            [server]
            host = "h"
            [a.b]
            x.y = 1
            inline = { k = 1 }
            [[jobs]]
            [[jobs]]
            """)
        // [header]: the table and its node start at '['; the key at its name.
        let server = try #require(t.entries.first { $0.key == "server" })
        #expect(server.keyPosition == pos(1, 2))
        #expect(server.node.position == pos(1, 1))
        guard case .table(let serverTable) = server.node.value else {
            Issue.record("server is not a table")
            return
        }
        #expect(serverTable.position == pos(1, 1))
        #expect(serverTable["host"]?.position == pos(2, 8))

        // Implicitly created by a header path: the key that created it.
        let a = try #require(t["a"])
        #expect(a.position == pos(3, 2))
        guard case .table(let aTable) = a.value, case .table(let bTable)? = aTable["b"]?.value else {
            Issue.record("a.b missing")
            return
        }
        #expect(aTable.position == pos(3, 2))
        #expect(aTable.entries.first?.keyPosition == pos(3, 4))
        #expect(bTable.position == pos(3, 1))
        // Created by a dotted key: the key part that created it.
        guard case .table(let xTable)? = bTable["x"]?.value else {
            Issue.record("x missing")
            return
        }
        #expect(xTable.position == pos(4, 1))
        #expect(xTable.entries.first?.keyPosition == pos(4, 3))
        #expect(xTable["y"]?.position == pos(4, 7))
        // Inline table: its '{'.
        guard case .table(let inline)? = bTable["inline"]?.value else {
            Issue.record("inline missing")
            return
        }
        #expect(inline.position == pos(5, 10))
        #expect(inline.entries.first?.keyPosition == pos(5, 12))
        // Array of tables: the node is the first [[header]], each element its own header.
        let jobs = try #require(t["jobs"])
        #expect(jobs.position == pos(6, 1))
        guard case .array(let elements) = jobs.value else {
            Issue.record("jobs is not an array")
            return
        }
        #expect(elements.map { $0.position } == [pos(6, 1), pos(7, 1)])
    }

    @Test func implicitTableTakesPositionOfItsDefinition() throws {
        let t = try parse("[a.b]\n[a]\nx = 1\n")
        let a = try #require(t.entries.first)
        #expect(a.keyPosition == pos(2, 2))
        #expect(a.node.position == pos(2, 1))
    }

    @Test func arrayElementPositions() throws {
        let t = try parse("a = [\n  1,\n  'two', # c\n  [3],\n]\n")
        guard case .array(let items)? = t["a"]?.value else {
            Issue.record("a is not an array")
            return
        }
        #expect(items.map { $0.position } == [pos(2, 3), pos(3, 3), pos(4, 3)])
        #expect(t["a"]?.position == pos(1, 5))
    }

    @Test func positionsAfterMultilineString() throws {
        let t = try parse("a = \"\"\"\none\ntwo\"\"\"\nb = 1\n")
        #expect(t.entries.map { $0.keyPosition } == [pos(1, 1), pos(4, 1)])
        #expect(failure("a = '''\none\ntwo'''  junk") == err(3, 9, "expected a newline after the value, found 'j'"))
    }
}

@Suite struct TOMLErrorTests {
    @Test func missingEquals() {
        #expect(failure("name \"swinit\"\n") == err(1, 6, "expected '=' after key"))
        #expect(failure("[service]\ncommand\n") == err(2, 8, "expected '=' after key"))
        #expect(failure("= 1\n") == err(1, 1, "missing key before '='"))
    }

    @Test func missingValue() {
        #expect(failure("a = \n") == err(1, 5, "expected a value, found newline"))
        #expect(failure("a = # nothing\n") == err(1, 5, "expected a value, found '#'"))
        #expect(failure("a =") == err(1, 4, "expected a value, found end of file"))
    }

    @Test func unterminatedStrings() {
        #expect(failure("a = \"abc\nb = 1\n") == err(1, 5, "unterminated string (missing closing '\"')"))
        #expect(failure("x = 1\n  a = 'abc") == err(2, 7, "unterminated string (missing closing \"'\")"))
        #expect(
            failure("a = \"\"\"\nabc\n") == err(1, 5, "unterminated multi-line string (missing closing '\"\"\"')"))
        #expect(
            failure("a = '''abc") == err(1, 5, "unterminated multi-line string (missing closing \"'''\")"))
    }

    @Test func duplicateKeys() {
        #expect(failure("name = 1\nname = 2\n") == err(2, 1, "duplicate key 'name' (first defined at 1:1)"))
        #expect(
            failure("[server]\nport = 1\n  port = 2\n")
                == err(3, 3, "duplicate key 'server.port' (first defined at 2:1)"))
        #expect(failure("a = {b = 1, b = 2}") == err(1, 13, "duplicate key 'a.b' (first defined at 1:6)"))
        #expect(
            failure("a.\"b c\".d = 1\na.\"b c\".d = 2\n")
                == err(2, 9, "duplicate key 'a.\"b c\".d' (first defined at 1:9)"))
        #expect(failure("spelling = 1\n\"spelling\" = 2") == err(2, 1, "duplicate key 'spelling' (first defined at 1:1)"))
    }

    @Test func tableRedefinition() {
        #expect(failure("[a]\nx = 1\n\n[a]\n") == err(4, 1, "duplicate table [a] (first defined at 1:1)"))
        #expect(failure("[a.b]\n[a]\n[a]\n") == err(3, 1, "duplicate table [a] (first defined at 2:1)"))
        #expect(
            failure("[fruit]\napple.color = 'red'\n[fruit.apple]\n")
                == err(3, 1, "cannot define table [fruit.apple]: it was already defined with dotted keys at 2:1"))
        #expect(
            failure("[[a]]\n[a]\n") == err(2, 1, "cannot define table [a]: 'a' is an array of tables (defined at 1:1)"))
        #expect(
            failure("a = [1]\n[[a]]\n") == err(2, 1, "cannot append to static array 'a' (defined at 1:1) with [[a]]"))
        #expect(
            failure("a = {}\n[a]\n")
                == err(2, 1, "cannot define table [a]: 'a' is an inline table (defined at 1:1) and cannot be extended"))
        #expect(
            failure("a = 1\n[a]\n") == err(2, 1, "cannot define table [a]: key 'a' is already defined (at 1:1)"))
    }

    @Test func extendingTablesWithDottedKeys() {
        #expect(failure("x = 1\nx.y = 2\n") == err(2, 1, "key 'x' (defined at 1:1) is an integer, not a table"))
        #expect(
            failure("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n")
                == err(4, 3, "cannot add to table 'a.b.c' with dotted keys: it was defined by a [header] at 1:1"))
        #expect(
            failure("a = { b = 1 }\na.c = 2\n")
                == err(2, 1, "cannot add to inline table 'a' (defined at 1:1): inline tables cannot be extended"))
        #expect(
            failure("[[a.b]]\n[a]\nb.y = 2\n")
                == err(3, 1, "cannot add to array of tables 'a.b' (defined at 1:1) with dotted keys"))
    }

    @Test func badEscapes() {
        let valid = "(valid escapes: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)"
        #expect(
            failure("path = \"C:\\Users\"\n")
                == err(1, 11, "invalid unicode escape: '\\U' must be followed by 8 hex digits"))
        #expect(failure("a = \"x\\qy\"") == err(1, 7, "invalid escape sequence '\\q' \(valid)"))
        #expect(failure("a = \"\"\"\nline\n  \\e\"\"\"") == err(3, 3, "invalid escape sequence '\\e' \(valid)"))
        #expect(failure("a = \"\\u12\"") == err(1, 6, "invalid unicode escape: '\\u' must be followed by 4 hex digits"))
        #expect(failure("a = \"\\uD800\"") == err(1, 6, "invalid unicode escape '\\uD800': not a Unicode scalar value"))
        #expect(
            failure("a = \"\\U00110000\"") == err(1, 6, "invalid unicode escape '\\U00110000': not a Unicode scalar value"))
    }

    @Test func invalidUTF8() {
        #expect(failure(Array("a = \"x".utf8) + [0xFF] + Array("\"\n".utf8)) == err(1, 7, "invalid UTF-8 byte 0xFF"))
        // The column counts the preceding two-byte 'é' as one.
        #expect(
            failure(Array("a = 1\nb = \"é".utf8) + [0xC3, 0x28] + Array("\"\n".utf8))
                == err(2, 7, "invalid UTF-8 sequence starting with byte 0xC3"))
        // Overlong encoding of '/' and an encoded surrogate.
        #expect(failure(Array("# ".utf8) + [0xC0, 0xAF]) == err(1, 3, "invalid UTF-8 byte 0xC0"))
        #expect(
            failure(Array("a = '".utf8) + [0xED, 0xA0, 0x80] + Array("'".utf8))
                == err(1, 6, "invalid UTF-8 sequence starting with byte 0xED"))
        // Truncated at the end of the input.
        #expect(failure(Array("a = 'x'\n#".utf8) + [0xE2, 0x82]) == err(2, 2, "invalid UTF-8 sequence starting with byte 0xE2"))
    }

    @Test func controlCharacters() {
        #expect(failure(Array("a = 1\nb = \"".utf8) + [0x00] + Array("\"\n".utf8)) == err(2, 6, "NUL byte (U+0000) is not allowed"))
        #expect(failure("a = 1\u{0}") == err(1, 6, "NUL byte (U+0000) is not allowed"))
        #expect(failure("a = \"bell\u{7}\"") == err(1, 10, "control character U+0007 is not allowed"))
        #expect(failure("# comment \u{7F}\n") == err(1, 11, "control character U+007F is not allowed"))
        #expect(failure("a = 1\rb = 2") == err(1, 6, "carriage return (U+000D) must be followed by a line feed"))
    }

    @Test func deepNesting() throws {
        // 256 levels are fine, 257 are not; the error points at the opening bracket that is too deep.
        _ = try parse("a = " + String(repeating: "[", count: 256) + String(repeating: "]", count: 256))
        #expect(
            failure("a = " + String(repeating: "[", count: 100_000))
                == err(1, 261, "nesting too deep (the maximum depth is 256)"))
        #expect(
            failure("a = " + String(repeating: "{b=", count: 100_000))
                == err(1, 5 + 256 * 3, "nesting too deep (the maximum depth is 256)"))
        let path = Array(repeating: "k", count: 100_000).joined(separator: ".")
        #expect(failure("[\(path)]") == err(1, 2 + 256 * 2, "nesting too deep (the maximum depth is 256)"))
        #expect(failure("\(path) = 1") == err(1, 1 + 256 * 2, "nesting too deep (the maximum depth is 256)"))
    }

    @Test func integerOverflow() throws {
        #expect(
            failure("limit = 9223372036854775808\n")
                == err(1, 9, "integer '9223372036854775808' is out of range for a 64-bit signed integer"))
        #expect(
            failure("limit = -9223372036854775809")
                == err(1, 9, "integer '-9223372036854775809' is out of range for a 64-bit signed integer"))
        #expect(
            failure("limit = 0x8000_0000_0000_0000")
                == err(1, 9, "integer '0x8000_0000_0000_0000' is out of range for a 64-bit signed integer"))
        #expect(
            failure("limit = 99999999999999999999999999999999")
                == err(1, 9, "integer '99999999999999999999999999999999' is out of range for a 64-bit signed integer"))
        #expect(failure("x = 1e400") == err(1, 5, "float '1e400' is out of range for a 64-bit float"))
        #expect(try parse("x = 0x7FFF_FFFF_FFFF_FFFF")["x"]?.value == .integer(.max))
    }

    @Test func badNumbersAndWords() {
        #expect(failure("a = 01") == err(1, 5, "invalid integer '01': leading zeros are not allowed"))
        #expect(failure("a = 1__0") == err(1, 5, "invalid integer '1__0': '_' must be between digits"))
        #expect(failure("a = 1.") == err(1, 5, "invalid float '1.': expected digits after '.'"))
        #expect(
            failure("a = +0x10")
                == err(1, 5, "invalid integer '+0x10': hexadecimal, octal and binary integers cannot have a sign"))
        #expect(failure("user = nobody") == err(1, 8, "invalid value 'nobody' (strings must be quoted, e.g. \"nobody\")"))
        #expect(failure("enabled = True") == err(1, 11, "invalid value 'True' (strings must be quoted, e.g. \"True\")"))
    }

    @Test func badDates() {
        #expect(failure("d = 2021-02-29") == err(1, 5, "invalid date '2021-02-29': day 29 is out of range for month 2"))
        #expect(failure("d = 2021-13-01") == err(1, 5, "invalid date '2021-13-01': month must be 01-12"))
        #expect(
            failure("d = 2021-01-01T24:00:00Z")
                == err(1, 5, "invalid time in '2021-01-01T24:00:00Z': hour must be 00-23"))
        #expect(failure("t = 12:30") == err(1, 5, "invalid local time '12:30' (expected HH:MM:SS[.fraction])"))
    }

    @Test func structuralMistakes() {
        #expect(failure("a = 1 b = 2\n") == err(1, 7, "expected a newline after the value, found 'b'"))
        #expect(failure("[a] x = 1\n") == err(1, 5, "expected a newline after the table header, found 'x'"))
        #expect(failure("[a\nx = 1") == err(1, 3, "expected ']' to close the table header, found newline"))
        #expect(
            failure("[[a]\nx = 1") == err(1, 5, "expected ']]' to close the array-of-tables header, found newline"))
        #expect(failure("[]") == err(1, 2, "empty table name (use [\"\"] for an empty key)"))
        #expect(failure("a = [1, 2\n") == err(1, 5, "unterminated array (missing ']')"))
        #expect(failure("a = [1 2]") == err(1, 8, "expected ',' or ']' after array element, found '2'"))
        #expect(failure("a = [,]") == err(1, 6, "expected a value in array, found ','"))
        #expect(failure("a = {x = 1,}") == err(1, 12, "trailing comma is not allowed in an inline table"))
        #expect(failure("a = {x = 1\n}") == err(1, 11, "newlines are not allowed inside an inline table"))
        #expect(failure("a = {x = 1") == err(1, 5, "unterminated inline table (missing '}')"))
        #expect(failure("bare!key = 1") == err(1, 5, "invalid character '!' in bare key"))
        #expect(failure("μ = 1") == err(1, 1, "invalid character 'μ' (U+03BC) in bare key (quote the key: \"...\")"))
        #expect(failure("\"\"\"k\"\"\" = 1") == err(1, 1, "a multi-line string cannot be used as a key"))
    }

    @Test func neverCrashesOnMutatedInput() {
        // Truncations and single-byte mutations of a document touching every construct.
        let doc = Array(
            """
            # swinit
            name = "web" # c
            esc = "\\u00e9\\n\\"q\\""
            raw = 'x'
            ml = \"\"\"
            a \\
              b\"\"\"
            mll = '''
            x'''
            n = [1, 0x1f, 0o7, 0b1, -3_000, 1.5e3, inf, nan, true]
            d = [1979-05-27T07:32:00Z, 1979-05-27 07:32:00.5, 1979-05-27, 07:32:00]
            t = { a.b = 1, c = [{ d = 2 }] }
            [server.http]
            port = 8080
            [[jobs]]
            cmd.args = ["a"]
            """.utf8)
        let replacements: [UInt8] = [0x00, 0x0A, 0x0D, 0x22, 0x27, 0x5B, 0x5D, 0x7B, 0x7D, 0x2E, 0x3D, 0x2C, 0x5C, 0x23, 0x20, 0xFF, 0xC3, 0x31, 0x5F]
        var parsed = 0
        for n in 0...doc.count {
            if (try? TOML.parse(Array(doc[0..<n]))) != nil { parsed += 1 }
        }
        for i in doc.indices {
            for r in replacements {
                var mutated = doc
                mutated[i] = r
                if (try? TOML.parse(mutated)) != nil { parsed += 1 }
            }
        }
        #expect(parsed > 0)
        #expect((try? TOML.parse(doc)) != nil)
    }
}
