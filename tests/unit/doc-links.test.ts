/**
 * Every relative Markdown link in README.md and docs/ points at a file that exists, and a
 * `#fragment` at one of its headings (GitHub's anchors); http(s) and mailto links are not followed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) return markdownFiles(path)
    return e.name.endsWith('.md') ? [path] : []
  })
}

/** links lists the targets of `[text](target)` outside code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string)
}

/** anchors lists the fragment of each heading as GitHub makes it (`## 8. SNTP (RFC 4330)` → `8-sntp-rfc-4330`). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const [, text] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} +(.+?) *$/gm)) {
    const base = (text as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replaceAll(' ', '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

const files = ['README.md', ...markdownFiles('docs')]

describe('Markdown links', () => {
  it('reads README.md and the docs', () => {
    expect(files.length).toBeGreaterThan(5)
  })

  it('finds links, skipping code', () => {
    expect(links('see [a](docs/a.md#x) and `[b](c.md)`\n```\n[d](e.md)\n```\n[f](https://x.test)')).toEqual([
      'docs/a.md#x',
      'https://x.test',
    ])
  })

  it("makes GitHub's anchors", () => {
    expect(
      anchors('# A `b`: c\n## 8. SNTPv4 (RFC 4330 / RFC 5905), x\n## A `b`: c\n```\n# not\n```'),
    ).toEqual(new Set(['a-b-c', '8-sntpv4-rfc-4330--rfc-5905-x', 'a-b-c-1']))
  })

  it.each(files)('every relative link in %s resolves to a file', (file) => {
    const broken = links(readFileSync(join(root, file), 'utf8'))
      .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
      .map((target) => relative(root, join(root, dirname(file), decodeURI(target.split('#')[0] as string))))
      .filter((path) => !existsSync(join(root, path)))
    expect(broken).toEqual([])
  })

  it.each(files)('every #fragment in %s names a heading of its target', (file) => {
    const broken = links(readFileSync(join(root, file), 'utf8'))
      .filter((target) => !/^[a-z]+:/i.test(target) && target.includes('#'))
      .flatMap((target) => {
        const [path, fragment] = target.split('#') as [string, string]
        const resolved = path === '' ? file : relative(root, join(root, dirname(file), decodeURI(path)))
        if (!resolved.endsWith('.md') || !existsSync(join(root, resolved))) return []
        return anchors(readFileSync(join(root, resolved), 'utf8')).has(fragment) ? [] : [target]
      })
    expect(broken).toEqual([])
  })
})
