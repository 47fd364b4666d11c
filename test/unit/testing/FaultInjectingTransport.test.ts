import { describe, expect, it, vi } from 'vitest';
import {
  ANY_NODE,
  FaultInjectingTransport,
  type FaultInjectingTransportOptions,
  type FaultRule,
} from '../../../src/testing/FaultInjectingTransport.js';
import type { FaultEvent, Transport } from '../../../src/transport/Transport.js';
import {
  InvalidPolicyError,
  TreeLifecycleError,
  isInvalidPolicyError,
  type AnyEnvelope,
} from '../../helpers/imports.js';
import { advance, flush, pendingTimers, simulatedWire } from '../../helpers/simulation.js';
import { createTransportHost } from '../../helpers/transportHost.js';

const NODES = ['a', 'b', 'c'];

const envelope = (from: string, to: string, seq: number): AnyEnvelope => ({
  v: 1,
  kind: 'COORD_HEARTBEAT',
  id: `id-${seq}`,
  session: 's',
  epoch: 1,
  from,
  to,
  seq,
  sentAt: 0,
  body: {},
});

/** A bound transport over an InProcessTransport, recording what nodes a, b, c receive. */
function setup(options?: FaultInjectingTransportOptions) {
  const host = createTransportHost();
  const transport = new FaultInjectingTransport(simulatedWire(), options);
  transport.bind(host);
  const received: string[] = [];
  for (const id of NODES) transport.attach(id, (e) => received.push(`${e.from}>${e.to}:${e.seq}`));
  let seq = 0;
  const send = (from: string, to: string): AnyEnvelope => {
    const sent = envelope(from, to, ++seq);
    transport.send(sent);
    return sent;
  };
  const faults = () => host.events.filter((e): e is FaultEvent => e.type === 'fault');
  const seqs = () => received.map((r) => Number(r.split(':')[1]));
  return { host, transport, received, send, faults, seqs };
}

/** An inner transport that records calls synchronously. */
function recordingInner() {
  const sent: AnyEnvelope[] = [];
  const detach = () => {};
  const transport = {
    bind: vi.fn(),
    attach: vi.fn(() => detach),
    send: (e: AnyEnvelope) => void sent.push(e),
    close: vi.fn(),
  } satisfies Transport;
  return { ...transport, sent, detach };
}

describe('FaultInjectingTransport', () => {
  it('should pass an envelope with no fault straight to the inner transport, without a timer', () => {
    const host = createTransportHost();
    const inner = recordingInner();
    const transport = new FaultInjectingTransport(inner);
    transport.bind(host);
    transport.setLink('b', 'a', { reorder: 1e-9, drop: 1e-9 });
    const plain = envelope('a', 'b', 1);
    const spared = envelope('b', 'a', 2);

    transport.send(plain);
    transport.send(spared);

    expect(inner.sent).toEqual([plain, spared]);
    expect(pendingTimers(host.clock)).toBe(0);
    expect(host.events).toEqual([]);
  });

  it('should pass the host on to the inner transport and delegate attach', () => {
    const host = createTransportHost();
    const inner = recordingInner();
    const transport = new FaultInjectingTransport(inner);
    const inbox = () => {};

    transport.bind(host);
    const detach = transport.attach('a', inbox);

    expect(inner.bind).toHaveBeenCalledWith(host);
    expect(inner.attach).toHaveBeenCalledWith('a', inbox);
    expect(detach).toBe(inner.detach);
  });

  it('should drop roughly the drop rate of 2 000 envelopes, and report each drop', async () => {
    const { transport, send, received, faults } = setup({ seed: 3 });
    transport.setDefault({ drop: 0.3 });

    for (let i = 0; i < 2_000; i++) send('a', 'b');
    await flush();

    expect(received.length).toBeGreaterThan(1_200);
    expect(received.length).toBeLessThan(1_600);
    expect(transport.stats.dropped).toBe(2_000 - received.length);
    expect(transport.stats.partitioned).toBe(0);
    const drops = faults().filter((f) => f.fault === 'drop' && f.cause === 'chance');
    expect(drops).toHaveLength(transport.stats.dropped);
  });

  it('should deliver a duplicated envelope twice, the copy after the original', async () => {
    const { transport, send, seqs } = setup();
    transport.setDefault({ duplicate: 1 });

    send('a', 'b');
    send('a', 'b');
    await flush();

    expect(seqs()).toEqual([1, 1, 2, 2]);
    expect(transport.stats.duplicated).toBe(2);
  });

  it('should let later envelopes overtake a reordered one, all within reorderMs', async () => {
    const { host, transport, send, seqs } = setup();
    transport.setDefault({ reorder: 0.3, reorderMs: 20 });

    for (let i = 0; i < 100; i++) send('a', 'b');
    await flush();
    const before = seqs().length;
    await advance(host.clock, 20, 1);

    expect(before).toBeLessThan(100);
    expect([...seqs()].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(seqs().some((seq, i) => seq > (seqs()[i + 1] ?? Infinity))).toBe(true);
    expect(transport.stats.reordered).toBe(100 - before);
    expect(transport.pending).toBe(0);
  });

  it('should hold a delayed envelope until the simulated clock passes its delay', async () => {
    const { host, transport, send, received } = setup();
    transport.setDefault({ delayMs: 50 });

    send('a', 'b');
    await advance(host.clock, 49, 1);
    const early = [...received];
    await advance(host.clock, 1, 1);

    expect(early).toEqual([]);
    expect(received).toEqual(['a>b:1']);
    expect(transport.stats.delayed).toBe(1);
  });

  it('should keep a link first in first out under a fixed delay, even for envelopes due together', async () => {
    const { host, transport, send, seqs } = setup();
    transport.setDefault({ delayMs: 50 });

    for (let i = 0; i < 100; i++) send('a', 'b');
    await advance(host.clock, 10);
    for (let i = 0; i < 100; i++) send('a', 'b');
    host.clock.increment(100);
    await flush();

    expect(seqs()).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('should release a held envelope when it is due, even behind one held longer', async () => {
    const { host, transport, send, received } = setup();
    transport.setDefault({ delayMs: 50 });
    send('a', 'b');

    transport.setDefault({ delayMs: 5 });
    send('a', 'b');
    await advance(host.clock, 5, 1);
    const atFive = [...received];
    await advance(host.clock, 45, 1);

    expect(atFive).toEqual(['a>b:2']);
    expect(received).toEqual(['a>b:2', 'a>b:1']);
  });

  it('should delay each envelope by a time drawn within a delay range', async () => {
    const { host, transport, send, received, faults } = setup();
    transport.setDefault({ delayMs: [10, 30] });

    for (let i = 0; i < 50; i++) send('a', 'b');
    await advance(host.clock, 9, 1);
    const early = received.length;
    await advance(host.clock, 21, 1);

    expect(early).toBe(0);
    expect(received).toHaveLength(50);
    const delays = faults().map((f) => f.delayMs ?? -1);
    expect(delays.every((ms) => ms >= 10 && ms <= 30)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(5);
  });

  it('should drop envelopes both ways across a partition and report them', async () => {
    const { transport, send, received, faults } = setup();

    transport.partition('a', 'b');
    const ab = send('a', 'b');
    send('b', 'a');
    send('a', 'c');
    await flush();

    expect(received).toEqual(['a>c:3']);
    expect(transport.stats).toMatchObject({ dropped: 2, partitioned: 2 });
    expect(faults()).toEqual([
      { type: 'fault', fault: 'partition', from: 'a', to: 'b', oneWay: false, at: 0 },
      { type: 'fault', fault: 'drop', from: 'a', to: 'b', envelope: ab, cause: 'partition', at: 0 },
      expect.objectContaining({ fault: 'drop', from: 'b', to: 'a', cause: 'partition' }),
    ]);
  });

  it('should drop only the cut direction of a one-way partition', async () => {
    const { transport, send, received, faults } = setup();

    transport.partition('a', 'b', { oneWay: true });
    send('a', 'b');
    send('b', 'a');
    await flush();

    expect(received).toEqual(['b>a:2']);
    expect(faults()[0]).toMatchObject({ fault: 'partition', from: 'a', to: 'b', oneWay: true });
  });

  it('should cut an isolated node off from every peer until it is healed', async () => {
    const { transport, send, received, faults } = setup();

    transport.isolate('a');
    send('a', 'b');
    send('c', 'a');
    send('b', 'c');
    await flush();
    const whileIsolated = [...received];
    transport.heal('a');
    send('a', 'b');
    send('c', 'a');
    await flush();

    expect(whileIsolated).toEqual(['b>c:3']);
    // Each once (the order between addresses is the transport's own)
    expect(received.sort()).toEqual(['a>b:4', 'b>c:3', 'c>a:5']);
    expect(faults().filter((f) => f.fault === 'partition' || f.fault === 'heal')).toEqual([
      { type: 'fault', fault: 'partition', from: 'a', to: ANY_NODE, oneWay: false, at: 0 },
      { type: 'fault', fault: 'heal', from: 'a', to: ANY_NODE, oneWay: false, at: 0 },
    ]);
  });

  it('should drop a held envelope whose link is partitioned before it is due', async () => {
    const { host, transport, send, received } = setup();
    transport.setDefault({ delayMs: 10 });

    send('a', 'b');
    transport.partition('a', 'b');
    await advance(host.clock, 10, 1);

    expect(received).toEqual([]);
    expect(transport.stats.partitioned).toBe(1);
  });

  it('should restore delivery on heal, and report which direction was healed', async () => {
    const { transport, send, received, faults } = setup();
    transport.partition('a', 'b', { oneWay: true });

    transport.heal('b', 'a');
    send('a', 'b');
    await flush();

    expect(received).toEqual(['a>b:1']);
    expect(faults()[1]).toEqual({
      type: 'fault',
      fault: 'heal',
      from: 'a',
      to: 'b',
      oneWay: true,
      at: 0,
    });
  });

  it('should heal every partition and isolation on healAll', async () => {
    const { transport, send, received, faults } = setup();
    transport.partition('a', 'b');
    transport.partition('a', 'c', { oneWay: true });
    transport.isolate('c');

    transport.healAll();
    send('a', 'b');
    send('b', 'a');
    send('a', 'c');
    send('c', 'b');
    await flush();

    expect(received).toHaveLength(4);
    expect(faults().filter((f) => f.fault === 'heal')).toHaveLength(3);
  });

  it('should go back to a faultless network on clear, leaving crashed nodes crashed', async () => {
    const { host, transport, send, received, faults } = setup();
    transport.setDefault({ drop: 1 });
    transport.setLink('a', 'b', { duplicate: 1 });
    transport.partition('b', 'c');
    transport.crash('c');

    transport.clear();
    send('a', 'b');
    send('b', 'c');
    send('c', 'a');
    await flush();

    expect(received.sort()).toEqual(['a>b:1', 'b>c:2', 'c>a:3']);
    expect(host.killed).toEqual(['c']);
    expect(host.revived).toEqual([]);
    expect(faults().at(-1)).toMatchObject({ fault: 'heal', from: 'b', to: 'c', oneWay: false });
  });

  it('should apply a link rule to that direction only, over the default rule', async () => {
    const { transport, send, received } = setup();
    transport.setDefault({ drop: 1 });

    transport.setLink('a', 'b', {});
    send('a', 'b');
    send('b', 'a');
    await flush();

    expect(received).toEqual(['a>b:1']);
  });

  it('should crash and restart nodes through the host, and report it', () => {
    const { host, transport, faults } = setup();
    host.clock.set(7);

    transport.crash('b');
    transport.restart('b');

    expect(host.killed).toEqual(['b']);
    expect(host.revived).toEqual(['b']);
    expect(faults()).toEqual([
      { type: 'fault', fault: 'crash', from: 'b', at: 7 },
      { type: 'fault', fault: 'restart', from: 'b', at: 7 },
    ]);
  });

  it('should report every fault applied to an envelope with its fields', () => {
    const { host, transport, send, faults } = setup();
    host.clock.set(100);
    transport.setLink('a', 'b', { drop: 1 });
    transport.setLink('b', 'a', { duplicate: 1, delayMs: 5 });
    transport.setLink('a', 'c', { reorder: 1, reorderMs: 1 });

    const dropped = send('a', 'b');
    const duplicated = send('b', 'a');
    const reordered = send('a', 'c');

    const base = { type: 'fault', at: 100 };
    expect(faults()).toEqual([
      { ...base, fault: 'drop', from: 'a', to: 'b', envelope: dropped, cause: 'chance' },
      { ...base, fault: 'duplicate', from: 'b', to: 'a', envelope: duplicated },
      { ...base, fault: 'delay', from: 'b', to: 'a', envelope: duplicated, delayMs: 5 },
      { ...base, fault: 'delay', from: 'b', to: 'a', envelope: duplicated, delayMs: 5 },
      { ...base, fault: 'reorder', from: 'a', to: 'c', envelope: reordered, delayMs: 1 },
    ]);
    expect(transport.stats).toEqual({
      dropped: 1,
      partitioned: 0,
      duplicated: 1,
      delayed: 2,
      reordered: 1,
    });
  });

  it('should give the same deliveries and faults for the same seed, and others for another', async () => {
    const run = async (seed: number) => {
      const { host, transport, send, received, faults } = setup({ seed });
      transport.setDefault({ drop: 0.2, duplicate: 0.2, reorder: 0.3, delayMs: [0, 10] });
      for (let i = 0; i < 200; i++) {
        send(NODES[i % 3]!, NODES[(i + 1) % 3]!);
        await advance(host.clock, 1, 1);
      }
      await advance(host.clock, 50);
      return { received, faults: faults() };
    };

    const first = await run(7);
    const again = await run(7);
    const other = await run(8);

    expect(again).toEqual(first);
    expect(other.received).not.toEqual(first.received);
    expect(other.faults).not.toEqual(first.faults);
  });

  it('should draw no random number for a faultless link, leaving other links unchanged', async () => {
    const run = async (interleave: boolean) => {
      const { transport, send, received } = setup({ seed: 11 });
      transport.setLink('a', 'b', { drop: 0.5 });
      for (let i = 0; i < 100; i++) {
        send('a', 'b');
        if (interleave) send('c', 'a');
      }
      await flush();
      return received.filter((r) => r.startsWith('a>b')).length;
    };

    expect(await run(true)).toBe(await run(false));
  });

  it.each<[string, (t: FaultInjectingTransport) => void, RegExp]>([
    [
      'a probability above 1',
      (t) => t.setDefault({ drop: 1.5 }),
      /^Default fault rule: drop must be a probability in \[0, 1\].*; got 1\.5\.$/,
    ],
    [
      'a negative probability',
      (t) => t.setLink('a', 'b', { duplicate: -0.1 }),
      /^Fault rule for link "a" → "b": duplicate must be a probability .*; got -0\.1\.$/,
    ],
    ['a NaN probability', (t) => t.setDefault({ reorder: NaN }), /reorder must be .*; got NaN\./],
    [
      'a negative delay',
      (t) => t.setDefault({ delayMs: -5 }),
      /delayMs must be a whole number of ms ≥ 0, or a range \[min, max\] of them; got -5\./,
    ],
    ['a non-finite delay', (t) => t.setDefault({ delayMs: Infinity }), /delayMs .*; got Infinity/],
    [
      'a range with min above max',
      (t) => t.setDefault({ delayMs: [50, 10] }),
      /delayMs must be a range \[min, max\] with min ≤ max, e\.g\. \[10, 50\]; got \[50, 10\]\./,
    ],
    [
      'a delay that is neither a number nor a range',
      (t) => t.setDefault({ delayMs: {} as unknown as number }),
      /delayMs must be a whole number of ms ≥ 0, or a range \[min, max\] of them; got \[object Object\]\./,
    ],
    [
      'a fractional delay',
      (t) => t.setDefault({ delayMs: [0, 2.5] }),
      /delayMs .*; got \[0, 2\.5\]/,
    ],
    ['a reorderMs below 1', (t) => t.setDefault({ reorderMs: 0 }), /reorderMs must be .*≥ 1.*0\./],
    [
      'an unknown field',
      (t) => t.setDefault({ dropRate: 0.1 } as FaultRule),
      /unknown field "dropRate"; the fields are drop, duplicate, reorder, reorderMs, delayMs\./,
    ],
  ])('should reject %s with a message naming the rule, field and value', (_, call, message) => {
    const transport = new FaultInjectingTransport(simulatedWire());

    const attempt = () => call(transport);

    expect(attempt).toThrow(InvalidPolicyError);
    expect(attempt).toThrow(message);
  });

  it('should keep the previous rule when a new one is rejected', async () => {
    const { transport, send, received } = setup();
    transport.setDefault({ drop: 1 });

    expect(() => transport.setDefault({ drop: 2 })).toThrow(InvalidPolicyError);
    send('a', 'b');
    await flush();

    expect(received).toEqual([]);
  });

  it('should reject a seed that is not an integer', () => {
    let error: unknown;

    try {
      new FaultInjectingTransport(simulatedWire(), { seed: 1.5 });
    } catch (e) {
      error = e;
    }

    expect(isInvalidPolicyError(error)).toBe(true);
    expect(String(error)).toMatch(/seed must be an integer; got 1\.5\. Pass a whole number/);
  });

  it('should refuse to delay, crash or restart before it is bound, but may drop', () => {
    const transport = new FaultInjectingTransport(simulatedWire());
    transport.setLink('a', 'b', { drop: 1 });
    transport.setLink('b', 'a', { delayMs: 5 });
    const bindHint =
      /pass it to createCoordinationTree\(\{ transport \}\) \(or call bind\(host\)\)/;

    transport.send(envelope('a', 'b', 1));

    expect(transport.stats.dropped).toBe(1);
    expect(() => transport.send(envelope('b', 'a', 2))).toThrow(TreeLifecycleError);
    expect(() => transport.send(envelope('b', 'a', 2))).toThrow(bindHint);
    expect(() => transport.crash('a')).toThrow(bindHint);
    expect(() => transport.restart('a')).toThrow(TreeLifecycleError);
  });

  it('should clear its timers on close and deliver nothing afterwards', async () => {
    const { host, transport, send, received } = setup();
    transport.setDefault({ delayMs: 50, reorder: 0.5 });
    for (let i = 0; i < 10; i++) send('a', 'b');
    send('b', 'c');
    const timersBefore = pendingTimers(host.clock);

    transport.close();
    const timersAfter = pendingTimers(host.clock);
    transport.close();
    send('a', 'b');
    await advance(host.clock, 200);

    expect(timersBefore).toBe(2);
    expect(timersAfter).toBe(0);
    expect(transport.pending).toBe(0);
    expect(received).toEqual([]);
  });

  it('should close the inner transport once', () => {
    const inner = recordingInner();
    const transport = new FaultInjectingTransport(inner);

    transport.close();
    transport.close();

    expect(inner.close).toHaveBeenCalledTimes(1);
  });
});
