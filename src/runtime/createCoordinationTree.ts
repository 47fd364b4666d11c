/**
 * The public entry point: a coordination tree built from a spec, driven through a small API.
 */
import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import { isAvailableState, type CoordinationState } from '../../machines/index.js';
import { CoordinationFailedError, TreeLifecycleError } from '../errors.js';
import { ConformanceMonitor } from '../conformance/ConformanceMonitor.js';
import { resolvePolicy } from '../policy/policy.js';
import {
  shapeOf,
  subtreeIds,
  subtreeSizes,
  hasRemoteNodes,
  validateSpec,
} from '../spec/treeSpec.js';
import { HostedRoot, validateParent } from './HostedRoot.js';
import { InlineLeaves } from './InlineLeaves.js';
import { InProcessTransport } from '../transport/InProcessTransport.js';
import type { Transport } from '../transport/Transport.js';
import type { ChildSeed } from './Link.js';
import { NodeEndpoint } from './NodeEndpoint.js';
import { provideNodeMachine } from './provideNodeMachine.js';
import { systemClock, Timers } from './Timers.js';
import { CLIENT_ID, TreeClient } from './TreeClient.js';
import { TreeKernel } from './TreeKernel.js';
import type {
  CoordinationTree,
  CoordinationTreeOptions,
  ShutdownResult,
  TreeStatus,
} from './treeTypes.js';
import { remoteNodeState, treeSnapshot } from './treeSnapshot.js';
import {
  assertKnown,
  assertLocal,
  assertRunning,
  checkTreeOptions,
  commandBudget,
  shutdownArguments,
} from './treeArguments.js';
import { recoverNode, waitForLinks, type RecoveryContext } from './recoverNode.js';

/**
 * Creates a coordination tree. Nothing runs until {@link CoordinationTree.start}.
 * @throws InvalidSpecError for a malformed spec; InvalidPolicyError for a bad policy value
 */
export function createCoordinationTree(options: CoordinationTreeOptions): CoordinationTree {
  checkTreeOptions(options);
  const topology = validateSpec(options.root);
  const policy = resolvePolicy(options.policy, { nodes: topology.size });
  const rootId = options.root.id;
  const hostedUnder = validateParent(options.parent, topology);
  const clock = options.clock ?? systemClock;
  const transport: Transport = options.transport ?? new InProcessTransport();
  const kernel = new TreeKernel(
    transport,
    clock,
    policy,
    options.handler,
    options.random ?? Math.random,
  );
  if (options.monitor === true) {
    const monitor = new ConformanceMonitor((violation) => kernel.events.publish(violation));
    kernel.events
      .of(['transition', 'message', 'command', 'node'])
      .subscribe((event) => monitor.observe(event));
  }
  const endpoints = new Map<string, NodeEndpoint>();
  const dead = new Set<string>();
  let status: TreeStatus = 'created';
  let rootActor: Actor<AnyActorLogic> | null = null;
  let client: TreeClient | null = null;
  let shutdownResult: Promise<ShutdownResult> | null = null;
  let settleDone: (result: ShutdownResult) => void = () => {};
  const done = new Promise<ShutdownResult>((resolve) => (settleDone = resolve));
  let hosted: HostedRoot | null = null;
  const timers = new Timers(clock);
  const inline = new InlineLeaves(!options.inspect, rootId, topology);

  const endpointOf = (nodeId: string): NodeEndpoint => endpoints.get(nodeId)!;
  kernel.onInitDropped = (init) => endpoints.get(init.from)?.children.initDropped(init.to, init.id);

  const createEndpoints = (fromId: string): void => {
    const sizes = subtreeSizes(topology, fromId);
    for (const id of subtreeIds(topology, fromId)) {
      const placement = topology.get(id)!;
      if (placement.remote) continue; // it runs in its own host
      const seeds: ChildSeed[] = placement.childIds.map((childId) => ({
        childId,
        critical: topology.get(childId)!.critical,
        ...sizes.get(childId)!,
      }));
      endpoints.get(id)?.dispose();
      const parentId = placement.parentId ?? hostedUnder ?? CLIENT_ID;
      const endpoint = new NodeEndpoint(kernel, id, parentId, seeds);
      endpoints.set(id, endpoint);
      inline.start(endpoint);
    }
  };

  const machine = provideNodeMachine(kernel, endpointOf, topology, inline);

  const actorOf = (nodeId: string) =>
    rootActor?.system.get(nodeId) as Actor<AnyActorLogic> | undefined;
  const recovery = (): RecoveryContext => ({
    kernel,
    timers,
    initWaitMs: policy.timeouts.initMs + policy.retry.maxDelayMs,
    endpointOf,
    parentOf: (nodeId) => topology.get(nodeId)!.parentId,
    client,
    hostedUnder,
  });

  const tree: CoordinationTree = {
    events$: kernel.events.all$,
    eventsOf: (...types) => kernel.events.of(types),
    policy,
    get status() {
      return status;
    },
    get stats() {
      return kernel.stats;
    },

    async start() {
      if (status !== 'created') {
        throw new TreeLifecycleError(`start() can be called once; the tree is already ${status}.`);
      }
      status = 'starting';
      createEndpoints(rootId);
      rootActor = createActor(machine, {
        input: {
          shape: shapeOf(topology, rootId, inline.has),
          parentId: hostedUnder ?? CLIENT_ID,
          policy: policy.machine,
        },
        clock: clock,
        id: rootId,
        systemId: rootId,
        ...(options.inspect ? { inspect: options.inspect } : {}),
      });
      if (hostedUnder !== undefined) {
        status = 'running';
        const actor = rootActor;
        hosted = new HostedRoot(hostedUnder, endpointOf(rootId), {
          kernel,
          timers,
          sendRoot: (event) => actor.send(event),
          stopped: () => void tree.shutdown(),
          parentLost: () => {
            kernel.emit(() => ({
              type: 'node',
              nodeId: rootId,
              change: 'parent-lost',
              at: kernel.now(),
            }));
            void tree.shutdown({ mode: 'abort' });
          },
        });
        hosted.watch(policy.timeouts.heartbeatMs);
        actor.start();
        return hosted.joined();
      }
      client = new TreeClient(
        kernel,
        rootId,
        () => subtreeSizes(topology, rootId).get(rootId)!.leaves,
      );
      rootActor.start();
      const outcome = await client.init(policy.timeouts.initMs);
      if (status === 'starting') status = 'running';
      if (outcome.ok && isAvailableState(outcome.state)) client.superviseRoot();
      if (!outcome.ok || !isAvailableState(outcome.state)) {
        throw new CoordinationFailedError(
          `The tree did not start: ${outcome.ok ? `the root is ${outcome.state}` : outcome.reason}. ` +
            `See tree.snapshot() for the failing nodes; tree.recover('${rootId}') retries.`,
          rootId,
        );
      }
      return outcome.state as 'SYNCHRONIZED' | 'DEGRADED';
    },

    stateOf(nodeId) {
      assertKnown(topology, nodeId);
      if (dead.has(nodeId)) return 'DISCONNECTED';
      if (topology.get(nodeId)!.remote) return remoteState(nodeId);
      return endpoints.get(nodeId)?.state ?? 'DISCONNECTED';
    },

    snapshot() {
      return treeSnapshot(rootId, topology, endpoints, dead, kernel.now(), hostedUnder ?? null);
    },

    async command(name, payload, commandOptions = {}) {
      assertRunning(status, 'run a command');
      if (hostedUnder !== undefined) {
        throw new TreeLifecycleError(
          `This tree is hosted under ${hostedUnder}: commands come from the process that runs the root.`,
        );
      }
      const timeoutMs = commandBudget(name, commandOptions.timeoutMs ?? policy.timeouts.commandMs);
      return client!.command(kernel.newId(), name, payload, timeoutMs);
    },

    kill(nodeId) {
      assertRunning(status, 'kill a node');
      assertKnown(topology, nodeId);
      assertLocal(topology, nodeId, 'kill');
      if (nodeId === rootId) {
        throw new TreeLifecycleError(
          'The root cannot be killed (it has no parent to notice); use tree.shutdown().',
        );
      }
      if (dead.has(nodeId)) return;
      for (const id of subtreeIds(topology, nodeId)) {
        endpoints.get(id)?.kill();
        dead.add(id);
      }
      actorOf(topology.get(nodeId)!.parentId!)?.send({
        type: 'tree.stopChild',
        childId: nodeId,
        forget: false,
      });
      kernel.emit(() => ({ type: 'node', nodeId, change: 'killed', at: kernel.now() }));
    },

    revive(nodeId) {
      assertRunning(status, 'revive a node');
      assertKnown(topology, nodeId);
      assertLocal(topology, nodeId, 'revive');
      if (!dead.has(nodeId))
        throw new TreeLifecycleError(`${nodeId} is not killed; only a killed node can be revived.`);
      const parentId = topology.get(nodeId)!.parentId!;
      if (dead.has(parentId)) {
        throw new TreeLifecycleError(
          `${nodeId}'s parent ${parentId} is killed too: revive ${parentId} (it brings its subtree back).`,
        );
      }
      for (const id of subtreeIds(topology, nodeId)) dead.delete(id);
      createEndpoints(nodeId);
      actorOf(parentId)?.send({
        type: 'tree.spawnChild',
        shape: shapeOf(topology, nodeId, inline.has),
        rejoin: true,
      });
      kernel.emit(() => ({ type: 'node', nodeId, change: 'revived', at: kernel.now() }));
    },

    async recover(nodeId) {
      assertRunning(status, 'recover a node');
      assertKnown(topology, nodeId);
      assertLocal(topology, nodeId, 'recover');
      if (dead.has(nodeId))
        throw new TreeLifecycleError(
          `${nodeId} is killed: revive it first, then recover its parent.`,
        );
      return recoverNode(recovery(), nodeId);
    },

    async addNode(parentId, spec) {
      if (status === 'shuttingDown' || status === 'shutDown') assertRunning(status, 'add a node');
      assertKnown(topology, parentId);
      if (dead.has(parentId))
        throw new TreeLifecycleError(
          `Cannot add a child to ${parentId}: it is killed. Revive it first.`,
        );
      let depth = 1;
      for (let id = topology.get(parentId)!.parentId; id !== null; id = topology.get(id)!.parentId)
        depth++;
      const added = validateSpec(spec, parentId, new Set(topology.keys()), depth);
      // A leaf run inline needs an actor of its own to coordinate a child.
      const grandparentId = topology.get(parentId)!.parentId;
      const grandparent = grandparentId === null ? undefined : actorOf(grandparentId);
      const endpoint = endpoints.get(parentId);
      if (status !== 'created' && grandparent && endpoint) inline.takeOver(endpoint, grandparent);
      for (const [id, placement] of added) topology.set(id, placement);
      topology.get(parentId)!.childIds.push(spec.id);
      if (status === 'created') return 'pending';
      createEndpoints(spec.id);
      // A take-over sent from inside the grandparent's own step spawns once that step ends.
      if (!actorOf(parentId)) await Promise.resolve();
      actorOf(parentId)?.send({
        type: 'tree.spawnChild',
        shape: shapeOf(topology, spec.id, inline.has),
        rejoin: false,
      });
      kernel.emit(() => ({ type: 'node', nodeId: spec.id, change: 'added', at: kernel.now() }));
      if (isAvailableState(endpointOf(parentId).state))
        await waitForLinks(recovery(), parentId, [spec.id]);
      const link = endpoints.get(parentId)?.links.get(spec.id);
      if (!link || !topology.has(spec.id)) {
        throw new TreeLifecycleError(`${spec.id} was removed while it was joining.`);
      }
      return link.state;
    },

    async removeNode(nodeId) {
      if (status === 'shuttingDown' || status === 'shutDown')
        assertRunning(status, 'remove a node');
      assertKnown(topology, nodeId);
      const parentId = topology.get(nodeId)!.parentId;
      if (parentId === null)
        throw new TreeLifecycleError('The root cannot be removed; use tree.shutdown().');
      if (dead.has(parentId)) {
        throw new TreeLifecycleError(
          `Cannot remove ${nodeId}: its parent ${parentId} is killed and could not count the change. Revive ${parentId} first.`,
        );
      }
      if (status !== 'created' && !dead.has(nodeId)) {
        await new Promise<void>((resolve) => endpointOf(parentId).removeChild(nodeId, resolve));
      }
      if (!topology.has(nodeId)) return; // removed by a concurrent call
      if (status !== 'created' && status !== 'shutDown') {
        actorOf(parentId)?.send({ type: 'tree.stopChild', childId: nodeId, forget: true });
      }
      for (const id of subtreeIds(topology, nodeId)) {
        endpoints.get(id)?.dispose();
        endpoints.delete(id);
        dead.delete(id);
        topology.delete(id);
      }
      const siblings = topology.get(parentId)!.childIds;
      siblings.splice(siblings.indexOf(nodeId), 1);
      kernel.emit(() => ({ type: 'node', nodeId, change: 'removed', at: kernel.now() }));
    },

    done,

    shutdown(shutdownOptions = {}) {
      shutdownResult ??= (async () => {
        const { mode, timeoutMs } = shutdownArguments(shutdownOptions, policy.timeouts.shutdownMs);
        const started = status !== 'created';
        status = 'shuttingDown';
        let forced = 0;
        if (started && client) forced = await client.shutdown(mode, timeoutMs);
        else if (started && hosted) forced = await hosted.shutdown(mode, timeoutMs);
        // Peers in other processes still need the last answers (and their acknowledgements).
        if (started && (hosted || hasRemoteNodes(topology))) {
          await transport.flush?.(REMOTE_FLUSH_MS);
        }
        rootActor?.stop();
        for (const endpoint of endpoints.values()) endpoint.dispose();
        client?.dispose();
        timers.clearAll();
        kernel.rounds.clear();
        transport.close();
        status = 'shutDown';
        kernel.events.complete();
        const by = hosted?.cause;
        const result = {
          mode,
          forced: Math.max(0, forced),
          graceful: forced >= 0,
          ...(by ? { by } : {}),
        };
        settleDone(result);
        return result;
      })();
      const result = shutdownResult;
      result.catch(() => {
        shutdownResult = null;
      });
      return result;
    },
  };
  /** A remote node's state, as its parent's link shows it. */
  function remoteState(nodeId: string): CoordinationState {
    return remoteNodeState(
      endpoints.get(topology.get(nodeId)!.parentId!)?.links.get(nodeId)?.state,
    );
  }

  // The transport stack runs on the tree's clock and reports into the tree.
  transport.bind?.({
    clock,
    now: () => kernel.now(),
    random: kernel.random,
    emit: (make) => kernel.emit(make),
    linkLost: (from, to) => endpoints.get(from)?.markUnreachable(to),
    killNode: (nodeId) => tree.kill(nodeId),
    reviveNode: (nodeId) => tree.revive(nodeId),
    undeliverable: (envelope) => kernel.drop(envelope.to, 'undeliverable', envelope),
  });
  return tree;
}

/** How long a tree with peers in other processes waits for its last envelopes to be acknowledged, ms. */
const REMOTE_FLUSH_MS = 2_000;
