import Foundation
import KilnCore
import KilnInventory
import KilnRedfish
import Logging
import ServiceLifecycle
import Synchronization

/// Carries out what operators ask of machines' BMCs: one action at a time
/// per BMC (a second is refused at once, never queued behind a BMC that
/// hangs), a bound on actions in flight across all BMCs, every action an
/// event on the machine's timeline. As a service it ejects install-iso
/// media once the machine has reached `config`, or at the deadline.
public final class BMCController: Service, Sendable {
    public struct Settings: Sendable {
        /// BMC actions in flight at once, across all BMCs.
        public var maxActions = 16
        /// How long an install-iso image may stay in the drive without the machine reaching `config`.
        public var ejectAfter: Duration = .seconds(30 * 60)
        public var ejectCheckInterval: Duration = .seconds(5)
        /// How long power actions wait for the BMC to report the new state.
        public var powerWait: Duration = .seconds(90)
        /// How long a graceful shutdown may take before the power is forced off.
        public var shutdownGrace: Duration = .seconds(60)
        public var timing = RedfishClient.Timing()
        /// How long an action waits for its BMC (or a slot) before it is
        /// refused as busy: long enough for the fact read after an add.
        public var admissionWait: Duration = .seconds(20)
        /// Kiln's URL as BMCs reach it (`--public-url`): install-iso's images hang off it.
        public var kilnURL: String?

        public init() {}
    }

    public enum PowerAction: String, Sendable, CaseIterable {
        case on, off, cycle, status
    }

    /// What an action did, as the API returns it.
    public struct Outcome: Sendable {
        public var action: String
        public var summary: String
        public var notes: [String] = []
        public var powerState: String?
        public var facts: HardwareFacts?

        public var object: [String: Any] {
            var object: [String: Any] = ["action": action, "result": summary, "notes": notes]
            if let powerState { object["power_state"] = powerState }
            if let facts { object["facts"] = BMCRecord.factsObject(facts) }
            return object
        }
    }

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable {
            /// No BMC for this machine.
            case notFound
            /// The input is not usable.
            case invalid
            /// Another action is running on the same BMC.
            case busy
            /// Too many actions are in flight across all BMCs.
            case overloaded
            /// The BMC failed or refused: its answer is in the message.
            case bmcFailed
            /// Kiln could not save the record.
            case unavailable
        }

        public var kind: Kind
        public var message: String
        public var description: String { message }

        init(_ kind: Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// What an operator gives to add a BMC.
    public struct Registration: Sendable {
        public var url: String
        public var systemPath: String?
        public var username: String
        public var password: String
        public var caPEM: String?
        public var insecure: Bool

        public init(url: String, systemPath: String?, username: String, password: String, caPEM: String?, insecure: Bool) {
            self.url = url
            self.systemPath = systemPath
            self.username = username
            self.password = password
            self.caPEM = caPEM
            self.insecure = insecure
        }
    }

    private struct Admission {
        var busy: [String: (action: String, since: ContinuousClock.Instant)] = [:]
        var running = 0
    }

    public let registry: BMCRegistry
    let settings: Settings
    let logger: Logger
    let recordEvent: @Sendable (BootEvent) -> Void
    let reachedConfig: @Sendable (String, Date) async -> Bool
    private let admission = Mutex(Admission())
    /// Background fact reads after an add, so shutdown can wait for them.
    private let background = Mutex<[UUID: Task<Void, Never>]>([:])

    /// `recordEvent` puts an event on the machine's timeline (the
    /// inventory's recorder); `reachedConfig(mac, since)` tells whether
    /// the machine fetched its config after `since`.
    public init(registry: BMCRegistry, settings: Settings = Settings(), logger: Logger,
                recordEvent: @escaping @Sendable (BootEvent) -> Void = { _ in },
                reachedConfig: @escaping @Sendable (String, Date) async -> Bool = { _, _ in false }) {
        self.registry = registry
        self.settings = settings
        self.logger = logger
        self.recordEvent = recordEvent
        self.reachedConfig = reachedConfig
    }

    // MARK: records

    /// Adds or replaces a machine's BMC without contacting it, then reads
    /// its facts in the background. The event it records creates the
    /// machine in the inventory if Kiln has not seen it: enrolled before
    /// it ever boots. Returns whether the record is new.
    @discardableResult
    public func add(_ mac: MACAddress, _ registration: Registration) throws(Refusal) -> Bool {
        try Self.check(registration)
        let key = mac.description
        var created = false
        do {
            try registry.update(key) { record in
                created = record == nil
                var fresh = BMCRecord(mac: key, url: registration.url, systemPath: registration.systemPath, username: registration.username,
                                      password: registration.password, caPEM: registration.caPEM, insecure: registration.insecure)
                // Facts stay while the BMC is the same one.
                if let record, record.url == fresh.url, record.systemPath == fresh.systemPath {
                    fresh.facts = record.facts
                    fresh.factsRead = record.factsRead
                    fresh.added = record.added
                }
                fresh.pendingEject = record?.pendingEject
                record = fresh
            }
        } catch {
            throw Refusal(.unavailable, "\(error)")
        }
        logger.notice("bmc: \(created ? "added" : "replaced")", metadata: ["mac": "\(key)", "bmc": "\(registration.url)"])
        note(key, created ? "bmc added" : "bmc replaced", status: 200, reason: "\(registration.url)\(registration.systemPath.map { " " + $0 } ?? "")",
             duration: nil)
        let id = UUID()
        let task = Task { [weak self] in
            _ = try? await self?.refreshFacts(mac)
            _ = self?.background.withLock { $0.removeValue(forKey: id) }
        }
        background.withLock { $0[id] = task }
        return created
    }

    public func remove(_ mac: MACAddress) throws(Refusal) {
        let key = mac.description
        guard registry.record(key) != nil else { throw Refusal(.notFound, "no BMC for \(key)") }
        do {
            try registry.update(key) { $0 = nil }
        } catch {
            throw Refusal(.unavailable, "\(error)")
        }
        logger.notice("bmc: removed", metadata: ["mac": "\(key)"])
        note(key, "bmc removed", status: 200, reason: nil, duration: nil)
    }

    public func record(_ mac: MACAddress) throws(Refusal) -> BMCRecord {
        guard let record = registry.record(mac.description) else {
            throw Refusal(.notFound, "no BMC for \(mac): add one with kiln bmc add \(mac) --url …")
        }
        return record
    }

    static func check(_ registration: Registration) throws(Refusal) {
        do {
            try RedfishEndpoint(url: registration.url, systemPath: registration.systemPath, username: "", password: "").validate()
        } catch {
            throw Refusal(.invalid, error.description)
        }
        guard registration.url.utf8.count <= 2048 else { throw Refusal(.invalid, "url is longer than 2048 bytes") }
        guard !registration.username.isEmpty, registration.username.utf8.count <= 256,
              !registration.username.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Refusal(.invalid, "username must be 1-256 characters without control characters")
        }
        guard !registration.password.isEmpty, registration.password.utf8.count <= 1024 else {
            throw Refusal(.invalid, "password must be 1-1024 bytes")
        }
        if let pem = registration.caPEM {
            guard !registration.insecure else { throw Refusal(.invalid, "give a CA certificate or insecure, not both") }
            guard pem.utf8.count <= 256 * 1024 else { throw Refusal(.invalid, "the CA certificate is larger than 256 KiB") }
            if let problem = RedfishEndpoint.problemWithCA(pem) { throw Refusal(.invalid, problem) }
        }
    }

    // MARK: actions

    public func power(_ mac: MACAddress, _ action: PowerAction) async throws(Refusal) -> Outcome {
        let wait = settings.powerWait, grace = settings.shutdownGrace
        return try await perform(mac, action == .status ? "power status" : "power \(action.rawValue)") { system, _ in
            switch action {
            case .status:
                let state = try await system.powerState()
                return Outcome(action: "power status", summary: state.rawValue, powerState: state.rawValue)
            case .on:
                return Outcome(action: "power on", try await system.powerOn(wait: wait), power: .on)
            case .off:
                return Outcome(action: "power off", try await system.powerOff(grace: grace, wait: wait), power: .off)
            case .cycle:
                let outcome = try await system.powerCycle(wait: wait)
                return Outcome(action: "power cycle", outcome, power: try? await system.powerState())
            }
        }
    }

    public func bootOnce(_ mac: MACAddress, _ device: BootDevice) async throws(Refusal) -> Outcome {
        try await perform(mac, "boot once \(device.rawValue)") { system, _ in
            Outcome(action: "boot once \(device.rawValue)", try await system.bootOnce(device))
        }
    }

    public func insertMedia(_ mac: MACAddress, image: String) async throws(Refusal) -> Outcome {
        let lowered = image.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), image.utf8.count <= 2048,
              !image.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            throw Refusal(.invalid, "the image must be an http:// or https:// URL the BMC can fetch")
        }
        return try await perform(mac, "insert media") { system, _ in
            Outcome(action: "insert media", try await system.insertMedia(image))
        }
    }

    public func ejectMedia(_ mac: MACAddress) async throws(Refusal) -> Outcome {
        let outcome = try await perform(mac, "eject media") { system, _ in
            Outcome(action: "eject media", try await system.ejectMedia())
        }
        _ = try? registry.update(mac.description) { $0?.pendingEject = nil }
        return outcome
    }

    /// PXE once, then power on, or cycle when it is already on.
    public func netboot(_ mac: MACAddress) async throws(Refusal) -> Outcome {
        let wait = settings.powerWait
        return try await perform(mac, "netboot") { system, _ in
            let boot = try await system.bootOnce(.pxe)
            let power = try await system.powerCycle(wait: wait)
            return Outcome(action: "netboot", summary: "\(boot.summary); \(power.summary)", notes: boot.notes + power.notes,
                           powerState: try? await system.powerState().rawValue)
        }
    }

    /// Kiln's installer ISO for this machine (or the network-boot CD) as
    /// virtual media, CD once, power on or cycle; the image is ejected
    /// when the machine reaches `config`, or after `ejectAfter`.
    public func installISO(_ mac: MACAddress, netbootCD: Bool) async throws(Refusal) -> Outcome {
        guard let base = settings.kilnURL else {
            throw Refusal(.invalid, "Kiln does not know the URL a BMC reaches it at: start kiln serve with --public-url http://HOST:PORT")
        }
        let image = netbootCD ? base + "/netboot.iso" : base + "/installer.iso?mac=" + mac.description
        let wait = settings.powerWait
        let deadline = Date() + TimeInterval(settings.ejectAfter.components.seconds)
        let since = Date()
        let outcome = try await perform(mac, "install-iso") { system, _ in
            let media = try await system.insertMedia(image)
            let boot = try await system.bootOnce(.cd)
            let power = try await system.powerCycle(wait: wait)
            return Outcome(action: "install-iso", summary: "\(media.summary); \(boot.summary); \(power.summary)",
                           notes: media.notes + boot.notes + power.notes, powerState: try? await system.powerState().rawValue)
        }
        do {
            try registry.update(mac.description) { record in
                record?.pendingEject = .init(image: image, since: since, deadline: deadline, failures: 0)
            }
        } catch {
            logger.error("bmc: the pending eject for \(mac) could not be saved: \(error); eject it with kiln bmc eject")
        }
        var result = outcome
        result.notes.append("the image is ejected when the machine reaches config, or at \(deadline.formatted(.iso8601))")
        return result
    }

    /// Reads the hardware facts and keeps them on the record.
    public func refreshFacts(_ mac: MACAddress) async throws(Refusal) -> Outcome {
        let outcome = try await perform(mac, "read facts") { system, _ in
            let facts = try await system.facts()
            var outcome = Outcome(action: "read facts", summary: [facts.manufacturer, facts.model, facts.serial].compactMap { $0 }.joined(separator: " "),
                                  powerState: facts.powerState, facts: facts)
            if outcome.summary.isEmpty { outcome.summary = "read" }
            if !facts.macs.isEmpty, !facts.macs.contains(mac.description) {
                outcome.notes.append("the BMC lists the NICs \(facts.macs.joined(separator: ", ")), not \(mac): is this the right BMC?")
            }
            return outcome
        }
        _ = try? registry.update(mac.description) { record in
            record?.facts = outcome.facts
            record?.factsRead = Date()
        }
        return outcome
    }

    // MARK: running one action

    private func perform(_ mac: MACAddress, _ action: String, waiting: Bool = true,
                         _ work: @escaping @Sendable (RedfishSystem, BMCRecord) async throws -> Outcome) async throws(Refusal) -> Outcome {
        let record = try record(mac)
        let key = record.bmcKey
        try await admit(key, action, waiting: waiting ? settings.admissionWait : .zero)
        defer { release(key) }
        let started = ContinuousClock.now
        do {
            let client = try RedfishClient(endpoint: record.endpoint, timing: settings.timing)
            let outcome: Outcome
            do {
                let system = try await RedfishSystem.find(client)
                outcome = try await work(system, record)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            let answer = ([outcome.summary] + outcome.notes).joined(separator: "; ")
            note(record.mac, action, status: 200, reason: answer, duration: started.duration(to: .now))
            logger.info("bmc: \(action)", metadata: ["mac": "\(record.mac)", "result": "\(answer)"])
            return outcome
        } catch {
            let reason = (error as? RedfishError)?.description ?? "\(error)"
            note(record.mac, action, status: 502, reason: reason, duration: started.duration(to: .now))
            logger.warning("bmc: \(action) failed", metadata: ["mac": "\(record.mac)", "reason": "\(reason)"])
            throw Refusal(.bmcFailed, "\(action) on \(record.mac): \(reason)")
        }
    }

    /// Takes the BMC's one slot and one of the global ones, polling for
    /// at most `wait`; a BMC that hangs holds its own slot, never another's.
    private func admit(_ key: String, _ action: String, waiting wait: Duration) async throws(Refusal) {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                return try tryAdmit(key, action)
            } catch {
                if ContinuousClock.now >= deadline || Task.isCancelled { throw error }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func tryAdmit(_ key: String, _ action: String) throws(Refusal) {
        let maxActions = settings.maxActions
        let refusal: Refusal? = admission.withLock { state in
            if let running = state.busy[key] {
                let seconds = Int(running.since.duration(to: .now).components.seconds)
                return Refusal(.busy, "the BMC \(key) is busy with \(running.action) (for \(seconds) s); try again when it has finished")
            }
            guard state.running < maxActions else {
                return Refusal(.overloaded, "\(maxActions) BMC actions are already running; try again shortly")
            }
            state.busy[key] = (action, .now)
            state.running += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    private func release(_ key: String) {
        admission.withLock { state in
            if state.busy.removeValue(forKey: key) != nil { state.running -= 1 }
        }
    }

    private func note(_ mac: String, _ action: String, status: Int, reason: String?, duration: Duration?) {
        let seconds = duration.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        recordEvent(BootEvent(kind: .bmc, mac: mac, endpoint: "bmc", target: action, status: status, duration: seconds,
                              reason: reason.map { String($0.prefix(1000)) }))
    }

    // MARK: the eject watcher

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.ejectCheckInterval) }
            } catch {
                break
            }
            await checkEjects()
        }
        let tasks = background.withLock { Array($0.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// One pass over the records with an image left in their drive.
    public func checkEjects() async {
        let now = Date()
        for record in registry.all {
            guard let pending = record.pendingEject, let mac = MACAddress(record.mac) else { continue }
            let reached = await reachedConfig(record.mac, pending.since)
            guard reached || now >= pending.deadline else { continue }
            let why = reached ? "the machine reached config" : "no config within \(settings.ejectAfter)"
            do {
                _ = try await perform(mac, "eject media (\(why))", waiting: false) { system, _ in
                    Outcome(action: "eject media", try await system.ejectMedia())
                }
                _ = try? registry.update(record.mac) { $0?.pendingEject = nil }
            } catch {
                if error.kind == .busy || error.kind == .overloaded { continue }
                // A BMC that keeps failing is left alone after five tries; the event says so.
                _ = try? registry.update(record.mac) { current in
                    guard var owed = current?.pendingEject else { return }
                    owed.failures += 1
                    current?.pendingEject = owed.failures >= 5 ? nil : owed
                    if owed.failures >= 5 {
                        self.logger.error("bmc: gave up ejecting \(owed.image) from \(record.mac) after 5 failures; eject it with kiln bmc eject")
                    }
                }
            }
        }
    }
}

extension BMCController.Outcome {
    init(action: String, _ outcome: ActionOutcome, power: PowerState? = nil) {
        self.init(action: action, summary: outcome.summary, notes: outcome.notes, powerState: power?.rawValue)
    }
}
