/// A fixed-capacity FIFO: appending to a full buffer drops (and returns) the oldest element.
/// Logical index 0 is the oldest element, `count - 1` the newest.
struct RingBuffer<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0  // index in `storage` of the oldest element once full
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 1, "RingBuffer capacity must be at least 1")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    var count: Int { storage.count }
    /// Heap bytes held (the storage's capacity).
    var heapBytes: Int { storage.capacity * MemoryLayout<Element>.stride }
    var isEmpty: Bool { storage.isEmpty }
    var isFull: Bool { storage.count == capacity }

    /// The storage slot the next `append` writes (the oldest element's once full). An element keeps its slot from
    /// its append until it is dropped, so a slot can stand for it (`ShortWindows` orders slots by their values).
    var nextSlot: Int { storage.count < capacity ? storage.count : head }

    /// The element in storage slot `slot` (see `nextSlot`).
    func element(atSlot slot: Int) -> Element { storage[slot] }

    /// The storage slot of logical position `i` (0 = oldest).
    func slot(at i: Int) -> Int {
        let j = head + i
        return j < capacity ? j : j - capacity
    }

    /// The element at logical position `i` (0 = oldest).
    subscript(i: Int) -> Element { storage[slot(at: i)] }

    /// Appends `element`; when full, the oldest element is dropped and returned.
    @discardableResult
    mutating func append(_ element: Element) -> Element? {
        if storage.count < capacity {
            storage.append(element)
            return nil
        }
        let old = storage[head]
        storage[head] = element
        head += 1
        if head == capacity { head = 0 }
        return old
    }
}
