/// How a child ended, decoded from waitpid's status by the runtime.
public enum WaitStatus: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32, coreDumped: Bool)

    /// The shell's convention: the exit code, or 128 + N for a death by signal N.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal, _): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal, let core): return "killed by SIG\(Signals.name(signal))\(core ? " (core dumped)" : "")"
        }
    }
}
