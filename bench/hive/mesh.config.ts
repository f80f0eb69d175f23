import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const catalogue = process.env.CATALOGUE_URL ?? 'http://127.0.0.1:8001';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('catalogue', {
        source: `${catalogue}/openapi.json`,
        endpoint: catalogue,
      }),
    },
  ],
});
