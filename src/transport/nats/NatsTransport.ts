/**
 * Envelopes over NATS: one subject per tree and node (`fc.<tree>.<node>`), JSON on the wire,
 * every inbound envelope size-checked and validated before the runtime sees it. A refused
 * envelope is dropped, counted and reported; it never reaches a node and never throws.
 *
 * NATS drops what is published while the client is disconnected: put a `ReliableTransport`
 * over this one so that nothing is lost across a reconnect.
 */
import type { NatsConnection, Subscription } from 'nats';
import type { AnyEnvelope } from '../../../machines/index.js';
import { InvalidPolicyError } from '../../errors.js';
import type { Inbox, Transport, TransportHost } from '../Transport.js';
import { decodeEnvelope, encodeEnvelope, type RefusalReason } from './envelopeSchema.js';

/** Options of {@link NatsTransport}. */
export interface NatsTransportOptions {
  /** A connected client (`connect()` from `nats`, with your servers and credentials). It stays yours: `close()` does not close it. */
  readonly connection: NatsConnection;
  /** The tree's name: the first token of every subject (letters, digits, `-` and `_`). */
  readonly tree: string;
  /** Largest envelope accepted, bytes. Default 1 048 576 (1 MiB). */
  readonly maxBytes?: number;
  /**
   * Envelopes between two nodes attached here (in this process) are handed over directly,
   * without the server: they cost nothing on the wire and keep flowing while the connection is
   * down. Default true.
   */
  readonly localDelivery?: boolean;
}

/** Envelopes refused on the way in, by reason. */
export interface NatsRefusals {
  oversized: number;
  malformed: number;
  /** Addressed to another node than the subject it arrived on (forged or misrouted). */
  misaddressed: number;
}

/** The subject of a node of a tree. Node ids are escaped so that `.`, `*`, `>` and spaces cannot split or widen it. */
export function nodeSubject(tree: string, nodeId: string): string {
  const escaped = encodeURIComponent(nodeId).replace(
    /[.*>~!'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `fc.${tree}.${escaped}`;
}

/** A transport over one NATS connection. */
export class NatsTransport implements Transport {
  /** Envelopes published, handed over locally, received (before validation), and those refused. */
  readonly stats = {
    published: 0,
    local: 0,
    received: 0,
    refused: { oversized: 0, malformed: 0, misaddressed: 0 },
  };
  private readonly subscriptions = new Map<string, Subscription>();
  /** Inboxes of the nodes attached here, for local delivery. */
  private readonly inboxes = new Map<string, Inbox>();
  private readonly maxBytes: number;
  private host: TransportHost | null = null;
  private closed = false;

  /** @throws InvalidPolicyError for a tree name that is not a single subject token, or a bad maxBytes */
  constructor(private readonly options: NatsTransportOptions) {
    if (!/^[A-Za-z0-9_-]+$/.test(options.tree)) {
      throw new InvalidPolicyError(
        `options.tree must be letters, digits, '-' or '_' (one NATS subject token); got ${JSON.stringify(options.tree)}.`,
      );
    }
    this.maxBytes = options.maxBytes ?? 1_048_576;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1_024) {
      throw new InvalidPolicyError(
        `options.maxBytes must be an integer ≥ 1 024 (bytes); got ${String(options.maxBytes)}.`,
      );
    }
  }

  bind(host: TransportHost): void {
    this.host = host;
  }

  attach(nodeId: string, inbox: Inbox): () => void {
    this.subscriptions.get(nodeId)?.unsubscribe();
    const subscription = this.options.connection.subscribe(nodeSubject(this.options.tree, nodeId), {
      callback: (error, message) => {
        if (error !== null || this.closed) return;
        this.stats.received++;
        const decoded = decodeEnvelope(message.data, this.maxBytes);
        if (!decoded.ok) return this.refuse(nodeId, decoded.reason, decoded.detail);
        if (decoded.envelope.to !== nodeId) {
          return this.refuse(nodeId, 'misaddressed', `addressed to ${decoded.envelope.to}`);
        }
        inbox(decoded.envelope);
      },
    });
    this.subscriptions.set(nodeId, subscription);
    this.inboxes.set(nodeId, inbox);
    return () => {
      if (this.subscriptions.get(nodeId) !== subscription) return;
      this.subscriptions.delete(nodeId);
      this.inboxes.delete(nodeId);
      subscription.unsubscribe();
    };
  }

  send(envelope: AnyEnvelope): void {
    if (this.closed) return;
    const local = this.options.localDelivery === false ? undefined : this.inboxes.get(envelope.to);
    if (local !== undefined) {
      this.stats.local++;
      // Asynchronous, as from the wire; in order, as microtasks run in order.
      queueMicrotask(() => {
        if (this.inboxes.get(envelope.to) === local) local(envelope);
      });
      return;
    }
    if (this.options.connection.isClosed()) return;
    this.stats.published++;
    this.options.connection.publish(
      nodeSubject(this.options.tree, envelope.to),
      encodeEnvelope(envelope),
    );
  }

  /** Unsubscribes every node; the connection stays open (it is the caller's). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
    this.inboxes.clear();
  }

  private refuse(nodeId: string, reason: RefusalReason | 'misaddressed', detail: string): void {
    this.stats.refused[reason]++;
    const host = this.host;
    host?.emit(() => ({ type: 'refused', nodeId, reason, detail, at: host.now() }));
  }
}
