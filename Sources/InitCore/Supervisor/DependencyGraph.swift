/// The after/requires graph between services, by name.
public struct DependencyGraph: Sendable {
    /// service → the services it waits for, in config order.
    public let edges: [(name: String, dependencies: [String])]

    public init(_ services: [ServiceConfig]) {
        let names = Set(services.map(\.name))
        edges = services.map { s in
            var deps: [String] = []
            for d in s.after + s.requires where names.contains(d) && !deps.contains(d) && d != s.name { deps.append(d) }
            return (s.name, deps)
        }
    }

    /// One cycle as a path of names (the first found, in config order), or nil.
    public func cycle() -> [String]? {
        var state: [String: Int] = [:]   // 1 visiting, 2 done
        var stack: [String] = []
        let byName = Dictionary(edges.map { ($0.name, $0.dependencies) }, uniquingKeysWith: { a, _ in a })
        func visit(_ name: String) -> [String]? {
            if state[name] == 2 { return nil }
            if state[name] == 1 {
                let start = stack.firstIndex(of: name)!
                return Array(stack[start...])
            }
            state[name] = 1
            stack.append(name)
            for dep in byName[name] ?? [] { if let found = visit(dep) { return found } }
            stack.removeLast()
            state[name] = 2
            return nil
        }
        for edge in edges { if let found = visit(edge.name) { return found } }
        return nil
    }

    /// Graphviz DOT: an edge from each service to what it waits for (dashed for `after`).
    public func dot(_ services: [ServiceConfig]) -> String {
        var out = "digraph swinit {\n  rankdir=LR;\n"
        for s in services {
            out += "  \"\(s.name)\"\(s.kind == .oneshot ? " [shape=box]" : "");\n"
            for d in s.requires { out += "  \"\(s.name)\" -> \"\(d)\";\n" }
            for d in s.after where !s.requires.contains(d) { out += "  \"\(s.name)\" -> \"\(d)\" [style=dashed];\n" }
        }
        return out + "}\n"
    }
}
