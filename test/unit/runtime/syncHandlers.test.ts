/**
 * Handlers that answer at once: the leaf answers in the same delivery, sets no deadline timer,
 * and a long queue of them runs in a loop rather than a recursion.
 */
import { describe, expect, it, vi } from 'vitest';
import { createTestTree, settle, testPolicy } from '../../helpers/simulation.js';
import type { CommandHandler } from '../../helpers/imports.js';

const threeLeaves = { id: 'root', children: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };

/** Timers set on the tree's clock for at least `minMs` while one command runs. */
async function longTimersOfOneCommand(handler: CommandHandler, minMs: number): Promise<number> {
  const t = createTestTree({ spec: threeLeaves, handler });
  await settle(t.clock, t.tree.start());
  const setTimeout = vi.spyOn(t.clock, 'setTimeout');
  const result = await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 30_000 }));
  expect(result.status).toBe('completed');
  const long = setTimeout.mock.calls.filter(([, ms]) => ms >= minMs).length;
  await settle(t.clock, t.tree.shutdown());
  return long;
}

describe('synchronous handlers', () => {
  it('should arm a leaf deadline timer only for a handler that goes asynchronous', async () => {
    // Arrange / Act
    const sync = await longTimersOfOneCommand(() => 'done', 10_000);
    const async = await longTimersOfOneCommand(() => Promise.resolve('done'), 10_000);
    // Assert: the three leaves' deadline timers are the whole difference
    expect(async - sync).toBe(3);
  });

  it('should fail a command whose handler throws synchronously, as before', async () => {
    const t = createTestTree({
      spec: threeLeaves,
      handler: (_command, { nodeId }) => {
        if (nodeId === 'b') throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        return 'ok';
      },
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('partial');
    expect(result.outcomes.get('b')).toMatchObject({
      status: 'failed',
      error: { code: 'ENOSPC', message: 'disk full' },
    });
    expect(result.outcomes.get('a')).toEqual({ status: 'completed', result: 'ok' });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should run a long queue of synchronous commands at one leaf in a loop, not a recursion', async () => {
    // Arrange: a one-node tree (its root is the leaf, so the queue forms there) running one
    // command at a time; the first one holds it until released
    let release: () => void = () => {};
    let held = false;
    const t = createTestTree({
      spec: { id: 'root' },
      policy: { ...testPolicy, concurrency: { maxInFlight: 1 } },
      handler: (command) => {
        if (held || command.name !== 'hold') return 'ok';
        held = true;
        return new Promise<string>((resolve) => (release = () => resolve('released')));
      },
    });
    await settle(t.clock, t.tree.start());
    const first = t.tree.command('hold', undefined, { timeoutMs: 60_000 });
    await settle(t.clock, Promise.resolve(), 100);
    const queued = Array.from({ length: 30_000 }, () =>
      t.tree.command('quick', undefined, { timeoutMs: 60_000 }),
    );
    await settle(t.clock, Promise.resolve(), 100);
    // Act: the held command ends; 30 000 queued ones follow, each answering at once
    release();
    const results = await settle(t.clock, Promise.all([first, ...queued]));
    // Assert
    expect(results.filter((r) => r.status === 'completed')).toHaveLength(30_001);
    await settle(t.clock, t.tree.shutdown());
  });
});
