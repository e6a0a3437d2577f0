/**
 * RPC clients for the CLI: one interface, RpcClient, over the RPC service's wire
 * protocols, each built on the codecs the service uses (protocols/) so both ends agree byte
 * for byte (the mp-connection client is in rpc-mpconn-client.ts):
 *
 *   xmlrpc        POST http://host:15000/RPC2    xmlrpc/codec.ts (what xmlrpc.client sends)
 *   jsonrpc       TCP host:15001, one line each   jsonrpc/codec.ts
 *   jsonrpc-http  POST http://host:15000/jsonrpc  jsonrpc/codec.ts
 *   mpconn        TCP host:17000                  the seed's RPCProxy: authkey handshake, then
 *                                                 pickle(bytes(pickle((name, args, {})))) each way
 *
 * A call has two outcomes: the method's result, or the exception it raised (a fault, a
 * JSON-RPC error, a pickled exception), read back into Python's class name and text.
 * Anything else (refused, timed out, authkey rejected, a reply that is not the
 * protocol) is a LabError naming the target. Each call, connecting included, has one
 * deadline. Connections are opened on the first call and kept for the next ones.
 */
import { LabError } from '../../../lib/errors.ts'
import {
  DEFAULT_JSONRPC_LIMITS,
  encodeRequest,
  type JsonRpcErrorObject,
  type JsonRpcLimits,
  type JsonRpcResponse,
  parseResponse,
} from '../../../protocols/jsonrpc/codec.ts'
import { isStruct, type RpcValue } from '../../../protocols/value.ts'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodResponse,
  encodeMethodCall,
  type XmlRpcLimits,
} from '../../../protocols/xmlrpc/codec.ts'
import { HttpClient, statusSummary } from './http-client.ts'
import {
  badReply,
  hostPort,
  MAX_REPLY_BYTES,
  MAX_REPLY_DEPTH,
  remaining,
  timeoutError,
} from './rpc-call-support.ts'
import { MpConnClient } from './rpc-mpconn-client.ts'
import type { Raised, RpcClient, RpcClientOptions, RpcOutcome, Via } from './rpc-types.ts'
import { LineClient, type Target } from './tcp-client.ts'

export const DEFAULT_RPC_TIMEOUT_MS = 5000

const XMLRPC_LIMITS: XmlRpcLimits = {
  ...DEFAULT_XMLRPC_LIMITS,
  maxBytes: MAX_REPLY_BYTES,
  maxDepth: MAX_REPLY_DEPTH,
  maxMembers: 10_000_000,
  maxStringBytes: MAX_REPLY_BYTES,
}
const JSONRPC_LIMITS: JsonRpcLimits = {
  ...DEFAULT_JSONRPC_LIMITS,
  maxBytes: MAX_REPLY_BYTES,
  maxDepth: MAX_REPLY_DEPTH,
}
/** openRpcClient returns the client for `via`; it connects on the first call. */
export function openRpcClient(via: Via, opts: RpcClientOptions): RpcClient {
  switch (via) {
    case 'xmlrpc':
      return new XmlRpcClient(opts)
    case 'jsonrpc':
      return new JsonRpcTcpClient(opts)
    case 'jsonrpc-http':
      return new JsonRpcHttpClient(opts)
    case 'mpconn':
      return new MpConnClient(opts)
  }
}

/** HttpRpcClient POSTs one document per call on a keep-alive connection. */
abstract class HttpRpcClient implements RpcClient {
  abstract readonly via: Via
  readonly target: string
  readonly #url: URL
  readonly #http: HttpClient
  readonly #contentType: string

  constructor(opts: RpcClientOptions, path: string, contentType: string) {
    this.#url = new URL(`http://${hostPort(opts.host, opts.ports.http)}${path}`)
    this.target = this.#url.href
    this.#http = new HttpClient({
      timeoutMs: opts.timeoutMs,
      maxResponseBytes: MAX_REPLY_BYTES,
      signal: opts.signal,
    })
    this.#contentType = contentType
  }

  async call(method: string, args: readonly RpcValue[]): Promise<RpcOutcome> {
    const res = await this.#http.send({
      method: 'POST',
      url: this.#url,
      headers: { 'content-type': this.#contentType, 'user-agent': 'netlab' },
      body: Buffer.from(this.encode(method, args), 'utf8'),
    })
    if (res.status !== 200) throw new LabError('RPC_FAILED', `${this.target}: ${statusSummary(res)}`)
    return this.decode(res.body.toString('utf8'))
  }

  protected abstract encode(method: string, args: readonly RpcValue[]): string
  protected abstract decode(text: string): RpcOutcome

  close(): Promise<void> {
    return this.#http.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** FAULT is SimpleXMLRPCServer's faultString: `<class 'KeyError'>:'k'`. */
const FAULT = /^<class '([^']+)'>:([\s\S]*)$/

class XmlRpcClient extends HttpRpcClient {
  readonly via = 'xmlrpc'

  constructor(opts: RpcClientOptions) {
    super(opts, '/RPC2', 'text/xml')
  }

  protected encode(method: string, args: readonly RpcValue[]): string {
    return encodeMethodCall(method, args)
  }

  protected decode(text: string): RpcOutcome {
    let res: ReturnType<typeof decodeMethodResponse>
    try {
      res = decodeMethodResponse(text, XMLRPC_LIMITS)
    } catch (err) {
      throw badReply(this.target, 'the reply is not an XML-RPC methodResponse', err)
    }
    if (res.kind === 'result') return { kind: 'result', value: res.value }
    const m = FAULT.exec(res.message)
    const raised = m
      ? { type: m[1] as string, message: m[2] as string }
      : { type: 'Fault', message: `${res.code}: ${res.message}` }
    return { kind: 'raised', raised }
  }
}

/** jsonRpcOutcome reads one response to request `id`: its result, or the error as raised. */
function jsonRpcOutcome(target: string, text: string, id: bigint): RpcOutcome {
  let res: JsonRpcResponse | JsonRpcResponse[]
  try {
    res = parseResponse(text, JSONRPC_LIMITS)
  } catch (err) {
    throw badReply(target, 'the reply is not a JSON-RPC 2.0 response', err)
  }
  if (Array.isArray(res) || res.id !== id)
    throw badReply(target, `the reply does not answer request ${id}: ${text.slice(0, 200)}`)
  if (res.kind === 'result') return { kind: 'result', value: res.value }
  return { kind: 'raised', raised: jsonRpcRaised(res.error) }
}

/** jsonRpcRaised names the Python exception in `data` ({type, message}) when the server put it there. */
function jsonRpcRaised(error: JsonRpcErrorObject): Raised {
  const data = error.data
  const jsonrpc = { code: error.code, message: error.message }
  if (data !== undefined && data !== null && isStruct(data)) {
    const { type, message } = data
    if (typeof type === 'string' && typeof message === 'string') return { type, message, jsonrpc }
  }
  return { type: 'JSON-RPC error', message: `${error.code} ${error.message}`, jsonrpc }
}

class JsonRpcHttpClient extends HttpRpcClient {
  readonly via = 'jsonrpc-http'
  #id = 0n

  constructor(opts: RpcClientOptions) {
    super(opts, '/jsonrpc', 'application/json')
  }

  protected encode(method: string, args: readonly RpcValue[]): string {
    return encodeRequest(++this.#id, method, args)
  }

  protected decode(text: string): RpcOutcome {
    return jsonRpcOutcome(this.target, text, this.#id)
  }
}

class JsonRpcTcpClient implements RpcClient {
  readonly via = 'jsonrpc'
  readonly target: string
  readonly #where: Target
  readonly #timeoutMs: number
  readonly #signal: AbortSignal | undefined
  #lines: LineClient | undefined
  #id = 0n

  constructor(opts: RpcClientOptions) {
    this.#where = { host: opts.host, port: opts.ports.jsonrpc, retryForMs: opts.retryForMs }
    this.target = hostPort(opts.host, opts.ports.jsonrpc)
    this.#timeoutMs = opts.timeoutMs
    this.#signal = opts.signal
  }

  async call(method: string, args: readonly RpcValue[]): Promise<RpcOutcome> {
    const started = performance.now()
    const lines = this.#lines ?? (await LineClient.connect(this.#where, this.#timeoutMs, this.#signal))
    this.#lines = lines
    const id = ++this.#id
    try {
      const line = await lines.request(
        encodeRequest(id, method, args),
        remaining(this.target, started, this.#timeoutMs),
      )
      return jsonRpcOutcome(this.target, line, id)
    } catch (err) {
      // a late reply would answer the next request: start over on a new connection
      this.#lines = undefined
      lines.close()
      if (err instanceof LabError && err.code === 'TIMEOUT') throw timeoutError(this.target, this.#timeoutMs)
      throw err
    }
  }

  async close(): Promise<void> {
    this.#lines?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
