import AccordAMQP
import AccordContracts

extension AMQPExchangeType {
    /// The broker's exchange type for the one an event's binding declares.
    public init(_ type: AMQPBinding.ExchangeType) {
        switch type {
        case .direct: self = .direct
        case .topic: self = .topic
        case .fanout: self = .fanout
        case .headers: self = .headers
        }
    }
}
