import Testing
@testable import VigilCore

/// Every transition of the alert lifecycle, `for`, `keep_firing_for`, and flapping.
struct AlertStateMachineTests {
    let t0: Int64 = 1_800_000_000_000
    let s: Int64 = 1000
    let m: Int64 = 60_000
    let noFlap = FlapPolicy(maxChanges: 1000, window: 60_000)

    @Test func forZeroFiresAtOnceAndResolvesAtOnce() {
        var a = AlertStateMachine(forDuration: 0, keepFiringFor: 0, flapPolicy: noFlap)
        #expect(a.state == .inactive)
        #expect(a.evaluate(breaching: false, at: t0) == [])
        #expect(a.evaluate(breaching: true, at: t0 + s) == [.firing(at: t0 + s)])
        #expect(a.state == .firing(since: t0 + s) && a.isFiring)
        #expect(a.evaluate(breaching: true, at: t0 + 2 * s) == [])
        #expect(a.evaluate(breaching: false, at: t0 + 3 * s) == [.resolved(at: t0 + 3 * s)])
        #expect(a.state == .resolved(at: t0 + 3 * s) && !a.isFiring)
        #expect(a.evaluate(breaching: false, at: t0 + 4 * s) == [])
        #expect(a.state == .resolved(at: t0 + 3 * s))
    }

    @Test func pendingUntilForHasPassed() {
        var a = AlertStateMachine(forDuration: 5 * m, flapPolicy: noFlap)
        #expect(a.evaluate(breaching: true, at: t0) == [.pending(at: t0)])
        #expect(a.state == .pending(since: t0))
        #expect(a.evaluate(breaching: true, at: t0 + 4 * m) == [])
        #expect(a.evaluate(breaching: true, at: t0 + 5 * m - 1) == [])
        #expect(a.state == .pending(since: t0))
        #expect(a.evaluate(breaching: true, at: t0 + 5 * m) == [.firing(at: t0 + 5 * m)])
        #expect(a.state == .firing(since: t0 + 5 * m))
    }

    @Test func pendingThatClearsGoesBackToInactiveWithoutFiring() {
        var a = AlertStateMachine(forDuration: 5 * m, flapPolicy: noFlap)
        _ = a.evaluate(breaching: true, at: t0)
        #expect(a.evaluate(breaching: false, at: t0 + 4 * m) == [.cleared(at: t0 + 4 * m)])
        #expect(a.state == .inactive)
        // A new breach starts `for` over.
        #expect(a.evaluate(breaching: true, at: t0 + 6 * m) == [.pending(at: t0 + 6 * m)])
        #expect(a.evaluate(breaching: true, at: t0 + 10 * m) == [])
        #expect(a.evaluate(breaching: true, at: t0 + 11 * m) == [.firing(at: t0 + 11 * m)])
    }

    @Test func keepFiringForHoldsAFiringAlertAfterItClears() {
        var a = AlertStateMachine(forDuration: 0, keepFiringFor: 2 * m, flapPolicy: noFlap)
        _ = a.evaluate(breaching: true, at: t0)
        #expect(a.evaluate(breaching: false, at: t0 + m) == [])
        #expect(a.state == .firing(since: t0) && a.keepFiringSince == t0 + m)
        #expect(a.evaluate(breaching: false, at: t0 + 2 * m) == [])
        #expect(a.evaluate(breaching: false, at: t0 + 3 * m - 1) == [])
        #expect(a.isFiring)
        #expect(a.evaluate(breaching: false, at: t0 + 3 * m) == [.resolved(at: t0 + 3 * m)])
        #expect(a.state == .resolved(at: t0 + 3 * m) && a.keepFiringSince == nil)
    }

    @Test func reBreachDuringKeepFiringForKeepsFiringAndRestartsTheHold() {
        var a = AlertStateMachine(forDuration: 0, keepFiringFor: 2 * m, flapPolicy: noFlap)
        _ = a.evaluate(breaching: true, at: t0)
        _ = a.evaluate(breaching: false, at: t0 + m)
        #expect(a.evaluate(breaching: true, at: t0 + 2 * m) == [], "no new firing event: it never stopped")
        #expect(a.state == .firing(since: t0) && a.keepFiringSince == nil)
        #expect(a.evaluate(breaching: false, at: t0 + 3 * m) == [])
        // 2 min after the *first* clear would be t0+3m; the hold restarted at t0+3m, so it ends at t0+5m.
        #expect(a.evaluate(breaching: false, at: t0 + 4 * m) == [])
        #expect(a.evaluate(breaching: false, at: t0 + 5 * m) == [.resolved(at: t0 + 5 * m)])
    }

    @Test func resolvedAlertBreachingAgainStartsANewCycle() {
        var a = AlertStateMachine(forDuration: m, flapPolicy: noFlap)
        _ = a.evaluate(breaching: true, at: t0)
        _ = a.evaluate(breaching: true, at: t0 + m)
        #expect(a.evaluate(breaching: false, at: t0 + 2 * m) == [.resolved(at: t0 + 2 * m)])
        #expect(a.evaluate(breaching: true, at: t0 + 3 * m) == [.pending(at: t0 + 3 * m)])
        #expect(a.state == .pending(since: t0 + 3 * m))
        #expect(a.evaluate(breaching: true, at: t0 + 4 * m) == [.firing(at: t0 + 4 * m)])
        #expect(a.state == .firing(since: t0 + 4 * m))
    }

    @Test func manualResolve() {
        var a = AlertStateMachine(forDuration: 0, keepFiringFor: 10 * m, flapPolicy: noFlap)
        #expect(a.resolveManually(at: t0) == [])
        _ = a.evaluate(breaching: true, at: t0)
        #expect(a.resolveManually(at: t0 + s) == [.resolved(at: t0 + s)])
        #expect(a.state == .resolved(at: t0 + s))
        var p = AlertStateMachine(forDuration: m, flapPolicy: noFlap)
        _ = p.evaluate(breaching: true, at: t0)
        #expect(p.resolveManually(at: t0 + s) == [.cleared(at: t0 + s)])
        #expect(p.state == .inactive)
    }

    @Test func ruleSettingsCarryOver() {
        let rule = AlertRule(name: "X", kind: .hostStale(.init(after: m)), forDuration: 3 * m, keepFiringFor: m,
                             flapPolicy: FlapPolicy(maxChanges: 2, window: m))
        let a = AlertStateMachine(rule: rule)
        #expect(a.forDuration == 3 * m && a.keepFiringFor == m && a.flapPolicy == FlapPolicy(maxChanges: 2, window: m, calmChanges: 1))
    }

    @Test func flappingStartsOnceAndStopsWhenCalm() {
        // More than 3 changes within 10 min → flapping; calm at 1 or fewer.
        var a = AlertStateMachine(forDuration: 0, keepFiringFor: 0, flapPolicy: FlapPolicy(maxChanges: 3, window: 10 * m))
        #expect(a.evaluate(breaching: true, at: t0) == [.firing(at: t0)])
        #expect(a.evaluate(breaching: false, at: t0 + m) == [.resolved(at: t0 + m)])
        #expect(a.evaluate(breaching: true, at: t0 + 2 * m) == [.firing(at: t0 + 2 * m)])
        #expect(!a.isFlapping)
        #expect(a.evaluate(breaching: false, at: t0 + 3 * m) == [.resolved(at: t0 + 3 * m), .flappingStarted(at: t0 + 3 * m)])
        #expect(a.isFlapping)
        #expect(a.evaluate(breaching: true, at: t0 + 4 * m) == [.firing(at: t0 + 4 * m)], "flapping is announced once")
        #expect(a.recentChanges.count == 5)
        for minute in Int64(5)...12 {
            #expect(a.evaluate(breaching: true, at: t0 + minute * m) == [])
        }
        // At 12 min the changes at 3 and 4 min are still within the window: 2 > 1, still flapping.
        #expect(a.isFlapping && a.recentChanges == [t0 + 3 * m, t0 + 4 * m])
        #expect(a.evaluate(breaching: true, at: t0 + 13 * m) == [.flappingStopped(at: t0 + 13 * m)])
        #expect(!a.isFlapping && a.isFiring)
    }

    @Test func changesSpreadOutNeverFlap() {
        var a = AlertStateMachine(forDuration: 0, flapPolicy: FlapPolicy(maxChanges: 3, window: 10 * m))
        for i in Int64(0)..<20 {
            let events = a.evaluate(breaching: i % 2 == 0, at: t0 + i * 4 * m)
            #expect(!events.contains(.flappingStarted(at: t0 + i * 4 * m)))
        }
        #expect(!a.isFlapping)
    }

    @Test func pendingFlickerCountsAsChanges() {
        var a = AlertStateMachine(forDuration: 5 * m, flapPolicy: FlapPolicy(maxChanges: 3, window: 10 * m))
        var all: [AlertEvent] = []
        for i in Int64(0)..<4 { all += a.evaluate(breaching: i % 2 == 0, at: t0 + i * m) }
        #expect(all == [.pending(at: t0), .cleared(at: t0 + m), .pending(at: t0 + 2 * m), .cleared(at: t0 + 3 * m), .flappingStarted(at: t0 + 3 * m)])
        #expect(!all.contains { if case .firing = $0 { return true } else { return false } })
    }
}
