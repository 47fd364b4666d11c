import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import type { CommandHandler, HandlerContext } from '../../helpers/imports.js';
import { REPLAY_WINDOW } from '../../../src/runtime/DedupMemory.js';
import { advance, createTestTree, flush, settle, testPolicy } from '../../helpers/simulation.js';

describe('commands', () => {
  it('should complete at every leaf and aggregate every outcome', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy', { v: 3 }));
    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({ completed: 5, failed: 0, skipped: 0, timedOut: 0 });
    expect([...result.outcomes.keys()].sort()).toEqual(['eu-1', 'eu-2', 'eu-3', 'us-1', 'us-2']);
    expect(result.outcomes.get('us-2')).toEqual({ status: 'completed', result: 'us-2:deploy' });
    expect(t.executions).toHaveLength(5);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should tell the handler its node, attempt, deadline and signal, and nothing else', async () => {
    // Arrange
    const contexts: HandlerContext[] = [];
    const t = createTestTree({
      handler: (_command, context) => {
        contexts.push(context);
        return 'ok';
      },
    });
    await settle(t.clock, t.tree.start());
    const issuedAt = t.clock.now();
    // Act
    await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 1_000 }));
    // Assert
    const us1 = contexts.find((c) => c.nodeId === 'us-1')!;
    expect(Object.keys(us1).sort()).toEqual(['attempt', 'deadline', 'nodeId']);
    expect(us1.attempt).toBe(1);
    expect(us1.deadline).toBeGreaterThan(issuedAt);
    expect(us1.deadline).toBeLessThanOrEqual(issuedAt + 1_000);
    const { signal } = us1;
    expect(signal.aborted).toBe(false);
    expect(JSON.stringify(us1)).not.toMatch(/commandId|spec/);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should acknowledge every command envelope on receipt', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy'));
    const commands = transport.sent.filter((e) => e.kind === 'COORD_COMMAND');
    const acked = new Set(
      transport.sent.flatMap((e) => (e.kind === 'COORD_ACK' ? [e.body.ackOf] : [])),
    );
    expect(commands).toHaveLength(8); // one per node, the API's to the root included
    for (const e of commands) expect(acked.has(e.id)).toBe(true);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should report partial when some leaves fail, with a command error that leaves the node healthy', async () => {
    const t = createTestTree({
      handler: (_command, { nodeId }) => {
        if (nodeId === 'eu-2') throw Object.assign(new Error('disk full'), { code: 'E_DISK' });
        return 'ok';
      },
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('partial');
    expect(result.counts).toEqual({ completed: 4, failed: 1, skipped: 0, timedOut: 0 });
    expect(result.outcomes.get('eu-2')).toEqual({
      status: 'failed',
      error: { code: 'E_DISK', message: 'disk full' },
    });
    expect(t.tree.stateOf('eu-2')).toBe('SYNCHRONIZED');
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    await settle(t.clock, t.tree.shutdown());
  });

  it('should report failed when no leaf completes', async () => {
    const t = createTestTree({
      handler: () => Promise.reject(new Error('nope')),
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('failed');
    expect(result.counts).toEqual({ completed: 0, failed: 5, skipped: 0, timedOut: 0 });
    await settle(t.clock, t.tree.shutdown());
  });

  it('should time out a command, firing the handler signal at a deadline inside the root budget', async () => {
    // Arrange: us-1 never finishes on its own
    const contexts: HandlerContext[] = [];
    const handler: CommandHandler = (_command, context) => {
      contexts.push(context);
      if (context.nodeId !== 'us-1') return 'ok';
      return new Promise((_resolve, reject) =>
        context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    };
    const t = createTestTree({ handler });
    await settle(t.clock, t.tree.start());
    const issuedAt = t.clock.now();
    // Act
    const result = await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 1_000 }));
    // Assert
    expect(result.status).toBe('partial');
    expect(result.counts).toEqual({ completed: 4, failed: 0, skipped: 0, timedOut: 1 });
    expect(result.outcomes.get('us-1')).toEqual({ status: 'timedOut', leaves: 1 });
    const us1 = contexts.find((c) => c.nodeId === 'us-1')!;
    expect(us1.signal.aborted).toBe(true);
    expect(us1.deadline).toBeLessThan(issuedAt + 1_000); // deadlines shrink down the tree
    expect(t.clock.now() - issuedAt).toBeLessThan(1_000); // the root answered before the API's deadline
    await settle(t.clock, t.tree.shutdown());
  });

  it('should hand a handler that first reads its signal after the deadline an aborted one', async () => {
    // Arrange: us-1 waits past its deadline without looking at its signal
    const contexts: HandlerContext[] = [];
    let release = (): void => {};
    const late = new Promise<void>((resolve) => (release = resolve));
    const handler: CommandHandler = async (_command, context) => {
      if (context.nodeId !== 'us-1') return 'ok';
      contexts.push(context);
      await late;
      return 'late';
    };
    const t = createTestTree({ handler });
    await settle(t.clock, t.tree.start());
    // Act
    const result = await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 1_000 }));
    release();
    await flush();
    // Assert
    expect(result.outcomes.get('us-1')).toEqual({ status: 'timedOut', leaves: 1 });
    expect(contexts[0]!.signal.aborted).toBe(true);
    expect(String(contexts[0]!.signal.reason)).toMatch(/deadline passed/);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should time out a whole tree that never answers', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.kind === 'COORD_COMPLETE' && e.to === '$client';
    const result = await settle(t.clock, t.tree.command('deploy', undefined, { timeoutMs: 500 }));
    expect(result.status).toBe('failed');
    expect(result.counts).toEqual({ completed: 0, failed: 0, skipped: 0, timedOut: 5 });
    transport.drop = () => false;
    await settle(t.clock, t.tree.shutdown());
  });

  it('should not re-run a handler when the command is delivered twice', async () => {
    // Arrange: every command envelope is duplicated on every link
    const transport = new FilteringTransport();
    transport.duplicate = (e) => e.kind === 'COORD_COMMAND';
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    // Act
    const result = await settle(t.clock, t.tree.command('deploy'));
    // Assert
    expect(result.counts.completed).toBe(5);
    expect(t.executions).toHaveLength(5);
    expect(t.tree.stats.dropped.duplicate).toBeGreaterThan(0);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should answer a re-sent command (new envelope, same command id) from memory', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy'));
    const original = transport.sent.find((e) => e.kind === 'COORD_COMMAND' && e.to === 'eu-1')!;
    // Act: the same command again in a fresh envelope
    transport.send({ ...original, id: 'resent-envelope-id-0000' });
    await flush();
    // Assert
    expect(t.executions.filter((x) => x.startsWith('eu-1:'))).toHaveLength(1);
    const replies = transport.sent.filter((e) => e.kind === 'COORD_COMPLETE' && e.from === 'eu-1');
    expect(replies).toHaveLength(2);
    expect(replies[1]!.body).toEqual(replies[0]!.body);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should never re-run an old command, even past the window of answers it repeats', async () => {
    // Arrange: more commands than answers are kept
    const transport = new FilteringTransport();
    const t = createTestTree({ transport, spec: { id: 'root', children: [{ id: 'leaf' }] } });
    await settle(t.clock, t.tree.start());
    for (let i = 0; i <= REPLAY_WINDOW; i++) await settle(t.clock, t.tree.command(`c${i}`));
    const first = transport.sent.find((e) => e.kind === 'COORD_COMMAND' && e.to === 'leaf')!;
    const repliesBefore = transport.sent.filter(
      (e) => e.from === 'leaf' && e.kind === 'COORD_COMPLETE',
    ).length;
    // Act
    transport.send({ ...first, id: 'resent-old-command-000001' });
    await flush();
    // Assert
    expect(t.executions).toHaveLength(REPLAY_WINDOW + 1);
    expect(
      transport.sent.filter((e) => e.from === 'leaf' && e.kind === 'COORD_COMPLETE'),
    ).toHaveLength(repliesBefore);
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'command', phase: 'duplicate', nodeId: 'leaf' }),
    );
    await settle(t.clock, t.tree.shutdown());
  });

  it('should send commands issued in the same tick to the root as one batch too', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, Promise.all([t.tree.command('a'), t.tree.command('b')]));
    const toRoot = transport.sent.filter((e) => e.kind === 'COORD_COMMAND' && e.to === 'root');
    expect(toRoot).toHaveLength(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should send commands issued in the same tick to a child as one batch', async () => {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    const results = await settle(
      t.clock,
      Promise.all([t.tree.command('a'), t.tree.command('b'), t.tree.command('c')]),
    );
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    const toEu1 = transport.sent.filter((e) => e.kind === 'COORD_COMMAND' && e.to === 'eu-1');
    expect(toEu1).toHaveLength(1);
    expect(
      toEu1[0]!.kind === 'COORD_COMMAND' && toEu1[0]!.body.commands.map((c) => c.name),
    ).toEqual(['a', 'b', 'c']);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should bound the commands running at once at a node', async () => {
    let running = 0;
    let peak = 0;
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'leaf' }] },
      policy: { concurrency: { maxInFlight: 2 } },
      handler: async (_command, { signal }) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return signal.aborted ? 'late' : 'ok';
      },
    });
    await settle(t.clock, t.tree.start());
    const results = await settle(
      t.clock,
      Promise.all(Array.from({ length: 7 }, (_, i) => t.tree.command(`c${i}`))),
    );
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(peak).toBe(2);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should run a handler once by default, even when its error is marked retriable', async () => {
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'leaf' }] },
      handler: () => {
        throw Object.assign(new Error('busy'), { retriable: true, code: 'E_BUSY' });
      },
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.outcomes.get('leaf')).toEqual({
      status: 'failed',
      error: { code: 'E_BUSY', message: 'busy' },
    });
    expect(t.tree.stats.handlerRuns).toBe(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should retry a handler error marked retriable when opted in, with the attempt number', async () => {
    const attempts: number[] = [];
    const t = createTestTree({
      policy: { ...testPolicy, retry: { ...testPolicy.retry, maxAttempts: 3 } },
      spec: { id: 'root', children: [{ id: 'leaf' }] },
      handler: (_command, { attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw Object.assign(new Error('busy'), { retriable: true });
        return 'third time';
      },
    });
    await settle(t.clock, t.tree.start());
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.outcomes.get('leaf')).toEqual({ status: 'completed', result: 'third time' });
    expect(attempts).toEqual([1, 2, 3]);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should refuse commands at a node that is not ready and count its leaves as skipped', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('us');
    await advance(t.clock, 700); // us is critical: the root fails
    const result = await settle(t.clock, t.tree.command('deploy'));
    expect(result.status).toBe('failed');
    expect(result.counts).toEqual({ completed: 0, failed: 0, skipped: 5, timedOut: 0 });
    expect(result.outcomes.get('root')).toMatchObject({
      status: 'skipped',
      reason: 'NOT_READY',
      leaves: 5,
    });
    await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
  });
});
