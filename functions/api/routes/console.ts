// GET /console: the ops console's page (public: it signs in with a session from the address
// fragment and reads the same API as every other client). The build writes it beside the handlers
// (dist/console/page.json), with the Content-Security-Policy that admits its script alone.
import { readFile } from "node:fs/promises";
import { errorBody, type HttpResponse, json } from "../http.js";

interface BuiltPage {
  html: string;
  contentSecurityPolicy: string;
}

let page: Promise<BuiltPage> | undefined;

const builtPage = (): Promise<BuiltPage> => {
  page ??= readFile(new URL("../console/page.json", import.meta.url), "utf8").then(
    (text) => JSON.parse(text) as BuiltPage,
  );
  return page;
};

export const consolePage = async (): Promise<HttpResponse> => {
  let built: BuiltPage;
  try {
    built = await builtPage();
  } catch {
    page = undefined;
    return json(
      503,
      errorBody("Unavailable", "The console is not built into this package: run npm run build."),
    );
  }
  return {
    statusCode: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": built.contentSecurityPolicy,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
    body: built.html,
  };
};
