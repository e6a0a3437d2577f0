/**
 * The container health check: a real cmd-protocol exchange (`PING` → `OK PONG`) on the
 * loopback cmd port, within 2 s. Exit 0 when healthy, 1 otherwise.
 */
import { connect } from 'node:net'

const port = Number(process.env.TCP_CMD_PORT || 9998)
const socket = connect({ host: '127.0.0.1', port })
let reply = ''
socket.setTimeout(2000, () => socket.destroy(new Error('timed out')))
socket.on('connect', () => socket.write('PING\n'))
socket.on('data', (chunk) => {
  reply += chunk.toString('utf8')
  if (reply.includes('\n')) socket.end()
})
socket.on('close', () => {
  process.exitCode = reply === 'OK PONG\n' ? 0 : 1
})
socket.on('error', () => {
  process.exitCode = 1
})
