import Glibc
import InitCore

/// Finds and loads the configuration named by the options: `--config`, `SWINIT_CONFIG`,
/// `--procfile`, or the default path when it exists; plus the `--` program as the main service.
enum ConfigSource {
    struct Loaded {
        var configuration: Configuration
        var file: String?
        var loaded: LoadedConfiguration?
    }

    /// The configuration, or every message saying why it cannot be used.
    static func load(_ options: LaunchOptions, environment: [String: String]) -> Result<Loaded, ConfigProblems> {
        var path = options.configPath
        if path == nil && options.procfilePath == nil && pathExists(LaunchOptions.defaultConfigPath) {
            path = LaunchOptions.defaultConfigPath
        }
        var result = Loaded(configuration: Configuration(), file: nil, loaded: nil)
        if let file = options.procfilePath ?? path {
            switch read(file, procfile: options.procfilePath != nil, environment: environment) {
            case .success(let loaded): result = Loaded(configuration: loaded.configuration, file: file, loaded: loaded)
            case .failure(let problems): return .failure(problems)
            }
        }
        if !options.program.isEmpty {
            var name = options.program[0].split(separator: "/").last.map(String.init) ?? "main"
            if result.configuration.services.contains(where: { $0.name == name }) || !ConfigLoader.isServiceName(name) { name = "main" }
            var main = ServiceConfig(name: name, command: options.program)
            main.isMain = true
            main.restart = .never
            main.critical = true
            main.startRetries = nil
            main.stdout = .inherit
            main.stderr = .inherit
            result.configuration.services.append(main)
        }
        if let timeout = options.stopTimeout { result.configuration.settings.stopTimeout = timeout }
        if let grace = options.grace { result.configuration.settings.grace = grace }
        let zoneProblems = TimeZones.resolve(&result.configuration, environment: environment)
        if !zoneProblems.isEmpty { return .failure(ConfigProblems(messages: zoneProblems.map { "\(result.file ?? "config"): \($0)" })) }
        return .success(result)
    }

    static func read(_ path: String, procfile: Bool, environment: [String: String]) -> Result<LoadedConfiguration, ConfigProblems> {
        switch parse(path, procfile: procfile, environment: environment) {
        case .failure(let error):
            return .failure(ConfigProblems(messages: ["cannot read config: \(error.description)"]))
        case .success(let loaded):
            if !loaded.errors.isEmpty { return .failure(ConfigProblems(messages: loaded.diagnostics.map(\.description))) }
            return .success(loaded)
        }
    }

    /// Reads and decodes a TOML config or a Procfile, with every diagnostic (errors or not).
    static func parse(_ path: String, procfile: Bool, environment: [String: String]) -> Result<LoadedConfiguration, SystemError> {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            return .failure(error)
        }
        return .success(procfile
            ? ConfigLoader.loadProcfile(bytes: bytes, file: path, environment: environment)
            : ConfigLoader.load(bytes: bytes, file: path, environment: environment))
    }
}

/// Why a configuration cannot be used: one message per problem, ready to print.
public struct ConfigProblems: Error {
    public var messages: [String]
}

/// Reads the configuration again, the way it was read at start, for reloads.
public struct ConfigReloader {
    let options: LaunchOptions
    let environment: [String: String]

    /// The new configuration, or the messages saying why it cannot be used.
    public func load() -> Result<Configuration, ConfigProblems> {
        ConfigSource.load(options, environment: environment).map(\.configuration)
    }
}
