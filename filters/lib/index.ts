// meshwasm filter building blocks: pieces that filters share, importable by your own filter.
// Pure AssemblyScript: nothing here calls the host, so every function is legal in any callback
// (and compiles without the SDK). See README.md beside this file.
//
//   import { Regex } from "meshwasm/filters/lib";

export { Regex, RegexCompileResult, RegexError, REGEX_MAX_INSTRUCTIONS } from "./regex";
