/**
 * A node's mailbox and link table: everything per message that changes no state. It fences
 * stale sessions and epochs, answers heartbeats and SYNC, tracks child links (and tells the
 * supervisor when one changes), replies to the parent for the statechart, and hosts the
 * command engine. The statechart gets only the events that matter.
 */
import type { AnyActorRef } from 'xstate';
import type { NodeMailbox } from './InlineLeaf.js';
import {
  isAvailableState,
  type AnyEnvelope,
  type CoordinationState,
  type LinkCounts,
  type LinkState,
  type MessageBodies,
  type MessageKind,
  type ShutdownMode,
  type SubtreeCounts,
} from '../../machines/index.js';
import { ChildLinks, type ChildLinksHost } from './ChildLinks.js';
import type { ChildSeed, Link } from './Link.js';
import { CommandEngine, type CommandHost } from './CommandEngine.js';
import { Heartbeat } from '../health/Heartbeat.js';
import { fromChild } from './childInbox.js';
import { LinkWatchers } from './LinkWatchers.js';
import { NodeShutdown } from './NodeShutdown.js';
import { notInitialized, ParentReports } from './ParentReports.js';
import { newEnvelope } from './envelope.js';
import { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';
import type { Route } from '../transport/Transport.js';

/** The endpoint of one node. */
export class NodeEndpoint implements CommandHost, ChildLinksHost {
  readonly timers: Timers;
  readonly children: ChildLinks;
  state: CoordinationState = 'DISCONNECTED';
  reason = 'created';
  /** Crashed (killed) or finished: drops everything. */
  dead = false;
  /** This node's incarnation: a node that starts fresh gets a new one. */
  readonly incarnation: string;
  private statechart: NodeMailbox | null = null;
  private detachInbox: (() => void) | null = null;
  private session: string | null = null;
  private parentEpoch = 0;
  /** The transport's route to the parent, once it has one. */
  private parentRoute: Route | undefined = undefined;
  private seq = 0;
  /** Built once the node has a child to watch. */
  private heartbeatImpl: Heartbeat | null = null;
  /** Set once shutting down. */
  private shutdown: NodeShutdown | null = null;
  private readonly reports = new ParentReports(this);
  /** The supervisor and remote-child proxies: built for a coordinator only. */
  private watchers: LinkWatchers | null = null;
  /** Built on the first command, SYNC or shutdown: most leaves of a big tree never need it. */
  private commandsImpl: CommandEngine | null = null;
  /** Called once this node has answered its parent's SHUTDOWN and stopped. */
  onShutdownComplete: ((forced: number) => void) | null = null;
  /** Told of the parent's INIT and of each later envelope in its session (a hosted root's watch). */
  onParentEnvelope: (() => void) | null = null;

  constructor(
    readonly kernel: TreeKernel,
    readonly nodeId: string,
    readonly parentId: string,
    seeds: readonly ChildSeed[],
  ) {
    this.incarnation = kernel.newId();
    this.timers = new Timers(kernel.clock);
    this.children = new ChildLinks(this, seeds);
  }

  // ── wiring ────────────────────────────────────────────────────────────────────────────

  /** What the node's statechart runs in: its actor, or an inline leaf. */
  get mailbox(): NodeMailbox | null {
    return this.statechart;
  }

  /** The node's actor (or inline leaf) and supervisor started or changed: route its mail here. */
  attach(statechart: NodeMailbox, supervisor: AnyActorRef | null): void {
    this.statechart = statechart;
    if (supervisor !== null || this.watchers !== null) {
      (this.watchers ??= new LinkWatchers()).superviseBy(supervisor);
    }
    if (!this.dead) this.detachInbox ??= this.kernel.transport.attach(this.nodeId, this.receive);
  }

  /** A remote child's proxy started: keep it told of the child's link. */
  attachProxy(childId: string, proxy: AnyActorRef): void {
    (this.watchers ??= new LinkWatchers()).attachProxy(
      childId,
      proxy,
      this.children.get(childId)?.state,
    );
  }

  /**
   * Crash: stop answering at once, abort handlers, keep no timers, and leave the transport (a
   * crashed node neither receives nor acknowledges anything).
   */
  kill(): void {
    this.stop();
    this.detachInbox?.();
    this.detachInbox = null;
  }

  /** Release everything (the tree is shutting down or the node left it). */
  dispose(): void {
    this.kill();
    this.statechart = null;
  }

  /** Stops answering: handlers aborted, removals settled, no timer left. */
  private stop(): void {
    this.dead = true;
    this.watchers?.release();
    this.commandsImpl?.kill();
    this.children.settleRemovals();
    this.heartbeatImpl?.stop();
    this.timers.clearAll();
  }

  // ── inbound ───────────────────────────────────────────────────────────────────────────

  /** Delivery from the transport. */
  readonly receive = (envelope: AnyEnvelope): void => {
    const kernel = this.kernel;
    if (this.dead) return kernel.drop(this.nodeId, 'node-down', envelope);
    kernel.stats.received++;
    if (envelope.from === this.parentId) return this.fromParent(envelope);
    const link = this.children.get(envelope.from);
    if (!link) return kernel.drop(this.nodeId, 'unknown-sender', envelope);
    if (envelope.session !== this.session)
      return kernel.drop(this.nodeId, 'stale-session', envelope);
    if (envelope.epoch < link.epoch) return kernel.drop(this.nodeId, 'stale-epoch', envelope);
    this.heartbeat.heard(link, kernel.now());
    fromChild(this, link, envelope);
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
      this.onParentEnvelope?.();
      // Acknowledge at once: the parent stops resending while this subtree comes up.
      this.sendToParent('COORD_ACK', { ackOf: envelope.id });
      if (!this.reports.initReceived()) return;
      this.statechart?.send({
        type: 'parent.init',
        epoch: envelope.epoch,
        timeoutMs: envelope.body.timeoutMs,
      });
      return;
    }
    if (this.session === null) {
      // A node that restarted fresh: tell the parent it needs an INIT.
      kernel.drop(this.nodeId, 'stale-session', envelope);
      const body = notInitialized(this.nodeId, envelope);
      this.sendEnvelope(
        'COORD_ERROR',
        this.parentId,
        envelope.epoch,
        body,
        this.parentRoute,
        envelope.session,
      );
      return;
    }
    if (envelope.session !== this.session)
      return kernel.drop(this.nodeId, 'stale-session', envelope);
    if (envelope.epoch !== this.parentEpoch)
      return kernel.drop(this.nodeId, 'stale-epoch', envelope);
    this.onParentEnvelope?.();
    switch (envelope.kind) {
      case 'COORD_COMMAND':
        return this.commands.onCommand(envelope);
      case 'COORD_HEARTBEAT':
        this.sendToParent('COORD_STATUS', this.children.report(this.state));
        return;
      case 'COORD_SYNC':
        this.sendToParent('COORD_STATUS', {
          state: this.state,
          subtree: this.subtree(),
          sync: this.commands.syncReport(this.incarnation, envelope.body.commandIds),
        });
        return;
      case 'COORD_SHUTDOWN':
        if (!this.reports.shutdownReceived()) return;
        this.statechart?.send({
          type: 'parent.shutdown',
          mode: envelope.body.mode,
          timeoutMs: envelope.body.timeoutMs,
        });
        return;
      default:
        return kernel.drop(this.nodeId, 'unknown-sender', envelope);
    }
  }

  /** A child is gone (restarted fresh): the shutdown waits for it no longer. */
  childGone(childId: string): void {
    this.shutdown?.childGone(childId);
  }

  /** A child answered SHUTDOWN (its removal's, or this node's own shutdown's). */
  childShutdownComplete(link: Link, forcedBelow: number): void {
    if (link.removal) return this.children.finishRemoval(link);
    this.shutdown?.childCompleted(link.childId, forcedBelow);
  }

  /** The node's commands. */
  get commands(): CommandEngine {
    return (this.commandsImpl ??= new CommandEngine(this));
  }

  /** The children's heartbeat. */
  private get heartbeat(): Heartbeat {
    return (this.heartbeatImpl ??= new Heartbeat(this));
  }

  // ── links ─────────────────────────────────────────────────────────────────────────────

  /** The links as a map, for the command engine and the heartbeat. */
  get links(): ReadonlyMap<string, Link> {
    return this.children.links;
  }

  /** A child is suspected (heartbeat, unacknowledged command, lost link). */
  markUnreachable(childId: string): void {
    const link = this.children.get(childId);
    if (link && link.state !== 'unreachable') this.children.set(link, 'unreachable');
  }

  /** A link changed: tell the supervisor, the event stream, the command engine, the shutdown. */
  linkChanged(link: Link, from: LinkState | null, to: LinkState | null): void {
    this.watchers?.changed({ childId: link.childId, from, to, critical: link.critical });
    this.kernel.emit(() => ({
      type: 'link',
      nodeId: this.nodeId,
      childId: link.childId,
      from,
      to,
      at: this.kernel.now(),
    }));
    if (from === null) return this.heartbeat.begin();
    // A suspected child may be alive behind a partition: what it owes is awaited until the
    // command's deadline, and a SYNC collects it if the child answers again.
    if (to === null || to === 'DISCONNECTED' || to === 'FAILED')
      this.commands.fanOut.onChildLost(link);
    if (to === null || to === 'unreachable') this.shutdown?.childGone(link.childId);
    if (to === null && this.children.size === 0) this.heartbeatImpl?.stop();
  }

  linksReset(counts: LinkCounts): void {
    this.watchers?.reset(counts);
  }

  subtreeChanged(): void {
    this.reports.changed();
  }

  awaitedFrom(childId: string): string[] {
    return this.commands.fanOut.awaitedFrom(childId);
  }

  probe(link: Link): void {
    this.children.probe(link);
  }

  /** Manual recovery: a fresh restart budget, then a recovery round now. */
  recover(): string[] {
    this.watchers?.resetBudget();
    return this.coordinating() ? this.children.restartUnavailable(false) : [];
  }

  /** Graceful removal: SHUTDOWN (drain) to the child, then `onDone` once it completed or timed out. */
  removeChild(childId: string, onDone: () => void): void {
    if (this.dead) return onDone();
    this.children.remove(childId, onDone);
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
    if (this.coordinating()) {
      if (this.children.size > 0) this.heartbeat.begin();
    } else this.heartbeatImpl?.stop();
    this.reports.changed();
  }

  /** Available and not shutting down: the node coordinates (and heartbeats) its children. */
  coordinating(): boolean {
    return isAvailableState(this.state) && this.shutdown === null && !this.dead;
  }

  /** The node's subtree, counted by state, from its children's last reports (never mutated). */
  subtree(): SubtreeCounts {
    return this.children.report(this.state).subtree;
  }

  // ── failure and shutdown ──────────────────────────────────────────────────────────────

  /** After a failure: fail in-flight commands, stop heartbeats. */
  async cleanup(): Promise<void> {
    this.heartbeatImpl?.stop();
    this.commandsImpl?.abortAll('NODE_FAILED', `${this.nodeId} failed: ${this.reason}`);
    this.children.clearInitTimers();
    await Promise.resolve();
  }

  /** Stop taking commands, shut children down, drain or abort in-flight work. */
  beginShutdown(mode: ShutdownMode, timeoutMs: number): void {
    this.shutdown = new NodeShutdown({
      links: this.links,
      sendToChild: (link, kind, body) => this.sendToChild(link, kind, body),
      // A suspected child is not waited for, neither its shutdown nor what it owes.
      giveUpOn: (link) => this.commands.fanOut.onChildLost(link),
      idle: () => this.commandsImpl?.idle ?? true,
      done: () => this.statechart?.send({ type: 'shutdown.done' }),
    });
    this.heartbeatImpl?.stop();
    this.commands.beginShutdown(mode);
    this.shutdown.begin(mode, timeoutMs);
  }

  /** Tells the statechart once children and work are done. */
  checkShutdownDone(): void {
    this.shutdown?.check();
  }

  /** The shutdown deadline passed: abort what is left; stragglers are stopped with the node. */
  forceShutdown(): void {
    this.shutdown?.force();
    this.commandsImpl?.abortAll('ABORTED', `${this.nodeId} shutdown deadline passed`);
  }

  /** Answers the parent's SHUTDOWN and stops answering anything else. */
  reportShutdownComplete(): void {
    this.sendToParent('COORD_COMPLETE', { of: 'shutdown', forced: this.shutdown?.forced ?? 0 });
    this.stop();
    this.onShutdownComplete?.(this.shutdown?.forced ?? 0);
  }

  // ── outbound ──────────────────────────────────────────────────────────────────────────

  sendToParent<K extends MessageKind>(kind: K, body: MessageBodies[K]): string {
    this.parentRoute ??= this.kernel.route(this.parentId);
    return this.sendEnvelope(kind, this.parentId, this.parentEpoch, body, this.parentRoute);
  }

  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string {
    link.sent++;
    link.route ??= this.kernel.route(link.childId);
    return this.sendEnvelope(kind, link.childId, link.epoch, body, link.route);
  }

  private sendEnvelope<K extends MessageKind>(
    kind: K,
    to: string,
    epoch: number,
    body: MessageBodies[K],
    route: Route | undefined,
    session = this.session ?? '',
  ): string {
    const { kernel } = this;
    const id = kernel.newId();
    const at = kernel.now();
    kernel.send(
      newEnvelope(kind, id, session, epoch, this.nodeId, to, ++this.seq, at, body),
      route,
    );
    return id;
  }
}
