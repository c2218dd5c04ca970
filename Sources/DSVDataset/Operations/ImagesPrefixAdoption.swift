import DSVStorage

/// The images prefix travels with the history: every version records its own in
/// `dataset.json`. After a clone or a pull, a repository without a `dsv.images` setting takes
/// the newest version's, so that the next `dsv commit` pins against the same prefix without
/// `--images`.
public enum ImagesPrefixAdoption {
    /// The prefix adopted, or nil when the setting was already there or no version has one.
    @discardableResult
    /// The setting is written under the write lock, taken only when there is one to write.
    public static func adopt(in repository: DatasetRepository) throws(RepositoryError) -> String? {
        func prefixToAdopt() throws(RepositoryError) -> String? {
            guard try repository.setting("images") == nil, let head = try repository.head() else { return nil }
            return try StoredVersion(repository: repository, commitID: head).summary.imagesPrefix
        }
        guard try prefixToAdopt() != nil else { return nil }
        return try repository.withWriteLock { () throws(RepositoryError) -> String? in
            guard let prefix = try prefixToAdopt() else { return nil }
            try repository.setSetting("images", to: prefix)
            return prefix
        }
    }
}
