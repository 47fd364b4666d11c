/**
 * Security over NATS: a server that requires credentials (user/password, nkey, token), each
 * process limited to the subjects `subjectPermissions` documents for it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, Events, nkeys } from 'nats';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { startCli, stopAll, type CliProcess } from '../helpers/hostProcess.js';
import { subjectPermissions, type NodeSpec } from '../helpers/imports.js';

const SPEC_FILE = 'test/fixtures/cluster/tree.json';
const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as { tree: string; root: NodeSpec };
/** The part of an nkeys key pair used here. */
interface UserKey {
  getSeed(): Uint8Array;
  getPublicKey(): string;
}

const dir = mkdtempSync(join(tmpdir(), 'fc-auth-'));

/** A server config: `root`, `eu` and `us` by password, `ap` by nkey, each with its subjects. */
function serverConfig(apPublicKey: string): string {
  const allow = (node?: string) => JSON.stringify(subjectPermissions(spec.tree, spec.root, node));
  return `authorization {
  users = [
    { user: "root", password: "root-pw", permissions: ${allow()} }
    { user: "eu", password: "eu-pw", permissions: ${allow('eu')} }
    { user: "us", password: "us-pw", permissions: ${allow('us')} }
    { nkey: "${apPublicKey}", permissions: ${allow('ap')} }
  ]
}
`;
}

describe('NATS with authentication and per-process subject permissions', () => {
  let server: NatsServer;
  let processes: CliProcess[] = [];
  const apKey = (nkeys as { createUser(): UserKey }).createUser();
  const apSeedFile = join(dir, 'ap.nk');

  beforeAll(async () => {
    writeFileSync(apSeedFile, new TextDecoder().decode(apKey.getSeed()));
    const config = join(dir, 'server.conf');
    writeFileSync(config, serverConfig(apKey.getPublicKey()));
    server = await startNatsServer(['-c', config]);
  });

  afterEach(async () => {
    await stopAll(processes);
    processes = [];
  });

  afterAll(async () => {
    await server?.stop();
  });

  const cli = (args: string[], env: Record<string, string> = {}): CliProcess => {
    const p = startCli(args, env);
    processes.push(p);
    return p;
  };

  it('should refuse a client without credentials, and say how to pass them', async () => {
    // Act
    const refused = connect({ servers: server.url, reconnect: false });
    const host = cli(['host', '--nats', server.url, '--spec', SPEC_FILE, '--node', 'eu']);
    // Assert
    await expect(refused).rejects.toThrow(/authorization/i);
    expect(await host.exited).toBe(1);
    expect(host.output()).toMatch(/Cannot connect to NATS .*Authorization Violation/i);
    expect(host.output()).toContain('--token, --user/--password, --nkey or --creds');
  });

  it('should form the tree and complete commands with every process limited to its subjects', async () => {
    // Arrange
    const base = ['host', '--nats', server.url, '--spec', SPEC_FILE];
    const hosts = [
      cli([...base, '--node', 'eu', '--user', 'eu', '--password', 'eu-pw']),
      cli([...base, '--node', 'us'], { NATS_USER: 'us', NATS_PASSWORD: 'us-pw' }),
      cli([...base, '--node', 'ap', '--nkey', apSeedFile]),
    ];
    await Promise.all(hosts.map((h) => h.waitFor(/waiting for root/)));
    // Act
    const run = cli(
      ['run', '--nats', server.url, '--spec', SPEC_FILE, '--command', 'deploy'].concat([
        '--user',
        'root',
        '--password',
        'root-pw',
      ]),
    );
    // Assert
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain('command deploy: completed (6 completed');
    expect(await Promise.all(hosts.map((h) => h.exited))).toEqual([0, 0, 0]);
    expect(run.output()).not.toMatch(/permissions.violation/i);
  });

  it("should refuse a process's publish outside its subjects (a host forging for a sibling)", async () => {
    // Arrange
    const eu = await connect({ servers: server.url, user: 'eu', pass: 'eu-pw' });
    const violations: string[] = [];
    const watching = (async () => {
      for await (const status of eu.status()) {
        if (status.type === Events.Error)
          violations.push(
            typeof status.data === 'string' ? status.data : JSON.stringify(status.data),
          );
        if (violations.length > 0) return;
      }
    })();
    // Act
    eu.publish('fc.cluster.us', new TextEncoder().encode('{}'));
    await eu.flush();
    await Promise.race([watching, new Promise((r) => setTimeout(r, 5_000))]);
    await eu.close();
    // Assert
    expect(violations.join()).toMatch(/permissions.violation/i);
  });
});

describe('NATS with a token', () => {
  let server: NatsServer;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer(['--auth', 's3cret-token']);
  });

  afterAll(async () => {
    await stopAll(processes);
    await server?.stop();
  });

  it('should pass the token through, and refuse a wrong one', async () => {
    // Arrange
    const args = ['host', '--nats', server.url, '--node', 'solo', '--parent', 'root'];
    const good = startCli([...args, '--token', 's3cret-token']);
    const bad = startCli(args, { NATS_TOKEN: 'wrong' });
    processes.push(good, bad);
    // Act
    await good.waitFor(/waiting for root on fc\.fractal-coord\.solo/);
    good.child.kill('SIGTERM');
    // Assert
    expect(await good.exited).toBe(0);
    expect(good.output()).toContain('host solo: SIGTERM, shutting down');
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/Authorization Violation/i);
  });
});
