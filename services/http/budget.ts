/**
 * The HTTP service's memory budget (HTTP_MEMORY_BUDGET_BYTES, lib/memory-budget.ts), per
 * request. Each request holds one Hold, from its first byte until its response is closed:
 *
 *   headers in     reserve 2 x Content-Length (the chunks, and the copy Fastify joins them
 *                  into); a chunked body grows it chunk by chunk as it arrives
 *   route runs     `charge(request, bytes)`: the body plus what the route is about to build
 *                  (decoded text, what JSON.parse makes, the reply and its socket copy)
 *   response ends  released (and past a threshold the worker collects garbage: lib/heap.ts)
 *
 * Over the budget the request is refused with 503 BUSY and `Retry-After: 1`; a request whose
 * cost alone exceeds the whole budget can never be served, and is refused with 413.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Logger } from '../../lib/log.ts'
import type { Hold, MemoryBudget } from '../../lib/memory-budget.ts'
import { HttpError } from './errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** the bytes this request holds in the service's memory budget */
    budgetHold: Hold | null
    /** the response whose `close` releases the hold */
    budgetResponse: ServerResponse | null
  }
}

/** RETRY_AFTER_S is the Retry-After a busy refusal carries. */
export const RETRY_AFTER_S = 1

/** Refusals are logged at most once per this interval, with the count since the last line. */
const LOG_INTERVAL_MS = 1000

/** overBudget is the error for `bytes` that do not fit now (503) or ever (413). */
function overBudget(budget: MemoryBudget, bytes: number, what: string): HttpError {
  if (!budget.canEverFit(bytes))
    return new HttpError(
      'BODY_TOO_LARGE',
      `${what} would take ${bytes} bytes of memory, more than the service's whole budget of ${budget.limitBytes} (HTTP_MEMORY_BUDGET_BYTES)`,
    )
  return new HttpError('BUSY', `the server is at its memory budget; retry in ${RETRY_AFTER_S} s`)
}

/** contentLength is the request's declared body length, or 0 (absent or malformed). */
function contentLength(request: FastifyRequest): number {
  const n = Number(request.headers['content-length'])
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/** RequestBudget charges requests to the budget; one per worker's app. */
export interface RequestBudget {
  readonly budget: MemoryBudget
  /**
   * charge makes the request hold its body plus `bytes` more (everything it will build from
   * now on), for `what` (named in a 413); throws 503 BUSY or 413 BODY_TOO_LARGE.
   */
  charge(request: FastifyRequest, bytes: number, what: string): void
  /** add grows the request's hold by `bytes`; throws as `charge` does */
  add(request: FastifyRequest, bytes: number, what: string): void
  /** refused logs a refusal (warn, at most once a second with the count since) */
  refused(code: string): void
}

/**
 * installBudget adds the budget to `app`: the request decorations, the reservation at the
 * headers (onRequest), and the release when the response closes.
 */
export function installBudget(
  app: FastifyInstance,
  budget: MemoryBudget,
  maxBodyBytes: number,
  log: Logger,
): RequestBudget {
  let refusals = 0
  let lastLog = Number.NEGATIVE_INFINITY
  const refused = (code: string) => {
    refusals++
    const now = performance.now()
    if (now - lastLog < LOG_INTERVAL_MS) return
    lastLog = now
    log.warn({ code, refusals, budget: budget.snapshot() }, 'memory budget exhausted')
    refusals = 0
  }
  /**
   * holdTo makes the request's hold `total` bytes; false when it does not fit. The hold is
   * released when the response closes (at once if it already has: the client left).
   */
  const holdTo = (request: FastifyRequest, total: number): boolean => {
    const hold = request.budgetHold
    if (hold) return hold.resize(total)
    if (total <= 0) return true
    const created = budget.hold(total)
    if (!created) return false
    const res = request.budgetResponse
    // the client has gone: nothing will be sent, so nothing stays held
    if (!res || res.closed) created.release()
    else {
      request.budgetHold = created
      res.once('close', () => created.release())
    }
    return true
  }
  app.decorateRequest('budgetHold', null)
  app.decorateRequest('budgetResponse', null)
  // A request without a body holds nothing (most GETs): no listener, one store.
  app.addHook('onRequest', (request, reply, done) => {
    request.budgetResponse = reply.raw
    const declared = contentLength(request)
    // none declared: a chunked body is charged as it arrives (app.ts); too large: Fastify's 413
    if (declared === 0 || declared > maxBodyBytes) return done()
    if (holdTo(request, 2 * declared)) return done()
    done(overBudget(budget, 2 * declared, 'the request body'))
  })
  return {
    budget,
    charge(request, bytes, what) {
      const body = Buffer.isBuffer(request.body) ? request.body.length : 0
      if (!holdTo(request, body + bytes)) throw overBudget(budget, body + bytes, what)
    },
    add(request, bytes, what) {
      const total = (request.budgetHold?.bytes ?? 0) + bytes
      if (!holdTo(request, total)) throw overBudget(budget, total, what)
    },
    refused,
  }
}
