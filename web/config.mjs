// Where the WebSocket API is. Deployed (S3), the deployment writes `config.json` next to
// index.html with {"websocketUrl": "wss://..."}; served by the local gateway, the gateway
// answers `config.json` with its own stage. Without one, the page's own origin and the
// default stage `local` are used.

export const DEFAULT_STAGE = "local";

/** The URL `config.json` names, if it is a ws:// or wss:// URL; else null. */
export function websocketUrlFrom(config) {
  const url = config && typeof config === "object" ? config.websocketUrl : undefined;
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "ws:" || parsed.protocol === "wss:" ? url.replace(/\/+$/, "") : null;
  } catch {
    return null;
  }
}

/** `ws(s)://host/local` for a page served from `location`. */
export function websocketUrlForOrigin(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/${DEFAULT_STAGE}`;
}

/** The WebSocket API's URL: config.json's, else derived from the page's origin. */
export async function resolveWebsocketUrl(baseUrl = document.baseURI, location = window.location) {
  try {
    const response = await fetch(new URL("config.json", baseUrl), { cache: "no-store" });
    if (response.ok) {
      const url = websocketUrlFrom(await response.json());
      if (url !== null) return url;
      console.warn("config.json has no usable websocketUrl; using the page's origin");
    }
  } catch (error) {
    console.warn("config.json could not be read; using the page's origin", error);
  }
  return websocketUrlForOrigin(location);
}

/**
 * The URL to open for `name` in `room` (spaces as %20: not every server reads `+` as one),
 * with the `token` the server's authorizer asks for when it has one (CHAT_AUTH_SECRET).
 */
export function connectUrl(websocketUrl, name, room, token = null) {
  const url = new URL(websocketUrl);
  let query = `name=${encodeURIComponent(name)}&room=${encodeURIComponent(room)}`;
  if (token) query += `&token=${encodeURIComponent(token)}`;
  url.search = url.search ? `${url.search.slice(1)}&${query}` : query;
  return url.toString();
}

/**
 * The user name a token names (its `sub` claim), or null. Read for display only: the server
 * verifies the token, and takes the name from it.
 */
export function nameFromToken(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
    return typeof claims.sub === "string" ? claims.sub : null;
  } catch {
    return null;
  }
}
