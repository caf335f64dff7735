// Time zone rules: a TZif (RFC 8536, versions 1-4) reader and a POSIX TZ string evaluator.
// Pure standard library, no I/O: callers read the zoneinfo file and pass its bytes.

/// The rules of one time zone: historic transitions plus, for instants after the last
/// transition, the POSIX TZ rule from the TZif footer.
///
/// Notes:
/// - Instants before the first transition use local time type 0 (RFC 8536 section 3.2).
/// - Leap-second records ("right/" zones) are skipped; times are treated as POSIX time.
/// - A TZif file without transitions but with a footer is governed by the footer.
public struct TimeZoneRules: Sendable, Equatable {
    /// One local time type: offset east of UTC, DST flag and abbreviation.
    public struct LocalTimeType: Sendable, Equatable, Hashable {
        public var utOffset: Int
        public var isDST: Bool
        public var abbreviation: String

        public init(utOffset: Int, isDST: Bool, abbreviation: String) {
            self.utOffset = utOffset
            self.isDST = isDST
            self.abbreviation = abbreviation
        }
    }

    public let name: String
    /// Transition instants, non-decreasing.
    let transitions: [Int64]
    /// For each transition, the index into `types` in force from that instant.
    let transitionTypes: [Int]
    /// Never empty.
    let types: [LocalTimeType]
    /// Rules for instants at or after the last transition (or all instants when there are none).
    let footer: PosixTZ?

    init(name: String, transitions: [Int64], transitionTypes: [Int], types: [LocalTimeType], footer: PosixTZ?) {
        self.name = name
        self.transitions = transitions
        self.transitionTypes = transitionTypes
        self.types = types
        self.footer = footer
    }

    // MARK: - Constructors

    /// Coordinated Universal Time.
    public static let utc = TimeZoneRules(
        name: "UTC", transitions: [], transitionTypes: [],
        types: [LocalTimeType(utOffset: 0, isDST: false, abbreviation: "UTC")], footer: nil)

    /// A zone with a constant offset (seconds east of UTC, clamped to ±25 hours). `name` is also
    /// used as the abbreviation; an empty name becomes e.g. "+05:30".
    public static func fixed(offsetSeconds: Int, name: String) -> TimeZoneRules {
        let off = offsetSeconds < -90_000 ? -90_000 : (offsetSeconds > 90_000 ? 90_000 : offsetSeconds)
        let abbr = name.isEmpty ? formatOffset(off) : name
        return TimeZoneRules(name: abbr, transitions: [], transitionTypes: [],
                             types: [LocalTimeType(utOffset: off, isDST: false, abbreviation: abbr)], footer: nil)
    }

    /// Rules from a POSIX TZ string such as `PST8PDT,M3.2.0,M11.1.0`, `CET-1CEST,M3.5.0,M10.5.0/3`,
    /// `<+0330>-3:30` or `EST5EDT` (a DST zone without rules uses the US rules `M3.2.0,M11.1.0`,
    /// as glibc does). Zone names such as `America/Los_Angeles` or `:file` forms are not
    /// accepted here (they need file access): read the TZif file and use `init(tzif:name:)`.
    public init(posixTZ: String) throws(ScheduleError) {
        let p = try PosixTZ(parsing: posixTZ, allowDefaultRules: true)
        self.init(name: posixTZ, transitions: [], transitionTypes: [],
                  types: [p.std], footer: p)
    }

    /// Parses a TZif file (versions 1 to 4). `name` is for messages and `name`.
    public init(tzif bytes: [UInt8], name: String) throws(ScheduleError) {
        var r = TZifReader(bytes: bytes, zone: name)
        let h1 = try r.header()
        let data: TZifReader.Block
        var footer: PosixTZ? = nil
        if h1.version >= 2 {
            try r.skip(h1.dataSize(timeSize: 4))
            let h2 = try r.header()
            data = try r.block(h2, timeSize: 8)
            // Footer: "\n" TZ-string "\n". Tolerate a missing footer (end of data).
            if r.pos < bytes.count {
                guard bytes[r.pos] == 0x0A else {
                    throw ScheduleError("TZif \(name): expected newline before the footer at byte \(r.pos)")
                }
                var end = r.pos + 1
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                guard end < bytes.count else {
                    throw ScheduleError("TZif \(name): unterminated footer")
                }
                let text = bytes[(r.pos + 1)..<end]
                if !text.isEmpty {
                    guard text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                        throw ScheduleError("TZif \(name): footer contains non-ASCII bytes")
                    }
                    let s = String(decoding: text, as: UTF8.self)
                    do {
                        footer = try PosixTZ(parsing: s, allowDefaultRules: false)
                    } catch {
                        throw ScheduleError("TZif \(name): footer: \(error.message)")
                    }
                }
            }
        } else {
            data = try r.block(h1, timeSize: 4)
        }
        self.init(name: name, transitions: data.transitions, transitionTypes: data.transitionTypes,
                  types: data.types, footer: footer)
    }

    // MARK: - Queries

    /// The local time type in force at instant `t`.
    public func localTimeType(atUnix t: Int64) -> LocalTimeType {
        guard let first = transitions.first else {
            if let footer { return footer.type(atUnix: t) }
            return types[0]
        }
        if t < first { return types[0] }
        // Last index i with transitions[i] <= t.
        var lo = 0
        var hi = transitions.count - 1
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2
            if transitions[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        if lo == transitions.count - 1, let footer { return footer.type(atUnix: t) }
        return types[transitionTypes[lo]]
    }

    /// Seconds east of UTC in force at instant `t`.
    public func offset(atUnix t: Int64) -> Int { localTimeType(atUnix: t).utOffset }

    /// Abbreviation (e.g. "PDT", "+0530") in force at instant `t`.
    public func abbreviation(atUnix t: Int64) -> String { localTimeType(atUnix: t).abbreviation }

    /// Whether daylight saving time is in force at instant `t`.
    public func isDaylightSavingTime(atUnix t: Int64) -> Bool { localTimeType(atUnix: t).isDST }

    /// The first instant strictly after `t` at which the local time type (offset, DST flag or
    /// abbreviation) changes, or nil if it never changes again.
    public func nextTransition(after t: Int64) -> Int64? {
        // Explicit transitions: first index with transitions[i] > t.
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if transitions[mid] > t { hi = mid } else { lo = mid + 1 }
        }
        var i = lo
        while i < transitions.count {
            if changes(at: transitions[i]) { return transitions[i] }
            i += 1
        }
        guard let footer, footer.dst != nil else { return nil }
        var from = t
        if let last = transitions.last, last > from { from = last }
        for e in footer.events(near: from) where e.instant > from {
            if changes(at: e.instant) { return e.instant }
        }
        return nil
    }

    private func changes(at t: Int64) -> Bool {
        if t == Int64.min { return false }
        return localTimeType(atUnix: t) != localTimeType(atUnix: t - 1)
    }

    static func formatOffset(_ off: Int) -> String {
        let a = off < 0 ? -off : off
        let h = a / 3600, m = a % 3600 / 60, s = a % 60
        var out = off < 0 ? "-" : "+"
        out += (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
        if s != 0 { out += ":" + (s < 10 ? "0" : "") + String(s) }
        return out
    }
}

// MARK: - TZif reader

struct TZifReader {
    let bytes: [UInt8]
    let zone: String
    var pos = 0

    init(bytes: [UInt8], zone: String) {
        self.bytes = bytes
        self.zone = zone
    }

    struct Header {
        var version: Int        // 1, 2, 3, 4, ...
        var isutcnt: Int
        var isstdcnt: Int
        var leapcnt: Int
        var timecnt: Int
        var typecnt: Int
        var charcnt: Int

        func dataSize(timeSize: Int) -> Int {
            // Each count is < 2^32, so this cannot overflow a 64-bit Int.
            timecnt * timeSize + timecnt + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt
        }
    }

    struct Block {
        var transitions: [Int64]
        var transitionTypes: [Int]
        var types: [TimeZoneRules.LocalTimeType]
    }

    func error(_ what: String) -> ScheduleError {
        ScheduleError("TZif \(zone): \(what)")
    }

    mutating func need(_ n: Int) throws(ScheduleError) {
        if n < 0 || bytes.count - pos < n {
            throw error("truncated file (need \(n) bytes at offset \(pos), have \(bytes.count - pos))")
        }
    }

    mutating func skip(_ n: Int) throws(ScheduleError) {
        try need(n)
        pos += n
    }

    mutating func u8() throws(ScheduleError) -> UInt8 {
        try need(1)
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func u32() throws(ScheduleError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(bytes[pos + k]) }
        pos += 4
        return v
    }

    mutating func i32() throws(ScheduleError) -> Int32 { Int32(bitPattern: try u32()) }

    mutating func i64() throws(ScheduleError) -> Int64 {
        try need(8)
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(bytes[pos + k]) }
        pos += 8
        return Int64(bitPattern: v)
    }

    mutating func header() throws(ScheduleError) -> Header {
        let start = pos
        guard bytes.count - pos >= 44 else {
            throw error(pos == 0 ? "file too short to be TZif (\(bytes.count) bytes)" : "truncated second header at offset \(pos)")
        }
        guard bytes[pos] == 0x54, bytes[pos + 1] == 0x5A, bytes[pos + 2] == 0x69, bytes[pos + 3] == 0x66 else {
            throw error("bad magic at offset \(start) (not a TZif file)")
        }
        let v = bytes[pos + 4]
        let version: Int
        if v == 0 {
            version = 1
        } else if v >= 0x32 && v <= 0x39 {   // '2' ... '9'
            version = Int(v - 0x30)
        } else {
            throw error("unsupported version byte 0x\(String(v, radix: 16))")
        }
        pos += 20
        let h = Header(version: version,
                       isutcnt: Int(try u32()), isstdcnt: Int(try u32()), leapcnt: Int(try u32()),
                       timecnt: Int(try u32()), typecnt: Int(try u32()), charcnt: Int(try u32()))
        if h.typecnt == 0 { throw error("no local time types") }
        if h.typecnt > 256 { throw error("too many local time types (\(h.typecnt))") }
        if h.isutcnt != 0 && h.isutcnt != h.typecnt { throw error("UT/local indicator count \(h.isutcnt) does not match type count \(h.typecnt)") }
        if h.isstdcnt != 0 && h.isstdcnt != h.typecnt { throw error("standard/wall indicator count \(h.isstdcnt) does not match type count \(h.typecnt)") }
        return h
    }

    mutating func block(_ h: Header, timeSize: Int) throws(ScheduleError) -> Block {
        try need(h.dataSize(timeSize: timeSize))
        var transitions: [Int64] = []
        transitions.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let t = timeSize == 8 ? try i64() : Int64(try i32())
            if let last = transitions.last, t < last {
                throw error("transition times are not in ascending order")
            }
            transitions.append(t)
        }
        var indices: [Int] = []
        indices.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let idx = Int(try u8())
            if idx >= h.typecnt { throw error("transition type index \(idx) out of range (\(h.typecnt) types)") }
            indices.append(idx)
        }
        var raw: [(off: Int32, dst: Bool, idx: Int)] = []
        for _ in 0..<h.typecnt {
            let off = try i32()
            let dst = try u8()
            let idx = Int(try u8())
            if off == Int32.min { throw error("invalid UT offset") }
            if dst > 1 { throw error("invalid DST flag \(dst)") }
            raw.append((off, dst == 1, idx))
        }
        let charStart = pos
        try skip(h.charcnt)
        var types: [TimeZoneRules.LocalTimeType] = []
        for t in raw {
            if t.idx >= h.charcnt { throw error("abbreviation index \(t.idx) out of range (\(h.charcnt) bytes)") }
            var end = charStart + t.idx
            while end < charStart + h.charcnt, bytes[end] != 0 { end += 1 }
            let abbr = String(decoding: bytes[(charStart + t.idx)..<end], as: UTF8.self)
            types.append(TimeZoneRules.LocalTimeType(utOffset: Int(t.off), isDST: t.dst, abbreviation: abbr))
        }
        // Leap second records and the std/wall and UT/local indicators are not needed.
        try skip(h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt)
        return Block(transitions: transitions, transitionTypes: indices, types: types)
    }
}

// MARK: - POSIX TZ strings

/// A parsed POSIX TZ string (with the RFC 8536 version 3 extensions: transition times from
/// -167 to 167 hours).
struct PosixTZ: Sendable, Equatable {
    enum DateRule: Sendable, Equatable {
        /// `Jn`: day 1...365, February 29 is never counted.
        case julianNoLeap(Int)
        /// `n`: zero-based day 0...365, counting February 29.
        case zeroBased(Int)
        /// `Mm.w.d`: day d (0 = Sunday) of week w (1...5, 5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, day: Int)
    }

    struct Rule: Sendable, Equatable {
        var date: DateRule
        /// Local time of day of the transition in seconds (default 02:00:00); may be negative
        /// or exceed a day.
        var time: Int
    }

    struct DST: Sendable, Equatable {
        var type: TimeZoneRules.LocalTimeType
        var start: Rule
        var end: Rule
    }

    var std: TimeZoneRules.LocalTimeType
    var dst: DST?

    init(parsing s: String, allowDefaultRules: Bool) throws(ScheduleError) {
        var p = PosixTZParser(u: Array(s.unicodeScalars), text: s)
        if p.u.isEmpty { throw ScheduleError("TZ string is empty") }
        if p.u[0] == ":" {
            throw ScheduleError("TZ string \"\(s)\": ':' file names need the zoneinfo file; use the TZif reader", column: 1)
        }
        let stdName = try p.name("standard time name")
        guard p.i < p.u.count else {
            throw p.fail("missing UTC offset after \"\(stdName)\"")
        }
        let stdOff = -(try p.offset(maxHours: 24, what: "standard time offset"))
        std = TimeZoneRules.LocalTimeType(utOffset: stdOff, isDST: false, abbreviation: stdName)
        if p.i == p.u.count {
            dst = nil
            return
        }
        let dstName = try p.name("daylight saving time name")
        var dstOff = stdOff + 3600
        if p.i < p.u.count, p.u[p.i] != "," {
            dstOff = -(try p.offset(maxHours: 24, what: "daylight saving time offset"))
        }
        let dstType = TimeZoneRules.LocalTimeType(utOffset: dstOff, isDST: true, abbreviation: dstName)
        if p.i == p.u.count {
            guard allowDefaultRules else { throw p.fail("missing DST rules (',start[/time],end[/time]')") }
            dst = DST(type: dstType,
                      start: Rule(date: .monthWeekDay(month: 3, week: 2, day: 0), time: 7200),
                      end: Rule(date: .monthWeekDay(month: 11, week: 1, day: 0), time: 7200))
            return
        }
        try p.expect(",", "before the DST start rule")
        let start = try p.rule()
        try p.expect(",", "before the DST end rule")
        let end = try p.rule()
        if p.i != p.u.count { throw p.fail("unexpected trailing characters") }
        dst = DST(type: dstType, start: start, end: end)
    }

    /// Bound on instants evaluated against rules, so year arithmetic can never overflow.
    static let instantBound: Int64 = 1 << 50

    struct Event {
        var instant: Int64
        var isStart: Bool
    }

    /// DST start/end instants for the years around the year of `t`, sorted (ends before
    /// starts at equal instants, so a start wins).
    func events(near t0: Int64) -> [Event] {
        guard let dst else { return [] }
        let t = t0 > Self.instantBound ? Self.instantBound : (t0 < -Self.instantBound ? -Self.instantBound : t0)
        let y = Int64(CivilTime.civil(t).year)
        var out: [Event] = []
        out.reserveCapacity(8)
        for year in (y - 1)...(y + 2) {
            out.append(Event(instant: Self.localSeconds(dst.start, year: year) - Int64(std.utOffset), isStart: true))
            out.append(Event(instant: Self.localSeconds(dst.end, year: year) - Int64(dst.type.utOffset), isStart: false))
        }
        out.sort { a, b in a.instant != b.instant ? a.instant < b.instant : (!a.isStart && b.isStart) }
        return out
    }

    func type(atUnix t0: Int64) -> TimeZoneRules.LocalTimeType {
        guard let dst else { return std }
        let t = t0 > Self.instantBound ? Self.instantBound : (t0 < -Self.instantBound ? -Self.instantBound : t0)
        var inDST = false
        var found = false
        for e in events(near: t) {
            if e.instant <= t { inDST = e.isStart; found = true } else { break }
        }
        if !found { return std }
        return inDST ? dst.type : std
    }

    /// Local (wall clock, as if UTC) seconds of a rule's transition in `year`.
    static func localSeconds(_ r: Rule, year: Int64) -> Int64 {
        let jan1 = CivilTime.daysFromCivil(year, 1, 1)
        let day: Int64
        switch r.date {
        case .julianNoLeap(let n):
            var d = Int64(n - 1)
            if CivilTime.isLeapYear(year) && n >= 60 { d += 1 }
            day = jan1 + d
        case .zeroBased(let n):
            day = jan1 + Int64(n)
        case .monthWeekDay(let m, let w, let wd):
            let first = CivilTime.daysFromCivil(year, Int64(m), 1)
            let firstWD = Int64(CivilTime.weekday(days: first))
            var dom = 1 + CivilTime.floorMod(Int64(wd) - firstWD, 7) + 7 * Int64(w - 1)
            let dim = Int64(CivilTime.daysInMonth(year: Int(year), month: m))
            while dom > dim { dom -= 7 }
            day = first + dom - 1
        }
        return day * 86_400 + Int64(r.time)
    }
}

struct PosixTZParser {
    let u: [Unicode.Scalar]
    let text: String
    var i = 0

    init(u: [Unicode.Scalar], text: String) {
        self.u = u
        self.text = text
    }

    func fail(_ what: String, at pos: Int? = nil) -> ScheduleError {
        ScheduleError("TZ string \"\(text)\": \(what)", column: (pos ?? i) + 1)
    }

    mutating func expect(_ c: Unicode.Scalar, _ what: String) throws(ScheduleError) {
        guard i < u.count, u[i] == c else { throw fail("expected '\(c)' \(what)") }
        i += 1
    }

    static func isAlpha(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
    }

    mutating func name(_ what: String) throws(ScheduleError) -> String {
        let start = i
        if i < u.count, u[i] == "<" {
            i += 1
            var s = ""
            while i < u.count, u[i] != ">" {
                let c = u[i]
                guard Self.isAlpha(c) || CivilTime.digitValue(c) != nil || c == "+" || c == "-" else {
                    throw fail("invalid character '\(c)' in quoted \(what)")
                }
                s.unicodeScalars.append(c)
                i += 1
            }
            guard i < u.count else { throw fail("unterminated '<' in \(what)", at: start) }
            i += 1
            if s.unicodeScalars.count < 3 { throw fail("\(what) \"\(s)\" must have at least 3 characters", at: start) }
            return s
        }
        var s = ""
        while i < u.count, Self.isAlpha(u[i]) {
            s.unicodeScalars.append(u[i])
            i += 1
        }
        if s.isEmpty {
            if i < u.count { throw fail("expected \(what), found '\(u[i])'") }
            throw fail("expected \(what)")
        }
        if s.unicodeScalars.count < 3 { throw fail("\(what) \"\(s)\" must have at least 3 letters", at: start) }
        return s
    }

    mutating func number(min: Int = 0, max: Int, what: String) throws(ScheduleError) -> Int {
        let start = i
        var v = 0
        var n = 0
        while i < u.count, let d = CivilTime.digitValue(u[i]) {
            if n < 6 { v = v * 10 + d }
            n += 1
            i += 1
        }
        if n == 0 { throw fail("expected a number for \(what)") }
        if n > 6 || v > max || v < min { throw fail("\(what) is out of range \(min)-\(max)", at: start) }
        return v
    }

    /// `[+|-]hh[:mm[:ss]]` in seconds (POSIX sign: positive is west of Greenwich).
    mutating func offset(maxHours: Int, what: String) throws(ScheduleError) -> Int {
        var sign = 1
        if i < u.count, u[i] == "+" || u[i] == "-" {
            if u[i] == "-" { sign = -1 }
            i += 1
        }
        let h = try number(max: maxHours, what: "\(what) hours")
        var m = 0, s = 0
        if i < u.count, u[i] == ":" {
            i += 1
            m = try number(max: 59, what: "\(what) minutes")
            if i < u.count, u[i] == ":" {
                i += 1
                s = try number(max: 59, what: "\(what) seconds")
            }
        }
        return sign * (h * 3600 + m * 60 + s)
    }

    mutating func rule() throws(ScheduleError) -> PosixTZ.Rule {
        let date: PosixTZ.DateRule
        guard i < u.count else { throw fail("expected a DST rule date") }
        if u[i] == "J" {
            i += 1
            date = .julianNoLeap(try number(min: 1, max: 365, what: "Julian day"))
        } else if u[i] == "M" {
            i += 1
            let m = try number(min: 1, max: 12, what: "month")
            try expect(".", "after the month in an M rule")
            let w = try number(min: 1, max: 5, what: "week")
            try expect(".", "after the week in an M rule")
            let d = try number(max: 6, what: "weekday")
            date = .monthWeekDay(month: m, week: w, day: d)
        } else if CivilTime.digitValue(u[i]) != nil {
            date = .zeroBased(try number(max: 365, what: "day of year"))
        } else {
            throw fail("expected a DST rule date (Jn, n or Mm.w.d), found '\(u[i])'")
        }
        var time = 7200
        if i < u.count, u[i] == "/" {
            i += 1
            time = try offset(maxHours: 167, what: "transition time")
        }
        return PosixTZ.Rule(date: date, time: time)
    }
}
