/// Linux signal numbers and names (the generic numbering used by x86-64 and arm64).
public enum Signals {
    public static let hup: Int32 = 1, int: Int32 = 2, quit: Int32 = 3, kill: Int32 = 9
    public static let usr1: Int32 = 10, usr2: Int32 = 12, pipe: Int32 = 13, alrm: Int32 = 14
    public static let term: Int32 = 15, chld: Int32 = 17, cont: Int32 = 18, stop: Int32 = 19
    public static let tstp: Int32 = 20, ttin: Int32 = 21, ttou: Int32 = 22, winch: Int32 = 28

    /// Index = signal number; nil for numbers without a classic name.
    static let names: [String?] = [
        nil, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ]
    public static let realtimeMin: Int32 = 34, realtimeMax: Int32 = 64

    /// "TERM" for 15, "RTMIN+2" for 36, "SIG99" for anything unknown.
    public static func name(_ number: Int32) -> String {
        if number > 0, Int(number) < names.count, let name = names[Int(number)] { return name }
        if number >= realtimeMin && number <= realtimeMax { return number == realtimeMin ? "RTMIN" : "RTMIN+\(number - realtimeMin)" }
        return "SIG\(number)"
    }

    /// Parses "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3". Nil when not a signal.
    public static func parse(_ text: String) -> Int32? {
        if let number = Int32(text) { return number > 0 && number <= realtimeMax ? number : nil }
        var upper = text.uppercased()
        if upper.hasPrefix("SIG") { upper.removeFirst(3) }
        if let index = names.firstIndex(where: { $0 == upper }) { return Int32(index) }
        // "SIG32", as `name` renders numbers without a name.
        if text.uppercased().hasPrefix("SIG"), let number = Int32(upper), number > 0, number <= realtimeMax { return number }
        if upper == "IOT" { return 6 }
        if upper == "POLL" { return 29 }
        if upper == "CLD" { return chld }
        if upper.hasPrefix("RTMIN") {
            let rest = upper.dropFirst(5)
            if rest.isEmpty { return realtimeMin }
            if rest.first == "+", let k = Int32(rest.dropFirst()), k >= 0, k <= realtimeMax - realtimeMin { return realtimeMin + k }
        }
        if upper.hasPrefix("RTMAX") {
            let rest = upper.dropFirst(5)
            if rest.isEmpty { return realtimeMax }
            if rest.first == "-", let k = Int32(rest.dropFirst()), k >= 0, k <= realtimeMax - realtimeMin { return realtimeMax - k }
        }
        return nil
    }

    /// Signals that can neither be caught nor forwarded.
    public static func isUncatchable(_ number: Int32) -> Bool { number == kill || number == stop }
}
