/**
 * The node statechart with the runtime's effects: every named action forwards to the node's
 * endpoint, the cleanup actor is the endpoint's cleanup, and the retry delays get jitter.
 */
import { fromPromise, type AnyActorLogic } from 'xstate';
import { backoffDelay, initRetryDelay, nodeMachine } from '../../machines/index.js';
import { subtreeSizes, type Topology } from '../spec/treeSpec.js';
import type { InlineLeaves } from './InlineLeaves.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import { remoteProxyLogic } from './remoteProxy.js';
import type { TreeKernel } from './TreeKernel.js';

/** The provided node machine of one tree. */
export function provideNodeMachine(
  kernel: TreeKernel,
  endpointOf: (nodeId: string) => NodeEndpoint,
  topology: Topology,
  inline: InlineLeaves,
) {
  const machine = nodeMachine.provide({
    actions: {
      attach: ({ context, self }) => endpointOf(context.nodeId).attach(self, context.supervisor),
      announce: ({ context }, params) =>
        endpointOf(context.nodeId).announce(params.state, context.reason),
      resetLinks: ({ context }) => endpointOf(context.nodeId).children.reset(context.initBudgetMs),
      sendInit: ({ context }) => endpointOf(context.nodeId).children.initRound(),
      restartUnavailable: ({ context }) =>
        void endpointOf(context.nodeId).children.restartUnavailable(true),
      beginShutdown: ({ context }) =>
        endpointOf(context.nodeId).beginShutdown(
          context.shutdown?.mode ?? 'drain',
          context.shutdown?.timeoutMs ?? 0,
        ),
      forceShutdown: ({ context }) => endpointOf(context.nodeId).forceShutdown(),
      reportShutdownComplete: ({ context }) => endpointOf(context.nodeId).reportShutdownComplete(),
      reportDecision: ({ context, event }) => {
        if (event.type !== 'supervisor.decision') return;
        kernel.emit(() => ({
          type: 'decision',
          nodeId: context.nodeId,
          decision: event.decision,
          counts: event.counts,
          at: kernel.now(),
        }));
      },
      linkAdded: ({ context, event }) => {
        // A revived child (`rejoin`) keeps its link and waits for a recovery INIT.
        if (event.type !== 'tree.spawnChild' || event.rejoin) return;
        const size = subtreeSizes(topology, event.shape.id).get(event.shape.id)!;
        endpointOf(context.nodeId).children.joined({
          childId: event.shape.id,
          critical: event.shape.critical === true,
          ...size,
        });
      },
      linkRemoved: ({ context, event }) => {
        // A killed child keeps its link (its parent finds out by itself); a removed one is forgotten.
        if (event.type !== 'tree.stopChild' || !event.forget) return;
        endpointOf(context.nodeId).children.forget(event.childId);
      },
    },
    actors: {
      cleanup: fromPromise<void, { nodeId: string }>(({ input }) =>
        endpointOf(input.nodeId).cleanup(),
      ),
    },
    delays: {
      initRetryDelay: ({ context }) =>
        kernel.jittered(initRetryDelay(context.policy, context.initAttempt)),
      recoveryDelay: ({ context }) =>
        kernel.jittered(backoffDelay(context.policy, context.recoveryAttempt)),
    },
  });
  // Nodes spawn nodes: the provided machine is its own child logic (and takes over inline leaves).
  const actors = machine.implementations.actors as Record<string, AnyActorLogic>;
  actors.node = inline.nodeLogic(machine, (nodeId, actor) =>
    endpointOf(nodeId).attach(actor, null),
  );
  actors.remote = remoteProxyLogic((parentId, nodeId, proxy) =>
    endpointOf(parentId).attachProxy(nodeId, proxy),
  );
  return machine;
}
