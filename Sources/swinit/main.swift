import CSystem
import Glibc
import InitCore
import InitRuntime

// Before anything else: block every signal, so none is delivered before the signalfd exists
// (signals sent to PID 1 with no handler would otherwise be lost).
Runtime.blockSignals()

let arguments = CommandLine.arguments
let invokedAs = arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "swinit"
if invokedAs == "initctl" {
    exit(Initctl.main(arguments: Array(arguments.dropFirst())))
}
exit(SwinitCommand.main(arguments: Array(arguments.dropFirst())))
