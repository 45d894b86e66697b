// The address a request comes from, for rate limits. Behind a TLS-terminating ingress every
// request arrives from the ingress, so the operator names the proxies they trust; only then are
// `Forwarded` / `X-Forwarded-For` read, and the client is the rightmost hop that is not a trusted
// proxy (hops to its left were written by the client itself and prove nothing).
import { BlockList, isIP } from 'node:net';
import { ipv6Bytes } from '@mcp-auth-kit/auth-core/internal';
import { OAuthProxyConfigError } from '../errors.js';

/** Trusted proxies: addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
export function trustedProxyList(entries: readonly string[] | undefined): BlockList | undefined {
  if (!entries || entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (family === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new OAuthProxyConfigError(
        `OAuthProxy: trustedProxies entry ${entry.slice(0, 60)} is not an address or CIDR range`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

const unmap = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The hops a request names, nearest last: RFC 7239 `Forwarded` `for=` values, else `X-Forwarded-For`. */
function forwardedHops(headers: Headers): string[] {
  const forwarded = headers.get('forwarded');
  if (forwarded) {
    const hops: string[] = [];
    for (const element of forwarded.split(',')) {
      const match = /(?:^|;)\s*for=("?)([^";,]*)\1/i.exec(element);
      if (!match) continue;
      // for="[2001:db8::1]:4711" or for=192.0.2.60:1234 or for=unknown / _obfuscated
      let node = match[2]!.trim();
      const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(node);
      if (bracket) node = bracket[1]!;
      else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(node)) node = node.replace(/:\d+$/, '');
      hops.push(node);
    }
    return hops;
  }
  const xff = headers.get('x-forwarded-for');
  return xff ? xff.split(',').map((h) => h.trim()) : [];
}

/**
 * The client's address: the socket peer, unless it is a trusted proxy, in which case the rightmost
 * forwarded hop that is not a trusted proxy (or the leftmost, when all are trusted).
 */
export function clientAddress(
  peer: string | undefined,
  headers: Headers,
  trusted: BlockList | undefined,
): string {
  const direct = unmap(peer ?? '');
  if (!trusted || !isTrusted(trusted, direct)) return direct || 'unknown';
  const hops = forwardedHops(headers).map(unmap);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return direct; // unknown or obfuscated: the chain cannot be followed further
    if (!isTrusted(trusted, hop)) return hop;
  }
  return hops[0] ?? direct;
}

/** The bucket an address counts in: an IPv4 address itself; an IPv6 address by its /64 (one subscriber's allocation). */
export function rateKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const bytes = ipv6Bytes(address);
  if (!bytes) return address;
  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64`;
}
