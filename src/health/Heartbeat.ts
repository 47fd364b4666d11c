/**
 * Heartbeats of one coordinator: one timer per coordinator (not per link) pings the children
 * that have been quiet for half an interval, and declares `unreachable` those silent for
 * `timeouts.heartbeatMs`. Any message from a child counts as liveness (`link.lastHeard`).
 */
import {
  isAvailableState,
  type CoordinationState,
  type MessageBodies,
  type MessageKind,
} from '../../machines/index.js';
import type { Link } from '../runtime/ChildLinks.js';
import type { TimerHandle, Timers } from '../runtime/Timers.js';
import type { TreeKernel } from '../runtime/TreeKernel.js';

/** What the heartbeat needs from its node. */
export interface HeartbeatHost {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  readonly links: ReadonlyMap<string, Link>;
  /** Whether the node coordinates right now (available and not shutting down). */
  coordinating(): boolean;
  setLink(link: Link, to: 'unreachable'): void;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
}

/** The heartbeat of one coordinator. */
export class Heartbeat {
  private running = false;
  private timer: TimerHandle | null = null;

  constructor(private readonly host: HeartbeatHost) {}

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
    this.host.timers.clear(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running || this.timer || this.host.links.size === 0) return;
    this.timer = this.host.timers.set(this.beat, this.host.kernel.policy.heartbeat.intervalMs);
  }

  /** One round: ping quiet children, declare silent ones unreachable. */
  private readonly beat = (): void => {
    this.timer = null;
    const { kernel, links } = this.host;
    const now = kernel.now();
    const { intervalMs } = kernel.policy.heartbeat;
    const silenceMs = kernel.policy.timeouts.heartbeatMs;
    for (const link of links.values()) {
      if (!isAvailableState(link.state as CoordinationState)) continue;
      const silent = now - link.lastHeard;
      if (silent >= silenceMs) this.host.setLink(link, 'unreachable');
      else if (silent >= intervalMs / 2) this.host.sendToChild(link, 'COORD_HEARTBEAT', {});
    }
    if (this.host.coordinating()) this.schedule();
  };
}
