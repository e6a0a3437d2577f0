/**
 * `netlab rpc …` end to end inside the process: the real command tree against the real
 * RPC service on loopback (every port 0, found through the *_HOST_PORT variables as on
 * the host), over each of the four ways in (XML-RPC, JSON-RPC over TCP and over HTTP, the
 * multiprocessing.connection RPC port), plus a closed port and a server that never answers.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Via } from '../../../clients/cli/net/rpc-types.ts'
import type { Env } from '../../../lib/config.ts'
import { createLogger } from '../../../lib/log.ts'
import { loadRpcConfig } from '../../../services/rpc/config.ts'
import { type RpcService, startRpcService } from '../../../services/rpc/server.ts'
import { runCli } from '../../support/cli-harness.ts'

const VIAS: readonly Via[] = ['xmlrpc', 'jsonrpc', 'jsonrpc-http', 'mpconn']
const SUB_ERROR = "TypeError: unsupported operand type(s) for -: 'list' and 'int'"
const NOSUCH = 'Exception: method "nosuch" is not supported'

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address()
      resolve(typeof addr === 'object' && addr ? addr.port : 0)
    }),
  )
}

describe('netlab rpc', () => {
  let service: RpcService
  let env: Env
  let closedPort: number
  let silentPort: number
  const sockets = new Set<Socket>()
  const silent = createServer((s) => {
    sockets.add(s) // accepts, reads, never answers
    s.on('error', () => {})
  })

  beforeAll(async () => {
    service = await startRpcService(
      loadRpcConfig({
        RPC_MODE: 'development',
        RPC_DATA_DIR: ':memory:',
        RPC_HOST: '127.0.0.1',
        RPC_HTTP_PORT: '0',
        RPC_JSONRPC_PORT: '0',
        RPC_MPCONN_ECHO_PORT: '0',
        RPC_MPCONN_RPC_PORT: '0',
      }),
      createLogger('rpc', 'silent'),
    )
    env = {
      NETLAB_RPC_HOST: '127.0.0.1',
      RPC_HTTP_HOST_PORT: String(service.ports.http),
      RPC_JSONRPC_HOST_PORT: String(service.ports.jsonrpc),
      RPC_MPCONN_RPC_HOST_PORT: String(service.ports.mpRpc),
      RPC_MPCONN_ECHO_HOST_PORT: String(service.ports.mpEcho),
    }
    const closed = createServer()
    closedPort = await listen(closed)
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    silentPort = await listen(silent)
  })

  afterAll(async () => {
    for (const s of sockets) s.destroy()
    silent.close()
    await service.close()
  })

  const rpc = (...args: string[]) => runCli(env, ['rpc', ...args])
  const portOf = (via: Via) =>
    via === 'jsonrpc' ? service.ports.jsonrpc : via === 'mpconn' ? service.ports.mpRpc : service.ports.http

  describe('call', () => {
    it.each(VIAS)('add 2 3 via %s prints the int 5', async (via) => {
      expect(await rpc('call', 'add', '2', '3', '--via', via)).toMatchObject({
        stdout: '5\n',
        stderr: '',
        code: 0,
      })
    })

    it('defaults to XML-RPC', async () => {
      const r = await runCli(env, ['--json', 'rpc', 'call', 'add', '2', '3'])
      expect(JSON.parse(r.stdout)).toMatchObject({ via: 'xmlrpc', method: 'add', result: 5 })
    })

    it.each(VIAS)('sub [1,2] 4 via %s raises TypeError with the exact text', async (via) => {
      expect(await rpc('call', 'sub', '[1,2]', '4', '--via', via)).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc sub via ${via} raised ${SUB_ERROR}\n`,
        code: 1,
      })
    })

    it.each(['xmlrpc', 'mpconn'] as const)('an unknown method via %s raises Exception', async (via) => {
      expect(await rpc('call', 'nosuch', '--via', via)).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc nosuch via ${via} raised ${NOSUCH}\n`,
        code: 1,
      })
    })

    it.each([
      'jsonrpc',
      'jsonrpc-http',
    ] as const)('an unknown method via %s is JSON-RPC -32601', async (via) => {
      expect(await rpc('call', 'nosuch', '--via', via)).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc nosuch via ${via}: JSON-RPC error -32601 Method not found (${NOSUCH})\n`,
        code: 1,
      })
    })

    it('a wrong argument count via JSON-RPC is -32602 with Python’s TypeError', async () => {
      expect((await rpc('call', 'get', '--via', 'jsonrpc')).stderr).toBe(
        'netlab: rpc get via jsonrpc: JSON-RPC error -32602 Invalid params ' +
          "(TypeError: get() missing 1 required positional argument: 'name')\n",
      )
    })

    it.each([
      [['echo', 'foo'], "'foo'"],
      [['echo', '"2"'], "'2'"],
      [['echo', "it's"], `"it's"`],
      [['echo', 'null'], 'None'],
      [['echo', 'true'], 'True'],
      [['add', '2.5', '1'], '3.5'],
      [['add', '2.0', '3'], '5.0'],
      [['add', '-2', '3'], '1'],
      [['add', '9007199254740993', '1'], '9007199254740994'],
      [['add', '[1]', '[2,3]'], '[1, 2, 3]'],
      [['echo', '{"a":[1,2.5,null,true,"x"]}'], "{'a': [1, 2.5, None, True, 'x']}"],
    ])('%j prints %s on every transport', async (args, expected) => {
      for (const via of VIAS)
        expect(await rpc('call', ...args, '--via', via), via).toMatchObject({
          stdout: `${expected}\n`,
          code: 0,
        })
    })
  })

  describe('kv', () => {
    it('round-trips across transports', async () => {
      const ok = (stdout: string) => ({ stdout: `${stdout}\n`, stderr: '', code: 0 })
      expect(await rpc('kv', 'set', 'foo', 'bar')).toMatchObject(ok('None'))
      expect(await rpc('kv', 'set', 'spam', '[1,2,3]', '--via', 'jsonrpc')).toMatchObject(ok('None'))
      expect(await rpc('kv', 'set', 'n', '1', '--via', 'mpconn')).toMatchObject(ok('None'))
      expect(await rpc('kv', 'set', 'x', '1.0', '--via', 'jsonrpc-http')).toMatchObject(ok('None'))
      expect(await rpc('kv', 'get', 'foo', '--via', 'mpconn')).toMatchObject(ok("'bar'"))
      expect(await rpc('kv', 'get', 'spam', '--via', 'jsonrpc-http')).toMatchObject(ok('[1, 2, 3]'))
      expect(await rpc('kv', 'get', 'n')).toMatchObject(ok('1'))
      expect(await rpc('kv', 'get', 'x', '--via', 'jsonrpc')).toMatchObject(ok('1.0'))
      expect(await rpc('kv', 'keys', '--via', 'mpconn')).toMatchObject(ok("['foo', 'spam', 'n', 'x']"))
      expect(await rpc('kv', 'exists', 'foo', '--via', 'jsonrpc')).toMatchObject(ok('True'))
      expect(await rpc('kv', 'delete', 'foo', '--via', 'jsonrpc-http')).toMatchObject(ok('None'))
      expect(await rpc('kv', 'exists', 'foo', '--via', 'mpconn')).toMatchObject(ok('False'))
      for (const key of ['spam', 'n', 'x']) expect(await rpc('kv', 'delete', key)).toMatchObject(ok('None'))
      expect(await rpc('kv', 'keys')).toMatchObject(ok('[]'))
    })

    it.each(VIAS)('get of a missing key via %s raises KeyError', async (via) => {
      expect(await rpc('kv', 'get', 'nope', '--via', via)).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc get via ${via} raised KeyError: 'nope'\n`,
        code: 1,
      })
    })
  })

  it('methods lists system.listMethods, one a line; XML-RPC only', async () => {
    const r = await rpc('methods')
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')).toEqual([
      'add',
      'delete',
      'echo',
      'exists',
      'get',
      'keys',
      'set',
      'sub',
      'system.listMethods',
      'system.methodHelp',
      'system.methodSignature',
      'system.multicall',
      '',
    ])
    const other = await rpc('methods', '--via', 'jsonrpc')
    expect(other.code).toBe(2)
    expect(other.stderr).toContain("argument 'jsonrpc' is invalid. Allowed choices are xmlrpc.")
  })

  describe('--json', () => {
    const json = async (...args: string[]) => {
      const r = await runCli(env, ['--json', 'rpc', ...args])
      return { ...r, data: JSON.parse(r.stdout) as Record<string, unknown> }
    }

    it('a result: via, method, the result as JSON, ms', async () => {
      const r = await json('call', 'add', '2', '3', '--via', 'mpconn')
      expect(r.code).toBe(0)
      expect(r.data).toEqual({ via: 'mpconn', method: 'add', result: 5, ms: expect.any(Number) })
      expect(Object.keys(r.data)).toEqual(['via', 'method', 'result', 'ms'])
    })

    it('keeps ints exact and floats as floats', async () => {
      expect((await json('call', 'add', '9007199254740993', '1')).stdout).toContain(
        '"result":9007199254740994,',
      )
      expect((await json('call', 'add', '2.0', '3', '--via', 'jsonrpc')).stdout).toContain('"result":5.0,')
      expect((await json('call', 'echo', '{"a":[1,"x",null]}')).data.result).toEqual({ a: [1, 'x', null] })
    })

    it('a raised exception: error (the class), message, exit 1, and the stderr line', async () => {
      const r = await json('kv', 'get', 'nope', '--via', 'mpconn')
      expect(r.code).toBe(1)
      expect(r.data).toEqual({
        via: 'mpconn',
        method: 'get',
        error: 'KeyError',
        message: "'nope'",
        ms: expect.any(Number),
      })
      expect(r.stderr).toBe("netlab: rpc get via mpconn raised KeyError: 'nope'\n")
    })

    it('a JSON-RPC error also carries its code', async () => {
      const r = await json('call', 'nosuch', '--via', 'jsonrpc')
      expect(r.data).toMatchObject({ error: 'Exception', code: -32601 })
    })

    it('a connection failure is the LabError form', async () => {
      const r = await json('call', 'add', '1', '2', '--port', String(closedPort))
      expect(r.code).toBe(1)
      expect(r.data).toEqual({
        error: 'HTTP_FAILED',
        message: `rpc add via xmlrpc: http://127.0.0.1:${closedPort}/RPC2: connection refused`,
      })
    })
  })

  describe('authkey', () => {
    it('a wrong --authkey on mpconn fails the handshake with a clear message', async () => {
      const r = await rpc('call', 'add', '1', '2', '--via', 'mpconn', '--authkey', 'wrong')
      expect(r).toMatchObject({
        stdout: '',
        stderr:
          `netlab: rpc add via mpconn: 127.0.0.1:${service.ports.mpRpc}: authentication failed: ` +
          'digest sent was rejected (check RPC_AUTHKEY)\n',
        code: 1,
      })
    })

    it('RPC_AUTHKEY is the default; --authkey overrides it', async () => {
      const wrongEnv = { ...env, RPC_AUTHKEY: 'not-the-key' }
      const wrong = await runCli(wrongEnv, ['rpc', 'call', 'add', '1', '2', '--via', 'mpconn'])
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toContain('authentication failed: digest sent was rejected (check RPC_AUTHKEY)')
      const fixed = await runCli(wrongEnv, [
        'rpc',
        'call',
        'add',
        '1',
        '2',
        '--via',
        'mpconn',
        '--authkey',
        'peekaboo',
      ])
      expect(fixed).toMatchObject({ stdout: '3\n', code: 0 })
      const right = await runCli({ ...env, RPC_AUTHKEY: 'peekaboo' }, [
        'rpc',
        'kv',
        'keys',
        '--via',
        'mpconn',
      ])
      expect(right.code).toBe(0)
    })

    it('--help names the development key', async () => {
      const r = await rpc('call', '--help')
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(
        "--authkey <key> mpconn's authkey (default: $RPC_AUTHKEY; when unset, the lab's development key 'peekaboo')",
      )
    })
  })

  describe('connection failures', () => {
    const refused: Readonly<Record<Via, (port: number) => string>> = {
      xmlrpc: (p) => `http://127.0.0.1:${p}/RPC2: connection refused`,
      'jsonrpc-http': (p) => `http://127.0.0.1:${p}/jsonrpc: connection refused`,
      jsonrpc: (p) => `cannot connect to 127.0.0.1:${p}: ECONNREFUSED`,
      mpconn: (p) => `cannot connect to 127.0.0.1:${p}: ECONNREFUSED`,
    }
    it.each(VIAS)('a closed port via %s: exit 1 at once, naming the target', async (via) => {
      const r = await rpc('call', 'add', '1', '2', '--via', via, '--port', String(closedPort))
      expect(r).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc add via ${via}: ${refused[via](closedPort)}\n`,
        code: 1,
      })
      expect(r.elapsedMs).toBeLessThan(1000)
    })

    it('NETLAB_RPC_HOST and the *_HOST_PORT variables choose the target', async () => {
      const r = await runCli({ ...env, RPC_JSONRPC_HOST_PORT: String(closedPort) }, [
        'rpc',
        'kv',
        'keys',
        '--via',
        'jsonrpc',
      ])
      expect(r.stderr).toBe(`netlab: rpc keys via jsonrpc: ${refused.jsonrpc(closedPort)}\n`)
    })

    const silence: Readonly<Record<Via, (port: number) => string>> = {
      xmlrpc: (p) => `http://127.0.0.1:${p}/RPC2: no response within 300 ms`,
      'jsonrpc-http': (p) => `http://127.0.0.1:${p}/jsonrpc: no response within 300 ms`,
      jsonrpc: (p) => `no reply from 127.0.0.1:${p} within 300 ms`,
      mpconn: (p) =>
        `127.0.0.1:${p}: the authkey handshake did not finish within 300 ms ` +
        '(is it a multiprocessing.connection port?)',
    }
    it.each(VIAS)('a server that never answers via %s: exit 1 within --timeout', async (via) => {
      const r = await rpc(
        'call',
        'add',
        '1',
        '2',
        '--via',
        via,
        '--port',
        String(silentPort),
        '--timeout',
        '300',
      )
      expect(r).toMatchObject({
        stdout: '',
        stderr: `netlab: rpc add via ${via}: ${silence[via](silentPort)}\n`,
        code: 1,
      })
      expect(r.elapsedMs).toBeGreaterThanOrEqual(290)
      expect(r.elapsedMs).toBeLessThan(1500)
    })

    it('JSON-RPC at an mp-connection port: the server hangs up, said plainly', async () => {
      const r = await rpc('call', 'add', '1', '2', '--via', 'jsonrpc', '--port', String(portOf('mpconn')))
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^netlab: rpc add via jsonrpc: .*127\.0\.0\.1:\d+/)
    })
  })
})
