import CRabbitMQ

/// Scratch memory for the C structures of one rabbitmq-c call (strings, table entries, nested tables),
/// handed out by bumping an offset and released all at once with `reset()`. Publishing reuses the
/// same chunk for every message, so building the C properties costs no allocation per message.
final class CArena {
    private static let chunkSize = 16_384
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    /// Allocations bigger than a chunk, freed on reset.
    private var large: [UnsafeMutableRawBufferPointer] = []
    private var chunkIndex = 0
    private var offset = 0

    deinit {
        for chunk in chunks + large { chunk.deallocate() }
    }

    func reset() {
        for block in large { block.deallocate() }
        large.removeAll(keepingCapacity: true)
        chunkIndex = 0
        offset = 0
    }

    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = allocate(byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// `bytes` copied into the arena, as rabbitmq-c's (length, pointer) pair.
    func bytes<C: Collection<UInt8>>(_ bytes: C) -> amqp_bytes_t {
        guard !bytes.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
        let raw = allocate(byteCount: bytes.count, alignment: 1)
        let buffer = UnsafeMutableRawBufferPointer(start: raw, count: bytes.count)
        buffer.copyBytes(from: bytes)
        return amqp_bytes_t(len: bytes.count, bytes: raw)
    }

    func bytes(_ text: String) -> amqp_bytes_t { bytes(text.utf8) }

    private func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if byteCount > Self.chunkSize {
            let block = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
            large.append(block)
            return block.baseAddress!
        }
        while true {
            if chunkIndex == chunks.count {
                chunks.append(.allocate(byteCount: Self.chunkSize, alignment: 16))
            }
            let aligned = (offset + alignment - 1) / alignment * alignment
            if aligned + byteCount <= Self.chunkSize {
                offset = aligned + byteCount
                return chunks[chunkIndex].baseAddress! + aligned
            }
            chunkIndex += 1
            offset = 0
        }
    }
}
