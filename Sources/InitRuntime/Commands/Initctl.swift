import Glibc
import InitCore

/// `initctl`: inspect and drive a running swinit.
public enum Initctl {
    public static func main(arguments: [String]) -> Int32 {
        switch arguments.first {
        case "version", "--version", "-V":
            writeAll(1, "initctl \(Version.string)\n")
            return 0
        case nil, "help", "--help", "-h":
            writeAll(arguments.isEmpty ? 2 : 1, usage)
            return arguments.isEmpty ? 2 : 0
        default:
            writeAll(2, "initctl: '\(arguments[0])' is not available yet: the control channel is not built\n")
            return 2
        }
    }

    static let usage = """
        usage: initctl COMMAND [ARGS]

        Commands:
          version     print the version

        """
}
