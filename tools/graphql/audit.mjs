// The GraphQL over HTTP specification's own conformance suite (graphql-http's server audits) against
// a running gateway: `node audit.mjs http://127.0.0.1:8000/graphql`. Prints one JSON line per audit
// ({id, name, status, reason}); exits 1 when any audit is not "ok".
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <graphql url>");
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  if (result.status !== "ok") failed += 1;
  const reason = result.status === "ok" ? undefined : result.reason;
  console.log(JSON.stringify({ id: result.id, name: result.name, status: result.status, reason }));
}
console.error(`${results.length} audits, ${failed} not ok`);
process.exit(failed ? 1 : 0);
