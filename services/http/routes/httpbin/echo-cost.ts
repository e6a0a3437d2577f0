/**
 * What echoing a request body costs, charged to the memory budget before any of it is built
 * (budget.ts): the decoded text, what JSON.parse or the form parser makes of it, and the
 * pretty-printed reply with the copy Node makes of it for the socket. The figures are upper
 * bounds from the body's bytes and the scan made while it arrived (json-cost.ts).
 */
import type { FastifyRequest } from 'fastify'
import { isJsonType, mediaType, rawBody, scanOf } from '../../body.ts'
import type { RequestBudget } from '../../budget.ts'
import type { HttpConfig } from '../../config.ts'
import {
  dataTextBytes,
  parseHeapBytes,
  prettyJsonBytes,
  replyBytes,
  textHeapBytes,
  textShape,
} from '../../json-cost.ts'

/** A form pair's cost beyond its characters: two strings and an array slot. */
const FORM_PAIR_BYTES = 96

/**
 * echoOverheadBytes bounds the printed echo without its body parts: args, headers, origin
 * and url all come from the request line and headers (HTTP_MAX_HEADER_BYTES), each byte
 * printed as at most six (`\u0001`), plus indentation.
 */
export function echoOverheadBytes(config: HttpConfig): number {
  return 8 * config.maxHeaderBytes + 4096
}

/** echoCostBytes is what bodyEcho will build for a non-multipart request. */
export function echoCostBytes(request: FastifyRequest, config: HttpConfig): number {
  const bytes = rawBody(request)
  const overhead = echoOverheadBytes(config)
  if (bytes.length === 0) return 2 * overhead
  const type = mediaType(request)
  const text = textShape(bytes)
  if (type === 'application/x-www-form-urlencoded') {
    let pairs = 1
    for (const c of bytes) if (c === 0x26) pairs++
    // decoding never lengthens (%XX is one byte); printing may escape, as for text
    const printed = text.printed + pairs * (2 * 4 + 8)
    return 2 * bytes.length + pairs * FORM_PAIR_BYTES + replyBytes(printed + overhead, text.nonAscii)
  }
  const data = dataTextBytes(bytes)
  // the text (or base64 URL) held for `data`, and JSON.parse's input when it is tried
  let cost = textHeapBytes(Math.max(bytes.length, data), text.nonAscii)
  let printed = data + overhead
  if (type === '' || isJsonType(type)) {
    const scan = scanOf(bytes, request)
    if (scan.max <= config.maxJsonDepth) {
      cost += parseHeapBytes(scan)
      printed += prettyJsonBytes(scan, 1)
    }
  }
  return cost + replyBytes(printed, text.nonAscii)
}

/** chargeEcho charges the echo of a non-multipart request to the budget (503/413 when it cannot). */
export function chargeEcho(request: FastifyRequest, config: HttpConfig, budget: RequestBudget): void {
  budget.charge(request, echoCostBytes(request, config), 'echoing this request')
}
