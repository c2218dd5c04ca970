/// The pairs of an image's old and new annotations (same category) whose boxes overlap with an
/// IoU of at least `AnnotationChanges.iouThreshold`, found without trying every pair: an image
/// of 20,000 annotations (a crowd, cells under a microscope, an aerial tile) took 23 s trying
/// all 400 million.
///
/// Two boxes with IoU ≥ ½ overlap in x by at least half the wider one's width (the overlap's
/// height is at most either box's), so their widths are within a factor of two and their
/// centres at most half the narrower width apart; likewise in y. The old boxes of each category
/// are sorted by the x of their centre, and a new box looks only at those whose centre lies
/// within its own width of its centre (a superset, for rounding), then checks y and the IoU
/// itself. Boxes the bound does not hold for — a negative or non-finite number — are tried
/// against every box of their category, as before.
struct OverlapSearch {
    /// An old annotation's box centre, in a category's list sorted by `x`.
    private struct Centre {
        var x: Double
        var y: Double
        var index: Int
    }

    private let old: [DiffAnnotation]
    /// Per category: the old boxes the bound holds for, by centre x.
    private var sorted: [String?: [Centre]] = [:]
    /// Per category: the old annotations tried against every new one.
    private var irregular: [String?: [Int]] = [:]

    /// Up to this many pairs, every pair is tried: indexing costs more than it saves.
    static let pairwiseLimit = 4096

    /// - Parameter candidates: the indices of `old` still unpaired, in order.
    init(_ old: [DiffAnnotation], candidates: [Int]) {
        self.old = old
        for index in candidates {
            guard let box = old[index].box else { continue }  // no box: IoU 0 with any
            if Self.isRegular(box) {
                sorted[old[index].category, default: []].append(Centre(x: box.x + box.width / 2, y: box.y + box.height / 2, index: index))
            } else {
                irregular[old[index].category, default: []].append(index)
            }
        }
        for category in sorted.keys { sorted[category]!.sort { $0.x < $1.x } }
    }

    /// Finite, with no negative width or height: the bound holds.
    static func isRegular(_ box: DiffAnnotation.Box) -> Bool {
        box.x.isFinite && box.y.isFinite && box.width.isFinite && box.height.isFinite && box.width >= 0 && box.height >= 0
            && (box.x + box.width).isFinite && (box.y + box.height).isFinite
    }

    /// Calls `each` with the index and IoU of every old annotation of `annotation`'s category
    /// whose box overlaps it with IoU ≥ the threshold.
    func forEachOverlap(of annotation: DiffAnnotation, _ each: (Int, Double) -> Void) {
        guard let box = annotation.box else { return }
        func consider(_ index: Int) {
            let iou = AnnotationChanges.iou(old[index], annotation)
            if iou >= AnnotationChanges.iouThreshold { each(index, iou) }
        }
        if let list = sorted[annotation.category] {
            if Self.isRegular(box) {
                let (x, y) = (box.x + box.width / 2, box.y + box.height / 2)
                // The window is widened by a hair beyond the bound, against rounding.
                let slackX = box.width + 1e-9 * (abs(x) + box.width) + .leastNormalMagnitude
                let slackY = box.height + 1e-9 * (abs(y) + box.height) + .leastNormalMagnitude
                var low = 0, high = list.count
                while low < high {
                    let middle = (low + high) / 2
                    if list[middle].x < x - slackX { low = middle + 1 } else { high = middle }
                }
                var position = low
                while position < list.count && list[position].x <= x + slackX {
                    if abs(list[position].y - y) <= slackY { consider(list[position].index) }
                    position += 1
                }
            } else {
                for centre in list { consider(centre.index) }
            }
        }
        for index in irregular[annotation.category] ?? [] { consider(index) }
    }
}
