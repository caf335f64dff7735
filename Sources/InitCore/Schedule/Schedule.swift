// Schedules (cron / every / at+days) and the shared local-time search with DST handling.

/// A wall-clock time of day.
public struct TimeOfDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// Fields are not validated here (use `Schedule.parseTimeOfDay`); a time outside
    /// 00:00:00...23:59:59 never matches.
    public init(hour: Int, minute: Int, second: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    var isValid: Bool {
        hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
    }

    /// Seconds since midnight (only meaningful when valid).
    public var secondsOfDay: Int { hour &* 3600 &+ minute &* 60 &+ second }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool {
        (a.hour, a.minute, a.second) < (b.hour, b.minute, b.second)
    }

    /// "07:05" or "23:59:30".
    public var description: String {
        func two(_ v: Int) -> String { v >= 0 && v < 10 ? "0\(v)" : String(v) }
        return second == 0 ? "\(two(hour)):\(two(minute))" : "\(two(hour)):\(two(minute)):\(two(second))"
    }
}

/// A set of week days; bit n = weekday n (0 = Sunday ... 6 = Saturday).
public struct DaySet: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x7F }

    /// Weekday numbers 0...7 (7 = Sunday); others are ignored.
    public init(weekdays: [Int]) {
        var r: UInt8 = 0
        for d in weekdays where d >= 0 && d <= 7 { r |= 1 << UInt8(d % 7) }
        rawValue = r
    }

    public static let all = DaySet(rawValue: 0x7F)
    public static let weekdays = DaySet(rawValue: 0b0111110)
    public static let weekend = DaySet(rawValue: 0b1000001)

    public func contains(_ weekday: Int) -> Bool {
        weekday >= 0 && weekday <= 6 && (rawValue >> UInt8(weekday)) & 1 == 1
    }

    public var isEmpty: Bool { rawValue == 0 }

    /// Sorted weekday numbers.
    public var weekdayNumbers: [Int] { (0...6).filter { contains($0) } }

    static let shortNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let longNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// e.g. "mon,wed,fri" or "*".
    public var description: String {
        if rawValue == 0x7F { return "*" }
        return weekdayNumbers.map { Self.shortNames[$0] }.joined(separator: ",")
    }
}

/// When a task runs.
public enum Schedule: Sendable, Equatable {
    /// A cron expression evaluated in the zone's local time.
    case cron(CronExpression)
    /// Every `seconds` seconds from swinit's start, each run delayed by the caller's jitter.
    case every(seconds: Int64, jitterSeconds: Int64)
    /// At each of `times` (local wall clock) on each of `days`. Uses the fixed-time DST rules:
    /// a time in a spring-forward gap runs at the first instant after the gap, a repeated time
    /// runs at its first occurrence only.
    case at(times: [TimeOfDay], days: DaySet)

    /// The next run strictly after `after` (Unix seconds).
    ///
    /// - `start`: swinit's start, the anchor for `.every` (runs at start + k*interval + jitter,
    ///   k >= 0).
    /// - `jitter`: a value in 0...jitterSeconds picked by the caller (clamped into that range);
    ///   only used by `.every`.
    /// Returns nil for `@reboot`, an interval <= 0, empty times/days, arithmetic overflow, or
    /// when nothing matches within `CronExpression.searchHorizonSeconds`.
    public func next(after: Int64, start: Int64, in zone: TimeZoneRules, jitter: Int64 = 0) -> Int64? {
        switch self {
        case .cron(let expr):
            return expr.next(after: after, in: zone)
        case .every(let interval, let jitterSeconds):
            guard interval > 0 else { return nil }
            let maxJitter = jitterSeconds > 0 ? jitterSeconds : 0
            let j = jitter < 0 ? 0 : (jitter > maxJitter ? maxJitter : jitter)
            let (base, o1) = start.addingReportingOverflow(j)
            if o1 { return nil }
            if base > after { return base }
            let (diff, o2) = after.subtractingReportingOverflow(base)   // >= 0
            if o2 { return nil }
            let k = diff / interval + 1
            let (prod, o3) = k.multipliedReportingOverflow(by: interval)
            if o3 { return nil }
            let (r, o4) = base.addingReportingOverflow(prod)
            return o4 ? nil : r
        case .at(let times, let days):
            var secs: [Int64] = []
            for t in times where t.isValid { secs.append(Int64(t.secondsOfDay)) }
            secs.sort()
            if secs.isEmpty || days.isEmpty { return nil }
            return LocalTimeSearch.next(after: after, in: zone, followsRealTime: false,
                                        matcher: .at(secondsOfDay: secs, days: days))
        }
    }

    // MARK: - Parsing helpers

    /// Parses week day lists: each string is a comma list of `*`, day names (`mon`, `monday`,
    /// case-insensitive), numbers 0-7 (0 and 7 = Sunday) and ranges `mon-fri`. Ranges may wrap
    /// around the week end: `fri-mon` = fri,sat,sun,mon; `sat-sun` = the weekend.
    public static func parseDays(_ days: [String]) throws(ScheduleError) -> DaySet {
        if days.isEmpty { throw ScheduleError("days: no days given") }
        var r: UInt8 = 0
        for entry in days {
            r |= try parseDayList(entry).rawValue
        }
        return DaySet(rawValue: r)
    }

    static func parseDayList(_ s: String) throws(ScheduleError) -> DaySet {
        let u = Array(s.unicodeScalars)
        func fail(_ what: String, _ pos: Int) -> ScheduleError {
            ScheduleError("days \"\(s)\": \(what)", column: pos + 1)
        }
        if u.isEmpty { throw ScheduleError("days: empty day list") }
        var r: UInt8 = 0
        var i = 0
        func day() throws(ScheduleError) -> Int {
            let start = i
            guard i < u.count else { throw fail("expected a day name or number", i) }
            if let d0 = CivilTime.digitValue(u[i]) {
                i += 1
                if i < u.count, CivilTime.digitValue(u[i]) != nil {
                    throw fail("day number \(d0)\(u[i]) is out of range 0-7", start)
                }
                if d0 > 7 { throw fail("day number \(d0) is out of range 0-7", start) }
                return d0 % 7
            }
            var word = ""
            while i < u.count, CronParser.isLetter(u[i]) {
                let c = u[i]
                word.unicodeScalars.append((c.value >= 65 && c.value <= 90) ? Unicode.Scalar(c.value + 32)! : c)
                i += 1
            }
            if word.isEmpty { throw fail("expected a day name or number, found '\(u[i])'", i) }
            if let k = DaySet.shortNames.firstIndex(of: word) ?? DaySet.longNames.firstIndex(of: word) { return k }
            throw fail("unknown day '\(word)' (expected sun, mon, tue, wed, thu, fri, sat)", start)
        }
        while true {
            if i < u.count, u[i] == "*" {
                r = 0x7F
                i += 1
            } else {
                let a = try day()
                var b = a
                if i < u.count, u[i] == "-" {
                    i += 1
                    b = try day()
                }
                var d = a
                while true {
                    r |= 1 << UInt8(d)
                    if d == b { break }
                    d = (d + 1) % 7
                }
            }
            if i == u.count { break }
            guard u[i] == "," else { throw fail("unexpected character '\(u[i])'", i) }
            i += 1
            if i == u.count { throw fail("empty list element after ','", i - 1) }
        }
        return DaySet(rawValue: r)
    }

    /// Parses `H:MM`, `HH:MM` or `HH:MM:SS` (24-hour clock), e.g. "7:05", "23:59", "23:59:30".
    public static func parseTimeOfDay(_ s: String) throws(ScheduleError) -> TimeOfDay {
        let u = Array(s.unicodeScalars)
        func fail(_ what: String, _ pos: Int) -> ScheduleError {
            ScheduleError("time of day \"\(s)\": \(what)", column: pos + 1)
        }
        if u.isEmpty { throw ScheduleError("time of day is empty") }
        var i = 0
        func number(_ minDigits: Int, _ maxDigits: Int, _ what: String) throws(ScheduleError) -> Int {
            let start = i
            var v = 0
            while i < u.count, i - start < maxDigits, let d = CivilTime.digitValue(u[i]) {
                v = v * 10 + d
                i += 1
            }
            if i - start < minDigits {
                throw fail(minDigits == maxDigits ? "expected \(minDigits) digits for the \(what)" : "expected the \(what)", start)
            }
            return v
        }
        let h = try number(1, 2, "hour")
        guard i < u.count, u[i] == ":" else {
            throw fail(i < u.count ? "expected ':' after the hour, found '\(u[i])'" : "expected ':' and minutes (HH:MM)", i)
        }
        i += 1
        let mPos = i
        let m = try number(2, 2, "minute")
        var sec = 0
        var sPos = i
        if i < u.count, u[i] == ":" {
            i += 1
            sPos = i
            sec = try number(2, 2, "second")
        }
        if i < u.count { throw fail("unexpected character '\(u[i])'", i) }
        if h > 23 { throw fail("hour \(h) is out of range 0-23", 0) }
        if m > 59 { throw fail("minute \(m) is out of range 0-59", mPos) }
        if sec > 59 { throw fail("second \(sec) is out of range 0-59", sPos) }
        return TimeOfDay(hour: h, minute: m, second: sec)
    }
}

// MARK: - Local time search

/// What to look for in local (wall clock) time.
enum LocalMatcher {
    case cron(CronExpression)
    /// Sorted seconds-of-day in 0..<86400, non-empty; `days` non-empty.
    case at(secondsOfDay: [Int64], days: DaySet)

    /// Smallest matching local second in `start...limit` (local seconds = wall clock read as UTC).
    func nextLocal(atOrAfter start: Int64, notAfter limit: Int64) -> Int64? {
        if start > limit { return nil }
        switch self {
        case .cron(let e):
            return e.nextLocal(atOrAfter: start, notAfter: limit)
        case .at(let secs, let days):
            var day = CivilTime.floorDiv(start, 86_400)
            let firstTOD = start - day * 86_400
            let limitDay = CivilTime.floorDiv(limit, 86_400)
            var first = true
            while day <= limitDay {
                if days.contains(CivilTime.weekday(days: day)) {
                    for s in secs where !first || s >= firstTOD {
                        let t = day * 86_400 + s
                        return t <= limit ? t : nil
                    }
                }
                first = false
                day += 1
            }
            return nil
        }
    }
}

enum LocalTimeSearch {
    /// Instants further than this from the epoch (about 142 million years) are not scheduled.
    static let instantBound: Int64 = 1 << 52

    /// The first instant strictly after `after` whose local time matches.
    ///
    /// The timeline is walked period by period (a period = an interval with one UTC offset,
    /// ended by `zone.nextTransition`). Within a period local time is `instant + offset`.
    ///
    /// - Real-time jobs: every instant whose local time matches is a run (gap times are
    ///   skipped, repeated times run twice).
    /// - Fixed-time jobs: local times already shown by the clock earlier (the second pass
    ///   of a fall-back) are skipped, so a repeated time runs only at its first occurrence; when
    ///   a transition skips local times [T+o, T+o2) and one of them matches, the job runs at the
    ///   transition instant T (the first instant after the gap). To know which local times were
    ///   already shown, the walk starts three days before `after`.
    static func next(after: Int64, in zone: TimeZoneRules, followsRealTime: Bool, matcher: LocalMatcher) -> Int64? {
        guard after > -instantBound, after < instantBound else { return nil }
        let endInstant = after + CronExpression.searchHorizonSeconds
        var s = followsRealTime ? after + 1 : after + 1 - 3 * 86_400
        var maxLocalSeen = Int64.min
        while s <= endInstant {
            let o = Int64(zone.offset(atUnix: s))
            var transition = zone.nextTransition(after: s)
            if let t = transition, t > endInstant { transition = nil }
            let lowerInstant = s > after ? s : after + 1
            if transition == nil || lowerInstant < transition! {
                var low = lowerInstant + o
                if !followsRealTime, maxLocalSeen != Int64.min, maxLocalSeen + 1 > low { low = maxLocalSeen + 1 }
                var limit = endInstant + o
                if let t = transition, t - 1 + o < limit { limit = t - 1 + o }
                if let c = matcher.nextLocal(atOrAfter: low, notAfter: limit) { return c - o }
            }
            guard let t = transition else { return nil }
            if !followsRealTime {
                let o2 = Int64(zone.offset(atUnix: t))
                if o2 > o, t > after {
                    // Local times [t+o, t+o2) never appear on the clock.
                    var gapLow = t + o
                    if maxLocalSeen != Int64.min, maxLocalSeen + 1 > gapLow { gapLow = maxLocalSeen + 1 }
                    if matcher.nextLocal(atOrAfter: gapLow, notAfter: t + o2 - 1) != nil { return t }
                }
                if t - 1 + o > maxLocalSeen { maxLocalSeen = t - 1 + o }
            }
            s = t
        }
        return nil
    }
}
