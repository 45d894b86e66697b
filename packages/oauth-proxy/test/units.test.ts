// The façade's parts on their own: the sealed store, the address and redirect URI rules, client
// metadata validation and the rate limiter.
import { randomBytes } from 'node:crypto';
import {
  ClientMetadataError,
  fetchClientMetadata,
  isNonPublicAddress,
  MemoryFacadeStore,
} from '@mcp-auth-kit/oauth-proxy';
import { describe, expect, it, vi } from 'vitest';
import { checkRedirectUri, parseClientMetadata } from '../src/clients/clientRecord.js';
import { Clients, UNUSED_CLIENT_MS } from '../src/models/Clients.js';
import { clientAddress, rateKey, trustedProxyList } from '../src/policies/clientAddress.js';
import { Limits } from '../src/policies/Limits.js';
import { RateLimiter } from '../src/policies/RateLimiter.js';
import { SealedStore } from '../src/store/SealedStore.js';

describe('SealedStore', () => {
  it('keeps neither keys nor values in the clear, and a record moved or altered reads as absent', async () => {
    const backing = new MemoryFacadeStore();
    const sealed = new SealedStore(backing, randomBytes(32));
    await sealed.set('code', 'secret-code', { grantId: 'g1', upstream: 'eyJ.upstream.token' }, 60_000);
    const raw = backing.entriesForTest();
    expect(JSON.stringify(raw)).not.toContain('secret-code');
    expect(JSON.stringify(raw)).not.toContain('upstream.token');
    expect(await sealed.get('code', 'secret-code')).toEqual({
      grantId: 'g1',
      upstream: 'eyJ.upstream.token',
    });
    // another key's value copied over: the associated data no longer matches
    await sealed.set('code', 'other', { grantId: 'g2' }, 60_000);
    const [[, v1], [k2]] = backing.entriesForTest() as [[string, string], [string, string]];
    await backing.set('code', k2.slice('code:'.length), v1, 60_000);
    expect(await sealed.get('code', 'other')).toBeUndefined();
    // the same key under another kind reads nothing either
    expect(await sealed.get('grant', 'secret-code')).toBeUndefined();
    // another key entirely reads nothing
    expect(await new SealedStore(backing, randomBytes(32)).get('code', 'secret-code')).toBeUndefined();
    // take is single use
    expect(await sealed.take('code', 'secret-code')).toBeTruthy();
    expect(await sealed.take('code', 'secret-code')).toBeUndefined();
  });

  it('refuses oversized records and a key that is not 32 bytes', async () => {
    expect(() => new SealedStore(new MemoryFacadeStore(), randomBytes(16))).toThrow(/32 bytes/);
    const sealed = new SealedStore(new MemoryFacadeStore(), randomBytes(32));
    await expect(sealed.set('code', 'x', { big: 'y'.repeat(40_000) }, 1000)).rejects.toThrow(/larger than/);
  });

  it('the memory store bounds each kind by its own quota: a full kind refuses (503) and evicts nothing', async () => {
    const store = new MemoryFacadeStore({ quotas: { pending: 3, grant: 2 } });
    await store.set('grant', 'alice', 'g', 60_000);
    for (const k of ['a', 'b', 'c']) await store.set('pending', k, k, 60_000);
    await expect(store.set('pending', 'd', 'd', 60_000)).rejects.toMatchObject({
      code: 'store_quota_full',
      retryable: true,
    });
    // nothing was pushed out: the first pending record and the grant are still there
    expect(await store.get('pending', 'a')).toBe('a');
    expect(await store.get('grant', 'alice')).toBe('g');
    // replacing a record is not a new one
    await store.set('pending', 'a', 'a2', 60_000);
    expect(await store.get('pending', 'a')).toBe('a2');
    // expired records make room (swept when the kind is full)
    const short = new MemoryFacadeStore({ quotas: { code: 1 } });
    await short.set('code', 'x', 'v', 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await short.get('code', 'x')).toBeUndefined();
    await short.set('code', 'y', 'v', 60_000);
    expect(short.size('code')).toBe(1);
    expect(() => new MemoryFacadeStore({ quotas: { grant: 0 } })).toThrow(
      /quotas.grant must be a positive integer/,
    );
  });
});

describe('client registration rules', () => {
  it('redirect URIs: https, or http on a loopback host; no fragment', () => {
    expect(checkRedirectUri('https://app.example/cb')).toBe('https://app.example/cb');
    expect(checkRedirectUri('http://127.0.0.1:1234/cb')).toBe('http://127.0.0.1:1234/cb');
    expect(checkRedirectUri('http://localhost/cb')).toBe('http://localhost/cb');
    for (const bad of [
      'http://app.example/cb',
      'https://app.example/cb#x',
      'javascript:alert(1)',
      'not a url',
      42,
    ]) {
      expect(() => checkRedirectUri(bad)).toThrow(ClientMetadataError);
    }
  });

  it('metadata: redirect URIs required, auth method per path, grant and response types checked, names bounded', () => {
    expect(() => parseClientMetadata({}, 'dcr')).toThrow(/redirect_uris/);
    expect(() =>
      parseClientMetadata(
        { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'client_secret_post' },
        'cimd',
      ),
    ).toThrow(/must be one of none/);
    expect(() =>
      parseClientMetadata(
        { redirect_uris: ['https://a.example/cb'], grant_types: ['client_credentials'] },
        'dcr',
      ),
    ).toThrow(/grant_types/);
    expect(() =>
      parseClientMetadata({ redirect_uris: ['https://a.example/cb'], client_name: 'x'.repeat(300) }, 'dcr'),
    ).toThrow(/client_name/);
    expect(
      parseClientMetadata({ redirect_uris: ['https://a.example/cb'], client_name: 'A\u0007pp' }, 'dcr'),
    ).toMatchObject({
      clientName: 'App',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
  });

  it('addresses that are not public: loopback, private, link-local, CGNAT, unique local, mapped', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ]) {
      expect(isNonPublicAddress(a)).toBe(true);
    }
    for (const a of ['20.190.151.7', '2603:1061:14:44::1']) expect(isNonPublicAddress(a)).toBe(false);
  });

  it('IPv4 embedded in IPv6 is decoded and judged as IPv4: compatible, mapped, translated, NAT64, local-use NAT64, 6to4', () => {
    for (const a of [
      '::127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:0:a00:1', // ::ffff:0:0/96, IPv4-translated 10.0.0.1
      '64:ff9b::a9fe:a9fe', // 169.254.169.254 through NAT64
      '64:ff9b:1:c0a8:1:100::', // 192.168.1.1 through local-use NAT64 (/48: bytes 6-7 and 9-10)
      '2002:0a00:0001::1', // 6to4 of 10.0.0.1
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo: refused whole
      '::',
    ]) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
    // the same forms reaching a public IPv4 address are public
    for (const a of ['::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      expect(isNonPublicAddress(a), a).toBe(false);
    }
  });
});

describe('the client address behind proxies', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it('reads forwarded headers only from trusted proxies; the client is the rightmost untrusted hop; IPv6 counts per /64', () => {
    const trusted = trustedProxyList(['10.0.0.0/8', '::1']);
    expect(clientAddress('203.0.113.9', headers({ 'x-forwarded-for': '1.2.3.4' }), trusted)).toBe(
      '203.0.113.9',
    );
    expect(
      clientAddress('10.1.1.1', headers({ 'x-forwarded-for': '1.2.3.4, 5.6.7.8, 10.2.2.2' }), trusted),
    ).toBe('5.6.7.8');
    expect(clientAddress('::ffff:10.1.1.1', headers({ 'x-forwarded-for': '5.6.7.8' }), trusted)).toBe(
      '5.6.7.8',
    );
    expect(
      clientAddress(
        '::1',
        headers({ forwarded: 'for=192.0.2.1, for="[2001:db8::7]:443";proto=https' }),
        trusted,
      ),
    ).toBe('2001:db8::7');
    expect(clientAddress('10.1.1.1', headers({ forwarded: 'for=unknown' }), trusted)).toBe('10.1.1.1');
    expect(clientAddress('10.1.1.1', headers({}), trusted)).toBe('10.1.1.1');
    expect(clientAddress('10.1.1.1', headers({ 'x-forwarded-for': '5.6.7.8' }), undefined)).toBe('10.1.1.1');
    expect(rateKey('2001:db8:1:2::1')).toBe(rateKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(rateKey('2001:db8:1:2::1')).not.toBe(rateKey('2001:db8:1:3::1'));
    expect(rateKey('192.0.2.1')).toBe('192.0.2.1');
    expect(() => trustedProxyList(['not-an-address'])).toThrow(/trustedProxies entry/);
  });

  it('metadata document URLs: https with a path, no credentials, fragment or dot segments', async () => {
    for (const url of [
      'http://client.example/doc.json',
      'https://client.example/',
      'https://u:p@client.example/d.json',
      'https://client.example/a/../d.json',
      'https://client.example/d.json#f',
    ]) {
      await expect(fetchClientMetadata(url)).rejects.toThrow(ClientMetadataError);
    }
    await expect(fetchClientMetadata('https://169.254.169.254/latest/meta-data.json')).rejects.toThrow(
      /not public/,
    );
  });
});

describe('RateLimiter', () => {
  it('allows the limit per window and key, then answers 429 slow_down with Retry-After; bounded keys', () => {
    const limiter = new RateLimiter(2, 60_000, 2);
    limiter.check('a', 'x');
    limiter.check('a', 'x');
    try {
      limiter.check('a', 'too many');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        status: 429,
        error: 'slow_down',
        headers: { 'retry-after': expect.stringMatching(/^\d+$/) },
      });
    }
    limiter.check('b', 'x');
    limiter.check('c', 'x'); // 'a' is dropped: at most two keys
    limiter.check('a', 'x');
  });
});

describe('registered clients', () => {
  it('a registration nobody signs in with expires after a day (an anonymous flood cannot hold the quota); one issued tokens lives on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new SealedStore(new MemoryFacadeStore({ quotas: { client: 2 } }), randomBytes(32));
      const clients = new Clients(store, new Limits(), {
        lifetimeMs: 30 * 86_400_000,
        devMode: false,
        metadataTimeoutMs: 1000,
      });
      const body = { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' };
      const unused = await clients.register(body);
      const used = await clients.register(body);
      // the quota is full: a third registration is refused, nothing is pushed out
      await expect(clients.register(body)).rejects.toMatchObject({ code: 'store_quota_full' });
      await clients.keepAlive(used.record);
      vi.setSystemTime(Date.now() + UNUSED_CLIENT_MS + 1000);
      expect(await clients.find(unused.record.clientId, 'a')).toBeUndefined();
      expect(await clients.find(used.record.clientId, 'a')).toMatchObject({ clientId: used.record.clientId });
      // and its place is free again
      await expect(clients.register(body)).resolves.toMatchObject({ record: { source: 'dcr' } });
    } finally {
      vi.useRealTimers();
    }
  });
});
