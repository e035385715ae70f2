import type { Api } from "grammy";
import { commandDescriptions } from "./texts.js";

/** The command menu followers see in private chats. */
export async function publishCommands(api: Api): Promise<void> {
  const commands = Object.entries(commandDescriptions).map(([command, description]) => ({ command, description }));
  await api.setMyCommands(commands, { scope: { type: "all_private_chats" } });
}
