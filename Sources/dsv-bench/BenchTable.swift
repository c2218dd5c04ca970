/// The benchmark's output: one row per operation, our figure beside the baseline measured in
/// the same run, their ratio and the SPEC §9 target.
struct BenchTable {
    struct Row {
        var operation: String
        var ours: String
        var baseline: String
        var baselineName: String
        var ratio: String
        var target: String
        var met: Bool?
    }

    var rows: [Row] = []

    mutating func add(_ operation: String, ours: String, baseline: String, baselineName: String, ratio: String,
                      target: String, met: Bool?) {
        rows.append(Row(operation: operation, ours: ours, baseline: baseline, baselineName: baselineName,
                        ratio: ratio, target: target, met: met))
        print("  measured: \(operation): dsv \(ours), \(baselineName) \(baseline)")
    }

    /// A row whose target and verdict come together (a verdict of nil: no target applies).
    mutating func add(_ operation: String, ours: String, baseline: String, baselineName: String, ratio: String,
                      target: (String, Bool?)) {
        add(operation, ours: ours, baseline: baseline, baselineName: baselineName, ratio: ratio, target: target.0, met: target.1)
    }

    func render() -> String {
        let header = ["operation", "dsv", "baseline", "", "ratio", "target", ""]
        let cells = rows.map { [$0.operation, $0.ours, $0.baseline, "(\($0.baselineName))", $0.ratio, $0.target,
                                $0.met.map { $0 ? "met" : "NOT MET" } ?? ""] }
        let widths = (0..<header.count).map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + cells.map(line)).joined(separator: "\n")
    }
}

/// Under a second in whole milliseconds: a 10k-image next round or status is tens of them, and
/// a hundredth of a second hid the difference a target turns on.
func seconds(_ value: Double) -> String {
    if value < 1 { return "\(Int((value * 1000).rounded())) ms" }
    return value < 10 ? "\((value * 100).rounded() / 100) s" : "\((value * 10).rounded() / 10) s"
}
func megabytes(_ bytes: Int) -> String { "\((Double(bytes) / 1e5).rounded() / 10) MB" }
func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? "\((a / b * 100).rounded() / 100)×" : "-" }
