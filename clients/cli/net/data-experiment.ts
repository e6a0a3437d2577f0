/**
 * Seed 000's experiment across the network: time packing a JSON document, sending it to
 * POST /data/, and unpacking it, as the seed's Flask client and server did on one machine.
 *
 *   pack           build {0: {'name': 'tigerrose'}, ...} and serialize it to bytes
 *                  (json.dumps spacing by default: ", " and ": ", so 100 000 items are the
 *                  seed's 3,188,890 bytes; `compact` is JSON.stringify)
 *   transfer       request dispatched → response complete (the seed timed conn.request to
 *                  getresponse; its reply was 7 bytes, so headers and body are one read)
 *   server parse   JSON.parse on the server (the seed did not time json.loads)
 *   server unpack  the seed's server loop, copying every item (its "Unpack Time")
 *   client unpack  JSON.parse of the reply on this side
 *   total          pack + transfer (the seed's client-side wall time)
 *
 * Every run checks that the server received exactly the items and bytes sent.
 */
import { LabError } from '../../../lib/errors.ts'
import { median } from '../stats.ts'
import { type HttpClient, type HttpResponse, serverTiming, statusSummary } from './http-client.ts'

/** Seed 000's published figures (Python 2, Flask's dev server, loopback, 2016). */
export const SEED_000 = {
  items: 100_000,
  bytes: 3_188_890,
  packMs: 368.087,
  transferMs: 1012.829,
  serverUnpackMs: 106.405,
} as const

export const DATA_LIMITS = { items: { min: 1, max: 1_000_000 }, runs: { min: 1, max: 50 } } as const
export const DEFAULT_DATA_ITEMS = SEED_000.items

export type DataItem = { readonly name: string }
export type Spacing = 'python' | 'compact'

export const PHASES = ['pack', 'transfer', 'server_parse', 'server_unpack', 'client_unpack', 'total'] as const
export type Phase = (typeof PHASES)[number]

/** buildDocument is the seed's `data[i] = {'name': 'tigerrose'}` for i in 0..items−1. */
export function buildDocument(items: number): Record<string, DataItem> {
  const doc: Record<string, DataItem> = {}
  for (let i = 0; i < items; i++) doc[i] = { name: 'tigerrose' }
  return doc
}

/** Characters Python's json.dumps writes as they are: printable ASCII except `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
/** What ensure_ascii escapes beyond JSON.stringify: DEL and every non-ASCII UTF-16 unit. */
const NON_ASCII = /[\u007f-\uffff]/g

/** pyString is a string as Python's json.dumps (ensure_ascii=True) writes it. */
export function pyString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`
  return JSON.stringify(s).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * pythonDumps serializes an object of flat string-valued objects exactly as Python's
 * `json.dumps` does with its defaults (", " and ": " separators, ensure_ascii), in
 * JavaScript's property order (integer keys ascending, then insertion order; the same as
 * Python's insertion order for the experiment's document). It is written for that one
 * shape, and is fast on it: field names and values repeat, so their encodings are cached,
 * and an item of one field whose name and value are the previous item's reuses its encoding.
 */
export function pythonDumps(doc: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  const cache = new Map<string, string>()
  const cached = (s: string): string => {
    let e = cache.get(s)
    if (e === undefined) {
      e = pyString(s)
      if (cache.size < 1024) cache.set(s, e)
    }
    return e
  }
  // the last one-field item encoded: its field, its value and its encoding
  let lastField: string | undefined
  let lastValue: string | undefined
  let lastItem = ''
  let out = '{'
  let sep = ''
  // for-in walks own keys in the same order as Object.keys (integer keys ascending, then
  // insertion order), without allocating a key array per item
  for (const key in doc) {
    const item = doc[key] as Readonly<Record<string, string>>
    let fields = 0
    let field = ''
    for (const f in item) {
      if (++fields > 1) break
      field = f
    }
    const value = fields === 1 ? item[field] : undefined
    if (fields !== 1 || field !== lastField || value !== lastValue) {
      let encoded = '{'
      let fieldSep = ''
      for (const f in item) {
        encoded += `${fieldSep}${cached(f)}: ${cached(item[f] as string)}`
        fieldSep = ', '
      }
      lastItem = `${encoded}}`
      lastField = fields === 1 ? field : undefined
      lastValue = value
    }
    out += `${sep}${pyString(key)}: ${lastItem}`
    sep = ', '
  }
  return `${out}}`
}

/** pack builds and serializes the document: the seed's "Pack Time". */
export function pack(items: number, spacing: Spacing): { body: Buffer; packMs: number } {
  const t0 = performance.now()
  const doc = buildDocument(items)
  const body = Buffer.from(spacing === 'python' ? pythonDumps(doc) : JSON.stringify(doc), 'utf8')
  return { body, packMs: performance.now() - t0 }
}

export interface PhaseStats {
  readonly min: number
  readonly median: number
  readonly max: number
  /** one value per run, ms */
  readonly values: readonly number[]
}

export interface DataExperimentOptions {
  readonly client: HttpClient
  readonly url: URL
  /** the target as the user wrote it, for messages */
  readonly label: string
  readonly items: number
  readonly runs: number
  readonly spacing: Spacing
}

export interface DataExperimentReport {
  readonly url: string
  readonly items: number
  readonly runs: number
  readonly spacing: Spacing
  readonly bytes: number
  readonly received: { readonly items: number; readonly bytes: number }
  /** TCP connections opened for all runs (1: keep-alive held) */
  readonly connections: number
  /** null where the server reported no such figure */
  readonly phases: Readonly<Record<Phase, PhaseStats | null>>
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

function stats(values: readonly (number | undefined)[]): PhaseStats | null {
  if (values.some((v) => v === undefined)) return null
  const vs = values as number[]
  return {
    min: round3(Math.min(...vs)),
    median: round3(median(vs) ?? 0),
    max: round3(Math.max(...vs)),
    values: vs.map(round3),
  }
}

interface Receipt {
  readonly items: number
  readonly bytes: number
  readonly parseMs?: number
  readonly unpackMs?: number
  readonly clientUnpackMs: number
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** readReceipt checks the status and reads POST /data/'s answer (timings: body, else Server-Timing). */
function readReceipt(res: HttpResponse, label: string, sent: { items: number; bytes: number }): Receipt {
  if (res.status < 200 || res.status > 299) {
    const hint =
      res.status === 413
        ? ` (${sent.items} items are ${sent.bytes} bytes, over the server's body limit: HTTP_MAX_BODY_BYTES)`
        : ''
    throw new LabError('HTTP_STATUS', `POST ${label} → ${statusSummary(res)}${hint}`)
  }
  const text = res.body.toString('utf8')
  const t0 = performance.now()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const clientUnpackMs = performance.now() - t0
  const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const items = num(r.items)
  const bytes = num(r.bytes)
  if (items === undefined || bytes === undefined)
    throw new LabError(
      'BAD_REPLY',
      `POST ${label}: the reply is not a /data/ receipt with items and bytes: ${text.slice(0, 200)}`,
    )
  const timing = serverTiming(res.headers)
  return {
    items,
    bytes,
    parseMs: num(r.parse_ms) ?? timing.parse,
    unpackMs: num(r.unpack_ms) ?? timing.unpack,
    clientUnpackMs,
  }
}

/** runDataExperiment runs the experiment `runs` times on the client's keep-alive connection. */
export async function runDataExperiment(opts: DataExperimentOptions): Promise<DataExperimentReport> {
  const samples: Record<Phase, (number | undefined)[]> = {
    pack: [],
    transfer: [],
    server_parse: [],
    server_unpack: [],
    client_unpack: [],
    total: [],
  }
  let bytes = 0
  let received = { items: 0, bytes: 0 }
  for (let run = 0; run < opts.runs; run++) {
    const { body, packMs } = pack(opts.items, opts.spacing)
    const res = await opts.client.send({
      method: 'POST',
      url: opts.url,
      headers: { 'content-type': 'application/json' },
      body,
    })
    const receipt = readReceipt(res, opts.label, { items: opts.items, bytes: body.length })
    if (receipt.items !== opts.items || receipt.bytes !== body.length)
      throw new LabError(
        'MISMATCH',
        `POST ${opts.label}: the server received ${receipt.items} items in ${receipt.bytes} bytes, ` +
          `but ${opts.items} items in ${body.length} bytes were sent (run ${run + 1})`,
      )
    bytes = body.length
    received = { items: receipt.items, bytes: receipt.bytes }
    samples.pack.push(packMs)
    samples.transfer.push(res.timing.totalMs)
    samples.server_parse.push(receipt.parseMs)
    samples.server_unpack.push(receipt.unpackMs)
    samples.client_unpack.push(receipt.clientUnpackMs)
    samples.total.push(packMs + res.timing.totalMs)
  }
  const phases = Object.fromEntries(PHASES.map((p) => [p, stats(samples[p])])) as Record<
    Phase,
    PhaseStats | null
  >
  return {
    url: opts.url.href,
    items: opts.items,
    runs: opts.runs,
    spacing: opts.spacing,
    bytes,
    received,
    connections: opts.client.connections,
    phases,
  }
}

/** ResponseBreakdown is GET /data/'s timing as the seed's client printed it, plus the unpack. */
export interface ResponseBreakdown {
  readonly bytes: number
  readonly ttfbMs: number
  /** first byte → last byte */
  readonly transferMs: number
  readonly totalMs: number
  /** JSON.parse of the body; null when it is not JSON */
  readonly unpackMs: number | null
  /** keys of the document's `data` object (or of the document); null when it has none */
  readonly items: number | null
}

function countItems(doc: unknown): number | null {
  if (Array.isArray(doc)) return doc.length
  if (typeof doc !== 'object' || doc === null) return null
  const data = (doc as { data?: unknown }).data
  const target = typeof data === 'object' && data !== null && !Array.isArray(data) ? data : doc
  return Object.keys(target).length
}

/** breakdown times the client-side unpack of a response and counts its items. */
export function breakdown(res: HttpResponse): ResponseBreakdown {
  const text = res.body.toString('utf8')
  const t0 = performance.now()
  let doc: unknown
  let unpackMs: number | null
  try {
    doc = JSON.parse(text)
    unpackMs = performance.now() - t0
  } catch {
    doc = undefined
    unpackMs = null
  }
  return {
    bytes: res.body.length,
    ttfbMs: res.timing.ttfbMs,
    transferMs: res.timing.totalMs - res.timing.ttfbMs,
    totalMs: res.timing.totalMs,
    unpackMs,
    items: doc === undefined ? null : countItems(doc),
  }
}
