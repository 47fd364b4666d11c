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
    for (let i = 0; i < 25; i++) transport.send(envelope('a', i));
    await Promise.resolve();
    await Promise.resolve();
    expect(delivered).toBe(10);
    expect(transport.pending).toBe(15);
    await flush();
    expect(delivered).toBe(25);
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
    for (let i = 0; i < 200; i++) transport.send(envelope('a', i));
    // Act
    await Promise.resolve();
    await Promise.resolve();
    const firstSlice = delivered;
    await flush(400);
    // Assert: the first slice stopped at the first check past 5 ms (checks come every 64)
    expect(firstSlice).toBeGreaterThan(0);
    expect(firstSlice).toBeLessThan(200);
    expect(delivered).toBe(200);
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
