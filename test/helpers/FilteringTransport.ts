/**
 * A test transport: in-process delivery with rules that drop or duplicate envelopes.
 * (The full fault-injecting transport is a library feature of its own; this is only what the
 * runtime's unit tests need.)
 */
import { InProcessTransport, type AnyEnvelope, type Inbox, type Transport } from './imports.js';

/** Decides per envelope. */
export type EnvelopeRule = (envelope: AnyEnvelope) => boolean;

/** In-process transport with drop and duplicate rules that tests can change at any time. */
export class FilteringTransport implements Transport {
  readonly inner = new InProcessTransport();
  drop: EnvelopeRule = () => false;
  duplicate: EnvelopeRule = () => false;
  readonly sent: AnyEnvelope[] = [];

  /** Inboxes currently attached. */
  attached = 0;

  attach(nodeId: string, inbox: Inbox): () => void {
    const detach = this.inner.attach(nodeId, inbox);
    this.attached++;
    let live = true;
    return () => {
      if (live) this.attached--;
      live = false;
      detach();
    };
  }

  send(envelope: AnyEnvelope): void {
    this.sent.push(envelope);
    if (this.drop(envelope)) return;
    this.inner.send(envelope);
    if (this.duplicate(envelope)) this.inner.send(envelope);
  }

  close(): void {
    this.inner.close();
  }
}
