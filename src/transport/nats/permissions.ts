/**
 * The NATS subject permissions a process of a tree needs, and no more: it subscribes to the
 * subjects of the nodes it runs, and publishes to those of their peers in other processes (its
 * hosted root's parent, and its remote children). Envelopes between its own nodes do not touch
 * the server (`localDelivery`, the default).
 */
import { InvalidSpecError } from '../../errors.js';
import { CLIENT_ID } from '../../runtime/TreeClient.js';
import { hostedSpec, subtreeIds, validateSpec, type NodeSpec } from '../../spec/treeSpec.js';
import { nodeSubject } from './NatsTransport.js';

/** Subjects a process may publish to and subscribe to. */
export interface SubjectPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/**
 * The permissions of the process that runs `nodeId`'s subtree (`fractal-coord host --node`),
 * or, without `nodeId`, of the process that runs the root (`fractal-coord run`).
 * @param spec the whole tree, remote nodes marked
 * @throws InvalidSpecError for a malformed spec or a `nodeId` not in it
 */
export function subjectPermissions(
  tree: string,
  spec: NodeSpec,
  nodeId?: string,
): SubjectPermissions {
  const hosted = nodeId === undefined ? null : hostedSpec(spec, nodeId);
  const topology = validateSpec(hosted?.root ?? spec);
  const rootId = hosted?.root.id ?? spec.id;
  const local = subtreeIds(topology, rootId).filter((id) => !topology.get(id)!.remote);
  const remote = subtreeIds(topology, rootId).filter((id) => topology.get(id)!.remote);
  if (local.length === 0) {
    throw new InvalidSpecError(`${rootId} runs no node in this process.`);
  }
  // The root's process also runs the API's end, the root's parent.
  const subscribers = hosted === null ? [CLIENT_ID, ...local] : local;
  const peers = hosted === null ? remote : [hosted.parent, ...remote];
  return {
    publish: peers.map((id) => nodeSubject(tree, id)),
    subscribe: subscribers.map((id) => nodeSubject(tree, id)),
  };
}
