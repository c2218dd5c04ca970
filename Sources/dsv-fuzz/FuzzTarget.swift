import DSVDataset
import DSVNative

/// The fuzz target of `make fuzz`: any bytes go through what `dsv commit` does with an export
/// before it touches a repository — the zip reader (for inputs that start like a zip), the
/// faithful reader, the COCO checks, the merge plan, and the sharded, compressed manifest. A refusal (`COCOError`) is the right answer to bad input;
/// a crash, a sanitizer report or a hang is a bug.
enum FuzzTarget {
    /// The reader maps files, so each input is written to one scratch file first.
    static let scratch = "/tmp/dsv-fuzz-\(ProcessEnvironment.processID).json"
    /// Shards are fingerprinted as a commit with a shard cache does (reads in place, past pieces).
    static let key = FingerprintKey.random()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        do { try FileSystem.write(Array(bytes), to: scratch) } catch { fatalError("cannot write \(scratch): \(error)") }
        do {
            let (plan, sources) = try ExportInput.read([scratch])
            defer { sources.cancel() }
            var content = try VersionBuilder.build(plan, imagesPrefix: nil, reuse: ShardReuse(key: key))
            content.summary.sources = sources.resolved
        } catch {
            // Refused, as bad input must be.
        }
    }
}

#if FUZZING
/// libFuzzer's entry point for one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver (linked in by `-sanitize=fuzzer`). Whichever `main` the linker keeps —
/// libFuzzer's or SwiftPM's renamed one below — runs the same driver over the same input function.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = runFuzzerDriver(&argc, &argv, fuzzOneInput)
        ProcessEnvironment.exit(status)
    }
}
#else
/// Without libFuzzer: replays the given files (the corpus, the regression fixtures) through the
/// target, so that a crash found once stays fixed.
@main
enum FuzzReplay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try FileSystem.read(path)
            bytes.withUnsafeBytes { FuzzTarget.run($0) }
            count += 1
        }
        print("replayed \(count) inputs")
    }
}
#endif
