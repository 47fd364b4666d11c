/**
 * Which leaves of a tree run inline (without an actor of their own), and how a node actor takes
 * over an inline leaf that gains a child.
 *
 * A tree runs its leaves inline unless it is inspected: an inspector is there to see every node
 * as an actor. The root always has an actor, and so does a remote node's proxy.
 *
 * Taking over: the leaf's parent spawns a node actor for it, as it spawns a revived child, and
 * that actor starts where the leaf is (state, reason, INIT budget) rather than DISCONNECTED. It
 * is then an ordinary child actor, stopped with its parent.
 */
import type { AnyActorRef } from 'xstate';
import {
  leafNodeContext,
  leafStateValue,
  type nodeMachine,
  type LeafSnapshot,
  type NodeEvent,
} from '../../machines/index.js';
import { TreeLifecycleError } from '../errors.js';
import type { Topology } from '../spec/treeSpec.js';
import { InlineLeaf } from './InlineLeaf.js';
import type { NodeEndpoint } from './NodeEndpoint.js';

/** The node statechart, as the runtime provides it. */
type NodeMachine = typeof nodeMachine;

/** The inline leaves of one tree. */
export class InlineLeaves {
  /** Leaves being taken over, by node id, until their node actor starts. */
  private readonly resuming = new Map<string, LeafSnapshot>();

  constructor(
    /** False under an inspector: every node gets an actor. */
    private readonly enabled: boolean,
    private readonly rootId: string,
    private readonly topology: Topology,
  ) {}

  /** Whether node `id` runs inline: a local leaf below the root, in an uninspected tree. */
  readonly has = (id: string): boolean => {
    if (!this.enabled || id === this.rootId) return false;
    const placement = this.topology.get(id);
    return placement !== undefined && placement.childIds.length === 0 && !placement.remote;
  };

  /** Starts `endpoint`'s node inline if it runs inline (where its parent would spawn it). */
  start(endpoint: NodeEndpoint): void {
    if (this.has(endpoint.nodeId)) InlineLeaf.start(endpoint);
  }

  /**
   * The node actors' logic: `machine`, except that a node taking over an inline leaf starts
   * where the leaf is, and is attached (`attach`) as its entry action would have attached it.
   */
  nodeLogic(
    machine: NodeMachine,
    attach: (nodeId: string, actor: AnyActorRef) => void,
  ): NodeMachine {
    const resuming = this.resuming;
    const logic = Object.create(machine) as NodeMachine;
    logic.getInitialSnapshot = (scope, input) => {
      const leaf = input && resuming.size > 0 ? resuming.get(input.shape.id) : undefined;
      if (input === undefined || leaf === undefined)
        return machine.getInitialSnapshot(scope, input);
      resuming.delete(input.shape.id);
      // Its parent starts it once the spawning step is over; nothing reaches it before.
      attach(input.shape.id, scope.self);
      return machine.resolveState({
        value: leafStateValue(leaf.step),
        context: leafNodeContext(input, leaf),
      });
    };
    return logic;
  }

  /**
   * Gives `endpoint`'s inline leaf a node actor, spawned by `parent`, before it gains a child.
   * Does nothing for a node that already has one.
   * @throws TreeLifecycleError if the leaf is shutting down
   */
  takeOver(endpoint: NodeEndpoint, parent: { send(event: NodeEvent): void }): void {
    const leaf = endpoint.mailbox;
    if (!(leaf instanceof InlineLeaf)) return;
    const { nodeId } = endpoint;
    const { snapshot } = leaf;
    if (snapshot.step !== 'idle' && snapshot.step !== 'active') {
      throw new TreeLifecycleError(
        `Cannot add a child to ${nodeId}: it is shutting down or shut down. Add the node elsewhere, or ` +
          `after ${nodeId} is revived.`,
      );
    }
    this.resuming.set(nodeId, snapshot);
    const critical = this.topology.get(nodeId)?.critical === true;
    // Its link is already counted: it joins as a revived child does.
    parent.send({ type: 'tree.spawnChild', shape: { id: nodeId, critical }, rejoin: true });
  }
}
