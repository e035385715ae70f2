import type { Config } from "../../config.js";
import { connectWithBybit } from "./connect-with-bybit.js";
import type { WebFeatureFactory } from "./features.js";
import { miniApp } from "./mini-app/index.js";

/** The web features the settings turn on: Connect with Bybit (BYBIT_OAUTH_*), the Mini App (PUBLIC_URL). */
export function webFeatures(config: Pick<Config, "publicUrl" | "oauth" | "botToken">): WebFeatureFactory[] {
  const features: WebFeatureFactory[] = [];
  if (config.publicUrl === null) return features;
  const { publicUrl, botToken } = config;
  if (config.oauth) features.push(connectWithBybit({ oauth: config.oauth, publicUrl, botToken }));
  features.push(miniApp({ publicUrl: config.publicUrl, botToken: config.botToken }));
  return features;
}
