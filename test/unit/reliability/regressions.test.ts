/**
 * Regressions of the reliable transport: each test failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { advance, createTestTree, settle } from '../../helpers/simulation.js';
import { createTransportHost } from '../../helpers/transportHost.js';
import { ReliableTransport, type AnyEnvelope } from '../../helpers/imports.js';

function envelope(from: string, to: string, n: number, epoch = 1): AnyEnvelope {
  return {
    v: 1,
    kind: 'COORD_HEARTBEAT',
    id: `${from}-${n}`,
    session: 's',
    epoch,
    from,
    to,
    seq: n,
    sentAt: 0,
    body: {},
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('ReliableTransport regressions', () => {
  it('should not replay a dead incarnation’s stream into the node revived in its place', async () => {
    // Arrange: every acknowledgement a sends root is lost, so root's stream to a still holds the
    // INIT and the command when a crashes; a ran the command
    const filtering = new FilteringTransport();
    filtering.drop = (e) => e.from === 'a' && e.to === 'root' && e.link?.ack !== undefined;
    const t = createTestTree({
      transport: new ReliableTransport(filtering, { jitter: 0 }),
      spec: { id: 'root', children: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
    });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 60_000 }));
    // Act: a crashes and comes back fresh on a healthy network
    t.tree.kill('a');
    await advance(t.clock, 100);
    filtering.drop = () => false;
    t.tree.revive('a');
    await advance(t.clock, 3_000);
    // Assert: root's resends of the old INIT and command did not reach the new a
    expect(t.executions.filter((run) => run.startsWith('a:'))).toHaveLength(1);
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });

  it('should refuse a stream it never saw start, so that its sender gives it up', async () => {
    // Arrange: a and b in two processes (two reliable transports over one network); b receives
    // a's stream, but its acknowledgement of the second envelope is lost
    const host = createTransportHost();
    const network = new FilteringTransport();
    const processA = new ReliableTransport(network, { resendInitialMs: 50 });
    const processB = new ReliableTransport(network, { resendInitialMs: 50 });
    processA.bind(host);
    processB.bind(host);
    const received: string[] = [];
    processA.attach('a', () => {});
    const detach = processB.attach('b', (e) => received.push(e.id));
    processA.send(envelope('a', 'b', 1));
    await flush();
    network.drop = (e) => e.from === 'b';
    processA.send(envelope('a', 'b', 2));
    await flush();
    // Act: b restarts; a's resend of 2 (base 2) reaches the new b
    detach();
    network.drop = () => false;
    processB.attach('b', (e) => received.push(`new ${e.id}`));
    host.clock.increment(100);
    await flush();
    // Assert: the new b got nothing of the old stream; a gave the stream up and reported it
    expect(received).toEqual(['a-1', 'a-2']);
    expect(processB.stats.refused).toBeGreaterThan(0);
    expect(host.lost).toContainEqual(['a', 'b']);
    processA.send(envelope('a', 'b', 3)); // a fresh stream is taken from its start
    await flush();
    expect(received).toEqual(['a-1', 'a-2', 'new a-3']);
    processA.close();
    processB.close();
  });

  it('should forget the links other local nodes had with a node that left', () => {
    // Arrange
    const host = createTransportHost();
    const transport = new ReliableTransport(new FilteringTransport());
    transport.bind(host);
    transport.attach('root', () => {});
    // Act: 50 nodes join, exchange an envelope with root, and leave
    for (let i = 0; i < 50; i++) {
      const detach = transport.attach(`n${i}`, () => {});
      transport.send(envelope('root', `n${i}`, 1));
      detach();
    }
    // Assert: root keeps no per-peer state for them
    const nodes = (transport as unknown as { nodes: Map<string, { links: Map<string, unknown> }> })
      .nodes;
    expect(nodes.get('root')!.links.size).toBe(0);
    transport.close();
  });
});
