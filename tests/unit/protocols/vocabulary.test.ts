/** The word lists the CLI completes from protocols/ are exactly the services' own tables. */
import { describe, expect, it } from 'vitest'
import { CMD_COMMANDS } from '../../../protocols/tcp-cmd.ts'
import { TOXIC_TYPES } from '../../../protocols/toxics.ts'
import { toxicTypes } from '../../../services/faults/toxics/registry.ts'
import { commands } from '../../../services/tcp/cmd/commands.ts'

describe('completion vocabularies', () => {
  it('CMD_COMMANDS is the cmd port command table, in HELP order', () => {
    expect(Object.keys(commands)).toEqual([...CMD_COMMANDS])
  })

  it('TOXIC_TYPES is the faults registry, per protocol, in its order', () => {
    expect(toxicTypes('tcp')).toEqual([...TOXIC_TYPES.tcp])
    expect(toxicTypes('udp')).toEqual([...TOXIC_TYPES.udp])
  })
})
