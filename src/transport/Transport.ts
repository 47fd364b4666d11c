/**
 * How envelopes travel between nodes. The runtime only ever calls these three methods, so
 * a link can be in-process, over NATS, or decorated (reliability, fault injection).
 */
import type { AnyEnvelope } from '../../machines/index.js';

/** Receives the envelopes addressed to one node. */
export type Inbox = (envelope: AnyEnvelope) => void;

/** A message transport. */
export interface Transport {
  /**
   * Routes envelopes addressed to `nodeId` into `inbox`. Returns a function that detaches it.
   * Attaching an id twice replaces the earlier inbox.
   */
  attach(nodeId: string, inbox: Inbox): () => void;
  /**
   * Sends an envelope. Never throws for an unreachable target: like a network, the message is
   * then lost (and the transport counts it).
   */
  send(envelope: AnyEnvelope): void;
  /** Stops delivery; envelopes still queued are dropped. Idempotent. */
  close(): void;
}
