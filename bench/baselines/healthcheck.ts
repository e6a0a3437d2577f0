/**
 * The baseline containers' health check: `node dist/bench/baselines/healthcheck.js <kind>`
 * makes one real exchange on loopback within 2 s (net: cmd PING → OK PONG; dgram: a probe
 * comes back; http: GET /hello/x → 200). Exit 0 when healthy, 1 otherwise.
 */
import { createSocket } from 'node:dgram'
import { request } from 'node:http'
import { connect } from 'node:net'
import { decodeProbeReply, encodeProbe } from '../../protocols/probe/packet.ts'

const TIMEOUT_MS = 2000
const kind = process.argv[2]
process.exitCode = 1
setTimeout(() => process.exit(1), TIMEOUT_MS).unref()

if (kind === 'net') {
  const socket = connect({ host: '127.0.0.1', port: 9998 })
  let reply = ''
  socket.on('connect', () => socket.write('PING\n'))
  socket.on('data', (c: Buffer) => {
    reply += c.toString('utf8')
    if (reply.includes('\n')) socket.end()
  })
  socket.on('close', () => {
    process.exitCode = reply === 'OK PONG\n' ? 0 : 1
  })
  socket.on('error', () => undefined)
} else if (kind === 'dgram') {
  const socket = createSocket('udp4')
  socket.on('message', (msg) => {
    process.exitCode = decodeProbeReply(msg)?.sequence === 7 ? 0 : 1
    socket.close()
  })
  socket.on('error', () => socket.close())
  socket.send(encodeProbe(7, 1, Date.now()), 9000, '127.0.0.1')
} else if (kind === 'http') {
  const req = request({ host: '127.0.0.1', port: 8080, path: '/hello/x' }, (res) => {
    res.resume()
    res.on('end', () => {
      process.exitCode = res.statusCode === 200 ? 0 : 1
    })
  })
  req.on('error', () => undefined)
  req.end()
}
