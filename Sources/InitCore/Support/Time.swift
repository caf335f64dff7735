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

    /// "1.5s", "250ms", "2m30s": the shortest exact rendering.
    public var description: String { DurationSyntax.format(self) }
}

/// A point on the monotonic clock (CLOCK_MONOTONIC), supplied by the runtime as `now`.
public struct Instant: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: Instant, b: TimeSpan) -> Instant {
        let (sum, overflow) = a.nanoseconds.addingReportingOverflow(b.nanoseconds)
        return Instant(nanoseconds: overflow ? Int64.max : sum)
    }
    public static func - (a: Instant, b: Instant) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &- b.nanoseconds) }
}
