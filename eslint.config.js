// Type-aware lint (issue 22): the rules that catch what review found by hand: promises nobody awaits or
// handles, promises passed where a callback's result is ignored, and assertions (`!`, `as`) the types
// already make unnecessary.
// typescript-eslint reads types through TypeScript's JS API, which TypeScript 7 no longer ships: the
// `typescript` devDependency is TypeScript 6 (@typescript/typescript6), for eslint alone; `tsc` (build,
// typecheck) is TypeScript 7, from the `@typescript/native` alias.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/", "scripts/", "fixtures/", "**/*.js", "**/*.mjs"] },
  {
    files: ["src/**/*.ts", "test/**/*.ts", "*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // `!` where the type would do: the narrow rule. The broad no-non-null-assertion finds ~940 `!`s,
      // nearly all `array[i]!` under noUncheckedIndexedAccess, where no type can say the index is in range.
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      "@typescript-eslint/no-non-null-asserted-optional-chain": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      // A caught value (typed unknown) is rethrown or passed to reject() as it came, on purpose.
      "@typescript-eslint/only-throw-error": "off",
      "@typescript-eslint/prefer-promise-reject-errors": "off",
      // async methods that implement a Promise-returning interface need no await.
      "@typescript-eslint/require-await": "off",
      // WebAssembly bindings (PDFium) and saved prototype methods are plain functions typed as methods.
      "@typescript-eslint/unbound-method": "off",
      // Error messages print whatever value they were given: String(value) of an object is what we want.
      "@typescript-eslint/no-base-to-string": "off",
      // tsc checks unused names (noUnusedLocals/Parameters), with `_` for the ones left out on purpose.
      "@typescript-eslint/no-unused-vars": "off",
      "no-control-regex": "error",
    },
  },
  {
    // Tests read JSON the CLI printed (JSON.parse is `any`): checking each shape there would be noise.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
);
