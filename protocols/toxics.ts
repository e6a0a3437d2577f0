/**
 * The faults API's toxic types per proxy protocol, in the order the service lists them
 * (services/faults/toxics/registry.ts): what the CLI completes after `netlab faults toxic add`.
 * tests/unit/protocols/vocabulary.test.ts checks this against the service's registry.
 */
export const TOXIC_TYPES = {
  tcp: ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'],
  udp: ['latency', 'loss', 'duplicate', 'reorder', 'corrupt', 'rate'],
} as const satisfies Readonly<Record<'tcp' | 'udp', readonly string[]>>
