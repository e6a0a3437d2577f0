/**
 * whenFlushed (lib/net/flushed.ts) over a real loopback socket: at once with nothing queued,
 * and only once the peer has read everything when the bytes are stuck behind a full buffer.
 */
import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { whenFlushed } from '../../../lib/net/flushed.ts'

const open: Socket[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.destroy()
})

async function pair(): Promise<{ client: Socket; peer: Socket }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  const [peer] = await accepted
  server.close()
  peer.pause()
  open.push(client, peer)
  return { client, peer }
}

describe('whenFlushed', () => {
  it('calls back at once when nothing is queued', async () => {
    const { client } = await pair()
    client.write('small')
    let done = false
    expect(
      whenFlushed(client, () => {
        done = true
      }),
    ).toBe(true)
    expect(done).toBe(true)
  })

  it('calls back only once a peer that was not reading has taken every byte', async () => {
    const { client, peer } = await pair()
    const chunk = Buffer.alloc(1 << 20, 0x61)
    let sent = 0
    while (client.writableLength === 0 && sent < 256 << 20) {
      client.write(chunk)
      sent += chunk.length
    }
    let done = false
    expect(
      whenFlushed(client, () => {
        done = true
      }),
    ).toBe(false)
    await new Promise((r) => setTimeout(r, 50))
    expect(done).toBe(false)
    let read = 0
    peer.on('data', (c: Buffer) => {
      read += c.length
    })
    peer.resume()
    while (!done) await new Promise((r) => setTimeout(r, 5))
    expect(client.writableLength).toBe(0)
    expect(read).toBeGreaterThan(0)
  })
})
