/**
 * Prints the running lab (used by `make up` and `make ps`): one row per published port, with
 * the service's state, the container address:port, the host port and an example. Rows fit
 * 120 columns. With --json (`make ps JSON=1`), one JSON document: every service with its
 * container, state, health, address and ports.
 * Run with Node >= 22.18 (type stripping): node scripts/lab-status.ts [--json]
 */
import { execFileSync } from 'node:child_process'

/** PsRow is one line of `docker compose ps --format json`. */
export interface PsRow {
  readonly Name: string
  readonly Service: string
  readonly State: string
  readonly Health: string
  readonly Publishers: readonly Publisher[] | null
}
interface Publisher {
  readonly URL: string
  readonly TargetPort: number
  readonly PublishedPort: number
  readonly Protocol: string
}

/** LabService is one service as `--json` prints it. */
export interface LabService {
  readonly service: string
  readonly container: string
  readonly state: string
  readonly health: string | null
  readonly address: string
  readonly ports: readonly {
    readonly port: number
    readonly protocol: string
    /** `127.0.0.1:9999`, or null when the port is not published */
    readonly host: string | null
    readonly example: string | null
  }[]
}

/** The widest a table row may be. */
export const MAX_COLUMNS = 120
const CLIENT = 'docker compose run --rm client'

/** One example per service port/protocol (`client` stands for `docker compose run --rm client`). */
const examples: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tcp: {
    '9999/tcp': 'client tcp upper "hello world"',
    '20000/tcp': 'client tcp echo "any bytes"',
    '9998/tcp': 'client tcp cmd HELP',
    '8001/tcp': 'client tcp welcome',
    '9997/tcp': 'client tcp hello Michael Tracy Sarah',
    '50000/tcp': 'client tcp ack "hello, tcpServer!"',
  },
  udp: {
    '20000/udp': 'client udp time',
    '9999/udp': 'client udp hello Michael',
    '37/udp': 'client udp rfc868',
    '123/udp': 'client udp sntp',
    '9000/udp': 'client udp probe --count 2000 --rate 1000',
    '50001/udp': 'client udp ack "hello, udpServer!"',
  },
  rpc: {
    '15000/tcp': 'client rpc call add 2 3',
    '15001/tcp': 'client rpc call add 2 3 --via jsonrpc',
    '17000/tcp': 'client rpc call add 2 3 --via mpconn',
    '25000/tcp': 'docs/rpc.md: the mp-connection echo',
  },
  faults: {
    '8474/tcp': 'client faults list',
    '19999/tcp': 'client tcp upper --host faults --port 19999 hi',
    '40000/udp': 'client udp time --host faults --port 40000',
  },
  http: { '8080/tcp': 'curl -s HOST/get?name=Dave' },
  dashboard: { '8088/tcp': 'open http://HOST/ (docs/dashboard.md)' },
}

/** labServices turns compose's rows and each container's address into the JSON model. */
export function labServices(rows: readonly PsRow[], addressOf: (container: string) => string): LabService[] {
  return [...rows]
    .sort((a, b) => a.Service.localeCompare(b.Service))
    .map((row) => {
      const seen = new Set<string>()
      const ports: LabService['ports'][number][] = []
      for (const p of row.Publishers ?? []) {
        const key = `${p.TargetPort}/${p.Protocol}`
        if (seen.has(key)) continue // the same port published on IPv4 and IPv6
        seen.add(key)
        const host = p.PublishedPort ? `${p.URL}:${p.PublishedPort}` : null
        const example = examples[row.Service]?.[key]?.replace('HOST', host ?? '') ?? null
        ports.push({ port: p.TargetPort, protocol: p.Protocol, host, example })
      }
      ports.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
      return {
        service: row.Service,
        container: row.Name,
        state: row.State,
        health: row.Health || null,
        address: addressOf(row.Name),
        ports,
      }
    })
}

/** clip cuts a row to `MAX_COLUMNS`, ending it with an ellipsis when it was longer. */
const clip = (row: string) => (row.length <= MAX_COLUMNS ? row : `${row.slice(0, MAX_COLUMNS - 1)}…`)

/** formatTable renders the services, one row per port, no row wider than MAX_COLUMNS. */
export function formatTable(services: readonly LabService[]): string {
  const table: string[][] = [['SERVICE', 'STATE', 'CONTAINER ADDRESS', 'HOST PORT', 'EXAMPLE']]
  for (const s of services) {
    const state = s.health ?? s.state
    const rows = s.ports.length > 0 ? s.ports : [undefined]
    for (const p of rows)
      table.push([
        s.service,
        state,
        p ? `${s.address || s.service}:${p.port}/${p.protocol}` : s.address,
        p?.host ? `${p.host}/${p.protocol}` : '-',
        p?.example ?? '',
      ])
  }
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? []
  const lines = table.map((r) =>
    clip(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    ),
  )
  return [...lines, `(client = ${CLIENT})`].join('\n')
}

if (import.meta.main) {
  const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' })
  const rows: PsRow[] = docker('compose', 'ps', '--format', 'json')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => JSON.parse(l) as PsRow | PsRow[])
  const services = labServices(
    rows,
    (name) =>
      docker('inspect', name, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}')
        .trim()
        .split(' ')[0]
        ?.trim() ?? '',
  )
  if (process.argv.includes('--json')) console.log(JSON.stringify({ services }, null, 2))
  else if (services.length === 0) console.log('netlab: no services running (start them with `make up`)')
  else console.log(formatTable(services))
}
