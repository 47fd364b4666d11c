/**
 * A node's mailbox and link table: everything per message that changes no state. It fences
 * stale sessions and epochs, answers heartbeats and SYNC, tracks child links (and tells the
 * supervisor when one changes), replies to the parent for the statechart, and hosts the
 * command engine. The statechart gets only the events that matter.
 */
import type { AnyActorRef } from 'xstate';
import {
  isAvailableState,
  PROTOCOL_VERSION,
  type AnyEnvelope,
  type CoordinationState,
  type LinkCounts,
  type LinkState,
  type MessageBodies,
  type MessageKind,
  type ShutdownMode,
  type SubtreeCounts,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import { CommandEngine, type CommandHost } from './CommandEngine.js';
import { addCounts, emptySubtree, type MutableSubtree } from './subtreeCounts.js';
import { Heartbeat } from '../health/Heartbeat.js';
import { Timers, type TimerHandle } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** A parent's view of one child. */
export interface Link {
  readonly childId: string;
  readonly critical: boolean;
  state: LinkState;
  /** Epoch of the INIT that opened the link's current session. */
  epoch: number;
  /** Clock time the child was last heard from, ms. */
  lastHeard: number;
  /** The child's last reported subtree (or its shape's, before it answered). */
  subtree: SubtreeCounts;
  /** Id of the last INIT sent to the child, and whether the child acknowledged it. */
  initId: string | null;
  initAcked: boolean;
  /** Clock time by which the child should have answered its last INIT (READY or ERROR), ms. */
  initDueAt: number;
  /** Fires if a child added at run time never answers its INIT. */
  initTimer: TimerHandle | null;
  /** Set while the child is being removed gracefully: who waits, and the deadline. */
  removal: { readonly waiters: (() => void)[]; readonly timer: TimerHandle } | null;
}

/** The participant side toward the parent: not in a session, answering INIT, in one, leaving. */
type JoinState = 'idle' | 'joining' | 'joined' | 'leaving';

/** What a child contributes to its parent before it has reported. */
export interface ChildSeed {
  readonly childId: string;
  readonly critical: boolean;
  readonly nodes: number;
  readonly leaves: number;
}

/** The endpoint of one node. */
export class NodeEndpoint implements CommandHost {
  readonly timers: Timers;
  readonly links = new Map<string, Link>();
  readonly commands: CommandEngine;
  state: CoordinationState = 'DISCONNECTED';
  reason = 'created';
  /** Crashed (killed) or finished: drops everything. */
  dead = false;
  private actor: AnyActorRef | null = null;
  private supervisor: AnyActorRef | null = null;
  private detachInbox: (() => void) | null = null;
  private session: string | null = null;
  private parentEpoch = 0;
  private join: JoinState = 'idle';
  private seq = 0;
  private connectStartedAt = 0;
  private connectBudgetMs = 0;
  private readonly heartbeat = new Heartbeat(this);
  /** Set once shutting down; `forced` counts stragglers stopped here and below. */
  private shutdown: { pending: Set<string>; signalled: boolean; forced: number } | null = null;
  private statusScheduled = false;
  private lastStatusKey = '';
  /** Sum of the children's contributions to this node's subtree counts, kept incrementally. */
  private readonly childSum: MutableSubtree = emptySubtree();

  constructor(
    readonly kernel: TreeKernel,
    readonly nodeId: string,
    readonly parentId: string,
    seeds: readonly ChildSeed[],
  ) {
    this.timers = new Timers(kernel.clock);
    this.commands = new CommandEngine(this);
    for (const seed of seeds) this.addLink(this.newLink(seed));
  }

  // ── wiring ────────────────────────────────────────────────────────────────────────────

  /** The node's actor (and supervisor) started or changed: route its mail here. */
  attach(actor: AnyActorRef, supervisor: AnyActorRef | null): void {
    this.actor = actor;
    this.supervisor = supervisor;
    this.detachInbox ??= this.kernel.transport.attach(this.nodeId, this.receive);
  }

  /** Crash: stop answering at once, abort handlers, keep no timers. */
  kill(): void {
    this.dead = true;
    this.commands.kill();
    this.settleRemovals();
    this.timers.clearAll();
  }

  /** Release everything (the tree is shutting down or the node left it). */
  dispose(): void {
    this.dead = true;
    this.commands.kill();
    this.settleRemovals();
    this.timers.clearAll();
    this.detachInbox?.();
    this.detachInbox = null;
    this.actor = null;
    this.supervisor = null;
  }

  // ── inbound ───────────────────────────────────────────────────────────────────────────

  /** Delivery from the transport. */
  readonly receive = (envelope: AnyEnvelope): void => {
    const kernel = this.kernel;
    if (this.dead) return kernel.drop(this.nodeId, 'node-down', envelope);
    kernel.stats.received++;
    if (envelope.from === this.parentId) return this.fromParent(envelope);
    const link = this.links.get(envelope.from);
    if (!link) return kernel.drop(this.nodeId, 'unknown-sender', envelope);
    if (envelope.session !== this.session)
      return kernel.drop(this.nodeId, 'stale-session', envelope);
    if (envelope.epoch < link.epoch) return kernel.drop(this.nodeId, 'stale-epoch', envelope);
    link.lastHeard = kernel.now();
    switch (envelope.kind) {
      case 'COORD_READY':
      case 'COORD_STATUS':
        return this.onChildState(link, envelope.body.state, envelope.body.subtree);
      case 'COORD_ACK':
        if (envelope.body.ackOf === link.initId) {
          link.initAcked = true;
          return;
        }
        return this.commands.onAck(link.childId, envelope.body.ackOf);
      case 'COORD_ERROR':
        if (envelope.body.code === 'NOT_INITIALIZED') {
          // The child restarted fresh: nothing runs there, nothing to shut down.
          this.setLink(link, 'DISCONNECTED');
          if (link.removal) this.finishRemoval(link);
          if (this.shutdown?.pending.delete(link.childId)) this.checkShutdownDone();
        } else if (envelope.body.scope === 'node' && envelope.body.commandId === undefined) {
          // Its INIT failed: the next INIT round (or recovery round) tries again if retriable.
          if (envelope.body.retriable) link.initAcked = false;
          this.setLink(link, 'FAILED');
        }
        if (envelope.body.commandId !== undefined) this.commands.onChildError(link, envelope.body);
        return;
      case 'COORD_COMPLETE':
        if (envelope.body.of === 'command')
          return this.commands.onChildComplete(link, envelope.body);
        return this.onChildShutdownComplete(link, envelope.body.forced);
      default:
        return kernel.drop(this.nodeId, 'unknown-sender', envelope);
    }
  };

  private fromParent(envelope: AnyEnvelope): void {
    const kernel = this.kernel;
    if (envelope.kind === 'COORD_INIT') {
      if (envelope.session === '' || (this.session !== null && envelope.session !== this.session)) {
        return kernel.drop(this.nodeId, 'stale-session', envelope);
      }
      if (envelope.epoch < this.parentEpoch)
        return kernel.drop(this.nodeId, 'stale-epoch', envelope);
      this.session = envelope.session;
      this.parentEpoch = envelope.epoch;
      // Acknowledge at once: the parent stops resending while this subtree comes up.
      this.sendToParent('COORD_ACK', { ackOf: envelope.id });
      if (this.join === 'leaving') return;
      this.join = 'joining';
      if (isAvailableState(this.state)) this.scheduleStatus();
      this.actor?.send({
        type: 'parent.init',
        epoch: envelope.epoch,
        timeoutMs: envelope.body.timeoutMs,
      });
      return;
    }
    if (this.session === null) {
      // A node that restarted fresh: tell the parent it needs an INIT.
      kernel.drop(this.nodeId, 'stale-session', envelope);
      this.sendEnvelope('COORD_ERROR', this.parentId, envelope.session, envelope.epoch, {
        scope: 'node',
        code: 'NOT_INITIALIZED',
        message: `${this.nodeId} has no session; send COORD_INIT first`,
        retriable: true,
        ...(envelope.kind === 'COORD_COMMAND' && envelope.body.commands[0]
          ? { commandId: envelope.body.commands[0].commandId }
          : {}),
      });
      return;
    }
    if (envelope.session !== this.session)
      return kernel.drop(this.nodeId, 'stale-session', envelope);
    if (envelope.epoch !== this.parentEpoch)
      return kernel.drop(this.nodeId, 'stale-epoch', envelope);
    switch (envelope.kind) {
      case 'COORD_COMMAND':
        return this.commands.onCommand(envelope);
      case 'COORD_SYNC':
      case 'COORD_HEARTBEAT':
        this.sendToParent('COORD_STATUS', { state: this.state, subtree: this.subtree() });
        return;
      case 'COORD_SHUTDOWN':
        if (this.join === 'leaving') return;
        this.join = 'leaving';
        this.actor?.send({
          type: 'parent.shutdown',
          mode: envelope.body.mode,
          timeoutMs: envelope.body.timeoutMs,
        });
        return;
      default:
        return kernel.drop(this.nodeId, 'unknown-sender', envelope);
    }
  }

  private onChildState(link: Link, state: CoordinationState, subtree: SubtreeCounts): void {
    this.timers.clear(link.initTimer);
    link.initTimer = null;
    this.setLink(link, state, subtree);
  }

  private onChildShutdownComplete(link: Link, forcedBelow: number): void {
    if (link.removal) return this.finishRemoval(link);
    if (!this.shutdown?.pending.delete(link.childId)) return;
    this.shutdown.forced += forcedBelow;
    this.checkShutdownDone();
  }

  // ── links ─────────────────────────────────────────────────────────────────────────────

  private newLink(seed: ChildSeed): Link {
    const subtree = emptySubtree();
    subtree.nodes = seed.nodes;
    subtree.leaves = seed.leaves;
    subtree.byState.DISCONNECTED = seed.nodes;
    return {
      childId: seed.childId,
      critical: seed.critical,
      state: 'pending',
      epoch: 1,
      lastHeard: this.kernel.now(),
      subtree,
      initId: null,
      initAcked: false,
      initDueAt: 0,
      initTimer: null,
      removal: null,
    };
  }

  /** Sends the child an INIT in its link's current epoch, remembering it until acknowledged. */
  private sendInit(link: Link, timeoutMs: number): void {
    link.initAcked = false;
    link.initDueAt = this.kernel.now() + timeoutMs;
    link.initId = this.sendToChild(link, 'COORD_INIT', { timeoutMs });
  }

  /** Adds or removes a link's contribution to the subtree counts (O(1)). */
  private account(link: Link, sign: 1 | -1): void {
    const sum = this.childSum;
    sum.nodes += sign * link.subtree.nodes;
    sum.leaves += sign * link.subtree.leaves;
    if (link.state === 'unreachable') sum.byState.unreachable += sign * link.subtree.nodes;
    else addCounts(sum.byState, link.subtree.byState, sign);
  }

  private addLink(link: Link): void {
    this.links.set(link.childId, link);
    this.account(link, 1);
  }

  /**
   * Changes a link's state (and the subtree it reported), keeping the counts, and tells the
   * supervisor and the command engine.
   */
  setLink(link: Link, to: LinkState, subtree: SubtreeCounts = link.subtree): void {
    const from = link.state;
    this.account(link, -1);
    link.state = to;
    link.subtree = subtree;
    this.account(link, 1);
    this.scheduleStatus();
    if (from === to) return;
    this.supervisor?.send({
      type: 'link.changed',
      childId: link.childId,
      from,
      to,
      critical: link.critical,
    });
    this.kernel.emit(() => ({
      type: 'link',
      nodeId: this.nodeId,
      childId: link.childId,
      from,
      to,
      at: this.kernel.now(),
    }));
    if (to === 'unreachable' || to === 'DISCONNECTED' || to === 'FAILED') {
      this.commands.onChildLost(link);
      if (to === 'unreachable' && this.shutdown?.pending.delete(link.childId))
        this.checkShutdownDone();
    }
  }

  /** The command engine or heartbeat found a child silent. */
  markUnreachable(childId: string): void {
    const link = this.links.get(childId);
    if (link && link.state !== 'unreachable') this.setLink(link, 'unreachable');
  }

  /** A new CONNECTING: every link pending, in a new epoch. */
  resetLinks(initBudgetMs: number): void {
    this.connectStartedAt = this.kernel.now();
    this.connectBudgetMs = initBudgetMs;
    for (const link of this.links.values()) {
      const from = link.state;
      link.epoch++;
      this.account(link, -1);
      link.state = 'pending';
      this.account(link, 1);
      link.initId = null;
      link.initAcked = false;
      this.timers.clear(link.initTimer);
      link.initTimer = null;
      if (from !== 'pending') {
        this.kernel.emit(() => ({
          type: 'link',
          nodeId: this.nodeId,
          childId: link.childId,
          from,
          to: 'pending',
          at: this.kernel.now(),
        }));
      }
    }
    const counts: LinkCounts = {
      total: this.links.size,
      pending: this.links.size,
      available: 0,
      degraded: 0,
      unavailable: 0,
      criticalUnavailable: 0,
    };
    this.supervisor?.send({ type: 'links.reset', counts });
  }

  /**
   * One INIT round of CONNECTING, within what is left of the budget: INIT again to every child
   * not ready that did not acknowledge its INIT, answered it with a retriable error, or is past
   * the budget that INIT gave it (its answer was lost). A child still bringing its subtree up
   * within its budget is left alone.
   */
  sendInitRound(): void {
    const now = this.kernel.now();
    const timeoutMs = childBudget(this.connectBudgetMs - (now - this.connectStartedAt));
    for (const link of this.links.values()) {
      if (isAvailableState(link.state as CoordinationState)) continue;
      if (link.initAcked && now < link.initDueAt) continue;
      this.sendInit(link, timeoutMs);
    }
  }

  /** A recovery round: re-INIT every unavailable child in a new epoch. */
  restartUnavailable(): string[] {
    const timeoutMs = childBudget(this.kernel.policy.timeouts.initMs);
    const restarted: string[] = [];
    for (const link of this.links.values()) {
      // A joining child has its own INIT deadline (linkAdded); it is not restarted.
      if (isAvailableState(link.state as CoordinationState) || link.state === 'pending') continue;
      link.epoch++;
      restarted.push(link.childId);
      this.sendInit(link, timeoutMs);
    }
    return restarted;
  }

  /** Manual recovery: a fresh restart budget, then a recovery round now. */
  recover(): string[] {
    this.supervisor?.send({ type: 'budget.reset' });
    return isAvailableState(this.state) ? this.restartUnavailable() : [];
  }

  /** Re-INIT one child (its parent's side of recovering a DISCONNECTED node). */
  reinitChild(childId: string): boolean {
    const link = this.links.get(childId);
    // Only a connected parent can INIT: it needs a session to hand down.
    if (!link || !this.coordinating()) return false;
    link.epoch++;
    this.sendInit(link, childBudget(this.kernel.policy.timeouts.initMs));
    return true;
  }

  /** A child was spawned at run time. A revived child (`rejoin`) waits for a recovery INIT. */
  linkAdded(seed: ChildSeed, rejoin: boolean): void {
    if (rejoin) return;
    const link = this.newLink(seed);
    this.addLink(link);
    this.supervisor?.send({
      type: 'link.changed',
      childId: link.childId,
      from: null,
      to: 'pending',
      critical: link.critical,
    });
    this.kernel.emit(() => ({
      type: 'link',
      nodeId: this.nodeId,
      childId: link.childId,
      from: null,
      to: 'pending',
      at: this.kernel.now(),
    }));
    if (!isAvailableState(this.state)) return;
    const initMs = this.kernel.policy.timeouts.initMs;
    this.sendInit(link, childBudget(initMs));
    link.initTimer = this.timers.set(() => {
      link.initTimer = null;
      if (link.state === 'pending') this.setLink(link, 'unreachable');
    }, initMs);
    this.heartbeat.begin();
  }

  /** A child was stopped; `forget` (it left the tree) uncounts its link. */
  linkRemoved(childId: string, forget: boolean): void {
    const link = this.links.get(childId);
    if (!forget || !link) return;
    this.timers.clear(link.initTimer);
    this.finishRemoval(link);
    this.links.delete(childId);
    this.account(link, -1);
    this.supervisor?.send({
      type: 'link.changed',
      childId,
      from: link.state,
      to: null,
      critical: link.critical,
    });
    this.kernel.emit(() => ({
      type: 'link',
      nodeId: this.nodeId,
      childId,
      from: link.state,
      to: null,
      at: this.kernel.now(),
    }));
    this.commands.onChildLost(link);
    if (this.shutdown?.pending.delete(childId)) this.checkShutdownDone();
    if (this.links.size === 0) this.heartbeat.stop();
    this.scheduleStatus();
  }

  /** Graceful removal: SHUTDOWN (drain) to the child, then `onDone` once it completed or timed out. */
  removeChild(childId: string, onDone: () => void): void {
    const link = this.links.get(childId);
    if (!link || this.dead) return onDone();
    if (link.removal) {
      link.removal.waiters.push(onDone);
      return;
    }
    const shutdownMs = this.kernel.policy.timeouts.shutdownMs;
    const timer = this.timers.set(() => this.finishRemoval(link), shutdownMs);
    link.removal = { waiters: [onDone], timer };
    this.sendToChild(link, 'COORD_SHUTDOWN', { mode: 'drain', timeoutMs: childBudget(shutdownMs) });
  }

  private finishRemoval(link: Link): void {
    const removal = link.removal;
    if (!removal) return;
    link.removal = null;
    this.timers.clear(removal.timer);
    for (const waiter of removal.waiters) waiter();
  }

  /** Nobody waits for a removal forever: settle them all (crash, disposal, own shutdown). */
  private settleRemovals(): void {
    for (const link of this.links.values()) this.finishRemoval(link);
  }

  // ── participant side ──────────────────────────────────────────────────────────────────

  /** The statechart entered `state`. */
  announce(state: CoordinationState, reason: string): void {
    const from = this.state;
    this.state = state;
    this.reason = reason;
    if (from !== state) {
      this.kernel.emit(() => ({
        type: 'transition',
        nodeId: this.nodeId,
        from,
        to: state,
        reason,
        at: this.kernel.now(),
      }));
    }
    if (this.coordinating()) this.heartbeat.begin();
    else this.heartbeat.stop();
    this.scheduleStatus();
  }

  /** Available and not shutting down: the node coordinates (and heartbeats) its children. */
  coordinating(): boolean {
    return isAvailableState(this.state) && this.shutdown === null && !this.dead;
  }

  /** The node's subtree, counted by state, from its children's last reports. */
  subtree(): SubtreeCounts {
    const sum = this.childSum;
    const byState = { ...sum.byState };
    byState[this.state]++;
    return { nodes: 1 + sum.nodes, leaves: this.links.size === 0 ? 1 : sum.leaves, byState };
  }

  private scheduleStatus(): void {
    if (this.statusScheduled || this.dead) return;
    this.statusScheduled = true;
    queueMicrotask(this.flushStatus);
  }

  /** Answers INIT (READY/ERROR) or reports a change (STATUS), once per tick. */
  private readonly flushStatus = (): void => {
    this.statusScheduled = false;
    if (this.dead) return;
    if (this.join === 'joining') {
      if (isAvailableState(this.state)) {
        this.join = 'joined';
        const subtree = this.subtree();
        this.lastStatusKey = statusKey(this.state, subtree);
        this.sendToParent('COORD_READY', { state: this.state, subtree });
      } else if (this.state === 'FAILED') {
        this.join = 'idle';
        this.sendToParent('COORD_ERROR', {
          scope: 'node',
          code: 'INIT_FAILED',
          message: `${this.nodeId} failed to initialise: ${this.reason}`,
          retriable: true,
        });
      }
      return;
    }
    if (this.join !== 'joined') return;
    const subtree = this.subtree();
    const key = statusKey(this.state, subtree);
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.sendToParent('COORD_STATUS', { state: this.state, subtree });
  };

  // ── failure and shutdown ──────────────────────────────────────────────────────────────

  /** After a failure: fail in-flight commands, stop heartbeats. */
  async cleanup(): Promise<void> {
    this.heartbeat.stop();
    this.commands.abortAll('NODE_FAILED', `${this.nodeId} failed: ${this.reason}`);
    for (const link of this.links.values()) {
      this.timers.clear(link.initTimer);
      link.initTimer = null;
    }
    await Promise.resolve();
  }

  /** Stop taking commands, shut children down, drain or abort in-flight work. */
  beginShutdown(mode: ShutdownMode, timeoutMs: number): void {
    this.shutdown = { pending: new Set(), signalled: false, forced: 0 };
    this.heartbeat.stop();
    this.commands.beginShutdown(mode);
    const budget = childBudget(timeoutMs);
    for (const link of this.links.values()) {
      if (link.state === 'unreachable' || link.removal) continue;
      this.shutdown.pending.add(link.childId);
      this.sendToChild(link, 'COORD_SHUTDOWN', { mode, timeoutMs: budget });
    }
    this.checkShutdownDone();
  }

  /** Tells the statechart once children and work are done. */
  checkShutdownDone(): void {
    const shutdown = this.shutdown;
    if (!shutdown || shutdown.signalled || shutdown.pending.size > 0 || !this.commands.idle) return;
    shutdown.signalled = true;
    this.actor?.send({ type: 'shutdown.done' });
  }

  /** The shutdown deadline passed: abort what is left; stragglers are stopped with the node. */
  forceShutdown(): void {
    const shutdown = this.shutdown ?? { pending: new Set<string>(), signalled: false, forced: 0 };
    shutdown.forced += shutdown.pending.size;
    shutdown.signalled = true;
    this.shutdown = shutdown;
    this.commands.abortAll('ABORTED', `${this.nodeId} shutdown deadline passed`);
  }

  /** Answers the parent's SHUTDOWN and stops answering anything else. */
  reportShutdownComplete(): void {
    this.sendToParent('COORD_COMPLETE', { of: 'shutdown', forced: this.shutdown?.forced ?? 0 });
    this.dead = true;
    this.commands.kill();
    this.settleRemovals();
    this.timers.clearAll();
  }

  // ── outbound ──────────────────────────────────────────────────────────────────────────

  sendToParent<K extends MessageKind>(kind: K, body: MessageBodies[K]): string {
    return this.sendEnvelope(kind, this.parentId, this.session ?? '', this.parentEpoch, body);
  }

  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string {
    return this.sendEnvelope(kind, link.childId, this.session ?? '', link.epoch, body);
  }

  private sendEnvelope<K extends MessageKind>(
    kind: K,
    to: string,
    session: string,
    epoch: number,
    body: MessageBodies[K],
  ): string {
    const id = this.kernel.newId();
    this.kernel.send({
      v: PROTOCOL_VERSION,
      kind,
      id,
      session,
      epoch,
      from: this.nodeId,
      to,
      seq: ++this.seq,
      sentAt: this.kernel.now(),
      body,
    } as AnyEnvelope);
    return id;
  }
}

function statusKey(state: CoordinationState, subtree: SubtreeCounts): string {
  const s = subtree.byState;
  return `${state}|${subtree.nodes}|${subtree.leaves}|${s.SYNCHRONIZED}|${s.DEGRADED}|${s.CONNECTING}|${s.FAILED}|${s.DISCONNECTED}|${s.unreachable}`;
}
