import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  ALLOWED_TRANSITIONS,
  COORDINATION_STATES,
  nodeMachine,
  type NodeInput,
} from '../../../machines/index.js';
import { machineTestPolicy } from '../../helpers/machinePolicy.js';

const policy = machineTestPolicy;

function start(input: Partial<NodeInput> = {}) {
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const machine = nodeMachine.provide({
    actions: { sendInit: () => void calls.push('sendInit') },
  });
  const actor = createActor(machine, {
    clock,
    input: { shape: { id: 'leaf' }, parentId: 'p', policy, ...input },
  }).start();
  return { actor, clock, calls, value: () => actor.getSnapshot().value };
}

describe('nodeMachine', () => {
  it('should start DISCONNECTED and settle a leaf on its own INIT', () => {
    const { actor, value } = start();
    expect(value()).toEqual({ DISCONNECTED: 'idle' });
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    expect(value()).toEqual({ SYNCHRONIZED: 'active' });
  });

  it('should retry INIT with backoff and fail on the init timeout, then clean up to DISCONNECTED', async () => {
    // Arrange: a coordinator whose children never answer (inert effects, no supervisor reports)
    const { actor, clock, calls, value } = start({
      shape: { id: 'n', children: [{ id: 'a' }, { id: 'b' }] },
    });
    // Act
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    expect(value()).toEqual({ CONNECTING: { waiting: 'initializing' } });
    clock.increment(100);
    expect(value()).toEqual({ CONNECTING: { waiting: 'retrying' } });
    clock.increment(200);
    clock.increment(400);
    // Assert: 1 + 3 rounds by 700 ms (100, 200, 400 backoff)
    expect(calls.filter((c) => c === 'sendInit').length).toBe(4);
    clock.increment(300);
    expect(value()).toBe('FAILED');
    await Promise.resolve();
    await Promise.resolve();
    expect(value()).toEqual({ DISCONNECTED: 'idle' });
    expect(actor.getSnapshot().context.reason).toBe('cleaned up after failure');
  });

  it('should go SYNCHRONIZED once the supervisor says all children are ready, then follow its decisions', () => {
    const { actor, value } = start({ shape: { id: 'n', children: [{ id: 'a' }] } });
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    actor.send({
      type: 'supervisor.decision',
      decision: { state: 'SYNCHRONIZED', allReady: true, recoverable: false, reason: 'ok' },
      counts: {} as never,
    });
    expect(value()).toEqual({ SYNCHRONIZED: 'active' });
    actor.send({
      type: 'supervisor.decision',
      decision: {
        state: 'DEGRADED',
        allReady: false,
        recoverable: true,
        reason: '1 child unavailable',
      },
      counts: {} as never,
    });
    expect(value()).toEqual({ DEGRADED: 'backoff' });
    actor.send({
      type: 'supervisor.decision',
      decision: { state: 'FAILED', allReady: false, recoverable: true, reason: 'critical' },
      counts: {} as never,
    });
    expect(value()).toBe('FAILED');
  });

  it('should drain on shutdown and end DISCONNECTED when the endpoint reports done', () => {
    const { actor, value } = start();
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    actor.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 });
    expect(value()).toEqual({ SYNCHRONIZED: 'draining' });
    actor.send({ type: 'shutdown.done' });
    expect(value()).toEqual({ DISCONNECTED: 'stopped' });
  });

  it('should force the shutdown at its deadline', () => {
    const { actor, clock, value } = start();
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    actor.send({ type: 'parent.shutdown', mode: 'abort', timeoutMs: 500 });
    clock.increment(500);
    expect(value()).toEqual({ DISCONNECTED: 'stopped' });
    expect(actor.getSnapshot().context.reason).toBe('shutdown deadline passed');
  });

  it('should abort CONNECTING to FAILED on a shutdown during init', () => {
    const { actor, value } = start({ shape: { id: 'n', children: [{ id: 'a' }] } });
    actor.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
    actor.send({ type: 'parent.shutdown', mode: 'drain', timeoutMs: 500 });
    expect(value()).toBe('FAILED');
    expect(actor.getSnapshot().context.reason).toBe('shutdown during init');
  });
  it('should define exactly the table transitions between its top-level states', () => {
    // Arrange: every transition of every state node (on, always, after, invoke done/error)
    type Node = { key: string; parent?: Node; states?: Record<string, Node> } & {
      transitions: Map<string, { target?: Node[] }[]>;
      always?: { target?: Node[] }[];
    };
    const root = nodeMachine.root as unknown as Node;
    const topOf = (node: Node): string => {
      let current = node;
      while (current.parent && current.parent !== root) current = current.parent;
      return current.key;
    };
    const all = (node: Node): Node[] => [node, ...Object.values(node.states ?? {}).flatMap(all)];
    // Act
    const edges = new Set<string>();
    for (const node of all(root).slice(1)) {
      const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          if (topOf(node) !== topOf(target)) edges.add(`${topOf(node)}→${topOf(target)}`);
        }
      }
    }
    // Assert
    expect(Object.keys(root.states ?? {}).sort()).toEqual([...COORDINATION_STATES].sort());
    expect([...edges].sort()).toEqual(
      ALLOWED_TRANSITIONS.map(([from, to]) => `${from}→${to}`).sort(),
    );
  });
});
