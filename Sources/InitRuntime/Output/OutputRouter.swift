import CSystem
import Glibc
import InitCore

/// Where a service stream's rendered lines go.
enum LogSink {
    /// swinit's stdout or stderr (prefix and json modes).
    case console(ConsoleWriter)
    /// A rotating log file, possibly shared by several streams.
    case file(RotatingFile)
}

/// Whole lines taken straight from a read buffer are followed there by their newline: a run
/// of them goes to the ring as one block instead of line by line. (A struct, not a local
/// function: captured variables of a local function are boxed and checked at run time.)
struct LineRun {
    let inputStart: UnsafeRawPointer
    let inputEnd: UnsafeRawPointer
    var start: UnsafeRawPointer
    var end: UnsafeRawPointer
    var lines = 0

    init(input: UnsafeRawBufferPointer) {
        inputStart = input.baseAddress!
        inputEnd = inputStart + input.count
        start = inputStart
        end = inputStart
    }

    mutating func record(_ fragment: LineFragment, into ring: inout LogRing) {
        if fragment.ends, let p = fragment.bytes.baseAddress, p >= inputStart && p < inputEnd {
            if lines > 0 && p == end {
                lines += 1
            } else {
                flush(into: &ring)
                start = p
                lines = 1
            }
            end = p + fragment.bytes.count + 1
        } else {
            flush(into: &ring)
            ring.append(fragment.bytes)
        }
    }

    mutating func flush(into ring: inout LogRing) {
        if lines > 0 { ring.append(block: UnsafeRawBufferPointer(start: start, count: end - start), lines: lines) }
        lines = 0
    }
}

/// One unit's stdout or stderr pipe. Created on the unit's first spawn and kept across its
/// restarts: the router holds the write end and hands it to each new process, so output
/// order is kept and the read end never sees EOF (no hang-up storm in epoll when a process
/// dies). A partial line left by a process that exited is flushed once the pipe is empty.
final class ServiceStream {
    let unit: UnitID
    let stream: LogStream
    let token: Token
    let readFD: Int32
    let writeFD: Int32
    let sink: LogSink
    let formatter: LogFormatter
    var framer = LineFramer()
    /// Input read but not framed yet because the sink filled up mid-read (at most one read).
    var carry: [UInt8] = []
    /// In epoll for EPOLLIN.
    var registered = false
    /// Not read while the sink drains (backpressure).
    var paused = false
    /// The process writing here exited: flush its last partial line when the pipe is empty.
    var processEnded = false

    init(unit: UnitID, stream: LogStream, token: Token, readFD: Int32, writeFD: Int32, sink: LogSink, formatter: LogFormatter) {
        self.unit = unit
        self.stream = stream
        self.token = token
        self.readFD = readFD
        self.writeFD = writeFD
        self.sink = sink
        self.formatter = formatter
    }

    deinit {
        close(readFD)
        close(writeFD)
    }
}

/// Routes the services' stdout and stderr to swinit's stdout/stderr (prefix, json), to
/// rotating files, or nowhere, without ever blocking the loop; keeps each unit's recent lines;
/// and writes swinit's own messages through the same path.
///
/// Memory is bounded. Per unit stream: 16 KiB of partial line (`LineFramer`) plus at most one
/// 64 KiB read held back while its sink is full; per unit: a 64 KiB `LogRing` (allocated on
/// first output). Shared: a 64 KiB read buffer and a 128 KiB one for rendered lines; per console writer 256 KiB high-water plus
/// one rendered fragment (≤ ~100 KiB for a 16 KiB line of control bytes in JSON), and up to
/// 1 MiB of swinit's own messages; per log file a 64 KiB batch plus one line. So n units
/// cost at most n × 224 KiB plus about 1.9 MiB, whatever the services write.
///
/// ```swift
/// let router = OutputRouter(loop: loop, settings: settings, units: supervisor.units)
/// request.descriptors += try router.descriptors(for: unit).get()
/// router.handle(readiness)          // for Token(.output, _) and Token(.console, _)
/// ```
public final class OutputRouter {
    /// Bytes read from a pipe at a time.
    static let readSize = 64 * 1024

    /// What the router needs of a unit: fixed at start.
    struct UnitInfo {
        var name: String
        var service: String
        var instance: Int?
        var stdout: OutputMode
        var stderr: OutputMode
        var colour: Int
    }

    private let loop: EventLoop
    private let settings: GlobalSettings
    private var units: [UnitInfo]
    /// Service names in order of appearance: each gets its colour.
    private var services: [String] = []
    /// Indexed by unit × 2 + stream.
    private var streams: [ServiceStream?]
    private var rings: [LogRing]
    private let stdoutWriter: ConsoleWriter
    private let stderrWriter: ConsoleWriter
    private let colourStdout: Bool
    private let colourStderr: Bool
    private var files: [String: RotatingFile] = [:]
    private var scratch = [UInt8](repeating: 0, count: OutputRouter.readSize)
    /// Lines rendered by `LineBlock` before they go to a writer in one append.
    private var rendered = [UInt8](repeating: 0, count: 2 * OutputRouter.readSize)
    private let nameWidth: Int
    private let ownFormatter: LogFormatter
    /// The rendered time and the millisecond it is for: rendered once per millisecond at most.
    private var timeMillisecond: Int64 = -1
    private var timeBytes: [UInt8] = []
    private var droppedMessages = 0
    /// Where `resume` starts, so paused streams take turns.
    private var resumeCursor = 0
    /// Inside `flushConsole`'s resume loop.
    private var resuming = false

    /// True when some unit's output needs the router (anything but `inherit`). In
    /// single-program `--` mode it is not created: `swinit: …` messages go straight to fd 2.
    public static func isNeeded(units: [Unit], settings: GlobalSettings) -> Bool {
        units.contains { mode(of: $0.config, .stdout, settings) != .inherit || mode(of: $0.config, .stderr, settings) != .inherit }
    }

    /// A stream's configured mode, the global default when the service gives none.
    static func mode(of config: ServiceConfig, _ stream: LogStream, _ settings: GlobalSettings) -> OutputMode {
        stream == .stdout ? (config.stdout ?? settings.stdout) : (config.stderr ?? settings.stderr)
    }

    /// Sets up the console writers (see `ConsoleWriter` for O_NONBLOCK) for `units`, the
    /// supervisor's units in order (UnitID = index). Pipes and files are opened on first spawn.
    public init(loop: EventLoop, settings: GlobalSettings, units: [Unit]) {
        self.loop = loop
        self.settings = settings
        self.units = []
        self.streams = []
        self.rings = []
        nameWidth = max(6, units.map { $0.name.count }.max() ?? 0)
        let stdout = ConsoleWriter(target: 1, id: 1, inheritedByChildren: units.contains { Self.mode(of: $0.config, .stdout, settings) == .inherit })
        let stderrShared = units.contains { Self.mode(of: $0.config, .stderr, settings) == .inherit }
        if let a = stdout.identity, let b = Self.identity(of: 2), a == b {
            // One pipe or terminal behind both: one writer, so lines never interleave.
            stderrWriter = stdout
        } else {
            stderrWriter = ConsoleWriter(target: 2, id: 2, inheritedByChildren: stderrShared)
        }
        stdoutWriter = stdout
        let variable = { (name: String) in getenv(name).map { String(cString: $0) } }
        colourStdout = wantsColour(1, variable)
        colourStderr = wantsColour(2, variable)
        ownFormatter = LogFormatter(style: settings.stderr == .json ? .json : .prefix(colour: nil), unitName: "swinit",
                                    service: "swinit", instance: nil, stream: .stderr, nameWidth: nameWidth,
                                    timestamps: settings.logTimestamps)
        appendUnits(units)
        for writer in [stdoutWriter, stderrWriter] {
            if let warning = writer.setupWarning { log(.warning, warning) }
        }
    }

    /// Frees what a unit retired by a reload held: its pipes (closed when the stream goes),
    /// their epoll registrations, and its ring. The unit is down; its last lines were routed.
    public func release(unit id: UnitID) {
        guard id >= 0 && id < units.count else { return }
        for index in [id * 2, id * 2 + 1] {
            guard let s = streams[index] else { continue }
            unregister(s)
            streams[index] = nil
        }
        rings[id] = LogRing()
    }

    /// Learns the units a reload added (ids past the ones known); known ones are unchanged.
    public func addUnits(_ all: [Unit]) {
        guard all.count > units.count else { return }
        appendUnits(Array(all[units.count...]))
    }

    private func appendUnits(_ added: [Unit]) {
        for unit in added {
            if !services.contains(unit.config.name) { services.append(unit.config.name) }
            let colour = LogFormatter.palette[services.firstIndex(of: unit.config.name)! % LogFormatter.palette.count]
            units.append(UnitInfo(name: unit.name, service: unit.config.name, instance: unit.instance,
                                  stdout: Self.mode(of: unit.config, .stdout, settings),
                                  stderr: Self.mode(of: unit.config, .stderr, settings), colour: colour))
            streams += [nil, nil]
            rings.append(LogRing())
        }
    }

    private static func identity(of fd: Int32) -> (UInt64, UInt64)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    // MARK: Spawning

    /// The (source, target) descriptor pairs for a unit's child: its stdout/stderr pipes
    /// (created on first use, kept across restarts), -1 (/dev/null) for `null`, nothing for
    /// `inherit`. Fails, naming the path, when a log file cannot be opened.
    public func descriptors(for unit: Unit) -> Result<[(source: Int32, target: Int32)], SpawnFailure> {
        guard unit.id >= 0 && unit.id < units.count else { return .success([]) }
        var pairs: [(source: Int32, target: Int32)] = []
        for stream in LogStream.allCases {
            let target = Int32(stream.rawValue + 1)
            let info = units[unit.id]
            switch stream == .stdout ? info.stdout : info.stderr {
            case .inherit:
                continue
            case .null:
                pairs.append((-1, target))
            case .prefix, .json, .file:
                switch self.stream(unit.id, stream) {
                case .success(let s):
                    s.processEnded = false
                    pairs.append((s.writeFD, target))
                case .failure(let failure):
                    return .failure(failure)
                }
            }
        }
        return .success(pairs)
    }

    /// The unit's stream, created (pipe, sink, epoll registration) on first use.
    private func stream(_ unit: UnitID, _ stream: LogStream) -> Result<ServiceStream, SpawnFailure> {
        let index = unit * 2 + stream.rawValue
        if let existing = streams[index] { return .success(existing) }
        let info = units[unit]
        let mode = stream == .stdout ? info.stdout : info.stderr
        let sink: LogSink
        let style: LogStyle
        switch mode {
        case .file(let path, let maxSize, let maxFiles):
            if let file = files[path] {
                sink = .file(file)
            } else {
                switch RotatingFile.open(path: path, maxSize: maxSize, maxFiles: maxFiles) {
                case .success(let file):
                    files[path] = file
                    sink = .file(file)
                case .failure(let error):
                    return .failure(SpawnFailure(step: stream.name, errno: error.errno, reason: error.description, notFound: false))
                }
            }
            style = .plain
        case .json:
            sink = .console(stream == .stdout ? stdoutWriter : stderrWriter)
            style = .json
        default:
            sink = .console(stream == .stdout ? stdoutWriter : stderrWriter)
            let coloured = stream == .stdout ? colourStdout : colourStderr
            style = .prefix(colour: coloured ? info.colour : nil)
        }
        var fds: [Int32] = [-1, -1]
        // Close-on-exec on both ends (the spawner's dup2 clears it on the child's copy).
        // pipe2 is not visible through Swift's Glibc module; pipe + fcntl is just as safe here
        // because PID 1 is single-threaded: no fork can happen between the two calls.
        // O_NONBLOCK on the read end only: the child's end stays blocking, as programs expect
        // of their stdout — that is what makes a slow consumer slow them down, not fail them.
        if pipe(&fds) != 0 {
            let code = errno
            return .failure(SpawnFailure(step: "pipe", errno: code, reason: "pipe for \(stream.name): \(SystemError.describe(code))", notFound: false))
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let formatter = LogFormatter(style: style, unitName: info.name, service: info.service, instance: info.instance,
                                     stream: stream, nameWidth: nameWidth, timestamps: settings.logTimestamps)
        let created = ServiceStream(unit: unit, stream: stream, token: Token(.output, UInt64(index)),
                                    readFD: fds[0], writeFD: fds[1], sink: sink, formatter: formatter)
        streams[index] = created
        if hasRoom(sink) { register(created) } else { created.paused = true }
        return .success(created)
    }

    /// The unit's process has been reaped: read what it left in its pipes now (so its last
    /// lines come before the supervisor's message about its exit), and flush a final partial
    /// line once the pipe is empty.
    public func processExited(_ unit: UnitID) {
        guard unit >= 0 && unit < units.count else { return }
        for stream in LogStream.allCases {
            guard let s = streams[unit * 2 + stream.rawValue] else { continue }
            s.processEnded = true
            drain(s, reads: 16)
        }
    }

    // MARK: The loop

    /// Handles readiness of a service pipe (`.output`) or of swinit's stdout/stderr (`.console`).
    public func handle(_ readiness: Readiness) {
        switch readiness.token.kind {
        case .output:
            let index = Int(readiness.token.id)
            guard index < streams.count, let s = streams[index] else { return }
            // One read per report; after its process ended, on to EAGAIN for the last partial line.
            drain(s, reads: s.processEnded ? 16 : 1)
        case .console:
            flushConsole(readiness.token.id == stdoutWriter.id ? stdoutWriter : stderrWriter)
        default:
            return
        }
    }

    /// Reads up to `reads` chunks from a stream and routes them; pauses it when its sink is full.
    private func drain(_ s: ServiceStream, reads: Int) {
        guard !s.paused else { return }
        let time = s.formatter.needsTime ? currentTime() : []
        for _ in 0..<reads {
            guard hasRoom(s.sink) else { pause(s); break }
            let n = scratch.withUnsafeMutableBytes { read(s.readFD, $0.baseAddress, $0.count) }
            if n > 0 {
                scratch.withUnsafeBytes { consume(s, UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: time) }
                if s.paused { break }
                // One read per report: a pipe holds 64 KiB, as much as one read takes, so a
                // second read would mostly say EAGAIN; epoll (level-triggered) reports again
                // if more is there. After the process ended: read to the end, for its final
                // partial line.
                if !s.processEnded { break }
                continue
            }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                if s.processEnded { finishLine(s, time: time) }
                break
            }
            // EOF (every write end closed, which our own keeps from happening) or an error.
            if n < 0 { report(SystemError(call: "read output of \(units[s.unit].name)", errno: code)) }
            finishLine(s, time: time)
            unregister(s)
            break
        }
        flushSink(s.sink)
    }

    /// Frames and routes `bytes`; what the sink cannot take now is kept for `resume`.
    ///
    /// This is the hot path (a line costs a few appends). The ring, the formatter and the
    /// console's buffer are moved into locals for the batch: per-line access to class
    /// properties would cost an exclusivity check and retain/release each.
    private func consume(_ s: ServiceStream, _ bytes: UnsafeRawBufferPointer, time: [UInt8]) {
        let formatter = s.formatter
        var ring = rings[s.unit]
        rings[s.unit] = LogRing()
        var errors: [SystemError] = []
        var run = LineRun(input: bytes)
        let used: Int
        switch s.sink {
        case .console(let writer):
            var out = writer.take()
            var full = writer.head + ConsoleWriter.highWater
            let loop = self.loop
            /// After an append: false when the writer is full and stays full after a write.
            func hasRoom() -> Bool {
                if out.count < full { return true }
                writer.give(&out)
                let room = writer.hasRoom(loop)
                out = writer.take()
                full = writer.head + ConsoleWriter.highWater
                return room
            }
            let head = formatter.lineHead(time: time)
            let base = bytes.baseAddress!
            var offset = 0
            var room = true
            while offset < bytes.count && room {
                let rest = UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset)
                // Whole lines in one go (prefix style, at a line start).
                if let head, s.framer.atLineStart {
                    let r = head.withUnsafeBytes { h in
                        rendered.withUnsafeMutableBytes { LineBlock.render(rest, head: h, maxLine: s.framer.maxLineLength, into: $0) }
                    }
                    if r.lines > 0 {
                        run.flush(into: &ring)
                        ring.append(block: UnsafeRawBufferPointer(start: rest.baseAddress, count: r.consumed), lines: r.lines)
                        rendered.withUnsafeBytes { all in
                            let block = UnsafeRawBufferPointer(rebasing: all[0..<r.written])
                            let sent = writer.writeDirectly(block, pendingBefore: out.count - writer.head)
                            if sent < block.count { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[sent...])) }
                        }
                        offset += r.consumed
                        room = hasRoom()
                        continue
                    }
                }
                // The framer renders JSON (all of it), and otherwise goes as far as the next
                // line start: it finishes a held partial line, cuts a line longer than its
                // maximum, holds an unterminated tail. Then the block path takes over again.
                var piece = rest
                if head != nil, let newline = memchr(rest.baseAddress!, 0x0A, rest.count) {
                    piece = UnsafeRawBufferPointer(start: rest.baseAddress, count: rest.baseAddress!.distance(to: newline) + 1)
                }
                let taken = s.framer.feed(piece) { fragment in
                    run.record(fragment, into: &ring)
                    formatter.append(fragment, time: time, to: &out)
                    room = hasRoom()
                    return room
                }
                offset += taken
                if taken < piece.count { room = false }
            }
            used = offset
            writer.give(&out)
        case .file(let file):
            used = s.framer.feed(bytes) { fragment in
                run.record(fragment, into: &ring)
                let mark = file.buffer.count
                formatter.append(fragment, time: time, to: &file.buffer)
                if let error = file.appended(from: mark, lineStart: !fragment.continuation) { errors.append(error) }
                return true
            }
        }
        run.flush(into: &ring)
        rings[s.unit] = ring
        for error in errors { report(error) }
        if used < bytes.count {
            s.carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
            pause(s)
        }
    }

    /// Routes one fragment: ring, then sink. False when the sink is full.
    private func deliver(_ s: ServiceStream, _ fragment: LineFragment, time: [UInt8]) -> Bool {
        rings[s.unit].append(fragment.bytes)
        switch s.sink {
        case .console(let writer):
            s.formatter.append(fragment, time: time, to: &writer.buffer)
            return writer.hasRoom(loop)
        case .file(let file):
            let mark = file.buffer.count
            s.formatter.append(fragment, time: time, to: &file.buffer)
            if let error = file.appended(from: mark, lineStart: !fragment.continuation) { report(error) }
            return true
        }
    }

    /// The held partial line, as a line of its own.
    private func finishLine(_ s: ServiceStream, time: [UInt8]) {
        s.processEnded = false
        let time = s.formatter.needsTime && time.isEmpty ? currentTime() : time
        s.framer.finish { fragment in _ = deliver(s, fragment, time: time) }
    }

    /// Writes what `writer` holds, and resumes the streams paused on it once it is below the
    /// low-water mark. Every flush of a console goes through here: a flush that empties the
    /// writer also ends its EPOLLOUT wait, so it must resume the paused streams itself, or
    /// nothing would ever wake them.
    private func flushConsole(_ writer: ConsoleWriter) {
        if let error = writer.flush(loop) { report(error) }
        // A message logged while resuming (re-entry) leaves the resuming to the outer call.
        guard !resuming else { return }
        resuming = true
        defer { resuming = false }
        while writer.pending < ConsoleWriter.lowWater && hasPausedStreams(writer) {
            // Each round frames held input or re-registers a stream: it ends.
            guard resume(writer) else { break }
            if let error = writer.flush(loop) { report(error) }
        }
    }

    private func hasPausedStreams(_ writer: ConsoleWriter) -> Bool {
        streams.contains { s in
            guard let s, s.paused, case .console(let w) = s.sink else { return false }
            return w === writer
        }
    }

    /// Resumes the streams paused on `writer`, in turns, while it has room. False when none
    /// could be resumed.
    private func resume(_ writer: ConsoleWriter) -> Bool {
        let count = streams.count
        var resumed = false
        for step in 0..<count {
            let index = (resumeCursor + step) % count
            guard let s = streams[index], s.paused, case .console(let w) = s.sink, w === writer else { continue }
            guard writer.hasRoom(loop) else { resumeCursor = index; return resumed }
            resumed = true
            s.paused = false
            if !s.carry.isEmpty {
                let held = s.carry
                s.carry = []
                held.withUnsafeBytes { consume(s, $0, time: s.formatter.needsTime ? currentTime() : []) }
            }
            if !s.paused {
                register(s)
                if s.processEnded { drain(s, reads: 16) }
            }
        }
        if count > 0 { resumeCursor = (resumeCursor + 1) % count }
        return resumed
    }

    private func hasRoom(_ sink: LogSink) -> Bool {
        switch sink {
        case .console(let writer): return writer.hasRoom(loop)
        case .file: return true
        }
    }

    private func flushSink(_ sink: LogSink) {
        switch sink {
        case .console(let writer): flushConsole(writer)
        case .file(let file): if let error = file.flush() { report(error) }
        }
    }

    private func pause(_ s: ServiceStream) {
        s.paused = true
        unregister(s)
    }

    private func register(_ s: ServiceStream) {
        guard !s.registered else { return }
        do {
            try loop.add(s.readFD, .read, s.token)
            s.registered = true
        } catch {
            report(error)
        }
    }

    private func unregister(_ s: ServiceStream) {
        guard s.registered else { return }
        loop.remove(s.readFD)
        s.registered = false
    }

    /// The wall-clock time as RFC 3339 bytes, rendered at most once per millisecond.
    private func currentTime() -> [UInt8] {
        let now = wallClockNow()
        let millisecond = now.seconds * 1000 + Int64(now.nanoseconds / 1_000_000)
        if millisecond != timeMillisecond {
            timeMillisecond = millisecond
            timeBytes = LogFormatter.renderTime(unixSeconds: now.seconds, nanoseconds: now.nanoseconds)
        }
        return timeBytes
    }

    // MARK: swinit's own messages

    /// Writes one of swinit's own messages to its stderr: `swinit | …`, or a JSON object with
    /// service "swinit" when stderr is json. Never blocks; dropped (and counted) when the
    /// consumer has not read the last MiB.
    public func log(_ level: LogLevel, _ message: String) {
        let writer = stderrWriter
        if writer.broken { return }
        if writer.pending > ConsoleWriter.messageLimit {
            droppedMessages += 1
            return
        }
        let time = ownFormatter.needsTime ? currentTime() : []
        if droppedMessages > 0 {
            ownFormatter.appendMessage("\(droppedMessages) messages dropped while the output was blocked", level: "warning", time: time, to: &writer.buffer)
            droppedMessages = 0
        }
        let tag: String?
        switch level {
        case .error: tag = "error"
        case .warning: tag = "warning"
        default: tag = nil
        }
        ownFormatter.appendMessage(message, level: tag, time: time, to: &writer.buffer)
        flushConsole(writer)
    }

    /// An error inside the loop: logged, never fatal.
    private func report(_ error: SystemError) {
        log(.error, error.description)
    }

    // MARK: Recent output

    /// The last `count` lines a unit wrote (both streams, oldest first), for `initctl logs`
    /// and failure reports. Fragments of a cut line count as lines.
    public func recentLines(unit name: String, count: Int) -> [String] {
        guard let id = units.firstIndex(where: { $0.name == name }) else { return [] }
        return recentLines(unit: id, count: count)
    }

    /// The same by unit id.
    public func recentLines(unit id: UnitID, count: Int) -> [String] {
        guard id >= 0 && id < rings.count else { return [] }
        return rings[id].lastLines(count).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Lines ever added to the unit's ring: the cursor for `initctl logs -f`.
    public func appendedLines(unit id: UnitID) -> UInt64 {
        id >= 0 && id < rings.count ? rings[id].appendedLines : 0
    }

    /// Whether swinit sees the unit's output (anything but `inherit` on both streams).
    public func keepsOutput(of id: UnitID) -> Bool {
        id >= 0 && id < units.count && (units[id].stdout != .inherit || units[id].stderr != .inherit)
    }

    /// The tail of the unit's recent output (both streams), at most `limit` bytes: for failure events.
    public func recentBytes(unit id: UnitID, limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        for line in recentLines(unit: id, count: 64).reversed() {
            let bytes = Array(line.utf8) + [0x0A]
            if out.count + bytes.count > limit { break }
            out = bytes + out
        }
        return out
    }

    /// Lines the unit has written since its ring said `appendedLines == seen`, with the new
    /// count: for `initctl logs -f`, which asks again after each `.output` wake-up.
    public func lines(unit id: UnitID, after seen: UInt64) -> (lines: [String], appended: UInt64) {
        guard id >= 0 && id < rings.count else { return ([], seen) }
        let ring = rings[id]
        return (ring.lines(after: seen).map { String(decoding: $0, as: UTF8.self) }, ring.appendedLines)
    }

    // MARK: Exit

    /// Before swinit exits: routes what the pipes still hold, flushes partial lines, and
    /// writes pending output until done or `deadline` (waiting with poll: the loop is over).
    public func flush(until deadline: InitCore.Instant) {
        for case let s? in streams {
            s.processEnded = true
            while monotonicNow() < deadline {
                if s.paused {
                    if case .console(let writer) = s.sink { writer.writeOut(until: deadline, loop) }
                    if !hasRoom(s.sink) { break }
                    s.paused = false
                    if !s.carry.isEmpty {
                        let held = s.carry
                        s.carry = []
                        held.withUnsafeBytes { consume(s, $0, time: s.formatter.needsTime ? currentTime() : []) }
                    }
                    continue
                }
                let n = scratch.withUnsafeMutableBytes { read(s.readFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    scratch.withUnsafeBytes { consume(s, UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: s.formatter.needsTime ? currentTime() : []) }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                break
            }
            if !s.paused && s.carry.isEmpty { finishLine(s, time: []) }
        }
        for file in files.values { if let error = file.flush() { report(error) } }
        stdoutWriter.writeOut(until: deadline, loop)
        stderrWriter.writeOut(until: deadline, loop)
    }
}
