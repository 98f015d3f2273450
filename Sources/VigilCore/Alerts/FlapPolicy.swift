/// When an alert counts as flapping: more than `maxChanges` state changes within `window`. It calms down
/// (stops flapping) once the changes within the window are down to `calmChanges` or fewer.
public struct FlapPolicy: Sendable, Equatable {
    public var maxChanges: Int
    /// Milliseconds.
    public var window: Int64
    public var calmChanges: Int

    /// `calmChanges` defaults to half of `maxChanges`.
    public init(maxChanges: Int, window: Int64, calmChanges: Int? = nil) {
        self.maxChanges = maxChanges
        self.window = window
        self.calmChanges = min(calmChanges ?? maxChanges / 2, maxChanges)
    }

    /// More than 5 changes in 10 minutes: two full pending → firing → resolved cycles.
    public static let `default` = FlapPolicy(maxChanges: 5, window: 600_000)
}
