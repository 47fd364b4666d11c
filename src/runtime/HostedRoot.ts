/**
 * The root of a hosted tree: a subtree whose parent runs in another process. It answers that
 * parent over the transport, like every other node; here is only what the API adds: waiting for
 * the parent's INIT, noticing the parent's SHUTDOWN, and shutting down on the host's own request.
 */
import { isAvailableState, type ShutdownMode } from '../../machines/index.js';
import { InvalidSpecError, TreeLifecycleError } from '../errors.js';
import { childBudget } from '../policy/policy.js';
import type { Topology } from '../spec/treeSpec.js';
import type { NodeEndpoint } from './NodeEndpoint.js';
import type { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** What the hosted root needs from its tree. */
export interface HostedRootHost {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  /** Sends the root's statechart an event. */
  sendRoot(event: { type: 'parent.shutdown'; mode: ShutdownMode; timeoutMs: number }): void;
  /** The parent shut the subtree down: the tree should release everything. */
  stopped(): void;
  /** The parent has been silent too long: the tree should shut down (abort). */
  parentLost(): void;
}

/** One hosted tree's root. */
export class HostedRoot {
  /** Set once the root has answered a SHUTDOWN: how many below it were forced. */
  private finished: { forced: number } | null = null;
  private waiter: ((forced: number) => void) | null = null;
  private watchdog: ReturnType<Timers['set']> | null = null;
  private lost = false;
  private byParent = false;
  /** Clock time the parent was last heard from in its session, ms (null: not yet initialised). */
  private parentHeardAt: number | null = null;

  constructor(
    readonly parentId: string,
    private readonly root: NodeEndpoint,
    private readonly host: HostedRootHost,
  ) {
    root.onShutdownComplete = (forced) => {
      this.finished = { forced };
      if (this.waiter) return this.waiter(forced);
      this.byParent = true;
      host.stopped();
    };
  }

  /**
   * Watches the parent: once it has been silent for `silenceMs` in a session (it crashed, or a
   * partition outlasted the silence cap its own supervision uses), the subtree is given up, so
   * that a restarted parent can initialise a fresh one (a node keeps to its parent's session).
   */
  watch(silenceMs: number): void {
    const { kernel, timers } = this.host;
    this.root.onParentEnvelope = () => (this.parentHeardAt = kernel.now());
    const check = (): void => {
      this.watchdog = null;
      if (this.finished !== null || this.waiter !== null) return;
      const heardAt = this.parentHeardAt;
      if (heardAt !== null && kernel.now() - heardAt >= silenceMs) {
        this.lost = true;
        return this.host.parentLost();
      }
      this.watchdog = timers.set(check, silenceMs / 4);
    };
    this.watchdog = timers.set(check, silenceMs / 4);
  }

  /** Why the subtree shut down, if not on the host's own request. */
  get cause(): 'parent' | 'parent-lost' | undefined {
    return this.lost ? 'parent-lost' : this.byParent ? 'parent' : undefined;
  }

  /** Resolves with the root's state once its parent has initialised it (no deadline). */
  joined(): Promise<'SYNCHRONIZED' | 'DEGRADED'> {
    const root = this.root;
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        if (!isAvailableState(root.state)) return false;
        resolve(root.state as 'SYNCHRONIZED' | 'DEGRADED');
        return true;
      };
      if (settle()) return;
      const subscription = this.host.kernel.events.of(['transition']).subscribe({
        next: (event) => {
          if (event.type === 'transition' && event.nodeId === root.nodeId && settle())
            subscription.unsubscribe();
        },
        complete: () =>
          reject(
            new TreeLifecycleError(
              `The tree shut down before its parent ${this.parentId} initialised it.`,
            ),
          ),
      });
    });
  }

  /**
   * Shuts the subtree down as if its parent asked (unless it already did); resolves with the
   * count of force-stopped children, or -1 if the root did not finish within `timeoutMs`.
   */
  shutdown(mode: ShutdownMode, timeoutMs: number): Promise<number> {
    if (this.finished !== null) return Promise.resolve(this.finished.forced);
    const timers = this.host.timers;
    return new Promise((resolve) => {
      const timer = timers.set(() => resolve(-1), timeoutMs + Math.max(100, timeoutMs * 0.1));
      this.waiter = (forced) => {
        timers.clear(timer);
        resolve(forced);
      };
      this.host.sendRoot({ type: 'parent.shutdown', mode, timeoutMs: childBudget(timeoutMs) });
    });
  }
}

/** Checks the `parent` option of a hosted tree; `undefined` for a tree that runs its root. */
export function validateParent(parent: unknown, topology: Topology): string | undefined {
  if (parent === undefined) return undefined;
  if (typeof parent !== 'string' || parent.trim() === '' || parent.startsWith('$')) {
    throw new InvalidSpecError(
      `options.parent must be the id of the remote parent node (a non-empty string not starting with "$"); got ${JSON.stringify(parent)}.`,
    );
  }
  if (topology.has(parent)) {
    throw new InvalidSpecError(
      `options.parent ${JSON.stringify(parent)} is a node of this tree; the parent of a hosted tree runs in another process.`,
    );
  }
  return parent;
}
