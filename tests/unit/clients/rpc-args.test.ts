/** The CLI's RPC argument parsing and result printing, and where `netlab rpc` connects by default. */
import { describe, expect, it } from 'vitest'
import { parseArg, toJson } from '../../../clients/cli/commands/rpc.ts'
import { defaultTargets } from '../../../clients/cli/targets.ts'
import { struct } from '../../../protocols/value.ts'

describe('rpc argument and result conversion', () => {
  it('parseArg reads JSON literals, else plain strings', () => {
    expect(parseArg('2')).toBe(2n)
    expect(parseArg('-7')).toBe(-7n)
    expect(parseArg('2.5')).toBe(2.5)
    expect(parseArg('1e3')).toBe(1000)
    expect(parseArg('"x"')).toBe('x')
    expect(parseArg('foo')).toBe('foo')
    expect(parseArg('')).toBe('')
    expect(parseArg('null')).toBeNull()
    expect(parseArg('true')).toBe(true)
    expect(parseArg('[1,2]')).toEqual([1n, 2n])
    expect(parseArg('{"a":1}')).toEqual(struct([['a', 1n]]))
    expect(parseArg('[1,')).toBe('[1,')
  })

  it('toJson keeps ints exact and floats as floats', () => {
    const v = struct([
      ['big', 123456789012345678901n],
      ['f', 1],
      ['nan', Number.NaN],
      ['b', new Uint8Array([104, 105])],
      ['d', new Date(Date.UTC(2024, 1, 29, 13, 5, 9))],
      ['l', [null, true, 'x']],
    ])
    expect(JSON.stringify(toJson(v))).toBe(
      '{"big":123456789012345678901,"f":1.0,"nan":null,"b":"aGk=","d":"2024-02-29T13:05:09.000Z","l":[null,true,"x"]}',
    )
  })
})

describe('defaultTargets: rpc', () => {
  it('in the lab: the compose service and container ports', () => {
    expect(defaultTargets({ NETLAB_IN_LAB: '1', RPC_HTTP_HOST_PORT: '1' }).rpc).toEqual({
      host: 'rpc',
      ports: { http: 15000, jsonrpc: 15001, mpRpc: 17000, mpEcho: 25000 },
    })
  })

  it('on the host: 127.0.0.1 and the published ports', () => {
    expect(defaultTargets({}).rpc.host).toBe('127.0.0.1')
    expect(
      defaultTargets({
        RPC_HTTP_HOST_PORT: '25100',
        RPC_JSONRPC_HOST_PORT: '25101',
        RPC_MPCONN_RPC_HOST_PORT: '25102',
        RPC_MPCONN_ECHO_HOST_PORT: '25103',
      }).rpc.ports,
    ).toEqual({ http: 25100, jsonrpc: 25101, mpRpc: 25102, mpEcho: 25103 })
  })
})
