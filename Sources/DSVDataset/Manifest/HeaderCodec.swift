/// `header.zst`'s content: the COCO document without its images and annotations — every other
/// top-level member exactly as written (minified), `"images":[]` and `"annotations":[]` where the
/// export had them, and the whitespace the file had before and after its top-level object.
public enum HeaderCodec {
    public static func encode(_ plan: ExportPlan) -> [UInt8] {
        let first = plan.exports[0]
        let bytes = first.fileBytes
        var out: [UInt8] = Array(bytes[first.leading])
        out.append(UInt8(ascii: "{"))
        let mergedCategories = plan.exports.count > 1 && plan.categories != first.categories
        for (index, member) in first.members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONMinifier.minify(UnsafeRawBufferPointer(rebasing: bytes[member.keyRange]), into: &out)
            out.append(UInt8(ascii: ":"))
            switch member.kind {
            case .images, .annotations:
                out += Array("[]".utf8)
            case .other where member.key == "categories" && mergedCategories:
                out += Array(JSONValue.array(plan.categories.map(\.object)).compact.utf8)
            case .other:
                JSONMinifier.minify(UnsafeRawBufferPointer(rebasing: bytes[member.valueRange]), into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        out.append(contentsOf: bytes[first.trailing])
        return out
    }
}
