extension StringProtocol {
    /// Without the leading and trailing characters that are in `set`.
    public func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var sub = Substring(self)
        while let first = sub.first, chars.contains(first) { sub = sub.dropFirst() }
        while let last = sub.last, chars.contains(last) { sub = sub.dropLast() }
        return String(sub)
    }
}
