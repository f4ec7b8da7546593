/**
 * The meshprobe web UI (issue 18, docs/web.md): served by the hub at `/`, same origin as the
 * API, no third-party requests, a strict Content-Security-Policy. The session is an httpOnly
 * cookie (hub/http/web/web-sessions.ts); this script only ever sees the CSRF token.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, loadSession, type SessionInfo } from './api.ts';
import { applyGradeColours, html } from './html.ts';
import { AgentsPage, type ListedAgent, MonitorsPage, SharePage, SignInPage, TokensPage } from './views/pages.ts';
import { RunView } from './views/run-view.ts';

type Tab = 'run' | 'agents' | 'monitors' | 'tokens';
const TABS: Tab[] = ['run', 'agents', 'monitors', 'tokens'];
const THEME_KEY = 'meshprobe.theme';

function applyTheme(theme: string | null): void {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset['theme'] = theme;
  else delete document.documentElement.dataset['theme'];
}

function tabOfHash(): Tab {
  const t = location.hash.slice(1) as Tab;
  return TABS.includes(t) ? t : 'run';
}

function App() {
  const [session, setSession] = useState<SessionInfo | undefined>(undefined);
  const [tab, setTab] = useState<Tab>(tabOfHash());
  const [agents, setAgents] = useState<ListedAgent[]>([]);
  const [agentsError, setAgentsError] = useState('');
  const signinError = new URLSearchParams(location.search).get('signin_error') ?? '';

  async function refresh() {
    try {
      setSession(await loadSession());
    } catch {
      setSession({ signedIn: false });
    }
  }
  useEffect(() => {
    void refresh();
    // The cookie's token lives 15 minutes; the hub renews it past half-life when asked.
    const t = setInterval(() => void loadSession().catch(() => undefined), 4 * 60_000);
    const onHash = () => setTab(tabOfHash());
    addEventListener('hashchange', onHash);
    return () => (clearInterval(t), removeEventListener('hashchange', onHash));
  }, []);
  useEffect(() => {
    if (!session?.signedIn) return;
    api<{ agents: ListedAgent[] }>('/v1/agents')
      .then((r) => (setAgents(r.agents), setAgentsError('')))
      .catch((e) => setAgentsError((e as Error).message));
  }, [session?.signedIn, tab]);

  async function signOut() {
    await api('/v1/session', { method: 'DELETE' }).catch(() => undefined);
    await refresh();
  }
  function toggleTheme() {
    const dark = document.documentElement.dataset['theme'] === 'dark' || (!document.documentElement.dataset['theme'] && matchMedia('(prefers-color-scheme: dark)').matches);
    const next = dark ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  }

  const share = /^\/s\/([A-Za-z0-9_-]+)$/.exec(location.pathname);
  return html`<header class="top">
      <a class="brand" href="/">meshprobe</a>
      ${session?.signedIn && !share ? html`<nav>${TABS.map((t) => html`<a href=${`#${t}`} class=${t === tab ? 'tab active' : 'tab'} aria-current=${t === tab ? 'page' : undefined}>${t}</a>`)}</nav>` : null}
      <span class="who">${session?.signedIn ? html`<span class="sub">${session.sub}</span> <button type="button" onClick=${signOut}>Sign out</button>` : null}
        <button type="button" class="theme" onClick=${toggleTheme} aria-label="switch dark or light">◐</button></span>
    </header>
    <main>${
      share
        ? html`<${SharePage} id=${share[1]} />`
        : !session
          ? html`<p>loading…</p>`
          : !session.signedIn
            ? html`<${SignInPage} session=${session} onSignedIn=${refresh} error=${signinError} />`
            : tab === 'agents'
              ? html`<${AgentsPage} agents=${agents} error=${agentsError} />`
              : tab === 'monitors'
                ? html`<${MonitorsPage} session=${session} />`
                : tab === 'tokens'
                  ? html`<${TokensPage} session=${session} />`
                  : html`<${RunView} agents=${agents} />`
    }</main>`;
}

applyTheme(localStorage.getItem(THEME_KEY));
applyGradeColours(document.documentElement);
render(html`<${App} />`, document.getElementById('app')!);
