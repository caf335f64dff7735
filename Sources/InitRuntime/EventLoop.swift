import CSystem
import Glibc

/// Who an epoll registration belongs to: a kind and an id within it, packed in epoll's u64.
public struct Token: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case signals = 1
        /// A service's stdout or stderr pipe; id from the output router.
        case output = 2
        /// swinit's own stdout/stderr when it is waiting to drain.
        case console = 3
        /// The control request FIFO.
        case controlRequests = 4
        /// A reply FIFO being written; id from the control channel.
        case controlReply = 5
        /// A readiness or health probe (socket or notify socket); id from the prober.
        case probe = 6
    }

    public var kind: Kind
    public var id: UInt64

    public init(_ kind: Kind, _ id: UInt64 = 0) {
        self.kind = kind
        self.id = id
    }

    var packed: UInt64 { UInt64(kind.rawValue) << 56 | (id & 0x00ff_ffff_ffff_ffff) }

    init?(packed: UInt64) {
        guard let kind = Kind(rawValue: UInt8(packed >> 56)) else { return nil }
        self.init(kind, packed & 0x00ff_ffff_ffff_ffff)
    }
}

/// What a registration waits for.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let read = Interest(rawValue: cs_epollin())
    public static let write = Interest(rawValue: cs_epollout())
}

/// A readiness report: hang-up and error are reported whatever the interest.
public struct Readiness: Sendable {
    public var token: Token
    public var bits: UInt32
    public var readable: Bool { bits & cs_epollin() != 0 }
    public var writable: Bool { bits & cs_epollout() != 0 }
    public var hangup: Bool { bits & (cs_epollhup() | cs_epollerr()) != 0 }
}

/// One epoll instance. Single-threaded; every descriptor is registered by its owner.
public final class EventLoop {
    private let epfd: Int32
    private var tokens = [UInt64](repeating: 0, count: 64)
    private var bits = [UInt32](repeating: 0, count: 64)

    public init() throws(SystemError) {
        epfd = try systemCall("epoll_create1") { cs_epoll_create() }
    }

    deinit { close(epfd) }

    public func add(_ fd: Int32, _ interest: Interest, _ token: Token) throws(SystemError) {
        _ = try systemCall("epoll_ctl(ADD)") { cs_epoll_add(epfd, fd, interest.rawValue, token.packed) }
    }

    public func modify(_ fd: Int32, _ interest: Interest, _ token: Token) throws(SystemError) {
        _ = try systemCall("epoll_ctl(MOD)") { cs_epoll_modify(epfd, fd, interest.rawValue, token.packed) }
    }

    /// Forgets `fd`; closing it would too, but only once every duplicate is closed.
    public func remove(_ fd: Int32) {
        _ = cs_epoll_remove(epfd, fd)
    }

    /// Waits up to `timeoutMilliseconds` (-1: until something happens). EINTR yields [].
    public func wait(timeoutMilliseconds: Int32) throws(SystemError) -> [Readiness] {
        let n = cs_epoll_wait(epfd, &tokens, &bits, Int32(tokens.count), timeoutMilliseconds)
        if n < 0 {
            let code = errno
            if code == EINTR { return [] }
            throw SystemError(call: "epoll_wait", errno: code)
        }
        var out: [Readiness] = []
        out.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            if let token = Token(packed: tokens[i]) { out.append(Readiness(token: token, bits: bits[i])) }
        }
        return out
    }
}
