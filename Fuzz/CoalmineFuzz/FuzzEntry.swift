import CoalmineFuzzTargets
import Foundation

// Built two ways. With `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh) libFuzzer brings `main` and calls
// `LLVMFuzzerTestOneInput` with each input it makes, for the target named by COALMINE_FUZZ_TARGET. Built
// plainly it is a replayer: `CoalmineFuzz TARGET FILE...` runs each file through the target once, as the unit
// tests do with the committed corpus and regressions.

/// Looked up once, on the first input (a global is initialised lazily and exactly once).
private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["COALMINE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        fatalError("COALMINE_FUZZ_TARGET must name one of \(FuzzTarget.all.map(\.name)), not '\(name)'")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
// SwiftPM links an executable's entry point as `<module>_main` (so tests can import it) and points `main` at it,
// which keeps libFuzzer's own `main` out: hand over to libFuzzer's driver from here instead.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("CoalmineFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
@main struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget.named(name) else {
            print("usage: CoalmineFuzz TARGET FILE... (targets: \(FuzzTarget.all.map(\.name).joined(separator: ", ")))")
            exit(2)
        }
        for path in arguments.dropFirst() {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes.withUnsafeBytes { target.run($0) }
        }
        print("\(name): \(arguments.count - 1) inputs replayed")
    }
}
#endif
