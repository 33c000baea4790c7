/// One consistent, immutable load of the data directory. Requests hold on to
/// the snapshot they started with, so a reload never shows them half a
/// change.
public struct Catalog: Sendable {
    /// Sorted by id.
    public let groups: [Group]
    public let profiles: [String: Profile]
    public let templates: [TemplateKey: TemplateFile]
    public let ambiguities: [Ambiguity]
    public let ambiguityCount: Int
    private let index: MatchIndex

    public init(groups: [Group], profiles: [Profile], templates: [TemplateFile] = []) {
        let sorted = groups.sorted { $0.id < $1.id }
        self.groups = sorted
        self.profiles = Dictionary(profiles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.templates = Dictionary(templates.map { (TemplateKey($0.kind, $0.id), $0) }, uniquingKeysWith: { first, _ in first })
        self.index = MatchIndex(groups: sorted)
        let found = Ambiguity.find(in: sorted)
        self.ambiguities = found.pairs
        self.ambiguityCount = found.total
    }

    /// The group for these labels: most selectors wins, ties go to the
    /// lowest id, a group without selectors is the fallback.
    public func selectGroup(_ labels: Labels) -> Group? {
        index.lookup(labels).map { groups[$0] }
    }

    /// Group and profile for a request, or the reason there are none.
    public func match(_ labels: Labels) -> Result<Match, MatchFailure> {
        guard let group = selectGroup(labels) else { return .failure(.noGroup(labels)) }
        guard let profile = profiles[group.profile] else {
            return .failure(.missingProfile(group: group, profileID: group.profile))
        }
        return .success(Match(group: group, profile: profile))
    }

    public func template(_ kind: TemplateKind, for profile: Profile) -> Result<TemplateFile, MatchFailure> {
        guard let id = profile.templateID(kind) else {
            return .failure(.noTemplate(profile: profile, kind: kind))
        }
        guard let file = templates[TemplateKey(kind, id)] else {
            return .failure(.missingTemplate(profile: profile, kind: kind, id: id))
        }
        return .success(file)
    }
}

public struct Match: Sendable, Equatable {
    public var group: Group
    public var profile: Profile
}

/// Why a request gets no answer; each case carries what the operator needs.
public enum MatchFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case noGroup(Labels)
    case missingProfile(group: Group, profileID: String)
    case noTemplate(profile: Profile, kind: TemplateKind)
    case missingTemplate(profile: Profile, kind: TemplateKind, id: String)

    public var description: String {
        switch self {
        case .noGroup(let labels):
            return "no group matches \(labels.description)"
        case .missingProfile(let group, let profileID):
            return "group \"\(group.id)\" names profile \"\(profileID)\", which does not exist"
        case .noTemplate(let profile, let kind):
            return "profile \"\(profile.id)\" has no \(kind.profileField)"
        case .missingTemplate(let profile, let kind, let id):
            return "profile \"\(profile.id)\" names \(kind.directory)/\(id), which does not exist"
        }
    }
}
