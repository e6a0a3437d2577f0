/**
 * JSON-RPC 2.0 dispatch, shared by the HTTP (POST /jsonrpc) and TCP (one line per
 * request or batch) transports. The registry's Python errors map to JSON-RPC codes:
 *
 *   unknown method       -32601 Method not found   data: {"type": "Exception", "message": ...}
 *   wrong arguments      -32602 Invalid params     data: {"type": "TypeError", "message": ...}
 *   the method raised    -32000 "KeyError: 'k'"    data: {"type": "KeyError", "message": "'k'"}
 *   a bug                -32603 Internal error
 *
 * and netlab's refusals (../errors.ts) to theirs, per call, with data {"code", "message"}:
 *
 *   -32001 Server busy      the memory budget could not hold this call's result (or, for the
 *                           whole body, its decoded values: id null)
 *   -32002 Reply too large  this call's result would take the reply past RPC_MAX_REPLY_BYTES
 *
 * A batch runs at most BATCH_WINDOW calls at a time, and each result is measured, admitted
 * and encoded as soon as it is produced, so a batch of 1000 `get`s of a 1 MB value holds one
 * window of results, never a thousand; the calls past the reply limit get -32002 while the
 * earlier ones keep their results.
 */
import type { Logger } from '../../../lib/log.ts'
import {
  ERROR_MESSAGES,
  encodeBatch,
  encodeError,
  encodeResult,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  type JsonRpcEntry,
  type JsonRpcId,
  type JsonRpcLimits,
  METHOD_NOT_FOUND,
  parseJsonRpc,
  SERVER_BUSY,
  SERVER_ERROR,
} from '../../../protocols/jsonrpc/codec.ts'
import { jsonSize } from '../../../protocols/jsonrpc/encoded-size.ts'
import { PyError, RpcLimitError } from '../../../protocols/py-error.ts'
import { type Grower, type RpcValue, struct } from '../../../protocols/value.ts'
import type { Registry } from '../methods/registry.ts'
import { ReplyMeter } from './reply-meter.ts'

/** how many calls of one batch run at once (writes among them share the store's sync) */
export const BATCH_WINDOW = 32

/** JsonRpcContext is what a transport hands the dispatcher: methods, limits and the log. */
export interface JsonRpcContext {
  readonly registry: Registry
  readonly limits: JsonRpcLimits
  /** RPC_MAX_REPLY_BYTES: the whole reply, a batch's included */
  readonly maxReplyBytes: number
  readonly log: Logger
}

const CODES = {
  unknown_method: METHOD_NOT_FOUND,
  bad_params: INVALID_PARAMS,
  application: SERVER_ERROR,
} as const

/** `{"jsonrpc":"2.0","result":` … `,"id":` … `}` around a result */
const RESULT_ENVELOPE_BYTES = '{"jsonrpc":"2.0","result":,"id":}'.length

/** Outcome is what one call came to, before it is encoded. */
type Outcome = { readonly value: RpcValue } | { readonly error: string }

/** Maybe is a value now, or a promise of it: a method that answers at once costs no promise. */
type Maybe<T> = T | Promise<T>

function call(entry: Exclude<JsonRpcEntry, { kind: 'invalid' }>, ctx: JsonRpcContext): Maybe<RpcValue> {
  const positional = Array.isArray(entry.params) ? (entry.params as readonly RpcValue[]) : []
  const kwargs = Array.isArray(entry.params)
    ? undefined
    : new Map(Object.entries(entry.params as Readonly<Record<string, RpcValue>>))
  return ctx.registry.call(entry.method, positional, kwargs)
}

function pyErrorReply(id: JsonRpcId, err: PyError): string {
  const code = CODES[err.kind]
  const message =
    err.kind === 'application'
      ? `${err.pyClass}: ${err.text}`
      : code === METHOD_NOT_FOUND
        ? 'Method not found'
        : 'Invalid params'
  return encodeError(
    id,
    code,
    message,
    struct([
      ['type', err.pyClass],
      ['message', err.text],
    ]),
  )
}

/** limitReply is one of netlab's refusals as a JSON-RPC error response. */
export function limitReply(id: JsonRpcId, err: RpcLimitError): string {
  return encodeError(
    id,
    err.rpcCode,
    ERROR_MESSAGES[err.rpcCode] ?? 'Server error',
    struct([
      ['code', err.code],
      ['message', err.message],
    ]),
  )
}

type Call = Exclude<JsonRpcEntry, { kind: 'invalid' }>

const succeeded = (entry: Call, value: RpcValue): Outcome | undefined =>
  entry.kind === 'call' ? { value } : undefined

function failed(entry: Call, ctx: JsonRpcContext, err: unknown): Outcome | undefined {
  const id = entry.kind === 'call' ? entry.id : null
  if (!(err instanceof PyError)) {
    ctx.log.error({ err, method: entry.method }, 'method failed')
    return entry.kind === 'call' ? { error: encodeError(id, INTERNAL_ERROR, 'Internal error') } : undefined
  }
  ctx.log.info({ code: err.code, method: entry.method, transport: 'jsonrpc' }, 'call raised')
  return entry.kind === 'call' ? { error: pyErrorReply(id, err) } : undefined
}

/** run calls one entry; never throws (nor rejects). */
function run(entry: JsonRpcEntry, ctx: JsonRpcContext): Maybe<Outcome | undefined> {
  if (entry.kind === 'invalid')
    return { error: encodeError(entry.id, entry.error.code, entry.error.message, entry.error.data) }
  let value: Maybe<RpcValue>
  try {
    value = call(entry, ctx)
  } catch (err) {
    return failed(entry, ctx, err)
  }
  if (value instanceof Promise)
    return value.then(
      (v) => succeeded(entry, v),
      (err: unknown) => failed(entry, ctx, err),
    )
  return succeeded(entry, value)
}

/** answer runs one entry and encodes its response through the meter; never throws (nor rejects). */
function answer(entry: JsonRpcEntry, ctx: JsonRpcContext, meter: ReplyMeter): Maybe<string | undefined> {
  const outcome = run(entry, ctx)
  return outcome instanceof Promise
    ? outcome.then((o) => encode(entry, o, ctx, meter))
    : encode(entry, outcome, ctx, meter)
}

/** encode is an outcome's response, measured and admitted by the meter; never throws. */
function encode(
  entry: JsonRpcEntry,
  outcome: Outcome | undefined,
  ctx: JsonRpcContext,
  meter: ReplyMeter,
): string | undefined {
  if (outcome === undefined) return undefined
  const id = entry.kind === 'notification' ? null : entry.id
  let text: string
  if ('error' in outcome) text = outcome.error
  else {
    try {
      const envelope = RESULT_ENVELOPE_BYTES + jsonSize(id) + 1 // + the batch's comma
      meter.admit(envelope + jsonSize(outcome.value, meter.remaining()))
      return encodeResult(id, outcome.value)
    } catch (err) {
      if (err instanceof RpcLimitError)
        text = limitReply(id, err) // logged once per reply
      else {
        ctx.log.error({ err }, 'encoding the result failed')
        text = encodeError(id, INTERNAL_ERROR, 'Internal error')
      }
    }
  }
  meter.count(Buffer.byteLength(text))
  return text
}

/**
 * handleJsonRpc answers one request body (a single request or a batch); undefined when
 * nothing is to be sent back (notifications only). With `hold` (the request's memory-budget
 * reservation, released by the transport once the reply is written), decoded values and
 * the reply are charged to it before they are built. The answer comes at once when the
 * body is one call to a method that answers at once (or an error), else as a promise.
 * Never throws, and the promise never rejects.
 */
export function handleJsonRpc(text: string, ctx: JsonRpcContext, hold?: Grower): Maybe<string | undefined> {
  const parsed = parseJsonRpc(text, ctx.limits, hold)
  const meter = new ReplyMeter(ctx.maxReplyBytes, hold)
  switch (parsed.kind) {
    case 'error':
      if (parsed.error.code === SERVER_BUSY)
        ctx.log.warn({ code: 'BUSY', transport: 'jsonrpc' }, 'limit reached')
      else ctx.log.info({ code: parsed.error.code, transport: 'jsonrpc' }, 'bad request')
      return parsed.response
    case 'single': {
      const reply = answer(parsed.entry, ctx, meter)
      if (reply instanceof Promise)
        return reply.then((r) => {
          meter.logRefusals(ctx.log, 'jsonrpc')
          return r
        })
      meter.logRefusals(ctx.log, 'jsonrpc')
      return reply
    }
    case 'batch':
      return answerBatch(parsed.entries, ctx, meter)
  }
}

/**
 * answerBatch runs a batch's calls concurrently, as the spec allows, a window at a time;
 * replies keep the batch order.
 */
async function answerBatch(
  entries: readonly JsonRpcEntry[],
  ctx: JsonRpcContext,
  meter: ReplyMeter,
): Promise<string | undefined> {
  const replies: (string | undefined)[] = new Array(entries.length)
  let next = 0
  const worker = async () => {
    while (next < entries.length) {
      const i = next++
      replies[i] = await answer(entries[i] as JsonRpcEntry, ctx, meter)
    }
  }
  await Promise.all(Array.from({ length: Math.min(BATCH_WINDOW, entries.length) }, worker))
  meter.logRefusals(ctx.log, 'jsonrpc')
  return encodeBatch(replies.filter((r) => r !== undefined))
}
