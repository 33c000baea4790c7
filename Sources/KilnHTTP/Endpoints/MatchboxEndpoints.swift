import KilnRender

/// matchbox's machine endpoints, byte for byte: `/boot.ipxe` chains iPXE to
/// `/ipxe` with what it knows about the machine; the rest answer for the
/// machine its labels match.
enum MatchboxEndpoints {
    static func routes() -> [Route] {
        [
            .immediate("/boot.ipxe", "boot.ipxe") { _ in .text(BootScripts.ipxeBootstrap) },
            // What some firmware asks for when told to load boot.ipxe over HTTP.
            .immediate("/boot.ipxe.0", "boot.ipxe", listed: false) { _ in .text(BootScripts.ipxeBootstrap) },
            document("/ipxe", "ipxe", .ipxe),
            document("/grub", "grub", .grub),
            document("/metadata", "metadata", .metadata),
            document("/ignition", "ignition", .config(.ignition)),
            document("/generic", "generic", .config(.generic)),
            document("/cloud", "cloud", .config(.cloud), refusing: Renderer.cloudEndpointRefusal),
        ]
    }

    private static func document(_ path: String, _ endpoint: String, _ document: MachineDocument,
                                 refusing refusal: @escaping @Sendable ([UInt8]) -> String? = { _ in nil }) -> Route {
        .matchedImmediate(path, endpoint) { request in
            do throws(AnswerFailure) {
                let answer = try request.answer(document)
                if let bytes = answer.bytes, let reason = refusal(bytes) { return .refusal(.unavailable(reason)) }
                return .answer(answer)
            } catch {
                return .refusal(error)
            }
        }
    }
}
