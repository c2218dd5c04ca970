import DSVStorage
import Testing

/// The URLs users copy from CVAT's pages, and what they name.
@Suite struct CVATLocationTests {
    @Test(arguments: [
        ("https://cvat.example.com/projects/3", "https://cvat.example.com", CVATLocation.Resource.project(3), nil as String?),
        ("https://cvat.example.com/projects/3/", "https://cvat.example.com", .project(3), nil),
        ("https://cvat.example.com/tasks/12", "https://cvat.example.com", .task(12), nil),
        ("https://cvat.example.com/tasks/12/jobs/45", "https://cvat.example.com", .job(45, task: 12), nil),
        ("https://cvat.example.com/tasks/12/jobs/45?frame=7", "https://cvat.example.com", .job(45, task: 12), nil),
        ("http://127.0.0.1:8080/jobs/45", "http://127.0.0.1:8080", .job(45, task: nil), nil),
        ("https://app.cvat.ai/projects/3?org=acme#top", "https://app.cvat.ai", .project(3), "acme"),
        ("https://example.com/cvat/projects/3?page=2&org=my%20team", "https://example.com/cvat", .project(3), "my team"),
        ("https://cvat.example.com/api/jobs/45", "https://cvat.example.com", .job(45, task: nil), nil),
    ])
    func browserURLs(url: String, server: String, resource: CVATLocation.Resource, organization: String?) throws {
        let location = try CVATLocation(url: url)
        #expect(location.server == server)
        #expect(location.resource == resource)
        #expect(location.organization == organization)
        #expect(location.user == nil && location.password == nil)
    }

    /// Credentials in a URL are taken apart from it: the location, its description and its
    /// errors never carry them.
    @Test func credentialsInTheURLAreTakenApart() throws {
        let location = try CVATLocation(url: "https://alice:s%3Acret@cvat.example.com/tasks/12")
        #expect(location.user == "alice" && location.password == "s:cret")
        #expect(location.server == "https://cvat.example.com")
        #expect(location.description == "https://cvat.example.com/tasks/12")
        #expect(throws: CVATError.self) { try CVATLocation(url: "https://alice:secret@cvat.example.com/models/1") }
        do {
            _ = try CVATLocation(url: "https://alice:secret@cvat.example.com/models/1")
        } catch {
            #expect(!error.description.contains("secret") && error.description.contains("https://cvat.example.com/models/1"))
        }
    }

    @Test(arguments: ["https://cvat.example.com", "https://cvat.example.com/projects", "https://cvat.example.com/projects/0",
                      "https://cvat.example.com/projects/x", "https://cvat.example.com/tasks/12/jobs", "https://cvat.example.com/models/1",
                      "https://cvat.example.com/projects/3/tasks", "https:///projects/3", "ftp://cvat.example.com/projects/3"])
    func whatNamesNoProjectTaskOrJob(url: String) {
        #expect(throws: CVATError.self) { try CVATLocation(url: url) }
    }

    @Test func versionsDecideTheExportFlow() {
        #expect(CVATVersion("2.16.0")!.hasRequestsAPI && CVATVersion("2.80.0")!.hasRequestsAPI)
        #expect(!CVATVersion("2.15.3")!.hasRequestsAPI && !CVATVersion("2.4.0")!.hasRequestsAPI)
        #expect(CVATVersion("2.10.3-dev") == CVATVersion(2, 10) && CVATVersion("v2.26.2")! > CVATVersion(2, 16))
        #expect(CVATVersion("dev") == nil)
    }
}
