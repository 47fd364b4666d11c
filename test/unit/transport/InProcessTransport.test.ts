import { describe, expect, it } from 'vitest';
import { InProcessTransport, type AnyEnvelope } from '../../helpers/imports.js';
import { flush } from '../../helpers/simulation.js';
import { createTransportHost } from '../../helpers/transportHost.js';

const envelope = (to: string, seq: number): AnyEnvelope => ({
  v: 1,
  kind: 'COORD_HEARTBEAT',
  id: `id-${seq}`,
  session: 's',
  epoch: 1,
  from: 'p',
  to,
  seq,
  sentAt: 0,
  body: {},
});

const command = (to: string): AnyEnvelope => ({
  ...envelope(to, 0),
  kind: 'COORD_COMMAND',
  body: { commands: [] },
});

/** A transport with a route to `a` taken while `a` was attached, and `a` detached since. */
function withStaleRoute() {
  const lost: number[] = [];
  const transport = new InProcessTransport({ onUndeliverable: (e) => lost.push(e.seq) });
  const detach = transport.attach('a', () => {});
  const route = transport.route('a');
  detach();
  return { transport, route, lost };
}

describe('InProcessTransport', () => {
  it('should deliver in order, off the sender stack', async () => {
    const transport = new InProcessTransport();
    const seen: number[] = [];
    transport.attach('a', (e) => seen.push(e.seq));
    transport.send(envelope('a', 1));
    transport.send(envelope('a', 2));
    expect(seen).toEqual([]);
    await flush();
    expect(seen).toEqual([1, 2]);
  });

  it('should deliver a large fan-out in slices, yielding between them', async () => {
    const transport = new InProcessTransport({ sliceSize: 10 });
    let delivered = 0;
    transport.attach('a', () => delivered++);
    // Runs at the first yield to the event loop: after the first slice, before the second
    let firstSlice: [number, number] | undefined;
    setImmediate(() => (firstSlice = [delivered, transport.pending]));
    for (let i = 0; i < 25; i++) transport.send(envelope('a', i));
    await flush();
    expect(firstSlice).toEqual([10, 15]);
    expect(delivered).toBe(25);
  });

  it('should keep an address in order across slices, with envelopes sent to it meanwhile', async () => {
    // Arrange: 5 wait for 'a'; a slice takes 2; the first delivery sends one more (waiting
    // alone when the slice ends), the third two more
    const transport = new InProcessTransport({ sliceSize: 2 });
    const seen: number[] = [];
    transport.attach('a', (e) => {
      seen.push(e.seq);
      if (e.seq === 0) transport.send(envelope('a', 5));
      if (e.seq === 2) [6, 7].forEach((seq) => transport.send(envelope('a', seq)));
    });
    for (let i = 0; i < 5; i++) transport.send(envelope('a', i));
    // Act
    await flush();
    // Assert
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(transport.pending).toBe(0);
  });

  it('should yield once a slice has run for sliceMs, whatever its size', async () => {
    // Arrange: each delivery takes about 1 ms of real time
    const transport = new InProcessTransport({ sliceSize: 5_000, sliceMs: 5 });
    let delivered = 0;
    transport.attach('a', () => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      delivered++;
    });
    let firstSlice = -1;
    setImmediate(() => (firstSlice = delivered));
    for (let i = 0; i < 200; i++) transport.send(envelope('a', i));
    // Act
    await flush(400);
    // Assert: the first slice stopped at the first check past 5 ms (checks come every 64)
    expect(firstSlice).toBeGreaterThan(0);
    expect(firstSlice).toBeLessThan(200);
    expect(delivered).toBe(200);
  });

  it('should deliver depth first: what a pass makes ready, after the microtasks it queued', async () => {
    // Arrange: a tree of fan-out 2, depth 3; each node forwards to its children in a
    // microtask (as a node's batched sends leave), and a leaf answers its parent at once
    const transport = new InProcessTransport();
    const seen: string[] = [];
    const children = (id: string) => (id.length < 3 ? [`${id}0`, `${id}1`] : []);
    const attach = (id: string) => {
      transport.attach(id, (e) => {
        seen.push(`${e.kind === 'COORD_COMMAND' ? 'cmd' : 'done'} ${id}`);
        if (e.kind !== 'COORD_COMMAND') return;
        if (children(id).length === 0) transport.send(envelope(id.slice(0, -1), 0));
        queueMicrotask(() => {
          for (const child of children(id)) transport.send(command(child));
        });
      });
      children(id).forEach(attach);
    };
    attach('r');
    // Act
    transport.send(command('r'));
    await flush();
    // Assert: siblings in one pass, newest first; r1's leaves and their answers come before
    // r0's leaves; a parent takes both its leaves' answers in one turn
    expect(seen).toEqual([
      'cmd r',
      'cmd r1',
      'cmd r0',
      'cmd r01',
      'cmd r00',
      'cmd r11',
      'cmd r10',
      'done r1',
      'done r1',
      'done r0',
      'done r0',
    ]);
  });

  it('should keep each address in the order sent to it, from every sender', async () => {
    const transport = new InProcessTransport();
    const seen: Record<string, number[]> = { a: [], b: [], c: [] };
    for (const id of ['a', 'b', 'c']) transport.attach(id, (e) => seen[id]!.push(e.seq));
    const order = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'c', 'a', 'b'];
    order.forEach((to, seq) => transport.send(envelope(to, seq)));
    await flush();
    expect(seen).toEqual({ a: [0, 2, 5, 8], b: [1, 4, 9], c: [3, 6, 7] });
  });

  it('should start each slice with the address that has waited longest', async () => {
    // Arrange: 'old' becomes ready under 100 newer addresses, more than a slice delivers
    const transport = new InProcessTransport({ sliceSize: 10 });
    const seen: string[] = [];
    transport.attach('old', () => seen.push('old'));
    transport.attach('first', () => {
      seen.push('first');
      transport.send(envelope('old', 1));
      for (let i = 0; i < 100; i++) transport.send(envelope(`n${i}`, i));
    });
    for (let i = 0; i < 100; i++) transport.attach(`n${i}`, () => seen.push(`n${i}`));
    transport.send(envelope('first', 0));
    // Act: 11 slices
    await flush(20);
    // Assert: served first in the second slice, not after the 100
    expect(seen.indexOf('old')).toBe(10);
    expect(seen.slice(1, 4)).toEqual(['n99', 'n98', 'n97']);
    expect(seen).toHaveLength(102);
  });

  it('should report an envelope nobody receives, and nothing after close', async () => {
    const lost: string[] = [];
    const transport = new InProcessTransport({ onUndeliverable: (e) => lost.push(e.to) });
    const detach = transport.attach('a', () => {});
    detach();
    transport.send(envelope('a', 1));
    await flush();
    expect(lost).toEqual(['a']);
    transport.close();
    transport.send(envelope('b', 2));
    await flush();
    expect(lost).toEqual(['a']);
    expect(transport.pending).toBe(0);
  });

  it('should be lossless: what it cannot deliver it reports to the host it is bound to', async () => {
    const host = createTransportHost();
    const transport = new InProcessTransport();
    transport.bind(host);
    transport.attach('a', () => {});
    transport.send(envelope('a', 1));
    transport.send(envelope('b', 2));
    await flush();
    expect(transport.lossless).toBe(true);
    expect(host.undelivered.map((e) => e.seq)).toEqual([2]);
  });

  it('should not claim to be lossless once two trees share it, nor report to either', async () => {
    // A drop cannot be reported to the sender's tree: it may be the other one.
    const [first, second] = [createTransportHost(), createTransportHost()];
    const transport = new InProcessTransport();
    transport.bind(first);
    transport.bind(second);
    transport.send(envelope('nobody', 1));
    await flush();
    expect(transport.lossless).toBe(false);
    expect(transport.undeliverable).toBe(1);
    expect([...first.undelivered, ...second.undelivered]).toEqual([]);
  });

  it('should deliver through a route to the inbox attached when the envelope is delivered', async () => {
    // Arrange: a route taken while the first inbox was attached
    const transport = new InProcessTransport();
    const seen: string[] = [];
    const detachFirst = transport.attach('a', (e) => seen.push(`first ${e.seq}`));
    const route = transport.route('a');
    expect(route?.nodeId).toBe('a');
    expect(transport.route('nobody')).toBeUndefined();
    // Act: delivered by route; then the inbox is replaced; then detached and attached anew
    transport.send(envelope('a', 1), route);
    await flush();
    transport.attach('a', (e) => seen.push(`second ${e.seq}`));
    transport.send(envelope('a', 2), route);
    await flush();
    detachFirst(); // no longer attached: changes nothing
    transport.send(envelope('a', 3), route);
    await flush();
    const { transport: other, route: staleRoute, lost } = withStaleRoute();
    other.send(envelope('a', 4), staleRoute);
    other.attach('a', (e) => seen.push(`revived ${e.seq}`));
    other.send(envelope('a', 5), staleRoute);
    other.send(envelope('a', 6), route); // another transport's route: looked up by address
    await flush();
    // Assert: a route never outlives its inbox; a detached one falls back to the address
    expect(seen).toEqual([
      'first 1',
      'second 2',
      'second 3',
      'revived 4',
      'revived 5',
      'revived 6',
    ]);
    expect(lost).toEqual([]);
  });

  it('should drop an envelope sent by a stale route while nothing is attached', async () => {
    const { transport, route, lost } = withStaleRoute();
    transport.send(envelope('a', 1), route);
    await flush();
    expect(lost).toEqual([1]);
  });
});
