import InitCore

/// Time zone rules from TZif files: $ZONEINFO or /usr/share/zoneinfo, as glibc finds them.
public enum TimeZones {
    /// The rules named `name` ("Europe/Berlin", "UTC"), or why not.
    public static func load(_ name: String, environment: [String: String]) -> Result<TimeZoneRules, SystemError> {
        var name = name
        if name.hasPrefix(":") { name.removeFirst() }
        if name.isEmpty || name.hasPrefix("/") && !name.hasPrefix("/usr/share/zoneinfo/") || name.split(separator: "/").contains("..") {
            return .failure(SystemError(call: "time zone '\(name)'", errno: 22))
        }
        let path = name.hasPrefix("/") ? name : (environment["ZONEINFO"] ?? "/usr/share/zoneinfo") + "/" + name
        do {
            let bytes = try readFile(path, limit: 1 << 20)
            return .success(try TimeZoneRules(tzif: bytes, name: name))
        } catch let error as SystemError {
            if name == "UTC" || name == "Etc/UTC" || name == "GMT" { return .success(.utc) }
            return .failure(error)
        } catch {
            return .failure(SystemError(call: "parse \(path)", errno: 22))
        }
    }

    /// The default zone: TZ (a zone name or a POSIX rule like "PST8PDT,M3.2.0,M11.1.0"), else UTC.
    public static func defaultZone(environment: [String: String]) -> TimeZoneRules {
        guard let tz = environment["TZ"], !tz.isEmpty else { return .utc }
        if case .success(let rules) = load(tz, environment: environment) { return rules }
        return (try? TimeZoneRules(posixTZ: tz)) ?? .utc
    }

    /// Fills `configuration.zones` with every zone it names, plus the default under "".
    public static func resolve(_ configuration: inout Configuration, environment: [String: String]) -> [String] {
        var problems: [String] = []
        // Only tasks and windows need time zones: a plain start reads no zoneinfo file.
        guard configuration.services.contains(where: { $0.task != nil || $0.window != nil }) else { return [] }
        configuration.zones[""] = defaultZone(environment: environment)
        for name in configuration.zoneNames {
            switch load(name, environment: environment) {
            case .success(let rules): configuration.zones[name] = rules
            case .failure(let error): problems.append("unknown time zone '\(name)': \(error.description)")
            }
        }
        return problems
    }
}
