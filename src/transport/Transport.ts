/**
 * How envelopes travel between nodes. The runtime only ever calls these methods, so a link can
 * be in-process, over NATS, or decorated (reliable delivery, fault injection).
 */
import type { AnyEnvelope } from '../../machines/index.js';
import type { TreeClock } from '../runtime/Timers.js';

/** Receives the envelopes addressed to one node. */
export type Inbox = (envelope: AnyEnvelope) => void;

/**
 * A transport's handle on one address (see {@link Transport.route}), opaque to the sender. It
 * stays usable for as long as the sender holds it, even if the address detaches.
 */
export interface Route {
  readonly nodeId: string;
}

/** A fault the fault-injecting transport applied. */
export interface FaultEvent {
  readonly type: 'fault';
  /**
   * `drop`, `duplicate`, `delay`, `reorder`: applied to one envelope. `partition` / `heal`: a
   * link (`from → to`, both ways unless `oneWay`) was cut or restored. `crash` / `restart`: a
   * node (`from`) was killed or brought back.
   */
  readonly fault:
    'drop' | 'duplicate' | 'delay' | 'reorder' | 'partition' | 'heal' | 'crash' | 'restart';
  readonly from: string;
  /** The other end; `'$all'` (`ANY_NODE`) for a whole node's isolation (every peer). */
  readonly to?: string;
  /** For `partition`: only `from → to` is cut. For `heal`: only that direction was restored. */
  readonly oneWay?: boolean;
  /** For `drop`: by chance (the link's drop rate) or because the link is partitioned. */
  readonly cause?: 'chance' | 'partition';
  /** The envelope it was applied to. */
  readonly envelope?: AnyEnvelope;
  /** For `delay` and `reorder`: how long the envelope was held, ms. */
  readonly delayMs?: number;
  readonly at: number;
}

/** What the reliable transport did on a link. */
export interface DeliveryEvent {
  readonly type: 'delivery';
  /**
   * `resent`: unacknowledged envelopes were sent again. `gave-up`: the link stayed silent past
   * its budget; its unacknowledged envelopes are dropped and its sender's node is told.
   */
  readonly what: 'resent' | 'gave-up';
  readonly from: string;
  readonly to: string;
  /** Envelopes concerned. */
  readonly count: number;
  readonly at: number;
}

/** An inbound envelope a transport refused before any node saw it. */
export interface RefusedEvent {
  readonly type: 'refused';
  /** The node it was for. */
  readonly nodeId: string;
  /** Larger than allowed, not a valid envelope, or addressed to another node. */
  readonly reason: 'oversized' | 'malformed' | 'misaddressed';
  readonly detail: string;
  readonly at: number;
}

/** Events a transport publishes on the tree's event stream. */
export type TransportEvent = FaultEvent | DeliveryEvent | RefusedEvent;

/**
 * What the tree lends the transport it uses: its clock, randomness and event stream, and the
 * hooks through which a transport reports a lost link or crashes a node (fault injection).
 */
export interface TransportHost {
  /** The tree's clock: every transport timer runs on it (simulated in tests). */
  readonly clock: TreeClock;
  /** Clock time, ms. */
  now(): number;
  /** The tree's random source, in [0, 1). */
  random(): number;
  /** Publishes an event on `tree.events$` (built only if someone listens). */
  emit(make: () => TransportEvent): void;
  /** The link `from → to` gave up delivering: `from`'s node is told (a child becomes unreachable). */
  linkLost(from: string, to: string): void;
  /** Crashes a node (as `tree.kill`). */
  killNode(nodeId: string): void;
  /** Brings a crashed node back fresh (as `tree.revive`). */
  reviveNode(nodeId: string): void;
  /**
   * An envelope the transport could not deliver (nothing attached at its address): counted as
   * dropped, and its sender is told if it awaits an answer (a lossless transport's INIT).
   */
  undeliverable(envelope: AnyEnvelope): void;
}

/** A message transport. */
export interface Transport {
  /**
   * Called once by the tree that uses the transport, before anything is attached. A decorator
   * passes the host on to the transport it wraps.
   */
  bind?(host: TransportHost): void;
  /**
   * True for a transport that loses nothing silently: an envelope sent to an attached address
   * is delivered, and one it cannot deliver is reported to its host's `undeliverable`. Its
   * senders then resend nothing merely because an answer is slow (a long queue is not a lost
   * message): an unacknowledged INIT is sent again only once reported lost. Default false (a
   * network, or a decorator that injects faults).
   */
  readonly lossless?: boolean;
  /**
   * Routes envelopes addressed to `nodeId` into `inbox`. Returns a function that detaches it.
   * Attaching an id twice replaces the earlier inbox.
   */
  attach(nodeId: string, inbox: Inbox): () => void;
  /**
   * Optional: a handle on `nodeId`'s inbox, which a sender that sends there often keeps and
   * passes to `send`, so that the transport need not look the address up on each envelope.
   * Undefined while nothing is attached there. A transport without it looks up every envelope.
   */
  route?(nodeId: string): Route | undefined;
  /**
   * Sends an envelope, with the transport's route to its `to` if the sender has one. Never
   * throws for an unreachable target: like a network, the message is then lost (and the
   * transport counts it).
   */
  send(envelope: AnyEnvelope, route?: Route): void;
  /**
   * Waits until what was sent has been delivered (acknowledged, for a reliable transport), up
   * to `timeoutMs` of the tree's clock; resolves false if it had not. Optional: a transport
   * without it has nothing to wait for.
   */
  flush?(timeoutMs: number): Promise<boolean>;
  /** Stops delivery and every timer; envelopes still queued are dropped. Idempotent. */
  close(): void;
}
