import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { isCoordinationFailedError, type CoordinationState } from '../../helpers/imports.js';
import { advance, createTestTree, settle, testPolicy } from '../../helpers/simulation.js';

const ALL_NODES = ['root', 'eu', 'eu-1', 'eu-2', 'eu-3', 'us', 'us-1', 'us-2'];

describe('tree lifecycle', () => {
  it('should start every node to SYNCHRONIZED through table transitions only', async () => {
    // Arrange
    const t = createTestTree();
    // Act
    const state = await settle(t.clock, t.tree.start());
    // Assert
    expect(state).toBe('SYNCHRONIZED');
    for (const id of ALL_NODES) expect(t.tree.stateOf(id)).toBe('SYNCHRONIZED');
    for (const id of ALL_NODES) {
      expect(t.transitions(id).map((e) => `${e.from}>${e.to}`)).toEqual([
        'DISCONNECTED>CONNECTING',
        'CONNECTING>SYNCHRONIZED',
      ]);
    }
    const root = t.tree.snapshot().nodes['root']!;
    expect(root.links).toEqual({ eu: 'SYNCHRONIZED', us: 'SYNCHRONIZED' });
    expect(root.subtree).toMatchObject({ nodes: 8, leaves: 5, byState: { SYNCHRONIZED: 8 } });
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown());
  });

  it('should send every INIT in an envelope carrying session, epoch and sequence', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    const inits = transport.sent.filter((e) => e.kind === 'COORD_INIT');
    expect(inits).toHaveLength(ALL_NODES.length);
    for (const e of inits) {
      expect(e).toMatchObject({
        v: 1,
        session: expect.any(String),
        epoch: expect.any(Number),
        seq: expect.any(Number),
      });
      // The tree's random prefix, then a counter.
      expect(e.id).toMatch(/^[\w-]{7}[0-9a-z]+$/);
    }
    expect(new Set(inits.map((e) => e.id)).size).toBe(inits.length);
    expect(new Set(inits.map((e) => e.session)).size).toBe(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should go CONNECTING → FAILED → DISCONNECTED on an init timeout, and reject start()', async () => {
    // Arrange: eu-2 never receives its INIT
    const transport = new FilteringTransport();
    transport.drop = (e) => e.to === 'eu-2';
    const t = createTestTree({ transport });
    // Act
    const error = await settle(
      t.clock,
      t.tree.start().then(
        () => null,
        (e: unknown) => e,
      ),
    );
    await advance(t.clock, 100);
    // Assert
    expect(isCoordinationFailedError(error)).toBe(true);
    expect(String(error)).toMatch(/did not start/);
    // eu fails within its share of the budget; the root re-INITs it while its own budget lasts.
    const cycle = [
      'DISCONNECTED>CONNECTING:INIT from parent',
      'CONNECTING>FAILED:init timeout',
      'FAILED>DISCONNECTED:cleaned up after failure',
    ];
    const seen = t.transitions('eu').map((e) => `${e.from}>${e.to}:${e.reason}`);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    seen.forEach((step, i) => expect(step).toBe(cycle[i % 3]));
    expect(t.transitions('root').map((e) => `${e.from}>${e.to}:${e.reason}`)).toEqual(cycle);
    expect(t.tree.stateOf('root')).toBe('DISCONNECTED');
    t.expectConformance();
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 500 }));
  });

  it('should retry INIT with backoff inside the init timeout until a late child answers', async () => {
    const transport = new FilteringTransport();
    let dropped = 0;
    transport.drop = (e) => e.kind === 'COORD_INIT' && e.to === 'eu-2' && dropped++ < 3;
    const t = createTestTree({ transport });
    expect(await settle(t.clock, t.tree.start())).toBe('SYNCHRONIZED');
    expect(transport.sent.filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-2')).toHaveLength(
      4,
    );
    await settle(t.clock, t.tree.shutdown());
  });

  it('should space INIT rounds by the ack timeout, then back off', async () => {
    const transport = new FilteringTransport();
    transport.drop = (e) => e.kind === 'COORD_INIT' && e.to === 'eu-2';
    const t = createTestTree({
      transport,
      policy: { ...testPolicy, retry: { ...testPolicy.retry, maxDelayMs: 4_000 } }, // ackMs 500, factor 2, jitter 0
    });
    await settle(
      t.clock,
      t.tree.start().catch(() => 'failed'),
    );
    const sentAt = transport.sent
      .filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-2')
      .map((e) => e.sentAt);
    const gaps = sentAt.slice(1).map((at, i) => at - sentAt[i]!);
    expect(gaps).toEqual([500, 1_000]); // then eu's own budget (90 % of 2 s) runs out
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 500 }));
  });

  it.each([
    { lossless: false, inits: 3 },
    { lossless: true, inits: 1 },
  ])(
    'should resend a slow INIT only on a transport that may lose it (lossless: $lossless)',
    async ({ lossless, inits }) => {
      // Arrange: eu-2's INITs arrive 1.2 s late (a long queue), past two rounds (every 500 ms)
      const transport = new FilteringTransport({ lossless });
      transport.holdMs = (e) => (e.kind === 'COORD_INIT' && e.to === 'eu-2' ? 1_200 : 0);
      const t = createTestTree({ transport });
      // Act
      const state = await settle(t.clock, t.tree.start());
      // Assert
      expect(state).toBe('SYNCHRONIZED');
      const sent = transport.sent.filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-2');
      expect(sent).toHaveLength(inits);
      await settle(t.clock, t.tree.shutdown());
    },
  );

  it('should resend an INIT that a lossless transport reported undeliverable', async () => {
    const transport = new FilteringTransport({ lossless: true });
    let dropped = 0;
    transport.drop = (e) => e.kind === 'COORD_INIT' && e.to === 'eu-2' && dropped++ < 2;
    const t = createTestTree({ transport });
    expect(await settle(t.clock, t.tree.start())).toBe('SYNCHRONIZED');
    expect(transport.sent.filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-2')).toHaveLength(
      3,
    );
    expect(t.tree.stats.dropped.undeliverable).toBe(2);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should INIT again a child that answered its INIT with a retriable error', async () => {
    // Arrange: eu-2's first READY is replaced by an INIT_FAILED error
    const transport = new FilteringTransport();
    let failed = false;
    const inner = transport.inner;
    transport.drop = (e) => {
      if (failed || e.kind !== 'COORD_READY' || e.from !== 'eu-2') return false;
      failed = true;
      inner.send({
        ...e,
        kind: 'COORD_ERROR',
        body: { scope: 'node', code: 'INIT_FAILED', message: 'transient', retriable: true },
      });
      return true;
    };
    const t = createTestTree({ transport });
    // Act
    const state = await settle(t.clock, t.tree.start());
    // Assert
    expect(state).toBe('SYNCHRONIZED');
    expect(
      transport.sent.filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-2').length,
    ).toBeGreaterThan(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should INIT again a child whose READY was lost, once its budget has passed', async () => {
    const transport = new FilteringTransport();
    let dropped = false;
    transport.drop = (e) =>
      !dropped && e.kind === 'COORD_READY' && e.from === 'eu-2' && (dropped = true);
    const t = createTestTree({
      transport,
      policy: { ...testPolicy, timeouts: { ...testPolicy.timeouts, initMs: 5_000 } },
    });
    expect(await settle(t.clock, t.tree.start())).toBe('SYNCHRONIZED');
    expect(
      transport.sent.filter((e) => e.kind === 'COORD_READY' && e.from === 'eu-2'),
    ).toHaveLength(2);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should INIT a node added at run time, then count it', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const link = await settle(
      t.clock,
      t.tree.addNode('eu', { id: 'eu-4', children: [{ id: 'eu-4a' }] }),
    );
    expect(link).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('eu-4a')).toBe('SYNCHRONIZED');
    await advance(t.clock, 50);
    expect(t.tree.snapshot().nodes['root']!.subtree).toMatchObject({ nodes: 10, leaves: 6 });
    const result = await settle(t.clock, t.tree.command('ping'));
    expect(result.counts.completed).toBe(6);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should shut down a removed node gracefully, then stop counting it', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.removeNode('eu-3'));
    expect(t.transitions('eu-3').at(-1)).toMatchObject({
      to: 'DISCONNECTED',
      reason: 'shutdown complete',
    });
    expect(Object.keys(t.tree.snapshot().nodes['eu']!.links)).toEqual(['eu-1', 'eu-2']);
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    const result = await settle(t.clock, t.tree.command('ping'));
    expect(result.counts).toEqual({ completed: 4, failed: 0, skipped: 0, timedOut: 0 });
    expect(() => t.tree.stateOf('eu-3')).toThrow(/Unknown node id "eu-3"/);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should turn a leaf that gains a child into a coordinator', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.addNode('us-2', { id: 'us-2a' }));
    const result = await settle(t.clock, t.tree.command('ping'));
    expect(result.outcomes.has('us-2a')).toBe(true);
    expect(result.outcomes.has('us-2')).toBe(false);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should report every node state through stateOf and snapshot consistently', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const snapshot = t.tree.snapshot();
    for (const id of ALL_NODES) {
      expect(snapshot.nodes[id]!.state).toBe(t.tree.stateOf(id) satisfies CoordinationState);
    }
    await settle(t.clock, t.tree.shutdown());
  });
});
