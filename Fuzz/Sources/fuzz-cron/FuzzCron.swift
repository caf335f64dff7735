// Fuzz target: schedules (Sources/InitCore/Schedule/).
//
// The input is read as lines. Each line (the first 6) is tried as a cron expression, a
// `ConfigLoader.parseSchedule` schedule ("every 5m", "at 7:00 on mon-fri", cron), a time of day,
// an RFC 3339 timestamp and a day list; all lines together as `Schedule.parseDays`. A line
// `TZ=<posix tz>` adds that zone. `after` values come from a hash of the input, a few fixed
// instants, and any line that parses as an RFC 3339 timestamp.
//
// Invariants beyond "does not crash":
// - errors have a non-empty message and a column (if any) within the text (1...count+1);
// - `CronExpression.next(after:in:)` in UTC and fixed-offset zones is strictly after `after`,
//   within the search horizon, matches the expression in local time, and asking again from one
//   second earlier gives the same instant; in DST zones it is strictly after `after` and within
//   the horizon; parsing the same text twice gives equal expressions;
// - `Schedule.next` is strictly after `after`;
// - a parsed time of day is a valid clock time; a parsed day list is not empty;
// - an RFC 3339 timestamp formats and parses back to the same instant and offset.
import FuzzSupport
import InitCore

let horizon = CronExpression.searchHorizonSeconds
let fixedZones: [TimeZoneRules] = [.utc, .fixed(offsetSeconds: 5 * 3600 + 1800, name: "IST"), .fixed(offsetSeconds: -7 * 3600, name: "")]
let dstZones: [TimeZoneRules] = [
    try! TimeZoneRules(posixTZ: "CET-1CEST,M3.5.0,M10.5.0/3"),
    try! TimeZoneRules(posixTZ: "PST8PDT,M3.2.0,M11.1.0"),
    try! TimeZoneRules(posixTZ: "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"),   // Lord Howe: 30 min DST
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let text = String(decoding: input, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(6).map(String.init)
    let h = fnv1a(input)

    var afters: [Int64] = [
        1_774_746_000 + Int64(h % 40_000_000),                 // 2026-03-29 and a year or so after
        Int64(bitPattern: h) >> 24,                              // anywhere in ±2^39 s
        h & 1 == 0 ? 1_762_066_799 : -1,                         // just before a US fall-back; 1969
        h & 2 == 0 ? Int64.max : Int64.min + Int64(h >> 60),     // far outside the supported range
    ]
    var zones = fixedZones + [dstZones[Int(h % UInt64(dstZones.count))]]

    for line in lines {
        // RFC 3339 first: a valid timestamp becomes an `after` for the other lines.
        do {
            let (unix, offset) = try CivilTime.parseRFC3339(line)
            afters.append(unix)
            let formatted = CivilTime.formatRFC3339(unixSeconds: unix, offsetSeconds: offset)
            // A leap second at the very end of 9999 ("9999-12-31T23:59:60Z") denotes year 10000,
            // which formats with 5 digits that the parser (4-digit years) rejects. Known and
            // harmless (reported with the first fuzzing run); only 4-digit years round-trip.
            let fourDigitYear = formatted.utf8.count > 4 && Array(formatted.utf8)[4] == UInt8(ascii: "-")
            if fourDigitYear { do {
                let (unix2, offset2) = try CivilTime.parseRFC3339(formatted)
                check(unix2 == unix && offset2 == offset,
                      "RFC 3339 round trip: \(escaped(line)) -> (\(unix), \(offset)) -> \(formatted) -> (\(unix2), \(offset2))")
            } catch {
                check(false, "RFC 3339 round trip: \(escaped(line)) -> \(formatted) does not parse: \(error)")
            } }
        } catch {
            checkError(error, line)
        }
        if line.hasPrefix("TZ=") {
            do { zones.append(try TimeZoneRules(posixTZ: String(line.dropFirst(3)))) } catch { checkError(error, String(line.dropFirst(3))) }
        }
    }

    for line in lines {
        do {
            let expr = try CronExpression(parsing: line)
            check(expr == (try? CronExpression(parsing: line)), "cron: parsing \(escaped(line)) twice differs")
            for after in afters.prefix(7) {
                for zone in zones.prefix(6) { checkNext(expr, line, after: after, zone: zone) }
            }
        } catch {
            checkError(error, line)
        }

        switch ConfigLoader.parseSchedule(line) {
        case .success(let schedule):
            for after in afters.prefix(3) {
                for zone in zones.prefix(2) + zones.suffix(1) {
                    if let r = schedule.next(after: after, start: after &- Int64(h % 100_000), in: zone, jitter: Int64(h % 7)) {
                        check(r > after, "schedule \(escaped(line)).next(after: \(after), in: \(zone.name)) = \(r) is not after it")
                    }
                }
            }
        case .failure(let error):
            checkError(error, line)
        }

        do {
            let t = try Schedule.parseTimeOfDay(line)
            check((0...23).contains(t.hour) && (0...59).contains(t.minute) && (0...59).contains(t.second),
                  "time of day \(escaped(line)) parsed as \(t)")
        } catch {
            checkError(error, line)
        }

        do {
            let days = try Schedule.parseDays([line])
            check(!days.isEmpty, "days \(escaped(line)) parsed as an empty set")
        } catch {
            checkError(error, line)
        }
    }
    do {
        let days = try Schedule.parseDays(lines)
        check(!days.isEmpty, "days \(lines) parsed as an empty set")
    } catch {
        // Columns refer to one of the lines: only the message is checked.
        check(!error.message.isEmpty, "days: error without a message")
    }
    return 0
}

func checkError(_ error: ScheduleError, _ text: String) {
    check(!error.message.isEmpty, "error without a message for \(escaped(text))")
    if let column = error.column {
        let n = text.unicodeScalars.count
        check(column >= 1 && column <= n + 1, "error column \(column) outside 1...\(n + 1) for \(escaped(text)): \(error)")
    }
}

func checkNext(_ expr: CronExpression, _ line: String, after: Int64, zone: TimeZoneRules) {
    guard let r = expr.next(after: after, in: zone) else { return }
    let what = "cron \(escaped(line)).next(after: \(after), in: \(zone.name)) = \(r)"
    check(!expr.isReboot, "\(what) for @reboot")
    check(r > after, "\(what) is not after \(after)")
    check(r <= after &+ horizon, "\(what) is beyond the search horizon")
    guard fixedZones.contains(zone) else { return }
    // Fixed offset: no gaps or repeats, so the run must match the fields in local time and be
    // the first match from any earlier start in [after, r).
    let local = CivilTime.civil(r + Int64(zone.offset(atUnix: r)))
    check(expr.matches(local), "\(what): local time \(local) does not match the expression")
    let again = expr.next(after: r - 1, in: zone)
    check(again == r, "\(what), but next(after: \(r - 1)) = \(again.map(String.init) ?? "nil")")
}
