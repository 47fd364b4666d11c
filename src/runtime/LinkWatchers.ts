/**
 * Who hears of a coordinator's link changes besides the node itself: its supervisor, told a
 * tick's changes in one event (a start's READYs, or a partition's suspicions, cost the
 * statechart one event rather than one each), and the proxies of children that run in other
 * processes, told each change of their own link.
 */
import type { AnyActorRef } from 'xstate';
import type { LinkChange, LinkCounts, LinkState } from '../../machines/index.js';

/** A coordinator's supervisor and remote-child proxies. */
export class LinkWatchers {
  private supervisor: AnyActorRef | null = null;
  private readonly proxies = new Map<string, AnyActorRef>();
  /** Changes not yet told to the supervisor (sent at the end of the tick). */
  private pending: LinkChange[] | null = null;
  private released = false;

  /** The node's supervisor actor started (or was replaced). */
  superviseBy(supervisor: AnyActorRef | null): void {
    this.supervisor = supervisor;
  }

  /** A remote child's proxy started: it is told its link's state, now and on every change. */
  attachProxy(childId: string, proxy: AnyActorRef, state: LinkState | undefined): void {
    this.proxies.set(childId, proxy);
    if (state !== undefined) proxy.send({ type: 'remote.state', state });
  }

  /** A link changed (`to: null`: the child left). */
  changed(change: LinkChange): void {
    if (change.to !== null) {
      this.proxies.get(change.childId)?.send({ type: 'remote.state', state: change.to });
    } else this.proxies.delete(change.childId);
    if (this.supervisor === null) return;
    if (this.pending !== null) {
      this.pending.push(change);
      return;
    }
    this.pending = [change];
    queueMicrotask(() => this.flush());
  }

  /** Every link was reset: what is pending goes first, then the new counts. */
  reset(counts: LinkCounts): void {
    this.flush();
    this.supervisor?.send({ type: 'links.reset', counts });
  }

  /** A fresh restart budget (manual recovery). */
  resetBudget(): void {
    this.flush();
    this.supervisor?.send({ type: 'budget.reset' });
  }

  /** The node stopped (crash, shutdown or disposal): nothing more is sent. */
  release(): void {
    this.released = true;
    this.pending = null;
    this.supervisor = null;
    this.proxies.clear();
  }

  private flush(): void {
    const changes = this.pending;
    if (changes === null) return;
    this.pending = null;
    if (!this.released) this.supervisor?.send({ type: 'links.changed', changes });
  }
}
