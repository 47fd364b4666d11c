/**
 * Manual recovery of one node (`tree.recover`), and the wait for children's INIT answers that it
 * and `tree.addNode` share.
 */
import { isAvailableState, type CoordinationState, type LinkState } from '../../machines/index.js';
import { TreeLifecycleError } from '../errors.js';
import type { TreeEvent } from './events.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import type { Timers } from './Timers.js';
import type { TreeClient } from './TreeClient.js';
import type { TreeKernel } from './TreeKernel.js';
import type { RecoveryResult } from './treeTypes.js';
import { waitForEvents } from './waitFor.js';

/** What recovery needs from its tree. */
export interface RecoveryContext {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  /** How long an INIT may take to be answered, ms. */
  readonly initWaitMs: number;
  endpointOf(nodeId: string): NodeEndpoint;
  /** The node's parent in this tree (null for the root). */
  parentOf(nodeId: string): string | null;
  /** The API's end, or null in a hosted tree. */
  readonly client: TreeClient | null;
  /** The remote parent of a hosted tree's root. */
  readonly hostedUnder: string | undefined;
}

/**
 * Waits until each child has answered its INIT (READY, or an error), its link gave up on it,
 * or the init budget passed.
 */
export function waitForLinks(
  ctx: RecoveryContext,
  parentId: string,
  childIds: readonly string[],
): Promise<boolean> {
  const waiting = new Set(childIds);
  const parent = ctx.endpointOf(parentId);
  for (const id of childIds) {
    const link = parent.links.get(id);
    if (link && isAvailableState(link.state as CoordinationState)) waiting.delete(id);
  }
  const answered = (to: LinkState | null): boolean =>
    to === null || (to !== 'pending' && to !== 'CONNECTING');
  return waitForEvents(
    ctx.kernel,
    ctx.timers,
    ctx.initWaitMs,
    () => waiting.size === 0,
    (event) => {
      if (event.type === 'link' && event.nodeId === parentId && answered(event.to)) {
        waiting.delete(event.childId);
      }
      return waiting.size === 0;
    },
  );
}

/**
 * A fresh restart budget and a recovery round now for an available node; a re-INIT from its
 * parent (or the API, for the root) for one that is down.
 */
export async function recoverNode(ctx: RecoveryContext, nodeId: string): Promise<RecoveryResult> {
  const { kernel, timers, initWaitMs, client } = ctx;
  const endpoint = ctx.endpointOf(nodeId);
  let restarted: string[] = [];
  const settled = (event: TreeEvent): boolean =>
    event.type === 'transition' &&
    event.nodeId === nodeId &&
    (isAvailableState(event.to) || event.to === 'FAILED');
  if (endpoint.state === 'CONNECTING') {
    await waitForEvents(kernel, timers, initWaitMs, () => false, settled);
  } else if (isAvailableState(endpoint.state)) {
    restarted = endpoint.recover();
    await waitForLinks(ctx, nodeId, restarted);
  } else {
    const parentId = ctx.parentOf(nodeId);
    if (parentId === null && client === null) {
      throw new TreeLifecycleError(
        `${nodeId} is ${endpoint.state}; its parent ${ctx.hostedUnder!} runs in another process and re-initialises it.`,
      );
    }
    if (parentId === null) {
      const outcome = await client!.init(kernel.policy.timeouts.initMs);
      if (outcome.ok && isAvailableState(outcome.state)) client!.superviseRoot();
    } else {
      const parent = ctx.endpointOf(parentId);
      if (!parent.children.reinit(nodeId)) {
        throw new TreeLifecycleError(
          `${nodeId}'s parent ${parentId} is not connected (${parent.state}), so it cannot re-initialise it: recover ${parentId} first.`,
        );
      }
      await waitForEvents(kernel, timers, initWaitMs, () => false, settled);
    }
  }
  const unavailable = [...endpoint.links.values()]
    .filter((link) => !isAvailableState(link.state as CoordinationState))
    .map((link) => link.childId);
  return { nodeId, state: endpoint.state, restarted, unavailable };
}
