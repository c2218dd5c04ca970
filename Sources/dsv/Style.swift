import Glibc

/// Terminal colors: only when stdout is a terminal and `NO_COLOR` is unset (no-color.org).
enum Style {
    static let enabled: Bool = isatty(1) == 1 && getenv("NO_COLOR") == nil && getenv("TERM").map { String(cString: $0) } != "dumb"

    static func paint(_ text: String, _ code: String) -> String {
        enabled && !text.isEmpty ? opening(code) + text + closing : text
    }

    /// What starts text in the colour `code` stands for, and what ends it.
    static func opening(_ code: String) -> String { "\u{1B}[\(code)m" }
    static let closing = "\u{1B}[0m"

    static let addedCode = "32", removedCode = "31", modifiedCode = "33"

    static func commit(_ text: String) -> String { paint(text, "33") }
    static func tag(_ text: String) -> String { paint(text, "1;36") }
    static func added(_ text: String) -> String { paint(text, addedCode) }
    static func removed(_ text: String) -> String { paint(text, removedCode) }
    static func modified(_ text: String) -> String { paint(text, modifiedCode) }
    static func bold(_ text: String) -> String { paint(text, "1") }
}
