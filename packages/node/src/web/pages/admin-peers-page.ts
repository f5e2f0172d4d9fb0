import type { Hono } from "hono";
import { html } from "hono/html";
import { type PeerState, peerState } from "../../peers/peer-repository.ts";
import { federatesWith } from "../../settings/federation-policy.ts";
import { formatDateTime } from "../format.ts";
import { requireRole } from "../roles.ts";
import type { WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage } from "./admin-shell.ts";

const BADGE: Readonly<Record<PeerState, string>> = {
  ok: "badge-ok",
  retrying: "badge-running",
  failing: "badge-error",
  blocked: "badge-neutral",
};

/** Delivery to each peer server, as GET /api/v1/peers reports it. */
export function adminPeersRoutes(app: Hono<WebEnv>, { services }: WebDependencies): void {
  app.get("/admin/peers", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const language = c.get("language");
    const when = (time: number | null) =>
      time === null
        ? html`<span class="empty">${t.never}</span>`
        : html`<time datetime="${new Date(time).toISOString()}">${formatDateTime(time, language)}</time>`;
    const policy = await services.settings.federationPolicy();
    const peers = (await services.peers.all()).map((peer) => ({
      peer,
      state: peerState(peer, federatesWith(policy, peer.host.replace(/:\d+$/, ""))),
    }));
    return adminPage(c, {
      section: "/admin/peers",
      title: t.peersTitle,
      intro: t.peersIntro,
      main: peers.length
        ? // Wider than a phone: scrolled with the keyboard too (it holds nothing focusable).
          html`<div class="table-scroll" tabindex="0" role="region" aria-label="${t.peersTitle}"><table class="striped">
<thead><tr><th scope="col">${t.peerHost}</th><th scope="col">${t.peerState}</th><th scope="col">${t.peerDeliveries}</th><th scope="col">${t.peerFailures}</th><th scope="col">${t.peerLastDelivery}</th><th scope="col">${t.peerLastError}</th></tr></thead>
<tbody>${peers.map(
            ({ peer, state }) =>
              html`<tr><th scope="row"><code>${peer.host}</code></th><td><span class="badge ${BADGE[state]}">${t.peerStates[state]}</span></td><td>${peer.deliveries}</td><td>${peer.failures}${peer.consecutiveFailures ? html` <small>(${t.inARow(peer.consecutiveFailures)})</small>` : ""}</td><td>${when(peer.lastDeliveredAt)}</td><td>${peer.lastError ? html`<small class="error-text">${peer.lastError}</small><br><small>${when(peer.lastFailedAt)}</small>` : html`<span class="empty">—</span>`}</td></tr>`,
          )}</tbody>
</table></div>
<p><small>${t.peerStatesHelp}</small></p>`
        : html`<article class="empty"><p>${t.noPeers}</p></article>`,
    });
  });
}
