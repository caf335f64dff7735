/// A filesystem step of rotating a log file.
public enum RotationStep: Sendable, Equatable {
    /// rename(2) `from` over `to` (a missing `from` is skipped).
    case rename(from: String, to: String)
    /// Empty the file in place (max-files = 0: no backups).
    case truncate
}

/// Size-based rotation, as Python's `RotatingFileHandler`: the live file `PATH` and backups
/// `PATH.1` (newest) … `PATH.N` (oldest, N = max-files). A file is rotated *before* a line
/// that would take it past max-size, so no line is split across files; a single line longer
/// than max-size goes alone into a file of its own. max-files = 0 truncates instead.
public enum LogRotation {
    /// True when writing a line of `incoming` bytes to a file of `size` bytes must rotate first.
    /// An empty file never rotates: the line would be too long for any file.
    public static func needed(size: Int64, incoming: Int64, maxSize: Int64) -> Bool {
        size > 0 && size + incoming > maxSize
    }

    /// The steps, in order: oldest backup overwritten first, the live file last. The caller
    /// then creates a new `path`.
    public static func steps(path: String, maxFiles: Int) -> [RotationStep] {
        guard maxFiles > 0 else { return [.truncate] }
        var steps: [RotationStep] = []
        var index = maxFiles - 1
        while index >= 1 {
            steps.append(.rename(from: "\(path).\(index)", to: "\(path).\(index + 1)"))
            index -= 1
        }
        steps.append(.rename(from: path, to: path + ".1"))
        return steps
    }
}
