/**
 * The web UI's page. It is static: everything that comes from alerts is filled in by the script as text, so nothing
 * untrusted is ever written into HTML. Asset and API paths are relative (see uiRoutes).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Kiln alerter</title>
<link rel="stylesheet" href="ui/app.css">
<link rel="icon" href="ui/icon.svg" type="image/svg+xml">
<script src="ui/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1>Kiln alerter</h1>
  <span id="updated" class="muted" aria-live="polite">loading…</span>
  <button type="button" id="refresh">Refresh</button>
</header>
<div id="error" class="banner" role="alert" hidden></div>
<noscript><p class="banner">This page needs JavaScript. The API is at <a href="api/v2/alerts">api/v2/alerts</a>.</p></noscript>
<main>
  <section id="alerts" aria-labelledby="alerts-title">
    <h2 id="alerts-title">Firing <span id="alert-count" class="count"></span></h2>
    <div id="groups"></div>
  </section>
  <div class="side">
    <section id="silence" aria-labelledby="silence-title">
      <h2 id="silence-title">New silence</h2>
      <form id="silence-form" autocomplete="on">
        <fieldset>
          <legend>Matchers</legend>
          <p class="muted small">Prefilled from an alert's labels; untick a label to silence more alerts.</p>
          <div id="matchers"></div>
          <button type="button" id="add-matcher" class="secondary">Add matcher</button>
        </fieldset>
        <div class="fields">
          <label>Duration <input id="duration" name="duration" value="2h" required inputmode="text" autocapitalize="off" spellcheck="false"></label>
          <label>Created by <input id="created-by" name="createdBy" required autocapitalize="off" autocomplete="username"></label>
        </div>
        <p id="ends" class="muted small"></p>
        <label>Comment <textarea id="comment" name="comment" rows="2" required></textarea></label>
        <label class="check"><input type="checkbox" id="ends-when-resolved"> End when its alerts resolve</label>
        <div class="actions">
          <button type="submit" id="create-silence">Create silence</button>
          <button type="reset" class="secondary">Clear</button>
        </div>
        <p id="form-message" role="status"></p>
      </form>
    </section>
    <section id="silences-section" aria-labelledby="silences-title">
      <h2 id="silences-title">Silences <span id="silence-count" class="count"></span></h2>
      <div id="silences"></div>
    </section>
    <section id="history-section" aria-labelledby="history-title">
      <h2 id="history-title">Recent changes</h2>
      <ol id="history"></ol>
    </section>
  </div>
</main>
</body>
</html>
`;
