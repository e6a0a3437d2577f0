/** `netlab http get|head|delete|post|put|patch|post-data`: the HTTP service, curl-like. */
import { isUtf8 } from 'node:buffer'
import { readFile, stat } from 'node:fs/promises'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import type { CommandContext } from '../command-context.ts'
import {
  breakdown,
  DATA_LIMITS,
  type DataExperimentReport,
  DEFAULT_DATA_ITEMS,
  PHASES,
  type Phase,
  type ResponseBreakdown,
  runDataExperiment,
  SEED_000,
} from '../net/data-experiment.ts'
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  type HeaderMap,
  HttpClient,
  type HttpResponse,
  type HttpTarget,
  isJsonMediaType,
  mediaTypeOf,
  resolveUrl,
  statusSummary,
} from '../net/http-client.ts'
import { parseTimeout, type Runner } from '../options.ts'
import type { Io } from '../output.ts'
import type { ServicePorts } from '../targets.ts'
import { integer } from './udp.ts'

type Pair = [string, string]

interface RequestOpts {
  /** absent when no -H was given */
  readonly header?: readonly Pair[]
  readonly timeout: number
  readonly include?: boolean
  readonly timing?: boolean
  readonly data?: string
  readonly dataFile?: string
  readonly jsonBody?: string
  /** absent on get, head and delete */
  readonly form?: readonly Pair[]
}

interface PostDataOpts {
  readonly items: number
  readonly runs: number
  readonly compact?: boolean
  readonly timeout: number
}

/** The largest request body the CLI reads from --data-file (the service's own default limit is 16 MiB). */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024
export const DEFAULT_DATA_TIMEOUT_MS = 30_000

const TOKEN = /^[!#$%&'*+.^_`|~\w-]+$/

/** pairParser returns a repeatable commander parser for `name<sep>value` options. */
function pairParser(sep: string, expected: string, valid: (name: string, value: string) => boolean) {
  return (text: string, previous: readonly Pair[] = []): Pair[] => {
    const at = text.indexOf(sep)
    const name = at > 0 ? text.slice(0, at).trim() : ''
    const value = sep === ':' ? text.slice(at + 1).trim() : text.slice(at + 1)
    if (name === '' || !valid(name, value)) throw new InvalidArgumentError(`expected ${expected}`)
    return [...previous, [name, value]]
  }
}

/** parseHeader reads `-H 'Name: value'` (a token name; no CR, LF or NUL in the value). */
export const parseHeader = pairParser(':', '"Name: value"', (n, v) => TOKEN.test(n) && !/[\r\n\0]/.test(v))
/** parseField reads `--form name=value`. */
export const parseField = pairParser('=', 'name=value', () => true)

/** headerMap folds -H pairs into lower-case names; a repeated name keeps every value. */
function headerMap(pairs: readonly Pair[] = []): HeaderMap {
  const out: HeaderMap = {}
  for (const [name, value] of pairs) {
    const key = name.toLowerCase()
    const had = out[key]
    out[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value]
  }
  return out
}

async function readBounded(path: string, ctx: CommandContext): Promise<Buffer> {
  const tooLarge = () =>
    new LabError('INVALID_ARGUMENT', `--data-file ${path} is larger than ${MAX_REQUEST_BYTES} bytes`)
  if (path === '-') return ctx.readInput('--data-file -', MAX_REQUEST_BYTES)
  try {
    if ((await stat(path)).size > MAX_REQUEST_BYTES) throw tooLarge()
    return await readFile(path)
  } catch (err) {
    if (err instanceof LabError) throw err
    const why = isErrnoException(err) ? err.code : String(err)
    throw new LabError('INVALID_ARGUMENT', `cannot read --data-file ${path}: ${why}`, { cause: err })
  }
}

/** requestBody is the body the options ask for and its default Content-Type (none for --data). */
async function requestBody(
  opts: RequestOpts,
  ctx: CommandContext,
): Promise<{ body?: Buffer; type?: string }> {
  if (opts.data !== undefined) return { body: Buffer.from(opts.data, 'utf8') }
  if (opts.dataFile !== undefined) return { body: await readBounded(opts.dataFile, ctx) }
  if (opts.jsonBody !== undefined) {
    try {
      JSON.parse(opts.jsonBody)
    } catch (err) {
      throw new LabError('INVALID_ARGUMENT', `--json-body is not valid JSON: ${(err as Error).message}`)
    }
    return { body: Buffer.from(opts.jsonBody, 'utf8'), type: 'application/json' }
  }
  if (opts.form !== undefined && opts.form.length > 0)
    return {
      body: Buffer.from(new URLSearchParams(opts.form).toString(), 'utf8'),
      type: 'application/x-www-form-urlencoded',
    }
  return {}
}

/** headerBlock is the status line and headers, as `--include` prints them. */
function headerBlock(res: HttpResponse): string {
  const lines = [`HTTP/1.1 ${res.status} ${res.statusText}`.trimEnd()]
  for (const [name, value] of Object.entries(res.headers))
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`)
  return `${lines.join('\n')}\n\n`
}

/** jsonBody is the body for --json: parsed when it is JSON, text when UTF-8, else base64. */
function jsonBody(res: HttpResponse): Record<string, unknown> {
  if (isJsonMediaType(mediaTypeOf(res.headers)))
    try {
      return { body: JSON.parse(res.body.toString('utf8')) as unknown }
    } catch {
      // declared JSON but is not: fall through to text
    }
  if (isUtf8(res.body)) return { body: res.body.toString('utf8') }
  return { body: res.body.toString('base64'), body_encoding: 'base64' }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000
const ms = (n: number) => `${round3(n).toFixed(3)} ms`
const grouped = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')

function twoColumns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n')
}

/** formatBreakdown renders GET /data/'s timing (stderr, next to the body on stdout). */
export function formatBreakdown(b: ResponseBreakdown): string {
  return twoColumns([
    ['size', `${grouped(b.bytes)} B`],
    ['ttfb', ms(b.ttfbMs)],
    ['transfer', ms(b.transferMs)],
    ['total', ms(b.totalMs)],
    ['client unpack', b.unpackMs === null ? 'n/a (not JSON)' : `${ms(b.unpackMs)} (JSON.parse)`],
    ['items', b.items === null ? 'n/a' : String(b.items)],
  ])
}

/** The seed's figure for each phase (total = pack + transfer, as its client measured); null: none. */
const SEED_MS: Readonly<Record<Phase, number | null>> = {
  pack: SEED_000.packMs,
  transfer: SEED_000.transferMs,
  server_parse: null,
  server_unpack: SEED_000.serverUnpackMs,
  client_unpack: null,
  total: round3(SEED_000.packMs + SEED_000.transferMs),
}

const ratio = (seed: number | null, ours: number | undefined): number | null =>
  seed === null || ours === undefined || ours <= 0 ? null : Math.round((seed / ours) * 100) / 100

/** formatDataReport renders post-data's table: ours (min/median/max with runs > 1) beside the seed's. */
export function formatDataReport(r: DataExperimentReport): string {
  const multi = r.runs > 1
  const head = multi
    ? ['phase', 'min', 'median', 'max', 'seed 000', 'seed/median']
    : ['phase', 'ours', 'seed 000', 'seed/ours']
  const rows: string[][] = [head]
  const na = (n: number | null, f: (n: number) => string) => (n === null ? 'n/a' : f(n))
  const fixed3 = (n: number) => round3(n).toFixed(3)
  for (const phase of PHASES) {
    const s = r.phases[phase]
    const seed = SEED_MS[phase]
    const ours = s
      ? (multi ? [s.min, s.median, s.max] : [s.median]).map(fixed3)
      : multi
        ? ['n/a', 'n/a', 'n/a']
        : ['n/a']
    rows.push([
      `${phase.replace('_', ' ')} ms`,
      ...ours,
      na(seed, fixed3),
      na(ratio(seed, s?.median), (n) => n.toFixed(2)),
    ])
  }
  const bytesRatio = (ratio(SEED_000.bytes, r.bytes) ?? 0).toFixed(2)
  rows.push([
    'bytes',
    ...(multi ? ['', grouped(r.bytes), ''] : [grouped(r.bytes)]),
    grouped(SEED_000.bytes),
    bytesRatio,
  ])
  const widths = head.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)))
  const table = rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
  const spacing = r.spacing === 'python' ? 'json.dumps spacing' : 'compact JSON.stringify'
  const runs = `${r.runs} run${r.runs === 1 ? '' : 's'}`
  const conns = `${r.connections} connection${r.connections === 1 ? '' : 's'}`
  const lines = [
    `POST ${r.url}: ${r.items} items, ${grouped(r.bytes)} bytes (${spacing}), ${runs}, ${conns}`,
    ...table,
    `received: ${r.received.items} items, ${grouped(r.received.bytes)} bytes (as sent)`,
    'transfer: request dispatched → response complete; total: pack + transfer',
    'seed 000: Python 2 json.dumps and a Flask dev server on loopback, 100000 items (2016)',
  ]
  if (r.items !== SEED_000.items)
    lines.push(`note: seed 000 sent ${SEED_000.items} items; the ratios compare unlike sizes`)
  return lines.join('\n')
}

/** dataJson is post-data's --json object: the report, the seed's figures and the ratios. */
function dataJson(r: DataExperimentReport): Record<string, unknown> {
  const { phases, ...rest } = r
  return {
    service: 'http',
    proto: 'post-data',
    ...rest,
    phases_ms: phases,
    seed: {
      items: SEED_000.items,
      bytes: SEED_000.bytes,
      ...Object.fromEntries(PHASES.map((p) => [`${p}_ms`, SEED_MS[p]])),
    },
    ratio_seed_to_ours: {
      ...Object.fromEntries(PHASES.map((p) => [p, ratio(SEED_MS[p], phases[p]?.median)])),
      bytes: ratio(SEED_000.bytes, r.bytes),
    },
  }
}

const isDataPath = (url: URL) => url.pathname === '/data/' || url.pathname === '/data'

function withRequestOptions(cmd: Command): Command {
  return cmd
    .option('-H, --header <header>', "request header 'Name: value' (repeatable)", parseHeader)
    .option('--timeout <ms>', 'deadline for the whole exchange', parseTimeout, DEFAULT_HTTP_TIMEOUT_MS)
    .option('-i, --include', 'print the status line and headers before the body')
    .option('--timing', 'print size, time to first byte, transfer and unpack times to stderr')
}

function withBodyOptions(cmd: Command): Command {
  const bodies = ['data', 'dataFile', 'jsonBody', 'form']
  const others = (name: string) => bodies.filter((b) => b !== name)
  return cmd
    .addOption(
      new Option('--data <text>', 'send TEXT as it is (no Content-Type unless -H gives one)').conflicts(
        others('data'),
      ),
    )
    .addOption(
      new Option('--data-file <path>', "send a file's bytes (- for stdin; at most 64 MiB)").conflicts(
        others('dataFile'),
      ),
    )
    .addOption(
      new Option('--json-body <json>', 'send JSON (checked first) as application/json').conflicts(
        others('jsonBody'),
      ),
    )
    .addOption(
      new Option('--form <name=value>', 'send a form field, application/x-www-form-urlencoded (repeatable)')
        .argParser(parseField)
        .conflicts(others('form')),
    )
}

/**
 * registerHttp adds the `http` command group to `program`. Response bodies go to stdout as
 * they are; the failure line and the --timing breakdown go to `io.stderr`.
 */
export function registerHttp(program: Command, defaults: ServicePorts, run: Runner, io: Io): void {
  const service: HttpTarget = { host: defaults.host, port: defaults.ports.http as number }
  const json = () => Boolean(program.opts<{ json?: boolean }>().json)
  const http = program
    .command('http')
    .description(
      `HTTP service (${service.host}:${service.port}): <target> is a path on it (/get, /data/) or a full ` +
        "http:// URL. Any http:// URL works from the host; the lab's rule is loopback and the lab's " +
        'containers only. Exit 0 for 2xx/3xx, else 1.',
    )

  const request = async (method: string, target: string, opts: RequestOpts, ctx: CommandContext) => {
    const url = resolveUrl(target, service)
    const headers: HeaderMap = { 'user-agent': 'netlab', ...headerMap(opts.header) }
    const { body, type } = await requestBody(opts, ctx)
    if (type !== undefined && headers['content-type'] === undefined) headers['content-type'] = type
    await using client = new HttpClient({ timeoutMs: opts.timeout, signal: ctx.signal })
    const res = await client.send({ method, url, headers, body })
    const ok = res.status >= 200 && res.status < 400
    const timing = opts.timing || (method === 'GET' && isDataPath(url)) ? breakdown(res) : undefined
    const data = {
      method,
      url: url.href,
      status: res.status,
      headers: res.headers,
      ...jsonBody(res),
      timing: { ttfb_ms: round3(res.timing.ttfbMs), total_ms: round3(res.timing.totalMs) },
      ...(timing && {
        breakdown: {
          bytes: timing.bytes,
          ttfb_ms: round3(timing.ttfbMs),
          transfer_ms: round3(timing.transferMs),
          total_ms: round3(timing.totalMs),
          unpack_ms: timing.unpackMs === null ? null : round3(timing.unpackMs),
          items: timing.items,
        },
      }),
    }
    let text = ''
    if (!json()) {
      const block = opts.include ? headerBlock(res) : ''
      if (isUtf8(res.body)) text = `${block}${res.body.toString('utf8')}`
      else io.stdout.write(Buffer.concat([Buffer.from(block, 'utf8'), res.body]))
      if (timing) io.stderr.write(`${formatBreakdown(timing)}\n`)
    }
    if (!ok) io.stderr.write(`netlab: ${method} ${target} → ${statusSummary(res)}\n`)
    return { text, data, exitCode: ok ? 0 : 1 }
  }

  const methods: readonly (readonly [string, boolean, string])[] = [
    ['get', false, "send GET, print the body (for /data/, also the seed's timing breakdown on stderr)"],
    ['head', false, 'send HEAD: prints nothing (the headers with -i); the exit code tells the status'],
    ['delete', false, 'send DELETE, print the body'],
    ['post', true, 'send POST with a body, print the body'],
    ['put', true, 'send PUT with a body, print the body'],
    ['patch', true, 'send PATCH with a body, print the body'],
  ]
  for (const [name, withBody, description] of methods) {
    const cmd = withRequestOptions(
      http
        .command(name)
        .argument('<target>', 'path on the HTTP service, or an http:// URL')
        .description(description),
    )
    ;(withBody ? withBodyOptions(cmd) : cmd).action((target: string, opts: RequestOpts) =>
      run((ctx) => request(name.toUpperCase(), target, opts, ctx)),
    )
  }

  const { items, runs } = DATA_LIMITS
  http
    .command('post-data')
    .argument('[target]', 'the /data/ endpoint: a path, or an http:// URL', '/data/')
    .description(
      "seed 000's experiment: pack N items as JSON, POST them, and time pack, transfer and unpack beside " +
        "the seed's figures; checks that the server received every item and byte",
    )
    .option(
      '--items <n>',
      `items in the document (${items.min}-${items.max}; the lab's server takes 16 MiB by default: ` +
        'up to 511767 items, 562944 with --compact)',
      integer(items.min, items.max, 'an item count'),
      DEFAULT_DATA_ITEMS,
    )
    .option(
      '--runs <n>',
      `repetitions on one keep-alive connection (${runs.min}-${runs.max})`,
      integer(runs.min, runs.max, 'a run count'),
      1,
    )
    .option('--compact', "serialize with JSON.stringify instead of Python's json.dumps spacing")
    .option('--timeout <ms>', 'deadline for each request', parseTimeout, DEFAULT_DATA_TIMEOUT_MS)
    .action((target: string, opts: PostDataOpts) =>
      run(async ({ signal }) => {
        const url = resolveUrl(target, service)
        await using client = new HttpClient({ timeoutMs: opts.timeout, signal })
        const report = await runDataExperiment({
          client,
          url,
          label: target,
          items: opts.items,
          runs: opts.runs,
          spacing: opts.compact ? 'compact' : 'python',
        })
        return { text: formatDataReport(report), data: dataJson(report) }
      }),
    )
}
