// RESULTS.md is written by three commands: `npm run bench` (the main tables), `npm run
// bench:profile -- --write` (where the time goes) and `npm run bench:chain` (the full chain).
// Each of the last two owns a section between `<!-- NAME:start -->` and `<!-- NAME:end -->`;
// a command replaces its own section and keeps the others, so the three can run in any order.

/** The sections other commands own, in the order they are kept at the end of the file. */
export const OWNED_SECTIONS = ["profile", "chain"] as const;
export type SectionName = (typeof OWNED_SECTIONS)[number];

const markers = (name: SectionName) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`] as const;

/** The section `name` of `text`, markers included, or undefined when it has none. */
export function sectionOf(text: string, name: SectionName): string | undefined {
  const [start, end] = markers(name);
  const begin = text.indexOf(start);
  const finish = text.indexOf(end, begin);
  if (begin < 0 || finish < 0) return undefined;
  return text.slice(begin, finish + end.length);
}

/** `text` with its section `name` replaced by `section` (which carries its markers), or with
 *  `section` appended when there is none. */
export function withSection(text: string, name: SectionName, section: string): string {
  const [start, end] = markers(name);
  if (!section.startsWith(start) || !section.endsWith(end)) {
    throw new Error(`the ${name} section must begin with ${start} and end with ${end}`);
  }
  const old = sectionOf(text, name);
  if (old !== undefined) return text.replace(old, () => section);
  return `${text.trimEnd()}\n\n${section}\n`;
}

/** The main tables `markdown` followed by every owned section `previous` had. */
export function keepSections(markdown: string, previous: string): string {
  let text = `${markdown.trimEnd()}\n`;
  for (const name of OWNED_SECTIONS) {
    const kept = sectionOf(previous, name);
    if (kept !== undefined) text = withSection(text, name, kept);
  }
  return text;
}
