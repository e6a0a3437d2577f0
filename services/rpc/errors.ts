/**
 * The RPC service's error catalogue: every stable code a caller of the RPC ports can meet.
 * How each is written is the transport's one writer: the HTTP port's JSON body
 * (lib/error-catalogue.ts: `{"error": <message>, "status": <n>, "code": <CODE>}`), an XML-RPC
 * fault (protocols/xmlrpc/faults.ts), a JSON-RPC error (protocols/jsonrpc/codec.ts) or a
 * pickled exception (protocols/pickle). The limit codes' numbers are RPC_LIMIT_CODES
 * (protocols/py-error.ts); the store's codes end a Python exception's text (store/errors.ts);
 * the mp-connection and pickle codes are the wire codecs' own catalogue (protocols/errors.ts),
 * included here whole: they close the connection with a log line naming them.
 * docs/errors/rpc.md is this table rendered (scripts/error-table.ts).
 */
import type { ErrorCatalogue } from '../../lib/error-catalogue.ts'
import { PROTOCOL_ERRORS } from '../../protocols/errors.ts'

export const RPC_ERRORS = {
  BAD_REQUEST: {
    status: 400,
    meaning: 'HTTP port: the request is not well-formed HTTP (a bad Content-Length or header)',
    action: 'fix the request; the message names what is wrong',
  },
  BAD_GZIP: {
    status: 400,
    meaning: 'HTTP port: a gzip body does not inflate, or inflates past RPC_MAX_REQUEST_BYTES',
    action: 'send a valid, smaller gzip body (or none)',
  },
  NOT_FOUND: {
    status: 404,
    meaning: 'HTTP port: no route; XML-RPC is POST / or /RPC2, JSON-RPC POST /jsonrpc',
    action: 'post to one of those paths',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'HTTP port: an RPC path was called with a method other than POST',
    action: 'use POST',
  },
  BODY_TOO_LARGE: {
    status: 413,
    meaning: 'HTTP port: the body is larger than RPC_MAX_REQUEST_BYTES',
    action: 'send a smaller request',
  },
  UNSUPPORTED_ENCODING: {
    status: 501,
    meaning: 'HTTP port: a Content-Encoding other than gzip or identity',
    action: 'send the body plain or gzipped',
  },
  INTERNAL_ERROR: {
    status: 500,
    meaning: 'a bug: the request made the server fail (logged at error)',
    action: 'report it with the request that caused it',
  },
  BUSY: {
    status: 503,
    meaning:
      'RPC_MEMORY_BUDGET_BYTES has no room for the request or reply now (JSON-RPC -32001, XML-RPC fault -32001, HTTP 503 with Retry-After elsewhere)',
    action: 'retry later',
  },
  REPLY_TOO_LARGE: {
    meaning: 'the result would take the reply past RPC_MAX_REPLY_BYTES (-32002)',
    action: 'ask for less (a smaller range or value)',
  },
  TOO_MANY_CALLS: {
    meaning: 'a system.multicall of more than RPC_MAX_BATCH_CALLS calls (-32003)',
    action: 'split the batch',
  },
  STORE_FULL: {
    meaning: 'a kv write would take the live data past RPC_STORE_MAX_BYTES (a ValueError)',
    action: 'delete keys or write smaller values',
  },
  STORE_NO_SPACE: {
    meaning: 'the store volume is full (ENOSPC, EDQUOT; an OSError); the write was not acknowledged',
    action: 'free space on the volume',
  },
  STORE_WRITE_FAILED: {
    meaning:
      'any other failed write, sync or truncate of the store log (an OSError); the write was not acknowledged',
    action: 'check the volume; the operator sees the errno in the log',
  },
  STORE_CORRUPT: {
    meaning: 'at start-up: a damaged record before the log’s last write; the service does not start',
    action: 'restore the volume from a copy, or move the log aside',
  },
  ...PROTOCOL_ERRORS,
} as const satisfies ErrorCatalogue

export type RpcErrorCode = keyof typeof RPC_ERRORS

/** RpcHttpErrorCode is a code the HTTP port answers with its own status. */
export type RpcHttpErrorCode = {
  [K in RpcErrorCode]: (typeof RPC_ERRORS)[K] extends { readonly status: number } ? K : never
}[RpcErrorCode]
