// RESULTS.md is written by three commands, each owning its part: the main run's tables, the
// profile's section and the chain's section. Each replaces only its own part, so a full run
// keeps the profile and the chain, and a profile run keeps the tables and the chain.

import { describe, expect, it } from "vitest";
import {
  JIT_LEAF,
  KERNEL,
  NATIVE,
  type Profiled,
  renderProfile,
  UNDER_JIT,
} from "../../bench/lib/profile-report.ts";
import { keepSections, sectionOf, withSection } from "../../bench/lib/sections.ts";

const chain = "<!-- chain:start -->\n## chain\n\nrow\n<!-- chain:end -->";
const profile = "<!-- profile:start -->\n## profile\n\nold\n<!-- profile:end -->";

describe("RESULTS.md sections", () => {
  it("finds a section with its markers, and nothing when a marker is missing", () => {
    const text = `# results\n\n${profile}\n\n${chain}\n`;
    expect(sectionOf(text, "chain")).toBe(chain);
    expect(sectionOf(text, "profile")).toBe(profile);
    expect(sectionOf("# results\n<!-- chain:start -->\nno end\n", "chain")).toBeUndefined();
  });

  it("replaces only its own section and keeps what surrounds it", () => {
    const text = `# results\n\ntable\n\n${profile}\n\n${chain}\n`;
    const fresh = "<!-- profile:start -->\n## profile\n\nnew $& $1\n<!-- profile:end -->";
    const next = withSection(text, "profile", fresh);
    expect(next).toBe(`# results\n\ntable\n\n${fresh}\n\n${chain}\n`);
  });

  it("appends a section the file does not have yet", () => {
    expect(withSection("# results\n\ntable\n\n", "chain", chain)).toBe(
      `# results\n\ntable\n\n${chain}\n`,
    );
  });

  it("refuses a section without its markers, naming them", () => {
    expect(() => withSection("# results\n", "profile", "## profile")).toThrow(
      "the profile section must begin with <!-- profile:start --> and end with <!-- profile:end -->",
    );
  });

  it("a full run's tables keep both owned sections, profile before chain", () => {
    const previous = `# old tables\n\n${chain}\n\n${profile}\n`;
    expect(keepSections("# new tables\n", previous)).toBe(
      `# new tables\n\n${profile}\n\n${chain}\n`,
    );
    expect(keepSections("# new tables\n", "# old tables\n")).toBe("# new tables\n");
  });
});

function scenario(name: string, classes: Record<string, number>, toHost?: number): Profiled {
  const total = Object.values(classes).reduce((a, b) => a + b, 0);
  return {
    name,
    split: {
      rps: 1000,
      samples: 100,
      total,
      classes: new Map(Object.entries(classes)),
      leaves: [["under JIT: a|b", 1.25]],
    },
    ...(toHost === undefined
      ? {}
      : {
          calls: {
            toHost,
            toGuest: 2,
            rows: [
              ["vm->host proxy_get_buffer_bytes", toHost],
              ["host->vm proxy_on_request_body", 2],
            ],
          },
        }),
  };
}

describe("the profile section", () => {
  const run = {
    command: "npm run bench:profile -- --write",
    startedAt: "2026-12-02T07:00:00.000Z",
    loads: [0.5, 0.75],
    seconds: 4,
    requests: 50,
  };
  const floor = scenario("none/floor", {
    [JIT_LEAF]: 0,
    [UNDER_JIT]: 0,
    [NATIVE]: 20,
    [KERNEL]: 10,
  });
  const bodyFloor = scenario("body4k/floor", { [NATIVE]: 40, [KERNEL]: 20 });
  const header = scenario(
    "header1/meshwasm",
    { [JIT_LEAF]: 3, [UNDER_JIT]: 2, [NATIVE]: 21, [KERNEL]: 10.5 },
    1,
  );
  const body = scenario("body4k/meshwasm", { [JIT_LEAF]: 4, [NATIVE]: 45, [KERNEL]: 21 }, 2);
  const text = renderProfile([floor, bodyFloor, header, body], run);
  const row = (name: string) => text.split("\n").find((l) => l.startsWith(`| ${name} |`));

  it("is one owned section, with the command, the time and the loads", () => {
    expect(text.startsWith("<!-- profile:start -->")).toBe(true);
    expect(text.endsWith("<!-- profile:end -->")).toBe(true);
    expect(text).toContain("`npm run bench:profile -- --write`");
    expect(text).toContain("2026-12-02T07:00:00.000Z");
    expect(text).toContain("0.5, 0.8");
  });

  it("gives a floor its own figures and a work each class over its floor's", () => {
    expect(row("none/floor")).toBe(
      "| none/floor | 1000 | 30.0 | 0.0 | 0.0 | 20.0 | 10.0 | – | – | under JIT: a\\|b (1.3) |",
    );
    expect(row("header1/meshwasm")).toBe(
      "| header1/meshwasm | 1000 | 36.5 (+6.5) | 3.0 | 2.0 | 1.0 | 0.5 | 1.0 | 2.0 | under JIT: a\\|b (1.3) |",
    );
  });

  it("sets body4k against its own floor, not the direct-response one", () => {
    expect(row("body4k/meshwasm")).toBe(
      "| body4k/meshwasm | 1000 | 70.0 (+10.0) | 4.0 | 0.0 | 5.0 | 1.0 | 2.0 | 2.0 | under JIT: a\\|b (1.3) |",
    );
  });

  it("lists each Wasm scenario's calls by name", () => {
    expect(text).toContain(
      "- header1/meshwasm: proxy_get_buffer_bytes 1.0, proxy_on_request_body 2.0",
    );
    expect(text).not.toContain("- none/floor:");
  });
});
