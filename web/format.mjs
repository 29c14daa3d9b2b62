// How times, days and message text are shown. Text is only ever put in the page as text
// nodes; http(s) URLs become links that open in a new tab without access to this page.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
});
const dayWithYearFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

/** "14:03" in the reader's locale and time zone. */
export function timeLabel(date) {
  return timeFormat.format(date);
}

/** "Tuesday, 24 November 2026 at 14:03:12", for a tooltip. */
export function fullTimeLabel(date) {
  return fullFormat.format(date);
}

/** The local calendar day of `date`, as a key: "2026-11-24". */
export function dayKey(date) {
  const month = String(date.getMonth() + 1).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, "0");
  return `${date.getFullYear()}-${month}-${day}`;
}

/** "Today", "Yesterday", "Monday, 23 November" (with the year when it is not this one). */
export function dayLabel(date, now = new Date()) {
  const today = dayKey(now);
  if (dayKey(date) === today) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
  const format = date.getFullYear() === now.getFullYear() ? dayFormat : dayWithYearFormat;
  return format.format(date);
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]]+$/;

/** The http(s) URL `candidate` names, or null (any other scheme is never a link). */
export function safeLink(candidate) {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Split `text` into [{text}, {text, href}] runs: plain text and http(s) links. */
export function textRuns(text) {
  const runs = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let candidate = match[0];
    const trailing = candidate.match(TRAILING_PUNCTUATION);
    if (trailing) candidate = candidate.slice(0, -trailing[0].length);
    const href = safeLink(candidate);
    if (href === null) continue;
    if (match.index > last) runs.push({ text: text.slice(last, match.index) });
    runs.push({ text: candidate, href });
    last = match.index + candidate.length;
  }
  if (last < text.length) runs.push({ text: text.slice(last) });
  return runs;
}

/** Append `text` to `parent` as text nodes and safe links: never parsed as HTML. */
export function appendText(parent, text) {
  for (const run of textRuns(text)) {
    if (run.href === undefined) {
      parent.append(document.createTextNode(run.text));
    } else {
      const link = document.createElement("a");
      link.href = run.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      link.textContent = run.text;
      parent.append(link);
    }
  }
}

/** A stable hue for a name, so each person keeps their colour. */
export function nameHue(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

/** One or two letters standing for a name: "Ada Lovelace" -> "AL", "bob" -> "B". */
export function initials(name) {
  const words = name.split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words.at(-1)] : [words[0] ?? "?"];
  return letters.map((word) => [...word][0].toLocaleUpperCase()).join("");
}
