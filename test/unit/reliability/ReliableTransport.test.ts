import { describe, expect, it, vi } from 'vitest';
import {
  ReliableTransport,
  type ReliableTransportOptions,
} from '../../../src/reliability/ReliableTransport.js';
import type { DeliveryEvent } from '../../../src/transport/Transport.js';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import {
  isInvalidPolicyError,
  isTreeLifecycleError,
  type AnyEnvelope,
  type Transport,
} from '../../helpers/imports.js';
import { LossyTransport } from '../../helpers/LossyTransport.js';
import { advance, flush, pendingTimers } from '../../helpers/simulation.js';
import { createTransportHost, type TestTransportHost } from '../../helpers/transportHost.js';

interface Context {
  readonly session?: string;
  readonly epoch?: number;
}

/** Envelope number `n` from `from` to `to`; its id is `${from}-${n}`. */
const envelope = (from: string, to: string, n: number, context: Context = {}): AnyEnvelope => ({
  v: 1,
  kind: 'COORD_HEARTBEAT',
  id: `${from}-${n}`,
  session: context.session ?? 's1',
  epoch: context.epoch ?? 1,
  from,
  to,
  seq: n,
  sentAt: 0,
  body: {},
});

const ids = (from: string, first: number, last: number): string[] =>
  Array.from({ length: last - first + 1 }, (_, i) => `${from}-${first + i}`);

interface Harness {
  readonly host: TestTransportHost;
  readonly transport: ReliableTransport;
  /** Envelope ids each attached node received, in order. */
  readonly received: Record<string, string[]>;
  attach(nodeId: string): () => void;
}

function harness(
  inner: Transport,
  options?: ReliableTransportOptions,
  random?: () => number,
): Harness {
  const host = createTransportHost(random);
  const transport = new ReliableTransport(inner, options);
  transport.bind(host);
  const received: Record<string, string[]> = {};
  return {
    host,
    transport,
    received,
    attach(nodeId) {
      const list: string[] = (received[nodeId] = []);
      return transport.attach(nodeId, (e) => list.push(e.id));
    },
  };
}

interface WireRecord {
  readonly at: number;
  readonly envelope: AnyEnvelope;
}

/** Records every envelope the reliable transport puts on `filtering`, with the time. */
function tapWire(filtering: FilteringTransport, host: TestTransportHost) {
  const wire: WireRecord[] = [];
  const tap = { block: (_e: AnyEnvelope): boolean => false, wire };
  filtering.drop = (e) => {
    wire.push({ at: host.now(), envelope: e });
    return tap.block(e);
  };
  return tap;
}

const isData = (e: AnyEnvelope): boolean => (e.link?.seq ?? 0) > 0;
const dataFrom = (wire: readonly WireRecord[], from: string, id?: string): WireRecord[] =>
  wire.filter(
    (r) => isData(r.envelope) && r.envelope.from === from && (!id || r.envelope.id === id),
  );
const deliveryEvents = (host: TestTransportHost, what: DeliveryEvent['what']): DeliveryEvent[] =>
  host.events.filter((e): e is DeliveryEvent => e.type === 'delivery' && e.what === what);

/** Advances simulated time in 10 ms steps until `done()` or `maxMs`. */
async function advanceUntil(
  host: TestTransportHost,
  done: () => boolean,
  maxMs: number,
): Promise<void> {
  await flush();
  for (let elapsed = 0; !done() && elapsed < maxMs; elapsed += 10) await advance(host.clock, 10);
}

describe('ReliableTransport', () => {
  it.each([1, 7, 42, 2024])(
    'should deliver 500 envelopes each way exactly once and in order over a lossy link (seed %i)',
    async (seed) => {
      // Arrange
      const lossy = new LossyTransport({ seed, drop: 0.2, duplicate: 0.1, reorder: 0.1 });
      const { host, transport, received, attach } = harness(lossy);
      attach('a');
      attach('b');
      // Act
      for (let n = 1; n <= 500; n++) {
        transport.send(envelope('a', 'b', n));
        transport.send(envelope('b', 'a', n));
        if (n % 50 === 0) await advance(host.clock, 20);
      }
      await advanceUntil(host, () => received.a!.length + received.b!.length === 1_000, 60_000);
      await advance(host.clock, 5_000, 50);
      // Assert
      expect(received.b).toEqual(ids('a', 1, 500));
      expect(received.a).toEqual(ids('b', 1, 500));
      expect(lossy.faults.dropped).toBeGreaterThan(0);
      expect(lossy.faults.duplicated).toBeGreaterThan(0);
      expect(lossy.faults.reordered).toBeGreaterThan(0);
      expect(transport.stats).toMatchObject({ sent: 1_000, delivered: 1_000, gaveUp: 0 });
      expect(transport.stats.resent).toBeGreaterThan(0);
      expect(transport.stats.duplicates).toBeGreaterThan(0);
      expect(host.lost).toEqual([]);
      expect(pendingTimers(host.clock)).toBe(0);
    },
  );

  it('should deliver each envelope once when the link duplicates every one', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    filtering.duplicate = (e) => e.from === 'a';
    const { transport, received, attach } = harness(filtering);
    attach('b');
    // Act
    for (let n = 1; n <= 5; n++) transport.send(envelope('a', 'b', n));
    await flush();
    // Assert
    expect(received.b).toEqual(ids('a', 1, 5));
    expect(transport.stats.duplicates).toBe(5);
  });

  it('should resend first after resendInitialMs, then back off by resendFactor up to resendMaxMs', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const options = { resendInitialMs: 100, resendFactor: 2, resendMaxMs: 400, jitter: 0 };
    const { host, transport, attach } = harness(filtering, options);
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = () => true;
    // Act
    transport.send(envelope('a', 'b', 1));
    await advance(host.clock, 1_500);
    // Assert
    expect(dataFrom(tap.wire, 'a').map((r) => r.at)).toEqual([0, 100, 300, 700, 1_100, 1_500]);
    expect(deliveryEvents(host, 'resent').map((e) => [e.at, e.count])).toEqual([
      [100, 1],
      [300, 1],
      [700, 1],
      [1_100, 1],
      [1_500, 1],
    ]);
  });

  it('should spread the resend delay by the jitter, drawn from the host random source', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const options = { resendInitialMs: 100, resendFactor: 2, jitter: 0.2 };
    const { host, transport, attach } = harness(filtering, options, () => 0);
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = () => true;
    // Act
    transport.send(envelope('a', 'b', 1));
    await advance(host.clock, 300);
    // Assert: delays of 100 and 200 ms, each shortened by 20 %.
    expect(dataFrom(tap.wire, 'a').map((r) => r.at)).toEqual([0, 80, 240]);
  });

  it('should reset the backoff when an acknowledgement makes progress', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const options = { resendInitialMs: 100, resendFactor: 2, resendMaxMs: 1_000, jitter: 0 };
    const { host, transport, received, attach } = harness(filtering, options);
    attach('a');
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = (e) => e.id === 'a-2' || (e.id === 'a-1' && host.now() < 250);
    // Act
    transport.send(envelope('a', 'b', 1));
    transport.send(envelope('a', 'b', 2));
    await advance(host.clock, 650);
    // Assert: a-1 gets through at 300; without the reset, a-2 would next go at 700.
    expect(received.b).toEqual(['a-1']);
    expect(dataFrom(tap.wire, 'a', 'a-2').map((r) => r.at)).toEqual([0, 100, 300, 400, 600]);
  });

  it('should give up after giveUpAfterMs without progress, report the lost link, and start afresh', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering);
    attach('a');
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = () => true;
    for (let n = 1; n <= 3; n++) transport.send(envelope('a', 'b', n));
    const oldStream = dataFrom(tap.wire, 'a')[0]!.envelope.link!.stream;
    // Act
    await advance(host.clock, 10_990);
    const lostBefore = [...host.lost];
    await advance(host.clock, 10);
    tap.block = () => false;
    transport.send(envelope('a', 'b', 4));
    await flush();
    // Assert
    expect(deliveryEvents(host, 'resent').map((e) => e.at)).toEqual([
      200, 600, 1_400, 3_000, 5_000, 7_000, 9_000,
    ]);
    expect(lostBefore).toEqual([]);
    expect(host.lost).toEqual([['a', 'b']]);
    expect(deliveryEvents(host, 'gave-up')).toEqual([
      { type: 'delivery', what: 'gave-up', from: 'a', to: 'b', count: 3, at: 11_000 },
    ]);
    expect(transport.stats.gaveUp).toBe(3);
    const fresh = dataFrom(tap.wire, 'a', 'a-4')[0]!.envelope.link!;
    expect(fresh.stream).not.toBe(oldStream);
    expect(fresh.seq).toBe(1);
    expect(received.b).toEqual(['a-4']);
  });

  it('should drop the old stream when a new session or epoch begins on the link', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering);
    attach('a');
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = () => true;
    transport.send(envelope('a', 'b', 1, { epoch: 1 }));
    transport.send(envelope('a', 'b', 2, { epoch: 1 }));
    await advance(host.clock, 100);
    // Act
    tap.block = () => false;
    transport.send(envelope('a', 'b', 3, { epoch: 2 }));
    await advance(host.clock, 2_000);
    // Assert
    expect(received.b).toEqual(['a-3']);
    expect(transport.stats.superseded).toBe(2);
    expect(dataFrom(tap.wire, 'a').map((r) => r.envelope.id)).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('should pick a stream up at its base in a receiver that detached and re-attached', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering);
    attach('a');
    const detachB = attach('b');
    for (let n = 1; n <= 3; n++) transport.send(envelope('a', 'b', n));
    await flush();
    detachB();
    transport.send(envelope('a', 'b', 4));
    transport.send(envelope('a', 'b', 5));
    await flush();
    const beforeRestart = received.b;
    // Act
    attach('b');
    await advance(host.clock, 250);
    // Assert
    expect(beforeRestart).toEqual(ids('a', 1, 3));
    expect(received.b).toEqual(ids('a', 4, 5));
  });

  it('should drop a detached node’s streams and their timers', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, attach } = harness(filtering);
    const detachA = attach('a');
    attach('b');
    filtering.drop = () => true;
    transport.send(envelope('a', 'b', 1));
    const timersWhileSending = pendingTimers(host.clock);
    // Act
    detachA();
    await advance(host.clock, 1_000);
    // Assert
    expect(timersWhileSending).toBe(1);
    expect(pendingTimers(host.clock)).toBe(0);
    expect(transport.stats.resent).toBe(0);
  });

  it('should keep at most window envelopes in flight and release the rest in order', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering, { window: 2 });
    attach('a');
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = (e) => e.from === 'b';
    // Act
    for (let n = 1; n <= 5; n++) transport.send(envelope('a', 'b', n));
    await advance(host.clock, 250);
    const whileUnacknowledged = dataFrom(tap.wire, 'a').map((r) => r.envelope.link!.seq);
    tap.block = () => false;
    await advance(host.clock, 1_000);
    // Assert
    expect(whileUnacknowledged).toEqual([1, 2, 1, 2]);
    expect(received.b).toEqual(ids('a', 1, 5));
    const links = dataFrom(tap.wire, 'a').map((r) => r.envelope.link!);
    expect(links.every((link) => link.seq - link.base < 2)).toBe(true);
  });

  it('should hold back at most holdBack early envelopes, once each, and drop the rest until resent', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering, { holdBack: 2 });
    attach('b');
    let firstTry = true;
    filtering.drop = (e) => {
      if (e.id !== 'a-1' || !firstTry) return false;
      firstTry = false;
      return true;
    };
    filtering.duplicate = (e) => e.id === 'a-2' && host.now() === 0;
    // Act
    for (let n = 1; n <= 5; n++) transport.send(envelope('a', 'b', n));
    await flush();
    const beforeResend = [...received.b!];
    const { heldBack, overflow, duplicates } = transport.stats;
    await advance(host.clock, 250);
    // Assert
    expect(beforeResend).toEqual([]);
    expect({ heldBack, overflow, duplicates }).toEqual({ heldBack: 2, overflow: 2, duplicates: 1 });
    expect(received.b).toEqual(ids('a', 1, 5));
  });

  it('should ignore an acknowledgement of an earlier stream on the link', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering);
    attach('a');
    attach('b');
    const tap = tapWire(filtering, host);
    tap.block = (e) => e.from === 'b';
    transport.send(envelope('a', 'b', 1, { epoch: 1 }));
    transport.send(envelope('a', 'b', 2, { epoch: 1 }));
    await flush();
    const staleAck = tap.wire.find((r) => r.envelope.from === 'b')!.envelope;
    tap.block = (e) => e.from === 'b' || e.epoch === 2;
    for (let n = 3; n <= 5; n++) transport.send(envelope('a', 'b', n, { epoch: 2 }));
    // Act
    filtering.inner.send(staleAck);
    await flush();
    tap.block = () => false;
    await advance(host.clock, 250);
    // Assert
    expect(staleAck.link!.ack!.upTo).toBe(2);
    expect(received.b).toEqual(ids('a', 1, 5));
  });

  it('should piggyback an owed acknowledgement on a reply of the same session and epoch', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, attach } = harness(filtering);
    attach('a');
    transport.attach('b', (e) => transport.send(envelope('b', 'a', e.seq)));
    const tap = tapWire(filtering, host);
    // Act
    transport.send(envelope('a', 'b', 1));
    await advance(host.clock, 1_000);
    // Assert
    const [request] = dataFrom(tap.wire, 'a');
    const [reply] = dataFrom(tap.wire, 'b');
    expect(reply!.envelope.link!.ack).toEqual({ stream: request!.envelope.link!.stream, upTo: 1 });
    expect(tap.wire.filter((r) => !isData(r.envelope)).map((r) => r.envelope.from)).toEqual(['a']);
    expect(transport.stats).toMatchObject({ piggybacked: 1, acksSent: 1, resent: 0 });
  });

  it('should not piggyback an acknowledgement on a reply of another epoch', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, attach } = harness(filtering);
    attach('a');
    transport.attach('b', (e) => transport.send(envelope('b', 'a', e.seq, { epoch: 2 })));
    const tap = tapWire(filtering, host);
    // Act
    transport.send(envelope('a', 'b', 1));
    await advance(host.clock, 1_000);
    // Assert
    const [reply] = dataFrom(tap.wire, 'b');
    expect(reply!.envelope.link!.ack).toBeUndefined();
    expect(transport.stats).toMatchObject({ piggybacked: 0, acksSent: 2, resent: 0 });
  });

  it.each([
    [2, ['a-1', 'a-2']],
    // Forgotten, the older stream is still of an older epoch than the peer's latest: fenced.
    [1, ['a-1', 'a-2']],
  ])(
    'should drop late duplicates of an earlier epoch, remembered or not (streamsPerPeer %i)',
    async (streamsPerPeer, expected) => {
      // Arrange
      const filtering = new FilteringTransport();
      const { transport, received, attach } = harness(filtering, { streamsPerPeer });
      attach('a');
      attach('b');
      transport.send(envelope('a', 'b', 1, { epoch: 1 }));
      transport.send(envelope('a', 'b', 2, { epoch: 2 }));
      await flush();
      const late = filtering.sent.find((e) => e.id === 'a-1')!;
      // Act
      filtering.inner.send(late);
      await flush();
      // Assert
      expect(received.b).toEqual(expected);
    },
  );

  it('should pass an envelope without a link header straight through', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { transport } = harness(filtering);
    const seen: AnyEnvelope[] = [];
    transport.attach('b', (e) => seen.push(e));
    const plain = envelope('x', 'b', 1);
    // Act
    filtering.send(plain);
    await flush();
    // Assert
    expect(seen).toEqual([plain]);
    expect(seen[0]).toBe(plain);
  });

  it('should leave no timer and deliver nothing after close', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, received, attach } = harness(filtering);
    attach('b');
    filtering.drop = () => true;
    transport.send(envelope('a', 'b', 1));
    filtering.drop = () => false;
    transport.send(envelope('a', 'b', 2));
    const timersBeforeClose = pendingTimers(host.clock);
    // Act
    transport.close();
    transport.close();
    transport.send(envelope('a', 'b', 3));
    await advance(host.clock, 5_000);
    // Assert
    expect(timersBeforeClose).toBeGreaterThan(0);
    expect(pendingTimers(host.clock)).toBe(0);
    expect(received.b).toEqual([]);
    expect(filtering.sent.map((e) => e.id)).toEqual(['a-1', 'a-2']);
  });

  it('should refuse to send before bind, and pass the host on to the inner transport', () => {
    // Arrange
    const bind = vi.fn();
    const inner: Transport = { bind, attach: () => () => {}, send: () => {}, close: () => {} };
    const transport = new ReliableTransport(inner);
    const host = createTransportHost();
    // Act
    const early = (() => {
      try {
        transport.send(envelope('a', 'b', 1));
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    transport.bind(host);
    // Assert
    expect(isTreeLifecycleError(early)).toBe(true);
    expect((early as Error).message).toContain('createCoordinationTree({ transport })');
    expect(bind).toHaveBeenCalledWith(host);
  });

  it.each<[ReliableTransportOptions, string]>([
    [{ window: 0 }, 'options.window must be an integer ≥ 1; got 0.'],
    [{ holdBack: 1.5 }, 'options.holdBack must be an integer ≥ 0; got 1.5.'],
    [{ jitter: 1 }, 'options.jitter must be a fraction in [0, 1); got 1.'],
    [{ resendInitialMs: -5 }, 'options.resendInitialMs must be a duration > 0 (ms); got -5.'],
    [{ resendFactor: 0.5 }, 'options.resendFactor must be a finite factor ≥ 1; got 0.5.'],
    [{ resendMaxMs: 100 }, 'options.resendMaxMs must be ≥ options.resendInitialMs (200); got 100.'],
    [
      { giveUpAfterMs: NaN },
      'options.giveUpAfterMs must be a duration > 0 (ms) or Infinity; got NaN.',
    ],
    [{ streamsPerPeer: 0 }, 'options.streamsPerPeer must be an integer ≥ 1; got 0.'],
  ])('should reject the options %o', (options, message) => {
    // Arrange
    const make = () => new ReliableTransport(new FilteringTransport(), options);
    // Act
    const error = (() => {
      try {
        make();
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    // Assert
    expect(isInvalidPolicyError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('should accept giveUpAfterMs: Infinity, never giving up', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const { host, transport, attach } = harness(filtering, { giveUpAfterMs: Infinity });
    attach('b');
    filtering.drop = () => true;
    // Act
    transport.send(envelope('a', 'b', 1));
    await advance(host.clock, 60_000, 500);
    // Assert
    expect(host.lost).toEqual([]);
    expect(transport.stats.gaveUp).toBe(0);
  });
});
