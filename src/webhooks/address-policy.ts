import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/**
 * Which addresses a webhook may reach (SSRF protection). The rule is a classification, not a list
 * of bad networks: only globally routable unicast is allowed. ipaddr.js names every IANA
 * special-purpose range (loopback, private, carrier-grade NAT, the TEST-NETs, benchmarking, 240/4,
 * multicast, unique-local, link-local, documentation, 2001::/23 and its sub-ranges, discard, …);
 * anything it does not call `unicast` is refused. On top of that:
 *
 * - an IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64
 *   64:ff9b::/96, 6to4, Teredo) is judged by the IPv4 inside, since that is where the packets end up;
 * - IPv6 unicast outside 2000::/3 is refused: only that block is allocated for global unicast, the
 *   rest is reserved (and holds newer special-purpose prefixes a library may not know yet);
 * - the local-use NAT64 prefix 64:ff9b:1::/48 is refused outright: it is never globally routable;
 * - every address of this machine's own interfaces is refused, whatever its range: a public address
 *   on the host's own network card reaches the host itself.
 */

/**
 * `unicast` when a webhook may go to the address; otherwise what refuses it: an ipaddr.js range name
 * (`loopback`, `private`, `reserved`, …, prefixed `embedded-` when it is the IPv4 inside an IPv6
 * address), `own-interface`, `non-global-ipv6`, `local-use-nat64` or `invalid`.
 */
export type AddressVerdict = string;

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const LOCAL_USE_NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

/** Addresses in the normalised form `addressVerdict` compares an address's own against. */
export function addressSet(addresses: Iterable<string>): Set<string> {
  const set = new Set<string>();
  for (const address of addresses) {
    const parsed = parse(address);
    if (parsed) set.add(normalised(parsed));
  }
  return set;
}

/** The addresses of this machine's interfaces. Read per check: cheap, and never stale. */
export function ownAddresses(): Set<string> {
  return addressSet(
    Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
  );
}

function parse(address: string): IPv4 | IPv6 | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

const normalised = (ip: IPv4 | IPv6) => ip.toNormalizedString();

const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

/** The IPv4 addresses an IPv6 address routes to, or null when it embeds none. */
function embeddedIPv4(ip: IPv6): IPv4[] | null {
  const p = ip.parts as [number, number, number, number, number, number, number, number];
  switch (ip.range()) {
    case 'ipv4Mapped': // ::ffff:0:0/96
    case 'rfc6145': // ::ffff:0:0:0/96, IPv4-translated
      return [v4(p[6], p[7])];
    case 'rfc6052': // 64:ff9b::/96 (the local-use /48 is refused before this)
      return [v4(p[6], p[7])];
    case '6to4': // 2002:AABB:CCDD::/48
      return [v4(p[1], p[2])];
    case 'teredo': // 2001:0:<server IPv4>:<flags>:<port>:<client IPv4, bits inverted>
      return [v4(p[2], p[3]), v4(~p[6] & 0xffff, ~p[7] & 0xffff)];
    default:
      // IPv4-compatible (::a.b.c.d, deprecated); :: and ::1 are classified before this.
      return p.slice(0, 6).every((part) => part === 0) ? [v4(p[6], p[7])] : null;
  }
}

/**
 * Judges one address (any notation ipaddr.js reads: dotted, hex, octal, integer, IPv6 with an
 * IPv4 tail, brackets and zone ids). `own` defaults to the machine's interface addresses.
 */
export function addressVerdict(address: string, own: ReadonlySet<string> = ownAddresses()): AddressVerdict {
  const ip = parse(address);
  return ip ? judge(ip, own, '') : 'invalid';
}

function judge(ip: IPv4 | IPv6, own: ReadonlySet<string>, prefix: '' | 'embedded-'): AddressVerdict {
  if (own.has(normalised(ip))) return 'own-interface';
  if (ip.kind() === 'ipv4') {
    const range = (ip as IPv4).range();
    return range === 'unicast' ? 'unicast' : `${prefix}${range}`;
  }
  const v6 = ip as IPv6;
  const range = v6.range();
  if (range === 'unspecified' || range === 'loopback') return range;
  if (v6.match(LOCAL_USE_NAT64)) return 'local-use-nat64';
  const inner = embeddedIPv4(v6);
  if (inner) {
    for (const address of inner) {
      const verdict = judge(address, own, 'embedded-');
      if (verdict !== 'unicast') return verdict;
    }
    return 'unicast';
  }
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST_V6) ? 'unicast' : 'non-global-ipv6';
}

/** True when a webhook may be sent to this address. */
export function isAllowedAddress(address: string, own?: ReadonlySet<string>): boolean {
  return addressVerdict(address, own) === 'unicast';
}

/**
 * The decision that can be made from a URL alone. An IP literal (after URL parsing, which turns
 * `0x7f000001`, `2130706433`, `127.1` and `0177.0.0.1` into `127.0.0.1`) is `allowed` or `refused`
 * now — Node connects to a literal without a lookup, so this is its only check. A name is `resolve`:
 * every address it resolves to is judged at connect time.
 */
export function urlHostDecision(
  url: string | URL,
  own?: ReadonlySet<string>,
): 'allowed' | 'refused' | 'resolve' {
  const host = (typeof url === 'string' ? new URL(url) : url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) return 'resolve';
  return isAllowedAddress(host, own) ? 'allowed' : 'refused';
}
