/**
 * DNS-rebinding protection for the dashboard. A page on evil.example whose name is made to
 * resolve to 127.0.0.1 is same-origin with itself, not with the dashboard, yet its requests
 * reach 127.0.0.1:8088: the browser then sends `Host: evil.example[:port]`. So every request
 * must name an allowed host (localhost, 127.0.0.1, [::1], DASHBOARD_HOST when it is not a
 * wildcard, and DASHBOARD_ALLOWED_HOSTS), any port: the published host port is not the
 * container's (NETLAB_DASHBOARD_HOST_PORT moves it). A request that changes the lab (any
 * method but GET and HEAD) carrying an Origin must also come from the page's own origin,
 * scheme http and the same host and port as its Host header.
 */

/** The names a browser on this machine reaches the dashboard by. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]']

/** What a Host header may look like: a name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/

/** A host name or IP address as DASHBOARD_ALLOWED_HOSTS lists them (no port). */
const HOST_NAME =
  /^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/

/** authority normalises `host[:port]` as a URL would (case, IPv6 and IPv4 spellings, default port); undefined if it is not one. */
function authority(hostPort: string): { host: string; hostname: string } | undefined {
  if (!HOST_HEADER.test(hostPort)) return undefined
  try {
    const url = new URL(`http://${hostPort}`)
    return { host: url.host, hostname: url.hostname }
  } catch {
    return undefined
  }
}

/**
 * normaliseHostName reads one DASHBOARD_ALLOWED_HOSTS entry (`dash.lan`, `192.168.1.5`,
 * `::1` or `[::1]`) as the hostname a Host header would carry; undefined if it is not one.
 */
export function normaliseHostName(name: string): string | undefined {
  const trimmed = name.trim()
  if (!HOST_NAME.test(trimmed)) return undefined
  const bracketed = trimmed.includes(':') && !trimmed.startsWith('[') ? `[${trimmed}]` : trimmed
  return authority(bracketed)?.hostname
}

/** HostPolicy answers the two questions the dashboard asks of every request. */
export interface HostPolicy {
  /** allowedHost says whether a Host header names this dashboard. */
  allowedHost(hostHeader: string | undefined): boolean
  /** sameOrigin says whether an Origin header is the dashboard page at that Host. */
  sameOrigin(origin: string, hostHeader: string | undefined): boolean
  /** the host names allowed, for the refusal's message */
  readonly names: readonly string[]
}

/** hostPolicy builds the policy from DASHBOARD_HOST and DASHBOARD_ALLOWED_HOSTS. */
export function hostPolicy(bindHost: string, extra: readonly string[]): HostPolicy {
  const names = new Set<string>(LOOPBACK_HOSTS)
  for (const name of [bindHost, ...extra]) {
    const n = normaliseHostName(name)
    if (n !== undefined && n !== '0.0.0.0' && n !== '[::]') names.add(n)
  }
  return {
    names: [...names],
    allowedHost(hostHeader) {
      const a = hostHeader === undefined ? undefined : authority(hostHeader)
      return a !== undefined && names.has(a.hostname)
    },
    sameOrigin(origin, hostHeader) {
      const a = hostHeader === undefined ? undefined : authority(hostHeader)
      if (a === undefined) return false
      try {
        const o = new URL(origin)
        return o.protocol === 'http:' && o.origin === origin.toLowerCase() && o.host === a.host
      } catch {
        return false
      }
    },
  }
}
