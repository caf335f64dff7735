import Testing
@testable import InitCore

// Zones: short keys used by the tables below.
func scheduleTestZone(_ key: String) throws -> TimeZoneRules {
    switch key {
    case "U": return .utc
    case "L": return try loadZoneFixture("America/Los_Angeles")
    case "B": return try loadZoneFixture("Europe/Berlin")
    case "S": return try loadZoneFixture("Australia/Sydney")
    case "A": return try loadZoneFixture("Australia/Adelaide")
    case "K": return try loadZoneFixture("Asia/Kolkata")
    case "H": return try loadZoneFixture("Australia/Lord_Howe")
    case "P": return try TimeZoneRules(posixTZ: "PST8PDT,M3.2.0,M11.1.0")
    default: throw MissingZoneFixture(path: key)
    }
}

func formatInZone(_ t: Int64?, _ zone: TimeZoneRules) -> String {
    guard let t else { return "nil" }
    return CivilTime.formatRFC3339(unixSeconds: t, offsetSeconds: zone.offset(atUnix: t))
}

struct CronNextCase: Sendable, CustomTestStringConvertible {
    var expr: String
    var zone: String
    var after: String
    var expected: String?
    init(_ expr: String, _ zone: String, _ after: String, _ expected: String?) {
        self.expr = expr
        self.zone = zone
        self.after = after
        self.expected = expected
    }
    var testDescription: String { "\"\(expr)\" [\(zone)] after \(after)" }
}

let cronNextCases: [CronNextCase] = [
    // Basics, steps across hour/day/month/year boundaries (UTC).
    CronNextCase("* * * * *", "U", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"),
    CronNextCase("* * * * *", "U", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"),
    CronNextCase("*/15 * * * *", "U", "2026-01-01T00:50:00Z", "2026-01-01T01:00:00Z"),
    CronNextCase("*/15 * * * *", "U", "2026-12-31T23:45:00Z", "2027-01-01T00:00:00Z"),
    CronNextCase("*/20 */6 * * *", "U", "2026-01-31T23:40:00Z", "2026-02-01T00:00:00Z"),
    CronNextCase("5-50/15 * * * *", "U", "2026-01-01T00:50:00Z", "2026-01-01T01:05:00Z"),
    CronNextCase("10/20 * * * *", "U", "2026-01-01T00:50:00Z", "2026-01-01T01:10:00Z"),
    CronNextCase("*/7 * * * *", "U", "2026-01-01T00:56:00Z", "2026-01-01T01:00:00Z"),
    CronNextCase("0 */5 * * *", "U", "2026-01-01T20:00:00Z", "2026-01-02T00:00:00Z"),
    CronNextCase("0 0 */10 * *", "U", "2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z"),
    CronNextCase("0 0 */10 * *", "U", "2026-02-21T00:00:00Z", "2026-03-01T00:00:00Z"),
    CronNextCase("0 0 1 * *", "U", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"),
    CronNextCase("59 23 31 12 *", "U", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
    CronNextCase("0 0 1 */3 *", "U", "2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    CronNextCase("0,30 9-17 * * *", "U", "2026-01-01T17:30:00Z", "2026-01-02T09:00:00Z"),
    // February 29 and month ends.
    CronNextCase("0 0 29 2 *", "U", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
    CronNextCase("0 0 29 2 *", "U", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"),
    CronNextCase("0 0 29 2 *", "U", "2097-01-01T00:00:00Z", "2104-02-29T00:00:00Z"),
    CronNextCase("0 0 30 2 *", "U", "2026-01-01T00:00:00Z", nil),
    CronNextCase("0 0 31 2,4,6,9,11 *", "U", "2026-01-01T00:00:00Z", nil),
    CronNextCase("0 0 31 * *", "U", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"),
    CronNextCase("0 0 31 * *", "U", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"),
    CronNextCase("0 0 30 * *", "U", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z"),
    CronNextCase("0 12 29 * *", "U", "2100-01-29T12:00:00Z", "2100-03-29T12:00:00Z"),
    // Names and day-of-week details.
    CronNextCase("0 9 * * mon-fri", "U", "2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"),
    CronNextCase("0 9 * jan,JUL sun", "U", "2026-01-31T00:00:00Z", "2026-07-05T09:00:00Z"),
    CronNextCase("0 0 * * 7", "U", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
    CronNextCase("0 0 * * 5-7", "U", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"),
    CronNextCase("0 0 1 jan-mar/2 *", "U", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
    CronNextCase("0 0 * * Sat,SUN", "U", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"),
    CronNextCase("0 0 * Feb Mon", "U", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"),
    CronNextCase("0 0 * * */2", "U", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"),
    // Vixie OR semantics when both day fields are restricted; AND when one starts with '*'.
    CronNextCase("30 4 1,15 * 5", "U", "2026-01-01T05:00:00Z", "2026-01-02T04:30:00Z"),
    CronNextCase("30 4 1,15 * 5", "U", "2026-01-02T05:00:00Z", "2026-01-09T04:30:00Z"),
    CronNextCase("0 0 10 * 5", "U", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"),
    CronNextCase("0 0 29 2 1", "U", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"),
    CronNextCase("0 0 29 2 1", "U", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"),
    CronNextCase("0 0 */2 * 5", "U", "2026-01-01T00:00:00Z", "2026-01-09T00:00:00Z"),
    CronNextCase("0 0 13 * *", "U", "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z"),
    CronNextCase("0 0 * * 5", "U", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
    CronNextCase("0 0 1-7 * */7", "U", "2026-01-05T00:00:00Z", "2026-02-01T00:00:00Z"),
    // Six fields, seconds first.
    CronNextCase("*/10 * * * * *", "U", "2026-01-01T00:00:55Z", "2026-01-01T00:01:00Z"),
    CronNextCase("30 0 12 * * *", "U", "2026-01-01T12:00:30Z", "2026-01-02T12:00:30Z"),
    CronNextCase("15,45 30 * * * *", "U", "2026-01-01T00:30:45Z", "2026-01-01T01:30:15Z"),
    CronNextCase("* * * * * *", "U", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"),
    CronNextCase("59 59 23 31 12 *", "U", "2026-06-01T00:00:00Z", "2026-12-31T23:59:59Z"),
    // Macros.
    CronNextCase("@hourly", "U", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"),
    CronNextCase("@daily", "U", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
    CronNextCase("@midnight", "U", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
    CronNextCase("@weekly", "U", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
    CronNextCase("@monthly", "U", "2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z"),
    CronNextCase("@yearly", "U", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
    CronNextCase("@annually", "U", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"),
    CronNextCase("@reboot", "U", "2026-01-01T00:00:00Z", nil),
    CronNextCase("@DAILY", "L", "2026-01-01T00:00:00-08:00", "2026-01-02T00:00:00-08:00"),
    // Los Angeles: spring forward 2026-03-08 02:00 PST -> 03:00 PDT; fall back 2026-11-01 02:00 PDT -> 01:00 PST.
    CronNextCase("30 2 * * *", "L", "2026-03-08T01:59:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("30 2 * * *", "L", "2026-03-08T03:00:00-07:00", "2026-03-09T02:30:00-07:00"),
    CronNextCase("30 2 * * *", "L", "2026-03-07T02:30:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("0 2 * * *", "L", "2026-03-07T12:00:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("0 3 * * *", "L", "2026-03-08T01:00:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("0,30 2 * * *", "L", "2026-03-08T01:00:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("0,30 2 * * *", "L", "2026-03-08T03:00:00-07:00", "2026-03-09T02:00:00-07:00"),
    CronNextCase("0 2,3 * * *", "L", "2026-03-08T03:00:00-07:00", "2026-03-09T02:00:00-07:00"),
    CronNextCase("30 1 * * *", "L", "2026-11-01T00:00:00-07:00", "2026-11-01T01:30:00-07:00"),
    CronNextCase("30 1 * * *", "L", "2026-11-01T01:30:00-07:00", "2026-11-02T01:30:00-08:00"),
    CronNextCase("30 1 * * *", "L", "2026-11-01T01:10:00-08:00", "2026-11-02T01:30:00-08:00"),
    CronNextCase("0 2 * * *", "L", "2026-11-01T00:00:00-07:00", "2026-11-01T02:00:00-08:00"),
    CronNextCase("30 * * * *", "L", "2026-11-01T01:30:00-07:00", "2026-11-01T01:30:00-08:00"),
    CronNextCase("*/15 * * * *", "L", "2026-11-01T01:45:00-07:00", "2026-11-01T01:00:00-08:00"),
    CronNextCase("*/15 * * * *", "L", "2026-03-08T01:45:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("30 * * * *", "L", "2026-03-08T01:30:00-08:00", "2026-03-08T03:30:00-07:00"),
    CronNextCase("30 2 * * *", "P", "2026-03-08T01:59:00-08:00", "2026-03-08T03:00:00-07:00"),
    CronNextCase("30 1 * * *", "P", "2026-11-01T01:30:00-07:00", "2026-11-02T01:30:00-08:00"),
    // Berlin: spring forward 2026-03-29 02:00 CET -> 03:00 CEST; fall back 2026-10-25 03:00 CEST -> 02:00 CET.
    CronNextCase("30 2 * * *", "B", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"),
    CronNextCase("30 2 * * *", "B", "2026-10-25T00:00:00+02:00", "2026-10-25T02:30:00+02:00"),
    CronNextCase("30 2 * * *", "B", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
    CronNextCase("0 * * * *", "B", "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"),
    CronNextCase("15 2 * * 0", "B", "2026-03-28T00:00:00+01:00", "2026-03-29T03:00:00+02:00"),
    CronNextCase("0 9 * * *", "B", "2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00"),
    CronNextCase("0 0 * * *", "B", "2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00"),
    CronNextCase("59 2 * * *", "B", "2026-10-25T02:59:00+02:00", "2026-10-26T02:59:00+01:00"),
    // Sydney (southern hemisphere): DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST, starts 2026-10-04 02:00 AEST -> 03:00 AEDT.
    CronNextCase("30 2 * * *", "S", "2026-10-04T01:00:00+10:00", "2026-10-04T03:00:00+11:00"),
    CronNextCase("30 2 * * *", "S", "2026-04-05T00:00:00+11:00", "2026-04-05T02:30:00+11:00"),
    CronNextCase("30 2 * * *", "S", "2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"),
    CronNextCase("*/30 * * * *", "S", "2026-04-05T02:30:00+11:00", "2026-04-05T02:00:00+10:00"),
    CronNextCase("0 12 1 1 *", "S", "2026-06-01T00:00:00+10:00", "2027-01-01T12:00:00+11:00"),
    // Adelaide (+09:30 / +10:30), same dates.
    CronNextCase("30 2 * * *", "A", "2026-10-04T00:00:00+09:30", "2026-10-04T03:00:00+10:30"),
    CronNextCase("45 2 * * *", "A", "2026-04-05T02:45:00+10:30", "2026-04-06T02:45:00+09:30"),
    CronNextCase("0 12 * * *", "A", "2026-01-01T00:00:00+10:30", "2026-01-01T12:00:00+10:30"),
    CronNextCase("*/20 * * * *", "A", "2026-10-04T01:50:00+09:30", "2026-10-04T03:00:00+10:30"),
    // Kolkata (+05:30, no DST).
    CronNextCase("0 9 * * *", "K", "2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"),
    CronNextCase("0 0 * * *", "K", "2026-12-31T18:30:00Z", "2027-01-02T00:00:00+05:30"),
    CronNextCase("@hourly", "K", "2026-01-01T00:00:00Z", "2026-01-01T06:00:00+05:30"),
    // Lord Howe: 30-minute DST shift (+10:30 / +11:00).
    CronNextCase("15 2 * * *", "H", "2026-10-04T00:00:00+10:30", "2026-10-04T02:30:00+11:00"),
    CronNextCase("45 1 * * *", "H", "2026-04-05T00:00:00+11:00", "2026-04-05T01:45:00+11:00"),
    CronNextCase("45 1 * * *", "H", "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"),
    CronNextCase("*/15 * * * *", "H", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30"),
]

@Suite("Cron next run")
struct CronNextTests {
    @Test("next-run table", arguments: cronNextCases)
    func nextRun(_ c: CronNextCase) throws {
        let zone = try scheduleTestZone(c.zone)
        let expr = try CronExpression(parsing: c.expr)
        let after = try CivilTime.parseRFC3339(c.after).unixSeconds
        let got = expr.next(after: after, in: zone)
        let expected = try c.expected.map { try CivilTime.parseRFC3339($0).unixSeconds }
        #expect(got == expected, "got \(formatInZone(got, zone)), expected \(c.expected ?? "nil")")
        if let got { #expect(got > after) }
    }

    @Test("table has at least 60 cases")
    func tableSize() { #expect(cronNextCases.count >= 60) }

    /// Brute force: a fixed-time daily job runs exactly once per local day, a real-time job
    /// at exactly the matching instants.
    @Test("daily jobs run once per day across a year of DST changes", arguments: ["L", "B", "S", "A", "H"])
    func oncePerDay(zoneKey: String) throws {
        let zone = try scheduleTestZone(zoneKey)
        for spec in ["30 2 * * *", "0 2 * * *", "45 1 * * *", "59 2 * * *", "0 3 * * *", "15 2 * * *"] {
            let expr = try CronExpression(parsing: spec)
            var t = try CivilTime.parseRFC3339("2026-01-01T00:00:00Z").unixSeconds
            var days = Set<Int64>()
            var runs = 0
            while let n = expr.next(after: t, in: zone), n < 1_798_761_600 {   // 2027-01-01
                let localDay = CivilTime.floorDiv(n + Int64(zone.offset(atUnix: n)), 86_400)
                #expect(!days.contains(localDay), "\(spec) ran twice on local day of \(formatInZone(n, zone))")
                days.insert(localDay)
                runs += 1
                t = n
            }
            #expect(runs >= 364, "\(spec) in \(zone.name): \(runs) runs")
        }
    }

    @Test("real-time jobs match a brute-force minute scan", arguments: ["L", "B", "S", "H"])
    func realTimeBruteForce(zoneKey: String) throws {
        let zone = try scheduleTestZone(zoneKey)
        for spec in ["*/15 * * * *", "30 * * * *", "* 2 * * *", "*/7 1-3 * * *"] {
            let expr = try CronExpression(parsing: spec)
            #expect(expr.followsRealTime)
            // Scan the two 2026 transition days minute by minute.
            for day in ["2026-03-07T12:00:00Z", "2026-03-28T12:00:00Z", "2026-04-04T00:00:00Z",
                        "2026-10-03T00:00:00Z", "2026-10-24T12:00:00Z", "2026-10-31T12:00:00Z"] {
                let start = try CivilTime.parseRFC3339(day).unixSeconds
                var expected: [Int64] = []
                var t = start + 60
                while t <= start + 2 * 86_400 {
                    if expr.matches(CivilTime.civil(t + Int64(zone.offset(atUnix: t)))) { expected.append(t) }
                    t += 60
                }
                var got: [Int64] = []
                var cur = start
                while let n = expr.next(after: cur, in: zone), n <= start + 2 * 86_400 {
                    got.append(n)
                    cur = n
                }
                #expect(got == expected, "\(spec) in \(zone.name) around \(day)")
            }
        }
    }

    @Test("large and extreme instants never trap")
    func extremes() throws {
        let zone = try scheduleTestZone("L")
        for spec in ["* * * * *", "0 0 29 2 *", "30 2 * * *", "@reboot"] {
            let e = try CronExpression(parsing: spec)
            for t in [Int64.min, Int64.min + 1, -(1 << 60), -1, 0, 1 << 51, 1 << 60, Int64.max - 1, Int64.max] {
                _ = e.next(after: t, in: zone)
                _ = e.next(after: t, in: .utc)
            }
        }
        #expect(try CronExpression(parsing: "* * * * *").next(after: Int64.max, in: .utc) == nil)
    }

    @Test("equality compares meaning")
    func equality() throws {
        #expect(try CronExpression(parsing: "0 * * * *") == CronExpression(parsing: "@hourly"))
        #expect(try CronExpression(parsing: "0 0 * * * *") == CronExpression(parsing: "0 * * * *"))
        #expect(try CronExpression(parsing: "0 0 * * 7") == CronExpression(parsing: "0 0 * * sun"))
        #expect(try CronExpression(parsing: "0 0 * * 1") != CronExpression(parsing: "0 0 * * 2"))
        #expect(try CronExpression(parsing: "@reboot").isReboot)
        #expect(try !CronExpression(parsing: "@daily").isReboot)
        #expect(try !CronExpression(parsing: "30 2 * * *").followsRealTime)
        #expect(try CronExpression(parsing: "30 * * * *").followsRealTime)
        #expect(try CronExpression(parsing: "* 2 * * *").followsRealTime)
    }
}

// MARK: - Invalid expressions

struct CronBadCase: Sendable, CustomTestStringConvertible {
    var expr: String
    var message: String
    var column: Int?
    init(_ expr: String, _ message: String, _ column: Int?) {
        self.expr = expr
        self.message = message
        self.column = column
    }
    var testDescription: String { "\"\(expr)\"" }
}

let cronFieldCountMessage = "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first"

let cronBadCases: [CronBadCase] = [
    CronBadCase("", "empty cron expression", nil),
    CronBadCase("  \t ", "empty cron expression", nil),
    CronBadCase("* * * *", "\(cronFieldCountMessage), got 4", nil),
    CronBadCase("*", "\(cronFieldCountMessage), got 1", nil),
    CronBadCase("* * * * * * *", "\(cronFieldCountMessage), got 7", 13),
    CronBadCase("61 * * * *", "minute field: 61 is out of range 0-59", 1),
    CronBadCase("* 24 * * *", "hour field: 24 is out of range 0-23", 3),
    CronBadCase("* * 0 * *", "day-of-month field: 0 is out of range 1-31", 5),
    CronBadCase("* * 32 * *", "day-of-month field: 32 is out of range 1-31", 5),
    CronBadCase("* * * 13 *", "month field: 13 is out of range 1-12", 7),
    CronBadCase("* * * 0 *", "month field: 0 is out of range 1-12", 7),
    CronBadCase("* * * * 8", "day-of-week field: 8 is out of range 0-7", 9),
    CronBadCase("60 * * * * *", "second field: 60 is out of range 0-59", 1),
    CronBadCase("0 0 1 1 * 2026", "day-of-week field: 2026 is out of range 0-7", 11),
    CronBadCase("99999999999 * * * *", "minute field: 99999999999 is out of range 0-59", 1),
    CronBadCase("1,2,70 * * * *", "minute field: 70 is out of range 0-59", 5),
    CronBadCase("*/0 * * * *", "minute field: step 0 is invalid (must be at least 1)", 3),
    CronBadCase("1-5/0 * * * *", "minute field: step 0 is invalid (must be at least 1)", 5),
    CronBadCase("* * * jan-dec/0 *", "month field: step 0 is invalid (must be at least 1)", 15),
    CronBadCase("*/61 * * * *", "minute field: step 61 is out of range 1-60", 3),
    CronBadCase("*/ * * * *", "minute field: expected a number after '/'", 3),
    CronBadCase("30-10 * * * *", "minute field: range 30-10 is reversed (start is after end)", 4),
    CronBadCase("* * * * fri-mon", "day-of-week field: range fri-mon is reversed (start is after end)", 13),
    CronBadCase("* * * FOO *", "month field: unknown name 'FOO' (expected JAN-DEC or 1-12)", 7),
    CronBadCase("* * * * funday", "day-of-week field: unknown name 'funday' (expected SUN-SAT or 0-7)", 9),
    CronBadCase("* * * * mon-xyz", "day-of-week field: unknown name 'xyz' (expected SUN-SAT or 0-7)", 13),
    CronBadCase("* * * * monday", "day-of-week field: unknown name 'monday' (expected SUN-SAT or 0-7)", 9),
    CronBadCase("mon * * * *", "minute field: unexpected name 'mon' (names are only allowed in the month and day-of-week fields)", 1),
    CronBadCase("5% * * * *", "minute field: unexpected character '%'", 2),
    CronBadCase("* * * * * *x", "day-of-week field: unexpected character 'x'", 12),
    CronBadCase("* * * * é", "day-of-week field: expected a number or name, found 'é'", 9),
    CronBadCase("-5 * * * *", "minute field: expected a number, found '-'", 1),
    CronBadCase("*-5 * * * *", "minute field: unexpected character '-'", 2),
    CronBadCase("1- * * * *", "minute field: expected a value after '-'", 2),
    CronBadCase("1-2-3 * * * *", "minute field: unexpected character '-'", 4),
    CronBadCase("*/5/2 * * * *", "minute field: unexpected character '/'", 4),
    CronBadCase("1,,2 * * * *", "minute field: empty list element", 3),
    CronBadCase(",1 * * * *", "minute field: empty list element", 1),
    CronBadCase("1, * * * *", "minute field: empty list element after ','", 2),
    CronBadCase("0 0 L * *", "day-of-month field: 'L' (last day) is not supported", 5),
    CronBadCase("0 0 15W * *", "day-of-month field: 'W' (nearest weekday) is not supported", 7),
    CronBadCase("0 0 LW * *", "day-of-month field: 'L' (last day) is not supported", 5),
    CronBadCase("0 0 * * 5L", "day-of-week field: 'L' (last day) is not supported", 10),
    CronBadCase("0 0 * * 5#3", "day-of-week field: '#' (nth weekday of the month) is not supported", 10),
    CronBadCase("0 0 ? * *", "day-of-month field: '?' is not supported; use '*'", 5),
    CronBadCase("0 0 * * ?", "day-of-week field: '?' is not supported; use '*'", 9),
    CronBadCase("0 0 * * W", "day-of-week field: 'W' (nearest weekday) is not supported", 9),
    CronBadCase("@every 5m", "unknown macro @every (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot)", 1),
    CronBadCase("@fortnightly", "unknown macro @fortnightly (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot)", 1),
    CronBadCase("@daily 5", "macro @daily takes no fields", 8),
    CronBadCase("  @reboot now", "macro @reboot takes no fields", 11),
]

@Suite("Cron parse errors")
struct CronErrorTests {
    @Test("invalid expressions", arguments: cronBadCases)
    func invalid(_ c: CronBadCase) {
        #expect(throws: ScheduleError(c.message, column: c.column)) { try CronExpression(parsing: c.expr) }
    }

    @Test("error description includes the column")
    func description() {
        #expect(ScheduleError("minute field: 61 is out of range 0-59", column: 5).description
                == "column 5: minute field: 61 is out of range 0-59")
        #expect(ScheduleError("empty cron expression").description == "empty cron expression")
        do {
            _ = try CronExpression(parsing: "0 0 * * 9")
            Issue.record("should throw")
        } catch {
            #expect(error.description == "column 9: day-of-week field: 9 is out of range 0-7")
        }
    }
}

// MARK: - Civil time and RFC 3339

@Suite("Civil time and RFC 3339")
struct CivilTimeTests {
    @Test("known dates")
    func knownDates() {
        #expect(CivilTime.civil(0) == CivilDateTime(year: 1970, month: 1, day: 1))
        #expect(CivilTime.civil(951_782_400) == CivilDateTime(year: 2000, month: 2, day: 29))
        #expect(CivilTime.civil(-1) == CivilDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(CivilTime.unixSeconds(CivilDateTime(year: 2026, month: 11, day: 24, hour: 6, minute: 30)) == 1_795_501_800)
        #expect(CivilTime.unixSeconds(CivilDateTime(year: 2026, month: 13, day: 1)) == CivilTime.unixSeconds(CivilDateTime(year: 2027, month: 1, day: 1)))
        #expect(CivilTime.weekday(0) == 4)
        #expect(CivilTime.weekday(-86_400) == 3)
        #expect(CivilTime.weekday(1_795_501_800) == 2)          // 2026-11-24 is a Tuesday
        _ = CivilTime.unixSeconds(CivilDateTime(year: .max, month: .min, day: .max, hour: .min, minute: .max, second: .min))
        _ = CivilTime.civil(.min)
        _ = CivilTime.civil(.max)
    }

    @Test("day round trip over 800 years")
    func roundTrip() {
        var d: Int64 = -200_000
        while d < 200_000 {
            let c = CivilTime.civil(d * 86_400 + 3_723)
            #expect(CivilTime.unixSeconds(c) == d * 86_400 + 3_723)
            d += 37
        }
    }

    static let roundTrips: [(Int64, Int, Int)] = [
        (0, 0, 0), (1_795_501_800, -28_800, 0), (1_795_501_800, 19_800, 3), (951_782_399, 0, 9),
        (-1, 3600, 6), (-62_135_596_800, 0, 0), (253_402_300_799, -43_200, 0), (1_700_000_000, 50_400, 9),
        (2_000_000_000, -34_200, 2), (4_102_444_800, 45_900, 1),
    ]

    @Test("format/parse round trips", arguments: roundTrips)
    func rfc3339RoundTrip(t: Int64, offset: Int, digits: Int) throws {
        let nanos = 123_456_789
        let s = CivilTime.formatRFC3339(unixSeconds: t, nanoseconds: nanos, offsetSeconds: offset, fractionDigits: digits)
        let p = try CivilTime.parseRFC3339Nanoseconds(s)
        #expect(p.unixSeconds == t)
        #expect(p.offsetSeconds == offset)
        var expectedNanos = nanos
        for _ in 0..<(9 - digits) { expectedNanos /= 10 }
        for _ in 0..<(9 - digits) { expectedNanos *= 10 }
        #expect(p.nanoseconds == expectedNanos)
        #expect(CivilTime.formatRFC3339(unixSeconds: p.unixSeconds, nanoseconds: p.nanoseconds,
                                        offsetSeconds: p.offsetSeconds, fractionDigits: digits) == s)
    }

    @Test("formatting")
    func formatting() throws {
        #expect(CivilTime.formatRFC3339(unixSeconds: 1_795_501_800) == "2026-11-24T06:30:00Z")
        #expect(CivilTime.formatRFC3339(unixSeconds: 1_795_530_600, offsetSeconds: -28_800) == "2026-11-24T06:30:00-08:00")
        #expect(CivilTime.formatRFC3339(unixSeconds: 0, nanoseconds: 5_000_000, fractionDigits: 3) == "1970-01-01T00:00:00.005Z")
        #expect(CivilTime.formatRFC3339(unixSeconds: 0, offsetSeconds: 19_800) == "1970-01-01T05:30:00+05:30")
        // LMT offset with seconds: minute precision, still the same instant.
        let s = CivilTime.formatRFC3339(unixSeconds: 0, offsetSeconds: -28_378)
        #expect(s == "1969-12-31T16:08:00-07:52")
        #expect(try CivilTime.parseRFC3339(s).unixSeconds == 0)
        #expect(try CivilTime.parseRFC3339("2026-11-24T06:30:00Z") == (1_795_501_800, 0))
        #expect(try CivilTime.parseRFC3339("2026-11-24T06:30:00-08:00") == (1_795_530_600, -28_800))
        #expect(try CivilTime.parseRFC3339("2026-11-24t06:30:00.999z") == (1_795_501_800, 0))
        #expect(try CivilTime.parseRFC3339("2026-11-24 06:30:00+00:00") == (1_795_501_800, 0))
        #expect(try CivilTime.parseRFC3339Nanoseconds("2026-11-24T06:30:00.1234567891234+05:30").nanoseconds == 123_456_789)
        #expect(try CivilTime.parseRFC3339("2016-12-31T23:59:60Z").unixSeconds == 1_483_228_800)
        #expect(try CivilTime.parseRFC3339("2024-02-29T00:00:00Z").unixSeconds == 1_709_164_800)
    }

    static let badTimestamps: [(String, String, Int?)] = [
        ("", "timestamp is empty", nil),
        ("2026-13-01T00:00:00Z", "month 13 is out of range 1-12", 6),
        ("2026-02-29T00:00:00Z", "day 29 is out of range 1-28 for 2026-02", 9),
        ("2026-11-31T00:00:00Z", "day 31 is out of range 1-30 for 2026-11", 9),
        ("2026-11-24T24:00:00Z", "hour 24 is out of range 0-23", 12),
        ("2026-11-24T06:60:00Z", "minute 60 is out of range 0-59", 15),
        ("2026-11-24T06:30:61Z", "second 61 is out of range 0-60", 18),
        ("2026-11-24T06:30:00", "missing time zone offset ('Z' or ±hh:mm)", 20),
        ("2026-11-24T06:30:00+0800", "expected ':' in the offset", 23),
        ("2026-11-24T06:30:00+24:00", "offset +24:00 is out of range (at most ±23:59)", 20),
        ("2026-11-24", "expected 'T' between date and time", 11),
        ("2026-11-24T06:30:00.Z", "expected digits after '.'", 21),
        ("2026-11-24T06:30:00Zjunk", "unexpected trailing characters", 21),
        ("26-11-24T06:30:00Z", "expected 4-digit year", 1),
        ("2026/11-24T06:30:00Z", "expected '-' after the year", 5),
        ("2026-1-24T06:30:00Z", "expected 2-digit month", 6),
        ("2026-11-24T06:30:00 Z", "expected 'Z' or a ±hh:mm offset", 20),
    ]

    @Test("invalid timestamps", arguments: badTimestamps)
    func invalid(_ s: String, _ message: String, _ column: Int?) {
        let full = s.isEmpty ? message : "timestamp \"\(s)\": \(message)"
        #expect(throws: ScheduleError(full, column: column)) { try CivilTime.parseRFC3339(s) }
    }
}

// MARK: - Schedule

@Suite("Schedule")
struct ScheduleTests {
    @Test("every: anchored at start, strictly after, with jitter")
    func every() {
        let s = Schedule.every(seconds: 300, jitterSeconds: 30)
        #expect(s.next(after: 1000, start: 1000, in: .utc) == 1300)
        #expect(s.next(after: 1299, start: 1000, in: .utc) == 1300)
        #expect(s.next(after: 1300, start: 1000, in: .utc) == 1600)
        #expect(s.next(after: 1000, start: 1000, in: .utc, jitter: 7) == 1007)
        #expect(s.next(after: 1007, start: 1000, in: .utc, jitter: 7) == 1307)
        #expect(s.next(after: 1000, start: 1000, in: .utc, jitter: 500) == 1030)   // clamped to jitterSeconds
        #expect(s.next(after: 1000, start: 1000, in: .utc, jitter: -5) == 1300)    // clamped to 0
        #expect(s.next(after: 500, start: 1000, in: .utc) == 1000)
        #expect(Schedule.every(seconds: 0, jitterSeconds: 0).next(after: 0, start: 0, in: .utc) == nil)
        #expect(Schedule.every(seconds: -5, jitterSeconds: 0).next(after: 0, start: 0, in: .utc) == nil)
        #expect(Schedule.every(seconds: 1 << 62, jitterSeconds: 0).next(after: .max - 1, start: .min, in: .utc) == nil)
        #expect(Schedule.every(seconds: 10, jitterSeconds: 0).next(after: .max, start: 0, in: .utc) == nil)
        #expect(Schedule.every(seconds: 1, jitterSeconds: .max).next(after: 0, start: .max, in: .utc, jitter: .max) == nil)
    }

    @Test("at: times of day on week days, with the fixed-time DST rules")
    func at() throws {
        let la = try scheduleTestZone("L")
        let daily = Schedule.at(times: [TimeOfDay(hour: 2, minute: 30)], days: .all)
        func t(_ s: String) throws -> Int64 { try CivilTime.parseRFC3339(s).unixSeconds }
        #expect(daily.next(after: try t("2026-03-08T01:00:00-08:00"), start: 0, in: la) == (try t("2026-03-08T03:00:00-07:00")))
        #expect(daily.next(after: try t("2026-03-08T03:00:00-07:00"), start: 0, in: la) == (try t("2026-03-09T02:30:00-07:00")))
        let early = Schedule.at(times: [TimeOfDay(hour: 1, minute: 30)], days: .all)
        #expect(early.next(after: try t("2026-11-01T01:30:00-07:00"), start: 0, in: la) == (try t("2026-11-02T01:30:00-08:00")))
        let berlin = try scheduleTestZone("B")
        #expect(early.next(after: try t("2026-10-25T01:30:00+02:00"), start: 0, in: berlin) == (try t("2026-10-26T01:30:00+01:00")))
        let two = Schedule.at(times: [TimeOfDay(hour: 23, minute: 59, second: 30), TimeOfDay(hour: 7, minute: 5)],
                              days: try Schedule.parseDays(["mon-fri"]))
        #expect(two.next(after: try t("2026-01-02T07:05:00Z"), start: 0, in: .utc) == (try t("2026-01-02T23:59:30Z")))
        #expect(two.next(after: try t("2026-01-02T23:59:30Z"), start: 0, in: .utc) == (try t("2026-01-05T07:05:00Z")))
        let sat = Schedule.at(times: [TimeOfDay(hour: 23, minute: 59, second: 30)], days: try Schedule.parseDays(["sat"]))
        #expect(sat.next(after: try t("2026-01-01T00:00:00Z"), start: 0, in: .utc) == (try t("2026-01-03T23:59:30Z")))
        let kolkata = try scheduleTestZone("K")
        #expect(sat.next(after: try t("2026-01-01T00:00:00Z"), start: 0, in: kolkata) == (try t("2026-01-03T23:59:30+05:30")))
        #expect(Schedule.at(times: [], days: .all).next(after: 0, start: 0, in: .utc) == nil)
        #expect(Schedule.at(times: [TimeOfDay(hour: 1, minute: 0)], days: DaySet(rawValue: 0)).next(after: 0, start: 0, in: .utc) == nil)
        #expect(Schedule.at(times: [TimeOfDay(hour: 25, minute: 0)], days: .all).next(after: 0, start: 0, in: .utc) == nil)
        #expect(Schedule.cron(try CronExpression(parsing: "@daily")).next(after: 0, start: 0, in: .utc) == 86_400)
        #expect(Schedule.at(times: [TimeOfDay(hour: 1, minute: 0)], days: .all) == .at(times: [TimeOfDay(hour: 1, minute: 0)], days: .all))
    }

    @Test("parseDays")
    func days() throws {
        #expect(try Schedule.parseDays(["mon-fri"]) == .weekdays)
        #expect(try Schedule.parseDays(["sat", "sun"]) == .weekend)
        #expect(try Schedule.parseDays(["sat-sun"]) == .weekend)
        #expect(try Schedule.parseDays(["mon,wed"]) == DaySet(weekdays: [1, 3]))
        #expect(try Schedule.parseDays(["*"]) == .all)
        #expect(try Schedule.parseDays(["Monday", "FRI-mon"]) == DaySet(weekdays: [1, 5, 6, 0]))
        #expect(try Schedule.parseDays(["0", "7"]) == DaySet(weekdays: [0]))
        #expect(try Schedule.parseDays(["1-5"]) == .weekdays)
        #expect(DaySet.weekdays.description == "mon,tue,wed,thu,fri")
        #expect(throws: ScheduleError("days: no days given")) { try Schedule.parseDays([]) }
        #expect(throws: ScheduleError("days: empty day list")) { try Schedule.parseDays([""]) }
        #expect(throws: ScheduleError("days \"mon,xyz\": unknown day 'xyz' (expected sun, mon, tue, wed, thu, fri, sat)", column: 5)) {
            try Schedule.parseDays(["mon,xyz"])
        }
        #expect(throws: ScheduleError("days \"mon,\": empty list element after ','", column: 4)) { try Schedule.parseDays(["mon,"]) }
        #expect(throws: ScheduleError("days \"8\": day number 8 is out of range 0-7", column: 1)) { try Schedule.parseDays(["8"]) }
        #expect(throws: ScheduleError("days \"mon fri\": unexpected character ' '", column: 4)) { try Schedule.parseDays(["mon fri"]) }
        #expect(throws: ScheduleError("days \"mon-\": expected a day name or number", column: 5)) { try Schedule.parseDays(["mon-"]) }
    }

    @Test("parseTimeOfDay")
    func timeOfDay() throws {
        #expect(try Schedule.parseTimeOfDay("23:59") == TimeOfDay(hour: 23, minute: 59))
        #expect(try Schedule.parseTimeOfDay("7:05") == TimeOfDay(hour: 7, minute: 5))
        #expect(try Schedule.parseTimeOfDay("07:05") == TimeOfDay(hour: 7, minute: 5))
        #expect(try Schedule.parseTimeOfDay("23:59:30") == TimeOfDay(hour: 23, minute: 59, second: 30))
        #expect(try Schedule.parseTimeOfDay("0:00").secondsOfDay == 0)
        #expect(TimeOfDay(hour: 7, minute: 5).description == "07:05")
        #expect(throws: ScheduleError("time of day is empty")) { try Schedule.parseTimeOfDay("") }
        #expect(throws: ScheduleError("time of day \"24:00\": hour 24 is out of range 0-23", column: 1)) { try Schedule.parseTimeOfDay("24:00") }
        #expect(throws: ScheduleError("time of day \"12:60\": minute 60 is out of range 0-59", column: 4)) { try Schedule.parseTimeOfDay("12:60") }
        #expect(throws: ScheduleError("time of day \"12:30:99\": second 99 is out of range 0-59", column: 7)) { try Schedule.parseTimeOfDay("12:30:99") }
        #expect(throws: ScheduleError("time of day \"7:5\": expected 2 digits for the minute", column: 3)) { try Schedule.parseTimeOfDay("7:5") }
        #expect(throws: ScheduleError("time of day \"1230\": expected ':' after the hour, found '3'", column: 3)) { try Schedule.parseTimeOfDay("1230") }
        #expect(throws: ScheduleError("time of day \"12\": expected ':' and minutes (HH:MM)", column: 3)) { try Schedule.parseTimeOfDay("12") }
        #expect(throws: ScheduleError("time of day \"12:30pm\": unexpected character 'p'", column: 6)) { try Schedule.parseTimeOfDay("12:30pm") }
        #expect(throws: ScheduleError("time of day \"x\": expected the hour", column: 1)) { try Schedule.parseTimeOfDay("x") }
    }
}

// MARK: - Robustness

@Suite("Parsers never crash")
struct ScheduleFuzzTests {
    static func randomString(_ rng: inout ScheduleTestRNG, alphabet: [Character], maxLength: Int) -> String {
        let n = Int(rng.next() % UInt64(maxLength + 1))
        var s = ""
        for _ in 0..<n { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
        return s
    }

    @Test("random cron expressions")
    func cron() throws {
        let la = try scheduleTestZone("L")
        let alphabet = Array("0123456789999*/-,,@ \tLW#?abcdefjmnorstuyADEFJMNOSTUYé")
        var rng = ScheduleTestRNG(state: 1)
        var parsed = 0
        for k in 0..<20_000 {
            var s = Self.randomString(&rng, alphabet: alphabet, maxLength: 24)
            if k % 3 == 0 {   // mostly well-formed shapes
                let pieces = ["*", "*/2", "1-5", "0", "5", "1,2", "10-20/3", "7/2", "mon", "jan-mar", "L", "?", "60", "0-7", "*/7", "31", "fri-sun"]
                let count = 5 + Int(rng.next() % 2)
                s = (0..<count).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined(separator: " ")
            }
            if let e = try? CronExpression(parsing: s) {
                parsed += 1
                if parsed % 10 == 0 {
                    let after = rng.next(in: 0...4_000_000_000)
                    if let n = e.next(after: after, in: la) { #expect(n > after) }
                }
            }
        }
        #expect(parsed > 100)
    }

    @Test("random timestamps, TZ strings, days and times of day")
    func others() throws {
        var rng = ScheduleTestRNG(state: 2)
        let tsAlphabet = Array("0123456789-:T.Z+ tz")
        let tzAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ<>+-0123456789:,./JM")
        let dayAlphabet = Array("montuewdhfrisa*-,0123456789 ")
        for _ in 0..<20_000 {
            _ = try? CivilTime.parseRFC3339(Self.randomString(&rng, alphabet: tsAlphabet, maxLength: 30))
            if let z = try? TimeZoneRules(posixTZ: Self.randomString(&rng, alphabet: tzAlphabet, maxLength: 30)) {
                let t = Int64(bitPattern: rng.next())
                _ = z.offset(atUnix: t)
                _ = z.nextTransition(after: t)
            }
            _ = try? Schedule.parseDays([Self.randomString(&rng, alphabet: dayAlphabet, maxLength: 10)])
            _ = try? Schedule.parseTimeOfDay(Self.randomString(&rng, alphabet: Array("0123456789: "), maxLength: 9))
        }
        // Well-formed but extreme timestamps.
        #expect(try CivilTime.parseRFC3339("9999-12-31T23:59:59-23:59").unixSeconds == 253_402_387_139)
        #expect(try CivilTime.parseRFC3339("0000-01-01T00:00:00+23:59").unixSeconds == -62_167_305_540)
        for t in [Int64.min, Int64.max, 0] {
            for off in [Int.min, Int.max, 0, -28_378] {
                _ = CivilTime.formatRFC3339(unixSeconds: t, nanoseconds: .max, offsetSeconds: off, fractionDigits: .max)
                _ = CivilTime.formatRFC3339(unixSeconds: t, nanoseconds: .min, offsetSeconds: off, fractionDigits: .min)
            }
        }
        _ = TimeOfDay(hour: .max, minute: .max, second: .max).secondsOfDay
        _ = TimeZoneRules.fixed(offsetSeconds: .min, name: "")
    }
}
