/**
 * The threaded HTTP service in-process over loopback: HTTP_MAX_CONNECTIONS is answered with a
 * 503 in the one HTTP error body (code BUSY) and a close, and a slot freed is served again.
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { httpConfigSpec, loadHttpConfig } from '../../../../services/http/config.ts'
import { type HttpService, startHttpService } from '../../../../services/http/server.ts'
import { freePorts } from '../../../support/free-ports.ts'

const sockets: Socket[] = []

/** open connects a raw socket and resolves once it is connected; `text()` is all it has received */
async function open(port: number): Promise<{ socket: Socket; text: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  let got = ''
  socket.on('data', (d) => {
    got += String(d)
  })
  socket.on('error', () => undefined)
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  return { socket, text: () => got, closed }
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`

describe('HTTP service connection cap', () => {
  let svc: HttpService
  beforeAll(async () => {
    const config = loadHttpConfig({
      HTTP_HOST: '127.0.0.1',
      ...freePorts(httpConfigSpec),
      HTTP_WORKERS: '1',
      HTTP_MAX_CONNECTIONS: '1',
      LOG_LEVEL: 'silent',
    })
    svc = await startHttpService(config, createLogger('http', 'silent'))
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await svc?.close()
  })

  it('answers a connection past the cap with 503 BUSY and closes it; a freed slot serves again', async () => {
    const port = svc.ports.http
    const first = await open(port)
    first.socket.write(get('/health'))
    for (let i = 0; i < 200 && !first.text().includes('\r\n\r\n'); i++)
      await new Promise((r) => setTimeout(r, 10))
    expect(first.text()).toMatch(/^HTTP\/1\.1 200 /)

    const second = await open(port)
    second.socket.write(get('/health'))
    await second.closed
    const [head = '', body = ''] = second.text().split('\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 503 /)
    expect(head.toLowerCase()).toContain('connection: close')
    expect(JSON.parse(body)).toEqual({
      error: 'server at its limit of 1 connections',
      status: 503,
      code: 'BUSY',
    })

    first.socket.destroy()
    await first.closed
    let third = ''
    for (let attempt = 0; attempt < 50 && !third.startsWith('HTTP/1.1 200'); attempt++) {
      const c = await open(port)
      c.socket.end(`GET /health HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n`)
      await c.closed
      third = c.text()
    }
    expect(third).toMatch(/^HTTP\/1\.1 200 /)
  })
})
