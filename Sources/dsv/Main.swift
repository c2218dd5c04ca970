import ArgumentParser
import DSVDataset
import Glibc

/// The CLI edge: parse, run, and turn any error into one `dsv: error: …` line and an exit code
/// (SPEC §8). Nothing below this point prints or exits.
@main
enum Main {
    static func main() {
        // Traced phases are timed from here: what comes before the first mark shows too.
        let trace = Trace()
        let arguments = gitStyleArguments(Array(CommandLine.arguments.dropFirst()))
        if let name = arguments.first {
            // Before any thread has a heap: a heap is sized when its thread first allocates.
            if comparingCommands.contains(name) { HeapPolicy.keepFreedMemory() }
            // Beside the parsing, so that the first parallel phase finds them running; a command
            // without one would only pay for the thread (a third of a millisecond of `dsv log`).
            if parallelCommands.contains(name) { WorkerThreads.start() }
        }
        if let unknown = unknownHelpTopic(arguments) {
            writeStandardError("dsv: error: \(TerminalText.line(unknown))\n")
            exit(2)
        }
        let command: ParsableCommand
        do {
            command = try DSV.parseAsRoot(arguments)
        } catch {
            reportParseError(error, arguments: arguments)
        }
        do {
            trace.mark("parse arguments")
            var runnable = command
            try runnable.run()
            try StandardOutput.flush()
            trace.mark("flush")
            ProcessEnvironment.exitLeavingMemory(0)
        } catch let code as ExitCode {
            ProcessEnvironment.exitLeavingMemory(code.rawValue)
        } catch where DSV.exitCode(for: error) == .success {
            DSV.exit(withError: error)  // `dsv help`, `--help` and `--version` print and exit 0
        } catch {
            let failure = CLIFailure(error)
            writeStandardError("dsv: error: \(TerminalText.line(failure.message))\n")
            exit(failure.exitCode)
        }
    }

    /// The names of the commands that read a whole export or version on all cores.
    static let parallelCommands = Set([Commit.self, Status.self, Diff.self, Checkout.self, Materialize.self, Verify.self, Gc.self]
        .compactMap { ($0 as ParsableCommand.Type).configuration.commandName })

    /// The commands that compare versions and exports and then exit, which keep the heap they
    /// free (`HeapPolicy.keepFreedMemory`); a commit, whose peak memory is a promise, does not.
    static let comparingCommands = Set([Status.self, Diff.self].compactMap { ($0 as ParsableCommand.Type).configuration.commandName })

    /// Help and `--version` exit 0; every other parse failure is a usage error, exit 2, in one
    /// line as every error is (SPEC §8): the parser's message and the help that tells what the
    /// command takes — "Unknown option '--bogus' (see 'dsv init --help')" — where the parser
    /// would add a usage line and more.
    static func reportParseError(_ error: Error, arguments: [String]) -> Never {
        let code = DSV.exitCode(for: error)
        if code == .success { DSV.exit(withError: error) }
        let command = commandNamed(by: arguments).path
        writeStandardError("dsv: error: \(TerminalText.line("\(DSV.message(for: error)) (see '\(command) --help')"))\n")
        exit(2)
    }

    /// `dsv help nope` is a usage error as `dsv nope` is, where the parser prints the root help
    /// and exits 0 — a script asking for a command's help would not learn the command is gone.
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.first == "help" else { return nil }
        let (path, stray) = commandNamed(by: arguments.dropFirst())
        return stray.map { "'\($0)' is not a \(path) command (see '\(path) --help')" }
    }

    /// The command that `words` name as the parser reads them — subcommand names from the start,
    /// up to an option or a command without subcommands — as `dsv remote add`, and the word that
    /// named none where one was due (`bogus` of `dsv remote bogus`).
    static func commandNamed(by words: some Collection<String>) -> (path: String, stray: String?) {
        var command: ParsableCommand.Type = DSV.self
        var path = "dsv"
        for word in words {
            if word.hasPrefix("-") || command.configuration.subcommands.isEmpty { break }
            guard let next = command.configuration.subcommands.first(where: { $0.configuration.commandName == word }) else {
                return (path, word)
            }
            command = next
            path += " " + word
        }
        return (path, nil)
    }
}

/// `dsv -C DIR log` as git takes it: a leading `-C DIR` moves after the subcommand, where each
/// command declares it.
func gitStyleArguments(_ arguments: [String]) -> [String] {
    guard arguments.count >= 3, arguments[0] == "-C" else { return arguments }
    var rest = Array(arguments.dropFirst(2))
    rest.insert(contentsOf: ["-C", arguments[1]], at: 1)
    return rest
}

func writeStandardError(_ text: String) {
    var copy = text
    copy.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
