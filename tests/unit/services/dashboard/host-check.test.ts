/**
 * DNS-rebinding protection (services/dashboard/host-check.ts) on worked examples: which Host
 * headers name the dashboard, which Origins are its own page, and DASHBOARD_ALLOWED_HOSTS
 * read and refused as configuration.
 */
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/errors.ts'
import { loadDashboardConfig } from '../../../../services/dashboard/config.ts'
import { hostPolicy, normaliseHostName } from '../../../../services/dashboard/host-check.ts'

describe('hostPolicy: the Host header', () => {
  const policy = hostPolicy('0.0.0.0', [])

  it.each([
    'localhost',
    'localhost:8088',
    'LocalHost:8088',
    '127.0.0.1:8088',
    '127.0.0.1:49153', // a random published port (NETLAB_DASHBOARD_HOST_PORT empty)
    '[::1]:8088',
    '[0:0:0:0:0:0:0:1]:8088', // the same address, spelled out
  ])('allows %s', (host) => {
    expect(policy.allowedHost(host)).toBe(true)
  })

  it.each<[string, string | undefined]>([
    ['a rebound name', 'evil.example'],
    ['a rebound name with the port', 'evil.example:8088'],
    ['a subdomain of localhost', 'localhost.evil.example:8088'],
    ['the wildcard it binds to', '0.0.0.0:8088'],
    ['another loopback address', '127.0.0.2:8088'],
    ['user info', 'evil@127.0.0.1:8088'],
    ['a path', '127.0.0.1:8088/x'],
    ['two hosts', '127.0.0.1, evil.example'],
    ['a port out of range', '127.0.0.1:99999'],
    ['nothing', ''],
    ['no header at all (HTTP/1.0)', undefined],
  ])('refuses %s (%s)', (_what, host) => {
    expect(policy.allowedHost(host)).toBe(false)
  })

  it('adds DASHBOARD_HOST when it is an address, and every DASHBOARD_ALLOWED_HOSTS name', () => {
    const p = hostPolicy('192.168.1.5', ['dash.lan', '[fd00::5]'])
    expect(p.names).toEqual(['localhost', '127.0.0.1', '[::1]', '192.168.1.5', 'dash.lan', '[fd00::5]'])
    for (const host of ['192.168.1.5:8088', 'DASH.lan:80', '[fd00::5]:8088'])
      expect(p.allowedHost(host)).toBe(true)
    expect(p.allowedHost('dash.lan.evil.example')).toBe(false)
    expect(hostPolicy('::', []).names).toEqual(['localhost', '127.0.0.1', '[::1]'])
  })
})

describe('hostPolicy: the Origin of a control request', () => {
  const policy = hostPolicy('0.0.0.0', [])

  it.each<[string, string, boolean]>([
    ['http://127.0.0.1:8088', '127.0.0.1:8088', true],
    ['http://localhost:8088', 'localhost:8088', true],
    ['http://[::1]:8088', '[::1]:8088', true],
    ['http://localhost', 'localhost', true],
    ['http://evil.example:8088', '127.0.0.1:8088', false], // another site's page
    ['http://localhost:8088', '127.0.0.1:8088', false], // another name of the same server: another origin
    ['http://127.0.0.1:3000', '127.0.0.1:8088', false], // another local port (a dev server's page)
    ['https://127.0.0.1:8088', '127.0.0.1:8088', false],
    ['null', '127.0.0.1:8088', false], // a sandboxed frame or a file: page
    ['http://127.0.0.1:8088/path', '127.0.0.1:8088', false],
    ['http://u@127.0.0.1:8088', '127.0.0.1:8088', false],
  ])('Origin %s with Host %s: %s', (origin, host, same) => {
    expect(policy.sameOrigin(origin, host)).toBe(same)
  })
})

describe('DASHBOARD_ALLOWED_HOSTS', () => {
  it('reads comma-separated names and addresses, normalised as a Host header would carry them', () => {
    expect(loadDashboardConfig({}).allowedHosts).toEqual([])
    expect(
      loadDashboardConfig({ DASHBOARD_ALLOWED_HOSTS: ' Dash.LAN, 10.0.0.7,::1 ,' }).allowedHosts,
    ).toEqual(['dash.lan', '10.0.0.7', '[::1]'])
    expect(normaliseHostName('[FD00::5]')).toBe('[fd00::5]')
  })

  it.each([
    'dash.lan:8088',
    'http://dash.lan',
    '*.lan',
    'dash lan',
    'dash.lan/x',
    '-dash.lan',
  ])('refuses %j by name, as configuration (exit 2)', (value) => {
    expect(() => loadDashboardConfig({ DASHBOARD_ALLOWED_HOSTS: value })).toThrow(ConfigError)
    expect(() => loadDashboardConfig({ DASHBOARD_ALLOWED_HOSTS: value })).toThrow(
      `DASHBOARD_ALLOWED_HOSTS=${JSON.stringify(value)}: expected comma-separated host names or IP addresses, without ports`,
    )
  })
})
