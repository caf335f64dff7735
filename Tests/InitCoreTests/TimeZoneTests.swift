import Foundation
import Glibc
import Testing
@testable import InitCore

// MARK: - Helpers shared with ScheduleTests

let zoneFixtureDirectory = "/usr/share/zoneinfo"

struct MissingZoneFixture: Error, CustomStringConvertible {
    var path: String
    var description: String {
        "time zone file \(path) is missing: install tzdata (apt-get update && apt-get install -y tzdata)"
    }
}

func zoneFixtureBytes(_ name: String) throws -> [UInt8] {
    let path = "\(zoneFixtureDirectory)/\(name)"
    guard let data = FileManager.default.contents(atPath: path) else { throw MissingZoneFixture(path: path) }
    return [UInt8](data)
}

/// Loads a zone from /usr/share/zoneinfo; throws (failing the test) if the file is missing.
func loadZoneFixture(_ name: String) throws -> TimeZoneRules {
    if name == "UTC-builtin" { return .utc }
    return try TimeZoneRules(tzif: try zoneFixtureBytes(name), name: name)
}

/// Deterministic pseudo-random numbers (ScheduleTestRNG).
struct ScheduleTestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        return range.lowerBound &+ Int64(bitPattern: width == 0 ? next() : next() % width)
    }
}

let sampleStart1970: Int64 = 0
let sampleEnd2100: Int64 = 4_102_444_800   // 2100-01-01T00:00:00Z

/// A few thousand instants between 1970 and 2100: an even spread, random ones, and every
/// transition (±1 s) the rules report in that range.
func zoneSampleInstants(for rules: TimeZoneRules, seed: UInt64) -> [Int64] {
    var out: [Int64] = []
    let step = (sampleEnd2100 - sampleStart1970) / 2000
    var t = sampleStart1970
    while t < sampleEnd2100 { out.append(t); t += step }
    var rng = ScheduleTestRNG(state: seed)
    for _ in 0..<1000 { out.append(rng.next(in: sampleStart1970...sampleEnd2100)) }
    var cursor = sampleStart1970
    var count = 0
    while let tr = rules.nextTransition(after: cursor), tr < sampleEnd2100, count < 2000 {
        out.append(contentsOf: [tr - 1, tr, tr + 1])
        cursor = tr
        count += 1
    }
    return out
}

func glibcLocalTime(_ t: Int64) -> (offset: Int, abbreviation: String, isDST: Bool) {
    var tt = time_t(t)
    var result = tm()
    _ = localtime_r(&tt, &result)
    let abbr = result.tm_zone.map { String(cString: $0) } ?? ""
    return (Int(result.tm_gmtoff), abbr, result.tm_isdst > 0)
}

// MARK: - glibc comparison (mutates the process-global TZ: keep serialized and separate)

@Suite("TZif reader vs glibc localtime_r", .serialized)
struct GlibcComparisonTests {
    static let zones = [
        "America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "UTC",
        "Australia/Adelaide", "Australia/Lord_Howe", "Europe/Dublin", "America/New_York", "Pacific/Auckland",
        "Asia/Tehran", "America/St_Johns", "Africa/Casablanca", "Pacific/Apia", "Asia/Kathmandu", "Pacific/Chatham",
        "America/Godthab", "Antarctica/Troll",
    ]

    @Test("offset and abbreviation match glibc 1970-2100", arguments: zones)
    func matchesGlibc(zone: String) throws {
        let rules = try loadZoneFixture(zone)
        #expect(rules.name == zone)
        setenv("TZ", zone, 1)
        tzset()
        defer { unsetenv("TZ"); tzset() }
        let instants = zoneSampleInstants(for: rules, seed: zone.utf8.reduce(42) { $0 &* 31 &+ UInt64($1) })
        #expect(instants.count >= 3000)
        var mismatches: [String] = []
        for t in instants {
            let g = glibcLocalTime(t)
            let mine = rules.localTimeType(atUnix: t)
            if g.offset != mine.utOffset || g.abbreviation != mine.abbreviation || g.isDST != mine.isDST {
                mismatches.append("\(CivilTime.formatRFC3339(unixSeconds: t)) glibc=\(g) mine=\(mine)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test("version 1 data block alone matches glibc up to 2037", arguments: ["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney"])
    func v1BlockMatchesGlibc(zone: String) throws {
        var bytes = try zoneFixtureBytes(zone)
        // Keep only the header and the 32-bit data block, marked as version 1.
        func count(_ k: Int) -> Int {
            Int(bytes[20 + 4 * k]) << 24 | Int(bytes[21 + 4 * k]) << 16 | Int(bytes[22 + 4 * k]) << 8 | Int(bytes[23 + 4 * k])
        }
        let (isut, isstd, leap, time, type, char) = (count(0), count(1), count(2), count(3), count(4), count(5))
        let size = 44 + time * 5 + type * 6 + char + leap * 8 + isstd + isut
        bytes = Array(bytes[0..<size])
        bytes[4] = 0
        let rules = try TimeZoneRules(tzif: bytes, name: zone)
        setenv("TZ", zone, 1)
        tzset()
        defer { unsetenv("TZ"); tzset() }
        var rng = ScheduleTestRNG(state: 7)
        let end: Int64 = 2_145_916_800   // 2038-01-01
        var mismatches = 0
        for _ in 0..<3000 {
            let t = rng.next(in: 0...end)
            if glibcLocalTime(t).offset != rules.offset(atUnix: t) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    static let posixStrings = [
        "PST8PDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3", "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "<+0330>-3:30", "<-03>3", "IST-5:30", "IST-1GMT0,M10.5.0,M3.5.0/1", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "NZST-12NZDT,M9.5.0,M4.1.0/3", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "EST5EDT,J60/2,J300/2", "EST5EDT,59/2,299/2",
        "UTC0", "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", "XXX3:15:30YYY2:00:10,M4.1.0/1:30:20,M9.5.6/23:59:59",
    ]

    @Test("POSIX TZ strings match glibc", arguments: posixStrings)
    func posixMatchesGlibc(tz: String) throws {
        let rules = try TimeZoneRules(posixTZ: tz)
        setenv("TZ", tz, 1)
        tzset()
        defer { unsetenv("TZ"); tzset() }
        var mismatches: [String] = []
        for t in zoneSampleInstants(for: rules, seed: 99) {
            let g = glibcLocalTime(t)
            let mine = rules.localTimeType(atUnix: t)
            if g.offset != mine.utOffset || g.abbreviation != mine.abbreviation || g.isDST != mine.isDST {
                mismatches.append("\(CivilTime.formatRFC3339(unixSeconds: t)) glibc=\(g) mine=\(mine)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test("CivilTime agrees with glibc timegm/gmtime_r")
    func civilMatchesGlibc() {
        var rng = ScheduleTestRNG(state: 2024)
        for k in 0..<5000 {
            // Mostly 1600-2400, some far out.
            let t = k % 10 == 0 ? rng.next(in: -62_135_596_800...253_402_300_799)
                                : rng.next(in: -11_676_096_000...13_569_465_600)
            var tt = time_t(t)
            var g = tm()
            _ = gmtime_r(&tt, &g)
            let c = CivilTime.civil(t)
            #expect(c == CivilDateTime(year: Int(g.tm_year) + 1900, month: Int(g.tm_mon) + 1, day: Int(g.tm_mday),
                                       hour: Int(g.tm_hour), minute: Int(g.tm_min), second: Int(g.tm_sec)))
            #expect(CivilTime.weekday(t) == Int(g.tm_wday))
            #expect(Int64(timegm(&g)) == CivilTime.unixSeconds(c))
        }
    }
}

// MARK: - TZif parsing details

/// Builds a TZif file. `types` = (utoff, isdst, abbreviation index).
func buildTZifFixture(version: UInt8, transitions: [Int64], indices: [UInt8], types: [(Int32, Bool, UInt8)],
               chars: String, footer: String?) -> [UInt8] {
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func be64(_ v: Int64) -> [UInt8] { be32(UInt32(truncatingIfNeeded: UInt64(bitPattern: v) >> 32)) + be32(UInt32(truncatingIfNeeded: v)) }
    let charBytes = Array(chars.utf8)
    func header(_ timecnt: Int, _ typecnt: Int, _ charcnt: Int) -> [UInt8] {
        var h: [UInt8] = [0x54, 0x5A, 0x69, 0x66, version] + [UInt8](repeating: 0, count: 15)
        h += be32(0) + be32(0) + be32(0) + be32(UInt32(timecnt)) + be32(UInt32(typecnt)) + be32(UInt32(charcnt))
        return h
    }
    func block(wide: Bool) -> [UInt8] {
        var b: [UInt8] = []
        for t in transitions { b += wide ? be64(t) : be32(UInt32(truncatingIfNeeded: t)) }
        b += indices
        for (off, dst, idx) in types { b += be32(UInt32(bitPattern: off)) + [dst ? 1 : 0, idx] }
        b += charBytes
        return b
    }
    if version == 0 {
        return header(transitions.count, types.count, charBytes.count) + block(wide: false)
    }
    // Slim-style version 2+: minimal v1 block, then the 64-bit data and footer.
    var out = header(0, 1, 1) + be32(0) + [0, 0] + [0]
    out += header(transitions.count, types.count, charBytes.count) + block(wide: true)
    if let footer { out += [0x0A] + Array(footer.utf8) + [0x0A] }
    return out
}

@Suite("TZif reader")
struct TZifReaderTests {
    @Test("version 1 file: transitions and last type after the end")
    func version1() throws {
        let bytes = buildTZifFixture(version: 0, transitions: [1000, 2000], indices: [1, 0],
                              types: [(3600, false, 0), (7200, true, 4)], chars: "AAA\0BBB\0", footer: nil)
        let z = try TimeZoneRules(tzif: bytes, name: "Test/V1")
        #expect(z.offset(atUnix: 0) == 3600)            // before first transition: type 0
        #expect(z.abbreviation(atUnix: 999) == "AAA")
        #expect(z.offset(atUnix: 1000) == 7200)
        #expect(z.abbreviation(atUnix: 1999) == "BBB")
        #expect(z.isDaylightSavingTime(atUnix: 1500))
        #expect(z.offset(atUnix: 2000) == 3600)
        #expect(z.offset(atUnix: 1 << 40) == 3600)      // no footer: last type forever
        #expect(z.nextTransition(after: 0) == 1000)
        #expect(z.nextTransition(after: 1000) == 2000)
        #expect(z.nextTransition(after: 2000) == nil)
    }

    @Test("version 2 file: footer rules after the last transition")
    func version2() throws {
        let bytes = buildTZifFixture(version: 0x32, transitions: [0], indices: [0],
                              types: [(-28800, false, 0)], chars: "PST\0", footer: "PST8PDT,M3.2.0,M11.1.0")
        let z = try TimeZoneRules(tzif: bytes, name: "Test/V2")
        let summer = try CivilTime.parseRFC3339("2030-07-01T12:00:00Z").unixSeconds
        #expect(z.offset(atUnix: summer) == -25200)
        #expect(z.abbreviation(atUnix: summer) == "PDT")
        #expect(z.offset(atUnix: -100) == -28800)
    }

    @Test("version 3 file: extended rule times (permanent DST)")
    func version3() throws {
        let bytes = buildTZifFixture(version: 0x33, transitions: [], indices: [],
                              types: [(-14400, true, 0)], chars: "EDT\0", footer: "EST5EDT,0/0,J365/25")
        let z = try TimeZoneRules(tzif: bytes, name: "Test/V3")
        var rng = ScheduleTestRNG(state: 3)
        for _ in 0..<500 {
            let t = rng.next(in: sampleStart1970...sampleEnd2100)
            #expect(z.offset(atUnix: t) == -14400)
            #expect(z.abbreviation(atUnix: t) == "EDT")
        }
        #expect(z.nextTransition(after: 0) == nil)
    }

    @Test("system UTC file and built-in UTC agree")
    func utcFile() throws {
        let z = try loadZoneFixture("UTC")
        for t: Int64 in [-1_000_000_000, 0, 1_800_000_000, 4_000_000_000] {
            #expect(z.offset(atUnix: t) == 0)
            #expect(z.abbreviation(atUnix: t) == "UTC")
            #expect(TimeZoneRules.utc.offset(atUnix: t) == 0)
            #expect(TimeZoneRules.utc.abbreviation(atUnix: t) == "UTC")
        }
        #expect(z.nextTransition(after: 0) == nil)
    }

    @Test("fixed offsets")
    func fixed() {
        let z = TimeZoneRules.fixed(offsetSeconds: 19800, name: "IST")
        #expect(z.offset(atUnix: 123) == 19800)
        #expect(z.abbreviation(atUnix: 123) == "IST")
        #expect(z.name == "IST")
        #expect(z.nextTransition(after: 0) == nil)
        let anonymous = TimeZoneRules.fixed(offsetSeconds: -34200, name: "")
        #expect(anonymous.abbreviation(atUnix: 0) == "-09:30")
    }

    @Test("Los Angeles transitions in 2026")
    func losAngelesTransitions() throws {
        let z = try loadZoneFixture("America/Los_Angeles")
        let jan = try CivilTime.parseRFC3339("2026-01-01T00:00:00Z").unixSeconds
        let spring = try #require(z.nextTransition(after: jan))
        #expect(CivilTime.formatRFC3339(unixSeconds: spring) == "2026-03-08T10:00:00Z")
        let fall = try #require(z.nextTransition(after: spring))
        #expect(CivilTime.formatRFC3339(unixSeconds: fall) == "2026-11-01T09:00:00Z")
        #expect(z.offset(atUnix: spring - 1) == -28800 && z.offset(atUnix: spring) == -25200)
        // Far future goes through the footer.
        let y2090 = try CivilTime.parseRFC3339("2090-01-01T00:00:00Z").unixSeconds
        let s2090 = try #require(z.nextTransition(after: y2090))
        #expect(CivilTime.formatRFC3339(unixSeconds: s2090, offsetSeconds: z.offset(atUnix: s2090)) == "2090-03-12T03:00:00-07:00")
    }

    @Test("truncated files are rejected without crashing", arguments: ["America/Los_Angeles", "Asia/Kolkata", "UTC"])
    func truncation(zone: String) throws {
        let bytes = try zoneFixtureBytes(zone)
        var accepted = 0
        for n in 0..<bytes.count {
            if (try? TimeZoneRules(tzif: Array(bytes[0..<n]), name: zone)) != nil { accepted += 1 }
        }
        // Only a cut exactly before the footer may parse (the footer is optional).
        #expect(accepted <= 1)
        #expect(throws: ScheduleError.self) { try TimeZoneRules(tzif: Array(bytes.dropLast()), name: zone) }
    }

    @Test("random corruption never crashes")
    func corruption() throws {
        let original = try zoneFixtureBytes("Europe/Berlin")
        var rng = ScheduleTestRNG(state: 11)
        for _ in 0..<3000 {
            var b = original
            let edits = Int(rng.next() % 8) + 1
            for _ in 0..<edits {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            if let z = try? TimeZoneRules(tzif: b, name: "corrupt") {
                for _ in 0..<20 {
                    let t = Int64(bitPattern: rng.next())
                    _ = z.offset(atUnix: t)
                    _ = z.abbreviation(atUnix: t)
                    _ = z.nextTransition(after: t)
                }
                let expr = try CronExpression(parsing: "30 2 * * *")
                _ = expr.next(after: 1_800_000_000, in: z)
            }
        }
        // Counts near 2^32 must not overflow or allocate absurdly.
        var huge = original
        for k in 20..<44 { huge[k] = 0xFF }
        #expect(throws: ScheduleError.self) { try TimeZoneRules(tzif: huge, name: "huge") }
    }

    @Test("malformed TZif data gives clear errors")
    func errors() {
        #expect(throws: ScheduleError("TZif x: file too short to be TZif (3 bytes)")) {
            try TimeZoneRules(tzif: [1, 2, 3], name: "x")
        }
        #expect(throws: ScheduleError("TZif x: bad magic at offset 0 (not a TZif file)")) {
            try TimeZoneRules(tzif: [UInt8](repeating: 0x41, count: 60), name: "x")
        }
        let badIndex = buildTZifFixture(version: 0, transitions: [5], indices: [3], types: [(0, false, 0)], chars: "UTC\0", footer: nil)
        #expect(throws: ScheduleError("TZif x: transition type index 3 out of range (1 types)")) {
            try TimeZoneRules(tzif: badIndex, name: "x")
        }
        let unordered = buildTZifFixture(version: 0, transitions: [5, 4], indices: [0, 0], types: [(0, false, 0)], chars: "UTC\0", footer: nil)
        #expect(throws: ScheduleError("TZif x: transition times are not in ascending order")) {
            try TimeZoneRules(tzif: unordered, name: "x")
        }
        let badFooter = buildTZifFixture(version: 0x32, transitions: [], indices: [], types: [(0, false, 0)], chars: "UTC\0", footer: "UTC0junk")
        #expect(throws: ScheduleError("TZif x: footer: TZ string \"UTC0junk\": missing DST rules (',start[/time],end[/time]')")) {
            try TimeZoneRules(tzif: badFooter, name: "x")
        }
        let badAbbr = buildTZifFixture(version: 0, transitions: [], indices: [], types: [(0, false, 9)], chars: "UTC\0", footer: nil)
        #expect(throws: ScheduleError("TZif x: abbreviation index 9 out of range (4 bytes)")) {
            try TimeZoneRules(tzif: badAbbr, name: "x")
        }
    }
}

@Suite("POSIX TZ strings")
struct PosixTZTests {
    @Test("quoted numeric abbreviations and half-hour offsets")
    func quoted() throws {
        let z = try TimeZoneRules(posixTZ: "<+0330>-3:30")
        #expect(z.offset(atUnix: 0) == 12600)
        #expect(z.abbreviation(atUnix: 0) == "+0330")
        #expect(z.nextTransition(after: 0) == nil)
        let sp = try TimeZoneRules(posixTZ: "<-03>3")
        #expect(sp.offset(atUnix: 1_800_000_000) == -10800)
        #expect(sp.abbreviation(atUnix: 1_800_000_000) == "-03")
    }

    @Test("a DST zone without rules uses the US rules M3.2.0,M11.1.0")
    func defaultRules() throws {
        // (glibc would read the "EST5EDT" zoneinfo file instead, so this is not compared with glibc.)
        let z = try TimeZoneRules(posixTZ: "EST5EDT")
        let explicit = try TimeZoneRules(posixTZ: "EST5EDT,M3.2.0,M11.1.0")
        var rng = ScheduleTestRNG(state: 5)
        for _ in 0..<1000 {
            let t = rng.next(in: sampleStart1970...sampleEnd2100)
            #expect(z.localTimeType(atUnix: t) == explicit.localTimeType(atUnix: t))
        }
        #expect(z.offset(atUnix: 1_783_000_000) == -14400)   // July 2026
    }

    @Test("PST8PDT rules switch on the right instants")
    func pst() throws {
        let z = try TimeZoneRules(posixTZ: "PST8PDT,M3.2.0,M11.1.0")
        let spring = try CivilTime.parseRFC3339("2026-03-08T10:00:00Z").unixSeconds
        #expect(z.abbreviation(atUnix: spring - 1) == "PST")
        #expect(z.abbreviation(atUnix: spring) == "PDT")
        let fall = try CivilTime.parseRFC3339("2026-11-01T09:00:00Z").unixSeconds
        #expect(z.offset(atUnix: fall - 1) == -25200)
        #expect(z.offset(atUnix: fall) == -28800)
        #expect(z.nextTransition(after: spring) == fall)
        #expect(z.nextTransition(after: spring - 1) == spring)
    }

    struct PosixBadCase: Sendable, CustomTestStringConvertible {
        var tz: String
        var message: String
        var column: Int?
        var testDescription: String { "\"\(tz)\"" }
    }

    static let bad: [PosixBadCase] = [
        PosixBadCase(tz: "", message: "TZ string is empty", column: nil),
        PosixBadCase(tz: "PST", message: "TZ string \"PST\": missing UTC offset after \"PST\"", column: 4),
        PosixBadCase(tz: "P8", message: "TZ string \"P8\": standard time name \"P\" must have at least 3 letters", column: 1),
        PosixBadCase(tz: "PST25", message: "TZ string \"PST25\": standard time offset hours is out of range 0-24", column: 4),
        PosixBadCase(tz: "PST8PDT,M3.2.0", message: "TZ string \"PST8PDT,M3.2.0\": expected ',' before the DST end rule", column: 15),
        PosixBadCase(tz: "PST8PDT,M13.2.0,M11.1.0", message: "TZ string \"PST8PDT,M13.2.0,M11.1.0\": month is out of range 1-12", column: 10),
        PosixBadCase(tz: "PST8PDT,M3.6.0,M11.1.0", message: "TZ string \"PST8PDT,M3.6.0,M11.1.0\": week is out of range 1-5", column: 12),
        PosixBadCase(tz: "PST8PDT,M3.2.7,M11.1.0", message: "TZ string \"PST8PDT,M3.2.7,M11.1.0\": weekday is out of range 0-6", column: 14),
        PosixBadCase(tz: "PST8PDT,J0,J100", message: "TZ string \"PST8PDT,J0,J100\": Julian day is out of range 1-365", column: 10),
        PosixBadCase(tz: "PST8PDT,M3.2.0/168,M11.1.0", message: "TZ string \"PST8PDT,M3.2.0/168,M11.1.0\": transition time hours is out of range 0-167", column: 16),
        PosixBadCase(tz: "<+03", message: "TZ string \"<+03\": unterminated '<' in standard time name", column: 1),
        PosixBadCase(tz: "UTC0 ", message: "TZ string \"UTC0 \": expected daylight saving time name, found ' '", column: 5),
        PosixBadCase(tz: ":America/Los_Angeles", message: "TZ string \":America/Los_Angeles\": ':' file names need the zoneinfo file; use the TZif reader", column: 1),
        PosixBadCase(tz: "PST8PDT,X", message: "TZ string \"PST8PDT,X\": expected a DST rule date (Jn, n or Mm.w.d), found 'X'", column: 9),
    ]

    @Test("invalid TZ strings", arguments: bad)
    func invalid(_ c: PosixBadCase) {
        #expect(throws: ScheduleError(c.message, column: c.column)) { try TimeZoneRules(posixTZ: c.tz) }
    }
}
