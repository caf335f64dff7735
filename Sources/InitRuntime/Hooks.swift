import CSystem
import Glibc
import InitCore

/// The runtime half of readiness, health and hooks: it performs `LifecycleAction`s and turns
/// kernel readiness on its descriptors into `Event`s. It owns the probe sockets, the sd_notify
/// sockets and the notification pipes; helper processes (exec probes, hooks) are spawned here
/// and reaped by the one reaper in `Runtime`, which reports their exits to the core.
public final class LifecycleRuntime {
    private let loop: EventLoop
    private let console: Console
    private let ownPid: Int32
    /// The last bytes a unit wrote to stderr, for event records. The output ring fills this in;
    /// until then it returns nothing.
    public var recentStderr: (UnitID) -> [UInt8] = { _ in [] }

    /// A directory of our own for the notify sockets (0711: reachable, not listable), made on first use.
    private var notifyDirectory: String? = nil
    private var notifySockets: [UnitID: (fd: Int32, path: String)] = [:]
    /// Read ends of `ready = { fd = N }` pipes.
    private var readyPipes: [UnitID: Int32] = [:]
    /// Descriptors that belong to a child being spawned: closed in the parent afterwards.
    private var childEnds: [Int32] = []
    private var socketProbes: [UInt64: SocketProbe] = [:]
    private var nextProbeKey: UInt64 = 1

    /// What a `.probe` token's id names (in its top bits).
    private enum Channel: UInt64 {
        case notify = 1, readyPipe = 2, socketProbe = 3
    }

    public init(loop: EventLoop, console: Console, ownPid: Int32) {
        self.loop = loop
        self.console = console
        self.ownPid = ownPid
    }

    private func token(_ channel: Channel, _ value: UInt64) -> Token {
        Token(.probe, channel.rawValue << 40 | value)
    }

    // MARK: Spawning the service

    /// Adds what the service's readiness needs to its spawn request: `NOTIFY_SOCKET` (and
    /// `WATCHDOG_USEC`), or the write end of the notification pipe as descriptor N.
    public func prepare(_ request: inout SpawnRequest, for unit: Unit) {
        let life = unit.config.lifecycle
        if life.usesNotifySocket, let path = notifySocket(for: unit) {
            request.setVariable("NOTIFY_SOCKET", path)
            if let watchdog = life.watchdog { request.setVariable("WATCHDOG_USEC", String(watchdog.nanoseconds / 1000)) }
        }
        if case .descriptor(let target)? = life.ready?.check {
            closeReadyPipe(unit.id)
            var ends: [Int32] = [0, 0]
            guard cs_pipe2(&ends, O_CLOEXEC) == 0 else {
                console.log(.error, SystemError(call: "pipe2", errno: errno).description + " (\(unit.name) ready fd)")
                return
            }
            // Only our end is non-blocking: the flag is per open file, and the service's end
            // should behave as a plain pipe.
            _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
            do throws(SystemError) {
                try loop.add(ends[0], .read, token(.readyPipe, UInt64(unit.id)))
            } catch {
                console.log(.error, error.description)
                close(ends[0]); close(ends[1])
                return
            }
            readyPipes[unit.id] = ends[0]
            request.descriptors.append((ends[1], target))
            childEnds.append(ends[1])
        }
    }

    /// After a spawn (successful or not): the child's ends are not ours to keep.
    public func spawnFinished() {
        for fd in childEnds { close(fd) }
        childEnds.removeAll()
    }


    private func notifySocket(for unit: Unit) -> String? {
        if let existing = notifySockets[unit.id] { return existing.path }
        if notifyDirectory == nil {
            let base = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
            var template = Array((base + "/swinit-notify.XXXXXX").utf8CString)
            guard mkdtemp(&template) != nil else {
                console.log(.error, SystemError(call: "mkdtemp \(base)", errno: errno).description + "; no NOTIFY_SOCKET for \(unit.name)")
                return nil
            }
            notifyDirectory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // Services may run as other users: they must reach their socket (search, no listing).
            _ = chmod(notifyDirectory!, 0o711)
        }
        let path = notifyDirectory! + "/" + unit.name
        let fd = cs_notify_socket(path)
        if fd < 0 {
            console.log(.error, SystemError(call: "notify socket \(path)", errno: errno).description)
            return nil
        }
        // Writable for a service running as another user. Safe: every datagram carries the
        // sender's pid from the kernel (SO_PASSCRED), and only the unit's own processes count.
        _ = chmod(path, 0o666)
        do throws(SystemError) {
            try loop.add(fd, .read, token(.notify, UInt64(unit.id)))
        } catch {
            console.log(.error, error.description)
            close(fd)
            return nil
        }
        notifySockets[unit.id] = (fd, path)
        return path
    }

    private func closeReadyPipe(_ id: UnitID) {
        if let fd = readyPipes.removeValue(forKey: id) {
            loop.remove(fd)
            close(fd)
        }
    }

    /// Frees a retired unit's notify socket and readiness pipe.
    public func release(unit id: UnitID) {
        if let socket = notifySockets.removeValue(forKey: id) {
            loop.remove(socket.fd)
            close(socket.fd)
            _ = unlink(socket.path)
        }
        closeReadyPipe(id)
    }

    /// Removes the notify sockets and their directory (on the way out).
    public func cleanUp() {
        for (_, socket) in notifySockets {
            close(socket.fd)
            _ = unlink(socket.path)
        }
        notifySockets.removeAll()
        if let notifyDirectory { _ = rmdir(notifyDirectory) }
    }

    // MARK: Actions

    /// Performs one action; returns the events to report (some come later, from `handle`).
    /// `request` builds the unit's own spawn request (user, environment, workdir).
    public func perform(_ action: LifecycleAction, for unit: Unit,
                        request: (Unit) -> Result<SpawnRequest, SpawnFailure>) -> [Event] {
        let id = unit.id
        switch action {
        case .probe(let serial, let check, _):
            switch check {
            case .exec(let argv):
                let result = spawnHelper(unit, argv, event: nil, input: nil, quiet: true, request: request)
                return [.lifecycle(id, .helperStarted(serial: serial, result))]
            case .tcp(let host, let port):
                return startSocketProbe(id, serial: serial, host: host, port: port, http: nil)
            case .http(let target):
                return startSocketProbe(id, serial: serial, host: target.host, port: target.port, http: target)
            case .file(let path):
                return [.lifecycle(id, .probed(serial: serial, FileProbe.exists(path)))]
            case .fileAge(let path, let maxAge):
                return [.lifecycle(id, .probed(serial: serial, FileProbe.fresh(path, maxAge: maxAge)))]
            case .notify, .descriptor:
                return []
            }
        case .cancelProbe(let serial):
            if let key = socketProbes.first(where: { $0.value.unit == id && $0.value.serial == serial })?.key {
                finishSocketProbe(key)
            }
            return []
        case .runHook(let serial, let event, let argv, let record):
            var input: [UInt8]? = nil
            if let record {
                let now = wallClockNow()
                input = Array(record.json(unixSeconds: now.seconds, stderr: recentStderr(id)).utf8)
            }
            let result = spawnHelper(unit, argv, event: event, input: input, quiet: false, request: request)
            if case .failure(let failure) = result {
                console.log(.warning, "\(unit.name): cannot run \(event.key) command '\(argv.first ?? "")': \(failure.reason)")
            }
            return [.lifecycle(id, .helperStarted(serial: serial, result))]
        case .readPidFile(let serial, let path):
            return [.lifecycle(id, .pidFile(serial: serial, readPidFile(path)))]
        }
    }

    /// Starts a probe or hook process as the service would run (user, environment, workdir),
    /// in its own process group so a timeout kills all of it. `input` is written to its stdin
    /// through a pipe that holds it whole (a JSON record is far below the 64 KiB pipe buffer),
    /// so nothing here waits for the helper to read.
    private func spawnHelper(_ unit: Unit, _ argv: [String], event: HookEvent?, input: [UInt8]?, quiet: Bool,
                             request makeRequest: (Unit) -> Result<SpawnRequest, SpawnFailure>) -> Result<Int32, SpawnFailure> {
        var request: SpawnRequest
        switch makeRequest(unit) {
        case .success(let made): request = made
        case .failure(let failure): return .failure(failure)
        }
        request.argv = argv
        if let event { request.setVariable("SWINIT_EVENT", event.rawValue) }
        request.setVariable("SWINIT_SERVICE", unit.name)
        request.newSession = false
        request.processGroup = true
        request.foregroundTerminal = nil
        request.rewriteListenPid = false
        request.descriptors = [(-1, 0)]
        if quiet { request.descriptors.append((-1, 1)) }
        var stdinEnd: Int32 = -1
        if let input {
            var ends: [Int32] = [0, 0]
            if cs_pipe2(&ends, O_CLOEXEC | O_NONBLOCK) == 0 {
                let written = input.withUnsafeBytes { writeAll(ends[1], $0) }
                if !written { console.log(.warning, "\(unit.name): event record truncated for \(event?.key ?? "hook")") }
                close(ends[1])
                stdinEnd = ends[0]
                request.descriptors[0] = (stdinEnd, 0)
            } else {
                console.log(.error, SystemError(call: "pipe2", errno: errno).description)
            }
        }
        defer { if stdinEnd >= 0 { close(stdinEnd) } }
        return Spawner.spawn(request)
    }

    private func startSocketProbe(_ id: UnitID, serial: Int, host: String, port: UInt16, http: HTTPTarget?) -> [Event] {
        switch SocketProbe.start(unit: id, serial: serial, host: host, port: port, http: http) {
        case .failure(let failure):
            return [.lifecycle(id, .probed(serial: serial, .failed(failure.message)))]
        case .success(let probe):
            let key = nextProbeKey
            nextProbeKey += 1
            do throws(SystemError) {
                try loop.add(probe.fd, probe.interest, token(.socketProbe, key))
            } catch {
                close(probe.fd)
                return [.lifecycle(id, .probed(serial: serial, .failed(error.description)))]
            }
            socketProbes[key] = probe
            return []
        }
    }

    private func finishSocketProbe(_ key: UInt64) {
        guard let probe = socketProbes.removeValue(forKey: key) else { return }
        loop.remove(probe.fd)
        close(probe.fd)
    }

    /// Reads a daemon's pid file: a live process whose parent is swinit (it was adopted).
    private func readPidFile(_ path: String) -> PidFileOutcome {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: 64)
        } catch {
            return .failed(error.description)
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters
        guard let pid = Int32(text), pid > 1 else { return .failed("\(path) holds no pid") }
        guard let fields = ProcessTable.statFields(of: pid), fields.count > 1, fields[0] != "Z" else {
            return .failed("pid \(pid) from \(path) is not running")
        }
        guard let parent = Int32(fields[1]), parent == ownPid else {
            return .failed("pid \(pid) from \(path) is not a child of swinit (its parent is \(fields[1]))")
        }
        return .found(pid)
    }

    // MARK: Readiness from epoll

    /// Turns readiness on one of our descriptors into events.
    public func handle(_ ready: Readiness) -> [Event] {
        let value = ready.token.id & 0xff_ffff_ffff
        guard let channel = Channel(rawValue: ready.token.id >> 40) else { return [] }
        switch channel {
        case .notify:
            return receiveNotifications(UnitID(value))
        case .readyPipe:
            return readReadyPipe(UnitID(value))
        case .socketProbe:
            guard var probe = socketProbes[value] else { return [] }
            let outcome = probe.step(ready)
            if let outcome {
                finishSocketProbe(value)
                return [.lifecycle(probe.unit, .probed(serial: probe.serial, outcome))]
            }
            socketProbes[value] = probe
            do throws(SystemError) { try loop.modify(probe.fd, probe.interest, token(.socketProbe, value)) } catch { console.log(.error, error.description) }
            return []
        }
    }

    private func receiveNotifications(_ id: UnitID) -> [Event] {
        guard let socket = notifySockets[id] else { return [] }
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Bounded: a service flooding its socket cannot keep the loop here.
        for _ in 0..<64 {
            var sender: Int32 = 0
            let n = buffer.withUnsafeMutableBufferPointer { cs_notify_receive(socket.fd, $0.baseAddress, $0.count, &sender) }
            if n < 0 {
                let code = errno
                if code != EAGAIN { console.log(.warning, SystemError(call: "recvmsg notify socket", errno: code).description) }
                break
            }
            guard sender > 0 else {
                console.log(.warning, "notification without sender credentials ignored")
                continue
            }
            let pgid = getpgid(sender)
            let chain = lineage(of: sender)
            let message = NotifyMessage(sender: sender, lineage: chain, processGroup: pgid > 0 ? pgid : nil,
                                        text: String(decoding: buffer[0..<n], as: UTF8.self),
                                        senderIsChild: chain.count > 1 && chain[1] == ownPid)
            events.append(.lifecycle(id, .notified(message)))
        }
        return events
    }

    /// The process and its ancestors, nearest first (bounded: /proc can change under us).
    private func lineage(of pid: Int32) -> [Int32] {
        var chain = [pid]
        var current = pid
        for _ in 0..<64 {
            guard let parent = ProcessTable.parentPid(of: current), parent > 0, !chain.contains(parent) else { break }
            chain.append(parent)
            current = parent
        }
        return chain
    }

    private func readReadyPipe(_ id: UnitID) -> [Event] {
        guard let fd = readyPipes[id] else { return [] }
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if buffer[0..<n].contains(UInt8(ascii: "\n")) {
                    // s6: one newline means ready; the pipe has done its job.
                    closeReadyPipe(id)
                    return [.lifecycle(id, .notified(NotifyMessage(sender: nil, text: "READY=1")))]
                }
                continue
            }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && code == EAGAIN { return [] }
            closeReadyPipe(id)
            return []
        }
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    var trimmingCharacters: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s.removeLast() }
        return String(s)
    }
}
