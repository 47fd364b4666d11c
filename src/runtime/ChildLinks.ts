/**
 * A coordinator's view of its children: one link per child with the state it last reported
 * (or `pending`, or `unreachable`), the epoch of its session, its subtree's roll-up counts
 * (summed incrementally), and the INITs, joins and removals in flight on it. A link is a
 * record of its own (`Link.ts`).
 */
import {
  isAvailableState,
  type CoordinationState,
  type LinkCounts,
  type LinkState,
  type MessageBodies,
  type MessageKind,
  type SubtreeCounts,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import {
  addCounts,
  emptySubtree,
  leafReport,
  sameCounts,
  type NodeReport,
  type MutableSubtree,
} from './subtreeCounts.js';
import { SubtreeReport } from './SubtreeReport.js';
import { newLink, type ChildSeed, type Link } from './Link.js';
import type { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** What the links need from their node. */
export interface ChildLinksHost {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  /** The node coordinates (available, not shutting down): it may INIT children. */
  coordinating(): boolean;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  /** A link changed state, was added (`from` null) or removed (`to` null). */
  linkChanged(link: Link, from: LinkState | null, to: LinkState | null): void;
  /** All links were reset to pending for a new CONNECTING. */
  linksReset(counts: LinkCounts): void;
  /** The children's roll-up changed. */
  subtreeChanged(): void;
  /** The commands the node awaits from a child (asked about in a COORD_SYNC). */
  awaitedFrom(childId: string): string[];
}

/** What a node without children has: no links, and nothing in its children's counts. */
const NO_LINKS: ReadonlyMap<string, Link> = new Map();
const NO_CHILDREN: Readonly<MutableSubtree> = Object.freeze({
  ...emptySubtree(),
  byState: Object.freeze(emptySubtree().byState),
});

/** The links of one coordinator. */
export class ChildLinks {
  /** Built on the first link: a leaf has none. */
  private linksImpl: Map<string, Link> | null = null;
  /** Sum of the children's contributions to the node's subtree counts (built with the links). */
  private sumImpl: MutableSubtree | null = null;
  private sumVersion = 0;
  /** A coordinator's cached reports, built on first use. */
  private reportImpl: SubtreeReport | null = null;
  private connectStartedAt = 0;
  private connectBudgetMs = 0;

  constructor(
    private readonly host: ChildLinksHost,
    seeds: readonly ChildSeed[],
  ) {
    for (const seed of seeds) this.add(this.newLink(seed));
  }

  /** The links by child id. */
  get links(): ReadonlyMap<string, Link> {
    return this.linksImpl ?? NO_LINKS;
  }

  get size(): number {
    return this.linksImpl === null ? 0 : this.linksImpl.size;
  }

  get(childId: string): Link | undefined {
    return this.linksImpl?.get(childId);
  }

  /** The children's part of the node's subtree counts. */
  get childSum(): Readonly<MutableSubtree> {
    return this.sumImpl ?? NO_CHILDREN;
  }

  /** Changes whenever {@link childSum} may have changed. */
  get childSumVersion(): number {
    return this.sumVersion;
  }

  /**
   * What the node reports of its subtree in `state`, in a heartbeat answer's shape: the same
   * object while nothing changed (a childless node's is shared by all of them).
   */
  report(state: CoordinationState): NodeReport {
    if (this.size === 0) return leafReport(state);
    return (this.reportImpl ??= new SubtreeReport(this)).in(state);
  }

  /**
   * Changes a link's state (and the subtree it reported), keeping the counts; tells the node
   * when the state changed.
   */
  set(link: Link, to: LinkState, subtree: SubtreeCounts = link.subtree): void {
    const from = link.state;
    this.account(link, -1);
    link.state = to;
    link.subtree = subtree;
    this.account(link, 1);
    this.host.subtreeChanged();
    if (from !== to) this.host.linkChanged(link, from, to);
  }

  /**
   * A child reported READY or STATUS. Most reports (heartbeat answers) repeat what the link
   * holds: those change no count and tell nobody.
   */
  reported(link: Link, state: CoordinationState, subtree: SubtreeCounts): void {
    if (link.initTimer !== null) {
      this.host.timers.clear(link.initTimer);
      link.initTimer = null;
    }
    if (state === link.state && sameCounts(subtree, link.subtree)) return;
    this.set(link, state, subtree);
  }

  /** The child reported its incarnation: a new one means it restarted (since now). */
  incarnationSeen(link: Link, incarnation: string): void {
    if (incarnation === link.incarnation) return;
    link.incarnation = incarnation;
    link.joinedAt = this.host.kernel.now();
  }

  /** A child acknowledged an envelope; true if it was the link's INIT. */
  acknowledged(link: Link, envelopeId: string): boolean {
    if (envelopeId !== link.initId) return false;
    link.initAcked = true;
    return true;
  }

  /** The child's INIT was dropped before it took it: the next INIT round sends it again. */
  initDropped(childId: string, envelopeId: string): void {
    const link = this.get(childId);
    if (link && link.initId === envelopeId && !link.initAcked) link.initDueAt = 0;
  }

  /** The child answered its INIT with a retriable error: the next INIT round sends it again. */
  initRefused(link: Link): void {
    link.initAcked = false;
    link.initDueAt = 0;
  }

  /** A new CONNECTING: every link pending, in a new epoch. */
  reset(initBudgetMs: number): void {
    this.connectStartedAt = this.host.kernel.now();
    this.connectBudgetMs = initBudgetMs;
    // A node that never had a child has no supervisor to tell.
    if (this.linksImpl === null) return;
    for (const link of this.linksImpl.values()) {
      const from = link.state;
      link.epoch++;
      this.account(link, -1);
      link.state = 'pending';
      this.account(link, 1);
      link.initId = null;
      link.initAcked = false;
      link.initDueAt = 0;
      this.host.timers.clear(link.initTimer);
      link.initTimer = null;
      if (from !== 'pending') this.host.linkChanged(link, from, 'pending');
    }
    const total = this.links.size;
    this.host.linksReset({
      total,
      pending: total,
      available: 0,
      degraded: 0,
      unavailable: 0,
      criticalUnavailable: 0,
    });
  }

  /**
   * One INIT round of CONNECTING, within what is left of the budget: INIT again to every child
   * not ready that did not acknowledge its INIT, answered it with a retriable error, or is past
   * the budget that INIT gave it (its answer was lost). A child still bringing its subtree up
   * within its budget is left alone. On a lossless transport an unacknowledged INIT is awaited
   * like an acknowledged one unless reported dropped: its answer is slow because the queue is
   * long, and resending would lengthen the queue (each resend costs an ACK and a READY too).
   */
  initRound(): void {
    const kernel = this.host.kernel;
    const now = kernel.now();
    const timeoutMs = childBudget(this.connectBudgetMs - (now - this.connectStartedAt));
    const awaitUnacknowledged = kernel.lossless;
    for (const link of this.links.values()) {
      if (isAvailableState(link.state as CoordinationState)) continue;
      if (now < link.initDueAt && (link.initAcked || awaitUnacknowledged)) continue;
      this.sendInit(link, timeoutMs);
    }
  }

  /**
   * A recovery round. Automatic rounds (`resync`) ask a suspected (unreachable) child to SYNC,
   * since it may be alive behind a partition with work in flight; every other unavailable child,
   * and every one in a manual round, is re-INITed in a new epoch. Returns the children re-INITed
   * or asked.
   */
  restartUnavailable(resync: boolean): string[] {
    const timeoutMs = childBudget(this.host.kernel.policy.timeouts.initMs);
    const restarted: string[] = [];
    for (const link of this.links.values()) {
      // A joining child has its own INIT deadline (added); it is not restarted.
      if (isAvailableState(link.state as CoordinationState) || link.state === 'pending') continue;
      restarted.push(link.childId);
      if (resync && link.state === 'unreachable') {
        this.probe(link);
        continue;
      }
      link.epoch++;
      this.sendInit(link, timeoutMs);
    }
    return restarted;
  }

  /**
   * Asks a suspected child where it is: a SYNC in its current epoch, or, if the INIT that opened
   * that epoch was never acknowledged, that INIT again (the child is still in the older epoch,
   * where a SYNC of the new one would be fenced).
   */
  probe(link: Link): void {
    if (link.initId !== null && !link.initAcked) {
      this.sendInit(link, childBudget(this.host.kernel.policy.timeouts.initMs));
      return;
    }
    this.host.sendToChild(link, 'COORD_SYNC', { commandIds: this.host.awaitedFrom(link.childId) });
  }

  /** Re-INIT one child; only a coordinating node can (it needs a session to hand down). */
  reinit(childId: string): boolean {
    const link = this.links.get(childId);
    if (!link || !this.host.coordinating()) return false;
    link.epoch++;
    this.sendInit(link, childBudget(this.host.kernel.policy.timeouts.initMs));
    return true;
  }

  /** A child joins at run time: pending, then INIT with a deadline if the node coordinates. */
  joined(seed: ChildSeed): Link {
    const link = this.newLink(seed);
    this.add(link);
    this.host.linkChanged(link, null, 'pending');
    if (!this.host.coordinating()) return link;
    const initMs = this.host.kernel.policy.timeouts.initMs;
    this.sendInit(link, childBudget(initMs));
    link.initTimer = this.host.timers.set(() => {
      link.initTimer = null;
      if (link.state === 'pending') this.set(link, 'unreachable');
    }, initMs);
    return link;
  }

  /** A child left the tree: uncount it. */
  forget(childId: string): Link | undefined {
    const link = this.links.get(childId);
    if (!link) return undefined;
    this.host.timers.clear(link.initTimer);
    this.finishRemoval(link);
    this.linksImpl?.delete(childId);
    this.account(link, -1);
    this.host.linkChanged(link, link.state, null);
    this.host.subtreeChanged();
    return link;
  }

  /** Graceful removal: SHUTDOWN (drain) to the child, then `onDone` once it completed or timed out. */
  remove(childId: string, onDone: () => void): void {
    const link = this.links.get(childId);
    if (!link) return onDone();
    if (link.removal) {
      link.removal.waiters.push(onDone);
      return;
    }
    const shutdownMs = this.host.kernel.policy.timeouts.shutdownMs;
    const timer = this.host.timers.set(() => this.finishRemoval(link), shutdownMs);
    link.removal = { waiters: [onDone], timer };
    this.host.sendToChild(link, 'COORD_SHUTDOWN', {
      mode: 'drain',
      timeoutMs: childBudget(shutdownMs),
    });
  }

  /** The child being removed answered (or never will): its waiters go on. */
  finishRemoval(link: Link): void {
    const removal = link.removal;
    if (!removal) return;
    link.removal = null;
    this.host.timers.clear(removal.timer);
    for (const waiter of removal.waiters) waiter();
  }

  /** Nobody waits for a removal forever: settle them all (crash, disposal, own shutdown). */
  settleRemovals(): void {
    for (const link of this.links.values()) this.finishRemoval(link);
  }

  /** Stop waiting for INIT answers (after a failure). */
  clearInitTimers(): void {
    for (const link of this.links.values()) {
      this.host.timers.clear(link.initTimer);
      link.initTimer = null;
    }
  }

  private newLink(seed: ChildSeed): Link {
    const { kernel } = this.host;
    return newLink(seed, kernel.now(), kernel.policy.heartbeat.intervalMs);
  }

  private add(link: Link): void {
    (this.linksImpl ??= new Map()).set(link.childId, link);
    this.account(link, 1);
  }

  /** Sends the child an INIT in its link's current epoch, remembering it until acknowledged. */
  private sendInit(link: Link, timeoutMs: number): void {
    link.initAcked = false;
    link.initDueAt = this.host.kernel.now() + timeoutMs;
    link.initId = this.host.sendToChild(link, 'COORD_INIT', { timeoutMs });
  }

  /** Adds or removes a link's contribution to the subtree counts (O(1)). */
  private account(link: Link, sign: 1 | -1): void {
    this.sumVersion++;
    const sum = (this.sumImpl ??= emptySubtree());
    sum.nodes += sign * link.subtree.nodes;
    sum.leaves += sign * link.subtree.leaves;
    if (link.state === 'unreachable') sum.byState.unreachable += sign * link.subtree.nodes;
    else addCounts(sum.byState, link.subtree.byState, sign);
  }
}
