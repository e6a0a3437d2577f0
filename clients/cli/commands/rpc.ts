/** `netlab rpc call|kv|methods`: the RPC service over XML-RPC, JSON-RPC and multiprocessing.connection. */
import { type Command, Option } from 'commander'
import { LabError } from '../../../lib/errors.ts'
import { parseJsonValue, SERVER_ERROR } from '../../../protocols/jsonrpc/codec.ts'
import { DEVELOPMENT_AUTHKEY } from '../../../protocols/mpconn/handshake.ts'
import { pyFloatRepr, pyRepr } from '../../../protocols/python.ts'
import { isStruct, type RpcValue } from '../../../protocols/value.ts'
import { interruptedError, seconds } from '../net/interrupt.ts'
import { DEFAULT_RPC_TIMEOUT_MS, openRpcClient } from '../net/rpc-client.ts'
import { type Raised, type RpcOutcome, type RpcPorts, VIAS, type Via } from '../net/rpc-types.ts'
import { parsePort, parseTimeout, type Runner } from '../options.ts'
import type { Io, Result } from '../output.ts'
import type { ServicePorts } from '../targets.ts'

interface RpcOpts {
  readonly via: Via
  readonly host: string
  readonly port?: number
  readonly timeout: number
  /** absent where --via cannot be mpconn (methods) */
  readonly authkey?: string
}

/** The port each protocol uses, by its key in RpcPorts. */
const PORT_OF: Readonly<Record<Via, keyof RpcPorts>> = {
  xmlrpc: 'http',
  'jsonrpc-http': 'http',
  jsonrpc: 'jsonrpc',
  mpconn: 'mpRpc',
}

/**
 * parseArg reads a command-line argument as a JSON literal when it is one (`2` → int,
 * `2.5` → float, `"2"` → str, `[1,2]`, `{"a":1}`, `null`, `true`), else as a plain string.
 */
export function parseArg(text: string): RpcValue {
  try {
    return parseJsonValue(text)
  } catch {
    return text
  }
}

type RawJson = (text: string) => unknown
/** JSON.rawJSON (Node 21+; not yet in TypeScript's lib): a number's exact text in JSON.stringify's output. */
const rawJson: RawJson = (text) => (JSON as unknown as { rawJSON: RawJson }).rawJSON(text)

/**
 * toJson is the value for --json, as JSON-RPC carries it: ints exact at any size, floats
 * as Python writes them (`5.0`; NaN and infinities as null), bytes as base64, a datetime
 * as ISO 8601.
 */
export function toJson(v: RpcValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'bigint') return rawJson(v.toString())
  if (typeof v === 'number') return Number.isFinite(v) ? rawJson(pyFloatRepr(v)) : null
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
  if (isStruct(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
  return v.map(toJson)
}

/**
 * raisedLine is the stderr line for a call that raised: `rpc add via xmlrpc raised
 * TypeError: …`; a JSON-RPC protocol error (any code but -32000, "the method raised") in
 * JSON-RPC's words: `rpc nosuch via jsonrpc: JSON-RPC error -32601 Method not found (Exception: …)`.
 */
export function raisedLine(label: string, r: Raised): string {
  const python = r.message === '' ? r.type : `${r.type}: ${r.message}`
  if (r.jsonrpc === undefined || r.jsonrpc.code === SERVER_ERROR) return `${label} raised ${python}`
  return `${label}: JSON-RPC error ${r.jsonrpc.code} ${r.jsonrpc.message} (${python})`
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

function withRpcOptions(cmd: Command, defaults: ServicePorts, vias: readonly Via[]): Command {
  const ports = defaults.ports
  const withVia = cmd
    .addOption(
      new Option(
        '--via <via>',
        vias.length === 1
          ? `protocol (${vias[0]} only)`
          : `protocol: xmlrpc (HTTP ${ports.http}), jsonrpc (TCP ${ports.jsonrpc}), ` +
              `jsonrpc-http (HTTP ${ports.http} /jsonrpc), mpconn (TCP ${ports.mpRpc})`,
      )
        .choices(vias)
        .default('xmlrpc'),
    )
    .option('--host <host>', 'server host', defaults.host)
    .option('--port <port>', "server port (default: --via's port)", parsePort)
    .option(
      '--timeout <ms>',
      'deadline for each call, connecting included',
      parseTimeout,
      DEFAULT_RPC_TIMEOUT_MS,
    )
  if (!vias.includes('mpconn')) return withVia
  return withVia.option(
    '--authkey <key>',
    `mpconn's authkey (default: $RPC_AUTHKEY; when unset, the lab's development key '${DEVELOPMENT_AUTHKEY}')`,
  )
}

/**
 * registerRpc adds the `rpc` command group to `program`. A result prints as Python's
 * repr; a call that raises prints `netlab: rpc <method> via <via> raised <Class>: <text>`
 * to `io.stderr` and exits 1. `envAuthkey` is RPC_AUTHKEY.
 */
export function registerRpc(
  program: Command,
  defaults: ServicePorts,
  run: Runner,
  io: Io,
  envAuthkey: string | undefined,
): void {
  const ports = defaults.ports
  const rpc = program
    .command('rpc')
    .description(
      `RPC service (${defaults.host}): XML-RPC on HTTP ${ports.http} (/RPC2), JSON-RPC on TCP ${ports.jsonrpc} ` +
        `and HTTP ${ports.http} (/jsonrpc), multiprocessing.connection on TCP ${ports.mpRpc}. Results print ` +
        "as Python's repr; a call that raises exits 1.",
    )

  /** call runs one call; `oneALine` prints a list result one item a line instead of its repr. */
  const call = async (
    method: string,
    args: readonly RpcValue[],
    opts: RpcOpts,
    signal: AbortSignal,
    oneALine = false,
  ): Promise<Result> => {
    const { via } = opts
    const rpcPorts: RpcPorts = {
      http: ports.http as number,
      jsonrpc: ports.jsonrpc as number,
      mpRpc: ports.mpRpc as number,
      ...(opts.port !== undefined && { [PORT_OF[via]]: opts.port }),
    }
    await using client = openRpcClient(via, {
      host: opts.host,
      ports: rpcPorts,
      timeoutMs: opts.timeout,
      authkey: opts.authkey ?? (envAuthkey || DEVELOPMENT_AUTHKEY),
      retryForMs: defaults.connectRetryMs,
      signal,
    })
    const label = `rpc ${method} via ${via}`
    const started = performance.now()
    let outcome: RpcOutcome
    try {
      outcome = await client.call(method, args)
    } catch (err) {
      if (signal.aborted)
        throw interruptedError(`${label} after ${seconds(performance.now() - started)}; connection closed`)
      if (!(err instanceof LabError)) throw err
      throw new LabError(err.code, `${label}: ${err.message}`, { cause: err })
    }
    const ms = round3(performance.now() - started)
    if (outcome.kind === 'result') {
      const value = outcome.value
      const text = oneALine && Array.isArray(value) ? value.join('\n') : pyRepr(value)
      return { text, data: { via, method, result: toJson(value), ms } }
    }
    const r = outcome.raised
    io.stderr.write(`netlab: ${raisedLine(label, r)}\n`)
    const code = r.jsonrpc && { code: r.jsonrpc.code }
    return { text: '', data: { via, method, error: r.type, message: r.message, ...code, ms }, exitCode: 1 }
  }

  withRpcOptions(
    rpc
      .command('call')
      .argument('<method>', 'method name: add, sub, echo, get, set, delete, exists, keys, system.*')
      .argument(
        '[args...]',
        'arguments, each a JSON literal when it is one (2 → int, 2.5 → float, \'"2"\' → str, ' +
          "'[1,2]', '{\"a\":1}', null, true), else a plain string (foo)",
      )
      .description("call a method and print its result as Python's repr (exit 1 if it raised)"),
    defaults,
    VIAS,
  ).action((method: string, args: string[], opts: RpcOpts) =>
    run(({ signal }) => call(method, args.map(parseArg), opts, signal)),
  )

  const kv = rpc
    .command('kv')
    .description(
      "the key-value store (the seed's KeyValueServer); sugar over `rpc call`, keys are plain strings",
    )
  const kvCommand = (name: string, description: string) =>
    withRpcOptions(kv.command(name).description(description), defaults, VIAS)
  kvCommand('set', 'store VALUE under KEY')
    .argument('<key>', 'the key (a string)')
    .argument('<value>', 'a JSON literal when it is one (2, 2.5, [1,2,3], {"a":1}, null), else a string')
    .action((key: string, value: string, opts: RpcOpts) =>
      run(({ signal }) => call('set', [key, parseArg(value)], opts, signal)),
    )
  const keyed: readonly (readonly [string, string])[] = [
    ['get', 'print the value stored under KEY (KeyError if none)'],
    ['delete', 'remove KEY (KeyError if none)'],
    ['exists', 'print True if KEY is stored, else False'],
  ]
  for (const [name, description] of keyed)
    kvCommand(name, description)
      .argument('<key>', 'the key (a string)')
      .action((key: string, opts: RpcOpts) => run(({ signal }) => call(name, [key], opts, signal)))
  kvCommand('keys', 'print the list of stored keys, in insertion order').action((opts: RpcOpts) =>
    run(({ signal }) => call('keys', [], opts, signal)),
  )

  withRpcOptions(
    rpc.command('methods').description('list the methods the server offers (system.listMethods), one a line'),
    defaults,
    ['xmlrpc'],
  ).action((opts: RpcOpts) => run(({ signal }) => call('system.listMethods', [], opts, signal, true)))
}
