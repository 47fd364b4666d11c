import { describe, expect, it } from 'vitest';
import {
  createCoordinationTree,
  isInvalidPolicyError,
  isInvalidSpecError,
  isTreeLifecycleError,
  isUnknownNodeError,
  type CoordinationTreeOptions,
  type NodeSpec,
} from '../../helpers/imports.js';
import { createTestTree, settle } from '../../helpers/simulation.js';

const handler = () => 'ok';
const create = (options: Partial<CoordinationTreeOptions>) =>
  createCoordinationTree({ root: { id: 'r' }, handler, ...options });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('bad input', () => {
  it('should refuse duplicate node ids, naming the id', () => {
    const error = thrown(() =>
      create({ root: { id: 'r', children: [{ id: 'a' }, { id: 'b', children: [{ id: 'a' }] }] } }),
    );
    expect(isInvalidSpecError(error)).toBe(true);
    expect(String(error)).toMatch(/Duplicate node id "a"/);
  });

  it('should refuse empty and missing ids, naming the path', () => {
    expect(String(thrown(() => create({ root: { id: 'r', children: [{ id: '  ' }] } })))).toMatch(
      /root\.children\[0\]\.id must be a non-empty string/,
    );
    expect(isInvalidSpecError(thrown(() => create({ root: {} as NodeSpec })))).toBe(true);
  });

  it('should refuse a cycle', () => {
    const a: { id: string; children: NodeSpec[] } = { id: 'a', children: [] };
    a.children.push(a);
    const error = thrown(() => create({ root: a }));
    expect(isInvalidSpecError(error)).toBe(true);
    expect(String(error)).toMatch(/cycle/);
  });

  it('should refuse reserved ids', () => {
    expect(String(thrown(() => create({ root: { id: '$client' } })))).toMatch(/reserved/);
  });

  it('should refuse negative and non-finite timeouts, naming the field and unit', () => {
    const negative = thrown(() => create({ policy: { timeouts: { initMs: -5 } } }));
    expect(isInvalidPolicyError(negative)).toBe(true);
    expect(String(negative)).toMatch(
      /policy\.timeouts\.initMs must be a duration > 0 \(ms\); got -5/,
    );
    expect(
      String(thrown(() => create({ policy: { heartbeat: { intervalMs: Infinity } } }))),
    ).toMatch(/policy\.heartbeat\.intervalMs must be a finite number/);
    expect(String(thrown(() => create({ policy: { retry: { jitter: 2 } } })))).toMatch(
      /ratio between 0 and 1/,
    );
  });

  it('should refuse a missing handler', () => {
    expect(isInvalidPolicyError(thrown(() => create({ handler: undefined as never })))).toBe(true);
  });

  it('should refuse unknown node ids everywhere', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    expect(isUnknownNodeError(thrown(() => t.tree.stateOf('nope')))).toBe(true);
    expect(isUnknownNodeError(thrown(() => t.tree.kill('nope')))).toBe(true);
    expect(isUnknownNodeError(thrown(() => t.tree.revive('nope')))).toBe(true);
    await expect(t.tree.recover('nope')).rejects.toSatisfy(isUnknownNodeError);
    await expect(t.tree.addNode('nope', { id: 'x' })).rejects.toSatisfy(isUnknownNodeError);
    await expect(t.tree.removeNode('nope')).rejects.toSatisfy(isUnknownNodeError);
    await expect(t.tree.addNode('eu', { id: 'eu-1' })).rejects.toSatisfy(isInvalidSpecError);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should refuse a command before start() and after shutdown()', async () => {
    const t = createTestTree();
    await expect(t.tree.command('early')).rejects.toThrow(
      /before the tree is started: call await tree\.start\(\) first/,
    );
    await expect(t.tree.command('early')).rejects.toSatisfy(isTreeLifecycleError);
    await settle(t.clock, t.tree.start());
    for (const timeoutMs of [-1, 0, Number.NaN, Infinity]) {
      await expect(t.tree.command('deploy', {}, { timeoutMs })).rejects.toSatisfy(
        isInvalidPolicyError,
      );
    }
    await expect(t.tree.command('')).rejects.toThrow(/non-empty name/);
    await expect(t.tree.shutdown({ mode: 'gentle' as never })).rejects.toThrow(
      /'drain' or 'abort'/,
    );
    await expect(t.tree.shutdown({ timeoutMs: -5 })).rejects.toSatisfy(isInvalidPolicyError);
    await settle(t.clock, t.tree.shutdown());
    await expect(t.tree.command('late')).rejects.toSatisfy(isTreeLifecycleError);
  });

  it('should refuse a second start, killing the root, and reviving a live node', async () => {
    const t = createTestTree();
    await settle(t.clock, t.tree.start());
    await expect(t.tree.start()).rejects.toSatisfy(isTreeLifecycleError);
    expect(String(thrown(() => t.tree.kill('root')))).toMatch(/root cannot be killed/);
    expect(String(thrown(() => t.tree.revive('eu-1')))).toMatch(/not killed/);
    await expect(t.tree.removeNode('root')).rejects.toSatisfy(isTreeLifecycleError);
    await settle(t.clock, t.tree.shutdown());
  });
});
