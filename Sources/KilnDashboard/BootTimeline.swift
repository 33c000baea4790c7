import Foundation
import KilnInventory

/// A machine's latest boot as a picture: one lane per stage, each event a
/// mark at its time since power-on (the boot's first event), and the time
/// each stage was first reached written beside it. Drawn on the server as
/// inline SVG: no script, and every text escaped.
struct BootTimeline {
    struct Point {
        var event: BootEvent
        var stage: BootStage
        var repeats: Int
        /// Seconds since the boot's first event.
        var offset: Double
    }

    /// The latest boot's events, in order.
    let points: [Point]
    /// How many older events (earlier boots) were left out.
    let earlierEvents: Int

    /// Picks the latest boot out of a machine's events: it starts at the
    /// last event that left the machine at an earlier stage than the one
    /// before it (a reboot), as the inventory counts stages.
    init(events: [(BootEvent, BootStage, Int)]) {
        var start = 0
        for index in events.indices.dropFirst() where events[index].1 < events[index - 1].1 {
            start = index
        }
        let boot = events[start...]
        let origin = boot.first?.0.time ?? Date()
        points = boot.map { Point(event: $0.0, stage: $0.1, repeats: $0.2, offset: max(0, $0.0.time.timeIntervalSince(origin))) }
        earlierEvents = start
    }

    /// When each stage was first reached in this boot, in stage order.
    var firstReached: [(BootStage, Double)] {
        var seen: [BootStage: Double] = [:]
        for point in points where point.event.succeeded && seen[point.stage] == nil { seen[point.stage] = point.offset }
        return BootStage.allCases.compactMap { stage in seen[stage].map { (stage, $0) } }
    }

    static let width = 760.0
    static let laneHeight = 26.0
    static let left = 92.0
    static let right = 70.0
    static let top = 10.0

    /// The SVG element; empty when there are no events.
    var svg: String {
        guard !points.isEmpty else { return "" }
        let stages = BootStage.allCases
        let span = max(points.map(\.offset).max() ?? 0, 0.001)
        let plotWidth = Self.width - Self.left - Self.right
        let height = Self.top + Double(stages.count) * Self.laneHeight + 28
        func x(_ offset: Double) -> Double { Self.left + offset / span * plotWidth }
        func y(_ stage: BootStage) -> Double { Self.top + (Double(stage.rawValue) + 0.5) * Self.laneHeight }
        var parts: [String] = []
        parts.append("<svg class=\"timeline\" role=\"img\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" width=\"\(Int(Self.width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">")
        parts.append("<title>Boot timeline: \(points.count) event(s) over \(HTMLText.escape(HTMLText.seconds(span)))</title>")
        for stage in stages {
            let lane = y(stage)
            parts.append("<line class=\"lane\" x1=\"\(Self.left)\" y1=\"\(lane)\" x2=\"\(Self.width - Self.right)\" y2=\"\(lane)\"/>")
            parts.append("<text class=\"lane-name\" x=\"\(Self.left - 8)\" y=\"\(lane + 4)\" text-anchor=\"end\">\(stage)</text>")
        }
        // Axis: power-on, quarters, the end.
        let axis = Self.top + Double(stages.count) * Self.laneHeight + 6
        for step in 0...4 {
            let offset = span * Double(step) / 4
            parts.append("<line class=\"tick\" x1=\"\(x(offset))\" y1=\"\(Self.top)\" x2=\"\(x(offset))\" y2=\"\(axis)\"/>")
            parts.append("<text class=\"tick-label\" x=\"\(x(offset))\" y=\"\(axis + 14)\" text-anchor=\"middle\">+\(HTMLText.escape(HTMLText.seconds(offset)))</text>")
        }
        for point in points {
            let label = "\(point.event.kind.rawValue) \(point.event.endpoint) \(point.event.target) → \(point.event.status)"
                + (point.repeats > 1 ? " ×\(point.repeats)" : "") + " at +\(HTMLText.seconds(point.offset))"
                + (point.event.reason.map { ": " + $0 } ?? "")
            let title = "<title>\(HTMLText.escape(HTMLText.short(label, 300)))</title>"
            let cx = x(point.offset)
            let cy = y(point.stage)
            if point.event.failed {
                parts.append("<g class=\"mark failed\">\(title)<path d=\"M\(cx - 5) \(cy - 5) L\(cx + 5) \(cy + 5) M\(cx - 5) \(cy + 5) L\(cx + 5) \(cy - 5)\"/></g>")
            } else {
                parts.append("<circle class=\"mark stage-\(point.stage)\" cx=\"\(cx)\" cy=\"\(cy)\" r=\"5\">\(title)</circle>")
            }
        }
        for (stage, offset) in firstReached {
            parts.append("<text class=\"reached\" x=\"\(min(x(offset) + 8, Self.width - 4))\" y=\"\(y(stage) - 7)\">+\(HTMLText.escape(HTMLText.seconds(offset)))</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
