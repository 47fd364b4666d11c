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

  constructor(
    readonly local: string,
    readonly peer: string,
  ) {}

  /**
   * The incoming stream `link` belongs to. An unknown stream starts at the sender's `base`:
   * everything below it was acknowledged already (perhaps to an earlier incarnation of this node).
   */
  receivingOn(envelope: AnyEnvelope, link: LinkHeader, limit: number): ReceiveStream {
    const latest = this.latest;
    if (latest?.id === link.stream) return latest;
    const known = this.streams?.get(link.stream);
    if (known !== undefined) return (this.latest = known);
    const created = new ReceiveStream(
      link.stream,
      this.local,
      this.peer,
      envelope.session,
      envelope.epoch,
      Math.max(1, link.base),
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
