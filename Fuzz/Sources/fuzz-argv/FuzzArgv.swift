// Fuzz target: command-line parsing (Sources/InitCore/Config/LaunchOptions.swift).
//
// The input is split on NUL bytes. Each piece of the form `SWINIT_<NAME>=<value>` becomes an
// environment variable; every other piece is an argument (after argv[0]).
//
// Invariants beyond "does not crash":
// - usage errors have a non-empty message;
// - the program to run is a suffix of the arguments;
// - signal numbers are real signals (1...64), a rewrite never maps SIGKILL/SIGSTOP, exit codes
//   are 0...255, `swinit schedule --count` is 1...10000, verbosity is >= 0;
// - parsing is deterministic; the signal-name helpers round-trip (for named signals).
import FuzzSupport
import InitCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    var arguments: [String] = []
    var environment: [String: String] = [:]
    if !input.isEmpty {
        for piece in input.split(separator: 0, omittingEmptySubsequences: false) {
            let s = String(decoding: piece, as: UTF8.self)
            if s.hasPrefix("SWINIT_"), let eq = s.firstIndex(of: "=") {
                environment[String(s[..<eq])] = String(s[s.index(after: eq)...])
            } else {
                arguments.append(s)
            }
        }
    }

    let first: Result<LaunchOptions, UsageError>
    do { first = .success(try LaunchOptions.parse(arguments: arguments, environment: environment)) } catch { first = .failure(error) }
    let second: Result<LaunchOptions, UsageError>
    do { second = .success(try LaunchOptions.parse(arguments: arguments, environment: environment)) } catch { second = .failure(error) }
    check(first == second, "LaunchOptions.parse is not deterministic")

    switch first {
    case .failure(let error):
        check(!error.message.isEmpty, "usage error without a message")
    case .success(let o):
        check(o.program.count <= arguments.count && Array(arguments.suffix(o.program.count)) == o.program,
              "program \(o.program) is not a suffix of the arguments")
        check(o.verbosity >= 0, "verbosity \(o.verbosity)")
        for code in o.signals.exitCodesAsSuccess { check((0...255).contains(code), "exit code \(code) accepted") }
        for (from, to) in o.signals.rewrite {
            check((1...64).contains(from), "rewrite from signal \(from)")
            check((0...64).contains(to), "rewrite to signal \(to)")
            check(!Signals.isUncatchable(from), "rewrite of uncatchable signal \(from)")
        }
        if let p = o.parentDeathSignal { check((1...64).contains(p), "parent-death signal \(p)") }
        if let t = o.stopTimeout { check(t.nanoseconds >= 0, "negative stop timeout \(t.nanoseconds)") }
        if let t = o.grace { check(t.nanoseconds >= 0, "negative grace \(t.nanoseconds)") }
        if case .schedule(let expression, _, let count, _) = o.mode {
            check((1...10_000).contains(count), "schedule count \(count)")
            check(!expression.isEmpty || arguments.contains(""), "empty schedule expression")
        }
    }

    // The signal helpers used above, on every argument: parse -> name -> parse is stable.
    for arg in arguments.prefix(8) {
        if let n = Signals.parse(arg) {
            check((1...64).contains(n), "Signals.parse(\(escaped(arg))) = \(n)")
            let name = Signals.name(n)
            // Numbers without a name (32, 33) are named "SIG32", which parse() does not read
            // back (a known gap, reported separately): skip those.
            if name.hasPrefix("SIG") { continue }
            check(Signals.parse(name) == n, "Signals.parse(\(escaped(arg))) = \(n), name \(name) parses as \(Signals.parse(name).map(String.init) ?? "nil")")
        }
    }
    return 0
}
