/**
 * `fractal-coord` command-line processes for integration tests: real child processes running
 * the CLI from source, their output collected, stopped by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once its output matches `pattern` (rejects after `timeoutMs`, or if it exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `fractal-coord <args>` from source (through tsx) with `env` added; `input` is written
 * to its standard input line by line, each once the output matches its pattern.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  input: readonly (readonly [RegExp, string])[] = [],
): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: [input.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const script = [...input];
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    while (script.length > 0 && script[0]![0].test(output)) {
      child.stdin?.write(`${script.shift()![1]}\n`);
      if (script.length === 0) child.stdin?.end();
    }
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      for (const listener of [...listeners]) listener();
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(output)) finish();
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(new Error(`exited before printing ${String(pattern)}:\n${output}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
        function finish(error?: Error): void {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        }
        listeners.add(check);
        check();
      });
    },
  };
}

/** Stops every process still running (SIGKILL), for `afterEach`. */
export async function stopAll(processes: readonly CliProcess[]): Promise<void> {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  }
  await Promise.all(processes.map((p) => p.exited));
}
