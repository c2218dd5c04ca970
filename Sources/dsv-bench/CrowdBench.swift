import DSVNative
import Foundation

extension Benchmarks {
    /// One crowded image (a crowd, cells under a microscope, an aerial tile): `crowdAnnotations`
    /// boxes in one image, every one moved by half a pixel in the next round, so that every
    /// old box is paired with a new one by IoU. Diff and status beside `json.load` of both
    /// files, with no target of their own (SPEC §9's distances are for whole exports): the row
    /// is there to show the pairing stays near-linear, where trying every pair took 23 s.
    func crowdRows(_ table: inout BenchTable, work: String, dsv: String) throws {
        let root = "\(work)/crowd-\(crowdAnnotations)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let (first, moved) = ("\(root)/round1.json", "\(root)/round2.json")
        try crowdExport(shift: 0).write(toFile: first, atomically: true, encoding: .utf8)
        try crowdExport(shift: 0.5).write(toFile: moved, atomically: true, encoding: .utf8)
        let repo = "\(root)/repo"
        try freshFolder(repo)
        _ = ChildProcess.run([dsv, "init"], directory: repo)
        _ = ChildProcess.run([dsv, "commit", first, "-m", "round 1"], directory: repo)
        print("one image of \(crowdAnnotations) annotations, all moved …")
        let status = besideJSONLoad([dsv, "status", moved, "--stat"], in: repo, of: (first, moved))
        _ = ChildProcess.run([dsv, "commit", moved, "-m", "round 2"], directory: repo)
        let diff = besideJSONLoad([dsv, "diff", "HEAD~1", "HEAD"], in: repo, of: (first, moved))
        let label = "one image of \(crowdAnnotations / 1000)k annotations, all moved"
        for (name, (ours, load)) in [("diff", diff), ("status", status)] {
            table.add("\(name), \(label)", ours: ours.status <= 1 ? seconds(ours.seconds) : "failed", baseline: seconds(load.seconds),
                      baselineName: "json.load of both", ratio: ratio(load.seconds, ours.seconds) + " faster", target: "-", met: nil)
        }
    }

    /// The crowded image's export: boxes on a grid, each `shift` pixels to the right.
    func crowdExport(shift: Double) -> String {
        let columns = 200
        var annotations: [String] = []
        annotations.reserveCapacity(crowdAnnotations)
        for index in 0..<crowdAnnotations {
            let (x, y) = (Double(index % columns) * 10 + shift, Double(index / columns) * 10)
            annotations.append(#"{"id":\#(index + 1),"image_id":1,"category_id":\#(1 + index % 3),"bbox":[\#(x),\#(y),8.0,8.0],"#
                + #""area":64.0,"iscrowd":0,"segmentation":[[\#(x),\#(y),\#(x + 8),\#(y),\#(x + 8),\#(y + 8)]]}"#)
        }
        return #"{"images":[{"id":1,"file_name":"crowd/tile_0001.jpg","width":2000,"height":\#(crowdAnnotations / columns * 10)}],"#
            + #""categories":[{"id":1,"name":"person"},{"id":2,"name":"head"},{"id":3,"name":"bag"}],"annotations":["#
            + annotations.joined(separator: ",") + "]}"
    }
}
