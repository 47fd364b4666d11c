import { describe, expect, it } from 'vitest';
import { SimulatedClock, type AnyActorRef, type InspectionEvent } from 'xstate';
import { advance, settle, simulatedWire, testPolicy } from '../../helpers/simulation.js';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import {
  createCoordinationTree,
  ReliableTransport,
  type CoordinationTree,
  type NodeSpec,
  type TreeEvent,
} from '../../helpers/imports.js';

/** The whole tree as both processes' spec lists it: `eu` runs in a host of its own. */
const wholeSpec: NodeSpec = {
  id: 'root',
  children: [
    { id: 'eu', remote: true, children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
    { id: 'us', children: [{ id: 'us-1' }] },
  ],
};

/** Two trees in one test, as two processes would be: the root's, and the host of `eu`. */
function pair(options: { inspect?: (event: InspectionEvent) => void } = {}) {
  const clock = new SimulatedClock();
  const wire = new FilteringTransport();
  const executions: string[] = [];
  const common = {
    clock,
    random: () => 0.5,
    policy: testPolicy,
    monitor: true,
    handler: (command: { id: string; name: string }, context: { nodeId: string }) => {
      executions.push(`${context.nodeId}:${command.id}`);
      return `${context.nodeId}:${command.name}`;
    },
  };
  const root = createCoordinationTree({
    ...common,
    root: wholeSpec,
    transport: new ReliableTransport(wire),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const host = createCoordinationTree({
    ...common,
    root: { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
    parent: 'root',
    transport: new ReliableTransport(wire),
  });
  return { clock, root, host, executions, wire };
}

async function startBoth(clock: SimulatedClock, root: CoordinationTree, host: CoordinationTree) {
  const joined = host.start();
  const started = await settle(clock, root.start());
  return { started, joined: await settle(clock, joined) };
}

describe('remote children', () => {
  it('should form one tree with a subtree hosted elsewhere, and run commands across it', async () => {
    // Arrange
    const { clock, root, host, executions } = pair();
    // Act
    const { started, joined } = await startBoth(clock, root, host);
    const result = await settle(clock, root.command('deploy'));
    // Assert
    expect(started).toBe('SYNCHRONIZED');
    expect(joined).toBe('SYNCHRONIZED');
    expect(result.status).toBe('completed');
    expect(result.counts.completed).toBe(3);
    expect(result.outcomes.get('eu-2')).toEqual({ status: 'completed', result: 'eu-2:deploy' });
    expect(executions.filter((e) => e.startsWith('eu-'))).toHaveLength(2);
    expect(root.stateOf('eu')).toBe('SYNCHRONIZED');
    expect(root.snapshot().nodes.eu).toMatchObject({
      state: 'SYNCHRONIZED',
      subtree: { nodes: 3, leaves: 2 },
    });
    expect(root.snapshot().nodes.root!.subtree.nodes).toBe(6);
    expect(host.snapshot().nodes.eu!.parentId).toBe('root');
    await settle(clock, root.shutdown());
  });

  it('should stand a proxy actor for the remote child in the parent system, showing its state', async () => {
    // Arrange
    const seen: InspectionEvent[] = [];
    const { clock, root, host } = pair({ inspect: (event) => seen.push(event) });
    // Act
    await startBoth(clock, root, host);
    // Assert
    const proxy = seen
      .filter((e) => e.type === '@xstate.actor')
      .map((e) => e.actorRef as AnyActorRef)
      .find((ref) => ref.id === 'eu')!;
    const contextOf = (ref: AnyActorRef | undefined) =>
      (ref?.getSnapshot() as { context: Record<string, unknown> } | undefined)?.context;
    expect(contextOf(proxy._parent)?.nodeId).toBe('root');
    expect(contextOf(proxy)).toMatchObject({
      nodeId: 'eu',
      parentId: 'root',
      remote: true,
      state: 'SYNCHRONIZED',
    });
    expect(seen.some((e) => (e.actorRef as AnyActorRef).id === 'eu-1')).toBe(false);
    await settle(clock, root.shutdown());
  });

  it("should shut the hosted subtree down with its parent's SHUTDOWN and settle its done", async () => {
    // Arrange
    const { clock, root, host } = pair();
    await startBoth(clock, root, host);
    // Act
    const shutdown = await settle(clock, root.shutdown());
    const hostDone = await settle(clock, host.done);
    // Assert
    expect(shutdown).toEqual({ mode: 'drain', forced: 0, graceful: true });
    expect(hostDone.graceful).toBe(true);
    expect(host.status).toBe('shutDown');
    expect(root.status).toBe('shutDown');
  });

  it('should give the subtree up once its parent is silent past timeouts.heartbeatMs', async () => {
    // Arrange
    const { clock, root, host, wire } = pair();
    await startBoth(clock, root, host);
    const events: TreeEvent[] = [];
    host.events$.subscribe((e) => events.push(e));
    // Act: the parent's process dies (nothing from or to it any more)
    wire.drop = (e) => e.from === 'root' || e.to === 'root';
    const done = await settle(clock, host.done);
    // Assert
    expect(done).toMatchObject({ mode: 'abort', by: 'parent-lost' });
    expect(host.status).toBe('shutDown');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'node', nodeId: 'eu', change: 'parent-lost' }),
    );
    const lostAt = events.find((e) => e.type === 'node')!.at;
    const lastTransition = events.find((e) => e.type === 'transition');
    expect(lastTransition?.nodeId).not.toBe('eu'); // eu stayed SYNCHRONIZED until it gave up
    expect(lostAt).toBeGreaterThan(0);
    wire.drop = () => false;
    await settle(clock, root.shutdown({ timeoutMs: 500 }));
  });

  it('should keep a busy hosted subtree whose parent is alive', async () => {
    // Arrange: the host reports often (every leaf's command completes over a long stretch)
    const { clock, root, host } = pair();
    await startBoth(clock, root, host);
    // Act: five times the silence cap, with traffic only from time to time
    for (let i = 0; i < 5; i++) {
      await settle(clock, root.command('tick'));
      await advance(clock, testPolicy.timeouts!.heartbeatMs!);
    }
    // Assert
    expect(host.status).toBe('running');
    expect(host.stateOf('eu')).toBe('SYNCHRONIZED');
    await settle(clock, root.shutdown());
  });

  it('should refuse what only the root process can do, saying why', async () => {
    // Arrange
    const { clock, root, host } = pair();
    await startBoth(clock, root, host);
    // Act / Assert
    await expect(host.command('deploy')).rejects.toThrow(/hosted under root/);
    expect(() => root.kill('eu')).toThrow(/runs in another process/);
    await expect(host.recover('eu')).resolves.toMatchObject({ state: 'SYNCHRONIZED' });
    await settle(clock, root.shutdown());
  });

  it('should reject bad remote specs and parents', () => {
    const handler = () => 'ok';
    expect(() => createCoordinationTree({ root: { id: 'a', remote: true }, handler })).toThrow(
      /root and cannot be remote/,
    );
    expect(() =>
      createCoordinationTree({
        root: { id: 'a', children: [{ id: 'b', remote: 'yes' as unknown as boolean }] },
        handler,
      }),
    ).toThrow(/remote must be a boolean/);
    expect(() =>
      createCoordinationTree({ root: { id: 'a', children: [{ id: 'b' }] }, parent: 'b', handler }),
    ).toThrow(/is a node of this tree/);
    expect(() => createCoordinationTree({ root: { id: 'a' }, parent: '$x', handler })).toThrow(
      /options.parent/,
    );
  });
  it('should resend INIT to a remote child that starts late, over an in-process transport both trees share', async () => {
    // Arrange: one raw in-process transport under both trees, so neither is told of the other's
    // dropped envelopes; the host of `eu` starts 300 ms after the root
    const clock = new SimulatedClock();
    const wire = simulatedWire();
    const common = { clock, random: () => 0.5, policy: testPolicy, handler: () => 'ok' };
    const root = createCoordinationTree({ ...common, root: wholeSpec, transport: wire });
    const host = createCoordinationTree({
      ...common,
      root: { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
      parent: 'root',
      transport: wire,
    });
    const started = root.start();
    await advance(clock, 300);
    // Act
    const joined = host.start();
    // Assert
    expect(wire.lossless).toBe(false);
    expect(await settle(clock, started)).toBe('SYNCHRONIZED');
    expect(await settle(clock, joined)).toBe('SYNCHRONIZED');
    await settle(clock, host.shutdown());
    await settle(clock, root.shutdown());
  });
});
