// The Dockerfile cannot be built here (no registry for its base images), so its steps are
// checked where they can be: what it copies exists, what it runs is runnable, and the config
// it bakes in passes `swinit check` (the same RUN step the image build performs).

import Foundation
import Testing

@Suite("Dockerfile")
struct DockerfileTests {
    static let lines: [String] = (ProcFS.readText(Paths.packageRoot + "/Dockerfile") ?? "")
        .split(separator: "\n").map(String.init)

    @Test("it has the build, scratch and example stages")
    func stages() {
        let stages = Self.lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 3, "\(stages)")
        #expect(stages.contains { $0.hasSuffix(" AS build") })
        #expect(stages.contains { $0 == "FROM scratch AS swinit" })
        #expect(Self.lines.contains("ENTRYPOINT [\"/sbin/swinit\"]"))
    }

    @Test("every COPY from the build context names a file that exists")
    func copiesExist() {
        let copies = Self.lines.filter { $0.hasPrefix("COPY ") && !$0.contains("--from=") }
        #expect(!copies.isEmpty)
        for copy in copies {
            let words = copy.split(separator: " ").dropFirst().map(String.init)
            for source in words.dropLast() {
                #expect(FileManager.default.fileExists(atPath: Paths.packageRoot + "/" + source), "\(copy): \(source) is missing")
            }
        }
    }

    @Test("the build step's script is executable and builds static binaries")
    func buildScript() throws {
        #expect(Self.lines.contains { $0.contains("RUN scripts/build-static") })
        #expect(access(Paths.packageRoot + "/scripts/build-static", X_OK) == 0)
        let script = ProcFS.readText(Paths.packageRoot + "/scripts/build-static") ?? ""
        #expect(script.contains("-static-executable") && script.contains("ldd"), "the script must build static and verify it")
    }

    @Test("the config the example image bakes in passes swinit check")
    func bakedConfigChecks() async throws {
        let copy = try #require(Self.lines.first { $0.hasPrefix("COPY examples/") && $0.hasSuffix("/etc/swinit/swinit.toml") })
        let source = String(copy.split(separator: " ")[1])
        #expect(Self.lines.contains("RUN [\"/sbin/swinit\", \"check\"]"))
        let process = try TestProcess([Paths.swinit, "check", "--config", Paths.packageRoot + "/" + source])
        defer { process.terminate() }
        #expect(try await process.waitForExit() == .exited(0), "\(process)")
    }
}
