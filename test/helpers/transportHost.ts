/**
 * A transport host for transport unit tests: a SimulatedClock, a fixed random source, and a
 * record of every event, lost link, crash, restart and undeliverable envelope the transport
 * reports.
 */
import { SimulatedClock } from 'xstate';
import type { AnyEnvelope } from '../../machines/index.js';
import type { TransportEvent, TransportHost } from '../../src/transport/Transport.js';

/** A host on simulated time that records what the transport tells it. */
export interface TestTransportHost extends TransportHost {
  readonly clock: SimulatedClock;
  readonly events: TransportEvent[];
  readonly lost: [from: string, to: string][];
  readonly killed: string[];
  readonly revived: string[];
  readonly undelivered: AnyEnvelope[];
}

/** Builds a {@link TestTransportHost}; `random` defaults to always 0.5 (no jitter spread). */
export function createTransportHost(random: () => number = () => 0.5): TestTransportHost {
  const clock = new SimulatedClock();
  const events: TransportEvent[] = [];
  const lost: [string, string][] = [];
  const killed: string[] = [];
  const revived: string[] = [];
  const undelivered: AnyEnvelope[] = [];
  return {
    clock,
    events,
    lost,
    killed,
    revived,
    undelivered,
    now: () => clock.now(),
    random,
    emit: (make) => events.push(make()),
    linkLost: (from, to) => lost.push([from, to]),
    killNode: (nodeId) => killed.push(nodeId),
    reviveNode: (nodeId) => revived.push(nodeId),
    undeliverable: (envelope) => undelivered.push(envelope),
  };
}
