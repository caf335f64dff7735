/// `${VAR}` and `${VAR:-default}` from swinit's environment; `$$` is a literal `$`. Other `$`
/// are kept as written (a shell command may use them).
public enum Expansion {
    public struct Result: Sendable, Equatable {
        public var text: String
        /// Variables that were unset and had no default: they expanded to "".
        public var unset: [String]
        /// A syntax error ("unterminated ${"), if any.
        public var error: String?
    }

    public static func expand(_ text: String, environment: [String: String]) -> Result {
        guard text.contains("$") else { return Result(text: text, unset: [], error: nil) }
        var out = ""
        var unset: [String] = []
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            guard c == "$" else { out.unicodeScalars.append(c); continue }
            if chars.first == "$" { chars.removeFirst(); out += "$"; continue }
            guard chars.first == "{" else { out += "$"; continue }
            chars.removeFirst()
            guard let close = chars.firstIndex(of: "}") else {
                return Result(text: text, unset: unset, error: "unterminated '${' (write '$$' for a literal '$')")
            }
            let inner = String(String.UnicodeScalarView(chars[..<close]))
            chars = chars[chars.index(after: close)...]
            var name = inner
            var fallback: String? = nil
            let innerScalars = Array(inner.unicodeScalars)
            if let split = innerScalars.indices.first(where: { innerScalars[$0] == ":" && $0 + 1 < innerScalars.count && innerScalars[$0 + 1] == "-" }) {
                name = String(String.UnicodeScalarView(innerScalars[..<split]))
                fallback = String(String.UnicodeScalarView(innerScalars[(split + 2)...]))
            }
            guard isName(name) else {
                return Result(text: text, unset: unset, error: "'${\(inner)}' is not a variable reference (names are letters, digits and '_')")
            }
            if let value = environment[name], !(fallback != nil && value.isEmpty) {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                unset.append(name)
            }
        }
        return Result(text: out, unset: unset, error: nil)
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !(first.value >= 48 && first.value <= 57) else { return false }
        return s.unicodeScalars.allSatisfy { ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122) || $0 == "_" }
    }
}

/// Splits a command string into words as a shell would, without expanding anything:
/// whitespace separates, '…' and "…" quote, backslash escapes.
public enum CommandWords {
    public static func split(_ text: String) -> Result<[String], CommandSyntaxError> {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Unicode.Scalar? = nil
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if let q = quote {
                if c == q { quote = nil; continue }
                if q == "\"" && c == "\\", let next = chars.first, ["\"", "\\", "$", "`"].contains(next) {
                    chars.removeFirst(); current.unicodeScalars.append(next); continue
                }
                current.unicodeScalars.append(c)
                continue
            }
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'", "\"":
                quote = c; inWord = true
            case "\\":
                guard let next = chars.popFirst() else { return .failure(CommandSyntaxError(message: "command ends with a lone backslash")) }
                current.unicodeScalars.append(next); inWord = true
            default:
                current.unicodeScalars.append(c); inWord = true
            }
        }
        if let q = quote { return .failure(CommandSyntaxError(message: "unterminated \(q == "'" ? "single" : "double") quote in command")) }
        if inWord { words.append(current) }
        return .success(words)
    }
}

public struct CommandSyntaxError: Error, Equatable, Sendable { public var message: String }
