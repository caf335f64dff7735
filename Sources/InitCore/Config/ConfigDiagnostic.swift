/// A problem in a config file, with where it is: "swinit.toml:12:11: services.web.restart: …".
public struct ConfigDiagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Severity: Sendable, Equatable { case error, warning }

    public var file: String
    public var position: SourcePosition?
    /// The key path, like "services.web.restart"; empty for syntax errors.
    public var keyPath: String
    public var message: String
    public var severity: Severity

    public init(file: String, position: SourcePosition?, keyPath: String, message: String, severity: Severity = .error) {
        self.file = file
        self.position = position
        self.keyPath = keyPath
        self.message = message
        self.severity = severity
    }

    public var description: String {
        var out = file
        if let position { out += ":\(position.line):\(position.column)" }
        out += ": "
        if severity == .warning { out += "warning: " }
        if !keyPath.isEmpty { out += keyPath + ": " }
        return out + message
    }
}

/// A loaded configuration and what was wrong with it. `configuration` is only meaningful
/// when `errors` is empty.
public struct LoadedConfiguration: Sendable {
    public var configuration: Configuration
    public var diagnostics: [ConfigDiagnostic]
    /// Where each key was written ("services.web.user" → 14:8), for later checks.
    public var positions: [String: SourcePosition]

    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .warning } }
}
