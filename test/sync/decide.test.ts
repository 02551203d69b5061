import { decide } from '../../activities/sync/decide';
import { fingerprint, stableJson } from '../../activities/sync/fingerprint';
import type { SideRecord } from '../../activities/sync/backend';

const rec = (id: string, canonical: unknown, extra: Partial<SideRecord> = {}): SideRecord => ({
  id,
  canonical,
  label: id,
  ...extra,
});
const link = (agreed: unknown) => ({ appId: 1, remoteId: '9', remoteVersion: '0', fingerprint: fingerprint(agreed) });

test('fingerprints ignore key order and undefined, but not values', () => {
  expect(stableJson({ b: 1, a: [2, { d: undefined, c: null }] })).toBe('{"a":[2,{"c":null}],"b":1}');
  expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
  expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
});

test('an unlinked record with no twin is created', () => {
  expect(
    decide({ source: rec('1', { n: 'A' }), matched: false, policy: 'quickbooks-wins', sourceSide: 'app' }),
  ).toEqual({ action: 'create' });
});

test('a record still at the agreed state is an echo: nothing is written', () => {
  expect(
    decide({
      source: rec('1', { n: 'A' }),
      link: link({ n: 'A' }),
      target: rec('9', { n: 'A' }),
      matched: false,
      policy: 'quickbooks-wins',
      sourceSide: 'remote',
    }),
  ).toEqual({ action: 'skip', why: 'unchanged' });
});

test('a change on one side only updates the other, from its current version', () => {
  const d = decide({
    source: rec('1', { n: 'B' }),
    link: link({ n: 'A' }),
    target: rec('9', { n: 'A' }, { version: '3' }),
    matched: false,
    policy: 'quickbooks-wins',
    sourceSide: 'app',
  });
  expect(d).toEqual({ action: 'update', targetId: '9', baseVersion: '3' });
});

test('the same change on both sides is no conflict: only the link moves', () => {
  const d = decide({
    source: rec('1', { n: 'B' }),
    link: link({ n: 'A' }),
    target: rec('9', { n: 'B' }, { version: '4' }),
    matched: false,
    policy: 'app-wins',
    sourceSide: 'app',
  });
  expect(d).toEqual({ action: 'link', targetId: '9', agreed: fingerprint({ n: 'B' }), targetVersion: '4' });
});

describe('both sides changed since the agreement', () => {
  const app = rec('1', { n: 'app' }, { updatedAt: new Date('2026-01-02T00:00:00Z') });
  const qbo = rec('9', { n: 'qbo' }, { updatedAt: new Date('2026-01-01T00:00:00Z'), version: '7' });
  const agreed = link({ n: 'old' });

  test('quickbooks-wins: pushing the app record keeps QuickBooks', () => {
    expect(
      decide({ source: app, link: agreed, target: qbo, matched: false, policy: 'quickbooks-wins', sourceSide: 'app' }),
    ).toMatchObject({ action: 'keep-target', conflict: { winner: 'target' } });
  });
  test('quickbooks-wins: pulling the QuickBooks record overwrites the app', () => {
    expect(
      decide({
        source: qbo,
        link: agreed,
        target: app,
        matched: false,
        policy: 'quickbooks-wins',
        sourceSide: 'remote',
      }),
    ).toMatchObject({ action: 'update', conflict: { winner: 'source' } });
  });
  test('app-wins: pulling keeps the app', () => {
    expect(
      decide({ source: qbo, link: agreed, target: app, matched: false, policy: 'app-wins', sourceSide: 'remote' }),
    ).toMatchObject({ action: 'keep-target' });
  });
  test('latest-wins: the newer edit wins, whichever side it is on', () => {
    expect(
      decide({
        source: qbo,
        link: agreed,
        target: app,
        matched: false,
        policy: 'latest-wins',
        sourceSide: 'remote',
      }),
    ).toMatchObject({ action: 'keep-target' });
    expect(
      decide({ source: app, link: agreed, target: qbo, matched: false, policy: 'latest-wins', sourceSide: 'app' }),
    ).toMatchObject({ action: 'update', baseVersion: '7' });
  });
});

test('a twin found by matching is linked, not duplicated', () => {
  expect(
    decide({
      source: rec('1', { n: 'A' }),
      target: rec('9', { n: 'A' }),
      matched: true,
      policy: 'quickbooks-wins',
      sourceSide: 'app',
    }),
  ).toMatchObject({ action: 'link', targetId: '9' });
  expect(
    decide({
      source: rec('1', { n: 'A', e: 'x' }),
      target: rec('9', { n: 'A' }),
      matched: true,
      policy: 'app-wins',
      sourceSide: 'app',
    }),
  ).toMatchObject({ action: 'update', targetId: '9' });
});

test('removals reach a linked record once; unlinked or already removed ones are left alone', () => {
  const gone = rec('9', undefined, { deleted: 'deleted' });
  expect(decide({ source: gone, matched: false, policy: 'quickbooks-wins', sourceSide: 'remote' })).toEqual({
    action: 'skip',
    why: 'removed-unlinked',
  });
  expect(
    decide({
      source: gone,
      link: link({}),
      target: rec('1', {}),
      matched: false,
      policy: 'quickbooks-wins',
      sourceSide: 'remote',
    }),
  ).toEqual({ action: 'remove', targetId: '1', baseVersion: undefined, how: 'deleted' });
  expect(
    decide({
      source: gone,
      link: link({}),
      target: rec('1', {}, { deleted: 'inactive' }),
      matched: false,
      policy: 'quickbooks-wins',
      sourceSide: 'remote',
    }),
  ).toEqual({ action: 'skip', why: 'already-removed' });
});

test('a record that cannot be expressed fails', () => {
  expect(
    decide({
      source: rec('1', undefined, { problem: { message: 'm', action: 'a' } }),
      matched: false,
      policy: 'quickbooks-wins',
      sourceSide: 'app',
    }),
  ).toEqual({ action: 'fail', reason: 'problem' });
});
