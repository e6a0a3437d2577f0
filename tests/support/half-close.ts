/** A client that sends its whole request with a FIN, as `printf ... | nc -N` does. */
import { once } from 'node:events'
import { connect } from 'node:net'

/** sendAndHalfClose writes `data` with a FIN and returns everything read until the server closes. */
export async function sendAndHalfClose(port: number, data: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  const timer = setTimeout(() => socket.destroy(), 5000)
  await once(socket, 'connect')
  socket.end(data)
  await once(socket, 'close')
  clearTimeout(timer)
  return Buffer.concat(chunks).toString('utf8')
}
