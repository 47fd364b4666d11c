/**
 * Checks of what callers hand the tree's API, each saying what was wrong and how to fix it.
 */
import type { ShutdownMode } from '../../machines/index.js';
import { InvalidPolicyError, TreeLifecycleError, UnknownNodeError } from '../errors.js';
import type { Topology } from '../spec/treeSpec.js';
import type { CoordinationTreeOptions, ShutdownOptions, TreeStatus } from './treeTypes.js';

/** @throws TreeLifecycleError without an options object; InvalidPolicyError without a handler */
export function checkTreeOptions(options: CoordinationTreeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TreeLifecycleError(
      'createCoordinationTree needs an options object: { root, handler }.',
    );
  }
  if (typeof options.handler !== 'function') {
    throw new InvalidPolicyError(
      'options.handler must be a function (command, context) => result.',
    );
  }
}

/** @throws UnknownNodeError unless `nodeId` is a node of the tree */
export function assertKnown(topology: Topology, nodeId: string): void {
  if (typeof nodeId !== 'string' || !topology.has(nodeId))
    throw new UnknownNodeError(String(nodeId));
}

/** @throws TreeLifecycleError if node `nodeId` runs in another process (`what`: the operation) */
export function assertLocal(topology: Topology, nodeId: string, what: string): void {
  const placement = topology.get(nodeId)!;
  if (placement.remote) {
    throw new TreeLifecycleError(
      `Cannot ${what} ${nodeId}: it runs in another process (remote). Stop or restart that host; ` +
        `tree.recover('${placement.parentId!}') re-initialises it once it is back.`,
    );
  }
}

/** @throws TreeLifecycleError unless the tree is running (`what`: the operation) */
export function assertRunning(status: TreeStatus, what: string): void {
  if (status === 'created') {
    throw new TreeLifecycleError(
      `Cannot ${what} before the tree is started: call await tree.start() first.`,
    );
  }
  if (status === 'shuttingDown' || status === 'shutDown') {
    throw new TreeLifecycleError(
      `Cannot ${what}: the tree is shut down. Create a new tree with createCoordinationTree().`,
    );
  }
}

/** A command's budget, ms. @throws for an empty name or a budget that is not a duration */
export function commandBudget(name: unknown, timeoutMs: unknown): number {
  if (typeof name !== 'string' || name === '') {
    throw new TreeLifecycleError(`A command needs a non-empty name; got ${JSON.stringify(name)}.`);
  }
  return duration(timeoutMs, 'options.timeoutMs');
}

/** A shutdown's mode and deadline, ms. @throws InvalidPolicyError for either out of range */
export function shutdownArguments(
  options: ShutdownOptions,
  defaultMs: number,
): { mode: ShutdownMode; timeoutMs: number } {
  const mode = options.mode ?? 'drain';
  if (mode !== 'drain' && mode !== 'abort') {
    throw new InvalidPolicyError(`shutdown mode must be 'drain' or 'abort'; got ${String(mode)}.`);
  }
  return { mode, timeoutMs: duration(options.timeoutMs ?? defaultMs, 'shutdown timeoutMs') };
}

function duration(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidPolicyError(
      `${what} must be a finite duration > 0 (ms); got ${String(value)}.`,
    );
  }
  return value;
}
