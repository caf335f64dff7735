/// Renders a run of whole lines with a head before each, from raw input into raw output: the
/// hot path of a busy service in prefix style. Per line it is a newline scan and two copies,
/// where framing and formatting line by line (`LineFramer`, `LogFormatter.append`) costs
/// array appends with their capacity and uniqueness checks.
///
/// It stops, leaving the rest to the framer, before a line longer than `maxLine` (the framer
/// cuts those), at an unterminated tail, and before a line that would not fit in `output`.
///
/// ```swift
/// let r = LineBlock.render(input, head: head, maxLine: 16384, into: scratch)
/// // input[..<r.consumed] were r.lines whole lines; scratch[..<r.written] is their rendering
/// ```
public enum LineBlock {
    public static func render(_ input: UnsafeRawBufferPointer, head: UnsafeRawBufferPointer, maxLine: Int,
                              into output: UnsafeMutableRawBufferPointer) -> (consumed: Int, written: Int, lines: Int) {
        guard let from = input.baseAddress, let to = output.baseAddress else { return (0, 0, 0) }
        var consumed = 0, written = 0, lines = 0
        while consumed < input.count {
            let window = min(input.count - consumed, maxLine + 1)
            let newline = LineFramer.firstNewline(from, from: consumed, to: consumed + window)
            if newline < 0 { break }
            let length = newline + 1 - consumed          // with its newline
            if written + head.count + length > output.count { break }
            if head.count > 0 { (to + written).copyMemory(from: head.baseAddress!, byteCount: head.count) }
            (to + written + head.count).copyMemory(from: from + consumed, byteCount: length)
            written += head.count + length
            consumed = newline + 1
            lines += 1
        }
        return (consumed, written, lines)
    }
}
