import DSVNative
import DSVStorage
import Foundation

extension Benchmarks {
    /// Materializing `materializeObjects` objects of 20–60 KB beside a 64-thread boto3
    /// downloader on the same endpoint (SPEC §9: at most half its time), then the rerun from the
    /// cache (which must make no GET).
    func materializeRows(_ table: inout BenchTable, work: String, dsv: String) throws {
        guard ProcessEnvironment.value("DSV_TEST_S3_ENDPOINT") != nil else {
            print("  (no local S3: the materialize rows are skipped)")
            return
        }
        let configuration = try S3Configuration.fromEnvironment()
        let bucket = "bench-materialize"
        try configuration.client().createBucket(bucket)
        let count = materializeObjects
        let names = (0..<count).map { "batch_\($0 / 1000)/frame_\($0).jpg" }
        var generator = Random(seed: 20_260_000 + UInt64(count))
        let sizes = names.map { _ in 20_000 + Int(generator.next() % 40_001) }
        let totalBytes = sizes.reduce(0, +)
        print("uploading \(count) objects of 20–60 KB (\(megabytes(totalBytes))) to s3://\(bucket)/images/ …")
        let uploaded = ParallelWork.run(count, workers: 16, configuration: configuration) { client, index in
            var random = Random(seed: UInt64(index))
            let body = [UInt8](unsafeUninitializedCapacity: sizes[index]) { buffer, initialized in
                for i in 0..<sizes[index] { buffer[i] = UInt8(truncatingIfNeeded: random.next()) }
                initialized = sizes[index]
            }
            _ = try client.putObject(bucket: bucket, key: "images/" + names[index], body: body)
        }
        guard uploaded else { print("  (upload failed: the materialize rows are skipped)"); return }

        let root = "\(work)/materialize"
        try freshFolder(root)
        let images = names.enumerated().map { #"{"id":\#($0.offset + 1),"file_name":"\#($0.element)","width":640,"height":480}"# }
        try Data(#"{"images":[\#(images.joined(separator: ","))],"annotations":[],"categories":[]}"#.utf8)
            .write(to: URL(fileURLWithPath: "\(root)/export.json"))
        try Data((names.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(root)/names.txt"))
        _ = ChildProcess.run([dsv, "init"], directory: root)
        let commit = ChildProcess.run([dsv, "commit", "export.json", "-m", "bench", "--images", "s3://\(bucket)/images/"], directory: root)
        guard commit.status == 0 else { print("  (commit failed: the materialize rows are skipped)"); return }

        let boto = ChildProcess.run(["python3", scriptPath("boto3-download.py"), bucket, "images/", "\(root)/names.txt", "\(root)/boto3", "64"])
        let cold = ChildProcess.run([dsv, "materialize", "--out", "out", "--cache", "cache", "--json"], directory: root)
        let complete = cold.status == 0 && names.indices.allSatisfy { FileSystem.fileSize("\(root)/out/\(names[$0])") == sizes[$0] }
        let warmOutput = try ChildProcess.output([dsv, "-C", root, "materialize", "--out", "again", "--cache", "cache", "--json"])
        let warm = ChildProcess.run([dsv, "materialize", "--out", "third", "--cache", "cache", "--json"], directory: root)
        let rerunJSON = (try? JSONSerialization.jsonObject(with: Data(warmOutput))) as? [String: Any] ?? [:]
        let noGET = rerunJSON["downloaded"] as? Int == 0 && rerunJSON["from_cache"] as? Int == count

        table.add("materialize \(count) objects (20–60 KB)", ours: seconds(cold.seconds) + (complete ? "" : " (INCOMPLETE)"),
                  baseline: boto.status == 0 ? seconds(boto.seconds) : "failed", baselineName: "boto3 get_object, 64 threads",
                  ratio: ratio(boto.seconds, cold.seconds) + " faster", target: "≤ 0.5× boto3",
                  met: complete && boto.status == 0 && cold.seconds <= boto.seconds / 2)
        table.add("materialize again (from cache)", ours: seconds(warm.seconds) + (noGET ? " (0 GET)" : " (DOWNLOADED)"),
                  baseline: seconds(cold.seconds), baselineName: "first materialize",
                  ratio: ratio(cold.seconds, warm.seconds) + " faster", target: "no GET", met: noGET && warm.status == 0)
    }
}
