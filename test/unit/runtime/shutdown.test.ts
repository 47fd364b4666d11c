import type { AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import { createCoordinationTree, type HandlerContext } from '../../helpers/imports.js';
import {
  advance,
  createTestTree,
  pendingTimers,
  sampleSpec,
  settle,
} from '../../helpers/simulation.js';

describe('shutdown', () => {
  it('should shut children down first and leave no timer, actor or inbox behind', async () => {
    const transport = new FilteringTransport();
    const actors = new Set<AnyActorRef>();
    const t = createTestTree({
      transport,
      inspect: (event) => {
        if (event.type === '@xstate.actor') actors.add(event.actorRef as AnyActorRef);
      },
    });
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy'));
    // Act
    const result = await settle(t.clock, t.tree.shutdown());
    // Assert
    expect(result).toEqual({ mode: 'drain', forced: 0, graceful: true });
    const order = t
      .transitions()
      .filter((e) => e.to === 'DISCONNECTED')
      .map((e) => e.nodeId);
    expect(order.indexOf('eu-1')).toBeLessThan(order.indexOf('eu'));
    expect(order.indexOf('eu')).toBeLessThan(order.indexOf('root'));
    expect(order.at(-1)).toBe('root');
    expect(pendingTimers(t.clock)).toBe(0);
    expect(t.tree.status).toBe('shutDown');
    expect(actors.size).toBeGreaterThanOrEqual(8 + 3); // nodes and supervisors
    expect(
      [...actors].filter((a) => (a.getSnapshot() as { status: string }).status !== 'stopped'),
    ).toEqual([]);
    expect(transport.attached).toBe(0);
  });

  it('should let in-flight work finish in drain mode', async () => {
    let release: () => void = () => {};
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'leaf' }] },
      handler: () => new Promise<string>((resolve) => (release = () => resolve('done'))),
    });
    await settle(t.clock, t.tree.start());
    const command = t.tree.command('slow');
    await advance(t.clock, 50);
    // Act
    const shutdown = t.tree.shutdown({ mode: 'drain' });
    await advance(t.clock, 200);
    expect(t.tree.status).toBe('shuttingDown');
    release();
    // Assert
    expect(await settle(t.clock, command)).toMatchObject({ status: 'completed' });
    expect(await settle(t.clock, shutdown)).toEqual({ mode: 'drain', forced: 0, graceful: true });
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should abort in-flight work in abort mode, firing the handler signal', async () => {
    let seen: HandlerContext | null = null;
    const t = createTestTree({
      spec: { id: 'root', children: [{ id: 'leaf' }] },
      handler: (_command, context) => {
        seen = context;
        return new Promise(() => {});
      },
    });
    await settle(t.clock, t.tree.start());
    const command = t.tree.command('slow');
    await advance(t.clock, 50);
    // Act
    const result = await settle(t.clock, t.tree.shutdown({ mode: 'abort' }));
    // Assert
    expect(result.graceful).toBe(true);
    expect(seen!.signal.aborted).toBe(true);
    const outcome = await settle(t.clock, command);
    expect(outcome.status).toBe('failed');
    expect(outcome.outcomes.get('leaf')).toMatchObject({
      status: 'failed',
      error: { code: 'ABORTED' },
    });
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should force-stop a straggler past the deadline', async () => {
    // Arrange: eu-2 never hears the SHUTDOWN
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    transport.drop = (e) => e.kind === 'COORD_SHUTDOWN' && e.to === 'eu-2';
    // Act
    const result = await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
    // Assert
    expect(result.graceful).toBe(true);
    expect(t.transitions('eu').at(-1)).toMatchObject({
      to: 'DISCONNECTED',
      reason: 'shutdown deadline passed',
    });
    expect(t.clock.now()).toBeLessThan(2_000 + 1_000); // start took < 2 s, shutdown ≤ its deadline
    expect(pendingTimers(t.clock)).toBe(0);
    t.expectConformance();
  });

  it('should shut down a tree whose root failed', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    t.tree.kill('us'); // critical: the root fails and cleans up to DISCONNECTED
    await advance(t.clock, 700);
    expect(t.transitions('root').map((e) => e.to)).toContain('FAILED'); // then re-INITed in vain
    const result = await settle(t.clock, t.tree.shutdown({ timeoutMs: 1_000 }));
    expect(result.graceful).toBe(true);
    expect(pendingTimers(t.clock)).toBe(0);
  });

  it('should be idempotent and refuse commands afterwards', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    const first = t.tree.shutdown();
    const second = t.tree.shutdown();
    expect(second).toBe(first);
    await settle(t.clock, first);
    await expect(t.tree.command('late')).rejects.toThrow(/tree is shut down/);
  });

  it('should leave no active handle behind on the system clock after an abort shutdown', async () => {
    const before = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const tree = createCoordinationTree({
      root: sampleSpec(),
      handler: () => new Promise(() => {}),
    });
    await tree.start();
    const command = tree.command('hangs');
    await tree.shutdown({ mode: 'abort', timeoutMs: 1_000 });
    expect((await command).status).toBe('failed');
    const after = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout' || r === 'Immediate').length;
    expect(after).toBe(before);
  });

  it('should leave no active handle of the process behind on the system clock', async () => {
    // Arrange: real timers (heartbeats, deadlines) on the default clock, no sleeping in the test
    const before = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const tree = createCoordinationTree({ root: sampleSpec(), handler: () => 'ok' });
    // Act
    await tree.start();
    await tree.command('deploy');
    await tree.shutdown();
    // Assert
    const after = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout' || r === 'Immediate').length;
    expect(after).toBe(before);
  });
});
