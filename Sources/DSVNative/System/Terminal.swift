import Glibc

/// The terminal of the person running dsv, for the one thing dsv ever asks of them: a password.
public enum Terminal {
    /// Whether standard input is a terminal someone could type on.
    public static var standardInputIsTerminal: Bool { isatty(0) == 1 }

    /// Asks for a secret on the controlling terminal (`/dev/tty`) with echo off, and restores the
    /// terminal after; nil when there is no terminal or nothing was read.
    /// The corresponding C functions are `tcgetattr` and `tcsetattr`.
    public static func readSecret(prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { return nil }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 && byte != UInt8(ascii: "\n") { line.append(byte) }
        _ = tcsetattr(fd, TCSAFLUSH, &saved)
        _ = write(fd, "\n", 1)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }
}
