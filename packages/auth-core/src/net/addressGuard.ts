// Which addresses a client metadata document may be fetched from: public ones only. IPv4 embedded
// in IPv6 forms (IPv4-compatible ::/96, mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, NAT64
// 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16) is decoded and judged as the IPv4 address it
// reaches, so ::ffff:7f00:1 or 2002:a00:1:: is as private as 127.0.0.1 or 10.0.0.1.
import { BlockList, isIP } from 'node:net';

const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo: the IPv4 it reaches is obfuscated; refused whole
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}
const loopbackOnly = new BlockList();
loopbackOnly.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackOnly.addAddress('::1', 'ipv6');

/** The 16 bytes of an IPv6 address (zone id ignored); undefined when it is not one. */
export function ipv6Bytes(address: string): Uint8Array | undefined {
  const text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(text) !== 6) return undefined;
  let hex = text;
  const dotted = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    hex = `${text.slice(0, dotted.index + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const at = hex.indexOf('::');
  const l = words(at < 0 ? hex : hex.slice(0, at));
  const r = at < 0 ? [] : words(hex.slice(at + 2));
  const all = at < 0 ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  if (all.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
const v4 = (...octets: number[]) => octets.join('.');

/** The IPv4 address an IPv6 address embeds (mapped, compatible, translated, NAT64, 6to4); undefined for others. */
export function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (!b) return undefined;
  // ::/96 (IPv4-compatible, and :: and ::1) and ::ffff:0:0/96 (IPv4-mapped)
  if (zero(b, 0, 10) && ((b[10] === 0 && b[11] === 0) || (b[10] === 0xff && b[11] === 0xff))) {
    return v4(b[12]!, b[13]!, b[14]!, b[15]!);
  }
  // ::ffff:0:0:0/96 (IPv4-translated, RFC 2765)
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) {
    return v4(b[12]!, b[13]!, b[14]!, b[15]!);
  }
  // 64:ff9b::/96 (well-known NAT64 prefix, RFC 6052)
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) {
    return v4(b[12]!, b[13]!, b[14]!, b[15]!);
  }
  // 64:ff9b:1::/48 (local-use NAT64, RFC 8215): a /48 prefix puts the IPv4 in bytes 6-7 and 9-10
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0 && b[5] === 1) {
    return v4(b[6]!, b[7]!, b[9]!, b[10]!);
  }
  // 2002::/16 (6to4): the IPv4 in bytes 2-5
  if (b[0] === 0x20 && b[1] === 0x02) return v4(b[2]!, b[3]!, b[4]!, b[5]!);
  return undefined;
}

/** Whether an address is private, loopback, link-local or otherwise not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (family === 0) return true;
  if (family === 4) return blockedV4.check(address, 'ipv4');
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) return blockedV4.check(embedded, 'ipv4');
  return blockedV6.check(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''), 'ipv6');
}

/** Whether an address is a loopback address (127.0.0.0/8, ::1, or IPv4 loopback embedded in IPv6). */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return loopbackOnly.check(address, 'ipv4');
  if (family !== 6) return false;
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) return loopbackOnly.check(embedded, 'ipv4') || address === '::1';
  return loopbackOnly.check(address, 'ipv6');
}
