/**
 * RPC calls per second: `concurrency` clients (each its own connection, one call in flight)
 * call add(i, 1) in a closed loop and check every answer is i + 1. XML-RPC, JSON-RPC over
 * HTTP and mp-connection go through the CLI's own RpcClient (clients/cli/net/rpc-client.ts),
 * which speaks each protocol with the service's codecs; JSON-RPC over TCP, whose target
 * (50k calls/s) would be bounded by a general client's per-call promises and timers, is
 * driven by the lean TCP round-trip loop with the request line and its exact reply.
 */
import { openRpcClient } from '../../clients/cli/net/rpc-client.ts'
import type { RpcClient, Via } from '../../clients/cli/net/rpc-types.ts'
import { LatencyRecorder } from './histogram.ts'
import type { LoadOptions, StepOutcome } from './outcome.ts'
import { tcpRoundTrips } from './tcp-round-trips.ts'

/** Each call's deadline, connecting and the mp-connection handshake included. */
const CALL_TIMEOUT_MS = 10_000

/** RpcCallOptions: the protocol, and the authkey an mp-connection subject expects. */
export interface RpcCallOptions extends LoadOptions {
  readonly via: Exclude<Via, 'jsonrpc'>
  readonly authkey: string
}

/** rpcCalls runs the closed loop through RpcClient and returns what it measured. */
export async function rpcCalls(opts: RpcCallOptions): Promise<StepOutcome> {
  const clients: RpcClient[] = Array.from({ length: opts.concurrency }, () =>
    openRpcClient(opts.via, {
      host: opts.host,
      ports: { http: opts.port, jsonrpc: opts.port, mpRpc: opts.port },
      timeoutMs: CALL_TIMEOUT_MS,
      authkey: opts.authkey,
    }),
  )
  const all = new LatencyRecorder()
  let ops = 0
  let errors = 0
  let firstError: string | undefined
  try {
    // connect (and, for mpconn, handshake) before the clock starts: one checked call each,
    // one client at a time (Python's Listener has a backlog of 1: a burst of SYNs is dropped)
    for (const c of clients) await callAdd(c, 0n)
    const started = performance.now()
    const deadline = started + opts.seconds * 1000
    await Promise.all(
      clients.map(async (client, n) => {
        const rec = new LatencyRecorder()
        // XML-RPC ints are 32-bit: 32 clients × 1e6 calls stay far below 2^31
        let i = BigInt(n * 1_000_000)
        while (performance.now() < deadline) {
          const t0 = performance.now()
          try {
            await callAdd(client, i)
          } catch (err) {
            errors++
            firstError ??= err instanceof Error ? err.message : String(err)
            break
          }
          rec.recordMs(performance.now() - t0)
          ops++
          i++
        }
        all.merge(rec)
      }),
    )
    return {
      ops,
      errors,
      durationS: (performance.now() - started) / 1000,
      latency: all.summary(),
      ...(firstError ? { firstError } : {}),
    }
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()))
  }
}

/** callAdd calls add(i, 1) and throws unless the answer is i + 1. */
async function callAdd(client: RpcClient, i: bigint): Promise<void> {
  const out = await client.call('add', [i, 1n])
  if (out.kind !== 'result' || out.value !== i + 1n)
    throw new Error(
      `${client.target}: add(${i}, 1) answered ${out.kind === 'result' ? String(out.value) : `${out.raised.type}: ${out.raised.message}`}`,
    )
}

/** The JSON-RPC 2.0 request line the TCP step sends, and the exact reply the service writes. */
export const JSONRPC_TCP_REQUEST = '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}\n'
export const JSONRPC_TCP_REPLY = '{"jsonrpc":"2.0","result":5,"id":1}\n'

/** jsonRpcTcpCalls drives JSON-RPC over TCP (one line each way) with the lean round-trip loop. */
export function jsonRpcTcpCalls(opts: LoadOptions): Promise<StepOutcome> {
  return tcpRoundTrips({
    ...opts,
    request: Buffer.from(JSONRPC_TCP_REQUEST),
    expected: Buffer.from(JSONRPC_TCP_REPLY),
  })
}
