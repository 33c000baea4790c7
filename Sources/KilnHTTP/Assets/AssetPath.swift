import KilnCore

/// Maps a request path under `/assets/` to a file inside the assets
/// directory: percent-decodes each component, then lets `ConfinedFile`
/// refuse anything that could leave the directory.
enum AssetPath {
    static func resolve(rawPath raw: Substring, root: String) throws(ConfinedFile.Refusal) -> ConfinedFile.Found {
        var decoded: [[UInt8]] = []
        for component in raw.split(separator: "/", omittingEmptySubsequences: true) {
            guard let bytes = PercentEncoding.decode(component, plusIsSpace: false) else {
                throw .malformed("invalid percent escape in path")
            }
            decoded.append(bytes)
        }
        let components = try ConfinedFile.check(decoded)
        return try ConfinedFile.resolve(components, root: root, displayName: "/assets/" + components.joined(separator: "/"))
    }
}
