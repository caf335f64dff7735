import Glibc
import InitRuntime

exit(Initctl.main(arguments: Array(CommandLine.arguments.dropFirst())))
