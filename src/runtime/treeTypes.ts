/**
 * The public types of a coordination tree: its options, the tree itself, and what its
 * methods return.
 */
import type { Observable } from 'rxjs';
import type { InspectionEvent, Observer } from 'xstate';
import type {
  CoordinationState,
  LinkState,
  ShutdownMode,
  SubtreeCounts,
} from '../../machines/index.js';
import type { CoordinationPolicy, ResolvedPolicy } from '../policy/policy.js';
import type { NodeSpec } from '../spec/treeSpec.js';
import type { Transport } from '../transport/Transport.js';
import type { CommandHandler, CommandOptions, CommandResult } from './commandTypes.js';
import type { TreeEvent } from './events.js';
import type { TreeEventOf, TreeEventType } from './EventStream.js';
import type { TreeClock } from './Timers.js';
import type { TreeStats } from './TreeKernel.js';

/** Options of `createCoordinationTree`. */
export interface CoordinationTreeOptions {
  /** The tree: the root and, recursively, its children. */
  readonly root: NodeSpec;
  /** Runs each command at each leaf. */
  readonly handler: CommandHandler;
  /** Timeouts, retry, degradation, restart budget, batching, concurrency; see {@link CoordinationPolicy}. */
  readonly policy?: CoordinationPolicy;
  /** The clock of every timer in the tree (XState's `clock`). Default: the system clock. */
  readonly clock?: TreeClock;
  /**
   * XState inspection observer, reaching every node and supervisor actor (Stately inspector).
   * With it, leaves run as actors too; without it, they run inline, with no actor of their own.
   */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** How nodes talk. Default: a new {@link InProcessTransport}. */
  readonly transport?: Transport;
  /** Random source for retry jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Runs a conformance monitor over the tree's events: a breach of the protocol (a transition
   * outside the table, a command before READY, a message after shutdown, a handler run twice)
   * appears on `events$` as a `violation` event. Costs building every event. Default false.
   */
  readonly monitor?: boolean;
  /**
   * Hosts this tree as a subtree of a tree in another process: `root` answers the node with
   * this id, reached through `transport` (a {@link NatsTransport} under a `ReliableTransport`),
   * instead of the API. `start()` then waits for that parent's INIT; commands and shutdown come
   * from it, and the tree shuts down when it is told to (see {@link CoordinationTree.done}).
   * Default: none (this process runs the root).
   */
  readonly parent?: string;
}

/** One node as {@link CoordinationTree.snapshot} shows it. */
export interface NodeSnapshot {
  readonly id: string;
  readonly parentId: string | null;
  readonly state: CoordinationState;
  /** Why it is in that state. */
  readonly reason: string;
  /** False while killed. */
  readonly alive: boolean;
  /** Its children's links as it sees them. */
  readonly links: Readonly<Record<string, LinkState>>;
  /** Its subtree by state, from its children's last reports. */
  readonly subtree: SubtreeCounts;
}

/** Every node's state and its children's link states. */
export interface TreeSnapshot {
  readonly rootId: string;
  /** Clock time of the snapshot, ms. */
  readonly at: number;
  readonly nodes: Readonly<Record<string, NodeSnapshot>>;
}

/** What {@link CoordinationTree.recover} achieved. */
export interface RecoveryResult {
  readonly nodeId: string;
  readonly state: CoordinationState;
  /** Children that were re-initialised. */
  readonly restarted: readonly string[];
  /** Children still unavailable afterwards. */
  readonly unavailable: readonly string[];
}

/** What {@link CoordinationTree.shutdown} achieved. */
export interface ShutdownResult {
  readonly mode: ShutdownMode;
  /** Children that missed the deadline and were force-stopped (at the root's level). */
  readonly forced: number;
  /** False if the root itself did not answer in time. */
  readonly graceful: boolean;
  /**
   * For a hosted tree shut down other than by `shutdown()`: by its parent's SHUTDOWN, or after
   * its parent was silent for `policy.timeouts.heartbeatMs` (`parent-lost`: it crashed or is cut
   * off; the subtree was aborted so that a restarted parent can initialise a fresh one).
   */
  readonly by?: 'parent' | 'parent-lost';
}

/** Options of {@link CoordinationTree.shutdown}. */
export interface ShutdownOptions {
  /** `drain` (default) lets in-flight commands finish; `abort` cancels them. */
  readonly mode?: ShutdownMode;
  /** Deadline, ms; past it stragglers are force-stopped. Default `policy.timeouts.shutdownMs` (10 000, more for a large tree). */
  readonly timeoutMs?: number;
}

/** Where a tree is in its own life. */
export type TreeStatus = 'created' | 'starting' | 'running' | 'shuttingDown' | 'shutDown';

/** A running coordination tree. */
export interface CoordinationTree {
  /**
   * Starts every node; resolves with the root's state once it settles. A hosted subtree
   * (`parent`) resolves once its parent has initialised it, with no deadline of its own.
   * @throws CoordinationFailedError if the root ends FAILED
   */
  start(): Promise<'SYNCHRONIZED' | 'DEGRADED'>;
  /** A node's coordination state (DISCONNECTED while killed). @throws UnknownNodeError */
  stateOf(nodeId: string): CoordinationState;
  /** Every node's state and link states. */
  snapshot(): TreeSnapshot;
  /**
   * Every event: transitions, decisions, links, command progress, protocol messages, drops.
   * While it has a subscriber, every envelope sent builds a `message` event.
   */
  readonly events$: Observable<TreeEvent>;
  /**
   * Only the events of the given types, e.g. `tree.eventsOf('transition', 'link')`. Events of
   * other types are not built for it: watching links or transitions costs nothing per envelope.
   * @throws TypeError for no type, or one that is not a {@link TreeEventType}
   */
  eventsOf<T extends TreeEventType>(...types: [T, ...T[]]): Observable<TreeEventOf<T>>;
  /** Runs a command on every available leaf; always resolves with an aggregate. */
  command(name: string, payload?: unknown, options?: CommandOptions): Promise<CommandResult>;
  /** Simulates a crash: the node (and the subtree it hosts) stops answering. */
  kill(nodeId: string): void;
  /** Brings a killed node back fresh; its parent re-initialises it on its next recovery round. */
  revive(nodeId: string): void;
  /** Manual recovery: re-INIT a node's unavailable children now (fresh restart budget), or the node itself if it is down. */
  recover(nodeId: string): Promise<RecoveryResult>;
  /** A child joins at run time: INIT, then counted. Resolves with its link state once settled. */
  addNode(parentId: string, spec: NodeSpec): Promise<LinkState>;
  /** A child leaves gracefully: SHUTDOWN (drain), then uncounted. */
  removeNode(nodeId: string): Promise<void>;
  /** Graceful shutdown, children first; afterwards nothing of the tree runs. */
  shutdown(options?: ShutdownOptions): Promise<ShutdownResult>;
  /** Where the tree is in its life. */
  readonly status: TreeStatus;
  /** Message counters. */
  readonly stats: Readonly<TreeStats>;
  /** The resolved policy (defaults applied). */
  readonly policy: ResolvedPolicy;
  /**
   * Settles once the tree has shut down: by {@link CoordinationTree.shutdown}, or, for a hosted
   * subtree (`parent`), by its parent's SHUTDOWN.
   */
  readonly done: Promise<ShutdownResult>;
}
