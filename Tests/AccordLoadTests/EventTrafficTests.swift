import AccordAMQP
import AccordGRPC
import AccordTestSupport
import Foundation
import Testing

@testable import AccordLoad

/// A run's publishes on a real broker that closes every connection mid-way (one test at a time:
/// each closes the connections of the suite's vhost).
@Suite(.ownVirtualHost, .serialized) struct EventTrafficTests {
    static let body = Array(#"{"id":1}"#.utf8)

    /// Started traffic of one `order.created` route on the suite's vhost, with the broker that can
    /// close its connections and the vhost to close them on; nil when the broker is not the tests'
    /// own (with AMQP_URL).
    static func started(
        tapped: Bool, connections: Int, runName: String
    ) async throws -> (traffic: EventTraffic, route: EventTraffic.Route, broker: ManagedBroker, vhost: String)? {
        guard try TestBroker.available(), let broker = try await TestBroker.shared().managed else { return nil }
        let endpoint = try await TestBroker.endpoint()
        let route = EventTraffic.Route(
            event: "order.created", exchange: TestBroker.uniqueName("orders"), exchangeType: .topic,
            routingKey: "order.created", contentType: "application/json", tapped: tapped)
        let traffic = EventTraffic(endpoint: endpoint, connections: connections, routes: [route], runName: runName)
        try await traffic.start()
        return (traffic, route, broker, endpoint.vhost)
    }

    /// The broker closes every connection of the test's vhost: publishes during the outage are not
    /// sent (never waiting for the reconnect), each publisher connection is reconnected in the
    /// background, later publishes are confirmed again, the accounting balances and the summary says it.
    @Test func lostPublisherConnectionsAreReconnectedAndTheOutageCounted() async throws {
        guard let (traffic, route, broker, vhost) = try await Self.started(
            tapped: false, connections: 2, runName: "reconnect")
        else { return }
        let startNanos = MonotonicTime.now()
        let body = Self.body

        var before: [PublishOutcome] = []
        for _ in 0..<20 { before.append(await traffic.publish(body, as: route).outcome) }
        #expect(before.allSatisfy { $0.isAck })

        _ = try await broker.rabbitmqctl(["close_all_connections", "-p", vhost, "accord test: outage"])
        // Publishes spaced a little, so that the outage (at least the first 250 ms reconnect delay) takes
        // some of them, until 20 were confirmed after the first failure (bounded: 3,000 publishes).
        var after: [PublishOutcome] = []
        var acksAfterFailure = 0
        for _ in 0..<3000 where acksAfterFailure < 20 {
            let outcome = await traffic.publish(body, as: route).outcome
            if outcome.isAck && after.contains(where: { !$0.isAck }) { acksAfterFailure += 1 }
            after.append(outcome)
            try await Task.sleep(for: .milliseconds(5))
        }
        let results = await traffic.finish(drainTimeout: .seconds(1))

        #expect(acksAfterFailure == 20)
        let notSent = after.count { $0.loadErrorKind == "amqp.not_sent" }
        #expect(notSent > 0)
        #expect(after.allSatisfy { $0.isAck || $0.connectionLoss != nil })
        let outcomes = before + after
        let account = try #require(results.accounts.first)
        #expect(account.published + UInt64(notSent) == UInt64(outcomes.count))
        #expect(account.confirmed == UInt64(outcomes.count(where: \.isAck)))
        #expect(account.published == account.confirmed + account.nacked + account.unconfirmed)
        #expect(traffic.tracker.account(for: route.event).notSent == notSent)

        // Both connections were closed; each was lost once and reconnected.
        #expect(results.publisherOutages.map(\.slot).sorted() == [0, 1])
        #expect(results.publisherOutages.allSatisfy { $0.reconnectedAt != nil && $0.attempts >= 1 })
        #expect(results.publisherOutages.allSatisfy { $0.reason.contains("CONNECTION_FORCED") })
        // The run's verdict notes (summary.json, the printed NOTEs): one per loss.
        let notes = ProfileRun.messageNotes(results, startNanos: startNanos)
        #expect(notes.count == 2)
        #expect(notes.allSatisfy { $0.contains("s later (attempt ") && $0.contains("CONNECTION_FORCED") })
    }

    /// The tap's connection is closed with the publishers': it consumes again from a new queue, every
    /// message published once it is back is consumed before `finish` returns, and the note says when.
    @Test func aTapWhoseConnectionIsLostConsumesAgain() async throws {
        guard let (traffic, route, broker, vhost) = try await Self.started(
            tapped: true, connections: 1, runName: "tap-reconnect")
        else { return }
        let startNanos = MonotonicTime.now()
        let body = Self.body
        for _ in 0..<20 { #expect(await traffic.publish(body, as: route).outcome.isAck) }

        _ = try await broker.rabbitmqctl(["close_all_connections", "-p", vhost, "accord test: tap outage"])
        // The tap is back when a message published now is consumed (bounded: 200 probes, 50 ms apart).
        let consumedBefore = traffic.tracker.account(for: route.event).consumed
        var back = false
        for _ in 0..<200 where !back {
            _ = await traffic.publish(body, as: route)
            try await Task.sleep(for: .milliseconds(50))
            back = traffic.tracker.account(for: route.event).consumed > consumedBefore
        }
        #expect(back, "the tap never consumed again")
        let late = traffic.tracker.nextSequence(for: route.event)
        for _ in 0..<20 { #expect(await traffic.publish(body, as: route).outcome.isAck) }
        let results = await traffic.finish(drainTimeout: .seconds(10))

        #expect(traffic.tracker.unconsumed(for: route.event, from: late) == 0)
        let failure = try #require(results.tapFailures.first)
        #expect(results.tapFailures.count == 1)
        #expect(failure.reason.contains("CONNECTION_FORCED"), "\(failure.reason)")
        let backAt = try #require(failure.backAt)
        #expect(backAt > failure.at)
        let notes = ProfileRun.messageNotes(results, startNanos: startNanos)
        #expect(notes.contains { $0.contains("the tap on order.created stopped") && $0.contains("consumed again") },
                "\(notes)")
    }
}
