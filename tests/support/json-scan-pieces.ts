/** scanInPieces feeds a JsonScanner `text` cut at `cuts` (any order; repeats make empty chunks), then ends it. */
import { JsonScanner } from '../../services/http/json-scan.ts'

export function scanInPieces(text: Uint8Array, cuts: readonly number[] = []): JsonScanner {
  const scanner = new JsonScanner()
  let from = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    scanner.push(text.subarray(from, cut))
    from = cut
  }
  scanner.push(text.subarray(from))
  scanner.end()
  return scanner
}
