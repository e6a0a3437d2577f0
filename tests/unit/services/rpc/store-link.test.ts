/** The worker threads' link to the store (services/rpc/store-link.ts), over a real MessageChannel. */
import { MessageChannel } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { PyError } from '../../../../protocols/py-error.ts'
import { type RpcValue, struct } from '../../../../protocols/value.ts'
import type { KvOps } from '../../../../services/rpc/methods/kv.ts'
import { RemoteStore, serveStore } from '../../../../services/rpc/store-link.ts'

const channels: MessageChannel[] = []
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close()
    c.port2.close()
  }
})

/** a store in memory, counting the messages that reach it */
function link(): { remote: RemoteStore; data: Map<string, RpcValue>; messages: () => number } {
  const data = new Map<string, RpcValue>()
  const store: KvOps = {
    get: async (k) => {
      if (!data.has(String(k)))
        throw new PyError('KeyError', `'${String(k)}'`, [k], 'application', 'KEY_MISSING')
      return data.get(String(k)) as RpcValue
    },
    set: async (k, v) => {
      if (k === 'boom') throw new Error('disk on fire')
      data.set(String(k), v)
    },
    delete: async (k) => {
      data.delete(String(k))
    },
    exists: async (k) => data.has(String(k)),
    keys: async () => [...data.keys()],
  }
  const channel = new MessageChannel()
  channels.push(channel)
  let messages = 0
  channel.port1.on('message', () => {
    messages++
  })
  serveStore(channel.port1, store, createLogger('rpc', 'silent'))
  return { remote: new RemoteStore(channel.port2), data, messages: () => messages }
}

describe('store link', () => {
  it('carries values both ways, structs rebuilt with a null prototype', async () => {
    const { remote } = link()
    const value = struct([
      ['__proto__', [1n, 2.5, 'x', new Uint8Array([0, 255]), new Date(0), null, true]],
      ['n', struct([['deep', 12345678901234567890n]])],
    ])
    await remote.set('k', value)
    const got = (await remote.get('k')) as Record<string, RpcValue>
    expect(Object.getPrototypeOf(got)).toBe(null)
    expect(Object.keys(got)).toEqual(['__proto__', 'n'])
    expect(got.__proto__).toEqual([1n, 2.5, 'x', new Uint8Array([0, 255]), new Date(0), null, true])
    expect(Object.getPrototypeOf(got.n)).toBe(null)
    expect(await remote.exists('k')).toBe(true)
    expect(await remote.keys()).toEqual(['k'])
    await remote.delete('k')
    expect(await remote.exists('k')).toBe(false)
    expect(remote.pending).toBe(0)
  })

  it("raises the store's PyError again, fields intact, and any other failure as an Error", async () => {
    const { remote } = link()
    const err = await remote.get('nope').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PyError)
    expect(err).toMatchObject({ pyClass: 'KeyError', text: "'nope'", args: ['nope'], code: 'KEY_MISSING' })
    await expect(remote.set('boom', 1n)).rejects.toThrow('the store failed: disk on fire')
  })

  it('calls made in one turn travel as one message, and each gets its own answer', async () => {
    const { remote, messages } = link()
    const writes = Array.from({ length: 50 }, (_, i) => remote.set(`k${i}`, BigInt(i)))
    await Promise.all(writes)
    expect(messages()).toBe(1)
    const reads = await Promise.all(Array.from({ length: 50 }, (_, i) => remote.get(`k${i}`)))
    expect(reads).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)))
    expect(messages()).toBe(2)
  })
})
