// The SDK (assembly/abi/types.ts) and the test host (src/testing/status.ts) each spell the
// ABI's enums; this holds them equal, names and values, by reading the SDK's source with the
// TypeScript parser (AssemblyScript's syntax is TypeScript's) and evaluating each member.

import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ABI_ENUMS } from "../../src/testing/status.ts";

const SDK_TYPES = new URL("../../assembly/abi/types.ts", import.meta.url);

/** Every exported enum of an AssemblyScript source: name → member → value. */
function enumsOf(path: URL): Map<string, Record<string, number>> {
  const file = ts.createSourceFile(
    path.pathname,
    readFileSync(path, "utf8"),
    ts.ScriptTarget.Latest,
  );
  const out = new Map<string, Record<string, number>>();
  for (const statement of file.statements) {
    if (!ts.isEnumDeclaration(statement)) continue;
    const members: Record<string, number> = {};
    let next = 0;
    for (const member of statement.members) {
      const name = member.name.getText(file);
      const value = member.initializer ? numberOf(member.initializer, file) : next;
      members[name] = value;
      next = value + 1;
    }
    out.set(statement.name.text, members);
  }
  return out;
}

function numberOf(node: ts.Expression, file: ts.SourceFile): number {
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    return -numberOf(node.operand, file);
  }
  if (ts.isParenthesizedExpression(node)) return numberOf(node.expression, file);
  throw new Error(`enum value is not a number literal: ${node.getText(file)}`);
}

describe("the ABI enums", () => {
  const sdk = enumsOf(SDK_TYPES);

  it("the SDK's types file declares the ABI enums (the parser found them)", () => {
    expect(sdk.get("MapType")?.HttpRequestHeaders).toBe(0);
    expect(sdk.size).toBeGreaterThanOrEqual(5);
  });

  it("the SDK and the test host declare the same enums", () => {
    expect(Object.keys(ABI_ENUMS).sort()).toEqual([...sdk.keys()].sort());
  });

  for (const [name, hostMembers] of Object.entries(ABI_ENUMS)) {
    it(`${name}: same names with the same values on both sides`, () => {
      expect({ ...hostMembers }).toEqual(sdk.get(name));
    });
  }

  it("the parser reads implicit and negative values", () => {
    const probe = new URL("./fixtures/enum-probe.ts", import.meta.url);
    expect(enumsOf(probe).get("Probe")).toEqual({ A: 0, B: 1, C: 5, D: 6, E: -1 });
  });
});
