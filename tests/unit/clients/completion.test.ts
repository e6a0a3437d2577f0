/**
 * Completion: what Tab offers in the session and `netlab __complete` prints for the shells,
 * walked from the real command tree, with the lab's values from stub sources (no network).
 * The bash script is also run for real: a shell completing `netlab tc` gets `tcp`.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type CompletionSources,
  complete,
  labSources,
  parseRouteTree,
} from '../../../clients/cli/completion.ts'
import { completionScript } from '../../../clients/cli/completion-scripts.ts'
import { buildProgram } from '../../../clients/cli/program.ts'
import { Capture } from '../../support/cli-harness.ts'

const sources: CompletionSources = {
  proxies: async () => [
    { name: 'tcp-upper', protocol: 'tcp', listen: '', upstream: '', enabled: true, toxics: [] },
    {
      name: 'udp-time',
      protocol: 'udp',
      listen: '',
      upstream: '',
      enabled: true,
      toxics: [{ name: 'loss_downstream', type: 'loss', stream: 'downstream', toxicity: 1, attributes: {} }],
    },
  ],
  toxicTypes: async (protocol) => (protocol === 'udp' ? ['latency', 'loss'] : ['latency', 'timeout']),
  httpPaths: async (method) => (method === 'GET' ? ['/get', '/delay/', '/drip'] : ['/post', '/data']),
  cmdCommands: async () => ['UPPER', 'TIME', 'STATS'],
}

const program = () => buildProgram({ stdout: new Capture(), stderr: new Capture() }, {}, () => undefined)
const tab = (line: string, extra: readonly string[] = []) => {
  const words = line.split(' ')
  const partial = words.pop() ?? ''
  return complete(program(), words.filter(Boolean), partial, sources, extra)
}

describe('completion', () => {
  it.each([
    ['', ['completion', 'exit', 'faults', 'help', 'http', 'rpc', 'tcp', 'udp']],
    ['t', ['tcp']],
    ['tcp ', ['ack', 'cmd', 'echo', 'hello', 'help', 'upper', 'welcome']],
    ['udp pr', ['probe']],
    ['--json t', ['tcp']],
    ['udp probe --c', ['--count']],
    ['-', ['--help', '--json', '--version']],
    ['tcp upper --host ', ['faults', 'http', 'rpc', 'tcp', 'udp']],
    ['rpc call add 1 2 --via ', ['jsonrpc', 'jsonrpc-http', 'mpconn', 'xmlrpc']],
    ['rpc kv get k --via j', ['jsonrpc', 'jsonrpc-http']],
    ['faults add --stream ', ['downstream', 'upstream']],
    ['faults add tcp', ['tcp-upper']],
    ['faults add ', ['tcp-upper', 'udp-time']],
    ['faults add udp-time ', ['latency', 'loss']],
    ['faults add tcp-upper t', ['timeout']],
    ['faults remove udp-time ', ['loss_downstream']],
    ['faults disable u', ['udp-time']],
    ['http get /d', ['/delay/', '/drip']],
    ['http post /', ['/data', '/post']],
    ['tcp cmd UPPER x T', ['TIME']],
    ['completion ', ['bash', 'fish', 'zsh']],
    ['tcp upper hello ', []],
  ])('%j completes to %j', async (line, expected) => {
    expect(await tab(line, ['exit'])).toEqual(expected)
  })

  it('completes nothing, quietly, when the faults API cannot be reached', async () => {
    const unreachable = labSources({ host: '127.0.0.1', port: 9 })
    expect(await complete(program(), ['faults', 'add'], '', unreachable)).toEqual([])
  })

  it("reads the HTTP service's real routes table", async () => {
    const paths = await labSources({ host: '127.0.0.1', port: 9 }).httpPaths('GET')
    expect(paths).toEqual(
      expect.arrayContaining(['/get', '/delay/', '/drip', '/status/', '/hello/', '/data']),
    )
    expect(paths).not.toContain('/post')
  })

  it('parses the route tree Fastify prints, parameters cut off', () => {
    const tree = [
      '└── / (GET)',
      '    ├── get (GET)',
      '    ├── hello (GET)',
      '    │   └── /:name (GET)',
      '    └── cookies (GET)',
      '        ├── /set (GET)',
      '        │   └── /:name/:value (GET)',
      '        └── /delete (GET)',
    ].join('\n')
    expect(parseRouteTree(tree)).toEqual([
      '/',
      '/get',
      '/hello',
      '/hello/',
      '/cookies',
      '/cookies/set',
      '/cookies/set/',
      '/cookies/delete',
    ])
  })
})

describe('netlab completion bash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-completion-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('makes bash complete `netlab tc` to tcp and `netlab tcp u` to upper, through netlab __complete', () => {
    // `netlab` on PATH is the CLI from source, as `npm link` or `npx netlab` would give
    const bin = join(dir, 'netlab')
    const main = join(import.meta.dirname, '..', '..', '..', 'clients', 'cli', 'main.ts')
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`)
    chmodSync(bin, 0o755)
    writeFileSync(join(dir, 'netlab.bash'), completionScript('bash'))
    const run = (words: string) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source ${join(dir, 'netlab.bash')}; COMP_WORDS=(${words}); ` +
            // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own ${...}, not a template
            'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _netlab_complete; printf "%s\\n" "${COMPREPLY[@]}"',
        ],
        { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } },
      )
    expect(run('netlab tc')).toBe('tcp\n')
    expect(run('netlab tcp u')).toBe('upper\n')
  })

  it.each(['zsh', 'fish'] as const)('the %s script asks `netlab __complete` too', (shell) => {
    expect(completionScript(shell)).toContain('__complete')
  })
})
