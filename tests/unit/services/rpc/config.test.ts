/** RPC_AUTHKEY_FILE: the authkey from a file (a Docker secret), validated like every variable. */
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/errors.ts'
import { loadRpcConfig, MAX_AUTHKEY_FILE_BYTES } from '../../../../services/rpc/config.ts'

const files: Record<string, Buffer> = {
  '/run/secrets/key': Buffer.from('s3cret\n'),
  '/run/secrets/crlf': Buffer.from('s3cret\r\n'),
  '/run/secrets/two-lines': Buffer.from('s3cret\n\n'),
  '/run/secrets/empty': Buffer.from('\n'),
  '/run/secrets/big': Buffer.alloc(MAX_AUTHKEY_FILE_BYTES + 1, 'k'),
}
const read = (path: string): Buffer => {
  const data = files[path]
  if (data) return data
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' })
}

function problems(env: Record<string, string>): string[] {
  try {
    loadRpcConfig(env, read)
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems]
    throw err
  }
  return []
}

describe('RPC_AUTHKEY_FILE', () => {
  it.each([
    ['drops one trailing newline', '/run/secrets/key', 's3cret'],
    ['drops one trailing CRLF', '/run/secrets/crlf', 's3cret'],
    ['keeps all but the last newline', '/run/secrets/two-lines', 's3cret\n'],
  ])('%s', (_name, path, key) => {
    expect(loadRpcConfig({ RPC_MODE: 'production', RPC_AUTHKEY_FILE: path }, read).authkey).toBe(key)
  })

  it.each([
    [
      'an unreadable file',
      { RPC_AUTHKEY_FILE: '/run/secrets/nope' },
      'RPC_AUTHKEY_FILE="/run/secrets/nope": cannot read it (ENOENT)',
    ],
    [
      'an empty file',
      { RPC_AUTHKEY_FILE: '/run/secrets/empty' },
      'RPC_AUTHKEY_FILE="/run/secrets/empty": the file is empty',
    ],
    [
      'a file larger than a key',
      { RPC_AUTHKEY_FILE: '/run/secrets/big' },
      `RPC_AUTHKEY_FILE="/run/secrets/big": ${MAX_AUTHKEY_FILE_BYTES + 1} bytes, more than ${MAX_AUTHKEY_FILE_BYTES}`,
    ],
    [
      'both the variable and the file',
      { RPC_AUTHKEY: 'x', RPC_AUTHKEY_FILE: '/run/secrets/key' },
      'RPC_AUTHKEY and RPC_AUTHKEY_FILE are both set: set one of them',
    ],
  ])('refuses %s, naming the variable', (_name, env, problem) => {
    expect(problems({ RPC_MODE: 'production', ...env })).toEqual([problem])
  })

  it('is a configuration error in production mode when neither is set', () => {
    expect(problems({ RPC_MODE: 'production' })).toEqual([
      'RPC_AUTHKEY is not set: the multiprocessing.connection ports need a secret key in production mode (set RPC_AUTHKEY or RPC_AUTHKEY_FILE, or RPC_MODE=development to use the seed key)',
    ])
  })

  it('falls back to the seed key only in development mode', () => {
    expect(loadRpcConfig({ RPC_MODE: 'development' }, read).authkey).toBe('peekaboo')
  })
})
