import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's driver, with the target chosen in fuzzerInitialize.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzerTestOneInput(data, size) }))
