import DSVNative
import Foundation

extension Benchmarks {
    /// The export as CVAT hands it out — deflated in a zip, `annotations/instances_train2017.json`
    /// — committed as it is, beside what a team does without dsv: extract it (Python's
    /// zipfile) and `git add` + `git commit` the JSON.
    func zipRows(_ table: inout BenchTable, work: String, dsv: String) throws {
        let export = try firstRound(work: work)
        let zip = "\(work)/export-\(images).zip"
        if !FileManager.default.fileExists(atPath: zip) {
            print("zipping the export as a CVAT export zip …")
            let made = ChildProcess.run(["python3", "-c", """
                import sys, zipfile
                with zipfile.ZipFile(sys.argv[1] + ".tmp", "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.write(sys.argv[2], "annotations/instances_train2017.json")
                """, zip, export])
            guard made.status == 0 else { print("  (cannot make the zip: the zip row is skipped)"); return }
            try FileManager.default.moveItem(atPath: zip + ".tmp", toPath: zip)
        }
        let repo = "\(work)/zip-repo", gitRepo = "\(work)/zip-git-baseline"
        for path in [repo, gitRepo] { try freshFolder(path) }
        _ = ChildProcess.run([dsv, "init"], directory: repo)
        _ = ChildProcess.run(["git", "init", "-q"], directory: gitRepo)
        let ours = measure([dsv, "commit", zip, "-m", "round 1 (zip)"], directory: repo)
        let extract = ChildProcess.run(["python3", "-m", "zipfile", "-e", zip, "."], directory: gitRepo)
        let baseline = extract.seconds + gitAddAndCommit("annotations", message: "r1", in: gitRepo)
        table.add("commit of a CVAT export zip", ours: seconds(ours.seconds) + ", " + megabytes(ours.maxResidentBytes),
                  baseline: seconds(baseline), baselineName: "extract + git add + commit",
                  ratio: ratio(ours.seconds, baseline), target: "< 1× extract + git",
                  met: ours.status == 0 && extract.status == 0 && ours.seconds < baseline)
    }
}
