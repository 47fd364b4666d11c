/**
 * A test transport: in-process delivery over a lossy link, driven by a seeded PRNG. Each
 * envelope may be dropped, duplicated, or held back and released after the next one (reordered).
 */
import { simulatedWire } from './simulation.js';
import { type AnyEnvelope, type Inbox, type Transport } from './imports.js';

/** Fault probabilities, each in [0, 1], and the seed that makes a run repeatable. */
export interface LossyOptions {
  readonly seed: number;
  readonly drop?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
}

/** mulberry32: a small 32-bit PRNG, plenty for test faults. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** In-process transport that drops, duplicates and reorders envelopes at random (seeded). */
export class LossyTransport implements Transport {
  readonly inner = simulatedWire();
  /** Faults applied so far. */
  readonly faults = { dropped: 0, duplicated: 0, reordered: 0 };
  private readonly random: () => number;
  /** The envelope held back to be released after the next one. */
  private held: AnyEnvelope | null = null;

  constructor(private readonly options: LossyOptions) {
    this.random = mulberry32(options.seed);
  }

  attach(nodeId: string, inbox: Inbox): () => void {
    return this.inner.attach(nodeId, inbox);
  }

  send(envelope: AnyEnvelope): void {
    if (this.random() < (this.options.drop ?? 0)) {
      this.faults.dropped++;
      return;
    }
    if (this.held === null && this.random() < (this.options.reorder ?? 0)) {
      this.faults.reordered++;
      this.held = envelope;
      return;
    }
    this.inner.send(envelope);
    if (this.random() < (this.options.duplicate ?? 0)) {
      this.faults.duplicated++;
      this.inner.send(envelope);
    }
    const held = this.held;
    this.held = null;
    if (held !== null) this.inner.send(held);
  }

  close(): void {
    this.held = null;
    this.inner.close();
  }
}
