// GraphQL Inspector's completion handler for `make check` (scripts/schema_diff.py): a breaking change from
// the released schema passes only if the changelog's "## Unreleased" section lists it, by its path in
// backticks (`Type.field`, `Type.field.argument`, `Type`), in an entry that gives its "Migration:".
const fs = require("fs");

function unreleasedEntries(text) {
  const start = text.search(/^## Unreleased\b/m);
  if (start < 0) return [];
  const rest = text.slice(start).split("\n").slice(1);
  const end = rest.findIndex((line) => /^## /.test(line));
  const section = (end < 0 ? rest : rest.slice(0, end)).join("\n");
  return section.split(/\n(?=- )/).filter((entry) => entry.startsWith("- "));
}

module.exports = function checkChangelog({ breakingChanges, dangerousChanges }) {
  const path = process.env.SCHEMA_CHANGELOG;
  const entries = unreleasedEntries(fs.readFileSync(path, "utf8")).filter((entry) => /Migration:/i.test(entry));
  const listed = (change) => change.path && entries.some((entry) => entry.includes("`" + change.path + "`"));
  const unlisted = breakingChanges.filter((change) => !listed(change));
  console.log(
    `${breakingChanges.length} breaking (${breakingChanges.length - unlisted.length} listed with a migration in ${path}), ` +
      `${dangerousChanges.length} dangerous`,
  );
  if (unlisted.length) {
    console.error(`\nBreaking changes the changelog does not list with their migration (## Unreleased in ${path}):`);
    for (const change of unlisted) console.error(`  \`${change.path || "?"}\`: ${change.message}`);
    console.error(
      "\nPrefer an addition: keep the field, mark it @deprecated(reason: ...) naming its replacement, and add the new one." +
        "\nIf the break must ship, list each path above in an entry of ## Unreleased with its Migration:.",
    );
    process.exit(1);
  }
};
