import DSVNative

/// How dsv proves who it is to CVAT, as cvat-cli takes it: a personal access token
/// (`CVAT_ACCESS_TOKEN`, sent as `Authorization: Bearer`), a user and password (a login, or Basic
/// where the server has none), or nothing for a server that asks for nothing.
public enum CVATCredentials: Sendable {
    case accessToken(String)
    case password(user: String, password: String)
    case none

    /// The credentials as cvat-cli takes them: `--auth USER:PASS`, or `--auth USER` with the
    /// password from `PASS` or, on a terminal only, a prompt; else `CVAT_ACCESS_TOKEN`; else a
    /// user written into the URL; else none.
    public static func resolve(auth: String?, location: CVATLocation) throws(CVATError) -> CVATCredentials {
        if let auth {
            if let colon = auth.firstIndex(of: ":") {
                return .password(user: String(auth[..<colon]), password: String(auth[auth.index(after: colon)...]))
            }
            return .password(user: auth, password: try password(for: auth, server: location.server))
        }
        if let token = ProcessEnvironment.value("CVAT_ACCESS_TOKEN") { return .accessToken(token) }
        if let user = location.user {
            if let written = location.password { return .password(user: user, password: written) }
            return .password(user: user, password: try password(for: user, server: location.server))
        }
        return .none
    }

    private static func password(for user: String, server: String) throws(CVATError) -> String {
        if let password = ProcessEnvironment.value("PASS") { return password }
        guard Terminal.standardInputIsTerminal, let typed = Terminal.readSecret(prompt: "Password for \(user) at \(server): ") else {
            throw .noPassword("no password for \(user) at \(server): set PASS, or run dsv on a terminal to be asked")
        }
        return typed
    }
}
