import DSVDataset
import DSVNative
import Foundation

@main
enum BenchMain {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "generate":
            var export = SyntheticExport()
            var output = "export.json"
            var rest = arguments.dropFirst()
            while let option = rest.popFirst() {
                let value = rest.popFirst() ?? ""
                switch option {
                case "--images": export.images = Int(value)!
                case "--seed": export.seed = UInt64(value)!
                case "--changed": export.changedFraction = Double(value)!
                case "--out": output = value
                case "--layout":
                    switch value {
                    case "compact": break
                    case "json.dump": export.compact = false
                    case "id-last": export.idLast = true
                    default: fatalError("unknown layout \(value): compact, json.dump or id-last")
                    }
                default: fatalError("unknown option \(option)")
                }
            }
            try export.write(to: output)
        case "parse":
            let start = Date()
            let parsed = try COCOReader.read(path: arguments[1])
            let seconds = Date().timeIntervalSince(start)
            let mb = Double(parsed.fileBytes.count) / 1e6
            print("parsed \(parsed.images.count) images, \(parsed.annotations.count) annotations, \(String(format: "%.0f", mb)) MB in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", mb / seconds)) MB/s")
        case "measure":
            // A small launcher: a child's peak memory as the kernel reports it includes the peak of
            // the process that spawned it, so the benchmark measures children through this one.
            let result = ChildProcess.run(Array(arguments.dropFirst()))
            print("\(result.status) \(result.seconds) \(result.maxResidentBytes)")
        case "run":
            var bench = Benchmarks()
            var rest = arguments.dropFirst()
            while let option = rest.popFirst() {
                let value = rest.popFirst() ?? ""
                switch option {
                case "--images": bench.images = Int(value)!
                case "--work": bench.work = value
                case "--dsv": bench.dsv = value
                case "--objects": bench.objects = Int(value)!
                case "--materialize-objects": bench.materializeObjects = Int(value)!
                case "--only": bench.groups = Set(value.split(separator: ",").map(String.init))
                case "--sizes": bench.sizes = value.split(separator: ",").compactMap { Int($0) }
                case "--layout-images": bench.layoutImages = Int(value)!
                case "--year-rounds": bench.yearRounds = Int(value)!
                case "--year-images": bench.yearImages = Int(value)!
                default: fatalError("unknown option \(option)")
                }
            }
            try bench.run()
        default:
            print("""
                usage: dsv-bench generate [--images N] [--seed S] [--changed FRACTION] [--layout compact|json.dump|id-last] [--out FILE]
                       dsv-bench parse FILE
                       dsv-bench run [--images N] [--objects N] [--materialize-objects N] [--work DIR] [--dsv PATH]
                                     [--only commit,zip,pinning,materialize,cvat,sizes,layouts,crowd,year]
                                     [--sizes 1000,10000,40000] [--layout-images N] [--year-rounds N] [--year-images N]
                """)
        }
    }
}
