/* MAPPA glossary popovers for any web site.
 *
 *   <script src="https://HOST/embed.js" defer></script>
 *
 * turns every <abbr data-mappa>SOPO</abbr> (the term is the text) and every element with
 * data-mappa="lay adviser" (the term is the attribute) into a definition popover read from
 * HOST's /glossary/search. Terms the glossary does not know are left exactly as they were.
 *
 * Rules this file keeps so that it can never harm the page that includes it: no globals but
 * window.MappaGlossary.refresh() (for content added later), server text only via textContent,
 * links only to HOST, no classes or styles on the page's own elements (only tabindex and
 * aria-describedby), and nothing a strict Content-Security-Policy forbids: the popover lives in a
 * shadow root styled by a constructed stylesheet and is positioned through CSSOM properties.
 */
(() => {
  'use strict';

  const TAG = 'mappa-glossary-tip';
  const MAX_TERM = 200; // the API refuses longer search texts
  const MAX_PARALLEL = 4; // requests in flight at once, however many terms a page has
  const HOVER_DELAY = 300; // ms to move the pointer from the term into the popover to reach its link
  const BLUR_DELAY = 150; // ms: a click on the popover's link blurs the term before the click lands
  const GAP = 8; // px between the term and the popover, and between the popover and the viewport
  const FOCUSABLE =
    'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable]';

  // The host is in the page's tree, so the page's !important rules could reach it: the properties that
  // matter are !important here, which wins from inside a shadow root. Not left and top: those come from
  // place(), and an !important rule here would beat them.
  const CSS = `
    :host { all: initial; display: block !important; position: fixed !important;
      z-index: 2147483000 !important; max-width: min(340px, calc(100vw - ${2 * GAP}px)) !important; }
    :host([hidden]) { display: none !important; }
    .card { box-sizing: border-box; max-height: calc(100vh - ${2 * GAP}px); overflow: auto; margin: 0;
      padding: 12px 14px; background: #fff; color: #1b1b1b; border: 1px solid #505a5f; border-radius: 4px;
      box-shadow: 0 4px 16px rgba(0, 0, 0, .25); text-align: left; white-space: normal;
      font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    p { margin: 0 0 8px; }
    p:last-child { margin-bottom: 0; }
    strong { font-weight: 700; }
    .abbr { color: #505a5f; }
    a { color: #1d4f91; text-decoration: underline; }
    a:hover { color: #003078; text-decoration-thickness: 3px; }
    a:focus { outline: 3px solid #ffdd00; outline-offset: 0; background: #ffdd00; color: #0b0c0c;
      box-shadow: 0 4px #0b0c0c; text-decoration: none; }
    @media (forced-colors: active) { .card { border: 2px solid CanvasText; } }
  `;

  // A thrown error in a listener would reach the page's console and window.onerror: swallow them.
  const guard = (fn) => (...args) => {
    try {
      return fn(...args);
    } catch (_) {
      return undefined;
    }
  };
  const on = (target, type, fn, options) => target.addEventListener(type, guard(fn), options);

  let origin;
  try {
    if (window.MappaGlossary) {
      window.MappaGlossary.refresh(); // included twice: one copy is enough
      return;
    }
    // Captured now: document.currentScript is only set while this script is first run.
    const current = document.currentScript;
    const script = current && current.src ? current : document.querySelector('script[src$="/embed.js"]');
    origin = new URL(script.src, document.baseURI).origin;
    if (!/^https?:/.test(origin)) return;
  } catch (_) {
    return;
  }

  // --- asking the glossary ------------------------------------------------------------------------

  const cache = new Map(); // normalised term -> Promise of a concept, or null when there is none
  const queue = [];
  let running = 0;

  function lookup(term) {
    const key = term.toLowerCase();
    if (!cache.has(key)) {
      const found = limited(() => fetchConcept(term));
      // undefined is a failure (offline, server error): forget it so that refresh() asks again.
      found.then((concept) => concept === undefined && cache.delete(key));
      cache.set(key, found);
    }
    return cache.get(key);
  }

  function limited(task) {
    return new Promise((resolve) => {
      queue.push(() =>
        task()
          .catch(() => undefined)
          .then((value) => {
            running -= 1;
            next();
            resolve(value);
          }),
      );
      next();
    });
  }

  function next() {
    while (running < MAX_PARALLEL && queue.length) {
      running += 1;
      queue.shift()();
    }
  }

  async function fetchConcept(term) {
    const url = `${origin}/glossary/search?q=${encodeURIComponent(term)}&limit=1`;
    // Accept is a CORS-safelisted header and credentials are omitted: a simple request, no preflight.
    const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'omit' });
    if (!response.ok) return response.status >= 500 ? undefined : null;
    const body = await response.json();
    return usable(body && Array.isArray(body.results) ? body.results[0] : null);
  }

  // Only the fields we show, checked: the page must not depend on the server's JSON being well formed.
  function usable(found) {
    if (!found || typeof found.label !== 'string' || !found.label.trim()) return null;
    const label = found.label.trim();
    const names = Array.isArray(found.abbreviations) ? found.abbreviations : [];
    return {
      label,
      abbreviations: names.filter((name) => typeof name === 'string' && name && name !== label),
      summary: typeof found.summary === 'string' ? found.summary.trim() : '',
      // The trailing slash matters: https://host.example must not let https://host.example.evil through.
      page: typeof found.page === 'string' && found.page.startsWith(`${origin}/`) ? found.page : null,
    };
  }

  // --- finding terms --------------------------------------------------------------------------------

  const tips = new Map(); // term element -> its popover
  const waiting = new WeakSet(); // term elements whose lookup has not answered yet
  let current = null; // the open popover
  let timer = 0;
  let closing = false; // close() is handing the focus back to the term
  let counter = 0;
  let sheet = null;

  function refresh() {
    const lookups = [];
    try {
      if (current && !current.el.isConnected) close();
      for (const [el, tip] of tips) {
        if (!el.isConnected) {
          tip.host.remove();
          tips.delete(el);
        }
      }
      for (const el of document.querySelectorAll('[data-mappa]')) {
        if (tips.has(el) || waiting.has(el)) continue;
        const term = (el.getAttribute('data-mappa').trim() || el.textContent.trim()).replace(/\s+/g, ' ');
        if (!term || term.length > MAX_TERM) continue;
        waiting.add(el);
        const done = lookup(term).then(
          guard((concept) => {
            waiting.delete(el);
            if (concept && el.isConnected && !tips.has(el)) attach(el, concept);
          }),
        );
        lookups.push(done);
      }
    } catch (_) {
      // leave the page as it is
    }
    return Promise.all(lookups).then(() => undefined);
  }

  function make(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function adopt(root) {
    try {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      // Browsers without constructable stylesheets: a <style> that stays inside the shadow root.
      root.append(make('style', '', CSS));
    }
  }

  function attach(el, concept) {
    // The role and id sit on the host, in the page's own tree: aria-describedby cannot point across a
    // shadow boundary, but the description computed from the host includes its shadow content.
    const host = document.createElement(TAG);
    do host.id = `${TAG}-${++counter}`;
    while (document.getElementById(host.id));
    host.setAttribute('role', 'tooltip');
    host.setAttribute('lang', 'en');
    host.hidden = true;
    const root = host.attachShadow({ mode: 'open' });
    adopt(root);

    const card = make('div', 'card');
    const title = make('p', 'title');
    title.append(make('strong', '', concept.label));
    if (concept.abbreviations.length) title.append(' ', make('span', 'abbr', `(${concept.abbreviations.join(', ')})`));
    card.append(title);
    if (concept.summary) card.append(make('p', 'summary', concept.summary));
    let link = null;
    if (concept.page) {
      link = make('a', 'more', `More about ${concept.label}`);
      link.href = concept.page;
      card.append(make('p'));
      card.lastChild.append(link);
    }
    root.append(card);
    document.body.append(host);

    const tip = { el, host, root, link, hover: false, touch: false };
    tips.set(el, tip);
    if (!el.hasAttribute('tabindex') && el.tabIndex < 0) el.tabIndex = 0;
    const described = el.getAttribute('aria-describedby');
    el.setAttribute('aria-describedby', described ? `${described} ${host.id}` : host.id);

    on(el, 'focus', () => tip.touch || closing || open(tip)); // a tap opens through 'click' instead
    on(el, 'blur', () => later(tip, BLUR_DELAY));
    on(root, 'focusout', () => later(tip, BLUR_DELAY));
    on(el, 'pointerenter', (e) => {
      if (e.pointerType !== 'mouse') return;
      tip.hover = true;
      open(tip);
    });
    on(el, 'pointerleave', (e) => {
      if (e.pointerType !== 'mouse') return;
      tip.hover = false;
      later(tip, HOVER_DELAY);
    });
    on(host, 'pointerenter', () => (tip.hover = true));
    on(host, 'pointerleave', () => {
      tip.hover = false;
      later(tip, HOVER_DELAY);
    });
    // Touch: a tap toggles. A tap also focuses the term, which must not open it just to close it again.
    on(el, 'pointerdown', (e) => (tip.touch = e.pointerType !== 'mouse'));
    on(el, 'pointercancel', () => (tip.touch = false));
    on(el, 'click', () => {
      if (!tip.touch) return;
      tip.touch = false;
      if (current === tip) close();
      else open(tip);
    });
    // Keyboard users reach the "More" link with Tab from the term; Tab again goes on through the page.
    on(el, 'keydown', (e) => {
      if (e.key !== 'Tab' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
      if (current !== tip || !tip.link) return;
      e.preventDefault();
      tip.link.focus();
    });
    on(root, 'keydown', (e) => {
      if (e.key !== 'Tab') return;
      e.preventDefault();
      if (e.shiftKey) return el.focus();
      close();
      focusAfter(el);
    });
  }

  // The next element in tab order after el (positive tabindex aside), as if Tab had left el itself.
  function focusAfter(el) {
    for (const candidate of document.querySelectorAll(FOCUSABLE)) {
      const after = el.compareDocumentPosition(candidate) & Node.DOCUMENT_POSITION_FOLLOWING;
      if (after && candidate.tabIndex >= 0 && !candidate.disabled && candidate.getClientRects().length) {
        candidate.focus();
        return;
      }
    }
    if (document.activeElement) document.activeElement.blur();
  }

  // --- showing and hiding -------------------------------------------------------------------------

  function open(tip) {
    clearTimeout(timer);
    if (current === tip) return;
    close();
    if (!tip.host.isConnected) document.body.append(tip.host); // the page replaced its body
    current = tip;
    tip.host.hidden = false;
    place(tip);
  }

  function close() {
    clearTimeout(timer);
    if (!current) return;
    const tip = current;
    current = null;
    if (tip.root.activeElement) {
      // Focus must not vanish with the popover (so move it first); back on the term, it must not reopen it.
      closing = true;
      tip.el.focus();
      closing = false;
    }
    tip.host.hidden = true;
  }

  // Close unless, by then, the pointer or the focus is on the term or in its popover.
  function later(tip, delay) {
    clearTimeout(timer);
    timer = setTimeout(
      guard(() => {
        const kept = tip.hover || tip.el.matches(':focus') || tip.root.activeElement;
        if (current === tip && !kept) close();
      }),
      delay,
    );
  }

  // Below the term, above it when only there is room, always inside the viewport (position: fixed).
  function place(tip) {
    const style = tip.host.style;
    style.left = '0px'; // measured at the left edge, so that the width is not squeezed by the old place
    style.top = '0px';
    const box = tip.host.getBoundingClientRect();
    const term = tip.el.getBoundingClientRect();
    const width = Math.min(window.innerWidth, document.documentElement.clientWidth || Infinity);
    const height = Math.min(window.innerHeight, document.documentElement.clientHeight || Infinity);
    let top = term.bottom + GAP;
    const above = term.top - GAP - box.height;
    if (top + box.height > height - GAP && (above >= GAP || term.top > height - term.bottom)) top = above;
    top = Math.max(GAP, Math.min(top, height - box.height - GAP));
    const left = Math.max(GAP, Math.min(term.left, width - box.width - GAP));
    style.left = `${Math.round(left)}px`;
    style.top = `${Math.round(top)}px`;
  }

  try {
    on(document, 'keydown', (e) => e.key === 'Escape' && close(), true);
    // A tap or click elsewhere closes it (touch browsers do not always move the focus).
    on(document, 'pointerdown', (e) => {
      const path = e.composedPath();
      if (current && !path.includes(current.el) && !path.includes(current.host)) close();
    }, true);
    const follow = () => current && place(current);
    on(window, 'scroll', follow, { capture: true, passive: true });
    on(window, 'resize', follow, { passive: true });

    window.MappaGlossary = Object.freeze({ refresh });
    if (document.readyState === 'loading') on(document, 'DOMContentLoaded', refresh, { once: true });
    else refresh();
  } catch (_) {
    // leave the page as it is
  }
})();
