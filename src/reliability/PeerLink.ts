/**
 * One local node's link with one peer, both ways: the stream it sends on, and the streams the
 * peer opened toward it. Nearly always the peer has one, so the map of them is only built once a
 * second one opens; past `streamsPerPeer` the oldest is forgotten.
 */
import type { AnyEnvelope, LinkHeader } from '../../machines/index.js';
import { ReceiveStream } from './ReceiveStream.js';
import type { SendStream } from './SendStream.js';

/** `local`'s link with `peer`. */
export class PeerLink {
  /** The current outgoing stream, if any. */
  sending: SendStream | null = null;
  /** The incoming stream that last received (the next envelope nearly always belongs to it). */
  private latest: ReceiveStream | null = null;
  /** Every incoming stream, oldest first, once there were two (`latest` is among them). */
  private streams: Map<string, ReceiveStream> | null = null;
  /** The newest session and epoch the peer sent in. */
  private newest: { session: string; epoch: number } | null = null;

  constructor(
    readonly local: string,
    readonly peer: string,
  ) {}

  /**
   * Whether `envelope` belongs to an older epoch of the session than the peer's latest stream:
   * a late copy of a superseded stream, never to be delivered.
   */
  isStale(envelope: AnyEnvelope): boolean {
    const newest = this.newest;
    if (newest === null || newest.session !== envelope.session || envelope.epoch >= newest.epoch) {
      this.newest = { session: envelope.session, epoch: envelope.epoch };
      return false;
    }
    return true;
  }

  /**
   * The incoming stream `link` belongs to, or `null` for an unknown stream that did not start
   * here: a stream is picked up only from its start (`base` 1). One whose start was acknowledged
   * already was acknowledged to an earlier incarnation of this node (or to this one before it
   * forgot the stream); delivering its rest would replay another life's traffic, so it is refused.
   */
  receivingOn(envelope: AnyEnvelope, link: LinkHeader, limit: number): ReceiveStream | null {
    const latest = this.latest;
    if (latest?.id === link.stream) return latest;
    const known = this.streams?.get(link.stream);
    if (known !== undefined) return (this.latest = known);
    if (link.base > 1) return null;
    const created = new ReceiveStream(
      link.stream,
      this.local,
      this.peer,
      envelope.session,
      envelope.epoch,
      1,
    );
    this.latest = created;
    if (latest === null) return created;
    const streams = (this.streams ??= new Map([[latest.id, latest]]));
    streams.set(created.id, created);
    if (streams.size > limit) {
      const [oldestId, oldest] = streams.entries().next().value!;
      streams.delete(oldestId);
      forget(oldest);
    }
    return created;
  }

  /** Takes the acknowledgement owed on an incoming stream of this session and epoch, if any. */
  takeAck(session: string, epoch: number): ReceiveStream | undefined {
    if (this.streams === null) {
      const only = this.latest;
      return only !== null && owes(only, session, epoch) ? only : undefined;
    }
    for (const stream of this.streams.values()) if (owes(stream, session, epoch)) return stream;
    return undefined;
  }

  /** Ends the outgoing stream (clearing its timer) and forgets the incoming ones. */
  drop(): void {
    this.sending?.end();
    this.sending = null;
    if (this.latest !== null) forget(this.latest);
    if (this.streams !== null) for (const stream of this.streams.values()) forget(stream);
    this.latest = null;
    this.streams = null;
  }
}

/** Whether `stream` owes an acknowledgement in this session and epoch; if so, it is now taken. */
function owes(stream: ReceiveStream, session: string, epoch: number): boolean {
  if (!stream.ackPending || stream.epoch !== epoch || stream.session !== session) return false;
  stream.ackPending = false;
  return true;
}

function forget(stream: ReceiveStream): void {
  stream.dropped = true;
  stream.ackPending = false;
}
