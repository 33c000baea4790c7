import KilnCore

/// Everything a matched machine can be given: what `/ipxe`, `/grub`,
/// `/metadata`, `/ignition`, `/generic`, `/cloud` and the image endpoints
/// build on, and what `kiln render` prints.
public enum MachineDocument: Sendable, Equatable {
    case ipxe
    case grub
    case metadata
    case config(TemplateKind)
    /// The files of a config drive, before they are laid out as an image.
    case configDrive
}

/// What a machine gets, ready to send or bake into an image.
public struct MachineAnswer: Sendable {
    public enum Body: Sendable {
        /// Boot scripts and metadata: built as text, sent as UTF-8.
        case text(String)
        case bytes([UInt8])
        case configDrive(ConfigDriveContents)
    }

    public var body: Body
    public var contentType: String
    /// Butane's warnings about this machine's config, each given once per
    /// data load (see `RenderedConfig`).
    public var warnings: [String] = []

    /// The body as bytes, for answers that are not a config drive.
    public var bytes: [UInt8]? {
        switch body {
        case .text(let text): return Array(text.utf8)
        case .bytes(let bytes): return bytes
        case .configDrive: return nil
        }
    }
}

/// Why a matched machine gets no answer.
public enum AnswerFailure: Error, Sendable, CustomStringConvertible {
    /// The profile lacks what was asked for (no kernel, no such template):
    /// the operator's data is incomplete, not broken. HTTP 404.
    case unavailable(String)
    /// A template failed to render for this machine. HTTP 500.
    case renderFailed(RenderError)

    public var description: String {
        switch self {
        case .unavailable(let reason): return reason
        case .renderFailed(let error): return error.description
        }
    }
}

extension Renderer {
    /// What this machine gets for `document`: the one function HTTP and the
    /// CLI both answer through.
    public func answer(_ document: MachineDocument, _ match: Match, _ labels: Labels) throws(AnswerFailure) -> MachineAnswer {
        switch document {
        case .ipxe, .grub:
            guard let boot = try rendering({ () throws(RenderError) in try boot(match, labels) }), !boot.kernel.isEmpty else {
                throw .unavailable("profile \"\(match.profile.id)\" has no boot.kernel to boot")
            }
            return MachineAnswer(body: .text(document == .ipxe ? BootScripts.ipxe(boot) : BootScripts.grub(boot)), contentType: Self.plainText)
        case .metadata:
            let data = MachineVariables.collect(group: match.group, labels: labels)
            return MachineAnswer(body: .text(MachineVariables.environmentFile(data)), contentType: Self.plainText)
        case .config(let kind):
            switch try rendering({ () throws(RenderError) in try config(kind, match, labels) }) {
            case .rendered(let config):
                return MachineAnswer(body: .bytes(config.bytes), contentType: config.contentType, warnings: config.warnings)
            case .missing(let failure):
                throw .unavailable(failure.description)
            }
        case .configDrive:
            let (contents, warnings) = try configDrive(match, labels)
            return MachineAnswer(body: .configDrive(contents), contentType: Self.plainText, warnings: warnings)
        }
    }

    /// `/cloud` serves what coreos-cloudinit runs, a cloud-config or a
    /// script, and answers 404 for anything else, as matchbox did: a machine
    /// that fetched an Ignition config or a CLC there would run nothing.
    /// Config drives carry any user data.
    public static func cloudEndpointRefusal(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: Array("#cloud-config".utf8)) || bytes.starts(with: Array("#!".utf8)) { return nil }
        return "the profile's cloud template rendered neither a cloud-config (#cloud-config) nor a script (#!)"
    }

    func rendering<Value>(_ work: () throws(RenderError) -> Value) throws(AnswerFailure) -> Value {
        do {
            return try work()
        } catch {
            throw .renderFailed(error)
        }
    }
}
