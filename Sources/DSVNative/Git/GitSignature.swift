import CGit2

/// Who made a commit, and when.
public struct GitSignature: Sendable, Equatable {
    public var name: String
    public var email: String
    /// Seconds since the epoch.
    public var time: Int64
    public var offsetMinutes: Int

    /// The time as `git log` prints it, in the signer's own offset.
    public var displayedTime: String { UTCClock.display(time, offsetMinutes: offsetMinutes) }
    /// The time in UTC, ISO 8601, for JSON.
    public var iso8601Time: String { UTCClock.iso8601(time) }

    public init(name: String, email: String, time: Int64, offsetMinutes: Int) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    /// The signature as libgit2 would write it into a commit: name and email trimmed of the
    /// spaces and punctuation it trims, and refused when either holds an angle bracket or is
    /// left empty — so that a commit composed without libgit2 (`GitObject.commit`) is the one
    /// libgit2 would have written. The corresponding C function is `git_signature_new`.
    public func normalized() throws(GitError) -> GitSignature {
        // Its refusal is reported through libgit2's per-thread error state, which must exist.
        GitLibrary.ensure()
        var signature: UnsafeMutablePointer<git_signature>?
        try gitCheck(git_signature_new(&signature, name, email, git_time_t(time), Int32(offsetMinutes)),
                     "make signature for \(name)")
        defer { git_signature_free(signature) }
        return GitSignature(name: String(cString: signature!.pointee.name), email: String(cString: signature!.pointee.email),
                            time: time, offsetMinutes: offsetMinutes)
    }

    /// The signature's line in a commit object, after `author ` or `committer `, as libgit2
    /// writes it: `Name <email> 1733370000 +0100` (libgit2 writes the time as a 32-bit unsigned
    /// number: the same text for any time from 1970 to 2106).
    public var line: String {
        let offset = abs(offsetMinutes)
        let zone = (offsetMinutes < 0 ? "-" : "+") + twoDigits(offset / 60) + twoDigits(offset % 60)
        return "\(name) <\(email)> \(time) \(zone)"
    }

    private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
