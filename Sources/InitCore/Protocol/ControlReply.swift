/// Lines of a unit's output, as the `logs` verb returns them.
public struct LogSlice: Sendable, Equatable {
    /// Oldest first, without their newline.
    public var lines: [String]
    /// The cursor for the next `logs` request with `after` (`-f`): the sequence number the
    /// next line will have.
    public var next: UInt64
    /// Lines between the cursor asked for and the oldest one still kept (lost to the ring).
    public var dropped: UInt64

    public init(lines: [String], next: UInt64, dropped: UInt64 = 0) {
        self.lines = lines
        self.next = next
        self.dropped = dropped
    }
}

/// The one JSON object swinit writes back on the reply FIFO before closing it.
///
/// ```
/// {"v":1,"ok":false,"message":"no service named 'wbe'; did you mean 'web'?"}
/// ```
public struct ControlReply: Sendable, Equatable {
    public var ok: Bool
    /// For people: what was done, or why not.
    public var message: String
    /// `status` replies.
    public var status: StatusSnapshot?
    /// `graph` replies.
    public var dot: String?
    /// `logs` replies.
    public var logs: LogSlice?

    public init(ok: Bool, message: String, status: StatusSnapshot? = nil, dot: String? = nil, logs: LogSlice? = nil) {
        self.ok = ok
        self.message = message
        self.status = status
        self.dot = dot
        self.logs = logs
    }

    /// A failure reply.
    public static func failed(_ message: String) -> ControlReply { ControlReply(ok: false, message: message) }

    /// The reply as JSON text with a final newline.
    public func encoded() -> String {
        var members = [JSONMember("v", .int(ControlLimits.version)), JSONMember("ok", .bool(ok)), JSONMember("message", .string(message))]
        if let status { members.append(JSONMember("status", status.json)) }
        if let dot { members.append(JSONMember("dot", .string(dot))) }
        if let logs {
            members.append(JSONMember("lines", .array(logs.lines.map { .string($0) })))
            members.append(JSONMember("next", .int(Int64(clamping: logs.next))))
            members.append(JSONMember("dropped", .int(Int64(clamping: logs.dropped))))
        }
        return JSONValue.object(members).encoded() + "\n"
    }

    /// Reads a reply back (initctl's side).
    public static func decode(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> ControlReply {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, maxDepth: 16)
        } catch {
            throw ProtocolError("reply is not JSON: \(error.description)")
        }
        guard let ok = value["ok"]?.bool else { throw ProtocolError("reply has no 'ok'") }
        var reply = ControlReply(ok: ok, message: value["message"]?.string ?? "")
        if let status = value["status"] {
            guard let snapshot = StatusSnapshot(json: status) else { throw ProtocolError("reply has a malformed 'status'") }
            reply.status = snapshot
        }
        reply.dot = value["dot"]?.string
        if let lines = value["lines"]?.array {
            reply.logs = LogSlice(lines: lines.compactMap { $0.string }, next: UInt64(max(0, value["next"]?.int ?? 0)),
                                  dropped: UInt64(max(0, value["dropped"]?.int ?? 0)))
        }
        return reply
    }
}
