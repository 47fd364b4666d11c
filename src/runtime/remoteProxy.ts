/**
 * The proxy of a child that runs in another process. It stands in the parent's actor system
 * where a local child's node actor would (same id, same system id), so the parent's statechart
 * cannot tell the two apart; the protocol reaches the real node through the transport. Its
 * snapshot mirrors the parent's view of the link, so an inspector shows the remote node's state.
 */
import { fromTransition, type AnyActorRef } from 'xstate';
import type { LinkState, NodeInput } from '../../machines/index.js';

/** What the proxy holds: the remote node, its parent, and the parent's view of it. */
export interface RemoteProxyContext {
  readonly nodeId: string;
  readonly parentId: string;
  readonly remote: true;
  readonly state: LinkState;
}

/** The parent's view of the link changed. */
export interface RemoteStateEvent {
  readonly type: 'remote.state';
  readonly state: LinkState;
}

/** The proxy logic; `register` hands the started proxy to its parent's endpoint. */
export function remoteProxyLogic(
  register: (parentId: string, nodeId: string, proxy: AnyActorRef) => void,
) {
  const logic = fromTransition<RemoteProxyContext, RemoteStateEvent, never, NodeInput>(
    (context, event) =>
      event.type === 'remote.state' && event.state !== context.state
        ? { ...context, state: event.state }
        : context,
    ({ input }) => ({
      nodeId: input.shape.id,
      parentId: input.parentId,
      remote: true,
      state: 'pending',
    }),
  );
  return {
    ...logic,
    start: (snapshot: { context: RemoteProxyContext }, scope: { self: AnyActorRef }) =>
      register(snapshot.context.parentId, snapshot.context.nodeId, scope.self),
  } as typeof logic;
}
