/**
 * The RPC service across the Docker bridge: seed 004's three remote-call programs in
 * Python (XML-RPC ServerProxy, multiprocessing.connection echo, the pickle RPCProxy)
 * under the oldest and newest CPython, JSON-RPC over HTTP and TCP, hostile input (an
 * entity bomb, a pickle that imports os.system, a wrong key, oversized and truncated
 * requests), durability of acknowledged writes across `docker kill`, and production
 * mode refusing to start without a key.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

const run = promisify(execFile)
const script = join(import.meta.dirname, 'python', 'seed_rpc_clients.py')
// The oldest and newest CPython 3 (3.6 pickles sets as a call to builtins.set, which the
// decoder's allow-list accepts); python-seeds.test.ts runs the mp ports under every version.
const pythons = [
  'python3',
  ...['3.6.15', '3.13.0']
    .map((v) => join(homedir(), '.pyenv', 'versions', v, 'bin', 'python3'))
    .filter((p) => existsSync(p)),
]

/** xmlCall posts an XML-RPC body and returns the HTTP status and the text. */
async function post(url: string, body: string, type = 'text/xml'): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } })
  return { status: res.status, text: await res.text() }
}

/** jsonLines sends lines on one TCP connection and collects `expect` reply lines. */
function jsonLines(port: number, lines: string[], expectLines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let buf = ''
    socket.setEncoding('utf8')
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply within 5 s')))
    socket.on('connect', () => socket.write(lines.map((l) => `${l}\n`).join('')))
    socket.on('data', (s: string) => {
      buf += s
      const got = buf.split('\n').filter(Boolean)
      if (got.length >= expectLines) {
        socket.end()
        resolve(got)
      }
    })
    socket.on('error', reject)
  })
}

describe('rpc service', { timeout: 60_000 }, () => {
  let lab: Lab
  let xmlrpc: string
  beforeAll(async () => {
    lab = await startLab(['rpc'], { env: { rpc: { RPC_AUTHKEY: 'lab-test-key', RPC_MAX_DEPTH: '32' } } })
    xmlrpc = `${lab.baseUrl('rpc', 15000)}/RPC2`
  })
  afterAll(() => lab?.stop())

  it.each(
    pythons,
  )("runs seed 004's XML-RPC, mp echo and pickle-RPC programs unchanged under %s", async (python) => {
    const args = [
      script,
      '127.0.0.1',
      ...[15000, 25000, 17000].map((p) => String(lab.hostPort('rpc', p))),
      'lab-test-key',
    ]
    const { stdout } = await run(python, args, { timeout: 30_000 })
    expect(stdout).toBe(
      [
        "keys: ['foo', 'spam']",
        'get foo: bar',
        'get spam: [1, 2, 3]',
        'exists spam: False',
        'add: 5',
        'round trip: True float int',
        "fault: 1 <class 'KeyError'>:'missing'",
        "fault: 1 <class 'TypeError'>:get() missing 1 required positional argument: 'name'",
        'fault: 1 <class \'Exception\'>:method "nosuch" is not supported',
        "fault: 1 <class 'TypeError'>:unsupported operand type(s) for -: 'list' and 'int'",
        "listMethods: ['add', 'delete', 'echo', 'exists', 'get', 'keys', 'set', 'sub', 'system.listMethods', 'system.methodHelp', 'system.methodSignature', 'system.multicall']",
        'methodSignature: signatures not supported',
        "multicall fault: <class 'KeyError'>:'missing'",
        'echo: None True',
        'echo: True True',
        'echo: 1267650600228229401496703205376 True',
        'echo: -5 True',
        'echo: 1.5 True',
        "echo: 'héllo' True",
        "echo: b'\\x00\\xff' True",
        "echo: (1, 'a') True",
        'echo: [1, [2]] True',
        "echo: {'a': 1, 2: (3,)} True",
        'echo: {1, 2} True',
        'echo: frozenset({3}) True',
        'rpc add: 5',
        'rpc sub: -1',
        "rpc TypeError: unsupported operand type(s) for -: 'list' and 'int'",
        'rpc get foo: bar',
        'evil rpc: ValueError True',
        'evil rpc: connection closed',
        'evil echo: ValueError',
        'evil echo: connection closed',
        'wrong key: AuthenticationError digest sent was rejected',
        '',
      ].join('\n'),
    )
    const refused = (await lab.logs('rpc')).filter((l) => l.msg === 'request refused')
    expect(refused.some((l) => String(l.message).includes('GLOBAL'))).toBe(true)
    const logText = JSON.stringify(await lab.logs('rpc'))
    expect(logText).not.toContain('lab-test-key')
  })

  it('answers malformed XML, an entity bomb and over-deep nesting with faults, and keeps serving', async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>' +
      '<methodCall><methodName>echo</methodName><params><param><value>&lol2;</value></param></params></methodCall>'
    for (const body of [bomb, '<methodCall><methodName>echo</methodName>', 'not xml at all']) {
      const r = await post(xmlrpc, body)
      expect(r.status).toBe(200)
      expect(r.text).toContain('<name>faultCode</name>')
      expect(r.text).toContain('xml.parsers.expat.ExpatError')
    }
    const deep = `<methodCall><methodName>echo</methodName><params><param>${'<value><array><data>'.repeat(40)}${'</data></array></value>'.repeat(40)}</param></params></methodCall>`
    expect((await post(xmlrpc, deep)).text).toContain('<name>faultCode</name>')
    const ok = await post(
      xmlrpc,
      '<methodCall><methodName>add</methodName><params><param><value><int>2</int></value></param><param><value><int>3</int></value></param></params></methodCall>',
    )
    expect(ok.text).toContain('<int>5</int>')
  })

  it('serves JSON-RPC 2.0 over HTTP: a batch with a notification, errors with standard codes', async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', method: 'add', params: [2, 3], id: 1 },
      { jsonrpc: '2.0', method: 'sub', params: { x: 10, y: 4 }, id: 2 },
      { jsonrpc: '2.0', method: 'set', params: ['n', 1] },
      { jsonrpc: '2.0', method: 'nosuch', id: 3 },
      { jsonrpc: '2.0', method: 'get', params: [], id: 4 },
      { jsonrpc: '2.0', method: 'get', params: ['absent'], id: 5 },
      { foo: 'bar' },
    ])
    const r = await post(`${lab.baseUrl('rpc', 15000)}/jsonrpc`, batch, 'application/json')
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text)).toEqual([
      { jsonrpc: '2.0', result: 5, id: 1 },
      { jsonrpc: '2.0', result: 6, id: 2 },
      {
        jsonrpc: '2.0',
        error: {
          code: -32601,
          message: 'Method not found',
          data: { type: 'Exception', message: 'method "nosuch" is not supported' },
        },
        id: 3,
      },
      {
        jsonrpc: '2.0',
        error: {
          code: -32602,
          message: 'Invalid params',
          data: { type: 'TypeError', message: "get() missing 1 required positional argument: 'name'" },
        },
        id: 4,
      },
      {
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: "KeyError: 'absent'",
          data: { type: 'KeyError', message: "'absent'" },
        },
        id: 5,
      },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
    ])
    const parseError = await post(
      `${lab.baseUrl('rpc', 15000)}/jsonrpc`,
      '{"jsonrpc": "2.0", "method"',
      'application/json',
    )
    expect(JSON.parse(parseError.text)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    })
    const onlyNotification = await fetch(`${lab.baseUrl('rpc', 15000)}/jsonrpc`, {
      method: 'POST',
      body: '{"jsonrpc":"2.0","method":"echo","params":[1]}',
    })
    expect(onlyNotification.status).toBe(204)
  })

  it('serves JSON-RPC 2.0 over TCP, one line per request, in order, big ints exact', async () => {
    const replies = await jsonLines(
      lab.hostPort('rpc', 15001),
      [
        '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}',
        '{"jsonrpc":"2.0","method":"add","params":[9007199254740993,1],"id":2}',
        'garbage',
        '{"jsonrpc":"2.0","method":"echo","params":[[1.5,"x",null]],"id":"s"}',
      ],
      4,
    )
    expect(replies).toEqual([
      '{"jsonrpc":"2.0","result":5,"id":1}',
      '{"jsonrpc":"2.0","result":9007199254740994,"id":2}',
      '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      '{"jsonrpc":"2.0","result":[1.5,"x",null],"id":"s"}',
    ])
  })

  it('keeps every acknowledged write across docker kill and start (the store volume)', async () => {
    const calls = Array.from({ length: 50 }, (_, i) =>
      post(
        xmlrpc,
        `<methodCall><methodName>set</methodName><params><param><value>k${i}</value></param><param><value><int>${i}</int></value></param></params></methodCall>`,
      ),
    )
    for (const r of await Promise.all(calls)) expect(r.text).toContain('<nil/>')
    const id = lab.container('rpc').getId()
    await run('docker', ['kill', id])
    await run('docker', ['start', id])
    // Wait for the health check (a real JSON-RPC call) to pass again.
    await expect
      .poll(
        async () =>
          (await run('docker', ['inspect', id, '--format', '{{.State.Health.Status}}'])).stdout.trim(),
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBe('healthy')
    const { stdout } = await run('docker', ['port', id, '15000/tcp'])
    const port = stdout.trim().split('\n')[0]?.split(':').at(-1)
    const r = await post(
      `http://127.0.0.1:${port}/jsonrpc`,
      JSON.stringify(
        Array.from({ length: 50 }, (_, i) => ({ jsonrpc: '2.0', method: 'get', params: [`k${i}`], id: i })),
      ),
      'application/json',
    )
    const values = (JSON.parse(r.text) as { result: number; id: number }[]).map((x) => x.result)
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('the client container drives every transport: rpc call, rpc kv, --via', async () => {
    const env = ['--authkey', 'lab-test-key']
    for (const via of ['xmlrpc', 'jsonrpc', 'jsonrpc-http', 'mpconn']) {
      const r = await lab.client('rpc', 'call', 'add', '2', '3', '--via', via, ...env)
      expect(r.stdout).toBe('5\n')
      expect(r.exitCode).toBe(0)
    }
    expect((await lab.client('rpc', 'kv', 'set', 'cli', '[1,2,3]', '--via', 'xmlrpc', ...env)).exitCode).toBe(
      0,
    )
    expect((await lab.client('rpc', 'kv', 'get', 'cli', '--via', 'mpconn', ...env)).stdout).toBe(
      '[1, 2, 3]\n',
    )
    const raised = await lab.client('rpc', 'call', 'sub', '[1,2]', '4', '--via', 'mpconn', ...env)
    expect(raised.exitCode).toBe(1)
    expect(raised.stderr).toBe(
      "netlab: rpc sub via mpconn raised TypeError: unsupported operand type(s) for -: 'list' and 'int'\n",
    )
    const wrongKey = await lab.client('rpc', 'call', 'add', '1', '2', '--via', 'mpconn', '--authkey', 'nope')
    expect(wrongKey.exitCode).toBe(1)
    expect(wrongKey.stderr).toContain('authentication failed: digest sent was rejected (check RPC_AUTHKEY)')
  })

  it('refuses to start in production mode without RPC_AUTHKEY (exit 2, naming the variable)', async () => {
    const { exitCode, logs } = await lab.runOnce('rpc', { RPC_MODE: 'production' })
    expect(exitCode).toBe(2)
    expect(logs[0]).toMatchObject({ msg: 'invalid configuration' })
    expect(JSON.stringify(logs[0]?.problems)).toContain('RPC_AUTHKEY is not set')
  })
})
