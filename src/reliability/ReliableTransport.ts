/**
 * A transport decorator for reliable delivery: each directed link (`from → to`) delivers exactly
 * once and in order over an inner transport that may drop, duplicate, delay and reorder.
 *
 * A sender numbers its envelopes to each peer in a stream (one per session and epoch). The
 * receiver delivers them in order, holds back early ones, drops duplicates, and acknowledges
 * cumulatively: once per tick in a bare acknowledgement, or on its own next envelope back
 * (piggybacked). Unacknowledged envelopes are resent on one timer per stream with exponential
 * backoff; a stream with no progress past its budget gives up and reports the link lost.
 */
import type { AnyEnvelope, LinkHeader } from '../../machines/index.js';
import { TreeLifecycleError } from '../errors.js';
import { Timers } from '../runtime/Timers.js';
import type { Inbox, Transport, TransportHost } from '../transport/Transport.js';
import { LocalNode } from './LocalNode.js';
import { ReceiveStream } from './ReceiveStream.js';
import {
  resolveReliableOptions,
  type ReliableTransportOptions,
  type ResolvedReliableOptions,
} from './reliableOptions.js';
import { zeroStats, type ReliableTransportStats } from './reliableStats.js';
import { SendStream, withLink, type SendStreamOwner } from './SendStream.js';

export type { ReliableTransportOptions } from './reliableOptions.js';
export type { ReliableTransportStats } from './reliableStats.js';

/** How often {@link ReliableTransport.flush} looks again, ms. */
const FLUSH_POLL_MS = 10;

/**
 * Exactly-once, in-order delivery per directed link, over any {@link Transport}. Envelopes from
 * a peer without it (no `link` header) pass straight through.
 */
export class ReliableTransport implements Transport {
  private readonly counters = zeroStats();
  /** Counters since creation; the object is live, read it at any time. */
  readonly stats: ReliableTransportStats = this.counters;
  private readonly options: ResolvedReliableOptions;
  private host: TransportHost | null = null;
  private timers: Timers | null = null;
  private owner: SendStreamOwner | null = null;
  private closed = false;
  /** Local nodes (those attached, and those that sent), by id. */
  private readonly nodes = new Map<string, LocalNode>();
  /** Streams that may owe an acknowledgement, flushed once per tick. */
  private owed: ReceiveStream[] = [];
  private flushScheduled = false;

  /**
   * Wraps `inner`, which carries the envelopes and the acknowledgements.
   * @throws InvalidPolicyError for an option out of range
   */
  constructor(
    private readonly inner: Transport,
    options?: ReliableTransportOptions,
  ) {
    this.options = resolveReliableOptions(options);
  }

  /** Takes the tree's clock, randomness and event stream, and passes them to the inner transport. */
  bind(host: TransportHost): void {
    if (this.host === host) return;
    if (this.host !== null) {
      throw new TreeLifecycleError(
        'This ReliableTransport is already bound to another tree: give each tree its own transport.',
      );
    }
    this.host = host;
    const timers = (this.timers = new Timers(host.clock));
    this.owner = {
      options: this.options,
      timers,
      now: () => host.now(),
      random: () => host.random(),
      transmit: (stream, envelope, seq, first) => this.transmit(stream, envelope, seq, first),
      resent: (stream, count) => this.resent(stream, count),
      gaveUp: (stream, count) => this.gaveUp(stream, count),
    };
    this.inner.bind?.(host);
  }

  /**
   * Attaching an attached id again replaces its inbox and keeps its streams; detaching drops
   * them (a node that comes back starts fresh, and picks incoming streams up at their base).
   */
  attach(nodeId: string, inbox: Inbox): () => void {
    this.requireBound('attach');
    const node = this.nodeOf(nodeId);
    node.inbox = inbox;
    const detachInner = this.inner.attach(nodeId, (envelope) => {
      if (node.inbox === inbox) this.receive(node, inbox, envelope);
    });
    return () => {
      detachInner();
      if (node.inbox !== inbox || this.nodes.get(nodeId) !== node) return;
      node.forget();
      this.nodes.delete(nodeId);
      // What other local nodes had in flight to it was for this life of it: forget it too.
      for (const other of this.nodes.values()) {
        other.links.get(nodeId)?.drop();
        other.links.delete(nodeId);
      }
    };
  }

  send(envelope: AnyEnvelope): void {
    const owner = this.requireBound('send');
    if (this.closed) return;
    const peerLink = this.nodeOf(envelope.from).linkTo(envelope.to);
    let stream = peerLink.sending;
    if (stream === null || stream.session !== envelope.session || stream.epoch !== envelope.epoch) {
      if (stream !== null) this.counters.superseded += stream.end();
      stream = new SendStream(peerLink, envelope.session, envelope.epoch, owner);
      peerLink.sending = stream;
    }
    stream.send(envelope);
  }

  /**
   * Resolves once every envelope sent so far is acknowledged (true), or after `timeoutMs` of
   * the tree's clock (false). Call it before `close()` when the peers are in other processes.
   */
  flush(timeoutMs: number): Promise<boolean> {
    const timers = this.timers;
    if (timers === null || this.closed) return Promise.resolve(this.unacknowledged() === 0);
    const giveUpAt = this.host!.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closed || this.unacknowledged() === 0) return resolve(this.unacknowledged() === 0);
        if (this.host!.now() >= giveUpAt) return resolve(false);
        timers.set(check, FLUSH_POLL_MS);
      };
      check();
    });
  }

  /** Envelopes sent and not yet acknowledged, over every stream. */
  private unacknowledged(): number {
    let pending = 0;
    for (const node of this.nodes.values()) {
      for (const link of node.links.values()) pending += link.sending?.pending ?? 0;
    }
    return pending;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const node of this.nodes.values()) node.forget();
    this.nodes.clear();
    this.owed = [];
    this.timers?.clearAll();
    this.inner.close();
  }

  private requireBound(what: 'attach' | 'send'): SendStreamOwner {
    if (this.owner !== null) return this.owner;
    throw new TreeLifecycleError(
      `ReliableTransport.${what}() before bind(): pass the transport to ` +
        'createCoordinationTree({ transport }), which binds it, or call transport.bind(host) first.',
    );
  }

  private nodeOf(nodeId: string): LocalNode {
    let node = this.nodes.get(nodeId);
    if (node === undefined) {
      node = new LocalNode(nodeId);
      this.nodes.set(nodeId, node);
    }
    return node;
  }

  private receive(node: LocalNode, inbox: Inbox, envelope: AnyEnvelope): void {
    if (this.closed) return;
    const link = envelope.link;
    if (link === undefined) {
      inbox(envelope);
      return;
    }
    if (link.ack !== undefined) {
      const stream = node.links.get(envelope.from)?.sending;
      if (stream?.id === link.ack.stream) {
        if (link.ack.reset === true) this.gaveUp(stream, stream.end());
        else stream.acknowledge(link.ack.upTo);
      }
    }
    if (link.seq === 0) return;
    const peerLink = node.linkTo(envelope.from);
    if (peerLink.isStale(envelope)) {
      this.counters.stale++;
      return;
    }
    const stream = peerLink.receivingOn(envelope, link, this.options.streamsPerPeer);
    if (stream === null) {
      this.counters.refused++;
      this.inner.send(ReceiveStream.resetEnvelope(envelope, link.stream, this.host!.now()));
      return;
    }
    // Owed before delivery, so that a reply sent from the inbox can carry it.
    this.owe(stream);
    stream.receive(envelope, link.seq, inbox, this.options.holdBack, this.counters);
  }

  private owe(stream: ReceiveStream): void {
    if (stream.ackPending) return;
    stream.ackPending = true;
    this.owed.push(stream);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushAcks);
  }

  /** Sends one bare acknowledgement per stream still owed one. */
  private readonly flushAcks = (): void => {
    this.flushScheduled = false;
    const owed = this.owed;
    this.owed = [];
    if (this.closed || this.host === null) return;
    const sentAt = this.host.now();
    for (const stream of owed) {
      if (!stream.ackPending || stream.dropped) continue;
      stream.ackPending = false;
      this.counters.acksSent++;
      this.inner.send(stream.ackEnvelope(sentAt));
    }
  };

  /** Wraps `envelope` in its link header (with any acknowledgement owed back) and sends it. */
  private transmit(stream: SendStream, envelope: AnyEnvelope, seq: number, first: boolean): void {
    if (this.closed) return;
    if (first) this.counters.sent++;
    const owed = stream.peerLink.takeAck(stream.session, stream.epoch);
    let link: LinkHeader;
    if (owed === undefined) {
      link = { stream: stream.id, seq, base: stream.base };
    } else {
      this.counters.piggybacked++;
      link = {
        stream: stream.id,
        seq,
        base: stream.base,
        ack: { stream: owed.id, upTo: owed.upTo },
      };
    }
    this.inner.send(withLink(envelope, link));
  }

  private resent(stream: SendStream, count: number): void {
    if (count === 0) return;
    this.counters.resent += count;
    this.report('resent', stream, count);
  }

  private gaveUp(stream: SendStream, count: number): void {
    if (stream.peerLink.sending === stream) stream.peerLink.sending = null;
    this.counters.gaveUp += count;
    this.report('gave-up', stream, count);
    this.host?.linkLost(stream.from, stream.to);
  }

  private report(what: 'resent' | 'gave-up', stream: SendStream, count: number): void {
    const host = this.host;
    if (host === null) return;
    const at = host.now();
    host.emit(() => ({ type: 'delivery', what, from: stream.from, to: stream.to, count, at }));
  }
}
