import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { assetRoutes } from "./assets.ts";
import { checkCsrf } from "./csrf.ts";
import { CATALOGUES, chooseLanguage, LANGUAGE_COOKIE, parseLanguage } from "./i18n/language.ts";
import { adminAccountsRoutes } from "./pages/admin-accounts-page.ts";
import { adminAuditRoutes } from "./pages/admin-audit-page.ts";
import { adminFollowRequestsRoutes } from "./pages/admin-follow-requests-page.ts";
import { adminPeersRoutes } from "./pages/admin-peers-page.ts";
import { adminSettingsRoutes } from "./pages/admin-settings-page.ts";
import { adminTargetsRoutes } from "./pages/admin-targets-page.ts";
import { adminTokensRoutes } from "./pages/admin-tokens-page.ts";
import { catalogPageRoutes } from "./pages/catalog-page.ts";
import { changesPageRoutes } from "./pages/changes-page.ts";
import { courseActionRoutes } from "./pages/course-actions.ts";
import { coursePageRoutes } from "./pages/course-page.ts";
import { feedsRoutes } from "./pages/feeds-page.ts";
import { loginRoutes } from "./pages/login-page.ts";
import { myCoursesRoutes } from "./pages/my-courses-page.ts";
import { networkSearchPageRoutes } from "./pages/network-search-page.ts";
import { oidcLoginRoutes } from "./pages/oidc-login.ts";
import { publicRoutes } from "./pages/public-pages.ts";
import { publishRoutes } from "./pages/publish-page.ts";
import { reportRoutes } from "./pages/report-pages.ts";
import { restoresRoutes } from "./pages/restores-page.ts";
import { rulesRoutes } from "./pages/rules-page.ts";
import { redirectTarget } from "./redirect-target.ts";
import { refuseControlCharacters } from "./refuse-control-characters.ts";
import { loadSession } from "./session-cookie.ts";
import type { WebDependencies, WebEnv } from "./web-env.ts";

/** Paths the web interface answers; everything else goes on to federation and the API. */
// "/catalog/*" also matches "/catalog" itself: listing both would run the middleware twice.
const WEB_PATHS = [
  "/login",
  "/login/oidc/*",
  "/logout",
  "/language",
  "/catalog/*",
  "/restores",
  "/feeds/*",
  "/admin/*",
  "/rules/*",
  "/publish/*",
  "/my-courses/*",
  "/actors/:identifier",
  "/courses/:id",
  "/tags/:tag",
];
/** The only pages that run a script: our own, the upload's progress bar. */
const SCRIPTED_PATHS = ["/publish/*"];

/**
 * The server-rendered web interface: sessions from a cookie, the page's language, an
 * address with control characters refused, CSRF checked on every POST, then one file of
 * routes per page. Pages call the same domain services as the API.
 */
export function createWebApp(dependencies: WebDependencies): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  assetRoutes(app);
  for (const path of WEB_PATHS) {
    app.use(
      path,
      secureHeaders({
        contentSecurityPolicy: {
          defaultSrc: ["'self'"],
          // No script runs on these pages but our own upload's; remote summaries could not run one anyway.
          scriptSrc: SCRIPTED_PATHS.includes(path) ? ["'self'"] : ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "https:", "data:"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      }),
      async (c, next) => {
        const language = chooseLanguage(
          getCookie(c, LANGUAGE_COOKIE),
          c.req.header("accept-language"),
        );
        c.set("language", language);
        c.set("t", CATALOGUES[language]);
        c.set("publicUrl", dependencies.publicUrl);
        c.set("siteName", dependencies.siteName);
        c.header("vary", "Cookie, Accept-Language");
        c.header("cache-control", "no-store");
        await next();
      },
      loadSession(dependencies.sessions, dependencies.publicUrl),
      refuseControlCharacters,
      checkCsrf,
    );
  }

  app.get("/language", (c) => {
    const language = parseLanguage(c.req.query("set"));
    if (language) {
      setCookie(c, LANGUAGE_COOKIE, language, {
        path: "/",
        sameSite: "Lax",
        secure: dependencies.publicUrl.protocol === "https:",
        maxAge: 365 * 24 * 3600,
      });
    }
    return c.redirect(redirectTarget(c.req.query("back"), dependencies.publicUrl), 303);
  });
  loginRoutes(app, dependencies);
  if (dependencies.oidc) {
    oidcLoginRoutes(app, {
      ...dependencies.oidc,
      publicUrl: dependencies.publicUrl,
      sessions: dependencies.sessions,
    });
  }
  catalogPageRoutes(app, dependencies);
  networkSearchPageRoutes(app, dependencies);
  coursePageRoutes(app, dependencies);
  changesPageRoutes(app, dependencies);
  courseActionRoutes(app, dependencies);
  restoresRoutes(app, dependencies);
  feedsRoutes(app, dependencies);
  publishRoutes(app, dependencies);
  myCoursesRoutes(app, dependencies);
  publicRoutes(app, dependencies);
  adminSettingsRoutes(app, dependencies);
  adminFollowRequestsRoutes(app, dependencies);
  adminPeersRoutes(app, dependencies);
  adminTargetsRoutes(app, dependencies);
  adminAccountsRoutes(app, dependencies);
  adminTokensRoutes(app, dependencies);
  adminAuditRoutes(app, dependencies);
  reportRoutes(app, dependencies);
  rulesRoutes(app, dependencies);
  return app;
}
