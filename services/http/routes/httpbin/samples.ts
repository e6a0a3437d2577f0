/**
 * The fixed documents httpbin's format routes serve (no routes here). They have httpbin's
 * shapes (a client that walks `slideshow.slides[].title` works) with netlab's own text;
 * /html quotes the opening of Moby-Dick (Herman Melville, 1851, public domain).
 *
 *   SLIDESHOW        /json            SLIDESHOW_XML   /xml
 *   MOBY_DICK_HTML   /html            ROBOTS_TXT      /robots.txt
 *   DENY_TEXT        /deny            UTF8_HTML       /encoding/utf8
 *   TEAPOT           /status/418
 */

/** SLIDESHOW is /json: httpbin's slideshow shape. */
export const SLIDESHOW = {
  slideshow: {
    author: 'The netlab crew',
    date: 'date of publication',
    slides: [
      { title: 'Packets, not magic', type: 'all' },
      {
        items: ['Why <em>sockets</em> are just files', 'Who <em>reads</em> the headers'],
        title: 'Overview',
        type: 'all',
      },
    ],
    title: 'Sample Slide Show',
  },
} as const

/** SLIDESHOW_XML is /xml: the same slides as XML. */
export const SLIDESHOW_XML = `<?xml version='1.0' encoding='us-ascii'?>

<!--  A sample set of slides  -->

<slideshow
    title="Sample Slide Show"
    date="date of publication"
    author="The netlab crew"
    >

    <!-- TITLE SLIDE -->
    <slide type="all">
      <title>Packets, not magic</title>
    </slide>

    <!-- OVERVIEW -->
    <slide type="all">
        <title>Overview</title>
        <item>Why <em>sockets</em> are just files</item>
        <item/>
        <item>Who <em>reads</em> the headers</item>
    </slide>

</slideshow>
`

/** MOBY_DICK_HTML is /html: an h1 and a paragraph. */
export const MOBY_DICK_HTML = `<!DOCTYPE html>
<html>
  <head>
  </head>
  <body>
      <h1>Herman Melville - Moby-Dick</h1>

      <div>
        <p>
          Call me Ishmael. Some years ago&mdash;never mind how long precisely&mdash;having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; and especially whenever my hypos get such an upper hand of me, that it requires a strong moral principle to prevent me from deliberately stepping into the street, and methodically knocking people's hats off&mdash;then, I account it high time to get to sea as soon as I can.
        </p>
      </div>
  </body>
</html>
`

/** ROBOTS_TXT is /robots.txt. */
export const ROBOTS_TXT = 'User-agent: *\nDisallow: /deny\n'

/** DENY_TEXT is /deny: what robots.txt asked crawlers not to fetch. */
export const DENY_TEXT = `
     .-------------------------.
     |  YOU SHOULDN'T BE HERE  |
     '-------------------------'
   (robots.txt says: Disallow: /deny)
`

/** UTF8_HTML is /encoding/utf8: text in several scripts, to check a client's decoding. */
export const UTF8_HTML = `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>UTF-8 sample</title>
  </head>
  <body>
    <h1>UTF-8 encoded sample text</h1>
    <ul>
      <li>Greek: Γειά σου, κόσμε</li>
      <li>Russian: Здравствуй, мир</li>
      <li>Hebrew: שלום עולם</li>
      <li>Arabic: مرحبا بالعالم</li>
      <li>Hindi: नमस्ते दुनिया</li>
      <li>Chinese: 你好，世界</li>
      <li>Japanese: こんにちは世界</li>
      <li>Korean: 안녕하세요 세계</li>
      <li>Mathematics: ∀x ∈ ℝ: x² ≥ 0, ∑ 1/n² = π²/6</li>
      <li>Arrows and boxes: ← ↑ → ↓ ┌─┐ └─┘</li>
      <li>Emoji (outside the BMP): 🌊 🐋 ⚓</li>
    </ul>
  </body>
</html>
`

/** TEAPOT is /status/418's body. */
export const TEAPOT = `
    -=[ I'm a teapot ]=-         (RFC 2324)

             _
        ____|_|____
       /           \\___
      |   short     |   \\
      |   & stout   |___/
       \\___________/
`
