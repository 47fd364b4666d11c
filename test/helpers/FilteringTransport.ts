/**
 * A test transport: in-process delivery with rules that drop, duplicate or hold envelopes.
 * (The full fault-injecting transport is a library feature of its own; this is only what the
 * runtime's unit tests need.)
 */
import { simulatedWire } from './simulation.js';
import { type AnyEnvelope, type Inbox, type Transport, type TransportHost } from './imports.js';

/** Decides per envelope. */
export type EnvelopeRule = (envelope: AnyEnvelope) => boolean;

/** Options of {@link FilteringTransport}. */
export interface FilteringTransportOptions {
  /**
   * Claim to be lossless, as the in-process transport is: every dropped envelope is then
   * reported to the host as undeliverable, as a lossless transport must. Default false.
   */
  readonly lossless?: boolean;
}

/** In-process transport with drop, duplicate and hold rules that tests can change at any time. */
export class FilteringTransport implements Transport {
  readonly inner = simulatedWire();
  readonly lossless: boolean;
  drop: EnvelopeRule = () => false;
  duplicate: EnvelopeRule = () => false;
  /** How long to hold an envelope on the tree's clock before sending it on, ms (0: not held). */
  holdMs: (envelope: AnyEnvelope) => number = () => 0;
  readonly sent: AnyEnvelope[] = [];
  private host: TransportHost | null = null;

  /** Inboxes currently attached. */
  attached = 0;

  constructor(options: FilteringTransportOptions = {}) {
    this.lossless = options.lossless === true;
  }

  bind(host: TransportHost): void {
    this.host = host;
    this.inner.bind(host);
  }

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
    if (this.drop(envelope)) {
      if (this.lossless) this.host?.undeliverable(envelope);
      return;
    }
    const holdMs = this.holdMs(envelope);
    if (holdMs > 0 && this.host) {
      this.host.clock.setTimeout(() => this.inner.send(envelope), holdMs);
      return;
    }
    this.inner.send(envelope);
    if (this.duplicate(envelope)) this.inner.send(envelope);
  }

  close(): void {
    this.inner.close();
  }
}
