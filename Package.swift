// swift-tools-version:6.0
import PackageDescription

// The binaries link no Foundation, Dispatch or Swift concurrency: PID 1 stays single-threaded.
// Release builds are fully static: `scripts/build-static` (or `swift build -c release
// -Xswiftc -static-executable`).
let package = Package(
    name: "swinit",
    products: [
        .executable(name: "swinit", targets: ["swinit"]),
        .executable(name: "initctl", targets: ["initctl"]),
        // For the fuzzers in Fuzz/ (a separate package that builds with -sanitize=fuzzer).
        .library(name: "InitCore", targets: ["InitCore"]),
    ],
    targets: [
        .target(name: "CSystem"),
        .target(name: "InitCore"),
        .target(name: "InitRuntime", dependencies: ["CSystem", "InitCore"]),
        .executableTarget(name: "swinit", dependencies: ["InitRuntime", "InitCore", "CSystem"]),
        .executableTarget(name: "initctl", dependencies: ["InitRuntime", "InitCore", "CSystem"]),
        .testTarget(name: "InitCoreTests", dependencies: ["InitCore"]),
        // Fixtures are python3 scripts the tests find through #filePath.
        .testTarget(name: "IntegrationTests", dependencies: ["InitCore"], exclude: ["Fixtures"]),
    ]
)
