import DSVNative

/// Where and as whom to talk to S3, the AWS way: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`/
/// `AWS_ENDPOINT_URL` (custom endpoints use path-style addressing unless the profile says
/// `addressing_style = virtual`), `AWS_PROFILE` with `~/.aws/credentials` and `~/.aws/config`,
/// and no signing at all for public buckets (`--no-sign-request`).
public struct S3Configuration: Sendable {
    public var endpoint: S3Endpoint
    public var region: String
    public var credentials: S3Credentials?

    public init(endpoint: S3Endpoint, region: String, credentials: S3Credentials?) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
    }

    /// From the environment. Without credentials (and without `signRequests: false`) it is a
    /// configuration error that names what to set. An explicit `profile` (`--profile`) is read
    /// instead of `AWS_PROFILE`, and its keys win over `AWS_ACCESS_KEY_ID`, as the AWS CLI does.
    /// `defaultEndpoint` and `defaultRegion` apply where the environment and the profile name
    /// none (a CVAT cloud storage says where its bucket is).
    public static func fromEnvironment(signRequests: Bool = true, profile explicitProfile: String? = nil,
                                       defaultEndpoint: String? = nil, defaultRegion: String? = nil) throws(S3Error) -> S3Configuration {
        let env = ProcessEnvironment.self
        let profile = AWSProfile.load(explicitProfile)
        let region = env.value("AWS_REGION") ?? env.value("AWS_DEFAULT_REGION") ?? profile.region ?? defaultRegion ?? "us-east-1"
        let endpoint: S3Endpoint
        if let url = env.value("AWS_ENDPOINT_URL_S3") ?? env.value("AWS_ENDPOINT_URL") ?? profile.endpointURL ?? defaultEndpoint {
            endpoint = try S3Endpoint(url: url, pathStyle: profile.addressingStyle != "virtual")
        } else {
            var aws = S3Endpoint.aws(region: region)
            aws.pathStyle = profile.addressingStyle == "path"
            endpoint = aws
        }
        guard signRequests else { return S3Configuration(endpoint: endpoint, region: region, credentials: nil) }
        // Environment variables first, as the AWS tools take them, then the profile.
        let fromEnvironment = env.value("AWS_ACCESS_KEY_ID").flatMap { access in
            env.value("AWS_SECRET_ACCESS_KEY").map { (access, $0, env.value("AWS_SESSION_TOKEN")) }
        }
        let fromProfile = profile.accessKeyID.flatMap { access in profile.secretAccessKey.map { (access, $0, profile.sessionToken) } }
        guard let (access, secret, token) = explicitProfile != nil ? fromProfile ?? fromEnvironment : fromEnvironment ?? fromProfile else {
            throw .configuration("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials (or use --no-sign-request for a public bucket)")
        }
        return S3Configuration(endpoint: endpoint, region: region,
                               credentials: S3Credentials(accessKeyID: access, secretAccessKey: secret, sessionToken: token))
    }

    public func client() throws(S3Error) -> S3Client {
        try S3Client(endpoint: endpoint, region: region, credentials: credentials)
    }
}
