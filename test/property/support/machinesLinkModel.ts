/**
 * A reference model of one coordinator's child links: the supervisor's counts computed by a
 * plain scan (not by `applyLinkChange`), and its restart budget kept step by step.
 */
import {
  COORDINATION_STATES,
  EMPTY_COUNTS,
  type LinkCounts,
  type LinkState,
  type RestartBudget,
} from '../../../machines/index.js';

/** Every state a link can be in. */
export const LINK_STATES: readonly LinkState[] = ['pending', ...COORDINATION_STATES, 'unreachable'];

/** One child link as the reference model keeps it. */
export interface ModelLink {
  readonly state: LinkState;
  readonly critical: boolean;
}

/** The counts of a set of links, by scanning them. */
export function scanCounts(links: Iterable<ModelLink>): LinkCounts {
  const counts: { -readonly [K in keyof LinkCounts]: number } = { ...EMPTY_COUNTS };
  for (const { state, critical } of links) {
    counts.total += 1;
    if (state === 'pending') counts.pending += 1;
    else if (state === 'SYNCHRONIZED' || state === 'DEGRADED') counts.available += 1;
    else {
      counts.unavailable += 1;
      if (critical) counts.criticalUnavailable += 1;
    }
    if (state === 'DEGRADED') counts.degraded += 1;
  }
  return counts;
}

/** A restart window expiry the supervisor scheduled, due at `due` ms on the model's clock. */
interface Expiry {
  readonly generation: number;
  readonly due: number;
}

/**
 * The restart budget as the supervisor should keep it: at most `maxRestarts` grants within a
 * window; one request past it exhausts the budget until a reset.
 */
export class BudgetModel {
  restarts = 0;
  generation = 0;
  exhausted = false;
  grants = 0;
  private now = 0;
  private expiries: Expiry[] = [];

  constructor(private readonly budget: RestartBudget) {}

  /** A `restart.request`: granted (and an expiry scheduled) while budget is left. */
  request(): void {
    if (this.restarts < this.budget.maxRestarts) {
      this.restarts += 1;
      this.grants += 1;
      this.expiries.push({ generation: this.generation, due: this.now + this.budget.windowMs });
    } else {
      this.exhausted = true;
    }
  }

  /** A `budget.reset` or `links.reset`: a fresh window; older expiries no longer count. */
  reset(): void {
    this.restarts = 0;
    this.generation += 1;
    this.exhausted = false;
  }

  /** Whether an expiry is pending. */
  hasExpiry(): boolean {
    return this.expiries.length > 0;
  }

  /** Lets the earliest pending expiry fire and returns its generation. */
  expire(): number {
    const next = this.expiries.reduce((a, b) => (b.due < a.due ? b : a));
    this.expiries = this.expiries.filter((expiry) => expiry !== next);
    this.now = next.due;
    if (next.generation === this.generation) this.restarts = Math.max(0, this.restarts - 1);
    return next.generation;
  }
}
