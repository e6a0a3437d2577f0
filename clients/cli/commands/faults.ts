/**
 * `netlab faults list|add|remove|reset|enable|disable`: drive the faults service's
 * toxiproxy-compatible API, e.g. `netlab faults add udp-time loss --toxicity 0.2`.
 */
import { type Command, InvalidArgumentError } from 'commander'
import { callApi, type FaultsApi, type ProxyInfo, type ToxicInfo } from '../net/faults-api.ts'
import { parsePort, parseTimeout, type Runner } from '../options.ts'
import type { ServicePorts } from '../targets.ts'

interface ApiOpts {
  readonly host: string
  readonly port?: number
  readonly timeout: number
}

interface AddOpts extends ApiOpts {
  readonly stream: 'upstream' | 'downstream'
  readonly toxicity?: number
  readonly name?: string
  readonly attribute: Readonly<Record<string, number>>
}

function parseToxicity(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('expected a probability from 0 to 1')
  return n
}

function parseStream(value: string): 'upstream' | 'downstream' {
  if (value !== 'upstream' && value !== 'downstream')
    throw new InvalidArgumentError('expected upstream or downstream')
  return value
}

/** collectAttribute reads one `-a key=value` (an integer) into the map of attributes. */
export function collectAttribute(
  text: string,
  previous: Readonly<Record<string, number>>,
): Record<string, number> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(text)
  if (!m) throw new InvalidArgumentError('expected key=integer, e.g. latency=200')
  return { ...previous, [m[1] as string]: Number(m[2]) }
}

/** toxicLine describes a toxic on one line: `latency_downstream  latency downstream 100% latency=200 jitter=0`. */
export function toxicLine(t: ToxicInfo): string {
  const attrs = Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`)
  return [t.name, t.type, t.stream, `toxicity=${t.toxicity}`, ...attrs].join(' ')
}

/** formatProxies renders GET /proxies as a table, each proxy's toxics under it. */
export function formatProxies(proxies: readonly ProxyInfo[]): string {
  if (proxies.length === 0) return 'no proxies'
  const rows = [
    ['PROXY', 'PROTO', 'LISTEN', 'UPSTREAM', 'ENABLED'],
    ...proxies.map((p) => [p.name, p.protocol, p.listen, p.upstream, p.enabled ? 'yes' : 'no']),
  ]
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const out: string[] = [line(rows[0] ?? [])]
  for (const [i, p] of proxies.entries()) {
    out.push(line(rows[i + 1] ?? []))
    for (const t of p.toxics) out.push(`  └ ${toxicLine(t)}`)
  }
  return out.join('\n')
}

function withApi(cmd: Command, defaults: ServicePorts): Command {
  return cmd
    .option('--host <host>', 'faults API host', defaults.host)
    .option('--port <port>', `faults API port (default: ${defaults.ports.api})`, parsePort)
    .option('--timeout <ms>', 'deadline for the API call', parseTimeout, 5000)
}

/** registerFaults adds the `faults` command group to `program`. */
export function registerFaults(program: Command, defaults: ServicePorts, run: Runner): void {
  const faults = program
    .command('faults')
    .description('fault-injection proxy (toxiproxy API on 8474): list, add and remove toxics, reset')
  const api = (o: ApiOpts, signal: AbortSignal): FaultsApi => ({
    host: o.host,
    port: o.port ?? (defaults.ports.api as number),
    timeoutMs: o.timeout,
    signal,
  })
  withApi(faults.command('list').description('list the proxies and their toxics'), defaults).action(
    (opts: ApiOpts) =>
      run(async ({ signal }) => {
        const map = (await callApi(api(opts, signal), 'GET', '/proxies')) as Record<string, ProxyInfo>
        const proxies = Object.values(map).sort((a, b) => a.name.localeCompare(b.name))
        return { text: formatProxies(proxies), data: { proxies } }
      }),
  )

  withApi(
    faults
      .command('add')
      .argument('<proxy>', 'proxy name, e.g. udp-time (see faults list)')
      .argument(
        '<type>',
        'toxic type: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data (TCP); latency, loss, duplicate, reorder, corrupt, rate (UDP)',
      )
      .description('add a toxic: faults add tcp-upper latency -a latency=200'),
    defaults,
  )
    .option(
      '--stream <stream>',
      'upstream (client → server) or downstream (server → client)',
      parseStream,
      'downstream',
    )
    .option('--toxicity <p>', 'probability: per connection (TCP) or per datagram (UDP)', parseToxicity)
    .option('--name <name>', 'toxic name (default: <type>_<stream>)')
    .option('-a, --attribute <key=value>', 'a toxic attribute, repeatable', collectAttribute, {})
    .action((proxy: string, type: string, opts: AddOpts) =>
      run(async ({ signal }) => {
        const body = {
          type,
          stream: opts.stream,
          attributes: opts.attribute,
          ...(opts.toxicity === undefined ? {} : { toxicity: opts.toxicity }),
          ...(opts.name === undefined ? {} : { name: opts.name }),
        }
        const toxic = (await callApi(
          api(opts, signal),
          'POST',
          `/proxies/${encodeURIComponent(proxy)}/toxics`,
          body,
        )) as ToxicInfo
        return { text: `added to ${proxy}: ${toxicLine(toxic)}`, data: { proxy, toxic } }
      }),
    )

  withApi(
    faults
      .command('remove')
      .argument('<proxy>', 'proxy name')
      .argument('<toxic>', 'toxic name (see faults list)')
      .description('remove a toxic'),
    defaults,
  ).action((proxy: string, toxic: string, opts: ApiOpts) =>
    run(async ({ signal }) => {
      await callApi(
        api(opts, signal),
        'DELETE',
        `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`,
      )
      return { text: `removed ${toxic} from ${proxy}`, data: { proxy, removed: toxic } }
    }),
  )

  withApi(faults.command('reset').description('enable every proxy and remove every toxic'), defaults).action(
    (opts: ApiOpts) =>
      run(async ({ signal }) => {
        await callApi(api(opts, signal), 'POST', '/reset')
        return { text: 'reset: every proxy enabled, every toxic removed', data: { reset: true } }
      }),
  )

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    withApi(
      faults
        .command(verb)
        .argument('<proxy>', 'proxy name')
        .description(
          enabled
            ? 'enable a proxy (listen again)'
            : 'disable a proxy: close its listener and every connection',
        ),
      defaults,
    ).action((proxy: string, opts: ApiOpts) =>
      run(async ({ signal }) => {
        const p = (await callApi(api(opts, signal), 'POST', `/proxies/${encodeURIComponent(proxy)}`, {
          enabled,
        })) as ProxyInfo
        return {
          text: `${p.name} ${p.enabled ? 'enabled' : 'disabled'} (${p.listen} → ${p.upstream})`,
          data: { proxy: p },
        }
      }),
    )
  }
}
