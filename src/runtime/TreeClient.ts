/**
 * The API's end of the protocol: the root's parent. `start()` is an INIT to the root,
 * `command()` a COORD_COMMAND, `shutdown()` a COORD_SHUTDOWN, each answered the way any
 * child answers its parent, so the root is driven exactly like every other node.
 */
import {
  type AnyEnvelope,
  type CommandSpec,
  type CommandStatus,
  type CoordinationState,
  type MessageBodies,
  type MessageKind,
  type Outcome,
  type OutcomeCounts,
  type ShutdownMode,
  type SubtreeCounts,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import type { CommandResult } from './commandTypes.js';
import { newEnvelope } from './envelope.js';
import { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** The reserved id of the API's endpoint (node ids may not start with `$`). */
export const CLIENT_ID = '$client';

/** Status of aggregated counts: every leaf completed, some did, or none did. */
export function statusOf(counts: OutcomeCounts): CommandStatus {
  const total = counts.completed + counts.failed + counts.skipped + counts.timedOut;
  if (counts.completed === total) return 'completed';
  return counts.completed > 0 ? 'partial' : 'failed';
}

interface PendingCommand {
  readonly name: string;
  readonly resolve: (result: CommandResult) => void;
  readonly timer: ReturnType<Timers['set']>;
}

/** Outcome of the root's INIT: the state it settled in, or why it did not. */
export type InitOutcome =
  | { readonly ok: true; readonly state: CoordinationState }
  | { readonly ok: false; readonly reason: string };

/** The root's parent. */
export class TreeClient {
  readonly timers: Timers;
  readonly session: string;
  /** The root's last reported state. */
  rootState: CoordinationState = 'DISCONNECTED';
  rootSubtree: SubtreeCounts | null = null;
  private epoch = 0;
  private seq = 0;
  private readonly initWaiters = new Set<(outcome: InitOutcome) => void>();
  /** Once the tree has started, the client re-INITs a root that went down (it supervises the root). */
  private supervising = false;
  private recoveryAttempt = 0;
  private recoveryTimer: ReturnType<Timers['set']> | null = null;
  private shutdownWaiter: ((forced: number) => void) | null = null;
  private readonly commands = new Map<string, PendingCommand>();
  private readonly outbox: CommandSpec[] = [];
  /** The root answered READY in this session: commands may go (never a COMMAND before READY). */
  private rootJoined = false;
  /** Clock times of the root re-INITs within the restart window. */
  private restarts: number[] = [];
  private readonly detach: () => void;

  constructor(
    private readonly kernel: TreeKernel,
    readonly rootId: string,
    private readonly leavesHint: () => number,
  ) {
    this.timers = new Timers(kernel.clock);
    this.session = kernel.newId();
    this.detach = kernel.transport.attach(CLIENT_ID, this.receive);
  }

  /** INIT the root in a new epoch; resolves when it answers or `timeoutMs` passes. */
  init(timeoutMs: number): Promise<InitOutcome> {
    this.epoch++;
    return new Promise((resolve) => {
      const waiter = (outcome: InitOutcome): void => {
        this.initWaiters.delete(waiter);
        this.timers.clear(timer);
        resolve(outcome);
      };
      const timer = this.timers.set(
        () => waiter({ ok: false, reason: `the root did not answer INIT within ${timeoutMs} ms` }),
        timeoutMs + Math.max(100, timeoutMs * 0.1),
      );
      this.initWaiters.add(waiter);
      this.send('COORD_INIT', { timeoutMs });
    });
  }

  /**
   * From now on, re-INIT the root with backoff (policy.retry) whenever it reports FAILED or
   * DISCONNECTED, the way every coordinator recovers its children, within the restart budget
   * (which this call renews).
   */
  superviseRoot(): void {
    this.supervising = true;
    this.restarts = [];
  }

  private onRootState(state: CoordinationState): void {
    this.rootState = state;
    if (state === 'SYNCHRONIZED' || state === 'DEGRADED') {
      this.recoveryAttempt = 0;
      return;
    }
    if ((state !== 'FAILED' && state !== 'DISCONNECTED') || !this.supervising || this.recoveryTimer)
      return;
    // The restart budget bounds the root's restarts too; past it the root stays down until
    // tree.recover(rootId).
    const { maxRestarts, windowMs } = this.kernel.policy.restartBudget;
    const now = this.kernel.now();
    this.restarts = this.restarts.filter((at) => now - at < windowMs);
    if (this.restarts.length >= maxRestarts) {
      this.supervising = false;
      return;
    }
    this.restarts.push(now);
    const { initialDelayMs, factor, maxDelayMs } = this.kernel.policy.retry;
    const delay = this.kernel.jittered(
      Math.min(maxDelayMs, initialDelayMs * factor ** this.recoveryAttempt++),
    );
    this.recoveryTimer = this.timers.set(() => {
      this.recoveryTimer = null;
      void this.init(this.kernel.policy.timeouts.initMs);
    }, delay);
  }

  /** Issue a command at the root; always resolves, with `timedOut` leaves past `timeoutMs`. */
  command(
    commandId: string,
    name: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<CommandResult> {
    this.emitCommand('issued', commandId, name);
    return new Promise((resolve) => {
      const timer = this.timers.set(() => {
        const leaves = this.leaves();
        this.settleCommand(commandId, {
          counts: { completed: 0, failed: 0, skipped: 0, timedOut: leaves },
          outcomes: [[this.rootId, { status: 'timedOut', leaves }]],
        });
      }, timeoutMs);
      this.commands.set(commandId, { name, resolve, timer });
      this.enqueue({ commandId, name, payload, timeoutMs: childBudget(timeoutMs) });
    });
  }

  /** Commands issued in the same tick travel to the root as one batch (policy.batching). */
  private enqueue(spec: CommandSpec): void {
    this.outbox.push(spec);
    if (this.outbox.length > 1) return;
    const delay = this.kernel.policy.batching.maxDelayMs;
    if (delay === 0) queueMicrotask(this.flush);
    else this.timers.set(this.flush, delay);
  }

  private readonly flush = (): void => {
    if (!this.rootJoined) return; // sent once the root answers READY
    const size = this.kernel.policy.batching.maxBatchSize;
    const specs = this.outbox.splice(0);
    for (let i = 0; i < specs.length; i += size) {
      this.send('COORD_COMMAND', { commands: specs.slice(i, i + size) });
    }
  };

  /** SHUTDOWN the root; resolves with the count of force-stopped children, or -1 if it never answered. */
  shutdown(mode: ShutdownMode, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const timer = this.timers.set(
        () => this.shutdownWaiter?.(-1),
        timeoutMs + Math.max(100, timeoutMs * 0.1),
      );
      this.shutdownWaiter = (forced) => {
        this.shutdownWaiter = null;
        this.timers.clear(timer);
        resolve(forced);
      };
      this.send('COORD_SHUTDOWN', { mode, timeoutMs: childBudget(timeoutMs) });
    });
  }

  /** Stop listening; commands still pending resolve as skipped. */
  dispose(): void {
    for (const commandId of [...this.commands.keys()]) {
      const leaves = this.leaves();
      this.settleCommand(commandId, {
        counts: { completed: 0, failed: 0, skipped: leaves, timedOut: 0 },
        outcomes: [[this.rootId, { status: 'skipped', reason: 'tree shut down', leaves }]],
      });
    }
    this.supervising = false;
    for (const waiter of [...this.initWaiters]) waiter({ ok: false, reason: 'tree shut down' });
    this.shutdownWaiter?.(-1);
    this.timers.clearAll();
    this.detach();
  }

  private readonly receive = (envelope: AnyEnvelope): void => {
    const kernel = this.kernel;
    if (envelope.from !== this.rootId) return kernel.drop(CLIENT_ID, 'unknown-sender', envelope);
    if (envelope.session !== this.session) return kernel.drop(CLIENT_ID, 'stale-session', envelope);
    if (envelope.epoch < this.epoch) return kernel.drop(CLIENT_ID, 'stale-epoch', envelope);
    kernel.stats.received++;
    switch (envelope.kind) {
      case 'COORD_READY':
        this.rootSubtree = envelope.body.subtree;
        this.onRootState(envelope.body.state);
        this.settleInit({ ok: true, state: envelope.body.state });
        if (!this.rootJoined) {
          this.rootJoined = true;
          if (this.outbox.length > 0) this.flush();
        }
        return;
      case 'COORD_STATUS':
        this.rootSubtree = envelope.body.subtree;
        return this.onRootState(envelope.body.state);
      case 'COORD_ERROR': {
        const { commandId } = envelope.body;
        if (commandId === undefined) {
          this.settleInit({ ok: false, reason: envelope.body.message });
          return this.onRootState('FAILED');
        }
        const leaves = envelope.body.leaves ?? this.leaves();
        const outcome: Outcome =
          envelope.body.scope === 'node'
            ? { status: 'skipped', reason: envelope.body.code, leaves }
            : envelope.body.code === 'DEADLINE_EXCEEDED'
              ? { status: 'timedOut', leaves }
              : {
                  status: 'failed',
                  error: { code: envelope.body.code, message: envelope.body.message },
                };
        const counts = { completed: 0, failed: 0, skipped: 0, timedOut: 0 };
        if (outcome.status === 'failed') counts.failed = 1;
        else if (outcome.status === 'skipped') counts.skipped = leaves;
        else counts.timedOut = leaves;
        return this.settleCommand(commandId, { counts, outcomes: [[this.rootId, outcome]] });
      }
      case 'COORD_COMPLETE':
        if (envelope.body.of === 'shutdown') return this.shutdownWaiter?.(envelope.body.forced);
        return this.settleCommand(envelope.body.commandId, envelope.body);
      case 'COORD_ACK':
        return;
      default:
        return kernel.drop(CLIENT_ID, 'unknown-sender', envelope);
    }
  };

  private leaves(): number {
    return this.rootSubtree?.leaves ?? this.leavesHint();
  }

  private settleInit(outcome: InitOutcome): void {
    for (const waiter of [...this.initWaiters]) waiter(outcome);
  }

  private settleCommand(
    commandId: string,
    body: {
      readonly counts: OutcomeCounts;
      readonly outcomes: readonly (readonly [string, Outcome])[];
    },
  ): void {
    const pending = this.commands.get(commandId);
    if (!pending) return;
    this.commands.delete(commandId);
    this.timers.clear(pending.timer);
    const status = statusOf(body.counts);
    this.emitCommand('finished', commandId, pending.name, status);
    const counts = { ...body.counts };
    outcomeMap(body.outcomes, (outcomes) =>
      pending.resolve({ commandId, status, counts, outcomes }),
    );
  }

  private emitCommand(
    phase: 'issued' | 'finished',
    commandId: string,
    name: string,
    status?: CommandStatus,
  ): void {
    this.kernel.emit(() => ({
      type: 'command',
      phase,
      nodeId: CLIENT_ID,
      commandId,
      name,
      ...(status ? { status } : {}),
      at: this.kernel.now(),
    }));
  }

  private send<K extends MessageKind>(kind: K, body: MessageBodies[K]): void {
    const { kernel } = this;
    kernel.send(
      newEnvelope(
        kind,
        kernel.newId(),
        this.session,
        this.epoch,
        CLIENT_ID,
        this.rootId,
        ++this.seq,
        kernel.now(),
        body,
      ),
    );
  }
}

/** Outcomes copied into a result's map per turn of the event loop. */
const OUTCOME_SLICE = 20_000;

/**
 * The outcomes as a map, handed to `done`: at once for most results; a bigger one (a command
 * to 100 000 leaves) is built in slices, so that the event loop keeps turning meanwhile.
 */
export function outcomeMap(
  entries: readonly (readonly [string, Outcome])[],
  done: (outcomes: Map<string, Outcome>) => void,
): void {
  if (entries.length <= OUTCOME_SLICE) return done(new Map(entries));
  const outcomes = new Map<string, Outcome>();
  let next = 0;
  const slice = (): void => {
    const end = Math.min(entries.length, next + OUTCOME_SLICE);
    for (; next < end; next++) outcomes.set(entries[next]![0], entries[next]![1]);
    if (next < entries.length) setImmediate(slice);
    else done(outcomes);
  };
  slice();
}
