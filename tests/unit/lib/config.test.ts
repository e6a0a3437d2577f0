import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cgroupMemoryLimitBytes } from '../../../lib/cgroup.ts'
import {
  defaultMemoryBudgetBytes,
  defaultWorkers,
  type Env,
  intVar,
  loadConfig,
} from '../../../lib/config.ts'
import { ConfigError } from '../../../lib/errors.ts'
import { loadTcpConfig, type TcpConfig } from '../../../services/tcp/config.ts'

const defaults: TcpConfig = {
  host: '0.0.0.0',
  upperPort: 9999,
  echoPort: 20000,
  cmdPort: 9998,
  welcomePort: 8001,
  helloPort: 9997,
  ackPort: 50000,
  welcomeTimeoutMs: 5000,
  helloDelayMs: 1000,
  workers: defaultWorkers(),
  maxConnections: 1000,
  idleTimeoutMs: 60_000,
  maxLineBytes: 8192,
  maxBufferedBytes: 1_048_576,
  memoryBudgetBytes: defaultMemoryBudgetBytes(),
  maxSleepMs: 30_000,
  shutdownGraceMs: 10_000,
  logLevel: 'info',
}

/** problemsOf returns the ConfigError.problems that loading `env` throws (fails if it does not). */
function problemsOf(load: () => unknown): readonly string[] {
  try {
    load()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError, but the configuration loaded')
}

describe('loadConfig (through the TCP service spec)', () => {
  it('applies every default to an empty environment', () => {
    expect(loadTcpConfig({})).toEqual(defaults)
  })

  it('treats an empty string as unset and applies the default', () => {
    const env: Env = Object.fromEntries(
      ['TCP_HOST', 'TCP_UPPER_PORT', 'TCP_WORKERS', 'TCP_IDLE_TIMEOUT_MS', 'LOG_LEVEL'].map((k) => [k, '']),
    )
    expect(loadTcpConfig(env)).toEqual(defaults)
  })

  it('ignores variables it does not declare', () => {
    expect(loadTcpConfig({ PATH: '/bin', TCP_UNKNOWN: 'x' })).toEqual(defaults)
  })

  it('parses every variable when all are valid', () => {
    const env: Env = {
      TCP_HOST: '127.0.0.1',
      TCP_UPPER_PORT: '0',
      TCP_ECHO_PORT: '65535',
      TCP_CMD_PORT: '1',
      TCP_WELCOME_PORT: '2',
      TCP_HELLO_PORT: '3',
      TCP_ACK_PORT: '4',
      TCP_WELCOME_TIMEOUT_MS: '100',
      TCP_HELLO_DELAY_MS: '0',
      TCP_WORKERS: '256',
      TCP_MAX_CONNECTIONS: '1',
      TCP_IDLE_TIMEOUT_MS: '100',
      TCP_MAX_LINE_BYTES: '16',
      TCP_MAX_BUFFERED_BYTES: '67108864',
      TCP_MAX_SLEEP_MS: '0',
      TCP_MEMORY_BUDGET_BYTES: '1048576',
      SHUTDOWN_GRACE_MS: '600000',
      LOG_LEVEL: 'silent',
    }
    expect(loadTcpConfig(env)).toEqual({
      host: '127.0.0.1',
      upperPort: 0,
      echoPort: 65535,
      cmdPort: 1,
      welcomePort: 2,
      helloPort: 3,
      ackPort: 4,
      welcomeTimeoutMs: 100,
      helloDelayMs: 0,
      workers: 256,
      maxConnections: 1,
      idleTimeoutMs: 100,
      maxLineBytes: 16,
      maxBufferedBytes: 67_108_864,
      maxSleepMs: 0,
      memoryBudgetBytes: 1_048_576,
      shutdownGraceMs: 600_000,
      logLevel: 'silent',
    })
  })

  it.each<{ name: string; raw: string; workers: number }>([
    { name: 'a plain integer', raw: '4', workers: 4 },
    { name: 'surrounding whitespace', raw: ' 4\t', workers: 4 },
    { name: 'a leading +', raw: '+4', workers: 4 },
    { name: 'leading zeros', raw: '004', workers: 4 },
  ])('reads an integer written as $name', ({ raw, workers }) => {
    expect(loadTcpConfig({ TCP_WORKERS: raw }).workers).toBe(workers)
  })

  it.each<{ name: string; env: Env; problem: string }>([
    {
      name: 'a word for an integer',
      env: { TCP_WORKERS: 'abc' },
      problem: 'TCP_WORKERS="abc": expected an integer from 1 to 256',
    },
    {
      name: 'a fraction for an integer',
      env: { TCP_WORKERS: '1.5' },
      problem: 'TCP_WORKERS="1.5": expected an integer from 1 to 256',
    },
    {
      name: 'an exponent for an integer',
      env: { TCP_MAX_CONNECTIONS: '1e3' },
      problem: 'TCP_MAX_CONNECTIONS="1e3": expected an integer from 1 to 100000',
    },
    {
      name: 'whitespace only for an integer',
      env: { TCP_WORKERS: '  ' },
      problem: 'TCP_WORKERS="  ": expected an integer from 1 to 256',
    },
    {
      name: 'an integer below the minimum',
      env: { TCP_WORKERS: '0' },
      problem: 'TCP_WORKERS="0": expected an integer from 1 to 256',
    },
    {
      name: 'an integer above the maximum',
      env: { TCP_WORKERS: '257' },
      problem: 'TCP_WORKERS="257": expected an integer from 1 to 256',
    },
    {
      name: 'a negative port',
      env: { TCP_UPPER_PORT: '-1' },
      problem: 'TCP_UPPER_PORT="-1": expected an integer from 0 to 65535',
    },
    {
      name: 'a port above 65535',
      env: { TCP_ECHO_PORT: '65536' },
      problem: 'TCP_ECHO_PORT="65536": expected an integer from 0 to 65535',
    },
    {
      name: 'a duration below its minimum, with its unit',
      env: { TCP_IDLE_TIMEOUT_MS: '99' },
      problem: 'TCP_IDLE_TIMEOUT_MS="99": expected an integer from 100 to 3600000 (ms)',
    },
    {
      name: 'a size above its maximum, with its unit',
      env: { TCP_MAX_BUFFERED_BYTES: '67108865' },
      problem: 'TCP_MAX_BUFFERED_BYTES="67108865": expected an integer from 1024 to 67108864 (bytes)',
    },
    {
      name: 'a word outside an enum',
      env: { LOG_LEVEL: 'verbose' },
      problem: 'LOG_LEVEL="verbose": expected one of fatal, error, warn, info, debug, trace, silent',
    },
    {
      name: 'an enum word in the wrong case',
      env: { LOG_LEVEL: 'INFO' },
      problem: 'LOG_LEVEL="INFO": expected one of fatal, error, warn, info, debug, trace, silent',
    },
  ])('rejects $name', ({ env, problem }) => {
    expect(problemsOf(() => loadTcpConfig(env))).toEqual([problem])
  })

  it('reports every bad variable at once, in declaration order, with code and message', () => {
    const env: Env = {
      LOG_LEVEL: 'loud',
      TCP_WORKERS: 'abc',
      TCP_CMD_PORT: '70000',
      TCP_HOST: '127.0.0.1',
      TCP_MAX_LINE_BYTES: '8',
    }
    const problems = [
      'TCP_CMD_PORT="70000": expected an integer from 0 to 65535',
      'TCP_WORKERS="abc": expected an integer from 1 to 256',
      'TCP_MAX_LINE_BYTES="8": expected an integer from 16 to 1048576 (bytes)',
      'LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    ]
    let caught: unknown
    try {
      loadTcpConfig(env)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const err = caught as ConfigError
    expect(err.problems).toEqual(problems)
    expect(err.code).toBe('INVALID_CONFIG')
    expect(err.name).toBe('LabError')
    expect(err.message).toBe(`invalid configuration: ${problems.join('; ')}`)
  })

  it('hides the value of a secret variable in its problem', () => {
    const specs = {
      pin: { ...intVar('RPC_PIN', 'secret number', { default: 1, min: 0, max: 9999 }), secret: true },
    }
    expect(problemsOf(() => loadConfig(specs, { RPC_PIN: 'hunter2' }))).toEqual([
      'RPC_PIN=(hidden): expected an integer from 0 to 9999',
    ])
  })

  it('returns a frozen object', () => {
    const config = loadTcpConfig({ TCP_WORKERS: '2' })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Reflect.set(config, 'workers', 3)).toBe(false)
    expect(config.workers).toBe(2)
  })
})

describe('memory budget defaults', () => {
  it('is 3/8 of the container limit, 192 MiB without one, and never below 16 MiB', () => {
    const MiB = 1024 * 1024
    expect(defaultMemoryBudgetBytes(512 * MiB)).toBe(192 * MiB)
    expect(defaultMemoryBudgetBytes(undefined)).toBe(192 * MiB)
    expect(defaultMemoryBudgetBytes(8 * MiB)).toBe(16 * MiB)
  })

  it('reads cgroup v2 and v1 limit files, and treats "max" and v1\'s huge value as no limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cgroup-'))
    const file = (name: string, text: string) => {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    }
    expect(cgroupMemoryLimitBytes([file('v2', '536870912\n')])).toBe(536870912)
    expect(cgroupMemoryLimitBytes([file('max', 'max\n')])).toBeUndefined()
    expect(cgroupMemoryLimitBytes([file('v1', '9223372036854771712\n')])).toBeUndefined()
    expect(cgroupMemoryLimitBytes([join(dir, 'missing'), file('v1b', '1048576')])).toBe(1048576)
  })
})

describe('defaultWorkers', () => {
  it('leaves one core spare: 1 on 1 or 2 cores, cores - 1 above, at most 8', () => {
    expect([1, 2, 3, 4, 8, 9, 64].map((c) => defaultWorkers(c))).toEqual([1, 1, 2, 3, 7, 8, 8])
  })
})
