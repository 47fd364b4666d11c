/**
 * What `tree.events$` carries: one tagged union, every member with the node it concerns and
 * the clock time (`at`, ms) it happened.
 */
import type {
  AnyEnvelope,
  CoordinationState,
  Decision,
  LinkCounts,
  LinkState,
  CommandStatus,
} from '../../machines/index.js';
import type { ViolationEvent } from '../conformance/ConformanceMonitor.js';
import type { TransportEvent } from '../transport/Transport.js';

/** Why an envelope was dropped instead of acted on. */
export type DropReason =
  'stale-session' | 'stale-epoch' | 'unknown-sender' | 'node-down' | 'undeliverable' | 'duplicate';

/** A node changed coordination state. `from → to` is always in the transition table. */
export interface TransitionEvent {
  readonly type: 'transition';
  readonly nodeId: string;
  readonly from: CoordinationState;
  readonly to: CoordinationState;
  readonly reason: string;
  readonly at: number;
}

/** A supervisor's decision changed. */
export interface DecisionEvent {
  readonly type: 'decision';
  readonly nodeId: string;
  readonly decision: Decision;
  readonly counts: LinkCounts;
  readonly at: number;
}

/** A parent's view of a child link changed (`null`: added or removed). */
export interface LinkEvent {
  readonly type: 'link';
  readonly nodeId: string;
  readonly childId: string;
  readonly from: LinkState | null;
  readonly to: LinkState | null;
  readonly at: number;
}

/** Progress of a command at one node. */
export interface CommandEvent {
  readonly type: 'command';
  /**
   * `duplicate`: a command already finished arrived again, too late to repeat its answer.
   * `reconciled`: a child's answer lost to a partition was recovered by COORD_SYNC.
   */
  readonly phase:
    'issued' | 'received' | 'executed' | 'replied' | 'finished' | 'duplicate' | 'reconciled';
  readonly nodeId: string;
  readonly commandId: string;
  readonly name: string;
  /** For `executed`: the handler's outcome; for `finished`: the aggregated status. */
  readonly status?: CommandStatus | 'completed' | 'failed' | 'timedOut';
  readonly at: number;
}

/** A protocol message was sent. */
export interface MessageEvent {
  readonly type: 'message';
  readonly envelope: AnyEnvelope;
  readonly at: number;
}

/** A message was dropped (fenced, duplicate, or its target is down). */
export interface DroppedEvent {
  readonly type: 'dropped';
  readonly nodeId: string;
  readonly reason: DropReason;
  readonly envelope: AnyEnvelope;
  readonly at: number;
}

/** The runtime changed the tree: a node was killed, revived, added or removed. */
export interface NodeLifecycleEvent {
  readonly type: 'node';
  readonly nodeId: string;
  /** `parent-lost`: a hosted tree's root heard nothing from its remote parent for `timeouts.heartbeatMs`. */
  readonly change: 'killed' | 'revived' | 'added' | 'removed' | 'parent-lost';
  readonly at: number;
}

/** Everything on `tree.events$`. */
export type TreeEvent =
  | TransitionEvent
  | DecisionEvent
  | LinkEvent
  | CommandEvent
  | MessageEvent
  | DroppedEvent
  | NodeLifecycleEvent
  | TransportEvent
  | ViolationEvent;
