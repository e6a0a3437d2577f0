/**
 * What every RPC client of the CLI shares (rpc-client.ts, rpc-mpconn-client.ts): the
 * protocols a call can travel by, the options, and a call's two outcomes.
 */
import type { RpcValue } from '../../../protocols/value.ts'

/** Via is the protocol a call travels by. */
export type Via = 'xmlrpc' | 'jsonrpc' | 'jsonrpc-http' | 'mpconn'
export const VIAS: readonly Via[] = ['xmlrpc', 'jsonrpc', 'jsonrpc-http', 'mpconn']

/** The RPC service's ports a client may use. */
export interface RpcPorts {
  /** XML-RPC and JSON-RPC over HTTP */
  readonly http: number
  /** JSON-RPC over TCP, one line each */
  readonly jsonrpc: number
  /** multiprocessing.connection RPC */
  readonly mpRpc: number
}

export interface RpcClientOptions {
  readonly host: string
  readonly ports: RpcPorts
  /** deadline for each call, connecting included, ms */
  readonly timeoutMs: number
  /** the multiprocessing.connection authkey (mpconn only) */
  readonly authkey: string
  /** how long a TCP connect is retried (jsonrpc, mpconn): Target.retryForMs */
  readonly retryForMs?: number
  /** on abort the connection closes and the call in flight rejects (INTERRUPTED or CLOSED) */
  readonly signal?: AbortSignal
}

/** Raised is an exception the called method raised, as Python names and prints it. */
export interface Raised {
  /** the exception class: `TypeError`, `KeyError`, `Exception` */
  readonly type: string
  /** str(exc): `unsupported operand type(s) for -: 'list' and 'int'`, `'k'` for a KeyError */
  readonly message: string
  /** JSON-RPC only: the error's code and message (`-32601`, `Method not found`) */
  readonly jsonrpc?: { readonly code: number; readonly message: string }
}

export type RpcOutcome =
  | { readonly kind: 'result'; readonly value: RpcValue }
  | { readonly kind: 'raised'; readonly raised: Raised }

/** RpcClient calls methods over one protocol; dispose it to close its connection. */
export interface RpcClient extends AsyncDisposable {
  readonly via: Via
  /** where the calls go: a URL or host:port */
  readonly target: string
  call(method: string, args: readonly RpcValue[]): Promise<RpcOutcome>
  close(): Promise<void>
}
