/** host:port parsing for the `listen` and `upstream` fields ("0.0.0.0:19999", "[::1]:80", "tcp:9999"). */
import { badRequest } from './errors.ts'

/** HostPort is a parsed address; `host` has no brackets. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/** parseHostPort reads `host:port`; an empty host means 0.0.0.0; port 0 only when `allowZero`. */
export function parseHostPort(text: string, field: string, allowZero: boolean): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65535 || (port === 0 && !allowZero))
    throw badRequest(
      `${field}: expected host:port with a port from ${allowZero ? 0 : 1} to 65535, not ${JSON.stringify(text)}`,
    )
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string))
  return { host, port }
}

/** formatHostPort is the inverse: brackets around IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
