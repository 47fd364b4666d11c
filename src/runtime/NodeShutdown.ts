/**
 * A node's graceful shutdown, once its statechart began it: SHUTDOWN to every child that can
 * answer, then wait for their COMPLETE and for the node's own work; tell the statechart once
 * all is done. Stragglers past the deadline are counted as force-stopped.
 */
import type { MessageBodies, MessageKind, ShutdownMode } from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import type { Link } from './Link.js';

/** What the shutdown needs from its node. */
export interface ShutdownHost {
  readonly links: ReadonlyMap<string, Link>;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  /** A suspected child is not waited for: what it owes is settled. */
  giveUpOn(link: Link): void;
  /** No command runs or waits at the node. */
  idle(): boolean;
  /** Everything is done: the statechart may stop the node. */
  done(): void;
}

/** One node's shutdown in progress. */
export class NodeShutdown {
  /** Children whose COMPLETE is awaited. */
  private readonly pending = new Set<string>();
  private signalled = false;
  /** Stragglers force-stopped, here and below. */
  private forcedCount = 0;

  constructor(private readonly host: ShutdownHost) {}

  /** Children that missed the deadline, here and below. */
  get forced(): number {
    return this.forcedCount;
  }

  /** SHUTDOWN to every child that can answer, with 90 % of the node's budget. */
  begin(mode: ShutdownMode, timeoutMs: number): void {
    const budget = childBudget(timeoutMs);
    for (const link of this.host.links.values()) {
      if (link.state === 'unreachable') this.host.giveUpOn(link);
      if (link.state === 'unreachable' || link.removal) continue;
      this.pending.add(link.childId);
      this.host.sendToChild(link, 'COORD_SHUTDOWN', { mode, timeoutMs: budget });
    }
    this.check();
  }

  /** A child completed its shutdown, with `forcedBelow` stragglers of its own. */
  childCompleted(childId: string, forcedBelow: number): void {
    if (!this.pending.delete(childId)) return;
    this.forcedCount += forcedBelow;
    this.check();
  }

  /** A child will never answer (gone, suspected, restarted fresh): stop waiting for it. */
  childGone(childId: string): void {
    if (this.pending.delete(childId)) this.check();
  }

  /** Tells the node once children and work are done. */
  check(): void {
    if (this.signalled || this.pending.size > 0 || !this.host.idle()) return;
    this.signalled = true;
    this.host.done();
  }

  /** The deadline passed: whoever is still awaited is force-stopped with the node. */
  force(): void {
    this.forcedCount += this.pending.size;
    this.pending.clear();
    this.signalled = true;
  }
}
