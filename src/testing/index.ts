/**
 * `fractal-coord/testing`: what users need to test their own handlers and trees under faults.
 * A fault-injecting transport (drop, duplicate, delay, reorder, partitions, crashes), seeded
 * and deterministic, whose every fault shows on `tree.events$`.
 */
export {
  ANY_NODE,
  FaultInjectingTransport,
  type FaultInjectingTransportOptions,
  type FaultRule,
  type FaultStats,
  type PartitionOptions,
} from './FaultInjectingTransport.js';
export {
  NatsServerMissingError,
  startNatsServer,
  type NatsServer,
  type NatsServerOptions,
} from './natsServer.js';
