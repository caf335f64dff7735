/// The wire limits of the control channel (docs/PROTOCOL.md).
public enum ControlLimits {
    /// A request line, newline included: PIPE_BUF, so one write(2) of it is atomic and lines
    /// from concurrent clients never interleave in the request FIFO.
    public static let requestBytes = 4096
    /// The protocol version carried as "v".
    public static let version: Int64 = 1
    /// Names (services, instances, tasks) in a request.
    public static let maxNames = 256
    /// The longest name in a request.
    public static let maxNameBytes = 128
    /// The longest reply FIFO name.
    public static let maxReplyNameBytes = 100
    /// Lines a single `logs` request may ask for.
    public static let maxLogLines = 10_000
    /// The file name of the request FIFO in the control directory.
    public static let requestFIFO = "control"
    /// The file name of the published status.
    public static let statusFile = "status.json"
    /// Reply FIFOs are named with this prefix, so swinit never writes to anything else.
    public static let replyPrefix = "reply."
}

/// What `logs` asks for: the last `count` lines of a unit, or those after a cursor (`-f`).
public struct LogQuery: Sendable, Equatable {
    public var name: String
    public var count: Int
    /// Lines with a sequence number >= `after` (the `next` of the previous reply); nil: the
    /// last `count` lines.
    public var after: UInt64?

    public init(name: String, count: Int = 50, after: UInt64? = nil) {
        self.name = name
        self.count = count
        self.after = after
    }
}

/// What a client asks swinit to do.
public enum ControlVerb: Sendable, Equatable {
    /// The status of every unit, or of the units named.
    case status(names: [String])
    case start(names: [String], all: Bool)
    case stop(names: [String], all: Bool)
    case restart(names: [String], all: Bool)
    case signal(name: String, signal: Int32)
    /// Runs a one-shot again.
    case run(task: String)
    case reload
    case logs(LogQuery)
    case shutdown(exitCode: Int32?)
    /// The dependency graph as Graphviz DOT.
    case graph

    /// The word on the wire.
    public var word: String {
        switch self {
        case .status: return "status"
        case .start: return "start"
        case .stop: return "stop"
        case .restart: return "restart"
        case .signal: return "signal"
        case .run: return "run"
        case .reload: return "reload"
        case .logs: return "logs"
        case .shutdown: return "shutdown"
        case .graph: return "graph"
        }
    }

    static let words = ["status", "start", "stop", "restart", "signal", "run", "reload", "logs", "shutdown", "graph"]
}

/// Why a request cannot be carried out as sent.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One request line: the reply FIFO to answer on and the verb.
///
/// ```
/// {"v":1,"reply":"reply.812.1","verb":"restart","names":["web"]}
/// ```
public struct ControlRequest: Sendable, Equatable {
    /// The reply FIFO's name inside the control directory (or its absolute path there).
    public var reply: String?
    public var verb: ControlVerb

    public init(reply: String?, verb: ControlVerb) {
        self.reply = reply
        self.verb = verb
    }

    /// The request as one line, newline included.
    public func line() -> String {
        var members: [JSONMember] = [JSONMember("v", .int(ControlLimits.version))]
        if let reply { members.append(JSONMember("reply", .string(reply))) }
        members.append(JSONMember("verb", .string(verb.word)))
        func names(_ list: [String]) { members.append(JSONMember("names", .array(list.map { .string($0) }))) }
        switch verb {
        case .status(let list): if !list.isEmpty { names(list) }
        case .start(let list, let all), .stop(let list, let all), .restart(let list, let all):
            names(list)
            if all { members.append(JSONMember("all", .bool(true))) }
        case .signal(let name, let signal):
            names([name])
            members.append(JSONMember("signal", .int(Int64(signal))))
        case .run(let task): names([task])
        case .reload, .graph: break
        case .logs(let query):
            names([query.name])
            members.append(JSONMember("count", .int(Int64(query.count))))
            if let after = query.after { members.append(JSONMember("after", .int(Int64(clamping: after)))) }
        case .shutdown(let code):
            if let code { members.append(JSONMember("exit-code", .int(Int64(code)))) }
        }
        return JSONValue.object(members).encoded() + "\n"
    }

    /// What parsing a line yields: the reply FIFO when one could be read (so even a bad
    /// request gets an error reply), and the verb or why it is unusable.
    public struct Parsed: Sendable, Equatable {
        public var reply: String?
        public var verb: Result<ControlVerb, ProtocolError>
    }

    /// Parses one request line (without its newline).
    public static func parse(_ line: some Collection<UInt8>) -> Parsed {
        if line.count >= ControlLimits.requestBytes {
            return Parsed(reply: nil, verb: .failure(ProtocolError("request longer than \(ControlLimits.requestBytes - 1) bytes")))
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(line, maxDepth: 4)
        } catch {
            return Parsed(reply: nil, verb: .failure(ProtocolError("request is not JSON: \(error.description)")))
        }
        guard case .object = value else {
            return Parsed(reply: nil, verb: .failure(ProtocolError("request is not a JSON object")))
        }
        var reply: String? = nil
        if let field = value["reply"] {
            guard let text = field.string else {
                return Parsed(reply: nil, verb: .failure(ProtocolError("'reply' must be a string")))
            }
            reply = text
        }
        return Parsed(reply: reply, verb: verb(of: value))
    }

    static func verb(of value: JSONValue) -> Result<ControlVerb, ProtocolError> {
        if let v = value["v"], v.int != ControlLimits.version {
            return .failure(ProtocolError("unsupported protocol version \(v.encoded()) (this swinit speaks \(ControlLimits.version))"))
        }
        guard let word = value["verb"]?.string else { return .failure(ProtocolError("request has no 'verb'")) }
        let names: [String]
        switch stringList(value["names"]) {
        case .success(let list): names = list
        case .failure(let failure): return .failure(failure)
        }
        let all = value["all"]?.bool ?? false
        func one(_ what: String) -> Result<String, ProtocolError> {
            guard names.count == 1 else { return .failure(ProtocolError("\(word) needs exactly one \(what) in 'names'")) }
            return .success(names[0])
        }
        switch word {
        case "status":
            return .success(.status(names: names))
        case "start", "stop", "restart":
            if names.isEmpty && !all { return .failure(ProtocolError("\(word) needs service names or \"all\": true")) }
            if !names.isEmpty && all { return .failure(ProtocolError("\(word): give names or \"all\", not both")) }
            return .success(word == "start" ? .start(names: names, all: all) : word == "stop" ? .stop(names: names, all: all) : .restart(names: names, all: all))
        case "signal":
            guard let number = value["signal"]?.int, number > 0, number <= Int64(Signals.realtimeMax) else {
                return .failure(ProtocolError("signal needs 'signal', a number from 1 to \(Signals.realtimeMax)"))
            }
            return one("service").map { .signal(name: $0, signal: Int32(number)) }
        case "run":
            return one("task").map { .run(task: $0) }
        case "reload":
            return .success(.reload)
        case "graph":
            return .success(.graph)
        case "logs":
            var count = 50
            if let field = value["count"] {
                guard let n = field.int, n >= 1, n <= Int64(ControlLimits.maxLogLines) else {
                    return .failure(ProtocolError("'count' must be a number from 1 to \(ControlLimits.maxLogLines)"))
                }
                count = Int(n)
            }
            var after: UInt64? = nil
            if let field = value["after"] {
                guard let n = field.int, n >= 0 else { return .failure(ProtocolError("'after' must be a number >= 0")) }
                after = UInt64(n)
            }
            return one("service").map { .logs(LogQuery(name: $0, count: count, after: after)) }
        case "shutdown":
            var code: Int32? = nil
            if let field = value["exit-code"] {
                guard let n = field.int, n >= 0, n <= 255 else { return .failure(ProtocolError("'exit-code' must be a number from 0 to 255")) }
                code = Int32(n)
            }
            return .success(.shutdown(exitCode: code))
        default:
            let hint = Spelling.closest(to: word, in: ControlVerb.words).map { "; did you mean '\($0)'?" } ?? ""
            return .failure(ProtocolError("unknown verb '\(word)'\(hint)"))
        }
    }

    static func stringList(_ field: JSONValue?) -> Result<[String], ProtocolError> {
        guard let field else { return .success([]) }
        guard let items = field.array else { return .failure(ProtocolError("'names' must be a list of strings")) }
        if items.count > ControlLimits.maxNames { return .failure(ProtocolError("too many names (at most \(ControlLimits.maxNames))")) }
        var names: [String] = []
        for item in items {
            guard let name = item.string else { return .failure(ProtocolError("'names' must be a list of strings")) }
            guard isUnitName(name) else { return .failure(ProtocolError("'\(name.prefix(64))' is not a service name")) }
            names.append(name)
        }
        return .success(names)
    }

    /// A service name, or an instance ("web.2"): letters, digits, '_', '-', '.'.
    public static func isUnitName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= ControlLimits.maxNameBytes && name.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 0x5f || $0 == 0x2d || $0 == 0x2e
        }
    }
}

/// The rule for reply FIFO names: swinit only ever writes to `reply.*` entries directly in
/// the control directory, named by a bare name or by an absolute path in that directory.
public enum ReplyPath {
    /// The bare file name to open in the control directory, or why the path is refused.
    public static func validate(_ path: String, controlDirectory: String) -> Result<String, ProtocolError> {
        var name = Substring(path)
        if path.hasPrefix("/") {
            var directory = Substring(controlDirectory)
            while directory.count > 1 && directory.hasSuffix("/") { directory = directory.dropLast() }
            guard let slash = path.lastIndex(of: "/"), path[..<slash] == directory || (directory == "/" && slash == path.startIndex) else {
                return .failure(ProtocolError("reply path '\(path.prefix(200))' is not in the control directory \(controlDirectory)"))
            }
            name = path[path.index(after: slash)...]
        }
        guard name.hasPrefix(ControlLimits.replyPrefix), name.utf8.count > ControlLimits.replyPrefix.utf8.count,
              name.utf8.count <= ControlLimits.maxReplyNameBytes,
              name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 0x5f || $0 == 0x2d || $0 == 0x2e }),
              !name.contains("..") else {
            return .failure(ProtocolError("reply name '\(name.prefix(200))' is not a plain 'reply.*' name in the control directory"))
        }
        return .success(String(name))
    }
}
