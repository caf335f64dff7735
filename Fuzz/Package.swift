// swift-tools-version:6.0
// Coverage-guided fuzzers for swinit's parsers (libFuzzer, via Swift's -sanitize=fuzzer).
// Separate from the main package so that `swift build`/`swift test` there never need the
// sanitizer runtimes. Build and run with `scripts/fuzz` (see Fuzz/README.md); by hand:
//
//   swift build --package-path Fuzz -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address
//   Fuzz/.build/release/fuzz-toml Fuzz/corpus/toml -max_total_time=60
// (Why both flags: Fuzz/README.md. -parse-as-library is not needed: SwiftPM adds it for a
// one-file executable target whose file is not main.swift.)
import PackageDescription

// SwiftPM names a path dependency after its directory, not its manifest's `name:`, so the
// identity of ".." is whatever the checkout is called ("main" here, something else in a CI
// clone). Work it out instead of hard-coding it.
let rootIdentity: String = {
    var components = Context.packageDirectory.split(separator: "/").map(String.init)
    if components.last == "Fuzz" { components.removeLast() }
    return (components.last ?? "swinit").lowercased()
}()

let targets = ["toml", "config", "cron", "argv", "control"]

let package = Package(
    name: "swinit-fuzz",
    products: targets.map { .executable(name: "fuzz-\($0)", targets: ["fuzz-\($0)"]) },
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "InitCore", package: rootIdentity)]),
    ] + targets.map {
        .executableTarget(
            name: "fuzz-\($0)",
            dependencies: ["FuzzSupport", .product(name: "InitCore", package: rootIdentity)]
        )
    }
)
