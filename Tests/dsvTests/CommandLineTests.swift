import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The binary itself, as a user runs it.
@Suite struct CommandLineTests {
    @Test func initCreatesARepositoryGitAccepts() throws {
        let dir = TemporaryDirectory()
        let result = try dsv(["init", "data"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Initialized empty dsv repository"))
        #expect(try gitFsck(dir.file("data/.dsv")).status == 0)
        let again = try dsv(["init", "data"], in: dir.path)
        #expect(again.status != 0)
        #expect(again.stderr.hasPrefix("dsv: error: a dsv repository already exists"))
        #expect(again.stderr.split(separator: "\n").count == 1)
    }

    /// Output that cannot be written (a full disk, a closed descriptor) is an I/O error, exit
    /// 74 with one line, not a silent success — for the summary `print` buffers and for a
    /// review written in runs alike.
    @Test func unwritableOutputIsAnError() throws {
        let dir = TemporaryDirectory()
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let categories = #"[{"id":1,"name":"car"}]"#
        for (round, x) in [(1, 10), (2, 12)] {
            let export = #"{"categories":\#(categories),"images":[{"id":1,"file_name":"a.jpg","width":64,"height":48}],"#
                + #""annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[\#(x),1,5,5]}]}"#
            try export.write(toFile: dir.file("round\(round).json"), atomically: true, encoding: .utf8)
            #expect(try dsv(["commit", "round\(round).json", "-m", "round \(round)"], in: dir.path).status == 0)
        }
        for command in ["log", "diff --stat", "diff", "show HEAD"] {
            for redirect in ["> /dev/full", ">&-"] {
                let result = try runProcess("/bin/sh", ["-c", "\"$0\" \(command) \(redirect)", dsvBinary], in: dir.path)
                #expect(result.status == 74, "\(command) \(redirect): \(result.stderr)")
                #expect(result.stderr.hasPrefix("dsv: error: cannot write standard output: "), "\(command) \(redirect)")
                #expect(result.stderr.split(separator: "\n").count == 1)
            }
        }
    }

    /// A new repository beside an export of one image, `round1.json`, not yet committed.
    static func repositoryWithOneImageExport() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let export = #"{"categories":[],"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[]}"#
        try export.write(toFile: dir.file("round1.json"), atomically: true, encoding: .utf8)
        return dir
    }

    /// libcurl is loaded only by what talks to S3 or CVAT: its library tree would cost every
    /// command about 5 ms and 4 MB. Looked at in the process's own map while it waits to open
    /// its export (a FIFO: the kernel shows it waiting for a writer), its start behind it.
    @Test func aLocalCommandLoadsNoNetworkLibrary() throws {
        let dir = try Self.repositoryWithOneImageExport()
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        let script = #"""
            mkfifo export.json
            "$0" status export.json & pid=$!
            tries=0
            until [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] || ! kill -0 $pid 2>/dev/null; do
                tries=$((tries + 1)); [ $tries -le 3000 ] || { echo "never waited for its export"; break; }; sleep 0.01
            done
            grep -c libcurl /proc/$pid/maps
            echo '{"images": []}' > export.json
            wait $pid
            """#
        let result = try runProcess("/bin/sh", ["-c", script, dsvBinary], in: dir.path)
        #expect(result.stdout.split(separator: "\n").first == "0", "\(result.stdout) \(result.stderr)")
    }

    /// A libcurl that cannot be loaded (a broken install; here a file that is no library, found
    /// first) fails only the commands that need it, with one line and "unavailable" (69).
    @Test func aLibcurlThatCannotBeLoadedFailsOnlyTheTransfer() throws {
        let dir = try Self.repositoryWithOneImageExport()
        let script = #"""
            mkdir lib && echo "not a library" > lib/libcurl.so.4
            export LD_LIBRARY_PATH="$PWD/lib" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_ENDPOINT_URL=http://127.0.0.1:9
            "$0" commit round1.json --images s3://bucket/frames/ -m pinned; echo "exit $?"
            "$0" commit http://127.0.0.1:9/projects/3 -m cvat; echo "exit $?"
            "$0" commit round1.json -m local; echo "exit $?"
            """#
        let result = try runProcess("/bin/sh", ["-c", script, dsvBinary], in: dir.path)
        let errors = result.stderr.split(separator: "\n")
        #expect(errors.count == 2, "\(result.stderr)")
        #expect(errors.allSatisfy { $0.contains("unavailable") && $0.contains("libcurl cannot be loaded") }, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("exit") } == ["exit 69", "exit 69", "exit 0"], "\(result.stdout)")
    }

    /// An export piped in (`/dev/stdin`, `<(…)`) has no size to map: it is read to its end, here
    /// past the first megabyte, and committed as a file would be.
    @Test func anExportThroughAPipe() throws {
        let dir = TemporaryDirectory()
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let images = (1...2_000).map { #"{"id":\#($0),"file_name":"frame_\#($0).jpg","width":640,"height":480}"# }
        let annotations = (1...12_000).map {
            #"{"id":\#($0),"image_id":\#(($0 - 1) % 2_000 + 1),"category_id":1,"bbox":[\#($0 % 600).5,12.25,40.0,30.0],"area":1200.0,"iscrowd":0}"#
        }
        let export = #"{"categories":[{"id":1,"name":"car"}],"images":["# + images.joined(separator: ",")
            + #"],"annotations":["# + annotations.joined(separator: ",") + "]}"
        #expect(export.utf8.count > 1 << 20)
        try export.write(toFile: dir.file("round1.json"), atomically: true, encoding: .utf8)
        let piped = try runProcess("/bin/sh", ["-c", #"cat round1.json | "$0" commit /dev/stdin -m piped"#, dsvBinary], in: dir.path)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try dsv(["checkout", "HEAD", "-o", "out.json"], in: dir.path).status == 0)
        #expect(try String(contentsOfFile: dir.file("out.json"), encoding: .utf8) == export)
        let status = try runProcess("/bin/sh", ["-c", #"cat round1.json | "$0" status /dev/stdin --exit-code"#, dsvBinary], in: dir.path)
        #expect(status.status == 0, "\(status.stdout) \(status.stderr)")

        // `-` is the standard input too, as for most Unix tools, and named "stdin" as it is.
        let renamed = export.replacingOccurrences(of: #""name":"car""#, with: #""name":"truck""#)
        try renamed.write(toFile: dir.file("round2.json"), atomically: true, encoding: .utf8)
        let dashStatus = try runProcess("/bin/sh", ["-c", #"cat round2.json | "$0" status - --stat"#, dsvBinary], in: dir.path)
        #expect(dashStatus.status == 0 && dashStatus.stdout.hasPrefix("status: stdin against HEAD ("), "\(dashStatus.stdout) \(dashStatus.stderr)")
        #expect(dashStatus.stdout.contains("categories added: truck"), "\(dashStatus.stdout)")
        let dashed = try runProcess("/bin/sh", ["-c", #"cat round2.json | "$0" commit - -m dashed"#, dsvBinary], in: dir.path)
        #expect(dashed.status == 0, "\(dashed.stderr)")
        #expect(try dsv(["checkout", "HEAD", "-o", "out.json"], in: dir.path).status == 0)
        #expect(try String(contentsOfFile: dir.file("out.json"), encoding: .utf8) == renamed)
        #expect(try dsv(["show", "HEAD"], in: dir.path).stdout.contains("\n  stdin  "), "the source is named stdin")
    }

    /// A command's exit leaves the unmapping of its memory to a process of its own that ends
    /// right after it (`dsv_exit_leaving_memory`): the lock is free the moment the command has
    /// exited, and nothing it started outlives it. Run under a subreaper (Python, by `prctl`), so
    /// that the processes the commands leave are the script's to wait for and count: one a
    /// command, ended — and none in a PID namespace of its own (a container, whose init may never
    /// reap them) nor under a sanitizer (`make sanitize` names it), where the exit is the usual one.
    @Test func anExitLeavesTheLockFreeAndNoProcessBehind() throws {
        let script = #"""
            import ctypes, fcntl, os, subprocess, sys, time
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            dsv = sys.argv[1]
            for round in range(1, 6):
                with open("round1.json", "w") as f:
                    f.write('{"images":[{"id":1,"file_name":"a.jpg","width":%d}],"annotations":[]}' % round)
                done = subprocess.run([dsv, "commit", "round1.json", "-m", "round %d" % round], capture_output=True)
                if done.returncode != 0: sys.exit("commit: " + done.stderr.decode())
                lock = os.open(".dsv/dsv.lock", os.O_RDWR)
                try: fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError: sys.exit("the lock is still held after round %d" % round)
                os.close(lock)
            left, deadline = 0, time.monotonic() + 10
            while True:
                try: pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError: break
                if pid == 0:
                    if time.monotonic() > deadline: sys.exit("a process outlived its command")
                    time.sleep(0.01)
                else:
                    left += 1
            print("ok, %d left" % left)
            """#
        // The machine's own PID namespace has a fixed inode number (PROC_PID_INIT_INO).
        var namespace = stat()
        let contained = stat("/proc/self/ns/pid", &namespace) != 0 || namespace.st_ino != 0xEFFF_FFFC
        let leaving = ProcessInfo.processInfo.environment["DSV_SANITIZER"] == nil && !contained
        let dir = try Self.repositoryWithOneImageExport()
        let result = try runProcess("python3", ["-c", script, dsvBinary], in: dir.path)
        #expect(result.stdout == "ok, \(leaving ? 5 : 0) left\n", "\(result.stdout) \(result.stderr)")
        #expect(try dsv(["log"], in: dir.path).stdout.split(separator: "\n").filter { $0.hasPrefix("commit ") }.count == 5)

        // In a PID namespace of its own, where the script is the init, when this machine lets
        // the test make one.
        guard try runProcess("unshare", ["--pid", "--fork", "--mount-proc", "true"]).status == 0 else { return }
        let inContainer = try Self.repositoryWithOneImageExport()
        let inside = try runProcess("unshare", ["--pid", "--fork", "--mount-proc", "python3", "-c", script, dsvBinary],
                                    in: inContainer.path)
        #expect(inside.stdout == "ok, 0 left\n", "\(inside.stdout) \(inside.stderr)")
    }

    @Test func initWithDashC() throws {
        let dir = TemporaryDirectory()
        let result = try dsv(["init", "-C", dir.file("project")], in: "/")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try gitFsck(dir.file("project/.dsv")).status == 0)
    }

    @Test func versionAndHelp() throws {
        let version = try dsv(["--version"], in: "/")
        #expect(version.status == 0)
        #expect(version.stdout.first?.isNumber == true)
        let help = try dsv(["--help"], in: "/")
        #expect(help.status == 0)
        #expect(help.stdout.contains("init"))
        for (words, usage) in [(["help", "remote", "add"], "USAGE: dsv remote add"),
                               (["help", "log", "HEAD"], "USAGE: dsv log")] {
            let topic = try dsv(words, in: "/")
            #expect(topic.status == 0 && topic.stdout.contains(usage), "\(words): \(topic.stdout)")
        }
    }

    @Test func usageErrorsExit2WithOneLine() throws {
        let expected = [
            ["frobnicate"]: "dsv: error: Unexpected argument 'frobnicate' (see 'dsv --help')\n",
            ["init", "--bogus"]: "dsv: error: Unknown option '--bogus' (see 'dsv init --help')\n",
            ["init", "a", "b"]: "dsv: error: Unexpected argument 'b' (see 'dsv init --help')\n",
            ["log", "-n"]: "dsv: error: Missing value for '-n <n>' (see 'dsv log --help')\n",
            ["materialize", "HEAD", "--out", "m", "-j", "0"]: "dsv: error: -j must be at least 1 (see 'dsv materialize --help')\n",
            ["remote", "add", "origin"]: "dsv: error: Missing expected argument '<url>' (see 'dsv remote add --help')\n",
            ["remote", "bogus"]: "dsv: error: Unexpected argument 'bogus' (see 'dsv remote --help')\n",
            ["-C", "/", "log", "-n"]: "dsv: error: Missing value for '-n <n>' (see 'dsv log --help')\n",
            ["help", "nope"]: "dsv: error: 'nope' is not a dsv command (see 'dsv --help')\n",
            ["help", "remote", "nope"]: "dsv: error: 'nope' is not a dsv remote command (see 'dsv remote --help')\n",
        ]
        for (arguments, line) in expected {
            let result = try dsv(arguments, in: "/")
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr == line, "\(arguments): \(result.stderr)")
        }
    }
}
