/**
 * SendQueue is a UDP proxy's outgoing datagrams, sent SENDS_PER_TURN at a time, one batch per
 * turn of the event loop. One datagram may become a thousand (chained duplicates); sending
 * them all at once would keep the control API and the other proxies waiting. The queue
 * needs no bound of its own: every datagram in it is reserved in the memory budget
 * (udp-fanout.ts), and gives its share back with `done()` once sent or dropped.
 */
import type { RemoteInfo, Socket } from 'node:dgram'
import type { Outgoing } from './udp-fanout.ts'

/** SENDS_PER_TURN is how many datagrams go out per turn of the event loop. */
export const SENDS_PER_TURN = 256

interface PendingSend {
  readonly socket: Socket
  readonly out: Outgoing
  readonly to: RemoteInfo | undefined
}

/** SendOutcome is told of every datagram: sent (the kernel took it) or dropped. */
export type SendOutcome = (sent: boolean) => void

export class SendQueue {
  readonly #outcome: SendOutcome
  #pending: PendingSend[] = []
  #head = 0
  #draining: NodeJS.Immediate | undefined

  constructor(outcome: SendOutcome) {
    this.#outcome = outcome
  }

  /** length is the number of datagrams waiting */
  get length(): number {
    return this.#pending.length - this.#head
  }

  /** push queues `out` for `socket` (to `to`, or the socket's connected peer) */
  push(socket: Socket, out: Outgoing, to?: RemoteInfo): void {
    this.#pending.push({ socket, out, to })
    this.#draining ??= setImmediate(() => this.#drain())
  }

  /** clear drops everything waiting (the proxy is closing) */
  clear(): void {
    clearImmediate(this.#draining)
    this.#draining = undefined
    for (let i = this.#head; i < this.#pending.length; i++)
      this.#dropped((this.#pending[i] as PendingSend).out)
    this.#pending = []
    this.#head = 0
  }

  #drain(): void {
    this.#draining = undefined
    const end = Math.min(this.#pending.length, this.#head + SENDS_PER_TURN)
    for (; this.#head < end; this.#head++) {
      const p = this.#pending[this.#head] as PendingSend
      this.#send(p)
    }
    if (this.#head >= this.#pending.length) {
      this.#pending = []
      this.#head = 0
      return
    }
    if (this.#head >= 4096) {
      this.#pending = this.#pending.slice(this.#head)
      this.#head = 0
    }
    this.#draining = setImmediate(() => this.#drain())
  }

  #send({ socket, out, to }: PendingSend): void {
    const sent = (err: Error | null) => {
      out.done()
      this.#outcome(err === null)
    }
    try {
      if (to) socket.send(out.data, to.port, to.address, sent)
      else socket.send(out.data, sent)
    } catch {
      this.#dropped(out) // the socket closed meanwhile
    }
  }

  #dropped(out: Outgoing): void {
    out.done()
    this.#outcome(false)
  }
}
