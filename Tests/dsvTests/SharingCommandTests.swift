import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// Sharing history through git remotes, as a team does it: a bare repository over `file://` and
/// `git daemon` over `git://`, both written by dsv (libgit2) and checked by git itself.
struct SharingCommandTests {
    static let round1 = #"{"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"b.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3,4]}],"categories":[{"id":1,"name":"ship"}]}"#
    static let round2 = #"{"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"b.jpg"},{"id":3,"file_name":"c.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3,5]}],"categories":[{"id":1,"name":"ship"}]}"#

    /// A scratch folder with a bare server repository (made by git, as a git server would) and
    /// a first project that has committed round 1 and tagged it.
    func team() throws -> (root: TemporaryDirectory, server: String, alice: String) {
        let root = TemporaryDirectory("dsv-share")
        let server = root.file("server.git")
        #expect(try runProcess("git", ["init", "-q", "--bare", server]).status == 0)
        let alice = root.file("alice")
        try FileManager.default.createDirectory(atPath: alice, withIntermediateDirectories: true)
        #expect(try dsv(["init"], in: alice).status == 0)
        root.write("alice/r1.json", Self.round1)
        root.write("alice/r2.json", Self.round2)
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: alice).status == 0)
        #expect(try dsv(["tag", "round1"], in: alice).status == 0)
        return (root, server, alice)
    }

    func log(_ directory: String) throws -> String { try dsv(["log", "--json"], in: directory).stdout }

    @Test func pushCloneAndPullOverFileURLs() throws {
        let (root, server, alice) = try team()
        #expect(try dsv(["remote", "add", "origin", "file://\(server)"], in: alice).status == 0)
        let remotes = try dsv(["remote", "-v"], in: alice)
        #expect(remotes.stdout == "origin\tfile://\(server) (fetch)\norigin\tfile://\(server) (push)\n")
        let push = try dsv(["push", "--tags"], in: alice)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(try gitFsck(server).status == 0)
        #expect(try runProcess("git", ["--git-dir=\(server)", "tag"]).stdout == "round1\n", "tags travel with --tags")

        let clone = try dsv(["clone", "file://\(server)", "bob"], in: root.path)
        #expect(clone.status == 0, "\(clone.stderr)")
        let bob = root.file("bob")
        #expect(try log(bob) == log(alice))
        #expect(try dsv(["tags"], in: bob).stdout.contains("round1"))
        #expect(try dsv(["checkout", "round1", "-o", "r1.json"], in: bob).status == 0)
        #expect(FileManager.default.contents(atPath: "\(bob)/r1.json") == Data(Self.round1.utf8), "byte-identical in the clone")
        #expect(try gitFsck("\(bob)/.dsv").status == 0)

        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)
        let pull = try dsv(["pull"], in: bob)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.hasPrefix("fast-forward "))
        #expect(try log(bob) == log(alice))
        #expect(try dsv(["pull"], in: bob).stdout.hasPrefix("already up to date"))
        #expect(try gitFsck("\(bob)/.dsv").status == 0)
    }

    /// A pull fetches under the write lock: while another dsv process holds it (a `dsv gc`,
    /// which keeps only what a reference reaches, would delete a fetched pack whose
    /// remote-tracking reference is not yet written), the pull is refused before it fetches
    /// anything (exit 75), and runs once the lock is free.
    @Test func aPullFetchesNothingWhileAnotherWriterHoldsTheLock() throws {
        let (root, server, alice) = try team()
        #expect(try dsv(["remote", "add", "origin", server], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)
        #expect(try dsv(["clone", server, "bob"], in: root.path).status == 0)
        let bob = root.file("bob")
        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)

        let tracking = try runProcess("git", ["--git-dir=\(bob)/.dsv", "rev-parse", "refs/remotes/origin/main"]).stdout
        let packs = FileSystem.entries(of: "\(bob)/.dsv/objects/pack").sorted()
        let lock = try #require(try FileLock.tryAcquire(path: "\(bob)/.dsv/dsv.lock"))
        let refused = try dsv(["pull"], in: bob)
        #expect(refused.status == 75, "\(refused.stderr)")
        #expect(refused.stderr.contains("another dsv process holds the lock"))
        #expect(FileSystem.entries(of: "\(bob)/.dsv/objects/pack").sorted() == packs, "nothing fetched")
        #expect(try runProcess("git", ["--git-dir=\(bob)/.dsv", "rev-parse", "refs/remotes/origin/main"]).stdout == tracking)
        lock.release()

        let pull = try dsv(["pull"], in: bob)
        #expect(pull.status == 0, "\(pull.stderr)")
        let head = { (project: String) in try runProcess("git", ["--git-dir=\(project)/.dsv", "rev-parse", "HEAD"]).stdout }
        #expect(try head(bob) == head(alice))
        #expect(try gitFsck("\(bob)/.dsv").status == 0)
    }

    /// Diverged histories: the push is refused by name, the pull changes nothing and names both
    /// heads (exit 1 each); `push --force` overwrites.
    @Test func divergedHistoriesAreRefusedUnlessForced() throws {
        let (root, server, alice) = try team()
        #expect(try dsv(["remote", "add", "origin", server], in: alice).status == 0, "a plain path works too")
        let again = try dsv(["remote", "add", "origin", server], in: alice)
        #expect(again.status == 2 && again.stderr == "dsv: error: remote 'origin' already exists\n", "\(again.stderr)")
        #expect(try dsv(["push"], in: alice).status == 0)
        #expect(try dsv(["clone", server, "bob"], in: root.path).status == 0)
        let bob = root.file("bob")
        root.write("bob/mine.json", Self.round2.replacingOccurrences(of: "ship", with: "boat"))
        #expect(try dsv(["commit", "mine.json", "-m", "bob's round"], in: bob).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "alice's round"], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)

        let bobHead = try dsv(["log", "-n", "1", "--json"], in: bob).stdout
        let refused = try dsv(["push"], in: bob)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("dsv: error: push refused: origin/main ("))
        #expect(refused.stderr.contains("dsv pull origin"))
        let diverged = try dsv(["pull"], in: bob)
        #expect(diverged.status == 1)
        #expect(diverged.stderr.contains("have diverged; nothing was changed"))
        #expect(try dsv(["log", "-n", "1", "--json"], in: bob).stdout == bobHead, "the pull changed nothing")

        let forced = try dsv(["push", "--force"], in: bob)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("(forced)"))
        #expect(try dsv(["pull"], in: alice).status == 1, "now alice has diverged from the server")
        #expect(try gitFsck(server).status == 0)
    }

    @Test func gitDaemonOverGitURLs() throws {
        let (root, _, alice) = try team()
        let daemon = try GitDaemon(basePath: root.path)
        let url = "git://127.0.0.1:\(daemon.port)/server.git"
        #expect(try dsv(["remote", "add", "origin", url], in: alice).status == 0)
        let push = try dsv(["push", "--tags"], in: alice)
        #expect(push.status == 0, "\(push.stderr)")
        let clone = try dsv(["clone", url], in: root.path)
        #expect(clone.status == 0, "\(clone.stderr)")
        let bob = root.file("server")
        #expect(try log(bob) == log(alice))
        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)
        #expect(try dsv(["pull"], in: bob).status == 0)
        #expect(try log(bob) == log(alice))
    }

    /// Smart HTTP behind Basic auth (as an https server would be): no credentials, a wrong
    /// password in the URL (never printed), then the password from git's credential store.
    @Test func httpWithCredentials() throws {
        let (root, _, alice) = try team()
        // `git http-backend` behind Basic auth, as an https server would be.
        let server = try SupportServer("git_http_server", [root.path, "alice", "s3cret"])
        let url = "http://127.0.0.1:\(server.port)/server.git"
        let home = root.file("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let withStore = ["HOME": home, "XDG_CONFIG_HOME": home + "/.config"]

        #expect(try dsv(["remote", "add", "origin", url], in: alice).status == 0)
        let anonymous = try dsv(["push"], in: alice, environment: withStore)
        #expect(anonymous.status == 69)
        #expect(anonymous.stderr.contains("authentication required: put the user and password in the URL or in ~/.git-credentials"))
        #expect(try dsv(["remote", "add", "wrong", "http://alice:nope@127.0.0.1:\(server.port)/server.git"], in: alice).status == 0)
        let wrong = try dsv(["push", "wrong"], in: alice, environment: withStore)
        #expect(wrong.status == 69)
        #expect(wrong.stderr.contains("alice:***@") && !wrong.stderr.contains("nope"), "the password is not printed")
        #expect(!(try dsv(["remote", "-v"], in: alice).stdout.contains("nope")))

        root.write("home/.git-credentials", "http://alice:s3cret@127.0.0.1:\(server.port)\n")
        let push = try dsv(["push", "--tags"], in: alice, environment: withStore)
        #expect(push.status == 0, "\(push.stderr)")
        let clone = try dsv(["clone", url, "bob"], in: root.path, environment: withStore)
        #expect(clone.status == 0, "\(clone.stderr)")
        #expect(try log(root.file("bob")) == log(alice))
    }

    @Test func unreachableRemotesAndUnknownNames() throws {
        let (root, _, alice) = try team()
        #expect(try dsv(["remote", "add", "dead", "git://127.0.0.1:1/x.git"], in: alice).status == 0)
        let push = try dsv(["push", "dead"], in: alice)
        #expect(push.status == 69)
        #expect(push.stderr == "dsv: error: git://127.0.0.1:1/x.git: failed to connect to 127.0.0.1: Connection refused\n")
        #expect(try dsv(["push", "nowhere"], in: alice).stderr.contains("no remote 'nowhere' (remotes: dead)"))
        #expect(try dsv(["remote", "add", "dead", "x"], in: alice).status == 2)
        let clone = try dsv(["clone", "git://127.0.0.1:1/x.git", "gone"], in: root.path)
        #expect(clone.status == 69)
        #expect(!FileManager.default.fileExists(atPath: root.file("gone")), "a failed clone leaves nothing")
    }
}

/// The images prefix travels with the history: in a fresh clone, `materialize` works and the
/// next `commit` pins against the same prefix without `--images`.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct SharingWithS3Tests {
    let s3 = TestS3.current!

    @Test func aCloneMaterializesAndCommitsAgainstTheSamePrefix() throws {
        let bucket = try s3.makeBucket("share")
        let client = try s3.client()
        for name in ["a.jpg", "b.jpg", "c.jpg"] { try client.putObject(bucket: bucket, key: "p/\(name)", body: Array(name.utf8)) }
        let root = TemporaryDirectory("dsv-share-s3")
        let server = root.file("server.git")
        #expect(try runProcess("git", ["init", "-q", "--bare", server]).status == 0)
        let alice = root.file("alice")
        try FileManager.default.createDirectory(atPath: alice, withIntermediateDirectories: true)
        #expect(try dsv(["init"], in: alice).status == 0)
        root.write("alice/r1.json", SharingCommandTests.round1)
        #expect(try dsv(["commit", "r1.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: alice).status == 0)
        #expect(try dsv(["remote", "add", "origin", server], in: alice).status == 0)
        #expect(try dsv(["push"], in: alice).status == 0)

        let clone = try dsv(["clone", server, "trainer"], in: root.path)
        #expect(clone.status == 0, "\(clone.stderr)")
        #expect(clone.stdout.contains("images prefix: s3://\(bucket)/p/"))
        let trainer = root.file("trainer")
        let materialize = try dsv(["materialize", "--out", "images", "--cache", root.file("cache")], in: trainer)
        #expect(materialize.status == 0, "\(materialize.stderr)")
        #expect(FileManager.default.contents(atPath: "\(trainer)/images/b.jpg") == Data("b.jpg".utf8))
        root.write("trainer/r2.json", SharingCommandTests.round2)
        let commit = try dsv(["commit", "r2.json", "-m", "r2"], in: trainer)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("pinned 3 of 3 images in s3://\(bucket)/p/"))
    }
}

/// `git daemon` on a free loopback port serving a folder, pushes enabled; detached with a pid
/// file and stopped by that pid.
final class GitDaemon {
    let port: Int
    private let pidFile: String

    init(basePath: String) throws {
        let finder = try runProcess("python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"])
        port = Int(finder.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        pidFile = basePath + "/git-daemon.pid"
        // Started with posix_spawn and wait4: Foundation's Process never sees `git` exit once
        // the daemon it started has detached.
        let started = ChildProcess.run(["git", "daemon", "--detach", "--pid-file=\(pidFile)", "--reuseaddr", "--export-all",
                                        "--enable=receive-pack", "--listen=127.0.0.1", "--port=\(port)",
                                        "--base-path=\(basePath)", basePath])
        #expect(started.status == 0, "git daemon did not start")
        for _ in 0..<100 {
            if try runProcess("git", ["ls-remote", "git://127.0.0.1:\(port)/server.git"]).status == 0 { return }
            usleep(50_000)
        }
    }

    deinit {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
    }
}
