// Fuzz target: the config loader (Sources/InitCore/Config/ConfigLoader.swift) on the same input
// read as TOML (`ConfigLoader.load`) and as a Procfile (`ConfigLoader.loadProcfile`), and the
// machine checks (`ConfigCheck.check`) against a fake machine.
//
// Invariants beyond "does not crash":
// - every diagnostic names the file, has a non-empty message, and its position (if any) is
//   within the input (line <= lines + 1, column >= 1);
// - a config that loads without errors has services with non-empty commands, unique valid
//   names, `instances` >= 1, `after`/`requires` naming other existing services, and no
//   dependency cycle;
// - loading is deterministic.
import FuzzSupport
import InitCore

let environment: [String: String] = [
    "HOME": "/root", "PATH": "/usr/local/bin:/usr/bin:/bin", "PORT": "8080", "EMPTY": "",
    "NESTED": "${PORT}", "SPACE": "a b", "DOLLAR": "$$",
]

struct FakeMachine: SystemLookup {
    let accounts = Accounts(
        passwd: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n",
        group: "root:x:0:\nnogroup:x:65534:\napp:x:1000:app\nwheel:x:10:app\n")
    func findsExecutable(_ program: String, searchPath: String) -> Bool { program.hasPrefix("/bin/") || !program.contains("/") }
    func isSearchableDirectory(_ path: String) -> Bool { path.hasPrefix("/") }
    func isReadableFile(_ path: String) -> Bool { path.hasSuffix(".env") }
    func isWritableDirectory(_ path: String) -> Bool { path.hasPrefix("/var/log") || path == "." }
    let isRoot = false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let lines = input.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }

    let toml = ConfigLoader.load(bytes: input, file: "fuzz.toml", environment: environment)
    checkLoaded(toml, file: "fuzz.toml", lines: lines)
    let again = ConfigLoader.load(bytes: input, file: "fuzz.toml", environment: environment)
    check(toml.configuration == again.configuration && toml.diagnostics == again.diagnostics,
          "ConfigLoader.load is not deterministic")
    if toml.errors.isEmpty {
        for d in ConfigCheck.check(toml, file: "fuzz.toml", environment: environment, lookup: FakeMachine()) {
            checkDiagnostic(d, file: "fuzz.toml", lines: lines)
        }
    }

    let procfile = ConfigLoader.loadProcfile(bytes: input, file: "Procfile", environment: environment)
    checkLoaded(procfile, file: "Procfile", lines: lines)
    for s in procfile.configuration.services {
        check(s.command.count == 3 && s.command[0] == "/bin/sh" && s.command[1] == "-c",
              "Procfile service '\(s.name)' does not run through /bin/sh -c: \(s.command)")
    }
    return 0
}

func checkDiagnostic(_ d: ConfigDiagnostic, file: String, lines: Int) {
    check(!d.message.isEmpty, "diagnostic without a message: \(d)")
    check(d.file == file, "diagnostic for the wrong file: \(d)")
    if let p = d.position {
        check(p.line >= 1 && p.line <= lines + 1, "diagnostic line outside 1...\(lines + 1): \(d)")
        check(p.column >= 1, "diagnostic column < 1: \(d)")
    }
}

func checkLoaded(_ loaded: LoadedConfiguration, file: String, lines: Int) {
    for d in loaded.diagnostics { checkDiagnostic(d, file: file, lines: lines) }
    guard loaded.errors.isEmpty else { return }
    let services = loaded.configuration.services
    var names = Set<String>()
    for s in services {
        check(names.insert(s.name).inserted, "\(file): service '\(s.name)' loaded twice without an error")
        check(ConfigLoader.isServiceName(s.name) || s.isMain, "\(file): invalid service name \(escaped(s.name)) loaded without an error")
        check(!s.command.isEmpty, "\(file): service '\(s.name)' has an empty command but no error")
        check(s.instances >= 1, "\(file): service '\(s.name)' has instances = \(s.instances)")
    }
    for s in services {
        for dep in s.after + s.requires {
            check(dep != s.name, "\(file): service '\(s.name)' depends on itself without an error")
            check(names.contains(dep), "\(file): service '\(s.name)' depends on unknown '\(dep)' without an error")
        }
    }
    // No dependency cycle: Kahn's algorithm over after + requires.
    var indegree = [String: Int]()
    var edges = [String: [String]]()
    for s in services {
        indegree[s.name, default: 0] += 0
        for dep in Set(s.after + s.requires) where names.contains(dep) {
            edges[dep, default: []].append(s.name)
            indegree[s.name, default: 0] += 1
        }
    }
    var ready = indegree.filter { $0.value == 0 }.map(\.key)
    var done = 0
    while let n = ready.popLast() {
        done += 1
        for m in edges[n] ?? [] {
            indegree[m]! -= 1
            if indegree[m] == 0 { ready.append(m) }
        }
    }
    check(done == indegree.count, "\(file): dependency cycle loaded without an error")
}
