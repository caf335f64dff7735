/// Where the control directory is: one rule shared by swinit (which creates it) and initctl
/// (which looks for it), so both try the same places in the same order.
///
/// 1. An explicit directory (`--control-dir`, `SWINIT_CONTROL_DIR`, or the config's
///    `control-dir`): that one only.
/// 2. Else `/run/swinit`, then `$XDG_RUNTIME_DIR/swinit` (when set), then `/tmp/swinit-UID`
///    (UID the effective uid): swinit takes the first it can use, which keeps a non-root or
///    read-only-root container working; initctl the first where a swinit answers.
public enum ControlPaths {
    /// The default when nothing else is said.
    public static let defaultDirectory = "/run/swinit"

    /// The directories to try, in order.
    public static func candidates(explicit: String?, environment: [String: String], uid: UInt32) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        var list = [defaultDirectory]
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            list.append(trimmed(runtime) + "/swinit")
        }
        list.append("/tmp/swinit-\(uid)")
        return list
    }

    /// "/run/swinit/" → "/run/swinit" (a lone "/" stays).
    public static func trimmed(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }
}
