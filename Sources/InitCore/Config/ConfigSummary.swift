/// The one-line-per-service summary `swinit check` prints.
public enum ConfigSummary {
    public static func render(_ configuration: Configuration, file: String) -> String {
        let services = configuration.services
        let width = services.map { $0.name.count }.max() ?? 0
        var out = ""
        for s in services {
            var parts: [String] = [s.kind.rawValue, "restart=\(s.restart.rawValue)"]
            if let task = s.task {
                parts = ["task", task.atBoot ? "@reboot" : task.scheduleText]
                if let zone = task.timezone { parts.append("timezone=\(zone)") }
                if task.overlap != .skip { parts.append("overlap=\(task.overlap.rawValue)") }
            }
            if let w = s.window { parts.append("window=\(w.start)-\(w.stop)") }
            if s.instances > 1 { parts.append("instances=\(s.instances)") }
            if !s.requires.isEmpty { parts.append("requires=\(s.requires.joined(separator: ","))") }
            let afterOnly = s.after.filter { !s.requires.contains($0) }
            if !afterOnly.isEmpty { parts.append("after=\(afterOnly.joined(separator: ","))") }
            if let user = s.user { parts.append("user=\(user)") }
            if s.critical { parts.append("critical") }
            let padded = s.name + String(repeating: " ", count: width - s.name.count)
            out += "\(padded)  \(parts.joined(separator: " "))  \(s.command.joined(separator: " "))\n"
        }
        let tasks = services.filter { $0.task != nil }.count
        let plain = services.count - tasks
        out += "\(file): OK, \(plain) service\(plain == 1 ? "" : "s")\(tasks > 0 ? ", \(tasks) task\(tasks == 1 ? "" : "s")" : "")\n"
        return out
    }
}
