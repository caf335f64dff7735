// Runs the public toml-test suite (https://github.com/toml-lang/toml-test) against the TOML reader:
// every file listed in tests/files-toml-1.0.0 must behave — valid/**.toml decodes to exactly the
// value in its tagged-JSON twin, invalid/**.toml is rejected with a TOMLError.
//
// The suite is located relative to this file: <package root>/../shared/toml-test.

import Foundation
import InitCore
import Testing

/// Files of the 1.0.0 list that are allowed to misbehave, with the reason. Keep this empty unless
/// a case is genuinely impossible to satisfy.
private let knownExceptions: [String: String] = [:]

@Suite struct TOMLConformanceTests {
    static var suiteDirectory: URL {
        // #filePath = <root>/Tests/InitCoreTests/TOMLConformanceTests.swift
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // InitCoreTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("../shared/toml-test")
            .standardizedFileURL
    }

    @Test func tomlTest_1_0_0() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let testsDirectory = Self.suiteDirectory.appendingPathComponent("tests")
        let listURL = testsDirectory.appendingPathComponent("files-toml-1.0.0")
        guard let list = try? String(contentsOf: listURL, encoding: .utf8) else {
            Issue.record(
                "toml-test suite not found: expected the file list at \(listURL.path) (the suite must live at <package root>/../shared/toml-test)")
            return
        }
        let files = list.split(whereSeparator: { $0.isNewline }).map(String.init).filter { $0.hasSuffix(".toml") }
        var validTotal = 0, validPassed = 0, invalidTotal = 0, invalidPassed = 0
        var failures: [String] = []
        var unexpectedPasses: [String] = []

        for file in files {
            let isValid = file.hasPrefix("valid/")
            if isValid { validTotal += 1 } else { invalidTotal += 1 }
            let url = testsDirectory.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                failures.append("\(file): cannot read file")
                continue
            }
            let problem: String?
            if isValid {
                problem = Self.checkValid(bytes: [UInt8](data), jsonURL: url.deletingPathExtension().appendingPathExtension("json"))
            } else {
                do {
                    let table = try TOML.parse([UInt8](data))
                    problem = "accepted invalid document (keys: \(table.keys))"
                } catch {
                    problem = nil
                }
            }
            if let problem {
                if knownExceptions[file] == nil { failures.append("\(file): \(problem)") }
            } else {
                if isValid { validPassed += 1 } else { invalidPassed += 1 }
                if knownExceptions[file] != nil { unexpectedPasses.append(file) }
            }
        }

        let elapsed = clock.now - started
        print("toml-test 1.0.0: \(validPassed)/\(validTotal) valid, \(invalidPassed)/\(invalidTotal) invalid passed (\(knownExceptions.count) known exceptions) in \(elapsed)")
        #expect(validTotal > 0 && invalidTotal > 0, "the toml-test file list names no tests")
        #expect(failures.isEmpty, "toml-test files that did not behave:\n\(failures.joined(separator: "\n"))")
        #expect(unexpectedPasses.isEmpty, "known exceptions that now pass (remove them): \(unexpectedPasses)")
    }

    /// Every .toml file in the suite (TOML 1.1 ones too) and every prefix of it must either parse
    /// or be rejected with a TOMLError — a crash here takes the test process down.
    @Test func suiteFilesAndTheirTruncationsNeverCrash() throws {
        let testsDirectory = Self.suiteDirectory.appendingPathComponent("tests")
        guard let enumerator = FileManager.default.enumerator(atPath: testsDirectory.path) else {
            Issue.record("toml-test suite not found at \(testsDirectory.path)")
            return
        }
        var files = 0, parses = 0
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".toml"),
                let data = FileManager.default.contents(atPath: testsDirectory.appendingPathComponent(relative).path)
            else { continue }
            files += 1
            let bytes = [UInt8](data)
            for n in 0...bytes.count {
                _ = try? TOML.parse(Array(bytes[0..<n]))
                parses += 1
            }
        }
        #expect(files > 700, "expected the whole toml-test suite, found \(files) .toml files")
        #expect(parses > files)
    }

    /// The comparison used above must notice differences, or the conformance run proves nothing.
    @Test func comparatorDetectsMismatches() throws {
        let table = try TOML.parse(
            "s = 'x'\ni = 1\nf = -0.0\nd = 1979-05-27T07:32:00.5-07:00\na = [1]\nt = { k = true }")
        let good: [String: Any] = [
            "s": ["type": "string", "value": "x"],
            "i": ["type": "integer", "value": "1"],
            "f": ["type": "float", "value": "-0"],
            "d": ["type": "datetime", "value": "1979-05-27 07:32:00.500-07:00"],
            "a": [["type": "integer", "value": "1"]],
            "t": ["k": ["type": "bool", "value": "true"]],
        ]
        #expect(Self.compare(good, .table(table), path: "") == nil)
        let variants: [(String, Any)] = [
            ("s", ["type": "string", "value": "y"]),
            ("i", ["type": "float", "value": "1"]),
            ("f", ["type": "float", "value": "0"]),
            ("d", ["type": "datetime-local", "value": "1979-05-27T07:32:00.5"]),
            ("d", ["type": "datetime", "value": "1979-05-27T07:32:00.5Z"]),
            ("a", [["type": "integer", "value": "1"], ["type": "integer", "value": "2"]]),
            ("t", ["k": ["type": "bool", "value": "false"]]),
            ("extra", ["type": "string", "value": "x"]),
        ]
        for (key, value) in variants {
            var bad = good
            bad[key] = value
            #expect(Self.compare(bad, .table(table), path: "") != nil, "mismatch at \(key) not detected")
        }
    }

    /// nil if `bytes` parses to exactly the tagged JSON in `jsonURL`, otherwise what went wrong.
    static func checkValid(bytes: [UInt8], jsonURL: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: jsonURL.path),
            let expected = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return "cannot read expected JSON \(jsonURL.lastPathComponent)" }
        let table: TOMLTable
        do {
            table = try TOML.parse(bytes)
        } catch {
            return "rejected valid document: \(error)"
        }
        return compare(expected, .table(table), path: "")
    }

    /// Compares toml-test tagged JSON with a parsed value; nil if equal.
    static func compare(_ expected: Any, _ actual: TOMLValue, path: String) -> String? {
        let here = path.isEmpty ? "<root>" : path
        if let dict = expected as? [String: Any],
            dict.count == 2, let type = dict["type"] as? String, let text = dict["value"] as? String
        {
            return compareLeaf(type: type, text: text, actual, path: here)
        }
        if let dict = expected as? [String: Any] {
            guard case .table(let table) = actual else { return "\(here): expected table, got \(actual.typeName)" }
            if Set(dict.keys) != Set(table.keys) {
                return "\(here): expected keys \(dict.keys.sorted()), got \(table.keys.sorted())"
            }
            if table.keys.count != Set(table.keys).count { return "\(here): duplicate keys \(table.keys)" }
            for (key, value) in dict {
                guard let node = table[key] else { return "\(here): missing key \(key)" }
                if let problem = compare(value, node.value, path: path.isEmpty ? key : "\(path).\(key)") {
                    return problem
                }
            }
            return nil
        }
        if let array = expected as? [Any] {
            guard case .array(let nodes) = actual else { return "\(here): expected array, got \(actual.typeName)" }
            guard nodes.count == array.count else {
                return "\(here): expected \(array.count) elements, got \(nodes.count)"
            }
            for (i, (e, node)) in zip(array, nodes).enumerated() {
                if let problem = compare(e, node.value, path: "\(path)[\(i)]") { return problem }
            }
            return nil
        }
        return "\(here): unexpected JSON \(expected)"
    }

    static func compareLeaf(type: String, text: String, _ actual: TOMLValue, path: String) -> String? {
        let mismatch = "\(path): expected \(type) \(text), got \(actual)"
        switch (type, actual) {
        case ("string", .string(let s)):
            return s == text ? nil : mismatch
        case ("integer", .integer(let i)):
            return Int64(text) == i ? nil : mismatch
        case ("bool", .boolean(let b)):
            return (text == "true") == b && (text == "true" || text == "false") ? nil : mismatch
        case ("float", .float(let d)):
            switch text {
            case "nan", "+nan", "-nan": return d.isNaN ? nil : mismatch
            case "inf", "+inf": return d == .infinity ? nil : mismatch
            case "-inf": return d == -.infinity ? nil : mismatch
            default:
                guard let e = Double(text) else { return "\(path): bad expected float \(text)" }
                return e == d && e.sign == d.sign ? nil : mismatch
            }
        case ("datetime", .offsetDateTime(let v)), ("datetime-local", .localDateTime(let v)),
            ("date-local", .localDate(let v)), ("time-local", .localTime(let v)):
            return canonicalDateTime(text) == format(v, kind: type) ? nil : mismatch
        default:
            return mismatch
        }
    }

    /// RFC 3339 text normalized: 'T' delimiter, upper case, fraction without trailing zeros,
    /// zero offset as "Z".
    static func canonicalDateTime(_ text: String) -> String {
        var s = Array(text.uppercased())
        if s.count > 10 && s[10] == " " { s[10] = "T" }
        var out = String(s)
        if out.hasSuffix("+00:00") || out.hasSuffix("-00:00") { out = String(out.dropLast(6)) + "Z" }
        // Trim trailing zeros of the fraction.
        if let dot = out.firstIndex(of: ".") {
            var end = out.index(after: dot)
            while end < out.endIndex, out[end].isNumber { end = out.index(after: end) }
            var fraction = String(out[out.index(after: dot)..<end])
            while fraction.hasSuffix("0") { fraction.removeLast() }
            out = String(out[..<dot]) + (fraction.isEmpty ? "" : "." + fraction) + String(out[end...])
        }
        return out
    }

    static func format(_ v: TOMLDateTime, kind: String) -> String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let date = "\(pad(v.year, 4))-\(pad(v.month, 2))-\(pad(v.day, 2))"
        var time = "\(pad(v.hour, 2)):\(pad(v.minute, 2)):\(pad(v.second, 2))"
        if v.nanosecond != 0 {
            var fraction = pad(v.nanosecond, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            time += "." + fraction
        }
        switch kind {
        case "date-local": return date
        case "time-local": return time
        case "datetime-local": return "\(date)T\(time)"
        default:
            guard let offset = v.offsetMinutes else { return "\(date)T\(time)<no offset>" }
            if offset == 0 { return "\(date)T\(time)Z" }
            let sign = offset < 0 ? "-" : "+"
            return "\(date)T\(time)\(sign)\(pad(abs(offset) / 60, 2)):\(pad(abs(offset) % 60, 2))"
        }
    }
}
