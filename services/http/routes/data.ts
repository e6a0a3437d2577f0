/**
 * Seed 000's timed REST endpoint, `/data/`.
 *
 *   GET  /data/[?items=N]  {"data": {"0": {"name": "tigerrose", "tag": "cool"}, ...}}   (N = 1000)
 *   POST /data/            a JSON object; answers what it received and how long it took:
 *                          {"result": "success", "items": 100000, "bytes": 3188890,
 *                           "parse_ms": 9.1, "unpack_ms": 4.2}
 *                          Server-Timing: parse;dur=9.1, unpack;dur=4.2
 *
 * The GET body is written the way Python's json.dumps writes it (", " and ": "), so its
 * size matches the seed's. "parse" is JSON.parse (the seed's json.loads); "unpack" is the
 * seed's timed loop, copying every item into a fresh dict. A body without Content-Type is
 * read as JSON, since the seed's httplib client sends none; any other non-JSON type is 415.
 */
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_ITEMS, dataDocument, MAX_ITEMS } from '../../../protocols/seed-documents.ts'
import { isJsonType, mediaType, parseJson, rawBody, scanOf } from '../body.ts'
import type { RequestBudget } from '../budget.ts'
import type { HttpConfig } from '../config.ts'
import { HttpError } from '../errors.ts'
import { parseHeapBytes, textHeapBytes } from '../json-cost.ts'

/** DataReceipt is POST /data/'s answer. */
export interface DataReceipt {
  readonly result: 'success'
  readonly items: number
  readonly bytes: number
  readonly parse_ms: number
  readonly unpack_ms: number
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000

/**
 * unpack is the seed's server loop (`for d in json_data: tmp_data[d] = json_data[d]`): copy
 * every top-level item into a fresh dict (a null-prototype object: `__proto__` is just a key,
 * and integer-like keys get V8's fast element storage); returns the count.
 */
function unpack(doc: Record<string, unknown>): number {
  const copy: Record<string, unknown> = Object.create(null)
  const keys = Object.keys(doc)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    copy[key] = doc[key]
  }
  return keys.length
}

/** A top-level member copied by unpack: its slot in a dictionary-mode object, with growth slack. */
const UNPACKED_MEMBER_BYTES = 48

/** An item of GET /data/: its text (at most 48 bytes with six digits) and its piece before the join. */
const ITEM_TEXT_BYTES = 48
const ITEM_PIECE_BYTES = 80

export function registerDataRoutes(app: FastifyInstance, config: HttpConfig, budget: RequestBudget): void {
  const cached = Buffer.from(dataDocument(DEFAULT_ITEMS))

  app.get<{ Querystring: { items?: number } }>(
    '/data/',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { items: { type: 'integer', minimum: 0, maximum: MAX_ITEMS } },
        },
      },
    },
    (req, reply) => {
      const items = req.query.items ?? DEFAULT_ITEMS
      // the pieces, the joined text and its copy for the socket
      if (items !== DEFAULT_ITEMS)
        budget.charge(req, items * (ITEM_PIECE_BYTES + 2 * ITEM_TEXT_BYTES), `GET /data/?items=${items}`)
      const body = items === DEFAULT_ITEMS ? cached : dataDocument(items)
      return reply.type('application/json').send(body)
    },
  )

  app.post('/data/', (req, reply) => {
    const type = mediaType(req)
    if (type !== '' && !isJsonType(type))
      throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `POST /data/ takes application/json, not ${type}`)
    const bytes = rawBody(req)
    const scan = scanOf(bytes, req)
    // the decoded text, what JSON.parse builds, and unpack's copy; a body parseJson refuses costs nothing
    if (bytes.length > 0 && scan.max <= config.maxJsonDepth) {
      const cost =
        textHeapBytes(bytes.length, scan.nonAscii) +
        parseHeapBytes(scan) +
        scan.topMembers * UNPACKED_MEMBER_BYTES
      budget.charge(req, cost, 'parsing this body')
    }
    const t0 = performance.now()
    const doc = parseJson(bytes, config.maxJsonDepth, req)
    const t1 = performance.now()
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      throw new HttpError(
        'INVALID_BODY',
        'POST /data/ takes a JSON object, like {"0": {"name": "tigerrose"}}',
      )
    const items = unpack(doc as Record<string, unknown>)
    const t2 = performance.now()
    const receipt: DataReceipt = {
      result: 'success',
      items,
      bytes: bytes.length,
      parse_ms: round3(t1 - t0),
      unpack_ms: round3(t2 - t1),
    }
    return reply
      .header('server-timing', `parse;dur=${receipt.parse_ms}, unpack;dur=${receipt.unpack_ms}`)
      .send(receipt)
  })
}
