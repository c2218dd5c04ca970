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
        guard let userInfo = authority(of: url)?.userInfo, let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[...colon]) + "***" + String(url[userInfo.endIndex...])
    }

    /// Scheme, host (with port), user and password of a URL.
    static func parse(_ url: String) -> Entry? {
        guard let parts = authority(of: url) else { return nil }
        var username = "", password = ""
        if let userInfo = parts.userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                username = percentDecoded(userInfo[..<colon])
                password = percentDecoded(userInfo[userInfo.index(after: colon)...])
            } else {
                username = percentDecoded(userInfo)
            }
        }
        return Entry(scheme: parts.scheme.lowercased(), host: parts.host.lowercased(), username: username, password: password)
    }

    /// The pieces of `scheme://[userinfo@]host[:port]/…`, as slices of the URL.
    static func authority(of url: String) -> (scheme: Substring, userInfo: Substring?, host: Substring)? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let at = rest.lastIndex(of: "@") else { return (url[..<schemeEnd.lowerBound], nil, rest) }
        return (url[..<schemeEnd.lowerBound], rest[..<at], rest[rest.index(after: at)...])
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
