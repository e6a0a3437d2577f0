import { describe, expect, it } from 'vitest'
import {
  openConnections,
  releaseThread,
  sharedAdmission,
  sharedAdmissionBuffer,
} from '../../../lib/net/shared-admission.ts'

describe('sharedAdmission', () => {
  it('holds one cap over every thread and gives slots back on release', () => {
    const buffer = sharedAdmissionBuffer(2)
    const a = sharedAdmission(buffer, 3, 0)
    const b = sharedAdmission(buffer, 3, 1)
    const ids = [a.acquire(), b.acquire(), a.acquire()]
    expect(ids.every((id) => id > 0)).toBe(true)
    expect(new Set(ids).size).toBe(3)
    expect(b.acquire()).toBe(0)
    expect(a.acquire()).toBe(0)
    b.release()
    expect(openConnections(buffer)).toBe(2)
    expect(b.acquire()).toBeGreaterThan(0)
    expect(a.max).toBe(3)
  })

  it('releaseThread gives back a dead thread’s slots, and its late releases change nothing', () => {
    const buffer = sharedAdmissionBuffer(2)
    const a = sharedAdmission(buffer, 2, 0)
    const b = sharedAdmission(buffer, 2, 1)
    a.acquire()
    a.acquire()
    expect(b.acquire()).toBe(0)
    expect(releaseThread(buffer, 0)).toBe(2)
    a.release()
    expect(openConnections(buffer)).toBe(0)
    expect(b.acquire()).toBeGreaterThan(0)
    expect(b.acquire()).toBeGreaterThan(0)
    expect(b.acquire()).toBe(0)
  })

  it('refuses a thread with no slot', () => {
    expect(() => sharedAdmission(sharedAdmissionBuffer(1), 1, 1)).toThrow(RangeError)
  })
})
