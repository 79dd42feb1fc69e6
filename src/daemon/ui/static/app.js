// The console's live updates (a plain ES module, no build step, no framework).
//
// The page subscribes to /ui/events (server-sent events: a job changed state, or an owner
// decided). On each event, after a short pause that gathers bursts, it fetches the current page
// again and swaps each live region (an element with an id and a `data-live` attribute) whose
// markup changed: the pending list, the history, the job's state, the overview's counts. It
// never swaps a region holding the focused control or a field the user has typed into, and
// never reloads the whole page. The session cookie goes with each request; nothing here reads
// or stores a secret.

const PAUSE_MS = 250;

/** The live regions of the page. */
function liveRegions() {
  return Array.from(document.querySelectorAll('[data-live][id]'));
}

/** Whether the user is working inside `el` (focus on a control, or a field typed into). */
function busy(el) {
  const active = document.activeElement;
  if (
    active &&
    active !== document.body &&
    el.contains(active) &&
    active.matches('input, textarea, select, button')
  )
    return true;
  for (const field of el.querySelectorAll('textarea, input:not([type="hidden"]), select')) {
    if ('defaultValue' in field && field.value !== field.defaultValue) return true;
  }
  return false;
}

/** Tells screen readers (and sighted users) what happened. */
function announce(text) {
  const status = document.getElementById('live-status');
  if (status) status.textContent = text;
}

let source;
let timer;
let running = false;
let again = false;

/** Fetches the page again and swaps the live regions that changed. */
async function refresh() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    const res = await fetch(window.location.href, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'text/html' },
    });
    if (res.status === 401) {
      announce('Your console session ended: run "peermpc ui" to log in again.');
      if (source) source.close();
      return;
    }
    if (!res.ok) return;
    const next = new DOMParser().parseFromString(await res.text(), 'text/html');
    let changed = 0;
    for (const region of liveRegions()) {
      const fresh = next.getElementById(region.id);
      if (!fresh || !fresh.hasAttribute('data-live')) continue;
      if (fresh.outerHTML === region.outerHTML || busy(region)) continue;
      region.replaceWith(document.importNode(fresh, true));
      changed++;
    }
    if (changed > 0) announce(`Updated at ${new Date().toLocaleTimeString()}`);
  } catch {
    // the daemon may be restarting: the next event tries again
  } finally {
    running = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, PAUSE_MS);
}

if (liveRegions().length > 0 && typeof EventSource === 'function') {
  source = new EventSource('/ui/events');
  source.addEventListener('job', schedule);
  // (re)connected: catch up with what changed between the page's rendering and now
  source.addEventListener('open', schedule);
  window.addEventListener('pagehide', () => source.close());
}
