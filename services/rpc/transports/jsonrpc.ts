/**
 * JSON-RPC 2.0 dispatch, shared by the HTTP (POST /jsonrpc) and TCP (one line per
 * request or batch) transports. The registry's Python errors map to JSON-RPC codes:
 *
 *   unknown method       -32601 Method not found   data: {"type": "Exception", "message": ...}
 *   wrong arguments      -32602 Invalid params     data: {"type": "TypeError", "message": ...}
 *   the method raised    -32000 "KeyError: 'k'"    data: {"type": "KeyError", "message": "'k'"}
 *   a bug                -32603 Internal error
 */
import type { Logger } from '../../../lib/log.ts'
import { PyError } from '../errors.ts'
import {
  encodeBatch,
  encodeError,
  encodeResult,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  type JsonRpcEntry,
  type JsonRpcLimits,
  METHOD_NOT_FOUND,
  parseJsonRpc,
  SERVER_ERROR,
} from '../jsonrpc/codec.ts'
import type { Registry } from '../methods/registry.ts'
import { type RpcValue, struct } from '../value.ts'

const CODES = {
  unknown_method: METHOD_NOT_FOUND,
  bad_params: INVALID_PARAMS,
  application: SERVER_ERROR,
} as const

async function runEntry(entry: JsonRpcEntry, registry: Registry, log: Logger): Promise<string | undefined> {
  if (entry.kind === 'invalid')
    return encodeError(entry.id, entry.error.code, entry.error.message, entry.error.data)
  const id = entry.kind === 'call' ? entry.id : null
  const positional = Array.isArray(entry.params) ? (entry.params as readonly RpcValue[]) : []
  const kwargs = Array.isArray(entry.params)
    ? undefined
    : new Map(Object.entries(entry.params as Readonly<Record<string, RpcValue>>))
  try {
    const result = await registry.invoke(entry.method, positional, kwargs)
    return entry.kind === 'call' ? encodeResult(id, result) : undefined
  } catch (err) {
    if (!(err instanceof PyError)) {
      log.error({ err, method: entry.method }, 'method failed')
      return entry.kind === 'call' ? encodeError(id, INTERNAL_ERROR, 'Internal error') : undefined
    }
    log.info({ code: err.code, method: entry.method, transport: 'jsonrpc' }, 'call raised')
    if (entry.kind !== 'call') return undefined
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
}

/**
 * handleJsonRpc answers one request body (a single request or a batch); undefined when
 * nothing is to be sent back (notifications only).
 */
export async function handleJsonRpc(
  text: string,
  registry: Registry,
  limits: JsonRpcLimits,
  log: Logger,
): Promise<string | undefined> {
  const parsed = parseJsonRpc(text, limits)
  switch (parsed.kind) {
    case 'error':
      log.info({ code: parsed.error.code, transport: 'jsonrpc' }, 'bad request')
      return parsed.response
    case 'single':
      return runEntry(parsed.entry, registry, log)
    case 'batch': {
      // Calls in a batch run concurrently, as the spec allows; replies keep the batch order.
      const replies = await Promise.all(parsed.entries.map((e) => runEntry(e, registry, log)))
      return encodeBatch(replies.filter((r) => r !== undefined))
    }
  }
}
