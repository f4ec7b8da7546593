import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteTable } from '../../../hub/http/route-table.ts';
import type { HubRoute } from '../../../hub/http/route.ts';

const route = (name: string, path: string): HubRoute => ({ name, path, methods: ['GET'], handle: async () => {} });

test('exact paths win over patterns; a :name segment matches one decoded segment', () => {
  const t = new RouteTable();
  t.add(route('revoke', '/v1/tokens/revoke'));
  t.add(route('token', '/v1/tokens/:jti'));
  assert.equal(t.match('/v1/tokens/revoke')?.route.name, 'revoke');
  const m = t.match('/v1/tokens/ab%3Acd');
  assert.equal(m?.route.name, 'token');
  assert.deepEqual(m?.params, { jti: 'ab:cd' });
  assert.equal(t.match('/v1/tokens/'), undefined, 'an empty segment is no parameter');
  assert.equal(t.match('/v1/tokens/a/b'), undefined, 'one segment only');
  assert.equal(t.match('/v1/tokens/%E0%A4%A'), undefined, 'bad percent-encoding does not match');
  assert.equal(t.match('/v1/tokens'), undefined);
});

test('the route added last wins for the same path, pattern or exact', () => {
  const t = new RouteTable();
  t.add(route('a', '/x/:id'));
  t.add(route('b', '/x/:id'));
  t.add(route('c', '/y'));
  t.add(route('d', '/y'));
  assert.equal(t.match('/x/1')?.route.name, 'b');
  assert.equal(t.match('/y')?.route.name, 'd');
  assert.throws(() => t.add(route('bad', '/x/:1d')), /bad parameter/);
});
