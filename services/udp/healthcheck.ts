/**
 * The container health check: a real probe exchange on the loopback probe port (a
 * sequenced probe must come back with its sequence number), three tries of 500 ms.
 * Exit 0 when healthy, 1 otherwise.
 */
import { createSocket } from 'node:dgram'
import { nowMs } from '../../lib/ntp-time.ts'
import { decodeProbeReply, encodeProbe } from './probe/packet.ts'

const port = Number(process.env.UDP_PROBE_PORT || 9000)
const socket = createSocket('udp4')
const session = Math.floor(Math.random() * 2 ** 32)
let attempt = 0

const send = () => {
  if (attempt === 3) {
    socket.close()
    process.exitCode = 1
    return
  }
  socket.send(encodeProbe(attempt, session, nowMs()), port, '127.0.0.1')
  attempt++
  timer = setTimeout(send, 500)
}
let timer: NodeJS.Timeout | undefined
socket.on('message', (msg) => {
  const reply = decodeProbeReply(msg)
  if (reply?.session === session) {
    clearTimeout(timer)
    socket.close()
    process.exitCode = 0
  }
})
socket.on('error', () => undefined) // ICMP unreachable while starting: the next try decides
send()
