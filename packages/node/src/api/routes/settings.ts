import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AdminOnRecord } from "../../audit/audit-log.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { FEDERATION_MODES } from "../../settings/federation-policy.ts";
import { type InstitutionLogo, institutionLogoUrl } from "../../settings/institution-logo.ts";
import {
  type EffectiveSetting,
  type FederationSettings,
  SETTING_NAMES,
} from "../../settings/node-settings.ts";
import {
  changeInstitutionLogo,
  changeSettings,
  resetSetting,
} from "../../settings/settings-service.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { binaryBody } from "../binary-body.ts";
import { jsonBody } from "../json-request-body.ts";

const Policy = z
  .object({
    mode: z.enum(FEDERATION_MODES).openapi({
      description:
        "open: every server; allowlist: only the domains; blocklist: every server but the domains",
    }),
    domains: z
      .array(z.string())
      .openapi({ description: "Host names; each also covers its subdomains" }),
  })
  .openapi("FederationPolicy");

/** Who changed a setting and when; both null when the configuration's value is in force. */
const overrideFields = {
  changedBy: z.string().nullable(),
  changedAt: z.string().nullable(),
};

const Settings = z
  .object({
    policy: Policy.extend({ configured: Policy, ...overrideFields }),
    autoAccept: z.object({
      domains: z.array(z.string()),
      configured: z.array(z.string()),
      ...overrideFields,
    }),
  })
  .openapi("FederationSettings", {
    description:
      "The settings in force, the configuration's (coursefed serve --federation, --domains, --auto-accept) and who overrode them. Every process of the node applies a change within a few seconds.",
  });

const settingsResponse = {
  description: "The settings in force",
  content: { "application/json": { schema: Settings } },
} as const;

const show = createRoute({
  method: "get",
  path: "/settings/federation",
  summary: "The federation policy and the servers whose follow requests are auto-accepted (admin)",
  middleware: [requireAdmin] as const,
  responses: { 200: settingsResponse, ...refusals() },
});

const change = createRoute({
  method: "put",
  path: "/settings/federation",
  summary: "Override the federation policy, the auto-accepted servers, or both (admin)",
  description:
    "Checked by the configuration's rules (an allowlist needs a host; host names only); nothing is changed when either is refused. The override takes precedence over the configuration until reset.",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(
      z
        .object({
          policy: z
            .object({
              mode: z.string().openapi({ description: "open, allowlist or blocklist" }),
              domains: z.array(z.string().max(253)).max(1000).default([]),
            })
            .optional(),
          autoAccept: z.array(z.string().max(253)).max(1000).optional(),
        })
        .refine((body) => body.policy !== undefined || body.autoAccept !== undefined, {
          message: "Give policy, autoAccept or both.",
        })
        .openapi("FederationSettingsChange"),
    ),
  },
  responses: {
    200: settingsResponse,
    ...refusals({
      invalid_setting: "Refused by the configuration's rules (details.field names the part)",
    }),
  },
});

const reset = createRoute({
  method: "delete",
  path: "/settings/federation/{setting}",
  summary: "Drop an override: the configuration's value is in force again (admin)",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ setting: z.enum(SETTING_NAMES) }) },
  responses: { 200: settingsResponse, ...refusals() },
});

const Logo = z
  .object({
    url: z.string().nullable().openapi({
      description: "Where the logo is served (the institution actor's icon); null when none is set",
    }),
    mediaType: z.string().nullable(),
    sha256: z.string().nullable(),
    size: z.number().int().nullable(),
  })
  .openapi("InstitutionLogo");

const logoResponse = {
  description: "The logo in force",
  content: { "application/json": { schema: Logo } },
} as const;

const showLogo = createRoute({
  method: "get",
  path: "/settings/logo",
  summary: "The institution's logo, as its actor shows it (admin)",
  middleware: [requireAdmin] as const,
  responses: { 200: logoResponse, ...refusals() },
});

const setLogo = createRoute({
  method: "put",
  path: "/settings/logo",
  summary: "Set the institution's logo (admin)",
  description:
    "Send the image as the raw request body: PNG, JPEG or WebP, at most 512 KiB, checked by its content. SVG is refused (it may carry script). Servers that display the institution show it as its avatar once they fetch its actor again.",
  middleware: [requireAdmin] as const,
  request: {
    body: binaryBody,
  },
  responses: {
    200: logoResponse,
    ...refusals({
      invalid_logo: "An empty file",
      logo_too_large: "Larger than a logo may be",
      unsupported_logo_type: "Not a PNG, JPEG or WebP image (SVG included)",
    }),
  },
});

const removeLogo = createRoute({
  method: "delete",
  path: "/settings/logo",
  summary: "Remove the institution's logo (admin)",
  middleware: [requireAdmin] as const,
  responses: { 200: logoResponse, ...refusals() },
});

function logoJson(logo: InstitutionLogo | undefined, origin: string) {
  return {
    url: logo ? institutionLogoUrl(origin, logo).href : null,
    mediaType: logo?.mediaType ?? null,
    sha256: logo?.sha256 ?? null,
    size: logo?.bytes.length ?? null,
  };
}

function settingJson<T>(setting: EffectiveSetting<T>) {
  return {
    changedBy: setting.override?.updatedBy ?? null,
    changedAt: setting.override ? new Date(setting.override.updatedAt).toISOString() : null,
  };
}

function settingsJson({ policy, autoAccept }: FederationSettings) {
  return {
    policy: {
      mode: policy.value.mode,
      domains: [...policy.value.domains],
      configured: { mode: policy.configured.mode, domains: [...policy.configured.domains] },
      ...settingJson(policy),
    },
    autoAccept: {
      domains: [...autoAccept.value],
      configured: [...autoAccept.configured],
      ...settingJson(autoAccept),
    },
  };
}

/** The settings the admin console edits, for admin tokens: the same service, the same checks. */
export function settingsRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, audit, context }: ApiDependencies,
): void {
  const admin = (c: Context<ApiEnv>): AdminOnRecord => ({
    auditActor: auditActorOf(c.get("principal")),
    auditLog: audit,
  });

  app.openapi(show, async (c) => c.json(settingsJson(await services.settings.federation()), 200));

  app.openapi(change, async (c) => {
    const { policy, autoAccept } = c.req.valid("json");
    const settings = await changeSettings(services.settings, admin(c), {
      ...(policy ? { policy: { mode: policy.mode, domains: policy.domains.join(",") } } : {}),
      ...(autoAccept ? { autoAccept: autoAccept.join(",") } : {}),
    });
    return c.json(settingsJson(settings), 200);
  });

  app.openapi(showLogo, async (c) =>
    c.json(logoJson(await services.settings.institutionLogo(), context(c.req.raw).origin), 200),
  );

  app.openapi(setLogo, async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const logo = await changeInstitutionLogo(services.settings, admin(c), bytes);
    return c.json(logoJson(logo, context(c.req.raw).origin), 200);
  });

  app.openapi(removeLogo, async (c) => {
    await changeInstitutionLogo(services.settings, admin(c), null);
    return c.json(logoJson(undefined, context(c.req.raw).origin), 200);
  });

  app.openapi(reset, async (c) => {
    const settings = await resetSetting(services.settings, admin(c), c.req.valid("param").setting);
    return c.json(settingsJson(settings), 200);
  });
}
