/**
 * A client of the faults service's control API (toxiproxy's shape). Every failure is a
 * LabError naming the API: the service's own error (`faults API: proxy not found (404)`,
 * code from the body), an unreachable API, or no answer within the deadline.
 */
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { interruptedError } from './interrupt.ts'

/** FaultsApi is where the control API listens. */
export interface FaultsApi {
  readonly host: string
  readonly port: number
  readonly timeoutMs: number
  /** on abort the call in flight stops and rejects INTERRUPTED */
  readonly signal?: AbortSignal
}

/** ToxicInfo and ProxyInfo are the API's JSON. */
export interface ToxicInfo {
  readonly name: string
  readonly type: string
  readonly stream: string
  readonly toxicity: number
  readonly attributes: Readonly<Record<string, number>>
}

export interface ProxyInfo {
  readonly name: string
  readonly listen: string
  readonly upstream: string
  readonly enabled: boolean
  readonly protocol: string
  readonly toxics: readonly ToxicInfo[]
}

function origin(api: FaultsApi): string {
  return `http://${api.host.includes(':') ? `[${api.host}]` : api.host}:${api.port}`
}

/** callApi sends one request; resolves with the parsed JSON body (undefined for 204). */
export async function callApi(
  api: FaultsApi,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const where = `${origin(api)}${path}`
  let res: Response
  try {
    res = await fetch(where, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'netlab-cli' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: api.signal
        ? AbortSignal.any([AbortSignal.timeout(api.timeoutMs), api.signal])
        : AbortSignal.timeout(api.timeoutMs),
    })
  } catch (err) {
    if (api.signal?.aborted) throw interruptedError(`${method} ${where}; request abandoned`)
    if (err instanceof DOMException && err.name === 'TimeoutError')
      throw new LabError('TIMEOUT', `faults API at ${origin(api)}: no answer within ${api.timeoutMs} ms`)
    const cause = (err as { cause?: unknown }).cause
    const reason = isErrnoException(cause) ? cause.code : String(cause ?? err)
    throw new LabError('CONNECT_FAILED', `cannot reach the faults API at ${origin(api)}: ${reason}`, {
      cause: err,
    })
  }
  const text = await res.text()
  const parsed: unknown = text === '' ? undefined : JSON.parse(text)
  if (!res.ok) {
    const e = (parsed ?? {}) as { error?: string; code?: string }
    throw new LabError(e.code ?? 'API_ERROR', `faults API: ${e.error ?? res.statusText} (${res.status})`)
  }
  return parsed
}
