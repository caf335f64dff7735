// Civil (proleptic Gregorian) calendar arithmetic and RFC 3339 formatting/parsing.
// Pure standard library: no Foundation, no I/O.

/// An error from parsing a schedule, time zone or timestamp.
public struct ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Human readable message, e.g. "minute field: 61 is out of range 0-59".
    public var message: String
    /// 1-based column (in Unicode scalars) of the offending text, when known.
    public var column: Int?

    public init(_ message: String, column: Int? = nil) {
        self.message = message
        self.column = column
    }

    /// "column 5: minute field: ..." or just the message when no column is known.
    public var description: String {
        if let column { return "column \(column): \(message)" }
        return message
    }
}

/// A wall-clock date and time without any zone attached.
///
/// Out-of-range fields are normalised arithmetically by `CivilTime.unixSeconds`
/// (e.g. hour 24 is midnight of the next day).
public struct CivilDateTime: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }
}

/// Calendar math on the proleptic Gregorian calendar with 86 400-second days (Unix time).
public enum CivilTime {
    // MARK: - Integer helpers (never trap)

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        // b > 0 at every call site.
        let q = a / b
        return (a % b < 0) ? q - 1 : q
    }

    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }

    @inline(__always)
    static func clamp(_ v: Int, _ lo: Int64, _ hi: Int64) -> Int64 {
        let x = Int64(truncatingIfNeeded: v)
        return x < lo ? lo : (x > hi ? hi : x)
    }

    /// Saturating addition.
    @inline(__always)
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if !o { return r }
        return b > 0 ? Int64.max : Int64.min
    }

    // MARK: - Calendar

    public static func isLeapYear(_ y: Int64) -> Bool {
        (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    }

    public static func isLeapYear(_ y: Int) -> Bool { isLeapYear(Int64(truncatingIfNeeded: y)) }

    /// Days in the given month (1...12) of year `y`; 0 for an invalid month.
    public static func daysInMonth(year y: Int, month m: Int) -> Int {
        switch m {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(y) ? 29 : 28
        default: return 0
        }
    }

    /// Days since 1970-01-01 of the given civil date. `m` must be 1...12;
    /// |y| must be below roughly 10^12 (callers clamp).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        // Shift the year to start in March so the leap day is the last day of the year.
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400                                   // [0, 399]
        let mp = m > 2 ? m - 3 : m + 9                            // [0, 11], March = 0
        let doy = (153 * mp + 2) / 5 + d - 1                      // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy           // [0, 146096]
        return era * 146_097 + doe - 719_468
    }

    /// Civil date of the given day number (days since 1970-01-01). Valid for every Int64
    /// that is a day count of some Int64 second count (|z| < 2^47).
    static func civilFromDays(_ z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097                                          // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365     // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                    // [0, 365]
        let mp = (5 * doy + 2) / 153                                         // [0, 11]
        let d = doy - (153 * mp + 2) / 5 + 1                                 // [1, 31]
        let m = mp < 10 ? mp + 3 : mp - 9                                    // [1, 12]
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d)
    }

    /// Day number of a civil date where any field may be out of range (normalised).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = clamp(year, -1_000_000_000, 1_000_000_000)
        let m0 = clamp(month, -1_000_000_000_000, 1_000_000_000_000) - 1
        let yy = y + floorDiv(m0, 12)
        let mm = floorMod(m0, 12) + 1
        let d = clamp(day, -1_000_000_000_000, 1_000_000_000_000)
        return daysFromCivil(yy, mm, 1) + d - 1
    }

    /// Seconds since the Unix epoch of `c`, treating `c` as UTC. Out-of-range fields are
    /// normalised (month 13 is January of the next year, second 60 the next minute, ...).
    /// Absurd magnitudes are clamped so this never traps.
    public static func unixSeconds(_ c: CivilDateTime) -> Int64 {
        let d = days(year: c.year, month: c.month, day: c.day)
        let h = clamp(c.hour, -1_000_000_000_000, 1_000_000_000_000)
        let mi = clamp(c.minute, -1_000_000_000_000, 1_000_000_000_000)
        let s = clamp(c.second, -1_000_000_000_000, 1_000_000_000_000)
        return d * 86_400 + h * 3600 + mi * 60 + s
    }

    /// The UTC civil date and time of a Unix timestamp.
    public static func civil(_ unixSeconds: Int64) -> CivilDateTime {
        let days = floorDiv(unixSeconds, 86_400)
        let secs = floorMod(unixSeconds, 86_400)
        let (y, m, d) = civilFromDays(days)
        return CivilDateTime(year: Int(y), month: Int(m), day: Int(d),
                             hour: Int(secs / 3600), minute: Int(secs % 3600 / 60), second: Int(secs % 60))
    }

    /// Day of week of the UTC date of `unixSeconds`: 0 = Sunday ... 6 = Saturday.
    public static func weekday(_ unixSeconds: Int64) -> Int {
        weekday(days: floorDiv(unixSeconds, 86_400))
    }

    /// Day of week of a day number (days since 1970-01-01, a Thursday).
    static func weekday(days: Int64) -> Int {
        Int(floorMod(days + 4, 7))
    }

    // MARK: - RFC 3339 formatting

    private static func appendPadded(_ v: Int64, width: Int, to out: inout String) {
        var digits = String(v < 0 ? 0 &- v : v)   // v is never Int64.min here
        if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
        if v < 0 { out += "-" }
        out += digits
    }

    /// Formats an instant as RFC 3339, e.g. `2026-11-24T06:30:00Z` or `2026-11-24T06:30:00.250-08:00`.
    ///
    /// - `offsetSeconds`: offset east of UTC used for the local time shown. RFC 3339 offsets have
    ///   minute precision, so a sub-minute remainder (historic LMT offsets) is dropped and the
    ///   local time is computed with the truncated offset — the string always denotes the exact
    ///   instant. Offset 0 is written as `Z`.
    /// - `fractionDigits`: 0...9 digits of `nanoseconds` (truncated, not rounded).
    /// Years outside 0...9999 are written with as many digits as needed (and a leading `-`).
    public static func formatRFC3339(unixSeconds: Int64, nanoseconds: Int = 0, offsetSeconds: Int = 0,
                                     fractionDigits: Int = 0) -> String {
        let offClamped = clamp(offsetSeconds, -99 * 3600, 99 * 3600)
        let offMinutes = offClamped / 60                          // truncates toward zero
        var local = add(unixSeconds, offMinutes * 60)
        // Keep the year computation far from Int64 overflow.
        let bound: Int64 = 1 << 55
        if local > bound { local = bound } else if local < -bound { local = -bound }
        let c = civil(local)
        var out = ""
        out.reserveCapacity(35)
        appendPadded(Int64(c.year), width: 4, to: &out)
        out += "-"; appendPadded(Int64(c.month), width: 2, to: &out)
        out += "-"; appendPadded(Int64(c.day), width: 2, to: &out)
        out += "T"; appendPadded(Int64(c.hour), width: 2, to: &out)
        out += ":"; appendPadded(Int64(c.minute), width: 2, to: &out)
        out += ":"; appendPadded(Int64(c.second), width: 2, to: &out)
        let digits = fractionDigits < 0 ? 0 : (fractionDigits > 9 ? 9 : fractionDigits)
        if digits > 0 {
            var ns = clamp(nanoseconds, 0, 999_999_999)
            for _ in 0..<(9 - digits) { ns /= 10 }
            out += "."
            appendPadded(ns, width: digits, to: &out)
        }
        if offMinutes == 0 {
            out += "Z"
        } else {
            let a = offMinutes < 0 ? -offMinutes : offMinutes
            out += offMinutes < 0 ? "-" : "+"
            appendPadded(a / 60, width: 2, to: &out)
            out += ":"
            appendPadded(a % 60, width: 2, to: &out)
        }
        return out
    }

    // MARK: - RFC 3339 parsing

    /// Parses an RFC 3339 timestamp such as `2026-11-24T06:30:00Z`, `2026-11-24T06:30:00-08:00`
    /// or `2026-11-24T06:30:00.123456789+05:30`. `t`/`z` may be lower case and a single space
    /// may separate date and time. Fractional seconds are accepted and truncated (see
    /// `parseRFC3339Nanoseconds` to keep them). A leap second `:60` is accepted and denotes the
    /// same Unix second as `:00` of the next minute. `-00:00` is treated as UTC.
    public static func parseRFC3339(_ s: String) throws(ScheduleError) -> (unixSeconds: Int64, offsetSeconds: Int) {
        let r = try parseRFC3339Nanoseconds(s)
        return (r.unixSeconds, r.offsetSeconds)
    }

    /// Like `parseRFC3339` but also returns the fractional second (first 9 digits, truncated).
    public static func parseRFC3339Nanoseconds(_ s: String) throws(ScheduleError)
        -> (unixSeconds: Int64, nanoseconds: Int, offsetSeconds: Int) {
        let u = Array(s.unicodeScalars)
        var i = 0

        func fail(_ what: String, at pos: Int) -> ScheduleError {
            ScheduleError("timestamp \"\(s)\": \(what)", column: pos + 1)
        }
        func digits(_ n: Int, _ what: String) throws(ScheduleError) -> Int {
            var v = 0
            let start = i
            for _ in 0..<n {
                guard i < u.count, let d = digitValue(u[i]) else {
                    throw fail("expected \(n)-digit \(what)", at: start)
                }
                v = v * 10 + d
                i += 1
            }
            return v
        }
        func expect(_ c: Unicode.Scalar, _ what: String) throws(ScheduleError) {
            guard i < u.count, u[i] == c else { throw fail("expected '\(c)' \(what)", at: i) }
            i += 1
        }

        if u.isEmpty { throw ScheduleError("timestamp is empty") }
        let year = try digits(4, "year")
        try expect("-", "after the year")
        let monthPos = i
        let month = try digits(2, "month")
        try expect("-", "after the month")
        let dayPos = i
        let day = try digits(2, "day")
        guard i < u.count, u[i] == "T" || u[i] == "t" || u[i] == " " else {
            throw fail("expected 'T' between date and time", at: i)
        }
        i += 1
        let hourPos = i
        let hour = try digits(2, "hour")
        try expect(":", "after the hour")
        let minutePos = i
        let minute = try digits(2, "minute")
        try expect(":", "after the minute")
        let secondPos = i
        let second = try digits(2, "second")
        var nanos = 0
        if i < u.count, u[i] == "." {
            i += 1
            var n = 0
            while i < u.count, let d = digitValue(u[i]) {
                if n < 9 { nanos = nanos * 10 + d }
                n += 1
                i += 1
            }
            if n == 0 { throw fail("expected digits after '.'", at: i) }
            if n < 9 { for _ in n..<9 { nanos *= 10 } }
        }
        var offset = 0
        guard i < u.count else { throw fail("missing time zone offset ('Z' or ±hh:mm)", at: i) }
        let offsetPos = i
        if u[i] == "Z" || u[i] == "z" {
            i += 1
        } else if u[i] == "+" || u[i] == "-" {
            let negative = u[i] == "-"
            i += 1
            let oh = try digits(2, "offset hour")
            try expect(":", "in the offset")
            let om = try digits(2, "offset minute")
            if oh > 23 || om > 59 {
                var text = ""
                text.unicodeScalars.append(contentsOf: u[offsetPos..<i])
                throw fail("offset \(text) is out of range (at most ±23:59)", at: offsetPos)
            }
            offset = (oh * 3600 + om * 60) * (negative ? -1 : 1)
        } else {
            throw fail("expected 'Z' or a ±hh:mm offset", at: i)
        }
        if i != u.count { throw fail("unexpected trailing characters", at: i) }

        if month < 1 || month > 12 { throw fail("month \(month) is out of range 1-12", at: monthPos) }
        let dim = daysInMonth(year: year, month: month)
        if day < 1 || day > dim { throw fail("day \(day) is out of range 1-\(dim) for \(year)-\(month < 10 ? "0" : "")\(month)", at: dayPos) }
        if hour > 23 { throw fail("hour \(hour) is out of range 0-23", at: hourPos) }
        if minute > 59 { throw fail("minute \(minute) is out of range 0-59", at: minutePos) }
        if second > 60 { throw fail("second \(second) is out of range 0-60", at: secondPos) }

        let local = unixSeconds(CivilDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
        return (local - Int64(offset), nanos, offset)
    }

    @inline(__always)
    static func digitValue(_ c: Unicode.Scalar) -> Int? {
        let v = c.value
        return (v >= 48 && v <= 57) ? Int(v - 48) : nil
    }
}
