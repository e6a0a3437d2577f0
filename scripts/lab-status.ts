/**
 * Prints the running lab as a table (used by `make up` and `make ps`): each service's
 * container, health, container address:port, host port, and one example command.
 * Run with Node >= 22.18 (type stripping): node scripts/lab-status.ts
 */
import { execFileSync } from 'node:child_process'

interface Publisher {
  readonly URL: string
  readonly TargetPort: number
  readonly PublishedPort: number
  readonly Protocol: string
}
interface PsRow {
  readonly Name: string
  readonly Service: string
  readonly State: string
  readonly Health: string
  readonly Publishers: readonly Publisher[] | null
}

/** One example per service port; a service not listed here shows no example. */
const examples: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  tcp: {
    9999: 'docker compose run --rm client tcp upper "hello world"',
    20000: 'docker compose run --rm client tcp echo "any bytes"',
    9998: 'docker compose run --rm client tcp cmd HELP',
    8001: 'docker compose run --rm client tcp welcome',
    9997: 'docker compose run --rm client tcp hello Michael Tracy Sarah',
    50000: 'docker compose run --rm client tcp ack "hello, tcpServer!"',
  },
  udp: {
    20000: 'docker compose run --rm client udp time',
    9999: 'docker compose run --rm client udp hello Michael',
    37: 'docker compose run --rm client udp rfc868',
    123: 'docker compose run --rm client udp sntp',
    9000: 'docker compose run --rm client udp probe --count 2000 --rate 1000',
    50001: 'docker compose run --rm client udp ack "hello, tcpServer!"',
  },
  rpc: {
    15000:
      'python3 -c "from xmlrpc.client import ServerProxy; print(ServerProxy(\'http://127.0.0.1:15000\').add(2, 3))"',
    15001: 'echo \'{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}\' | nc -N 127.0.0.1 15001',
    17000: 'docker compose run --rm client rpc call add 2 3 --via mpconn',
    25000:
      "python3 -c \"from multiprocessing.connection import Client; c = Client(('127.0.0.1', 25000), authkey=b'peekaboo'); c.send({1, 2.5}); print(c.recv())\"",
  },
  faults: {
    8474: 'docker compose run --rm client faults list',
    19999: 'docker compose run --rm client tcp upper --host faults --port 19999 "through the proxy"',
  },
  http: {
    8080: 'curl -s 127.0.0.1:8080/get?name=Dave  |  docker compose run --rm client http post-data',
  },
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' })
const rows: PsRow[] = docker('compose', 'ps', '--format', 'json')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .flatMap((l) => JSON.parse(l) as PsRow | PsRow[])

if (rows.length === 0) {
  console.log('netlab: no services running (start them with `make up`)')
} else {
  const table: string[][] = [['SERVICE', 'CONTAINER', 'STATE', 'CONTAINER ADDRESS', 'HOST PORT', 'EXAMPLE']]
  for (const row of rows.sort((a, b) => a.Service.localeCompare(b.Service))) {
    const ip = docker(
      'inspect',
      row.Name,
      '--format',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
    ).trim()
    const state = row.Health ? `${row.State} (${row.Health})` : row.State
    const seen = new Set<string>()
    for (const p of row.Publishers ?? []) {
      const key = `${p.TargetPort}/${p.Protocol}`
      if (seen.has(key)) continue // the same port published on IPv4 and IPv6
      seen.add(key)
      const hostPort = p.PublishedPort ? `${p.URL}:${p.PublishedPort}/${p.Protocol}` : '-'
      table.push([
        row.Service,
        row.Name,
        state,
        `${row.Service} (${ip}):${p.TargetPort}/${p.Protocol}`,
        hostPort,
        examples[row.Service]?.[p.TargetPort] ?? '',
      ])
    }
  }
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? []
  for (const r of table)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
}
