// The words the lower rooms (rules, events, json, dynamo) show a user at runtime: parser errors,
// per-message errors, hints, log lines. They know nothing of Node-RED, so each call names a
// message-catalog key and gives its English text; a Node-RED adapter installs the catalog of its
// node type (installCatalog) and the text comes out in Node-RED's runtime language (settings.lang,
// else the machine's locale), with English where a catalog has no entry. Library users (no
// catalog installed) get the English text.
//
// Keys: '<room>.<group>.<name>', the room being the folder (src/rules, src/events, src/json,
// src/dynamo/connection, src/dynamo/item, src/dynamo/delivery). The room decides the catalog file
// that holds the translations, as a top-level section: nodes/locales/<lang>/rule-sql.json holds
// `rules`, `events`, `json`; dynamodb-connector.json holds `connection`; dynamodb-sink.json holds
// `item` and `delivery`. The en-US sections are written from
// the code by `npm run words` (scripts/extract-words.ts); test/words.test.ts checks that every
// key exists in en-US, zh-CN and ja with the same __placeholders__.

/** Values a text fills in: English `table __table__ not found` with { table: 'mqtt_msg' }. */
export type Vars = Record<string, string | number | boolean>;

/** A catalog lookup: the text for a key, or undefined (or the key itself) when it has none. */
export type CatalogLookup = (key: string, vars: Vars) => string | undefined;

const catalogs = new Map<string, CatalogLookup>();

/**
 * Installs the catalog that translates the keys of one room (`rules`, `events`, `json`,
 * `connection`, `item`, `delivery`). Node-RED adapters call it at registration with their node type's `RED._`.
 */
export function installCatalog(room: string, lookup: CatalogLookup): void {
  catalogs.set(room, lookup);
}

/** Removes every installed catalog (tests). */
export function resetCatalogs(): void {
  catalogs.clear();
}

/** `template` with its `__name__` placeholders filled from `vars` (those not in `vars` stay). */
export function fill(template: string, vars: Vars): string {
  return template.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/**
 * A user-visible text: the installed catalog's translation of `key`, else `english` with its
 * `__name__` placeholders filled from `vars`. `key` and `english` must be string literals (the
 * extraction script reads them from the source).
 */
export function words(key: string, english: string, vars: Vars = {}): string {
  const lookup = catalogs.get(key.slice(0, key.indexOf('.')));
  if (lookup) {
    let translated: string | undefined;
    try {
      translated = lookup(key, vars);
    } catch {
      translated = undefined;
    }
    if (typeof translated === 'string' && translated !== '' && translated !== key && !translated.endsWith(`:${key}`)) return translated;
  }
  return fill(english, vars);
}
