/**
 * The Parent↔Child Coordination Protocol vocabulary: coordination states, the transition
 * table, message kinds and the envelope every node-to-node message travels in.
 *
 * Pure data and types: imported by the statecharts, the runtime and the transports alike.
 */

/** A node's coordination state toward its children (the specification's names). */
export type CoordinationState =
  'DISCONNECTED' | 'CONNECTING' | 'SYNCHRONIZED' | 'DEGRADED' | 'FAILED';

/** Every coordination state, in lifecycle order. */
export const COORDINATION_STATES: readonly CoordinationState[] = [
  'DISCONNECTED',
  'CONNECTING',
  'SYNCHRONIZED',
  'DEGRADED',
  'FAILED',
];

/**
 * The allowed transitions: the specification's eight plus the two graceful-shutdown edges.
 * Any other transition is a bug.
 */
export const ALLOWED_TRANSITIONS: readonly (readonly [CoordinationState, CoordinationState])[] = [
  ['DISCONNECTED', 'CONNECTING'],
  ['CONNECTING', 'SYNCHRONIZED'],
  ['CONNECTING', 'FAILED'],
  ['SYNCHRONIZED', 'DEGRADED'],
  ['SYNCHRONIZED', 'FAILED'],
  ['DEGRADED', 'SYNCHRONIZED'],
  ['DEGRADED', 'FAILED'],
  ['FAILED', 'DISCONNECTED'],
  ['SYNCHRONIZED', 'DISCONNECTED'],
  ['DEGRADED', 'DISCONNECTED'],
];

const allowed = new Set(ALLOWED_TRANSITIONS.map(([from, to]) => `${from}>${to}`));

/** Whether `from → to` is in the transition table. */
export function isAllowedTransition(from: CoordinationState, to: CoordinationState): boolean {
  return allowed.has(`${from}>${to}`);
}

/** Whether a child in this state can take commands (DEGRADED is available but impaired). */
export function isAvailableState(state: CoordinationState): boolean {
  return state === 'SYNCHRONIZED' || state === 'DEGRADED';
}

/** Parent → child message kinds. */
export type ParentMessageKind =
  'COORD_INIT' | 'COORD_COMMAND' | 'COORD_SYNC' | 'COORD_HEARTBEAT' | 'COORD_SHUTDOWN';

/** Child → parent message kinds. */
export type ChildMessageKind =
  'COORD_ACK' | 'COORD_STATUS' | 'COORD_ERROR' | 'COORD_READY' | 'COORD_COMPLETE';

/** The ten message kinds of the specification. */
export type MessageKind = ParentMessageKind | ChildMessageKind;

/** Every message kind. */
export const MESSAGE_KINDS: readonly MessageKind[] = [
  'COORD_INIT',
  'COORD_COMMAND',
  'COORD_SYNC',
  'COORD_HEARTBEAT',
  'COORD_SHUTDOWN',
  'COORD_ACK',
  'COORD_STATUS',
  'COORD_ERROR',
  'COORD_READY',
  'COORD_COMPLETE',
];

/** Health of a subtree, rolled up from the leaves: node counts by coordination state. */
export interface SubtreeCounts {
  /** Nodes in the subtree, its root included. */
  readonly nodes: number;
  /** Leaves in the subtree (the nodes that execute commands). */
  readonly leaves: number;
  /** Nodes per coordination state; `unreachable` counts nodes behind a silent link. */
  readonly byState: Readonly<Record<CoordinationState | 'unreachable', number>>;
}

/** One command as it travels down the tree. */
export interface CommandSpec {
  readonly commandId: string;
  readonly name: string;
  readonly payload: unknown;
  /** Time budget left for this command when it was sent, in ms. */
  readonly timeoutMs: number;
}

/** What happened to a command at one node (a leaf, or the root of a subtree that was not reached). */
export type Outcome =
  | { readonly status: 'completed'; readonly result?: unknown }
  | {
      readonly status: 'failed';
      readonly error: { readonly code: string; readonly message: string };
    }
  | { readonly status: 'skipped'; readonly reason: string; readonly leaves: number }
  | { readonly status: 'timedOut'; readonly leaves: number };

/** Leaf counts of an aggregated command result. */
export interface OutcomeCounts {
  completed: number;
  failed: number;
  skipped: number;
  timedOut: number;
}

/** Aggregated status: every leaf completed, some did, or none did. */
export type CommandStatus = 'completed' | 'partial' | 'failed';

/** Shutdown mode: `drain` lets in-flight commands finish, `abort` cancels them. */
export type ShutdownMode = 'drain' | 'abort';

/** Message bodies by kind. */
export interface MessageBodies {
  COORD_INIT: { readonly timeoutMs: number };
  COORD_COMMAND: { readonly commands: readonly CommandSpec[] };
  /** Asks a child for its full status, and for where it is with the commands listed. */
  COORD_SYNC: { readonly commandIds: readonly string[] };
  COORD_HEARTBEAT: Record<string, never>;
  COORD_SHUTDOWN: { readonly mode: ShutdownMode; readonly timeoutMs: number };
  COORD_ACK: { readonly ackOf: string };
  COORD_STATUS: {
    readonly state: CoordinationState;
    readonly subtree: SubtreeCounts;
    /** In answer to a COORD_SYNC: where the child is with each command the parent asked about. */
    readonly sync?: SyncReport;
  };
  COORD_ERROR: {
    /** `command`: the command failed, the node is healthy. `node`: the node itself failed. */
    readonly scope: 'command' | 'node';
    readonly code: string;
    readonly message: string;
    readonly retriable: boolean;
    readonly commandId?: string;
    /**
     * With `scope: 'node'` and a `commandId`: the leaves of the refusing node's subtree, which
     * the command skipped (its own count is fresher than any its parent cached).
     */
    readonly leaves?: number;
  };
  COORD_READY: {
    readonly state: CoordinationState;
    readonly subtree: SubtreeCounts;
    /** The node's incarnation: new each time it starts fresh. */
    readonly incarnation: string;
  };
  COORD_COMPLETE:
    | {
        readonly of: 'command';
        readonly commandId: string;
        readonly counts: OutcomeCounts;
        readonly outcomes: readonly (readonly [string, Outcome])[];
      }
    | { readonly of: 'shutdown'; readonly forced: number };
}

/** A command's final answer, as a node sent it (or would send it again). */
export type CommandReply =
  | { readonly kind: 'COORD_COMPLETE'; readonly body: MessageBodies['COORD_COMPLETE'] }
  | { readonly kind: 'COORD_ERROR'; readonly body: MessageBodies['COORD_ERROR'] };

/**
 * A child's answer to COORD_SYNC about the commands its parent awaits: those it finished (with
 * the answer, while it still keeps it), those it still runs or has queued, and those that never
 * reached it.
 */
export interface SyncReport {
  /** The child's incarnation: a restarted node has a new one (and remembers nothing older). */
  readonly incarnation: string;
  readonly finished: readonly { readonly commandId: string; readonly reply?: CommandReply }[];
  readonly running: readonly string[];
  readonly missing: readonly string[];
}

/**
 * The reliable-delivery header, set by a reliable transport: each direction of a link is a
 * stream of numbered envelopes per session and epoch.
 */
export interface LinkHeader {
  /** The sender's stream id (new for each session and epoch, and after a link was given up). */
  readonly stream: string;
  /** Position in the stream, from 1; 0 for a bare acknowledgement, which is never delivered. */
  readonly seq: number;
  /** Lowest position the sender still awaits an acknowledgement for (everything below arrived). */
  readonly base: number;
  /**
   * Cumulative acknowledgement of the receiver's stream: everything up to `upTo` arrived. With
   * `reset`, the receiver refuses the stream instead (it never saw its start: it restarted, or
   * forgot it), and the sender gives it up.
   */
  readonly ack?: { readonly stream: string; readonly upTo: number; readonly reset?: true };
}

/** Protocol version carried in every envelope. */
export const PROTOCOL_VERSION = 1;

/**
 * The one envelope every node-to-node message travels in. `session` and `epoch` come from the
 * COORD_INIT that opened the link's session; messages of an older session or epoch are fenced.
 */
export interface Envelope<K extends MessageKind = MessageKind> {
  readonly v: typeof PROTOCOL_VERSION;
  readonly kind: K;
  /** Unique message id. */
  readonly id: string;
  readonly session: string;
  readonly epoch: number;
  readonly from: string;
  readonly to: string;
  /** Per-sender sequence number. */
  readonly seq: number;
  /** Sender's clock when sent, in ms. */
  readonly sentAt: number;
  readonly body: MessageBodies[K];
  /** Set by a reliable transport on the way; absent on an unreliable link. */
  readonly link?: LinkHeader;
}

/** Any envelope, discriminated by `kind`. */
export type AnyEnvelope = { [K in MessageKind]: Envelope<K> }[MessageKind];
