/**
 * `fractal-coord viz`: a tree in this process, served to the visualizer, with every control
 * (commands, kill, revive, partition, heal, recover, shutdown) on the page. The tree comes from
 * a spec file, or is a balanced tree of a given size (to see how a large tree reads).
 */
import { createCoordinationTree } from '../runtime/createCoordinationTree.js';
import { InProcessTransport } from '../transport/InProcessTransport.js';
import { ReliableTransport } from '../reliability/ReliableTransport.js';
import type { NodeSpec } from '../spec/treeSpec.js';
import { FaultInjectingTransport } from '../testing/FaultInjectingTransport.js';
import { startVisualizer } from '../viz/server.js';
import { defaultHandler, onStopSignal, type Print } from './cluster.js';
import { loadSpecFile } from './specFile.js';

/** Options of {@link runViz}. */
export interface VizOptions {
  /** A spec file (as `fractal-coord run` reads it); remote marks are ignored here. */
  readonly spec?: string;
  /** Without a spec: a balanced tree of fan-out 10 with about this many nodes. Default 111. */
  readonly size?: number;
  /** Port on 127.0.0.1. Default 0: a free one. */
  readonly port?: number;
  readonly print?: Print;
}

/** Serves the tree until Ctrl-C, or until it is shut down from the page; resolves to the exit code. */
export async function runViz(options: VizOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const file = options.spec === undefined ? undefined : await loadSpecFile(options.spec);
  const root = file ? withoutRemote(file.root) : balancedSpec(options.size ?? 111, 10);
  const faults = new FaultInjectingTransport(new InProcessTransport());
  const tree = createCoordinationTree({
    root,
    handler: defaultHandler,
    transport: new ReliableTransport(faults),
    ...(file?.policy ? { policy: file.policy } : {}),
  });
  const visualizer = await startVisualizer({
    tree,
    faults,
    treeName: file?.tree ?? root.id,
    port: options.port ?? 0,
  });
  const stop = onStopSignal();
  try {
    print(`visualizer: ${visualizer.url}  (open it in a browser; Ctrl-C stops)`);
    print(`tree ${root.id}: ${await tree.start()}`);
    await Promise.race([stop.signalled, tree.done]);
    await tree.shutdown();
    print('tree shut down');
    return 0;
  } finally {
    stop.dispose();
    await visualizer.close();
  }
}

/** A balanced tree of fan-out `fanOut` with about `size` nodes (whole levels, at least `size`). */
export function balancedSpec(size: number, fanOut: number): NodeSpec {
  let levels = 1;
  for (let nodes = 1, width = 1; nodes < size; levels++) {
    width *= fanOut;
    nodes += width;
  }
  const build = (id: string, level: number): NodeSpec =>
    level === levels - 1
      ? { id }
      : {
          id,
          children: Array.from({ length: fanOut }, (_, i) => build(`${id}.${i}`, level + 1)),
        };
  return build('n', 0);
}

/** Here every node runs in this process. */
function withoutRemote(spec: NodeSpec): NodeSpec {
  const { remote: _remote, children, ...rest } = spec;
  return children ? { ...rest, children: children.map(withoutRemote) } : rest;
}
