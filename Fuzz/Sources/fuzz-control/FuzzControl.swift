// Fuzz target: the small parsers behind control requests and service environments.
//
// TODO(control-parser): the control-request parser is being written in
// Sources/InitCore/Protocol/ (not in main yet). When it lands, parse the whole input with it here
// (or in a new target `fuzz-control-request`) and assert: no crash, errors carry a non-empty
// message, a parsed request re-encodes/round-trips (if an encoder exists), and durations, service
// names and signal arguments inside a request are validated the same way as in the config.
// Add seeds for it to Fuzz/corpus/control/ and keywords to Fuzz/dict/control.dict.
//
// Until then the input (as UTF-8 text) goes through `DurationSyntax.parse`, `Expansion.expand`,
// `CommandWords.split`, `EnvFile.parse` and `Accounts(passwd:group:)`.
//
// Invariants beyond "does not crash":
// - a parsed duration is >= 0, and `DurationSyntax.format` of it parses back to the same value;
// - `Expansion.expand` of text without '$' is the text itself, `$$` is a literal '$', a
//   reference to an unset variable is reported in `unset`, and errors have a message;
// - `CommandWords.split` of text without quotes or backslashes is a plain whitespace split,
//   and errors have a message;
// - `EnvFile.parse` returns valid variable names, and errors have a message;
// - `Accounts.identity` puts the primary group first in the supplementary groups.
import FuzzSupport
import InitCore

let environment: [String: String] = ["HOME": "/root", "PORT": "8080", "EMPTY": "", "A_1": "$HOME", "X": "x y"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let text = String(decoding: input, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)

    // Durations: the whole text and each of the first lines.
    for candidate in [Substring(text)] + lines.prefix(4) {
        let s = String(candidate)
        switch DurationSyntax.parse(s) {
        case .success(let span):
            check(span.nanoseconds >= 0, "duration \(escaped(s)) parsed as \(span.nanoseconds) ns")
            let formatted = DurationSyntax.format(span)
            switch DurationSyntax.parse(formatted) {
            case .success(let again):
                check(again == span, "duration \(escaped(s)) = \(span.nanoseconds) ns -> \(formatted) -> \(again.nanoseconds) ns")
            case .failure(let error):
                check(false, "duration \(escaped(s)) = \(span.nanoseconds) ns formats as \(formatted), which does not parse: \(error.message)")
            }
        case .failure(let error):
            check(!error.message.isEmpty, "duration error without a message for \(escaped(s))")
        }
    }

    // ${VAR} expansion.
    let expanded = Expansion.expand(text, environment: environment)
    if let error = expanded.error {
        check(!error.isEmpty, "expansion error without a message")
    } else {
        if !text.contains("$") {
            check(expanded.text == text && expanded.unset.isEmpty, "expansion changed text without '$'")
        }
        for name in expanded.unset {
            check(environment[name] == nil, "expansion reports set variable '\(name)' as unset")
            check(isVariableName(name), "expansion reports \(escaped(name)) as an unset variable")
        }
    }
    let literal = Expansion.expand(text.replacingDollars(), environment: environment)
    check(literal.error == nil && literal.text == text && literal.unset.isEmpty,
          "escaping every '$' as '$$' does not give the text back: \(escaped(literal.text)) error \(literal.error ?? "nil")")

    // Shell-like word splitting.
    switch CommandWords.split(text) {
    case .success(let words):
        if !text.unicodeScalars.contains(where: { $0 == "'" || $0 == "\"" || $0 == "\\" }) {
            let plain = text.unicodeScalars.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
                .map { String(String.UnicodeScalarView($0)) }
            check(words == plain, "CommandWords.split(\(escaped(text))) = \(words), expected \(plain)")
        }
    case .failure(let error):
        check(!error.message.isEmpty, "command syntax error without a message")
    }

    // env-file.
    switch EnvFile.parse(text) {
    case .success(let pairs):
        for (name, _) in pairs { check(isVariableName(name), "env-file gave variable name \(escaped(name))") }
    case .failure(let error):
        check(!error.message.isEmpty, "env-file error without a message")
    }

    // /etc/passwd and /etc/group: the same text as both, then look up a few names from it.
    let accounts = Accounts(passwd: text, group: text)
    var names: [String?] = [nil, "root", "0", "1000"]
    for line in lines.prefix(3) {
        if let field = line.split(separator: ":", omittingEmptySubsequences: false).first { names.append(String(field)) }
    }
    for user in names {
        for group in names.prefix(4) {
            if case .success(let identity) = accounts.identity(user: user, group: group) {
                check(identity.groups.first == identity.gid,
                      "identity(user: \(user ?? "nil"), group: \(group ?? "nil")): groups \(identity.groups) do not start with gid \(identity.gid)")
                check(Set(identity.groups).count == identity.groups.count, "duplicate supplementary groups \(identity.groups)")
            }
        }
    }
    return 0
}

func isVariableName(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, !(48...57).contains(first.value) else { return false }
    return s.unicodeScalars.allSatisfy { (48...57).contains($0.value) || (65...90).contains($0.value) || (97...122).contains($0.value) || $0 == "_" }
}

extension String {
    /// Every '$' doubled, so that expansion gives the text back unchanged.
    func replacingDollars() -> String {
        var out = ""
        for u in unicodeScalars {
            out.unicodeScalars.append(u)
            if u == "$" { out.unicodeScalars.append(u) }
        }
        return out
    }
}
