/**
 * Commands at one node, outside the statechart (they change no coordination state): ACK on
 * receipt, deduplication by message id and command id (a handler runs at most once per
 * command), bounded concurrency, the leaf's handler with retry, deadline and abort, answers to
 * SYNC, and shutdown. A coordinator's side (fan-out, aggregation) is the `CommandFanOut`.
 */
import {
  isAvailableState,
  type CommandReply,
  type CommandSpec,
  type CoordinationState,
  type Envelope,
  type MessageBodies,
  type MessageKind,
  type ShutdownMode,
  type SubtreeCounts,
  type SyncReport,
} from '../../machines/index.js';
import type { Link } from './Link.js';
import type { Timers } from './Timers.js';
import { CommandFanOut } from './CommandFanOut.js';
import { DEDUP_GRACE_MS, DedupMemory, type Reply } from './DedupMemory.js';
import { abortRun, newRunning, type Running } from './runningCommand.js';
import {
  completedBody,
  describeError,
  handlerRetryDelay,
  invokeHandler,
  type HandlerOutcome,
} from './leafHandler.js';
import type { TreeKernel } from './TreeKernel.js';

/** `finish` was given no handler result. */
const NO_RESULT = Symbol('no result');

/** What the engine needs from its node. */
export interface CommandHost {
  readonly nodeId: string;
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  readonly state: CoordinationState;
  readonly links: ReadonlyMap<string, Link>;
  sendToParent<K extends MessageKind>(kind: K, body: MessageBodies[K]): string;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  markUnreachable(childId: string): void;
  checkShutdownDone(): void;
  /** The node's subtree, by its children's latest reports. */
  subtree(): SubtreeCounts;
}

/** One node's commands. */
export class CommandEngine {
  /** Built on first use, like the other collections: most nodes of a big tree stay idle. */
  private runningImpl: Map<string, Running> | null = null;
  private readonly queue: { spec: CommandSpec; receivedAt: number }[] = [];
  private queuedImpl: Set<string> | null = null;
  private readonly memory = new DedupMemory();
  /** Built on first use: a leaf never fans out. */
  private fanOutImpl: CommandFanOut | null = null;
  private accepting = true;
  private dequeuing = false;
  private draining = false;

  constructor(private readonly host: CommandHost) {}

  /** Commands in flight here, by id. */
  private get running(): Map<string, Running> {
    return (this.runningImpl ??= new Map());
  }

  /** Ids of the commands waiting in `queue`. */
  private get queued(): Set<string> {
    return (this.queuedImpl ??= new Set());
  }

  /** The coordinator's side: fan-out to children, their answers, reconciliation. */
  get fanOut(): CommandFanOut {
    return (this.fanOutImpl ??= new CommandFanOut(this.host, this.running, {
      aggregated: (run) => this.finishAggregate(run),
      reconciled: (run) => this.emit('reconciled', run.spec),
    }));
  }

  /** Nothing running or queued. */
  get idle(): boolean {
    return (this.runningImpl === null || this.runningImpl.size === 0) && this.queue.length === 0;
  }

  // ── from the parent ───────────────────────────────────────────────────────────────────

  /** A COORD_COMMAND: acknowledge, deduplicate, then run, queue or refuse each command. */
  onCommand(envelope: Envelope<'COORD_COMMAND'>): void {
    this.host.sendToParent('COORD_ACK', { ackOf: envelope.id });
    const receivedAt = this.host.kernel.now();
    let deadline = receivedAt;
    for (const spec of envelope.body.commands)
      deadline = Math.max(deadline, receivedAt + spec.timeoutMs);
    if (this.memory.seenEnvelope(envelope.id, deadline + DEDUP_GRACE_MS, receivedAt)) {
      return this.host.kernel.drop(this.host.nodeId, 'duplicate', envelope);
    }
    for (const spec of envelope.body.commands) this.accept(spec, receivedAt);
  }

  private accept(spec: CommandSpec, receivedAt: number): void {
    if (this.memory.finishedCommand(spec.commandId)) {
      const reply = this.memory.replyOf(spec.commandId, this.host.nodeId);
      return reply ? this.reply(reply) : this.emit('duplicate', spec);
    }
    if (this.runningImpl?.has(spec.commandId) || this.queuedImpl?.has(spec.commandId)) return;
    this.emit('received', spec);
    if (!this.accepting || !isAvailableState(this.host.state)) {
      const code = this.accepting ? 'NOT_READY' : 'SHUTTING_DOWN';
      return this.finish(spec.commandId, receivedAt + spec.timeoutMs, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'node',
          code,
          leaves: this.host.subtree().leaves,
          message: `${this.host.nodeId} cannot take commands while ${this.accepting ? this.host.state : 'shutting down'}`,
          retriable: true,
          commandId: spec.commandId,
        },
      });
    }
    if (this.running.size >= this.host.kernel.policy.concurrency.maxInFlight) {
      this.queue.push({ spec, receivedAt });
      this.queued.add(spec.commandId);
      return;
    }
    this.start(spec, receivedAt);
  }

  private start(spec: CommandSpec, receivedAt: number): void {
    const now = this.host.kernel.now();
    const leaf = this.host.links.size === 0;
    const run = newRunning(spec, receivedAt, leaf);
    this.running.set(spec.commandId, run);
    // A leaf whose handler answers at once needs no deadline timer (nor does a big tree's
    // round need one per leaf): it is armed when the handler goes asynchronous or retries.
    if (leaf) return this.runHandler(run);
    this.armDeadline(run, now);
    this.fanOut.forward(run);
  }

  private armDeadline(run: Running, now: number): void {
    if (run.deadlineArmed) return;
    run.deadlineArmed = true;
    run.timers.push(
      this.host.timers.set(() => this.onDeadline(run), Math.max(0, run.deadlineAt - now)),
    );
  }

  // ── leaf: the user's handler ──────────────────────────────────────────────────────────

  private runHandler(run: Running): void {
    run.leaf = true;
    run.attempt++;
    const { kernel, nodeId } = this.host;
    const outcome = invokeHandler(kernel, nodeId, run);
    if (!(outcome instanceof Promise)) return this.onHandlerDone(run, outcome);
    this.armDeadline(run, kernel.now());
    void outcome.then((settled) => this.onHandlerDone(run, settled));
  }

  private onHandlerDone(run: Running, outcome: HandlerOutcome): void {
    if (this.running.get(run.spec.commandId) !== run) return; // already answered (deadline, abort)
    const { commandId } = run.spec;
    if (outcome.ok) {
      this.emit('executed', run.spec, 'completed');
      const body = completedBody(this.host.nodeId, commandId, outcome.value);
      return this.finish(commandId, run, { kind: 'COORD_COMPLETE', body }, outcome.value);
    }
    const error = describeError(outcome.error);
    const delay = handlerRetryDelay(this.host.kernel, error, run.attempt, run.deadlineAt);
    if (delay !== null) {
      this.armDeadline(run, this.host.kernel.now());
      run.timers.push(this.host.timers.set(() => this.runHandler(run), delay));
      return;
    }
    this.emit('executed', run.spec, 'failed');
    this.finish(commandId, run, {
      kind: 'COORD_ERROR',
      body: {
        scope: 'command',
        code: error.code,
        message: error.message,
        retriable: false,
        commandId,
      },
    });
  }

  private finishAggregate(run: Running): void {
    this.finish(run.spec.commandId, run, {
      kind: 'COORD_COMPLETE',
      body: {
        of: 'command',
        commandId: run.spec.commandId,
        counts: run.counts,
        outcomes: run.outcomes,
      },
    });
  }

  private onDeadline(run: Running): void {
    if (this.running.get(run.spec.commandId) !== run) return;
    if (this.host.links.size === 0 || run.leaf) {
      abortRun(run, new Error('command deadline passed'));
      this.emit('executed', run.spec, 'timedOut');
      return this.finish(run.spec.commandId, run, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'command',
          code: 'DEADLINE_EXCEEDED',
          message: `${this.host.nodeId}: deadline passed`,
          retriable: false,
          commandId: run.spec.commandId,
        },
      });
    }
    this.fanOut.giveUp(run, (leaves) => ({ status: 'timedOut', leaves }));
  }

  /** This node's answer to its parent's SYNC: where it is with each command asked about. */
  syncReport(incarnation: string, commandIds: readonly string[]): SyncReport {
    const finished: { commandId: string; reply?: CommandReply }[] = [];
    const running: string[] = [];
    const missing: string[] = [];
    for (const commandId of commandIds) {
      if (this.memory.finishedCommand(commandId)) {
        const reply = this.memory.replyOf(commandId, this.host.nodeId);
        finished.push(reply ? { commandId, reply } : { commandId });
      } else if (this.running.has(commandId) || this.queued.has(commandId)) {
        running.push(commandId);
      } else {
        missing.push(commandId);
      }
    }
    return { incarnation, finished, running, missing };
  }

  // ── endings ───────────────────────────────────────────────────────────────────────────

  /**
   * Answers a command, and remembers it (`run`, or the deadline of one that never ran). A
   * handler's `result`, when it completed, is remembered instead of the answer built from it.
   */
  private finish(
    commandId: string,
    run: Running | number,
    reply: Reply,
    result: unknown = NO_RESULT,
  ): void {
    if (typeof run !== 'number') {
      this.running.delete(commandId);
      for (const timer of run.timers) this.host.timers.clear(timer);
      this.fanOutImpl?.outbox.release(run.batchIds);
    }
    const deadline = typeof run === 'number' ? run : run.deadlineAt;
    const expiresAt = deadline + DEDUP_GRACE_MS;
    if (result === NO_RESULT)
      this.memory.finish(commandId, reply, expiresAt, this.host.kernel.now());
    else this.memory.finishCompleted(commandId, result, expiresAt, this.host.kernel.now());
    this.reply(reply);
    const spec =
      typeof run === 'number'
        ? { commandId, name: '', payload: undefined, timeoutMs: 0 }
        : run.spec;
    this.emit('replied', spec);
    this.dequeue();
    if (this.draining || !this.accepting) this.host.checkShutdownDone();
  }

  private reply(reply: Reply): void {
    this.host.sendToParent(reply.kind, reply.body);
  }

  /**
   * Starts queued commands while there is room. Not re-entered: a handler that answers at once
   * finishes inside `start`, and the loop here, not a deeper call, starts the next one.
   */
  private dequeue(): void {
    if (this.dequeuing) return;
    this.dequeuing = true;
    try {
      const max = this.host.kernel.policy.concurrency.maxInFlight;
      while (this.running.size < max && this.queue.length > 0) {
        const { spec, receivedAt } = this.queue.shift()!;
        this.queued.delete(spec.commandId);
        this.start(spec, receivedAt);
      }
    } finally {
      this.dequeuing = false;
    }
  }

  /** Stop taking commands; `abort` also cancels what runs. Queued work still runs when draining. */
  beginShutdown(mode: ShutdownMode): void {
    this.accepting = false;
    this.draining = mode === 'drain';
    this.fanOutImpl?.outbox.flushNow();
    // Leaves cancel their handlers; coordinators keep waiting for their children's answers,
    // which come quickly because the children are aborting too (the deadline bounds it).
    if (mode === 'abort')
      this.abortAll('ABORTED', `${this.host.nodeId} shut down (abort)`, 'leaves');
  }

  /**
   * Answers everything queued, and what runs (`all`) or only the running handlers (`leaves`),
   * with an error now, aborting handlers.
   */
  abortAll(code: string, message: string, scope: 'all' | 'leaves' = 'all'): void {
    this.fanOutImpl?.outbox.flushNow();
    for (const { spec, receivedAt } of this.queue.splice(0)) {
      this.queued.delete(spec.commandId);
      this.finish(spec.commandId, receivedAt + spec.timeoutMs, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'node',
          code,
          message,
          retriable: false,
          commandId: spec.commandId,
          leaves: this.host.subtree().leaves,
        },
      });
    }
    for (const run of [...this.running.values()]) {
      if (run.leaf) {
        abortRun(run, new Error(message));
        this.finish(run.spec.commandId, run, {
          kind: 'COORD_ERROR',
          body: {
            scope: 'command',
            code,
            message,
            retriable: false,
            commandId: run.spec.commandId,
          },
        });
      } else if (scope === 'all') {
        // Sent to these children, unanswered: whether they ran it is unknown.
        this.fanOut.giveUp(run, (leaves) => ({ status: 'timedOut', leaves }));
      }
    }
  }

  /** Crash or disposal: abort handlers, forget everything, answer nothing. */
  kill(): void {
    this.accepting = false;
    for (const run of this.running.values()) {
      abortRun(run, new Error(`${this.host.nodeId} stopped`));
      for (const timer of run.timers) this.host.timers.clear(timer);
    }
    this.running.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.fanOutImpl?.outbox.clear();
  }

  private emit(
    phase: 'received' | 'executed' | 'replied' | 'duplicate' | 'reconciled',
    spec: CommandSpec,
    status?: 'completed' | 'failed' | 'timedOut',
  ): void {
    const { kernel, nodeId } = this.host;
    if (!kernel.events.watching('command')) return;
    kernel.events.publish({
      type: 'command',
      phase,
      nodeId,
      commandId: spec.commandId,
      name: spec.name,
      ...(status ? { status } : {}),
      at: kernel.now(),
    });
  }
}
