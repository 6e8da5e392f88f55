/** `vramfit mcp`: vramfit's estimate, fit, plan and check as MCP tools over stdio (src/mcp/server.ts). */
import type { Command } from "commander";

export function addMcpCommand(program: Command): void {
  program
    .command("mcp")
    .description("serve estimate, fit, plan and check as MCP tools over stdio (for assistants)")
    .action(async () => {
      const { runMcpStdio } = await import("../mcp/server.js");
      await runMcpStdio(); // the transport keeps the process alive until the client closes stdin
      await new Promise<void>((resolve) => process.stdin.once("close", resolve));
    });
}
