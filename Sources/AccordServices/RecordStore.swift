import AccordJSON

/// A reference service's repository: records (JSON objects) in insertion order, keyed by the
/// string in their id field. A value without I/O: the service keeps one behind a lock, handlers
/// read a snapshot and hand back a `RecordChange`.
public struct RecordStore: Sendable, Hashable {
    /// The store's name, from `reference.store` (for messages).
    public let name: String
    /// The record member holding the key (`reference.id`).
    public let idField: String
    /// Generated ids are `<idPrefix>-<sequence>`: a prefix per process keeps the ids of replicas
    /// and restarts apart, the sequence keeps them short and ordered.
    public let idPrefix: String
    public private(set) var records: [[String: JSONValue]] = []
    private var positions: [String: Int] = [:]
    private var sequence = 0

    public init(name: String, idField: String, idPrefix: String) {
        self.name = name
        self.idField = idField
        self.idPrefix = idPrefix
    }

    /// A fresh id; ids are never reused, even when the record they were made for is not stored.
    public mutating func makeID() -> String {
        sequence += 1
        return "\(idPrefix)-\(sequence)"
    }

    public func record(id: String) -> [String: JSONValue]? {
        positions[id].map { records[$0] }
    }

    /// Applies a change a handler planned. An update or delete of a record that is gone by then
    /// (a concurrent delete) does nothing.
    public mutating func apply(_ change: RecordChange) {
        switch change {
        case .insert(let record):
            guard let id = Self.key(record[idField]) else { return }
            if let position = positions[id] {
                records[position] = record
            } else {
                positions[id] = records.count
                records.append(record)
            }
        case .merge(let id, let fields):
            guard let position = positions[id] else { return }
            for (name, value) in fields where name != idField { records[position][name] = value }
        case .remove(let id):
            guard let position = positions.removeValue(forKey: id) else { return }
            records.remove(at: position)
            for (key, index) in positions where index > position { positions[key] = index - 1 }
        }
    }

    /// A key as text: strings as they are, numbers by their literal (an int32 key arrives as a
    /// JSON number in proto3 JSON, an int64 one as a string).
    public static func key(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .number(let number)?: number.literal
        default: nil
        }
    }
}

/// What a handler does to the store once its events are confirmed.
public enum RecordChange: Sendable, Hashable {
    /// A new record (with its id member set).
    case insert([String: JSONValue])
    /// Sets these members of the record with this id (its id member stays).
    case merge(id: String, fields: [String: JSONValue])
    case remove(id: String)
}
