/**
 * The node statechart's vocabulary: what a node is created with, the events it accepts, its
 * context, and the pure delay arithmetic its named delays use.
 */
import type { AnyActorRef } from 'xstate';
import type { CoordinationState, ShutdownMode } from './protocol.js';
import type { Decision, DegradationPolicy } from './supervision.js';
import type { RestartBudget, SupervisorReport } from './supervisor.machine.js';

/** The part of a node's tree spec the statechart needs: its id, criticality and subtree. */
export interface NodeShape {
  readonly id: string;
  readonly critical?: boolean;
  readonly children?: readonly NodeShape[];
  /** The node runs elsewhere: its parent spawns a proxy (`remote`) for it, not a node. */
  readonly remote?: boolean;
  /**
   * A leaf the runtime runs without an actor of its own (see `leafTransition`): its parent
   * counts it but spawns nothing for it.
   */
  readonly inline?: boolean;
}

/** Policy values the statechart reads (resolved, with defaults applied, by `src/`). */
export interface NodeMachinePolicy {
  readonly degradation: DegradationPolicy;
  readonly restartBudget: RestartBudget;
  /** Init budget of a node without a parent budget, in ms. */
  readonly initTimeoutMs: number;
  /** How long an INIT may go unacknowledged before it is resent, in ms (the first INIT round's delay). */
  readonly ackTimeoutMs: number;
  /** Base delay between recovery rounds, in ms. */
  readonly retryInitialDelayMs: number;
  readonly retryFactor: number;
  readonly retryMaxDelayMs: number;
}

/** What a node actor is created with. */
export interface NodeInput {
  readonly shape: NodeShape;
  readonly parentId: string;
  readonly policy: NodeMachinePolicy;
}

/** Events a node accepts. `parent.*` come from its parent, `tree.*` from the runtime. */
export type NodeEvent =
  | { readonly type: 'parent.init'; readonly epoch: number; readonly timeoutMs: number }
  | { readonly type: 'parent.shutdown'; readonly mode: ShutdownMode; readonly timeoutMs: number }
  | { readonly type: 'shutdown.done' }
  | { readonly type: 'tree.spawnChild'; readonly shape: NodeShape; readonly rejoin: boolean }
  | { readonly type: 'tree.stopChild'; readonly childId: string; readonly forget: boolean }
  | SupervisorReport;

/** A node's context. Children are actor refs; the spec itself is not kept. */
export interface NodeContext {
  readonly nodeId: string;
  readonly parentId: string;
  readonly policy: NodeMachinePolicy;
  readonly children: Readonly<Record<string, AnyActorRef>>;
  readonly childCount: number;
  readonly supervisor: AnyActorRef | null;
  /** The supervisor's latest decision. */
  readonly decision: Decision;
  /** Why the node is in its current state, in words. */
  readonly reason: string;
  /** Budget of the INIT that opened the current CONNECTING, in ms. */
  readonly initBudgetMs: number;
  readonly initAttempt: number;
  readonly recoveryAttempt: number;
  /** A shutdown asked for by the parent, if any. */
  readonly shutdown: { readonly mode: ShutdownMode; readonly timeoutMs: number } | null;
  /** An INIT that arrived while FAILED, to act on once cleaned up. */
  readonly initPending: boolean;
}

export type AnnounceParams = { readonly state: CoordinationState };

/** Exponential backoff without jitter, in ms (`src/` adds jitter). */
export function backoffDelay(policy: NodeMachinePolicy, attempt: number): number {
  const raw = policy.retryInitialDelayMs * policy.retryFactor ** attempt;
  return Math.min(policy.retryMaxDelayMs, raw);
}

/**
 * Delay before the next INIT round: an INIT is unanswered only once it has gone unacknowledged
 * for the ack timeout, then rounds back off exponentially. In ms, without jitter.
 */
export function initRetryDelay(policy: NodeMachinePolicy, attempt: number): number {
  const raw = policy.ackTimeoutMs * policy.retryFactor ** attempt;
  return Math.min(Math.max(policy.retryMaxDelayMs, policy.ackTimeoutMs), raw);
}
