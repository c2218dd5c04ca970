extension VersionDiff {
    /// The `--json` form (SPEC §6).
    public var json: JSONValue {
        .object([
            ("from", .string(from.name)),
            ("to", .string(to.name)),
            ("summary", .object([
                ("images", .object([("added", .int(imagesAdded)), ("removed", .int(imagesRemoved)),
                                    ("modified", .int(imagesModified)), ("unchanged", .int(imagesUnchanged))])),
                ("annotations", .object([("added", .int(annotationsAdded)), ("removed", .int(annotationsRemoved)),
                                         ("modified", .int(annotationsModified)), ("relabeled", .int(annotationsRelabeled)),
                                         ("unchanged", .int(annotationsUnchanged))])),
                ("categories", .object([("added", .array(categoriesAdded.map(JSONValue.string))),
                                        ("removed", .array(categoriesRemoved.map(JSONValue.string)))])),
                ("objects", .object([("changed", .int(objectsChanged))])),
                ("per_category", Self.json(categoryCounts)),
                ("per_subset", Self.json(subsetCounts)),
            ])),
            ("filter", filter.map(JSONValue.string) ?? .null),
            ("images", .array(images.map(\.json))),
        ])
    }
}

extension VersionDiff {
    /// `{"name": {"before": …, "after": …, "delta": …}}`.
    static func json(_ counts: [CountChange]) -> JSONValue {
        .object(counts.map {
            ($0.name, .object([("before", .int($0.before)), ("after", .int($0.after)), ("delta", .int($0.after - $0.before))]))
        })
    }
}

extension VersionDiff.ImageChange {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("key", .string(key)),
            ("status", .string(status.rawValue)),
            ("annotations", .object([
                ("added", .array(annotations.added.map(\.display))),
                ("removed", .array(annotations.removed.map(\.display))),
                ("modified", .array(annotations.modified.map { pair in
                    .object([("from", pair.from.display), ("to", pair.to.display),
                             ("changes", .array(pair.from.fieldChanges(to: pair.to, ignoring: ["category_id"]).map(\.json)))])
                })),
                ("relabeled", .array(annotations.relabeled.map { .object([("from", $0.from.display), ("to", $0.to.display)]) })),
            ])),
        ]
        if !fields.isEmpty { members.append(("fields", .array(fields.map(\.json)))) }
        if let move = subsetMove { members.append(("subset", .object([("from", .string(move.from)), ("to", .string(move.to))]))) }
        if let declaredSize { members += [("width", declaredSize.width), ("height", declaredSize.height)] }
        if let pin {
            members.append(("object", .object([("from", pin.from.map(\.json) ?? .null), ("to", pin.to.map(\.json) ?? .null)])))
        }
        return .object(members)
    }
}

extension FieldChange {
    public var json: JSONValue { .object([("field", .string(field)), ("from", from ?? .null), ("to", to ?? .null)]) }
}

extension ObjectPin {
    public var json: JSONValue {
        .object([("etag", .string(etag)), ("size", .number(String(size))),
                 ("version_id", versionID.map(JSONValue.string) ?? .null), ("last_modified", .string(lastModified))])
    }
}
