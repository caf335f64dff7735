import Glibc
import InitCore

/// The machine as `ConfigCheck` and the spawner see it: /etc/passwd, /etc/group, access(2).
public struct SystemFiles: SystemLookup {
    public let accounts: Accounts

    public init(environment: [String: String] = [:]) {
        self.environment = environment
        let passwd = (try? readFile("/etc/passwd")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let group = (try? readFile("/etc/group")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        accounts = Accounts(passwd: passwd, group: group)
    }

    public var isRoot: Bool { geteuid() == 0 }

    public func findsExecutable(_ program: String, searchPath: String) -> Bool {
        if case .success = Spawner.resolve(program, environment: [Array(("PATH=" + searchPath).utf8)]) {
            var st = stat()
            return program.contains("/") ? stat(program, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(program, X_OK) == 0 : true
        }
        return false
    }

    public func isSearchableDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && access(path, X_OK) == 0
    }

    public func isReadableFile(_ path: String) -> Bool { access(path, R_OK) == 0 }

    public func isWritableDirectory(_ path: String) -> Bool { isSearchableDirectory(path) && access(path, W_OK) == 0 }

    public func timeZone(_ name: String) -> TimeZoneRules? {
        try? TimeZones.load(name, environment: environment).get()
    }

    /// For ZONEINFO.
    var environment: [String: String] = [:]
}
