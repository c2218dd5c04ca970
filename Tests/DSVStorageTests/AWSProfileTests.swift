@testable import DSVStorage
import Testing

@Suite struct AWSProfileTests {
    @Test func iniFilesWithNestedS3Settings() {
        let config = IniFile.parse("""
            [default]
            region = eu-west-1
            # a comment
            [profile lab]
            region = us-east-2
            endpoint_url = http://127.0.0.1:9000
            s3 =
              addressing_style = path
            """)
        #expect(config["default"]?["region"] == "eu-west-1")
        #expect(config["profile lab"]?["region"] == "us-east-2")
        #expect(config["profile lab"]?["endpoint_url"] == "http://127.0.0.1:9000")
        #expect(config["profile lab"]?["s3.addressing_style"] == "path")
    }

    @Test func credentialsNeverAppearInDescriptions() {
        let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret", sessionToken: "token")
        #expect(!credentials.description.contains("very-secret"))
        #expect(!"\(credentials)".contains("token"))
    }
}
