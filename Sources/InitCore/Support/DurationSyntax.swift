/// Durations as users write them: "500ms", "10s", "1h30m", "1.5s", "2d". A bare "0" is zero.
public enum DurationSyntax {
    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// Parses a duration; the error says what is wrong, for a message naming the key.
    public static func parse(_ text: String) -> Result<TimeSpan, DurationError> {
        let scalars = Array(text.unicodeScalars)
        // Messages quote the text: a huge one is cut.
        let text = scalars.count > 64 ? String(String.UnicodeScalarView(scalars.prefix(48))) + "…" : text
        if scalars.isEmpty { return .failure(DurationError(message: "empty duration")) }
        if text == "0" { return .success(.zero) }
        var total: Int64 = 0
        var i = 0
        while i < scalars.count {
            var whole: Int64 = 0
            var fraction: Int64 = 0
            var fractionScale: Int64 = 1
            var digits = 0
            while i < scalars.count, let d = digit(scalars[i]) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { return .failure(DurationError(message: "duration '\(text)' is too large")) }
                whole = s; i += 1; digits += 1
            }
            if i < scalars.count, scalars[i] == "." {
                i += 1
                while i < scalars.count, let d = digit(scalars[i]) {
                    if fractionScale < 1_000_000_000 { fraction = fraction * 10 + d; fractionScale *= 10 }
                    i += 1; digits += 1
                }
            }
            if digits == 0 { return .failure(DurationError(message: "expected a number in duration '\(text)' (like \"500ms\", \"10s\", \"1h30m\")")) }
            var unitText = ""
            while i < scalars.count, digit(scalars[i]) == nil, scalars[i] != "." { unitText.unicodeScalars.append(scalars[i]); i += 1 }
            guard let unit = units.first(where: { $0.suffix == unitText }) else {
                let shown = unitText.isEmpty ? "no unit" : "unknown unit '\(unitText)'"
                return .failure(DurationError(message: "\(shown) in duration '\(text)' (use ns, us, ms, s, m, h or d)"))
            }
            let (wholeNs, o1) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
            // fraction < fractionScale, so the quotient is below unit.nanoseconds: full width
            // only for the product ("1.5000001h" would overflow 64 bits).
            let fractionNs = fractionScale.dividingFullWidth(fraction.multipliedFullWidth(by: unit.nanoseconds)).quotient
            let (part, o2) = wholeNs.addingReportingOverflow(fractionNs)
            let (sum, o3) = total.addingReportingOverflow(part)
            if o1 || o2 || o3 { return .failure(DurationError(message: "duration '\(text)' is too large")) }
            total = sum
        }
        return .success(TimeSpan(nanoseconds: total))
    }

    /// The shortest exact rendering: "0s", "250ms", "1m30s", "1.5s".
    public static func format(_ span: TimeSpan) -> String {
        var ns = span.nanoseconds
        if ns == 0 { return "0s" }
        var out = ns < 0 ? "-" : ""
        ns = ns.magnitude > UInt64(Int64.max) ? Int64.max : abs(ns)
        if ns % 1_000_000_000 != 0 && ns < 1_000_000_000 {
            if ns % 1_000_000 == 0 { return out + "\(ns / 1_000_000)ms" }
            if ns % 1_000 == 0 { return out + "\(ns / 1_000)us" }
            return out + "\(ns)ns"
        }
        let hours = ns / 3_600_000_000_000, minutes = ns / 60_000_000_000 % 60
        let secondsNs = ns % 60_000_000_000
        if hours > 0 { out += "\(hours)h" }
        if minutes > 0 { out += "\(minutes)m" }
        if secondsNs > 0 {
            let whole = secondsNs / 1_000_000_000, frac = secondsNs % 1_000_000_000
            if frac == 0 { out += "\(whole)s" } else {
                var digits = String(frac)
                digits = String(repeating: "0", count: 9 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                out += "\(whole).\(digits)s"
            }
        }
        return out
    }

    private static func digit(_ s: Unicode.Scalar) -> Int64? {
        s.value >= 48 && s.value <= 57 ? Int64(s.value - 48) : nil
    }
}

/// Why a duration did not parse.
public struct DurationError: Error, Equatable, Sendable { public var message: String }
