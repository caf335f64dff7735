/// What the runtime is asked to do for a unit's readiness, health and hooks.
public enum LifecycleAction: Sendable, Equatable {
    /// Check once. Socket and file checks answer `.probed(serial:…)`; exec checks answer
    /// `.helperStarted(serial:…)` and end as a `childExited` of that pid. The core enforces
    /// `timeout` (it cancels or kills); the runtime may also give up earlier.
    case probe(serial: Int, ProbeCheck, timeout: TimeSpan)
    /// Drop a socket probe still in flight: its deadline passed, or the unit went down.
    case cancelProbe(serial: Int)
    /// Run a hook with the service's user and environment plus `SWINIT_EVENT`; `record` goes to
    /// its stdin as one JSON object. Answer `.helperStarted(serial:…)`.
    case runHook(serial: Int, HookEvent, [String], record: EventRecord?)
    /// Read the pid file; answer `.pidFile(serial:…)` with a live process whose parent is swinit.
    case readPidFile(serial: Int, path: String)
}

/// What the runtime reports back about a unit's probes, hooks, notifications and pid file.
public enum LifecycleEvent: Sendable, Equatable {
    /// An exec probe or hook process was started (or could not be).
    case helperStarted(serial: Int, Result<Int32, SpawnFailure>)
    /// A socket or file probe finished.
    case probed(serial: Int, ProbeOutcome)
    /// An sd_notify datagram, or a newline on the notification descriptor.
    case notified(NotifyMessage)
    /// The pid file named a live process adopted by swinit, or not (yet).
    case pidFile(serial: Int, PidFileOutcome)
}

/// The result of one probe attempt.
public enum ProbeOutcome: Sendable, Equatable {
    case passed
    /// Why it failed, for `lastProbeFailure` and the log.
    case failed(String)
}

/// The result of reading a pid file.
public enum PidFileOutcome: Sendable, Equatable {
    /// A live process whose parent is swinit.
    case found(Int32)
    case failed(String)
}

/// A notification and who sent it.
public struct NotifyMessage: Sendable, Equatable {
    /// The sender's pid (SCM_CREDENTIALS); nil for the notification descriptor, which only the
    /// service holds.
    public var sender: Int32?
    /// The sender and its ancestors, nearest first, as far as /proc tells.
    public var lineage: [Int32]
    /// The sender's process group.
    public var processGroup: Int32?
    /// "READY=1\nSTATUS=…" — sd_notify's newline-separated assignments.
    public var text: String
    /// The sender is swinit's own child, so swinit will reap it (a MAINPID must be).
    public var senderIsChild: Bool

    public init(sender: Int32?, lineage: [Int32] = [], processGroup: Int32? = nil, text: String, senderIsChild: Bool = false) {
        self.sender = sender
        self.lineage = lineage
        self.processGroup = processGroup
        self.text = text
        self.senderIsChild = senderIsChild
    }

    /// The assignments in order; lines without '=' are skipped (as systemd does).
    public var assignments: [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { (line: Substring) -> (key: String, value: String)? in
            guard let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        }
    }
}

/// What an event hook gets on stdin; the runtime adds the time and the stderr tail.
public struct EventRecord: Sendable, Equatable {
    public var service: String
    public var unit: String
    public var instance: Int?
    public var event: HookEvent
    public var pid: Int32?
    public var status: WaitStatus?
    public var restarts: Int
    /// Why: the last probe failure for `unhealthy`, the stop reason for a failed start.
    public var reason: String?

    public init(service: String, unit: String, instance: Int?, event: HookEvent, pid: Int32?, status: WaitStatus?, restarts: Int, reason: String?) {
        self.service = service
        self.unit = unit
        self.instance = instance
        self.event = event
        self.pid = pid
        self.status = status
        self.restarts = restarts
        self.reason = reason
    }

    /// One JSON object (one line, then "\n"):
    ///
    /// ```json
    /// {"service":"web","unit":"web","instance":null,"event":"exit","time":"2026-01-02T03:04:05Z",
    ///  "unix_time":1767323045,"pid":42,"exit_code":1,"signal":null,"restarts":0,"reason":null,
    ///  "stderr_base64":"…"}
    /// ```
    public func json(unixSeconds: Int64, stderr: [UInt8]) -> String {
        var out = "{"
        out += "\"service\":" + JSONValue.quoted(service)
        out += ",\"unit\":" + JSONValue.quoted(unit)
        out += ",\"instance\":" + (instance.map { String($0) } ?? "null")
        out += ",\"event\":" + JSONValue.quoted(event.rawValue)
        out += ",\"time\":" + JSONValue.quoted(CivilTime.formatRFC3339(unixSeconds: unixSeconds))
        out += ",\"unix_time\":\(unixSeconds)"
        out += ",\"pid\":" + (pid.map { String($0) } ?? "null")
        switch status {
        case .exited(let code)?:
            out += ",\"exit_code\":\(code),\"signal\":null"
        case .signaled(let signal, _)?:
            out += ",\"exit_code\":null,\"signal\":" + JSONValue.quoted("SIG" + Signals.name(signal))
        case nil:
            out += ",\"exit_code\":null,\"signal\":null"
        }
        out += ",\"restarts\":\(restarts)"
        out += ",\"reason\":" + (reason.map(JSONValue.quoted) ?? "null")
        out += ",\"stderr_base64\":" + JSONValue.quoted(Base64.encode(stderr))
        return out + "}\n"
    }
}

/// RFC 4648 base64 with padding.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
