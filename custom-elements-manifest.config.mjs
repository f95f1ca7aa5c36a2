// custom-elements.json is generated from the JSDoc of the element's public sources only
// (`npm run analyze`); `npm test` fails when the committed file is stale
// (scripts/check-manifest.mjs). The engine and helpers are not part of the element's API.
export default {
  globs: ['src/element/kibitz-room.ts', 'src/element/events.ts'],
  litelement: true,
  // package.json names the manifest itself; a run with another --outdir must not rewrite it.
  packagejson: false,
  plugins: [
    {
      // The manifest describes the API: private members would make a refactor look like an
      // API change (and the staleness check fail) when no user can see the difference.
      name: 'kibitz-public-members-only',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.members)
              declaration.members = declaration.members.filter((m) => m.privacy !== 'private' && !m.name.startsWith('#'));
          }
        }
      },
    },
  ],
};
