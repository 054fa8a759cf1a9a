// Parse a Mermaid flowchart with the real mermaid package and print what it understood,
// as JSON: the diagram type, each node's id and label lines as a browser would show them,
// each edge's ends and label.  Mermaid needs a DOM even to parse; jsdom provides one.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

// While parsing, mermaid turns an entity code "#name;" into private placeholders; its
// renderer turns those into HTML entities, which the browser decodes: the same here.
const scratch = document.createElement("div");
function shown(label) {
  const html = label.replace(/\uFB02\u00B0\u00B0/g, "&#").replace(/\uFB02\u00B0/g, "&").replace(/\u00B6\u00DF/g, ";");
  return html.split(/<br\s*\/?>/).map((line) => {
    scratch.innerHTML = line;
    return scratch.textContent;
  });
}

const text = readFileSync(process.argv[2], "utf8");
try {
  const { diagramType } = await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const nodes = Object.fromEntries([...diagram.db.getVertices()].map(([id, vertex]) => [id, shown(vertex.text)]));
  const edges = diagram.db.getEdges().map((edge) => [edge.start, shown(edge.text).join("\n"), edge.end]);
  console.log(JSON.stringify({ diagramType, nodes, edges }));
} catch (error) {
  console.error(`mermaid: ${error.message}`);
  process.exit(1);
}
