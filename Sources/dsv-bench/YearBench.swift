import DSVNative
import Foundation

extension Benchmarks {
    /// A year of rounds (SPEC §9): `yearRounds` rounds of a `yearImages`-image export, each
    /// changing 1% of the images, into one repository. Every command is timed on the history of
    /// round 3 and on that of the last round, which must be no more than 20% slower. (Each round
    /// is the first plus 1% of its own, so from round 3 on neighbours are 2% apart and the first
    /// and the last 1%: round 3 is the first round that asks the same work as the last.) Both are
    /// timed after the last round, alternately, the median of 51 each — a copy of the
    /// repository is kept at round 3 — since this machine's speed drifts over the minutes a year
    /// takes: timed when it was made, round 3 was compared with a machine half an hour later,
    /// and three runs of a 20 ms command were decided by whichever two met a slow spell. A
    /// commit is timed likewise, the median of nine, the same next export committed onto a
    /// fresh copy of each (a copy of the repository per run). The
    /// repository's size is compared with git's history of the raw JSON, packed by `git gc`,
    /// over the first `yearGitRounds` rounds (git takes a third of a second a round, and its gc
    /// minutes), and its files counted after the last.
    func yearRows(_ table: inout BenchTable, work: String, dsv: String) throws {
        let root = "\(work)/year"
        try freshFolder(root)
        let repo = "\(root)/repo", gitRepo = "\(root)/git"
        try freshFolder(repo)
        try freshFolder(gitRepo)
        _ = ChildProcess.run([dsv, "init"], directory: repo)
        _ = ChildProcess.run(["git", "init", "-q"], directory: gitRepo)
        let export = "\(root)/export.json"
        print("a year of rounds: \(yearRounds) rounds of \(yearImages) images, 1% changed each …")

        let early = "\(root)/round3"
        var commitTimes: [Double] = []
        var gitSize = 0, sizeAtGitRounds = 0
        for round in 1...yearRounds {
            try SyntheticExport(images: yearImages, changedFraction: round == 1 ? 0 : 0.01, round: UInt64(round)).write(to: export)
            warm(export)
            let commit = ChildProcess.run([dsv, "commit", export, "-m", "round \(round)"], directory: repo)
            guard commit.status == 0 else { print("  (round \(round) failed: the year rows are skipped)"); return }
            commitTimes.append(commit.seconds)
            if round <= yearGitRounds {
                try? FileManager.default.removeItem(atPath: "\(gitRepo)/instances_default.json")
                try FileManager.default.copyItem(atPath: export, toPath: "\(gitRepo)/instances_default.json")
                _ = gitAddAndCommit("instances_default.json", message: "round \(round)", in: gitRepo)
                if round == yearGitRounds {
                    _ = ChildProcess.run(["git", "gc", "-q"], directory: gitRepo)
                    gitSize = ChildProcess.treeSize("\(gitRepo)/.git")
                    sizeAtGitRounds = ChildProcess.treeSize("\(repo)/.dsv/objects")
                    try? FileManager.default.removeItem(atPath: gitRepo)
                }
            }
            if round == min(3, yearRounds) { try FileManager.default.copyItem(atPath: repo, toPath: early) }
            if round % 50 == 0 { print("  round \(round): commit \(seconds(commit.seconds))") }
        }
        let inRun = (commitTimes.dropFirst().prefix(10).sorted(), commitTimes.suffix(10).sorted())
        if !inRun.0.isEmpty {
            print("  commit as the year went: median \(seconds(inRun.0[inRun.0.count / 2])) in rounds 2–11, "
                  + "\(seconds(inRun.1[inRun.1.count / 2])) in the last ten")
        }
        // The next round onto each history, each on a fresh copy: the median of nine (a copy of
        // the year's repository takes a while; five once gave 53 against 47 ms).
        try SyntheticExport(images: yearImages, changedFraction: 0.01, round: UInt64(yearRounds + 1)).write(to: export)
        warm(export)
        let scratch = "\(root)/scratch"
        let (commitEarly, commitLate) = try alternately(9) { history in
            try? FileManager.default.removeItem(atPath: scratch)
            try FileManager.default.copyItem(atPath: history == 0 ? early : repo, toPath: scratch)
            sync()
            return ChildProcess.run([dsv, "commit", export, "-m", "next round"], directory: scratch)
        }
        try? FileManager.default.removeItem(atPath: scratch)
        table.add("commit, round \(yearRounds) of \(yearImages / 1000)k", ours: seconds(commitLate.seconds),
                  baseline: seconds(commitEarly.seconds), baselineName: "round 3", ratio: ratio(commitLate.seconds, commitEarly.seconds),
                  target: "≤ 1.2× round 3",
                  met: max(commitEarly.status, commitLate.status) <= 1 && commitLate.seconds <= 1.2 * commitEarly.seconds)
        let first = firstCommit(repo)
        let commands: [(String, [String])] = [
            // As many versions as round 3's history has: `log -n 20` listed 3 there and 20 at
            // round 365 (8 against 11 ms, medians of 21), more work rather than a slower log.
            ("log", ["log", "-n", "3"]), ("show", ["show", "HEAD"]), ("diff of neighbours", ["diff", "HEAD~1", "HEAD", "--stat"]),
            ("diff of the first and last", ["diff", first, "HEAD", "--stat"]),
            ("checkout of the first", ["checkout", first, "-o", "\(root)/first.json"]),
        ]
        for (name, arguments) in commands {
            // Commands of 5–50 ms, whose process start alone varies by a millisecond or two:
            // the median of 51 each (a few seconds in all). Five had a 13 ms diff at 16 ms once
            // (1.27×; 1.05× in 21 runs by hand right after), and 21 a `show` at 7 against 5 ms
            // and a `log` at 8 against 6 (by hand, 21 runs each: 9.6 against 9.3, 8.4 against
            // 9.5 ms). Within 20%, as the issue asks, and nothing more.
            let (atRound3, atLast) = alternately(51) { history in ChildProcess.run([dsv] + arguments, directory: history == 0 ? early : repo) }
            let (a, b) = (atRound3.seconds, atLast.seconds)
            table.add("\(name), round \(yearRounds)", ours: seconds(b), baseline: seconds(a), baselineName: "round 3", ratio: ratio(b, a),
                      target: "≤ 1.2× round 3", met: max(atRound3.status, atLast.status) <= 1 && b <= 1.2 * a)
        }
        let files = (FileManager.default.enumerator(atPath: "\(repo)/.dsv/objects")?.allObjects as? [String] ?? [])
            .filter { !FileSystem.isDirectory("\(repo)/.dsv/objects/\($0)") }.count
        let size = ChildProcess.treeSize("\(repo)/.dsv/objects")
        // Size beside git's over the same rounds; then what a year leaves: files bounded by
        // housekeeping alone (no `dsv gc`), and the growth per round.
        table.add("objects after \(yearGitRounds) rounds", ours: megabytes(sizeAtGitRounds), baseline: megabytes(gitSize),
                  baselineName: "git gc of the raw JSON", ratio: ratio(Double(sizeAtGitRounds), Double(gitSize)),
                  target: "under git", met: sizeAtGitRounds > 0 && sizeAtGitRounds < gitSize)
        let perRound = yearRounds > yearGitRounds ? (size - sizeAtGitRounds) / (yearRounds - yearGitRounds) : 0
        table.add("objects after \(yearRounds) rounds", ours: megabytes(size) + " in \(files) files",
                  baseline: megabytes(perRound) + " a round", baselineName: "growth", ratio: "-",
                  target: "bounded files", met: files <= 2 * 17 + 260)
    }

    /// The root commit of the repository's history.
    func firstCommit(_ repo: String) -> String {
        let output = (try? ChildProcess.output(["git", "--git-dir=\(repo)/.dsv", "rev-list", "--max-parents=0", "HEAD"])) ?? []
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
