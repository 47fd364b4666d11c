/**
 * Reading a statechart's structure and snapshots for property tests: which state nodes a
 * definition declares, which ones a snapshot is in, and tallies of table transitions.
 */
import type { AnyStateMachine, StateValue } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import {
  ALLOWED_TRANSITIONS,
  COORDINATION_STATES,
  type CoordinationState,
} from '../../../machines/index.js';

/** Every state node id the definition declares (`node.DEGRADED.backoff`), its root included. */
export function declaredStateIds(machine: AnyStateMachine): Set<string> {
  return new Set([machine.root.id, ...getStateNodes(machine.root).map((node) => node.id)]);
}

/** The ids of the state nodes a snapshot's `value` is in, from the root down (`node`, `node.FAILED`). */
export function activeStateIds(rootId: string, value: StateValue): string[] {
  const ids = [rootId];
  const walk = (prefix: string, current: StateValue): void => {
    if (typeof current === 'string') {
      ids.push(`${prefix}.${current}`);
      return;
    }
    for (const [key, child] of Object.entries(current)) {
      ids.push(`${prefix}.${key}`);
      if (child !== undefined) walk(`${prefix}.${key}`, child);
    }
  };
  walk(rootId, value);
  return ids;
}

/** The top-level coordination state of a node snapshot's `value`. */
export function coordinationStateOf(value: StateValue): CoordinationState {
  const key = typeof value === 'string' ? value : Object.keys(value)[0];
  const state = COORDINATION_STATES.find((candidate) => candidate === key);
  if (state === undefined) throw new Error(`not a coordination state: ${JSON.stringify(value)}`);
  return state;
}

/** `FROM→TO`, the key of one transition. */
export function edgeKey(from: CoordinationState, to: CoordinationState): string {
  return `${from}→${to}`;
}

/** The keys of the ten table transitions, in table order. */
export const TABLE_EDGES: readonly string[] = ALLOWED_TRANSITIONS.map(([from, to]) =>
  edgeKey(from, to),
);

/** A tally per table transition (and per off-table transition, should one ever be seen). */
export class EdgeTally {
  private readonly counts = new Map<string, number>(TABLE_EDGES.map((edge) => [edge, 0]));

  /** Counts one occurrence of `from → to`. */
  add(from: CoordinationState, to: CoordinationState, times = 1): void {
    const key = edgeKey(from, to);
    this.counts.set(key, (this.counts.get(key) ?? 0) + times);
  }

  /** How often `key` was counted. */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** The table edges never counted. */
  missing(): string[] {
    return TABLE_EDGES.filter((edge) => this.get(edge) === 0);
  }

  /** One line: `DISCONNECTED→CONNECTING=12 CONNECTING→SYNCHRONIZED=7 …`. */
  format(): string {
    return [...this.counts].map(([edge, count]) => `${edge}=${count}`).join(' ');
  }
}
