/** Runs the MCP server on stdio (what `vramfit mcp` does); the spec starts it with tsx. */
import { runMcpStdio } from "./server.js";

await runMcpStdio();
