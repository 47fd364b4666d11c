import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../../src/cli/specFile.js';
import { natsOptions } from '../../../src/cli/natsConnect.js';
import { loadHandler } from '../../../src/cli/cluster.js';
import { hostedSpec, subjectPermissions, type NodeSpec } from '../../helpers/imports.js';

const dir = mkdtempSync(join(tmpdir(), 'fc-cli-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const whole: NodeSpec = {
  id: 'root',
  children: [
    {
      id: 'eu',
      remote: true,
      children: [{ id: 'eu-1' }, { id: 'eu-far', remote: true, children: [{ id: 'x' }] }],
    },
    { id: 'local' },
  ],
};

describe('spec files', () => {
  it('should load a whole file and a bare root node', async () => {
    const full = file('full.json', JSON.stringify({ tree: 't', policy: {}, root: whole }));
    const bare = file('bare.json', JSON.stringify({ id: 'solo' }));
    await expect(loadSpecFile(full)).resolves.toMatchObject({ tree: 't', root: { id: 'root' } });
    await expect(loadSpecFile(bare)).resolves.toEqual({ root: { id: 'solo' } });
  });

  it('should say which file is wrong and how', async () => {
    await expect(loadSpecFile(join(dir, 'missing.json'))).rejects.toThrow(/Cannot read/);
    await expect(loadSpecFile(file('bad.json', '{'))).rejects.toThrow(/bad.json is not JSON/);
    await expect(loadSpecFile(file('shape.json', '[1]'))).rejects.toThrow(/must hold/);
    await expect(
      loadSpecFile(
        file('dup.json', JSON.stringify({ root: { id: 'a', children: [{ id: 'a' }] } })),
      ),
    ).rejects.toThrow(/dup.json: Duplicate node id "a"/);
  });
});

describe('hostedSpec', () => {
  it("should cut a host's subtree out of the whole spec, keeping deeper remote marks", () => {
    const { root, parent } = hostedSpec(whole, 'eu');
    expect(parent).toBe('root');
    expect(root.remote).toBeUndefined();
    expect(root.children?.[1]).toMatchObject({ id: 'eu-far', remote: true });
  });

  it('should refuse the root and unknown ids', () => {
    expect(() => hostedSpec(whole, 'root')).toThrow(/is the root of the spec/);
    expect(() => hostedSpec(whole, 'nope')).toThrow(/No node "nope"/);
  });
});

describe('subjectPermissions', () => {
  it('should give the root process its nodes and the API end, publishing to remote children', () => {
    expect(subjectPermissions('t', whole)).toEqual({
      publish: ['fc.t.eu'],
      subscribe: ['fc.t.%24client', 'fc.t.root', 'fc.t.local'],
    });
  });

  it('should give a host its nodes, publishing to its parent and its own remote children', () => {
    const permissions = subjectPermissions('t', whole, 'eu');
    expect(permissions.publish).toEqual(['fc.t.root', 'fc.t.eu-far']);
    expect([...permissions.subscribe].sort()).toEqual(['fc.t.eu', 'fc.t.eu-1']);
  });
});

describe('natsOptions', () => {
  it('should pass each way of authenticating through', async () => {
    const base = ['nats://a:4222', 'n'] as const;
    expect(await natsOptions(...base, { token: 'tk' })).toMatchObject({ token: 'tk' });
    expect(await natsOptions(...base, { user: 'u', password: 'p' })).toMatchObject({
      user: 'u',
      pass: 'p',
    });
    const seed = file('seed.nk', 'SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU\n');
    expect((await natsOptions(...base, { nkey: seed })).authenticator).toBeTypeOf('function');
    const creds = file(
      'user.creds',
      '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n',
    );
    expect((await natsOptions(...base, { creds })).authenticator).toBeTypeOf('function');
    expect(await natsOptions('nats://a:1, nats://b:2', 'n', {})).toMatchObject({
      servers: ['nats://a:1', 'nats://b:2'],
      maxReconnectAttempts: -1,
    });
  });

  it('should refuse two ways at once, a password alone, and an unreadable file', async () => {
    await expect(natsOptions('x', 'n', { token: 't', user: 'u' })).rejects.toThrow(/one way/);
    await expect(natsOptions('x', 'n', { password: 'p' })).rejects.toThrow(/needs --user/);
    await expect(natsOptions('x', 'n', { creds: join(dir, 'none') })).rejects.toThrow(/--creds/);
  });
});

describe('loadHandler', () => {
  it('should load a default export or a named handler, and refuse anything else', async () => {
    const named = file('named.mjs', 'export function handler() { return 1; }');
    const none = file('none.mjs', 'export const x = 1;');
    expect(await loadHandler(named)).toBeTypeOf('function');
    expect(await loadHandler(undefined)).toBeTypeOf('function');
    await expect(loadHandler(none)).rejects.toThrow(/must export a function/);
    await expect(loadHandler(join(dir, 'absent.mjs'))).rejects.toThrow(/Cannot load/);
  });
});
