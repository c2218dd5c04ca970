/// git's plain credential store (`git credential-store`): lines of
/// `https://user:password@host[:port][/path]`, percent-encoded, in `~/.git-credentials` or
/// `$XDG_CONFIG_HOME/git/credentials`. Read, never written: dsv takes credentials as git would
/// find them and keeps none of its own.
enum GitCredentialStore {
    struct Entry: Equatable {
        var scheme: String
        var host: String
        var username: String
        var password: String
    }

    static func lookup(url: String, username: String?) -> (username: String, password: String)? {
        guard let target = parse(url) else { return nil }
        let home = ProcessEnvironment.value("HOME") ?? ""
        let config = ProcessEnvironment.value("XDG_CONFIG_HOME") ?? home + "/.config"
        for file in [home + "/.git-credentials", config + "/git/credentials"] {
            guard let bytes = try? FileSystem.read(file) else { continue }
            for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
                guard let entry = parse(String(line)), entry.scheme == target.scheme, entry.host == target.host,
                      username == nil || username == entry.username else { continue }
                return (entry.username, entry.password)
            }
        }
        return nil
    }

    /// The URL with its password (if any) replaced by `***`, for messages: secrets are never
    /// printed.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<rest.index(after: colon)]) + "***" + String(url[at...])
    }

    /// Scheme, host (with port), user and password of a URL.
    static func parse(_ url: String) -> Entry? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var username = "", password = ""
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = percentDecoded(userInfo[..<colon])
                password = percentDecoded(userInfo[userInfo.index(after: colon)...])
            } else {
                username = percentDecoded(userInfo)
            }
        }
        return Entry(scheme: scheme, host: rest.lowercased(), username: username, password: password)
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
