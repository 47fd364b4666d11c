import type { AnyActorRef, SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { supervisorMachine } from '../../../machines/index.js';
import { coordinator, policy, startNode } from './nodeHarness.js';

/** Whether a coordinator treats itself as a leaf: a leaf is SYNCHRONIZED on its INIT alone. */
function connectsAlone(node: ReturnType<typeof startNode>): boolean {
  node.send({ type: 'parent.init', epoch: 1, timeoutMs: 1_000 });
  return node.announced().at(-1) === 'SYNCHRONIZED: leaf ready';
}

const supervisorOf = (node: ReturnType<typeof startNode>): AnyActorRef | null =>
  node.contexts.attach!.at(-1)!.supervisor;

const contextOf = (supervisor: AnyActorRef | null) =>
  (supervisor!.getSnapshot() as SnapshotFrom<typeof supervisorMachine>).context;

describe('nodeMachine children', () => {
  it('should spawn each child of its shape under its own id, with itself as parent', () => {
    // Act
    const node = startNode(coordinator);
    // Assert
    expect(node.spawned).toEqual([
      { shape: { id: 'a' }, parentId: 'n', policy },
      { shape: { id: 'b' }, parentId: 'n', policy },
    ]);
    expect(node.actor.system.get('a')).toBe(node.snapshot().children['a']);
    expect(node.actor.system.get('b')).toBe(node.snapshot().children['b']);
  });

  it('should count an inline child but spawn nothing for it, at start and at run time', () => {
    // Arrange
    const node = startNode({ id: 'n', children: [{ id: 'a' }, { id: 'b', inline: true }] });
    // Act
    node.send({ type: 'tree.spawnChild', shape: { id: 'c', inline: true }, rejoin: false });
    // Assert
    expect(node.spawned.map((input) => input.shape.id)).toEqual(['a']);
    expect(Object.keys(node.snapshot().children).sort()).toEqual(['a', 'n/supervisor']);
    expect(node.snapshot().context.childCount).toBe(3);
    expect(node.actor.system.get('b')).toBeUndefined();
  });

  it('should attach with a supervisor that applies its policy, as a coordinator', () => {
    // Act
    const node = startNode(coordinator);
    // Assert
    const supervisor = supervisorOf(node);
    expect(supervisor).toBe(node.snapshot().children['n/supervisor']);
    expect(contextOf(supervisor)).toMatchObject({
      nodeId: 'n',
      degradation: policy.degradation,
      restartBudget: policy.restartBudget,
    });
  });

  it('should attach without a supervisor, as a leaf', () => {
    // Act
    const node = startNode({ id: 'leaf' });
    // Assert
    expect(node.times('attach')).toEqual([0]);
    expect(supervisorOf(node)).toBeNull();
    expect(Object.keys(node.snapshot().children)).toEqual([]);
  });

  it('should turn a leaf into a coordinator when a child is spawned at run time', () => {
    // Arrange
    const node = startNode({ id: 'leaf' });
    // Act
    node.send({ type: 'tree.spawnChild', shape: { id: 'c', critical: true }, rejoin: false });
    // Assert
    expect(node.spawned).toEqual([
      { shape: { id: 'c', critical: true }, parentId: 'leaf', policy },
    ]);
    expect(node.actor.system.get('c')).toBeDefined();
    expect(node.effects.slice(-2).map((e) => e.effect)).toEqual(['attach', 'linkAdded']);
    const supervisor = supervisorOf(node);
    expect(supervisor).toBe(node.snapshot().children['leaf/supervisor']);
    expect(contextOf(supervisor)).toMatchObject({
      nodeId: 'leaf',
      degradation: policy.degradation,
      restartBudget: policy.restartBudget,
    });
    expect(connectsAlone(node)).toBe(false);
  });

  it('should keep its one supervisor as children are added', () => {
    // Arrange
    const node = startNode(coordinator);
    const before = supervisorOf(node);
    // Act
    node.send({ type: 'tree.spawnChild', shape: { id: 'c' }, rejoin: false });
    // Assert
    expect(supervisorOf(node)).toBe(before);
    expect(Object.keys(node.snapshot().children).sort()).toEqual(['a', 'b', 'c', 'n/supervisor']);
  });

  it('should stop a child’s actor but still count a killed child until it is forgotten', () => {
    // Arrange
    const node = startNode({ id: 'n', children: [{ id: 'a' }] });
    const child = node.snapshot().children['a']!;
    // Act
    node.send({ type: 'tree.stopChild', childId: 'a', forget: false });
    // Assert
    expect(child.getSnapshot().status).toBe('stopped');
    expect(node.actor.system.get('a')).toBeUndefined();
    expect(node.times('linkRemoved')).toEqual([0]);
    expect(connectsAlone(node)).toBe(false);
  });

  it('should count a forgotten child no more', () => {
    // Arrange
    const node = startNode({ id: 'n', children: [{ id: 'a' }] });
    // Act
    node.send({ type: 'tree.stopChild', childId: 'a', forget: true });
    // Assert
    expect(connectsAlone(node)).toBe(true);
  });

  it('should forget a killed child later, though its actor is gone', () => {
    // Arrange
    const node = startNode({ id: 'n', children: [{ id: 'a' }] });
    node.send({ type: 'tree.stopChild', childId: 'a', forget: false });
    // Act
    node.send({ type: 'tree.stopChild', childId: 'a', forget: true });
    // Assert
    expect(node.times('linkRemoved')).toEqual([0, 0]);
    expect(connectsAlone(node)).toBe(true);
  });

  it('should count a spawned child until it is forgotten, and a rejoining child once', () => {
    // Arrange
    const node = startNode({ id: 'leaf' });
    node.send({ type: 'tree.spawnChild', shape: { id: 'c' }, rejoin: false });
    node.send({ type: 'tree.stopChild', childId: 'c', forget: false });
    // Act
    node.send({ type: 'tree.spawnChild', shape: { id: 'c' }, rejoin: true });
    node.send({ type: 'tree.stopChild', childId: 'c', forget: true });
    // Assert
    expect(node.spawned.map((input) => input.shape.id)).toEqual(['c', 'c']);
    expect(connectsAlone(node)).toBe(true);
  });
});
