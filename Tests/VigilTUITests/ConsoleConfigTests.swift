import Foundation
import Testing
import VigilCore
@testable import VigilTUI

@Suite struct ConsoleConfigTests {
    @Test func parsesEveryKey() throws {
        let c = try ConsoleConfig.parse("""
            db: /var/lib/vigil/vigil.db
            listen: 0.0.0.0:9470
            theme: light
            refresh: 500ms
            readonly: true
            local_collector: false
            ai:
              model: deepseek-chat
            """, file: "config.yaml")
        #expect(c == ConsoleConfig(db: "/var/lib/vigil/vigil.db", listen: "0.0.0.0:9470", theme: "light", refreshSeconds: 0.5,
                                   readonly: true, localCollector: false))
        #expect(try ConsoleConfig.parse("", file: "empty.yaml") == ConsoleConfig())
    }

    @Test(arguments: [
        ("theme: light\ncolour: red\n", "config.yaml:2:1: unknown key 'colour'"),
        ("refresh: soon\n", "config.yaml:1:10: 'refresh' must be a duration"),
        ("readonly: maybe\n", "config.yaml:1:11: 'readonly' must be true or false"),
        ("listen: nowhere\n", "config.yaml:1:9: 'listen' must be HOST:PORT"),
        ("ai: deepseek\n", "config.yaml:1:5: 'ai' must be a mapping"),
        ("- a\n- b\n", "config.yaml:1:1: the config is a mapping"),
        ("theme: [unclosed\n", "config.yaml:2:1: YAML syntax error"),
    ])
    func errorsNameFileLineAndColumn(text: String, expected: String) {
        #expect {
            _ = try ConsoleConfig.parse(text, file: "config.yaml")
        } throws: { error in
            "\(error)".hasPrefix(expected)
        }
    }

    @Test func missingFileIsFineOnlyAtTheDefaultPlace() throws {
        let path = NSTemporaryDirectory() + "vigil-no-such-\(UUID().uuidString).yaml"
        #expect(try ConsoleConfig.load(path: path, explicit: false) == ConsoleConfig())
        #expect(throws: ConfigError.self) { try ConsoleConfig.load(path: path, explicit: true) }
    }

    @Test func defaultPathFollowsXDG() {
        #expect(ConsoleConfig.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/vigil/config.yaml")
        #expect(ConsoleConfig.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/vigil/config.yaml")
    }
}
