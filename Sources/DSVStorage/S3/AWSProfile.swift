import DSVNative

/// The shared AWS files: `~/.aws/credentials` (keys per profile) and `~/.aws/config` (region,
/// `endpoint_url`, `s3 = addressing_style = …` per `[profile NAME]`, `[default]`). Paths follow
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` when set.
public struct AWSProfile: Sendable, Equatable {
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    public var region: String?
    public var endpointURL: String?
    /// `path` or `virtual` (from the profile's `s3` section).
    public var addressingStyle: String?

    /// The profile `name` (default: `AWS_PROFILE`, else `default`) from the shared files.
    public static func load(_ name: String? = nil) -> AWSProfile {
        let profile = name ?? ProcessEnvironment.value("AWS_PROFILE") ?? "default"
        let home = ProcessEnvironment.value("HOME") ?? ""
        let credentialsPath = ProcessEnvironment.value("AWS_SHARED_CREDENTIALS_FILE") ?? "\(home)/.aws/credentials"
        let configPath = ProcessEnvironment.value("AWS_CONFIG_FILE") ?? "\(home)/.aws/config"
        let credentials = IniFile.parse(text(credentialsPath))[profile] ?? [:]
        let config = IniFile.parse(text(configPath))
        let section = config[profile == "default" ? "default" : "profile \(profile)"] ?? [:]
        return AWSProfile(accessKeyID: credentials["aws_access_key_id"] ?? section["aws_access_key_id"],
                          secretAccessKey: credentials["aws_secret_access_key"] ?? section["aws_secret_access_key"],
                          sessionToken: credentials["aws_session_token"] ?? section["aws_session_token"],
                          region: section["region"], endpointURL: section["s3.endpoint_url"] ?? section["endpoint_url"],
                          addressingStyle: section["s3.addressing_style"])
    }

    static func text(_ path: String) -> String {
        (try? FileSystem.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// The INI dialect of the AWS files: `[section]`, `key = value`, `#`/`;` comments, and indented
/// sub-keys under a key with an empty value (`s3 =` then `  addressing_style = path`), which
/// come out as `s3.addressing_style`.
enum IniFile {
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var section = ""
        var parent: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let indented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: " \t")
                parent = nil
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: " \t").lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: " \t")
            if indented, let parent {
                sections[section, default: [:]]["\(parent).\(key)"] = value
            } else if value.isEmpty {
                parent = key
            } else {
                parent = nil
                sections[section, default: [:]][key] = value
            }
        }
        return sections
    }
}
