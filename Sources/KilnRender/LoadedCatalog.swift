import KilnCore

/// A source read, parsed and compiled: what `kiln serve` swaps in and what
/// `render`, `match`, `validate` and `iso` work from.
public struct LoadedCatalog: Sendable {
    /// Parsed, or nil when a file could not be read or parsed.
    public var catalog: Catalog?
    /// Ready to serve, or nil when the files or their templates are broken.
    public var compiled: CompiledCatalog?
    /// Every problem found, files first, then templates.
    public var diagnostics: [Diagnostic]
    /// Files read from groups/ and profiles/, parsed or not.
    public var groupFileCount: Int
    public var profileFileCount: Int

    /// Reads the source and compiles what it holds: the one way a catalog is
    /// loaded. Blocks on the source's I/O.
    public static func load(from source: any CatalogSource) -> LoadedCatalog {
        let snapshot = source.snapshot()
        let outcome = CatalogLoader.load(snapshot)
        var loaded = LoadedCatalog(catalog: outcome.catalog, compiled: nil, diagnostics: outcome.diagnostics,
                                   groupFileCount: outcome.groupFileCount, profileFileCount: outcome.profileFileCount)
        guard let catalog = outcome.catalog else { return loaded }
        let (compiled, templateDiagnostics) = CompiledCatalog.compile(catalog, filesDirectory: snapshot.localFilesDirectory)
        loaded.compiled = compiled
        loaded.diagnostics += templateDiagnostics
        return loaded
    }

    /// The data directory as the source.
    public static func load(dataPath: String) -> LoadedCatalog {
        load(from: DataDirectorySource(dataPath: dataPath))
    }
}
