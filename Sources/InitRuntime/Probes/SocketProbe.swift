import CSystem
import Glibc
import InitCore

/// One TCP or HTTP check in flight on a non-blocking socket registered in epoll. Each step
/// runs when epoll says the socket is ready; none blocks.
struct SocketProbe {
    enum Phase { case connecting, sending, receiving }

    let unit: UnitID
    let serial: Int
    let fd: Int32
    /// nil for a plain TCP check.
    let http: HTTPTarget?
    var phase: Phase = .connecting
    var request: [UInt8] = []
    var response: [UInt8] = []

    /// What epoll should wait for in the current phase.
    var interest: Interest { phase == .receiving ? .read : .write }

    /// Opens the socket and starts connecting; a result at once when the connect finished or
    /// failed immediately (ECONNREFUSED on loopback usually does).
    static func start(unit: UnitID, serial: Int, host: String, port: UInt16, http: HTTPTarget?) -> Result<SocketProbe, ProbeFailure> {
        var connected: Int32 = 0
        let fd = cs_tcp_connect(host, port, &connected)
        if fd < 0 {
            let code = errno
            return .failure(ProbeFailure(message: "connect \(host):\(port): \(SystemError.describe(code))"))
        }
        var probe = SocketProbe(unit: unit, serial: serial, fd: fd, http: http)
        if let http {
            let text = "GET \(http.path) HTTP/1.0\r\nHost: \(http.host):\(http.port)\r\nUser-Agent: swinit\r\nConnection: close\r\n\r\n"
            probe.request = Array(text.utf8)
        }
        if connected != 0 { probe.phase = http == nil ? Phase.connecting : Phase.sending }
        return .success(probe)
    }

    /// Advances on readiness. Returns the outcome once known, nil to keep waiting.
    mutating func step(_ ready: Readiness) -> ProbeOutcome? {
        switch phase {
        case .connecting:
            let error = cs_socket_error(fd)
            if error != 0 { return .failed("connect \(target): \(SystemError.describe(error))") }
            if !ready.writable && !ready.hangup { return nil }
            guard http != nil else { return .passed }
            phase = .sending
            return send()
        case .sending:
            return send()
        case .receiving:
            return receive()
        }
    }

    var target: String {
        if let http { return http.url }
        return "tcp"
    }

    private mutating func send() -> ProbeOutcome? {
        while !request.isEmpty {
            let n = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { request.removeFirst(n); continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && code == EAGAIN { return nil }
            return .failed("send to \(target): \(SystemError.describe(code))")
        }
        phase = .receiving
        return receive()
    }

    private mutating func receive() -> ProbeOutcome? {
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                response += chunk[0..<n]
                if let outcome = statusOutcome() { return outcome }
                if response.count > 8192 { return .failed("\(target): no HTTP status line") }
                continue
            }
            let code = errno
            if n == 0 { return statusOutcome(final: true) }
            if code == EINTR { continue }
            if code == EAGAIN { return nil }
            return .failed("read from \(target): \(SystemError.describe(code))")
        }
    }

    /// The status line, once complete: 2xx and 3xx pass.
    private func statusOutcome(final: Bool = false) -> ProbeOutcome? {
        guard let end = response.firstIndex(of: UInt8(ascii: "\n")) else {
            return final ? .failed("\(target): connection closed without a response") : nil
        }
        let line = String(decoding: response[..<end], as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failed("\(target): not an HTTP response")
        }
        return (200..<400).contains(code) ? .passed : .failed("\(target) answered HTTP \(code)")
    }
}

/// Why a probe could not even start.
struct ProbeFailure: Error { var message: String }
