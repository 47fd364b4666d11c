/**
 * The spec file of `fractal-coord run` and `fractal-coord host`: the whole tree (with remote
 * nodes marked), its name on the wire, and its policy, as JSON.
 *
 * ```json
 * { "tree": "shop", "policy": { "heartbeat": { "intervalMs": 500 } },
 *   "root": { "id": "root", "children": [{ "id": "eu", "remote": true, "children": [{ "id": "eu-1" }] }] } }
 * ```
 * A file holding only a node (`{ "id": "root", ... }`) is the root, with no name or policy.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidSpecError } from '../errors.js';
import type { CoordinationPolicy } from '../policy/policy.js';
import { validateSpec, type NodeSpec } from '../spec/treeSpec.js';

/** A loaded spec file. */
export interface SpecFile {
  readonly tree?: string;
  readonly policy?: CoordinationPolicy;
  readonly root: NodeSpec;
}

const fileSchema = z.union([
  z.object({
    tree: z.string().optional(),
    policy: z.record(z.string(), z.unknown()).optional(),
    root: z.object({ id: z.unknown() }).loose(),
  }),
  z.object({ id: z.unknown() }).loose(),
]);

/**
 * Reads and checks a spec file. The tree itself is checked as `createCoordinationTree` checks
 * it; the policy when the tree is created.
 * @throws InvalidSpecError naming the file and what is wrong
 */
export async function loadSpecFile(path: string): Promise<SpecFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidSpecError(`Cannot read the spec file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidSpecError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidSpecError(
      `${path} must hold { "root": { "id": ... }, "tree"?: string, "policy"?: {...} } or a root node; ${z.prettifyError(parsed.error)}`,
    );
  }
  const file = 'root' in parsed.data ? parsed.data : { root: parsed.data };
  try {
    validateSpec(file.root);
  } catch (error) {
    throw new InvalidSpecError(`${path}: ${(error as Error).message}`);
  }
  return file as SpecFile;
}
