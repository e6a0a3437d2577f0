import { describe, expect, it } from 'vitest'
import { cpuRange, type Docker, pinContainers, pinServers, planPinning } from '../../../bench/pinning.ts'

describe('planPinning', () => {
  it('gives the load generator the lower half of the CPUs and the servers the rest', () => {
    expect(planPinning(2)).toEqual({ load: '0', servers: '1' })
    expect(planPinning(3)).toEqual({ load: '0', servers: '1-2' })
    expect(planPinning(4)).toEqual({ load: '0-1', servers: '2-3' })
    expect(planPinning(16)).toEqual({ load: '0-7', servers: '8-15' })
  })

  it('does not pin where there is nothing to split', () => {
    expect(planPinning(1)).toBeUndefined()
    expect(planPinning(0)).toBeUndefined()
    expect(planPinning(1.5)).toBeUndefined()
  })

  it('writes cpuset lists', () => {
    expect(cpuRange(3, 3)).toBe('3')
    expect(cpuRange(0, 1)).toBe('0-1')
  })
})

/** fakeDocker keeps each container's cpuset as `docker inspect` and `docker update` would. */
function fakeDocker(cpusets: Record<string, string>, failUpdateOf?: string) {
  const calls: string[] = []
  const run: Docker = async (args) => {
    calls.push(args.join(' '))
    const id = args[args.length - 1] as string
    if (!(id in cpusets)) throw new Error(`No such container: ${id}`)
    if (args[0] === 'inspect') return cpusets[id] as string
    if (args[0] === 'update') {
      if (id === failUpdateOf) throw new Error('Error response from daemon: cannot update')
      cpusets[id] = args[2] as string
      return id
    }
    throw new Error(`unexpected docker ${args.join(' ')}`)
  }
  return { run, calls }
}

describe('pinContainers', () => {
  it('moves every container and puts each back as it was, "every CPU" as the whole list', async () => {
    const cpusets: Record<string, string> = { lab: '', other: '0' }
    const { run } = fakeDocker(cpusets)
    const restore = await pinContainers(['lab', 'other'], '1', '0-1', run)
    expect(cpusets).toEqual({ lab: '1', other: '1' })
    await restore()
    expect(cpusets).toEqual({ lab: '0-1', other: '0' })
    await restore() // a second call has nothing left to do
    expect(cpusets).toEqual({ lab: '0-1', other: '0' })
  })

  it('puts back the containers already moved when one cannot be, and says why', async () => {
    const cpusets: Record<string, string> = { a: '', b: '', c: '' }
    const { run } = fakeDocker(cpusets, 'b')
    await expect(pinContainers(['a', 'b', 'c'], '1', '0-1', run)).rejects.toThrow('cannot update')
    expect(cpusets).toEqual({ a: '0-1', b: '', c: '' })
  })

  it('restores what it can when a container has gone meanwhile', async () => {
    const cpusets: Record<string, string> = { a: '', gone: '' }
    const { run, calls } = fakeDocker(cpusets)
    const restore = await pinContainers(['a', 'gone'], '1', '0-1', run)
    delete cpusets.gone
    await restore()
    expect(cpusets).toEqual({ a: '0-1' })
    expect(calls.filter((c) => c.startsWith('update')).length).toBe(4)
  })
})

describe('pinServers', () => {
  it('pins for the run and unpins after', async () => {
    const cpusets: Record<string, string> = { a: '' }
    const { run } = fakeDocker(cpusets)
    const warned: string[] = []
    const pins = await pinServers(planPinning(2), ['a'], 2, (t) => warned.push(t), run)
    expect(pins.pinned).toEqual({ load: '0', servers: '1' })
    expect(cpusets.a).toBe('1')
    await pins.unpin()
    expect(cpusets.a).toBe('0-1')
    expect(warned).toEqual([])
  })

  it('runs unpinned, with one warning saying why, when Docker cannot pin', async () => {
    const cpusets: Record<string, string> = { a: '' }
    const { run } = fakeDocker(cpusets, 'a')
    const warned: string[] = []
    const pins = await pinServers(planPinning(4), ['a'], 4, (t) => warned.push(t), run)
    expect(pins.pinned).toBeNull()
    expect(warned).toEqual([
      "cannot pin the servers' CPUs (Error response from daemon: cannot update): the run is unpinned",
    ])
    await pins.unpin()
    expect(cpusets.a).toBe('')
  })

  it('does nothing when there is no plan (one CPU, or --no-pin)', async () => {
    const { run, calls } = fakeDocker({ a: '' })
    const pins = await pinServers(undefined, ['a'], 1, () => undefined, run)
    expect(pins.pinned).toBeNull()
    expect(calls).toEqual([])
  })
})
