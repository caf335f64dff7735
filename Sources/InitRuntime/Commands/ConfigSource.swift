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

    /// nil and the messages printed when the config cannot be used.
    static func load(_ options: LaunchOptions, environment: [String: String], console: Console) -> Loaded? {
        var path = options.configPath
        if path == nil && options.procfilePath == nil && pathExists(LaunchOptions.defaultConfigPath) {
            path = LaunchOptions.defaultConfigPath
        }
        var result = Loaded(configuration: Configuration(), file: nil, loaded: nil)
        if let file = options.procfilePath ?? path {
            guard let loaded = read(file, console: console, procfile: options.procfilePath != nil, environment: environment) else { return nil }
            result = Loaded(configuration: loaded.configuration, file: file, loaded: loaded)
        }
        if !options.program.isEmpty {
            var name = options.program[0].split(separator: "/").last.map(String.init) ?? "main"
            if result.configuration.service(named: name) != nil || !ConfigLoader.isServiceName(name) { name = "main" }
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
        return result
    }

    static func read(_ path: String, console: Console, procfile: Bool, environment: [String: String]) -> LoadedConfiguration? {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            console.log(.error, "cannot read config: \(error.description)")
            return nil
        }
        let loaded = procfile
            ? ConfigLoader.loadProcfile(bytes: bytes, file: path, environment: environment)
            : ConfigLoader.load(bytes: bytes, file: path, environment: environment)
        for diagnostic in loaded.diagnostics { writeAll(2, diagnostic.description + "\n") }
        return loaded.errors.isEmpty ? loaded : nil
    }
}
