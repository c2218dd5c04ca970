import CGit2
import CGit2Shim
import Glibc

/// What libgit2's remote callbacks need during one fetch, push or clone: the progress sink,
/// the credentials still to try, and the references the remote refused. Passed to the C
/// callbacks as their payload (`Unmanaged`), so they capture nothing.
final class GitTransferContext {
    let url: String
    let progress: ((GitTransferProgress) -> Void)?
    /// Credentials tried so far, by kind; each is offered once, so a wrong one ends the
    /// transfer instead of looping.
    var triedAgent = false
    var triedKeys: Set<String> = []
    var triedStoredPassword = false
    var rejected: [(reference: String, status: String)] = []
    /// Why no credential could be offered, for the error message.
    var credentialProblem: String?

    /// Every transfer makes one first: the CA bundle libgit2's initialisation left for later is
    /// parsed now, before any TLS connection (see `dsv_git_load_certificates`).
    init(url: String, progress: ((GitTransferProgress) -> Void)?) {
        GitLibrary.ensure()
        dsv_git_load_certificates()
        self.url = url
        self.progress = progress
    }

    func install(in callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, username, allowed, payload in
            let context = Unmanaged<GitTransferContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.credential(out, url: url.map { String(cString: $0) } ?? "",
                                      username: username.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.transfer_progress = { stats, payload in
            let context = Unmanaged<GitTransferContext>.fromOpaque(payload!).takeUnretainedValue()
            guard let stats = stats?.pointee, let progress = context.progress else { return 0 }
            let receiving = stats.received_objects < stats.total_objects
            progress(GitTransferProgress(phase: receiving ? .receiving : .indexing,
                                         done: Int(receiving ? stats.received_objects : stats.indexed_objects),
                                         total: Int(stats.total_objects), bytes: Int(stats.received_bytes)))
            return 0
        }
        callbacks.push_transfer_progress = { current, total, bytes, payload in
            let context = Unmanaged<GitTransferContext>.fromOpaque(payload!).takeUnretainedValue()
            context.progress?(GitTransferProgress(phase: .sending, done: Int(current), total: Int(total), bytes: bytes))
            return 0
        }
        callbacks.push_update_reference = { reference, status, payload in
            let context = Unmanaged<GitTransferContext>.fromOpaque(payload!).takeUnretainedValue()
            if let status, let reference { context.rejected.append((String(cString: reference), String(cString: status))) }
            return 0
        }
    }

    /// Throws for a failed call, naming a credential problem when that was the cause.
    func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(GitError) {
        guard code < 0 else { return }
        var error = GitError(code: code, operation: operation())
        if let credentialProblem, code == GIT_EAUTH.rawValue || code == GIT_EUSER.rawValue || code == -1 {
            error = GitError(code: GIT_EAUTH.rawValue, operation: operation(), message: credentialProblem)
        }
        throw error
    }

    /// The next credential for libgit2 to try: for SSH the agent, then the keys in `~/.ssh`; for
    /// HTTPS the user and password of the URL (libgit2 tries those itself), then the matching
    /// line of git's credential store (`~/.git-credentials`, `$XDG_CONFIG_HOME/git/credentials`).
    func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, url: String, username: String?, allowed: UInt32) -> Int32 {
        let user = username ?? ProcessEnvironmentUser.name
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, username ?? "git")
        }
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            if !triedAgent, getenv("SSH_AUTH_SOCK") != nil {
                triedAgent = true
                if git_credential_ssh_key_from_agent(out, user) == 0 { return 0 }
            }
            let home = getenv("HOME").map { String(cString: $0) } ?? ""
            for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                let key = "\(home)/.ssh/\(name)"
                guard !triedKeys.contains(key), access(key, R_OK) == 0 else { continue }
                triedKeys.insert(key)
                let publicKey = access(key + ".pub", R_OK) == 0 ? key + ".pub" : nil
                if git_credential_ssh_key_new(out, user, publicKey, key, nil) == 0 { return 0 }
            }
            credentialProblem = "SSH authentication failed (tried \(triedAgent ? "the ssh-agent and " : "")\(triedKeys.isEmpty ? "no key" : triedKeys.sorted().joined(separator: ", ")))"
            return GIT_EAUTH.rawValue
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            // libgit2 tries a password in the URL itself before asking.
            if GitCredentialStore.parse(self.url)?.password.isEmpty == false {
                credentialProblem = "authentication failed with the user and password in the URL"
                return GIT_EAUTH.rawValue
            }
            if !triedStoredPassword, let stored = GitCredentialStore.lookup(url: url, username: username) {
                triedStoredPassword = true
                return git_credential_userpass_plaintext_new(out, stored.username, stored.password)
            }
            credentialProblem = triedStoredPassword
                ? "authentication failed with the credentials stored for this host"
                : "authentication required: put the user and password in the URL or in ~/.git-credentials"
            return GIT_EAUTH.rawValue
        }
        credentialProblem = "the remote asks for a kind of authentication dsv does not offer"
        return GIT_EAUTH.rawValue
    }
}

enum ProcessEnvironmentUser {
    static var name: String { getenv("USER").map { String(cString: $0) } ?? "git" }
}
