import DSVStorage

/// The images prefix travels with the history: every version records its own in
/// `dataset.json`. After a clone or a pull, a repository without a `dsv.images` setting takes
/// the newest version's, so that the next `dsv commit` pins against the same prefix without
/// `--images`.
public enum ImagesPrefixAdoption {
    /// The prefix adopted, or nil when the setting was already there or no version has one.
    @discardableResult
    public static func adopt(in repository: DatasetRepository) throws(RepositoryError) -> String? {
        try repository.withWriteLock { () throws(RepositoryError) -> String? in
            guard try repository.setting("images") == nil, let head = try repository.head() else { return nil }
            guard let prefix = try StoredVersion(repository: repository, commitID: head).summary.imagesPrefix else { return nil }
            try repository.setSetting("images", to: prefix)
            return prefix
        }
    }
}
