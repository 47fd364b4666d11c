/**
 * A transport host for transport unit tests: a SimulatedClock, a fixed random source, and a
 * record of every event, lost link, crash and restart the transport reports.
 */
import { SimulatedClock } from 'xstate';
import type { TransportEvent, TransportHost } from '../../src/transport/Transport.js';

/** A host on simulated time that records what the transport tells it. */
export interface TestTransportHost extends TransportHost {
  readonly clock: SimulatedClock;
  readonly events: TransportEvent[];
  readonly lost: [from: string, to: string][];
  readonly killed: string[];
  readonly revived: string[];
}

/** Builds a {@link TestTransportHost}; `random` defaults to always 0.5 (no jitter spread). */
export function createTransportHost(random: () => number = () => 0.5): TestTransportHost {
  const clock = new SimulatedClock();
  const events: TransportEvent[] = [];
  const lost: [string, string][] = [];
  const killed: string[] = [];
  const revived: string[] = [];
  return {
    clock,
    events,
    lost,
    killed,
    revived,
    now: () => clock.now(),
    random,
    emit: (make) => events.push(make()),
    linkLost: (from, to) => lost.push([from, to]),
    killNode: (nodeId) => killed.push(nodeId),
    reviveNode: (nodeId) => revived.push(nodeId),
  };
}
