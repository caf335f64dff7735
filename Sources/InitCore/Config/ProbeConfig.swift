/// How swinit decides that a service is ready or healthy.
public enum ProbeCheck: Sendable, Equatable {
    /// sd_notify: the service sends `READY=1` to `NOTIFY_SOCKET` (readiness only).
    case notify
    /// The s6 convention: the service writes a newline to descriptor N (readiness only).
    case descriptor(Int32)
    /// A TCP connect succeeds.
    case tcp(host: String, port: UInt16)
    /// An HTTP GET answers 2xx or 3xx.
    case http(HTTPTarget)
    /// The path exists (readiness only).
    case file(String)
    /// The newest mtime of the path (or of a directory's entries) is younger than `maxAge`
    /// (health only: a heartbeat file).
    case fileAge(path: String, maxAge: TimeSpan)
    /// The command exits 0.
    case exec([String])

    /// Checked again and again by swinit, as opposed to reported by the service itself.
    public var isPolled: Bool {
        switch self {
        case .notify, .descriptor: return false
        default: return true
        }
    }

    /// "tcp 127.0.0.1:5432", for messages.
    public var summary: String {
        switch self {
        case .notify: return "notify"
        case .descriptor(let fd): return "fd \(fd)"
        case .tcp(let host, let port): return "tcp \(host):\(port)"
        case .http(let target): return "http \(target.url)"
        case .file(let path): return "file \(path)"
        case .fileAge(let path, let maxAge): return "file-age \(path) < \(maxAge)"
        case .exec(let argv): return "exec \(argv.joined(separator: " "))"
        }
    }
}

/// Where an HTTP check connects: an IPv4 literal (or localhost), a port and a path.
public struct HTTPTarget: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public var path: String

    public init(host: String, port: UInt16, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    public var url: String { "http://\(host):\(port)\(path)" }

    /// Parses "http://127.0.0.1:8080/path"; nil with a reason for anything else (https, names
    /// that would need DNS, userinfo). PID 1 resolves no names: it must never block.
    public static func parse(_ text: String) -> Result<HTTPTarget, ProbeSyntaxError> {
        guard text.hasPrefix("http://") else {
            return .failure(ProbeSyntaxError(message: "\"\(text)\" is not an http:// URL (https is not supported)"))
        }
        let rest = text.dropFirst(7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count))
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        if authority.contains("@") { return .failure(ProbeSyntaxError(message: "credentials in \"\(text)\" are not supported")) }
        switch HostPort.parse(String(authority), defaultPort: 80) {
        case .success(let hp): return .success(HTTPTarget(host: hp.host, port: hp.port, path: path))
        case .failure(let failure): return .failure(failure)
        }
    }
}

/// "HOST:PORT" with HOST an IPv4 literal or `localhost`.
public enum HostPort {
    /// The host (localhost becomes 127.0.0.1) and port.
    public static func parse(_ text: String, defaultPort: UInt16? = nil) -> Result<(host: String, port: UInt16), ProbeSyntaxError> {
        var host = text
        var port = defaultPort
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard let p = UInt16(text[text.index(after: colon)...]), p > 0 else {
                return .failure(ProbeSyntaxError(message: "\"\(text)\" has no valid port (1-65535)"))
            }
            port = p
        }
        guard let port else { return .failure(ProbeSyntaxError(message: "\"\(text)\" needs a port, like \"127.0.0.1:5432\"")) }
        if host == "localhost" || host.isEmpty { host = "127.0.0.1" }
        guard isIPv4(host) else {
            return .failure(ProbeSyntaxError(message: "\"\(host)\" is not an IPv4 address or localhost (swinit resolves no names)"))
        }
        return .success((host, port))
    }

    /// Four decimal octets.
    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}

/// Why a probe target did not parse.
public struct ProbeSyntaxError: Error, Sendable, Equatable { public var message: String }

/// `ready = { … }` with `ready-timeout` and `ready-interval`.
public struct ReadinessConfig: Sendable, Equatable {
    public var check: ProbeCheck
    /// Not ready by then: the start counts as failed and the restart policy applies.
    public var timeout: TimeSpan = .seconds(60)
    /// Between two attempts of a polled check; an attempt may take this long (at least 1s).
    public var interval: TimeSpan = .seconds(1)

    public init(check: ProbeCheck) { self.check = check }

    /// How long one attempt may take.
    public var attemptTimeout: TimeSpan { max(interval, .seconds(1)) }
}

/// What an unhealthy service gets.
public enum UnhealthyPolicy: String, Sendable, Equatable, CaseIterable {
    case restart, report
}

/// `health = { … }`: a periodic check once the service is ready.
public struct HealthConfig: Sendable, Equatable {
    public var check: ProbeCheck
    public var interval: TimeSpan = .seconds(10)
    /// How long one attempt may take.
    public var timeout: TimeSpan = .seconds(5)
    /// Consecutive failures before the service is unhealthy.
    public var retries = 3
    /// Failures this soon after the service became ready do not count.
    public var startPeriod: TimeSpan = .zero
    public var onUnhealthy: UnhealthyPolicy = .restart

    public init(check: ProbeCheck) { self.check = check }
}

/// The moments a command can be attached to. Raw values are `SWINIT_EVENT` and the JSON `event`.
public enum HookEvent: String, Sendable, Equatable, CaseIterable {
    case preStart = "pre-start", postStart = "post-start", preStop = "pre-stop", postStop = "post-stop"
    case stopCommand = "stop"
    case exit, restart, fatal, unhealthy

    /// Event hooks get a JSON record on stdin and have a global default.
    public var isEvent: Bool {
        switch self {
        case .exit, .restart, .fatal, .unhealthy: return true
        default: return false
        }
    }

    /// The config key: "pre-start", "stop-command", "on-exit".
    public var key: String {
        switch self {
        case .stopCommand: return "stop-command"
        case .exit, .restart, .fatal, .unhealthy: return "on-" + rawValue
        default: return rawValue
        }
    }
}

/// A command run at a moment of a service's life, killed at `timeout`.
public struct HookCommand: Sendable, Equatable {
    public var command: [String]
    public var timeout: TimeSpan = .seconds(30)

    public init(command: [String], timeout: TimeSpan = .seconds(30)) {
        self.command = command
        self.timeout = timeout
    }
}

/// Readiness, health, hooks, watchdog and pidfile of one service.
public struct LifecycleConfig: Sendable, Equatable {
    public var ready: ReadinessConfig? = nil
    public var health: HealthConfig? = nil
    /// sd_notify watchdog: no `WATCHDOG=1` for this long restarts the service.
    public var watchdog: TimeSpan? = nil
    /// For daemonising programs: after the command exits 0 the pid in this file is the service.
    public var pidFile: String? = nil
    public var hooks: [HookEvent: HookCommand] = [:]

    public init() {}

    /// The service gets a `NOTIFY_SOCKET`.
    public var usesNotifySocket: Bool { ready?.check == .notify || watchdog != nil }
}
