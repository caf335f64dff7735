/// Users and groups from /etc/passwd and /etc/group text (glibc's NSS does not work in a
/// static binary, so swinit reads the files itself).
public struct Accounts: Sendable {
    public struct User: Sendable, Equatable { public var name: String; public var uid: UInt32; public var gid: UInt32; public var home: String }
    public struct Group: Sendable, Equatable { public var name: String; public var gid: UInt32; public var members: [String] }

    public var users: [User] = []
    public var groups: [Group] = []

    public init(passwd: String, group: String) {
        for line in passwd.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { continue }
            users.append(User(name: String(f[0]), uid: uid, gid: gid, home: String(f[5])))
        }
        for line in group.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let gid = UInt32(f[2]) else { continue }
            groups.append(Group(name: String(f[0]), gid: gid, members: f[3].split(separator: ",").map(String.init)))
        }
    }

    /// The identity a service runs as: its `user` (a name or a uid) and optional `group`.
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]
        public var name: String?
        public var home: String?
    }

    public enum LookupError: Error, Equatable, Sendable, CustomStringConvertible {
        case noUser(String), noGroup(String)
        public var description: String {
            switch self {
            case .noUser(let name): return "no user '\(name)' in /etc/passwd"
            case .noGroup(let name): return "no group '\(name)' in /etc/group"
            }
        }
    }

    /// Resolves `user`/`group` as setgroups, setgid, setuid will need them. A numeric user that
    /// is not in /etc/passwd is allowed (as Docker's `USER 1000` is), with its gid = uid unless given.
    public func identity(user: String?, group: String?) -> Result<Identity, LookupError> {
        var identity = Identity(uid: 0, gid: 0, groups: [], name: nil, home: nil)
        if let user {
            if let found = users.first(where: { $0.name == user }) ?? UInt32(user).flatMap({ uid in users.first { $0.uid == uid } }) {
                identity = Identity(uid: found.uid, gid: found.gid, groups: [], name: found.name, home: found.home)
            } else if let uid = UInt32(user) {
                identity = Identity(uid: uid, gid: uid, groups: [], name: nil, home: nil)
            } else {
                return .failure(.noUser(user))
            }
        }
        if let group {
            if let found = groups.first(where: { $0.name == group }) { identity.gid = found.gid } else if let gid = UInt32(group) { identity.gid = gid } else {
                return .failure(.noGroup(group))
            }
        }
        var supplementary = [identity.gid]
        if let name = identity.name {
            for g in groups where g.members.contains(name) && !supplementary.contains(g.gid) { supplementary.append(g.gid) }
        }
        identity.groups = supplementary
        return .success(identity)
    }
}

/// `KEY=value` lines of an env-file (`#` comments, optional `export `, optional quotes).
public enum EnvFile {
    public static func parse(_ text: String) -> Result<[(String, String)], CommandSyntaxError> {
        var out: [(String, String)] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = String(raw).trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingSpaces }
            guard let eq = line.firstIndex(of: "=") else { return .failure(CommandSyntaxError(message: "line \(number): expected NAME=value")) }
            let name = String(line[..<eq]).trimmingSpaces
            guard Expansion.isName(name) else { return .failure(CommandSyntaxError(message: "line \(number): '\(name)' is not a variable name")) }
            var value = String(line[line.index(after: eq)...]).trimmingSpaces
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
            }
            out.append((name, value))
        }
        return .success(out)
    }
}
