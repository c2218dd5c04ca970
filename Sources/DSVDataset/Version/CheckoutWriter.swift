import DSVNative
import DSVStorage

/// Writes a version back as a COCO document: the header's members in their order, the images
/// and annotations in the export's order with their lifted ids filled back in. For a compact
/// export the result is byte-identical to it; for any export it parses equal, with every
/// number's text, string escape and key order as they were. Written under a temporary name and
/// renamed, so the destination never holds a partial file.
public enum CheckoutWriter {
    public static func write(_ version: StoredVersion, to path: String) throws(CheckoutError) {
        let views: [ShardView]
        let order: OrderStream
        let header: [UInt8]
        let trace = Trace()
        do {
            views = try version.views()
            trace.mark("read shards")
            order = try version.order()
            header = try version.header()
        } catch {
            throw .repository(error)
        }
        // Ordinal → (shard, record).
        var location: [(shard: Int32, record: Int32)] = []
        location.reserveCapacity(order.ordinals.count)
        for (shard, view) in views.enumerated() {
            for record in 0..<view.count { location.append((Int32(shard), Int32(record))) }
        }
        guard order.ordinals.count == location.count, order.ordinals.allSatisfy({ Int($0) < location.count }) else {
            throw .repository(.corruptVersion("order stream and shards disagree"))
        }
        do {
            try FileSystem.createDirectories(FileSystem.directory(of: path))
            let writer = try AtomicFileWriter(destination: path)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            func flush(_ force: Bool = false) throws(SystemError) {
                if force || buffer.count >= 1 << 20 {
                    try writer.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            // The lifted id of each image, by export position.
            var imageIDs = [Int64?](repeating: nil, count: location.count)
            var liftedImage = 0
            for (position, ordinal) in order.ordinals.enumerated() {
                let (shard, record) = location[Int(ordinal)]
                guard views[Int(shard)].images[Int(record)].idOffset >= 0 else { continue }
                guard liftedImage < order.imageIDs.count else { throw CheckoutError.repository(.corruptVersion("missing image ids")) }
                imageIDs[position] = order.imageIDs[liftedImage]
                liftedImage += 1
            }
            let members = try HeaderLayout(header)
            buffer.append(contentsOf: header[members.leading])
            buffer.append(UInt8(ascii: "{"))
            for (index, member) in members.members.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: header[member.key])
                buffer.append(UInt8(ascii: ":"))
                switch member.name {
                case "images":
                    buffer.append(UInt8(ascii: "["))
                    for (position, ordinal) in order.ordinals.enumerated() {
                        if position > 0 { buffer.append(UInt8(ascii: ",")) }
                        let (shard, record) = location[Int(ordinal)]
                        let view = views[Int(shard)]
                        view.bytes.withUnsafeBufferPointer { bytes in
                            view.images[Int(record)].fill(bytes, id: imageIDs[position], imageID: nil, into: &buffer)
                        }
                        try flush()
                    }
                    buffer.append(UInt8(ascii: "]"))
                case "annotations":
                    buffer.append(UInt8(ascii: "["))
                    var liftedAnnotation = 0
                    var first = true
                    for run in order.runs {
                        guard Int(run.image) < order.ordinals.count else { throw CheckoutError.repository(.corruptVersion("bad annotation run")) }
                        let (shard, record) = location[Int(order.ordinals[Int(run.image)])]
                        let view = views[Int(shard)]
                        let base = Int(view.annotationStart[Int(record)])
                        guard base + Int(run.start + run.length) <= Int(view.annotationStart[Int(record) + 1]) else {
                            throw CheckoutError.repository(.corruptVersion("bad annotation run"))
                        }
                        try view.bytes.withUnsafeBufferPointer { bytes in
                            try Result { () throws(CheckoutError) in
                                for within in Int(run.start)..<Int(run.start + run.length) {
                                    if !first { buffer.append(UInt8(ascii: ",")) }
                                    first = false
                                    let template = view.annotations[base + within]
                                    var id: Int64?
                                    if template.idOffset >= 0 {
                                        guard liftedAnnotation < order.annotationIDs.count else {
                                            throw .repository(.corruptVersion("missing annotation ids"))
                                        }
                                        id = order.annotationIDs[liftedAnnotation]
                                        liftedAnnotation += 1
                                    }
                                    template.fill(bytes, id: id, imageID: imageIDs[Int(run.image)], into: &buffer)
                                }
                            }.get()
                        }
                        try flush()
                    }
                    buffer.append(UInt8(ascii: "]"))
                default:
                    buffer.append(contentsOf: header[member.value])
                }
            }
            buffer.append(UInt8(ascii: "}"))
            buffer.append(contentsOf: header[members.trailing])
            try flush(true)
            trace.mark("assemble and write")
            try writer.commit()
            trace.mark("rename")
        } catch let error as SystemError {
            throw .io(error)
        } catch let error as CheckoutError {
            throw error
        } catch {
            fatalError("unexpected error \(error)")
        }
    }
}

public enum CheckoutError: Error, Sendable, CustomStringConvertible {
    case repository(RepositoryError)
    case io(SystemError)

    public var description: String {
        switch self {
        case .repository(let error): error.description
        case .io(let error): error.description
        }
    }
}

/// Where the members of a stored header lie.
struct HeaderLayout {
    struct Member {
        var name: String
        var key: Range<Int>
        var value: Range<Int>
    }

    var leading: Range<Int>
    var trailing: Range<Int>
    var members: [Member] = []

    init(_ header: [UInt8]) throws(CheckoutError) {
        let parsed = header.withUnsafeBytes { bytes in
            Result { () throws(JSONSyntaxError) -> (Range<Int>, Range<Int>, [Member]) in
                var scanner = JSONScanner(bytes)
                if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { scanner.position = 3 }
                scanner.skipWhitespace()
                let leading = 0..<scanner.position
                var members: [Member] = []
                try scanner.expect(UInt8(ascii: "{"), "'{'")
                scanner.skipWhitespace()
                if scanner.peek() != UInt8(ascii: "}") {
                    while true {
                        scanner.skipWhitespace()
                        let keyStart = scanner.position
                        try scanner.skipString()
                        let key = keyStart..<scanner.position
                        try scanner.expect(UInt8(ascii: ":"), "':'")
                        let value = try scanner.scanValue()
                        members.append(Member(name: JSONString.decode(UnsafeRawBufferPointer(rebasing: bytes[key])),
                                              key: key, value: value))
                        scanner.skipWhitespace()
                        if scanner.peek() == UInt8(ascii: ",") { scanner.position += 1; continue }
                        break
                    }
                }
                try scanner.expect(UInt8(ascii: "}"), "'}'")
                return (leading, scanner.position..<bytes.count, members)
            }
        }
        guard case .success(let (leading, trailing, members)) = parsed else {
            throw .repository(.corruptVersion("unreadable header"))
        }
        self.leading = leading
        self.trailing = trailing
        self.members = members
    }
}
