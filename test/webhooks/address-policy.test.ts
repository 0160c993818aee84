import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  addressSet,
  addressVerdict,
  isAllowedAddress,
  urlHostDecision,
} from '../../src/webhooks/address-policy.js';

const NONE = new Set<string>();

/** [address as written, verdict]: `unicast` is the only verdict a webhook may go to. */
const TABLE: [string, string][] = [
  // IPv4 special-purpose ranges
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.254', 'carrierGradeNat'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'linkLocal'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.254', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['192.31.196.1', 'as112'],
  ['192.175.48.1', 'as112'],
  ['192.52.193.1', 'amt'],
  // IPv4 written the ways URL parsers and inet_aton accept
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['127.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['0x0a.0.0.1', 'private'],
  // IPv6 special-purpose ranges
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['fec0::1', 'deprecatedSiteLocal'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['2001:1::1', 'reserved'],
  ['3fff::1', 'reserved'],
  ['100::1', 'discard'],
  ['2001:2::1', 'benchmarking'],
  ['2001:3::1', 'amt'],
  ['2001:4:112::1', 'as112v6'],
  ['2001:20::1', 'orchid2'],
  ['5f00::1', 'segmentRouting'],
  ['100:0:0:1::1', 'non-global-ipv6'],
  ['4000::1', 'non-global-ipv6'],
  ['64:ff9b:1::808:808', 'local-use-nat64'],
  // IPv6 carrying an IPv4 address: judged by the IPv4 inside
  ['::ffff:127.0.0.1', 'embedded-loopback'],
  ['[::ffff:7f00:1]', 'embedded-loopback'],
  ['::ffff:10.0.0.1', 'embedded-private'],
  ['::ffff:169.254.169.254', 'embedded-linkLocal'],
  ['::ffff:0:7f00:1', 'embedded-loopback'],
  ['::127.0.0.1', 'embedded-loopback'],
  ['::a00:1', 'embedded-private'],
  ['64:ff9b::7f00:1', 'embedded-loopback'],
  ['64:ff9b::192.168.0.1', 'embedded-private'],
  ['2002:7f00:1::', 'embedded-loopback'],
  ['2002:c0a8:101::1', 'embedded-private'],
  // Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted: 80ff:fffe)
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'embedded-loopback'],
  // Teredo with the server part in a private network
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'embedded-private'],
  // Not addresses at all
  ['localhost', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['', 'invalid'],
  // Globally routable unicast: allowed
  ['8.8.8.8', 'unicast'],
  ['1.1.1.1', 'unicast'],
  ['100.63.255.255', 'unicast'],
  ['100.128.0.1', 'unicast'],
  ['172.32.0.1', 'unicast'],
  ['198.20.0.1', 'unicast'],
  ['2606:4700::1111', 'unicast'],
  ['2001:4860:4860::8888', 'unicast'],
  ['::ffff:8.8.8.8', 'unicast'],
  ['64:ff9b::808:808', 'unicast'],
  ['2002:808:808::1', 'unicast'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'unicast'],
];

describe('the webhook address policy', () => {
  it('judges every address by its class, whatever its notation', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
    const wrong = TABLE.map(([address, expected]) => [
      address,
      expected,
      addressVerdict(address, NONE),
    ]).filter(([, expected, got]) => expected !== got);
    expect(wrong).toEqual([]);
    for (const [address, expected] of TABLE)
      expect(isAllowedAddress(address, NONE)).toBe(expected === 'unicast');
  });

  it('decides IP literals from the URL after the URL parser has normalised them, and leaves names to DNS', () => {
    expect(new URL('http://0x7f000001/').hostname).toBe('127.0.0.1');
    expect(new URL('http://2130706433/').hostname).toBe('127.0.0.1');
    expect(new URL('http://127.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://0177.0.0.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(new URL('http://[64:ff9b::127.0.0.1]/').hostname).toBe('[64:ff9b::7f00:1]');

    let checked = 0;
    for (const [address, expected] of TABLE) {
      const bare = address.replace(/^\[|\]$/g, '');
      if (bare === '' || bare.includes('%') || bare === 'localhost' || bare === '1.2.3.4.5') continue;
      const host = bare.includes(':') ? `[${bare}]` : bare;
      expect([address, urlHostDecision(`https://${host}:8443/hooks`, NONE)]).toEqual([
        address,
        expected === 'unicast' ? 'allowed' : 'refused',
      ]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(40);
    expect(urlHostDecision('https://example.com/hooks', NONE)).toBe('resolve');
    expect(urlHostDecision('http://localhost:4000/', NONE)).toBe('resolve');
  });

  it("refuses this machine's own addresses, public ones included, also inside IPv6", () => {
    const own = addressSet(['8.8.8.8', '2606:4700::1111']);
    expect(addressVerdict('8.8.8.8', own)).toBe('own-interface');
    expect(addressVerdict('::ffff:8.8.8.8', own)).toBe('own-interface');
    expect(addressVerdict('64:ff9b::808:808', own)).toBe('own-interface');
    expect(addressVerdict('2606:4700:0::1111', own)).toBe('own-interface');
    expect(addressVerdict('8.8.4.4', own)).toBe('unicast');
    expect(urlHostDecision('http://8.8.8.8/', own)).toBe('refused');

    // By default the interfaces are read at the check.
    const mine = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((entry) => entry.address)
      .filter((address) => isIP(address.replace(/%.*$/, '')) !== 0);
    expect(mine.length).toBeGreaterThan(0);
    for (const address of mine) expect([address, isAllowedAddress(address)]).toEqual([address, false]);
  });
});
