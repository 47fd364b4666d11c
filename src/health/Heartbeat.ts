/**
 * Heartbeats of one coordinator: one entry per coordinator (not per link) on the tree's timer
 * heap (`TreeKernel.rounds`), which runs every coordinator's rounds on one clock timer. Each
 * round it pings the children that have been quiet for half an interval, suspects those whose
 * phi-accrual suspicion reached the threshold (or that are silent past `timeouts.heartbeatMs`),
 * and asks the suspected ones for a COORD_SYNC: the first to answer is re-synchronised. Any
 * message from a child counts as liveness (busy links skip pings). The interval stretches while
 * every child is healthy and halves while one is suspected, within its bounds.
 */
import {
  isAvailableState,
  type CoordinationState,
  type MessageBodies,
  type MessageKind,
} from '../../machines/index.js';
import type { Link } from '../runtime/Link.js';
import type { HeapTimer } from '../runtime/TimerHeap.js';
import type { TreeKernel } from '../runtime/TreeKernel.js';
import { addSample, phi, PHI_WITHIN_EXPECTED } from './phiAccrual.js';

/** What the heartbeat needs from its node. */
export interface HeartbeatHost {
  readonly kernel: TreeKernel;
  readonly links: ReadonlyMap<string, Link>;
  /** Whether the node coordinates right now (available and not shutting down). */
  coordinating(): boolean;
  markUnreachable(childId: string): void;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  /** Asks a suspected child where it is (a SYNC, or its unacknowledged INIT again). */
  probe(link: Link): void;
}

/** A heartbeat's body: empty, and the same object every time (bodies are never mutated). */
const EMPTY_BODY: MessageBodies['COORD_HEARTBEAT'] = Object.freeze({});

/** Phi below which a child counts as healthy (the interval may stretch). */
const HEALTHY_PHI = 1;

/** The heartbeat of one coordinator: its own entry on the tree's timer heap. */
export class Heartbeat implements HeapTimer {
  dueAt = 0;
  heapIndex = -1;
  private running = false;
  /** The current interval, ms: adapts between the policy's bounds. */
  private interval: number;

  constructor(private readonly host: HeartbeatHost) {
    this.interval = host.kernel.policy.heartbeat.intervalMs;
  }

  /** The current interval between rounds, ms. */
  get intervalMs(): number {
    return this.interval;
  }

  /**
   * The node coordinates: beat. On a (re)start silence is measured from now at the earliest,
   * since nobody was pinged meanwhile and older silence proves nothing.
   */
  begin(): void {
    if (!this.host.coordinating()) return;
    if (!this.running) {
      this.running = true;
      const now = this.host.kernel.now();
      for (const link of this.host.links.values()) link.lastHeard = Math.max(link.lastHeard, now);
    }
    this.schedule();
  }

  /** The node stopped coordinating (or has no children to watch). */
  stop(): void {
    this.running = false;
    this.host.kernel.rounds.cancel(this);
  }

  /**
   * A message from a child arrived. An arrival at least half an interval after the previous one
   * is an inter-arrival sample for the detector (bursts on busy links are not); an arrival on a
   * link that was not available only restarts the count.
   */
  heard(link: Link, now: number): void {
    const gap = now - link.lastHeard;
    link.lastHeard = now;
    if (gap >= this.interval / 2 && isAvailableState(link.state as CoordinationState)) {
      addSample(link, gap);
    }
  }

  private schedule(): void {
    if (!this.running || this.heapIndex >= 0 || this.host.links.size === 0) return;
    this.host.kernel.rounds.schedule(this, this.interval);
  }

  /** One round: suspect, ping, ask the suspected to SYNC, then adapt the interval. */
  fire(): void {
    const { kernel, links } = this.host;
    const now = kernel.now();
    const policy = kernel.policy.heartbeat;
    const hardCapMs = kernel.policy.timeouts.heartbeatMs;
    let healthy = true;
    let suspected = false;
    for (const link of links.values()) {
      if (link.removal || link.state === 'pending') continue;
      if (link.state === 'unreachable') {
        suspected = true;
        this.host.probe(link);
        continue;
      }
      if (!isAvailableState(link.state)) {
        healthy = false;
        continue;
      }
      const silent = now - link.lastHeard;
      // A link that is not overdue has phi ≤ PHI_WITHIN_EXPECTED, below HEALTHY_PHI: it is
      // worked out then only if the threshold is that low (most rounds skip its logarithms).
      const overdue = silent > link.arrivalMean + policy.acceptablePauseMs;
      const suspicion =
        overdue || policy.phiThreshold <= PHI_WITHIN_EXPECTED
          ? phi(link, silent, policy)
          : PHI_WITHIN_EXPECTED;
      if (suspicion >= policy.phiThreshold || silent >= hardCapMs) {
        suspected = true;
        this.host.markUnreachable(link.childId);
        continue;
      }
      if (suspicion >= HEALTHY_PHI) healthy = false;
      // A quiet child is pinged; so is a busy one that got nothing since the last round, for a
      // child watches its parent too (a hosted subtree gives a silent parent up).
      if (silent >= this.interval / 2 || link.sent === link.sentAtRound)
        this.host.sendToChild(link, 'COORD_HEARTBEAT', EMPTY_BODY);
      link.sentAtRound = link.sent;
    }
    if (suspected) this.interval = Math.max(policy.minIntervalMs, this.interval / 2);
    else if (healthy)
      this.interval = Math.min(policy.maxIntervalMs, this.interval * policy.stretchFactor);
    // A state change during the round may have scheduled the next one already, on the old interval.
    this.host.kernel.rounds.cancel(this);
    if (this.host.coordinating()) this.schedule();
  }
}
