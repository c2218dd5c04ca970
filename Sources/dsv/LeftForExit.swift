import DSVDataset

/// Values a command leaves for the process's exit to free, as git's `UNLEAK` does: the exit
/// returns all memory at once, and off the caller's path (`ProcessEnvironment.exitLeavingMemory`),
/// where releasing a wide diff's thousands of changes, annotation by annotation, took 30 ms of a
/// 250 ms `dsv diff --stat` (5,000 images changed). Only for what lives until the command ends;
/// the CLI's process runs one command. Under a sanitizer nothing is kept: each value is freed
/// where it would have been (`ProcessEnvironment.isSanitized`).
enum LeftForExit {
    nonisolated(unsafe) private static var values: [Any] = []

    static func keep(_ value: Any) {
        guard !ProcessEnvironment.isSanitized else { return }
        values.append(value)
    }
}
