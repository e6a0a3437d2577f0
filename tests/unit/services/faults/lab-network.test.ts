/** Learning the lab network from a container's interfaces and routing tables. */
import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import {
  broadcastOf,
  formatSubnet,
  labSubnets,
  labTopology,
  routeGateways,
  subnetOf,
} from '../../../../services/faults/lab-network.ts'

const iface = (address: string, cidr: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({ address, netmask: '', family, mac: '', internal, cidr, scopeid: 0 }) as NetworkInterfaceInfo

describe('labSubnets', () => {
  it('takes the non-loopback interfaces, leaves out IPv6 link-local, and clears host bits', () => {
    const subnets = labSubnets({
      lo: [iface('127.0.0.1', '127.0.0.1/8', 'IPv4', true), iface('::1', '::1/128', 'IPv6', true)],
      eth0: [
        iface('172.18.0.5', '172.18.0.5/16', 'IPv4'),
        iface('fe80::42:acff:fe12:5', 'fe80::42:acff:fe12:5/64', 'IPv6'),
      ],
      eth1: [
        iface('192.168.80.3', '192.168.80.3/20', 'IPv4'),
        iface('fd00:1:2::5', 'fd00:1:2::5/64', 'IPv6'),
      ],
    })
    expect(subnets.map(formatSubnet)).toEqual(['172.18.0.0/16', '192.168.80.0/20', 'fd00:1:2::/64'])
  })
})

describe('subnet arithmetic', () => {
  it.each([
    ['10.1.2.3', 8, 'ipv4', '10.0.0.0/8'],
    ['192.168.95.200', 20, 'ipv4', '192.168.80.0/20'],
    ['1.2.3.4', 0, 'ipv4', '0.0.0.0/0'],
    ['fd00:1:2:3::9', 48, 'ipv6', 'fd00:1:2::/48'],
    ['2001:db8::1', 128, 'ipv6', '2001:db8::1/128'],
    ['fe80::1', 10, 'ipv6', 'fe80::/10'],
  ] as const)('%s/%i is in %s', (address, prefix, family, cidr) => {
    expect(formatSubnet(subnetOf(address, prefix, family))).toBe(cidr)
  })

  it('knows the broadcast address', () => {
    expect(broadcastOf(subnetOf('172.18.0.5', 16, 'ipv4'))).toBe('172.18.255.255')
    expect(broadcastOf(subnetOf('192.168.80.3', 20, 'ipv4'))).toBe('192.168.95.255')
  })
})

describe('routeGateways', () => {
  it('reads the gateways of /proc/net/route and /proc/net/ipv6_route', () => {
    const v4 = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n')
    const v6 = [
      'fd000001000200000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000001000200000000000000000001 00000400 00000001 00000000 00000003     eth0',
    ].join('\n')
    expect(routeGateways(v4, v6)).toEqual(['172.18.0.1', 'fd00:1:2::1'])
    expect(routeGateways('', '')).toEqual([])
  })
})

describe('labTopology', () => {
  it("counts every attached network's gateway, not only the default route's", () => {
    // attached to the default bridge (default route) and to the lab network: the lab network's
    // gateway, 172.22.0.1, is the host, and no routing table line names it
    const routes = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth1\t000016AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n')
    const topology = labTopology(
      {
        eth0: [iface('172.17.0.3', '172.17.0.3/16', 'IPv4')],
        eth1: [iface('172.22.0.4', '172.22.0.4/16', 'IPv4'), iface('fd00:1:2::5', 'fd00:1:2::5/64', 'IPv6')],
      },
      routes,
      '',
    )
    expect(topology.networks.map(formatSubnet)).toEqual(['172.17.0.0/16', '172.22.0.0/16', 'fd00:1:2::/64'])
    expect([...topology.gateways].sort()).toEqual(['172.17.0.1', '172.22.0.1', 'fd00:1:2::1'])
  })
})
