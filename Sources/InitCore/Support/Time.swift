/// A span of time in nanoseconds: config durations, timeouts, backoff delays.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = TimeSpan(nanoseconds: 0)
    public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(nanoseconds: s &* 1_000_000_000) }
    public static func milliseconds(_ ms: Int64) -> TimeSpan { TimeSpan(nanoseconds: ms &* 1_000_000) }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &+ b.nanoseconds) }
    public static func * (a: TimeSpan, k: Int64) -> TimeSpan {
        let (product, overflow) = a.nanoseconds.multipliedReportingOverflow(by: k)
        return TimeSpan(nanoseconds: overflow ? Int64.max : product)
    }

    /// Milliseconds, rounded up, for timeouts that must not fire early.
    public var millisecondsRoundedUp: Int64 { (nanoseconds + 999_999) / 1_000_000 }

    /// For messages: "3ms", "2.50s", "1m30s" — rounded, not exact.
    public var approximate: String {
        if nanoseconds < 1_000_000_000 { return "\((nanoseconds + 500_000) / 1_000_000)ms" }
        if nanoseconds < 60_000_000_000 {
            let centis = (nanoseconds + 5_000_000) / 10_000_000
            let fraction = centis % 100
            return "\(centis / 100).\(fraction < 10 ? "0" : "")\(fraction)s"
        }
        return TimeSpan.seconds((nanoseconds + 500_000_000) / 1_000_000_000).description
    }

    /// "1.5s", "250ms", "2m30s": the shortest exact rendering.
    public var description: String { DurationSyntax.format(self) }
}

/// A moment, as the runtime read it: the monotonic clock (CLOCK_MONOTONIC) for durations and
/// deadlines, and the wall clock (CLOCK_REALTIME) at the same moment for schedules. Equality and
/// order are by the monotonic reading only.
public struct Instant: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64
    public var wallNanoseconds: Int64

    public init(nanoseconds: Int64, wallNanoseconds: Int64 = 0) {
        self.nanoseconds = nanoseconds
        self.wallNanoseconds = wallNanoseconds
    }

    /// Unix time in whole seconds (rounded down).
    public var wallSeconds: Int64 {
        wallNanoseconds >= 0 ? wallNanoseconds / 1_000_000_000 : (wallNanoseconds - 999_999_999) / 1_000_000_000
    }

    /// The moment at which the wall clock will read `unixSeconds`, assuming it does not jump.
    public func atWall(_ unixSeconds: Int64) -> Instant {
        let (wall, overflow) = unixSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return Instant(nanoseconds: Int64.max, wallNanoseconds: Int64.max) }
        return self + TimeSpan(nanoseconds: wall &- wallNanoseconds)
    }

    public static func == (a: Instant, b: Instant) -> Bool { a.nanoseconds == b.nanoseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanoseconds) }
    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: Instant, b: TimeSpan) -> Instant {
        let (sum, overflow) = a.nanoseconds.addingReportingOverflow(b.nanoseconds)
        let (wall, wallOverflow) = a.wallNanoseconds.addingReportingOverflow(b.nanoseconds)
        return Instant(nanoseconds: overflow ? Int64.max : sum, wallNanoseconds: wallOverflow ? Int64.max : wall)
    }
    public static func - (a: Instant, b: Instant) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &- b.nanoseconds) }
}
