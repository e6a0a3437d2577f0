/**
 * A client that pipelines requests and then half-closes (`printf ... | nc -N`, socat, Python's
 * `shutdown(SHUT_WR)`) is still owed every reply; the server ends the connection after them.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { loadTcpConfig, tcpConfigSpec } from '../../../../services/tcp/config.ts'
import { startTcpService } from '../../../../services/tcp/server.ts'
import { freePorts } from '../../../support/free-ports.ts'
import { sendAndHalfClose } from '../../../support/half-close.ts'

describe('TCP cmd after a half-close', () => {
  // Found by tests/unit/fuzz/cmd-connection.fuzz.test.ts: the listeners did not allow half-open
  // sockets, so Node ended ours when the peer's FIN came, and a SLEEP's reply was lost.
  it('answers every pipelined line, SLEEP included, then closes', async () => {
    const config = loadTcpConfig({
      TCP_HOST: '127.0.0.1',
      ...freePorts(tcpConfigSpec),
      TCP_WORKERS: '1',
      LOG_LEVEL: 'silent', // the worker threads log with the config's level
    })
    const svc = await startTcpService(config, createLogger('tcp', 'silent'))
    try {
      const replies = await sendAndHalfClose(svc.ports.cmd, 'PING\nSLEEP 20\nECHO after\n')
      expect(replies.replace(/slept \d+/, 'slept N')).toBe('OK PONG\nOK slept N\nOK after\n')
      expect(await sendAndHalfClose(svc.ports.upper, 'grüße')).toBe('GRÜSSE')
      expect(await sendAndHalfClose(svc.ports.echo, 'abc')).toBe('abc')
    } finally {
      await svc.close()
    }
  })
})
