import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NAME, VERSION } from '../../../shared/model/version.ts';

test('shared/model/version.ts matches package.json, so agents and the hub announce the same version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test('shared/model/version.ts names the package as package.json does (the CLI and /v1/version answer it)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string };
  assert.equal(NAME, pkg.name);
});
