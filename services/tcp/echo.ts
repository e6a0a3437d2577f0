/** echo (port 20000): every byte received is sent back unchanged, binary-safe (seed 004's EchoHandler). */
import type { Conn, ProtocolHandler } from './connection.ts'

export function echoHandler(conn: Conn): ProtocolHandler {
  return {
    onData: (chunk) => conn.write(chunk),
    onEnd: () => conn.close('peer closed'),
    drain: () => conn.close('server shutdown'),
  }
}
