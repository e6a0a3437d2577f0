/**
 * The TCP cmd port's command words (services/tcp/cmd/commands.ts runs them), in the order
 * HELP lists them: what the CLI completes after `netlab tcp cmd`. The service's command
 * table is typed by this list, so the two cannot drift apart.
 */
export const CMD_COMMANDS = [
  'UPPER',
  'ECHO',
  'SLEEP',
  'TIME',
  'WHOAMI',
  'STATS',
  'PING',
  'HELP',
  'QUIT',
] as const
export type CmdCommand = (typeof CMD_COMMANDS)[number]
