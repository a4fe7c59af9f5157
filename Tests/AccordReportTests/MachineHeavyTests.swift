import Testing

/// Tests that start browsers or measure real load runs. They run one at a time: a Chromium
/// rendering beside a load run would make the run's latencies measure the browser.
@Suite(.serialized) enum MachineHeavyTests {}
