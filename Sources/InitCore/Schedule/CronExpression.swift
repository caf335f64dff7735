// Cron expressions (Vixie cron syntax, optional leading seconds field) and next-run search.

/// A parsed cron expression.
///
/// Syntax: 5 fields `minute hour day-of-month month day-of-week`, or 6 with a leading
/// `second` field. Each field is a comma list of `*`, `n`, `a-b`, `*/n`, `a-b/n` or `a/n`
/// (`a` to the field maximum). Months accept JAN-DEC and days SUN-SAT (case-insensitive);
/// day-of-week is 0-7 with both 0 and 7 meaning Sunday. Macros: `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@reboot`.
/// Quartz extensions `L`, `W`, `#` and `?` are rejected.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted
/// (neither field starts with `*`) a day matches if EITHER matches; otherwise both must.
///
/// Time zones and DST (see `next(after:in:)`): a job whose minute or hour field starts with
/// `*` (Vixie cron's "wildcard" jobs, e.g. `*/15 * * * *` or `5 * * * *`) follows real time:
/// it runs whenever the local wall clock matches, so it is skipped inside a spring-forward gap
/// and runs in both passes of a repeated hour. Every other job is a "fixed-time" job: a wall
/// time that does not exist runs once at the first instant after the gap (the transition
/// instant, e.g. 03:00 local on the US spring-forward day), and a wall time that occurs
/// twice runs only at its first occurrence.
///
/// Equality compares meaning, not spelling (`0 * * * *` == `0 0 * * * *` == `@hourly`).
public struct CronExpression: Sendable, Equatable {
    /// True for `@reboot`: run once at start, never scheduled by time.
    public private(set) var isReboot: Bool
    /// True when the minute or hour field starts with `*`: the job follows real time across
    /// DST changes instead of the fixed-time rules.
    public private(set) var followsRealTime: Bool

    // Bit n set = value n allowed.
    var seconds: UInt64
    var minutes: UInt64
    var hours: UInt64
    var daysOfMonth: UInt64
    var months: UInt64
    var daysOfWeek: UInt64       // bits 0...6, Sunday = 0
    var domStar: Bool
    var dowStar: Bool

    /// How far `next` searches before giving up: 8 years, enough to reach February 29 across a
    /// non-leap century year (2097 -> 2104).
    public static let searchHorizonSeconds: Int64 = 8 * 366 * 86_400

    public init(parsing text: String) throws(ScheduleError) {
        var p = CronParser(text: text)
        self = try p.parse()
    }

    init(seconds: UInt64, minutes: UInt64, hours: UInt64, daysOfMonth: UInt64, months: UInt64,
         daysOfWeek: UInt64, domStar: Bool, dowStar: Bool, followsRealTime: Bool, isReboot: Bool) {
        self.seconds = seconds
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        self.domStar = domStar
        self.dowStar = dowStar
        self.followsRealTime = followsRealTime
        self.isReboot = isReboot
    }

    /// The first run strictly after `after` (Unix seconds), evaluating the fields in `zone`'s
    /// local time; nil for `@reboot` or if there is no run within `searchHorizonSeconds`
    /// (e.g. `0 0 30 2 *`). See the type documentation for the DST rules.
    public func next(after: Int64, in zone: TimeZoneRules) -> Int64? {
        if isReboot { return nil }
        return LocalTimeSearch.next(after: after, in: zone, followsRealTime: followsRealTime,
                                    matcher: .cron(self))
    }

    /// Whether the fields match the given wall-clock time (ignores `@reboot`).
    public func matches(_ c: CivilDateTime) -> Bool {
        guard c.month >= 1, c.month <= 12, c.day >= 1, c.day <= CivilTime.daysInMonth(year: c.year, month: c.month),
              c.hour >= 0, c.hour <= 23, c.minute >= 0, c.minute <= 59, c.second >= 0, c.second <= 59 else {
            return false
        }
        let dayNum = CivilTime.days(year: c.year, month: c.month, day: c.day)
        return Self.bit(months, c.month) && dayMatches(c.day, weekday: CivilTime.weekday(days: dayNum))
            && Self.bit(hours, c.hour) && Self.bit(minutes, c.minute) && Self.bit(seconds, c.second)
    }

    // MARK: - Matching helpers

    @inline(__always)
    static func bit(_ mask: UInt64, _ n: Int) -> Bool {
        n >= 0 && n < 64 && (mask >> UInt64(n)) & 1 == 1
    }

    /// Smallest allowed value >= `from`, or nil.
    @inline(__always)
    static func nextBit(_ mask: UInt64, from: Int) -> Int? {
        if from >= 64 { return nil }
        let m = from <= 0 ? mask : mask & (~UInt64(0) << UInt64(from))
        return m == 0 ? nil : m.trailingZeroBitCount
    }

    @inline(__always)
    func dayMatches(_ dom: Int, weekday: Int) -> Bool {
        let a = Self.bit(daysOfMonth, dom)
        let b = Self.bit(daysOfWeek, weekday)
        return (domStar || dowStar) ? (a && b) : (a || b)
    }

    /// Smallest matching local (wall clock, as if UTC) second in `start...limit`, or nil.
    func nextLocal(atOrAfter start: Int64, notAfter limit: Int64) -> Int64? {
        if start > limit { return nil }
        let c = CivilTime.civil(start)
        var y = Int64(c.year)
        var mo = c.month, d = c.day, h = c.hour, mi = c.minute, s = c.second
        let limitDay = CivilTime.floorDiv(limit, 86_400)
        while true {
            guard let m2 = Self.nextBit(months, from: mo), m2 <= 12 else {
                y += 1
                mo = 1; d = 1; h = 0; mi = 0; s = 0
                if CivilTime.daysFromCivil(y, 1, 1) > limitDay { return nil }
                continue
            }
            if m2 != mo { mo = m2; d = 1; h = 0; mi = 0; s = 0 }
            let dim = CivilTime.daysInMonth(year: Int(y), month: mo)
            let monthStart = CivilTime.daysFromCivil(y, Int64(mo), 1)
            var found = false
            while d <= dim {
                let dayNum = monthStart + Int64(d) - 1
                if dayNum > limitDay { return nil }
                if dayMatches(d, weekday: CivilTime.weekday(days: dayNum)) { found = true; break }
                d += 1; h = 0; mi = 0; s = 0
            }
            if !found {
                mo += 1; d = 1; h = 0; mi = 0; s = 0
                if mo > 12 { y += 1; mo = 1 }
                continue
            }
            guard let h2 = Self.nextBit(hours, from: h) else { d += 1; h = 0; mi = 0; s = 0; continue }
            if h2 != h { h = h2; mi = 0; s = 0 }
            guard let m3 = Self.nextBit(minutes, from: mi) else { h += 1; mi = 0; s = 0; continue }
            if m3 != mi { mi = m3; s = 0 }
            guard let s2 = Self.nextBit(seconds, from: s) else { mi += 1; s = 0; continue }
            s = s2
            let t = (monthStart + Int64(d) - 1) * 86_400 + Int64(h * 3600 + mi * 60 + s)
            return t <= limit ? t : nil
        }
    }
}

// MARK: - Parser

struct CronParser {
    let text: String
    let u: [Unicode.Scalar]

    init(text: String) {
        self.text = text
        self.u = Array(text.unicodeScalars)
    }

    struct Field {
        var name: String
        var min: Int
        var max: Int
        /// Maximum for `*` and open-ended `a/n` (6 for day-of-week, where 7 is only an alias).
        var openMax: Int
        var names: [String]     // index + nameBase = value
        var nameBase: Int
    }

    static let secondField = Field(name: "second", min: 0, max: 59, openMax: 59, names: [], nameBase: 0)
    static let minuteField = Field(name: "minute", min: 0, max: 59, openMax: 59, names: [], nameBase: 0)
    static let hourField = Field(name: "hour", min: 0, max: 23, openMax: 23, names: [], nameBase: 0)
    static let domField = Field(name: "day-of-month", min: 1, max: 31, openMax: 31, names: [], nameBase: 0)
    static let monthField = Field(name: "month", min: 1, max: 12, openMax: 12,
                                  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
                                  nameBase: 1)
    static let dowField = Field(name: "day-of-week", min: 0, max: 7, openMax: 6,
                                names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], nameBase: 0)

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
    }

    static func upper(_ c: Unicode.Scalar) -> Unicode.Scalar {
        (c.value >= 97 && c.value <= 122) ? Unicode.Scalar(c.value - 32)! : c
    }

    /// Token = (start index, end index) into `u`.
    func tokens() -> [(start: Int, end: Int)] {
        var out: [(Int, Int)] = []
        var i = 0
        while i < u.count {
            while i < u.count, Self.isSpace(u[i]) { i += 1 }
            if i >= u.count { break }
            let s = i
            while i < u.count, !Self.isSpace(u[i]) { i += 1 }
            out.append((s, i))
        }
        return out
    }

    func string(_ a: Int, _ b: Int) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: u[a..<b])
        return s
    }

    mutating func parse() throws(ScheduleError) -> CronExpression {
        let toks = tokens()
        guard let first = toks.first else { throw ScheduleError("empty cron expression") }
        if u[first.start] == "@" {
            let word = string(first.start, first.end)
            var lower = ""
            for c in word.unicodeScalars {
                lower.unicodeScalars.append((c.value >= 65 && c.value <= 90) ? Unicode.Scalar(c.value + 32)! : c)
            }
            let expansion: String
            switch lower {
            case "@yearly", "@annually": expansion = "0 0 1 1 *"
            case "@monthly": expansion = "0 0 1 * *"
            case "@weekly": expansion = "0 0 * * 0"
            case "@daily", "@midnight": expansion = "0 0 * * *"
            case "@hourly": expansion = "0 * * * *"
            case "@reboot":
                if toks.count > 1 {
                    throw ScheduleError("macro \(word) takes no fields", column: toks[1].start + 1)
                }
                return CronExpression(seconds: 0, minutes: 0, hours: 0, daysOfMonth: 0, months: 0, daysOfWeek: 0,
                                      domStar: false, dowStar: false, followsRealTime: false, isReboot: true)
            default:
                throw ScheduleError("unknown macro \(word) (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @reboot)",
                                    column: first.start + 1)
            }
            if toks.count > 1 {
                throw ScheduleError("macro \(word) takes no fields", column: toks[1].start + 1)
            }
            var p = CronParser(text: expansion)
            return try p.parse()
        }
        guard toks.count == 5 || toks.count == 6 else {
            let col: Int? = toks.count > 6 ? toks[6].start + 1 : nil
            throw ScheduleError("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got \(toks.count)",
                                column: col)
        }
        let specs: [Field] = toks.count == 6
            ? [Self.secondField, Self.minuteField, Self.hourField, Self.domField, Self.monthField, Self.dowField]
            : [Self.minuteField, Self.hourField, Self.domField, Self.monthField, Self.dowField]
        var masks: [UInt64] = []
        var stars: [Bool] = []
        for (k, spec) in specs.enumerated() {
            let (mask, star) = try field(spec, toks[k].start, toks[k].end)
            masks.append(mask)
            stars.append(star)
        }
        let o = toks.count == 6 ? 1 : 0
        var dow = masks[o + 4]
        if dow & (1 << 7) != 0 { dow = (dow & ~(1 << 7)) | 1 }   // 7 = Sunday
        return CronExpression(seconds: o == 1 ? masks[0] : 1, minutes: masks[o], hours: masks[o + 1],
                              daysOfMonth: masks[o + 2], months: masks[o + 3], daysOfWeek: dow,
                              domStar: stars[o + 2], dowStar: stars[o + 4],
                              followsRealTime: stars[o] || stars[o + 1], isReboot: false)
    }

    func err(_ f: Field, _ what: String, at pos: Int) -> ScheduleError {
        ScheduleError("\(f.name) field: \(what)", column: pos + 1)
    }

    func unsupported(_ f: Field, _ c: Unicode.Scalar, at pos: Int) -> ScheduleError? {
        switch c {
        case "L", "l": return err(f, "'L' (last day) is not supported", at: pos)
        case "W", "w": return err(f, "'W' (nearest weekday) is not supported", at: pos)
        case "#": return err(f, "'#' (nth weekday of the month) is not supported", at: pos)
        case "?": return err(f, "'?' is not supported; use '*'", at: pos)
        default: return nil
        }
    }

    func unexpected(_ f: Field, at pos: Int) -> ScheduleError {
        if let e = unsupported(f, u[pos], at: pos) { return e }
        return err(f, "unexpected character '\(u[pos])'", at: pos)
    }

    /// Parses one field in u[start..<end]; returns the bit mask and whether it starts with `*`.
    func field(_ f: Field, _ start: Int, _ end: Int) throws(ScheduleError) -> (UInt64, Bool) {
        var mask: UInt64 = 0
        var itemStart = start
        while true {
            var itemEnd = itemStart
            while itemEnd < end, u[itemEnd] != "," { itemEnd += 1 }
            if itemEnd == itemStart {
                throw err(f, "empty list element", at: itemStart)
            }
            mask |= try item(f, itemStart, itemEnd)
            if itemEnd == end { break }
            itemStart = itemEnd + 1
            if itemStart == end { throw err(f, "empty list element after ','", at: itemEnd) }
        }
        return (mask, u[start] == "*")
    }

    func item(_ f: Field, _ start: Int, _ end: Int) throws(ScheduleError) -> UInt64 {
        var i = start
        var lo: Int
        var hi: Int
        var single = false
        if u[i] == "*" {
            lo = f.min
            hi = f.openMax
            i += 1
        } else {
            let (a, aEnd) = try value(f, i, end)
            i = aEnd
            lo = a
            hi = a
            single = true
            if i < end, u[i] == "-" {
                i += 1
                if i >= end { throw err(f, "expected a value after '-'", at: i - 1) }
                let bStart = i
                let (b, bEnd) = try value(f, i, end)
                i = bEnd
                if b < a {
                    throw err(f, "range \(string(start, bEnd)) is reversed (start is after end)", at: bStart)
                }
                hi = b
                single = false
            }
        }
        var step = 1
        if i < end, u[i] == "/" {
            i += 1
            let stepStart = i
            var n = 0
            var digits = 0
            while i < end, let d = CivilTime.digitValue(u[i]) {
                if digits < 9 { n = n * 10 + d }
                digits += 1
                i += 1
            }
            if digits == 0 {
                if i < end, unsupported(f, u[i], at: i) != nil { throw unexpected(f, at: i) }
                throw err(f, "expected a number after '/'", at: stepStart)
            }
            let span = f.openMax - f.min + 1
            if n == 0 { throw err(f, "step 0 is invalid (must be at least 1)", at: stepStart) }
            if digits > 9 || n > span {
                throw err(f, "step \(string(stepStart, i)) is out of range 1-\(span)", at: stepStart)
            }
            step = n
            if single { hi = f.openMax < lo ? lo : f.openMax }
        }
        if i < end { throw unexpected(f, at: i) }
        var mask: UInt64 = 0
        var v = lo
        while v <= hi {
            mask |= 1 << UInt64(v)
            v += step
        }
        return mask
    }

    /// A number or (in month/day-of-week fields) a name.
    func value(_ f: Field, _ start: Int, _ end: Int) throws(ScheduleError) -> (Int, Int) {
        var i = start
        if CivilTime.digitValue(u[i]) != nil {
            var n = 0
            var digits = 0
            while i < end, let d = CivilTime.digitValue(u[i]) {
                if digits < 9 { n = n * 10 + d }
                digits += 1
                i += 1
            }
            if digits > 9 || n < f.min || n > f.max {
                throw err(f, "\(string(start, i)) is out of range \(f.min)-\(f.max)", at: start)
            }
            return (n, i)
        }
        if Self.isLetter(u[i]) {
            var word = ""
            while i < end, Self.isLetter(u[i]) {
                word.unicodeScalars.append(Self.upper(u[i]))
                i += 1
            }
            if let k = f.names.firstIndex(of: word) {
                return (k + f.nameBase, i)
            }
            if word == "L" || word == "W" || word == "LW" {
                throw unexpected(f, at: start)
            }
            if f.names.isEmpty {
                throw err(f, "unexpected name '\(string(start, i))' (names are only allowed in the month and day-of-week fields)", at: start)
            }
            let expected = "\(f.names.first ?? "")-\(f.names.last ?? "") or \(f.min)-\(f.max)"
            throw err(f, "unknown name '\(string(start, i))' (expected \(expected))", at: start)
        }
        if u[i] == "*" {
            throw err(f, "'*' must stand alone or be followed by '/step'", at: start)
        }
        if let e = unsupported(f, u[i], at: i) { throw e }
        throw err(f, "expected a number\(f.names.isEmpty ? "" : " or name"), found '\(u[i])'", at: start)
    }
}
