import KilnTestSupport
import Foundation
import Testing
@testable import KilnCore

@Suite struct CatalogLoaderTests {
    @Test func loadsAValidDirectoryAndIgnoresUnknownFields() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/a.json": #"{"id": "a", "profile": "p", "selector": {"mac": "52-54-00-12-34-56"}, "future_field": [1, 2]}"#,
            "groups/b.json": #"{"profile": "p", "metadata": {"k": "v"}}"#,
            "profiles/p.json": #"{"id": "p", "boot": {"kernel": "/k", "initrd": ["/i"], "args": ["x"]}, "ignition_id": "p.ign", "other": {}}"#,
            "ignition/p.ign": #"{"ignition": {"version": "3.3.0"}}"#,
            "groups/notes.txt": "not json, not read",
            "groups/.hidden.json": "{ broken",
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.diagnostics.errors.isEmpty, "\(outcome.diagnostics)")
        let catalog = try #require(outcome.catalog)
        #expect(catalog.groups.map(\.id) == ["a", "b"])  // b's id comes from its file name
        #expect(catalog.groups.first(where: { $0.id == "a" })?.selector == ["mac": "52:54:00:12:34:56"])
        #expect(catalog.profiles["p"]?.boot == BootConfig(kernel: "/k", initrd: ["/i"], args: ["x"]))
        #expect(catalog.templates[TemplateKey(.ignition, "p.ign")]?.isRawIgnition == true)
    }

    @Test func brokenJSONIsReportedWithLineAndColumnAndLoadsNothing() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/ok.json": #"{"profile": "p"}"#,
            "groups/broken.json": "{\n  \"profile\": \"p\",\n  \"selector\": {\"mac\": \"x\"\n}",
            "profiles/p.json": #"{"id": "p"}"#,
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.catalog == nil)
        #expect(outcome.diagnostics.errors.map(\.description) == ["groups/broken.json:4:2: error: unexpected end of file, expected ',' or '}'"])
    }

    @Test func wrongTypesAndBadSelectorsAreErrorsWithPositions() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/types.json": "{\n  \"profile\": \"p\",\n  \"selector\": {\"rack\": 7}\n}",
            "groups/mac.json": "{\"profile\": \"p\", \"selector\": {\"mac\": \"52:54:00\"}}",
            "groups/noprofile.json": "{\"id\": \"np\"}",
            "profiles/p.json": "{\"boot\": {\"kernel\": \"/k\", \"args\": [\"a\", 1]}}",
            "profiles/escape.json": "{\"ignition_id\": \"../../etc/passwd\"}",
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.catalog == nil)
        let messages = outcome.diagnostics.errors.map(\.description)
        #expect(messages.contains("groups/types.json:3:24: error: selector.rack must be a string, found number (selector values are compared as text: quote it)"))
        #expect(messages.contains { $0.hasPrefix("groups/mac.json:1:38: error: selector mac=52:54:00 is not a MAC address") })
        #expect(messages.contains { $0.hasPrefix("groups/noprofile.json") && $0.contains("names no profile") })
        #expect(messages.contains { $0.hasPrefix("profiles/p.json:1:41: error: boot.args[1] must be a string") })
        #expect(messages.contains { $0.hasPrefix("profiles/escape.json") && $0.contains("'..' components") })
    }

    @Test func configDriveFieldsAreReadAndChecked() throws {
        let good = try TemporaryDataDirectory(files: [
            "profiles/p.json": #"{"config_drive": {"user_data": "cloud", "network_data_id": "net/eth.json", "vendor_data_id": "v.yaml"}}"#,
        ])
        defer { good.remove() }
        let missing = CatalogLoader(dataPath: good.path).load()
        // The files a config drive names are loaded like the profile's own.
        #expect(missing.diagnostics.errors.map(\.description).sorted() == [
            "profiles/p.json: error: profile \"p\" names generic/net/eth.json, which does not exist",
            "profiles/p.json: error: profile \"p\" names generic/v.yaml, which does not exist",
        ])
        try good.write("generic/net/eth.json", "{}")
        try good.write("generic/v.yaml", "#cloud-config\n")
        let catalog = try #require(CatalogLoader(dataPath: good.path).load().catalog)
        #expect(catalog.profiles["p"]?.configDrive == ConfigDriveSpec(userData: .cloud, networkDataID: "net/eth.json", vendorDataID: "v.yaml"))
        #expect(catalog.templates[TemplateKey(.generic, "net/eth.json")]?.bytes == Array("{}".utf8))
        #expect(catalog.templates[TemplateKey(.generic, "v.yaml")] != nil)

        let bad = try TemporaryDataDirectory(files: [
            "profiles/kind.json": #"{"config_drive": {"user_data": "shell"}}"#,
            "profiles/escape.json": #"{"config_drive": {"network_data_id": "../../etc/shadow"}}"#,
            "profiles/type.json": #"{"config_drive": "yes"}"#,
        ])
        defer { bad.remove() }
        let outcome = CatalogLoader(dataPath: bad.path).load()
        #expect(outcome.catalog == nil)
        let messages = outcome.diagnostics.errors.map(\.description)
        #expect(messages.contains { $0.hasPrefix("profiles/kind.json:1:32") && $0.contains("must be ignition, cloud or generic") })
        #expect(messages.contains { $0.hasPrefix("profiles/escape.json") && $0.contains("'..' components") })
        #expect(messages.contains { $0.hasPrefix("profiles/type.json") && $0.contains("config_drive must be an object") })
    }

    @Test func referencesAreCheckedButDoNotBlockTheLoad() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/a.json": #"{"profile": "nope"}"#,
            "profiles/p.json": #"{"ignition_id": "missing.ign", "generic_id": "g.txt"}"#,
            "generic/g.txt": "hello",
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.catalog != nil)
        let messages = outcome.diagnostics.errors.map(\.description)
        #expect(messages.contains("groups/a.json: error: group \"a\" names profile \"nope\", which does not exist in profiles/"))
        #expect(messages.contains("profiles/p.json: error: profile \"p\" names ignition/missing.ign, which does not exist"))
    }

    @Test func duplicateIDsAndInvalidRawIgnitionBreakTheLoad() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/one.json": #"{"id": "same", "profile": "p"}"#,
            "groups/two.json": #"{"id": "same", "profile": "p"}"#,
            "profiles/p.json": #"{"ignition_id": "bad.ign"}"#,
            "ignition/bad.ign": "{\"ignition\": }",
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.catalog == nil)
        let messages = outcome.diagnostics.errors.map(\.description)
        #expect(messages.contains("groups/two.json: error: group id \"same\" is also used by groups/one.json"))
        #expect(messages.contains("ignition/bad.ign:1:14: error: raw Ignition is not valid JSON: unexpected '}', expected a value"))
    }

    @Test func warnsAboutFoldersAndAmbiguity() throws {
        let data = try TemporaryDataDirectory(files: [
            "groups/scenario/x.json": #"{"profile": "p"}"#,
            "groups/a.json": #"{"profile": "p", "selector": {"rack": "1"}}"#,
            "groups/b.json": #"{"profile": "p", "selector": {"zone": "2"}}"#,
            "profiles/p.json": #"{}"#,
        ])
        defer { data.remove() }
        let outcome = CatalogLoader(dataPath: data.path).load()
        #expect(outcome.catalog != nil)
        let warnings = outcome.diagnostics.warnings.map(\.description)
        #expect(warnings.contains { $0.hasPrefix("groups/scenario: warning: is a folder and is not read") })
        #expect(warnings.contains("groups/b.json: warning: groups \"a\" (rack=1) and \"b\" (zone=2) can match the same machine and both have 1 selector; \"a\" wins by id"))
    }

    @Test func missingDataDirectoryIsAnError() {
        let outcome = CatalogLoader(dataPath: "/nonexistent/kiln").load()
        #expect(outcome.catalog == nil)
        #expect(outcome.diagnostics.errors.first?.message == "data directory does not exist or is not a directory")
    }

    @Test(.enabled(if: SharedFixtures.path != nil, "\(SharedFixtures.missingMessage)"))
    func matchboxExamplesLoadUnchanged() throws {
        let examples = SharedFixtures.path! + "/matchbox-examples"
        let scenarios = try FileManager.default.contentsOfDirectory(atPath: examples + "/groups")
        #expect(scenarios.count == 4)
        for scenario in scenarios {
            let data = try TemporaryDataDirectory()
            defer { data.remove() }
            try FileManager.default.removeItem(atPath: data.path + "/groups")
            try FileManager.default.removeItem(atPath: data.path + "/profiles")
            try FileManager.default.removeItem(atPath: data.path + "/ignition")
            try FileManager.default.createSymbolicLink(atPath: data.path + "/groups", withDestinationPath: examples + "/groups/" + scenario)
            try FileManager.default.createSymbolicLink(atPath: data.path + "/profiles", withDestinationPath: examples + "/profiles")
            try FileManager.default.createSymbolicLink(atPath: data.path + "/ignition", withDestinationPath: examples + "/ignition")
            let outcome = CatalogLoader(dataPath: data.path).load()
            #expect(outcome.diagnostics.errors.isEmpty, "\(scenario): \(outcome.diagnostics)")
            #expect(outcome.catalog != nil, "\(scenario)")
        }
    }
}

@Suite struct FingerprintTests {
    @Test func changesWhenAFileChanges() throws {
        let data = try TemporaryDataDirectory(files: ["groups/a.json": "{}"])
        defer { data.remove() }
        let before = DataDirectoryFingerprint.compute(dataPath: data.path)
        #expect(DataDirectoryFingerprint.compute(dataPath: data.path) == before)
        try data.write("groups/a.json", "{ }")
        let afterEdit = DataDirectoryFingerprint.compute(dataPath: data.path)
        #expect(afterEdit != before)
        try data.write("ignition/sub/x.ign", "{}")
        #expect(DataDirectoryFingerprint.compute(dataPath: data.path) != afterEdit)
    }
}
