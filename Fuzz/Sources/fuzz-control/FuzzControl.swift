// Fuzz target: the control protocol (Sources/InitCore/Protocol/) and the small parsers behind
// service environments. Every input goes, whole, through each of these:
//
// 1. `JSONValue.parse` (maxDepth 32 and a small depth taken from the input's hash):
//    - errors have a message and an offset inside the input;
//    - a value nests no deeper than maxDepth; it parses with maxDepth = its own depth and not
//      with one less; parsing with a larger maxDepth gives the same value;
//    - the writer's text (`encoded()`) has no raw control characters and parses back to the
//      same value (strings compared byte for byte, numbers bit for bit), and writing that again
//      gives the same bytes.
// 2. `ControlRequest.parse` (the request line):
//    - errors have a message; it accepts only inputs under ControlLimits.requestBytes that are
//      a JSON object at maxDepth 4, whose "verb" is the verb's word and whose "reply" is the
//      reply read;
//    - a parsed verb is within the protocol's limits (names are unit names, at most maxNames;
//      signal 1...64; count 1...maxLogLines; exit code 0...255);
//    - `ControlRequest(reply:verb:).line()` is one line (no newline but the last) and, when it fits
//      in requestBytes, parses back to the same reply and verb.
// 3. `ReplyPath.validate`, of the request's reply against a few control directories, and of
//    PATH against DIR when the input is "DIR\0PATH...": an accepted reply is a bare `reply.*`
//    name (letters, digits, '_', '-', '.'; 7...100 bytes; no '/', no "..") and the path was that
//    bare name or DIR/name (DIR without trailing slashes); the bare name and DIR/name agree.
// 4. `StatusSnapshot(json:)` of the parsed value (and of its "status" member):
//    `StatusSnapshot(json: s.json) == s`, also through the JSON text; `StatusTable.render`,
//    `check` and `selecting` do not crash on it. `ControlReply.decode` of the input: encoding
//    the reply and decoding it gives the same reply.
// 5. `InitctlArguments.parse` of the input split on NUL: deterministic (the same result, error
//    messages included, several times in a row); errors have a message;
//    an accepted command is within the same limits as a request, and the verb initctl would
//    send (as in Sources/InitRuntime/Commands/Initctl.swift) parses back on swinit's side, or is
//    refused there with a message (more than maxNames names, or a line too long).
// 6. The environment parsers, with the invariants listed at `fuzzEnvironmentParsers` below:
//    `DurationSyntax`, `Expansion`, `CommandWords`, `EnvFile`, `Accounts`.
import FuzzSupport
import InitCore

let environment: [String: String] = ["HOME": "/root", "PORT": "8080", "EMPTY": "", "A_1": "$HOME", "X": "x y"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let value = fuzzJSON(input)
    fuzzRequest(input)
    fuzzReplyPathPair(input)
    if let value {
        fuzzStatus(value)
        if let inner = value["status"] { fuzzStatus(inner) }
    }
    fuzzReply(input)
    fuzzInitctl(input)
    fuzzEnvironmentParsers(String(decoding: input, as: UTF8.self))
    return 0
}

// MARK: JSON

/// How deeply arrays and objects nest (0 for a scalar), as the parser counts it.
func depth(_ value: JSONValue) -> Int {
    switch value {
    case .array(let items): return 1 + (items.map(depth).max() ?? 0)
    case .object(let members): return 1 + (members.map { depth($0.value) }.max() ?? 0)
    default: return 0
    }
}

/// Equality without String's canonical equivalence (bytes) and with doubles compared bit for bit.
func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && same($0.value, $1.value) }
    default: return false
    }
}

func parseJSON(_ input: some Collection<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONError> {
    do { return .success(try JSONValue.parse(input, maxDepth: maxDepth)) } catch { return .failure(error) }
}

/// The JSON checks; returns the value when the input is JSON (maxDepth 32).
func fuzzJSON(_ input: [UInt8]) -> JSONValue? {
    let small = Int(fnv1a(input) % 6)
    var parsed: JSONValue? = nil
    for maxDepth in [32, small] {
        switch parseJSON(input, maxDepth: maxDepth) {
        case .failure(let error):
            check(!error.message.isEmpty, "JSON error without a message")
            check(error.offset >= 0 && error.offset <= input.count, "JSON error offset \(error.offset) outside 0...\(input.count)")
        case .success(let value):
            let d = depth(value)
            check(d <= maxDepth, "JSON nested \(d) deep parsed with maxDepth \(maxDepth)")
            if maxDepth == 32 { parsed = value }
            if maxDepth != 32 {
                // Monotonic in maxDepth.
                guard case .success(let deeper) = parseJSON(input, maxDepth: 32), same(deeper, value) else {
                    check(false, "JSON parses with maxDepth \(maxDepth) but not the same with 32")
                    return parsed
                }
            }
            guard case .success(let exact) = parseJSON(input, maxDepth: d), same(exact, value) else {
                check(false, "JSON nested \(d) deep does not parse with maxDepth \(d)")
                return parsed
            }
            if d > 0, case .success = parseJSON(input, maxDepth: d - 1) {
                check(false, "JSON nested \(d) deep parses with maxDepth \(d - 1)")
            }
            // Writer: one compact text without raw control characters that parses back.
            let text = value.encoded()
            check(!text.utf8.contains { $0 < 0x20 || $0 == 0x7f }, "encoded JSON has a raw control character: \(escaped(text))")
            switch parseJSON(Array(text.utf8), maxDepth: d) {
            case .failure(let error):
                check(false, "encoded JSON \(escaped(text)) does not parse: \(error.description)")
            case .success(let again):
                check(same(again, value), "JSON \(escaped(String(decoding: input, as: UTF8.self))) -> \(escaped(text)) -> \(escaped(again.encoded())): not the same value")
                check(again.encoded().utf8.elementsEqual(text.utf8), "writing JSON is not a fixed point: \(escaped(text))")
            }
        }
    }
    return parsed
}

// MARK: request lines

let controlDirectories = ["/run/swinit", "/run/swinit/", "/", "/tmp/swinit-0"]

/// What a verb must satisfy however it was made (swinit's parser or initctl's).
func checkLimits(_ verb: ControlVerb, _ context: @autoclosure () -> String) {
    func names(_ list: [String]) {
        check(list.count <= ControlLimits.maxNames, "\(context()): \(list.count) names")
        for n in list { check(ControlRequest.isUnitName(n), "\(context()): name \(escaped(n))") }
    }
    switch verb {
    case .status(let list): names(list)
    case .start(let list, let all), .stop(let list, let all), .restart(let list, let all):
        names(list)
        check(list.isEmpty == all, "\(context()): names \(list) and all \(all)")
    case .signal(let name, let signal):
        names([name])
        check(signal >= 1 && signal <= Signals.realtimeMax, "\(context()): signal \(signal)")
    case .run(let task): names([task])
    case .reload, .graph: break
    case .logs(let query):
        names([query.name])
        check(query.count >= 1 && query.count <= ControlLimits.maxLogLines, "\(context()): count \(query.count)")
        if let after = query.after { check(after <= UInt64(Int64.max), "\(context()): after \(after)") }
    case .shutdown(let code):
        if let code { check(code >= 0 && code <= 255, "\(context()): exit code \(code)") }
    }
}

/// Encodes a request and parses it back; `line()` must give one line that swinit reads as the
/// same request (when it fits in a request).
func checkEncoding(_ request: ControlRequest, _ context: @autoclosure () -> String) {
    let line = Array(request.line().utf8)
    check(line.last == 0x0a && !line.dropLast().contains(0x0a), "\(context()): line() is not one line: \(escaped(request.line()))")
    let body = line.dropLast()
    let again = ControlRequest.parse(body)
    if line.count > ControlLimits.requestBytes {
        // initctl refuses to send it (ControlClient.writeRequest); swinit refuses it too.
        if case .success = again.verb { check(false, "\(context()): a \(line.count)-byte request line is accepted") }
        return
    }
    check(again.reply.map { Array($0.utf8) } == request.reply.map { Array($0.utf8) } && again.verb == .success(request.verb),
          "\(context()): \(escaped(request.line())) parses back as reply \(again.reply.map { escaped($0) } ?? "nil"), \(again.verb)")
}

func fuzzRequest(_ input: [UInt8]) {
    let parsed = ControlRequest.parse(input)
    let json = parseJSON(input, maxDepth: 4)
    switch parsed.verb {
    case .failure(let error):
        check(!error.message.isEmpty, "request error without a message")
    case .success(let verb):
        check(input.count < ControlLimits.requestBytes, "a request of \(input.count) bytes is accepted")
        guard case .success(let value) = json, case .object = value else {
            check(false, "a request that is not a JSON object at depth 4 is accepted"); return
        }
        check(value["verb"]?.string == verb.word, "request verb \(verb.word) from \(value["verb"].map { $0.encoded() } ?? "nil")")
        checkLimits(verb, "request \(escaped(String(decoding: input, as: UTF8.self)))")
        checkEncoding(ControlRequest(reply: parsed.reply, verb: verb), "request \(escaped(String(decoding: input, as: UTF8.self)))")
    }
    if let reply = parsed.reply {
        check(input.count < ControlLimits.requestBytes, "a reply is read from a request of \(input.count) bytes")
        guard case .success(let value) = json, value["reply"]?.string.map({ Array($0.utf8) }) == Array(reply.utf8) else {
            check(false, "request reply \(escaped(reply)) is not its 'reply' member"); return
        }
        for directory in controlDirectories { checkReplyPath(reply, directory) }
    }
}

// MARK: reply paths

/// `ReplyPath.validate(path, controlDirectory:)`: only bare `reply.*` names in the directory.
func checkReplyPath(_ path: String, _ directory: String) {
    let result = ReplyPath.validate(path, controlDirectory: directory)
    let context = "ReplyPath.validate(\(escaped(path)), controlDirectory: \(escaped(directory)))"
    let dir = ControlPaths.trimmed(directory)
    guard case .success(let name) = result else {
        if case .failure(let error) = result { check(!error.message.isEmpty, "\(context): error without a message") }
        return
    }
    let n = Array(name.utf8)
    let allowed = n.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 0x5f || $0 == 0x2d || $0 == 0x2e }
    check(n.starts(with: Array("reply.".utf8)) && n.count > 6 && n.count <= ControlLimits.maxReplyNameBytes && allowed,
          "\(context) = \(escaped(name)): not a plain reply.* name")
    check(!name.utf8.contains(0x2f), "\(context) = \(escaped(name)): has a '/'")
    check(!hasDotDot(n), "\(context) = \(escaped(name)): has '..'")
    let p = Array(path.utf8)
    if p.first == 0x2f {
        let suffix = [0x2f] + n
        check(p.count >= suffix.count && Array(p.suffix(suffix.count)) == suffix, "\(context) = \(escaped(name)): not the last component")
        let parent = String(decoding: p.dropLast(suffix.count), as: UTF8.self)
        check(parent == dir || (dir == "/" && parent.isEmpty), "\(context) = \(escaped(name)): \(escaped(parent)) is not the control directory")
        if !hasDotDot(Array(directory.utf8)) { check(!hasDotDot(p), "\(context) = \(escaped(name)): the path has '..'") }
    } else {
        check(p == n, "\(context) = \(escaped(name)): a relative path is not returned as it is")
    }
    // The bare name and DIR/name are the same reply — for an absolute control directory, the
    // only kind swinit uses (DIR/name with a relative DIR is a relative path, refused as such).
    let absolute = (dir == "/" ? "" : dir) + "/" + name
    for other in dir.hasPrefix("/") ? [name, absolute] : [name] {
        guard case .success(let again) = ReplyPath.validate(other, controlDirectory: directory), Array(again.utf8) == n else {
            check(false, "\(context) = \(escaped(name)), but \(escaped(other)) is refused or differs"); return
        }
    }
}

func hasDotDot(_ bytes: [UInt8]) -> Bool { zip(bytes, bytes.dropFirst()).contains { $0 == 0x2e && $1 == 0x2e } }

/// "DIR\0PATH[\0...]": PATH as a reply path in the control directory DIR.
func fuzzReplyPathPair(_ input: [UInt8]) {
    guard let nul = input.firstIndex(of: 0) else { return }
    let directory = String(decoding: input[..<nul], as: UTF8.self)
    let rest = input[(nul + 1)...]
    let path = String(decoding: rest.prefix { $0 != 0 }, as: UTF8.self)
    checkReplyPath(path, directory)
    for fixed in controlDirectories { checkReplyPath(path, fixed) }
}

// MARK: status snapshots and replies

func fuzzStatus(_ value: JSONValue) {
    guard let snapshot = StatusSnapshot(json: value) else { return }
    let json = snapshot.json
    check(StatusSnapshot(json: json) == snapshot, "StatusSnapshot(json: s.json) != s for \(escaped(json.encoded()))")
    let text = json.encoded()
    switch parseJSON(Array(text.utf8), maxDepth: 32) {
    case .success(let again):
        check(StatusSnapshot(json: again) == snapshot, "status JSON text \(escaped(text)) reads back differently")
    case .failure(let error):
        check(false, "status JSON text \(escaped(text)) does not parse: \(error.description)")
    }
    // What initctl does with a snapshot it received.
    _ = StatusTable.render(snapshot)
    var extras = StatusTable.Extras()
    extras.color = true
    _ = StatusTable.render(snapshot, extras)
    let names = Array(snapshot.units.prefix(3).flatMap { [$0.name, $0.service] }) + ["missing"]
    for level in [CheckLevel.running, .ready, .healthy] {
        _ = snapshot.check(level)
        _ = snapshot.check(level, names: Array(names.prefix(2)))
    }
    let (selected, missing) = snapshot.selecting(names)
    check(selected.units.count <= snapshot.units.count, "selecting gave more units than there are")
    for name in missing { check(!snapshot.units.contains { $0.name == name || $0.service == name }, "selecting reports \(escaped(name)) missing") }
}

func fuzzReply(_ input: [UInt8]) {
    let reply: ControlReply
    do { reply = try ControlReply.decode(input) } catch {
        check(!error.message.isEmpty, "reply decode error without a message")
        return
    }
    let text = reply.encoded()
    check(text.utf8.last == 0x0a && !text.utf8.dropLast().contains(0x0a), "a reply is not one line: \(escaped(text))")
    do {
        let again = try ControlReply.decode(Array(text.utf8.dropLast()))
        check(again == reply, "reply \(escaped(text)) decodes differently")
    } catch {
        check(false, "reply \(escaped(text)) does not decode: \(error.message)")
    }
}

// MARK: initctl

func fuzzInitctl(_ input: [UInt8]) {
    let arguments = input.isEmpty ? [] : input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    func parse() -> Result<InitctlArguments, UsageError> {
        do { return .success(try InitctlArguments.parse(arguments)) } catch { return .failure(error) }
    }
    // Several parses, so that a difference that depends on hash seeds (the iteration order of a
    // Set) shows up nearly every time: three, or eight for an error (cheap, and where a
    // "did you mean" hint is picked).
    let first = parse()
    var repeats = 2
    if case .failure = first { repeats = 7 }
    for _ in 0..<repeats {
        let again = parse()
        check(first == again, "InitctlArguments.parse(\(arguments.map { escaped($0) })) is not deterministic: \(first) then \(again)")
    }
    let parsed: InitctlArguments
    switch first {
    case .failure(let error):
        check(!error.message.isEmpty, "initctl usage error without a message")
        return
    case .success(let p): parsed = p
    }
    let context = "initctl \(arguments.map { escaped($0) }.joined(separator: " "))"
    check(parsed.replyTimeout > .zero, "\(context): reply timeout \(parsed.replyTimeout.nanoseconds) ns")
    // The verb initctl sends (Sources/InitRuntime/Commands/Initctl.swift).
    var verbs: [ControlVerb] = []
    switch parsed.command {
    case .status(let names, _): verbs = [.status(names: names)]
    case .start(let names, let all): verbs = [.start(names: names, all: all)]
    case .stop(let names, let all): verbs = [.stop(names: names, all: all)]
    case .restart(let names, let all): verbs = [.restart(names: names, all: all)]
    case .signal(let name, let signal): verbs = [.signal(name: name, signal: signal)]
    case .run(let task): verbs = [.run(task: task)]
    case .reload: verbs = [.reload]
    case .shutdown(let code): verbs = [.shutdown(exitCode: code)]
    case .graph: verbs = [.graph]
    case .logs(let name, let count, let follow):
        verbs = [.logs(LogQuery(name: name, count: count))]
        if follow { verbs.append(.logs(LogQuery(name: name, count: ControlLimits.maxLogLines, after: 0))) }
    case .wait(let names, _, let timeout):
        check(timeout > .zero, "\(context): wait timeout \(timeout.nanoseconds) ns")
        verbs = [.status(names: names)]
    case .check, .top: verbs = [.status(names: [])]
    case .version, .help: break
    }
    for verb in verbs {
        let request = ControlRequest(reply: "reply.4242.1.1234567890", verb: verb)
        let line = request.line()
        let names: Int
        switch verb {
        case .status(let list), .start(let list, _), .stop(let list, _), .restart(let list, _): names = list.count
        default: names = 1
        }
        if names > ControlLimits.maxNames || line.utf8.count > ControlLimits.requestBytes {
            // Beyond the protocol's limits: initctl's client (ControlClient.writeRequest) refuses
            // a line that is too long; swinit must refuse a line with too many names, with a message.
            if line.utf8.count <= ControlLimits.requestBytes {
                let back = ControlRequest.parse(Array(line.utf8.dropLast()))
                guard case .failure(let error) = back.verb else {
                    check(false, "\(context): a request with \(names) names is accepted by swinit"); continue
                }
                check(!error.message.isEmpty, "\(context): request error without a message")
            }
            continue
        }
        checkLimits(verb, context)
        checkEncoding(request, context)
    }
}

// MARK: environment parsers

/// `DurationSyntax`, `Expansion`, `CommandWords`, `EnvFile` and `Accounts` on the input as text:
/// - a parsed duration is >= 0, and `DurationSyntax.format` of it parses back to the same value;
/// - `Expansion.expand` of text without '$' is the text itself, `$$` is a literal '$', a
///   reference to an unset variable is reported in `unset`, and errors have a message;
/// - `CommandWords.split` of text without quotes or backslashes is a plain whitespace split,
///   and errors have a message;
/// - `EnvFile.parse` returns valid variable names, and errors have a message;
/// - `Accounts.identity` puts the primary group first in the supplementary groups.
func fuzzEnvironmentParsers(_ text: String) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)

    // Durations: the whole text and each of the first lines.
    for candidate in [Substring(text)] + lines.prefix(4) {
        let s = String(candidate)
        switch DurationSyntax.parse(s) {
        case .success(let span):
            check(span.nanoseconds >= 0, "duration \(escaped(s)) parsed as \(span.nanoseconds) ns")
            let formatted = DurationSyntax.format(span)
            switch DurationSyntax.parse(formatted) {
            case .success(let again):
                check(again == span, "duration \(escaped(s)) = \(span.nanoseconds) ns -> \(formatted) -> \(again.nanoseconds) ns")
            case .failure(let error):
                check(false, "duration \(escaped(s)) = \(span.nanoseconds) ns formats as \(formatted), which does not parse: \(error.message)")
            }
        case .failure(let error):
            check(!error.message.isEmpty, "duration error without a message for \(escaped(s))")
        }
    }

    // ${VAR} expansion.
    let expanded = Expansion.expand(text, environment: environment)
    if let error = expanded.error {
        check(!error.isEmpty, "expansion error without a message")
    } else {
        if !text.contains("$") {
            check(expanded.text == text && expanded.unset.isEmpty, "expansion changed text without '$'")
        }
        for name in expanded.unset {
            check(environment[name] == nil, "expansion reports set variable '\(name)' as unset")
            check(isVariableName(name), "expansion reports \(escaped(name)) as an unset variable")
        }
    }
    let literal = Expansion.expand(text.replacingDollars(), environment: environment)
    check(literal.error == nil && literal.text == text && literal.unset.isEmpty,
          "escaping every '$' as '$$' does not give the text back: \(escaped(literal.text)) error \(literal.error ?? "nil")")

    // Shell-like word splitting.
    switch CommandWords.split(text) {
    case .success(let words):
        if !text.unicodeScalars.contains(where: { $0 == "'" || $0 == "\"" || $0 == "\\" }) {
            let plain = text.unicodeScalars.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
                .map { String(String.UnicodeScalarView($0)) }
            check(words == plain, "CommandWords.split(\(escaped(text))) = \(words), expected \(plain)")
        }
    case .failure(let error):
        check(!error.message.isEmpty, "command syntax error without a message")
    }

    // env-file.
    switch EnvFile.parse(text) {
    case .success(let pairs):
        for (name, _) in pairs { check(isVariableName(name), "env-file gave variable name \(escaped(name))") }
    case .failure(let error):
        check(!error.message.isEmpty, "env-file error without a message")
    }

    // /etc/passwd and /etc/group: the same text as both, then look up a few names from it.
    let accounts = Accounts(passwd: text, group: text)
    var names: [String?] = [nil, "root", "0", "1000"]
    for line in lines.prefix(3) {
        if let field = line.split(separator: ":", omittingEmptySubsequences: false).first { names.append(String(field)) }
    }
    for user in names {
        for group in names.prefix(4) {
            if case .success(let identity) = accounts.identity(user: user, group: group) {
                check(identity.groups.first == identity.gid,
                      "identity(user: \(user ?? "nil"), group: \(group ?? "nil")): groups \(identity.groups) do not start with gid \(identity.gid)")
                check(Set(identity.groups).count == identity.groups.count, "duplicate supplementary groups \(identity.groups)")
            }
        }
    }
}

func isVariableName(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, !(48...57).contains(first.value) else { return false }
    return s.unicodeScalars.allSatisfy { (48...57).contains($0.value) || (65...90).contains($0.value) || (97...122).contains($0.value) || $0 == "_" }
}

extension String {
    /// Every '$' doubled, so that expansion gives the text back unchanged.
    func replacingDollars() -> String {
        var out = ""
        for u in unicodeScalars {
            out.unicodeScalars.append(u)
            if u == "$" { out.unicodeScalars.append(u) }
        }
        return out
    }
}
