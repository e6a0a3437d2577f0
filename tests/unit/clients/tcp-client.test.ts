/**
 * The one-shot TCP exchange against in-process servers: the whole reply until the server
 * closes, and a clear NO_REPLY when a server closes without answering a request.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { exchange } from '../../../clients/cli/net/tcp-client.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer(onConnection)
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

describe('exchange', () => {
  it('returns everything the server sent before closing', async () => {
    const port = await serve((s) => s.on('data', (d: Buffer) => s.end(d.toString().toUpperCase())))
    const reply = await exchange({ host: '127.0.0.1', port }, Buffer.from('hello'), 2000)
    expect(reply.toString()).toBe('HELLO')
  })

  it('is NO_REPLY when the server closes without a byte of reply', async () => {
    const port = await serve((s) => s.resume().end())
    await expect(exchange({ host: '127.0.0.1', port }, Buffer.from('hello'), 2000)).rejects.toMatchObject({
      code: 'NO_REPLY',
      message: `127.0.0.1:${port} closed the connection without a reply`,
    })
  })

  it('takes an empty reply to an empty request', async () => {
    const port = await serve((s) => s.on('end', () => s.end()).resume())
    const reply = await exchange({ host: '127.0.0.1', port }, Buffer.alloc(0), 2000)
    expect(reply.length).toBe(0)
  })
})
