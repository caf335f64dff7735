// Scheduled tasks and service windows, end to end with the real binary as PID 1.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// "HH:MM:SS" in UTC, `offset` seconds from now.
private func clockTime(inSeconds offset: Int) -> String {
    var t = time(nil) + offset
    var parts = tm()
    gmtime_r(&t, &parts)
    return String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
}

@Suite("Scheduled tasks", .serialized, .timeLimit(.minutes(2)))
struct TaskIntegrationTests {
    @Test("an every-1s task runs about once a second")
    func everySecond() async throws {
        let dir = try TemporaryDirectory()
        let config = try dir.writeConfig("""
            [tasks.tick]
            command = ["/bin/sh", "-c", "echo tick >> \(dir.file("events"))"]
            every = "1s"
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        let started = ContinuousClock.now
        _ = try await dir.waitForLines(timeout: .seconds(8), "5 ticks") { $0.count >= 5 }
        let elapsed = (ContinuousClock.now - started).seconds
        // The 5th run is due 5 s after start (the first one after 1 s).
        #expect(elapsed > 4.0 && elapsed < 6.5, "5 runs took \(elapsed) s")
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
    }

    @Test("overlap = skip: a slow task is not started again while it runs")
    func skipOverlap() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let config = try dir.writeConfig("""
            [tasks.slow]
            command = ["/bin/sh", "-c", "echo start >> \(log); sleep 2.2; echo end >> \(log)"]
            every = "1s"
            overlap = "skip"
            """)
        let swinit = try Swinit.launch(["--config", config])
        defer { swinit.terminate() }
        let lines = try await dir.waitForLines(timeout: .seconds(12), "two complete runs") { $0.filter { $0 == "end" }.count >= 2 }
        // Runs never overlap: starts and ends alternate.
        var running = false
        for line in lines {
            if line == "start" { #expect(!running, "a run started while another ran: \(lines)"); running = true }
            if line == "end" { running = false }
        }
        try await swinit.waitForLine(containing: "skipped (overlap = skip)", in: .stderr)
        try await swinit.signal(SIGTERM)
        _ = try await swinit.waitForExit()
    }

    @Test("chains: A → B on success and A → C on failure")
    func chains() async throws {
        for (result, expected, other) in [(0, "B", "C"), (1, "C", "B")] {
            let dir = try TemporaryDirectory()
            let log = dir.file("events")
            let config = try dir.writeConfig("""
                [tasks.a]
                command = ["/bin/sh", "-c", "echo A >> \(log); exit \(result)"]
                every = "1s"
                on-success = ["b"]
                on-failure = ["c"]
                [tasks.b]
                command = ["/bin/sh", "-c", "echo B >> \(log)"]
                [tasks.c]
                command = ["/bin/sh", "-c", "echo C >> \(log)"]
                """)
            let swinit = try Swinit.launch(["--config", config])
            defer { swinit.terminate() }
            let lines = try await dir.waitForLines("A then \(expected)") { $0.contains(expected) }
            #expect(lines.firstIndex(of: "A")! < lines.firstIndex(of: expected)!)
            #expect(!lines.contains(other), "\(other) must not run when A exits \(result): \(lines)")
            try await swinit.signal(SIGTERM)
            _ = try await swinit.waitForExit()
        }
    }

    @Test("a windowed service starts at the window's start and stops at its end")
    func window() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.file("events")
        let open = clockTime(inSeconds: 2), close = clockTime(inSeconds: 4)
        let config = try dir.writeConfig("""
            [services.office]
            command = ["/bin/sh", "-c", "date +%s.%N | sed 's/^/start /' >> \(log); trap 'date +%s.%N | sed \\"s/^/stop /\\" >> \(log); exit 0' TERM; while :; do sleep 0.05; done"]
            window = { start = "\(open)", stop = "\(close)", timezone = "UTC" }
            """)
        let swinit = try Swinit.launch(["--config", config], environment: ["TZ": "UTC"])
        defer { swinit.terminate() }
        let lines = try await dir.waitForLines(timeout: .seconds(10), "a start and a stop") { $0.contains { $0.hasPrefix("stop") } }
        let start = Double(lines.first { $0.hasPrefix("start") }!.dropFirst(6))!
        let stop = Double(lines.first { $0.hasPrefix("stop") }!.dropFirst(5))!
        #expect(abs(stop - start - 2.0) < 1.1, "the window is 2 s wide (second resolution), the service ran \(stop - start) s")
        #expect(swinit.process.status == nil, "swinit keeps running outside the window")
        try await swinit.signal(SIGTERM)
        #expect(try await swinit.waitForExit() == .exited(0))
    }

    @Test("swinit schedule prints the next runs, across a DST change")
    func scheduleCommand() async throws {
        let process = try TestProcess([Paths.swinit, "schedule", "30 2 * * *", "--from", "2026-03-07T00:00:00-08:00",
                                       "--timezone", "America/Los_Angeles", "--count", "3"])
        defer { process.terminate() }
        #expect(try await process.waitForExit() == .exited(0))
        #expect(process.text() == ["2026-03-07T02:30:00-08:00", "2026-03-08T03:00:00-07:00", "2026-03-09T02:30:00-07:00"])
    }
}
