/**
 * The web UI's stylesheet. One column on a phone, two from 960 px; every control is a visible button or field at
 * least 44 px high (nothing depends on hover), and inputs use 16 px text so that phones do not zoom into them.
 */
export const APP_STYLE = `:root {
  --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #5d6675; --line: #d9dee6;
  --accent: #1f5fbf; --firing: #c0262d; --silenced: #6b5bb5; --inhibited: #8a6d00; --ok: #227a3d;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px; line-height: 1.4;
  color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #12151b; --card: #1b2029; --fg: #e4e8ef; --muted: #9aa4b3; --line: #2d3442;
    --accent: #6ea2ff; --firing: #ff6b6b; --silenced: #b3a6ff; --inhibited: #e0b84d; --ok: #5fcf7f; }
}
* { box-sizing: border-box; }
body { margin: 0; }
h1 { font-size: 1.2rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1rem 0 .5rem; }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem;
  background: var(--card); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
.top #refresh { margin-left: auto; }
#updated { font-size: .8rem; }
main { padding: 0 1rem 2rem; max-width: 1400px; margin: 0 auto; }
@media (min-width: 960px) { main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; } }
.muted { color: var(--muted); }
.small { font-size: .85rem; }
.count { color: var(--muted); font-weight: normal; }
.banner { margin: .5rem 1rem; padding: .6rem .8rem; border-radius: 6px; background: #fde8e8; color: #7a1018; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; margin-bottom: .75rem; }
.group-head { display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; margin-bottom: .4rem; }
.receiver { color: var(--muted); font-size: .85rem; margin-left: auto; }
.chip { display: inline-block; max-width: 100%; overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: .8rem; padding: .05rem .4rem; border: 1px solid var(--line); border-radius: 4px; }
.group-head .chip { font-weight: 600; }
.alert { border-top: 1px solid var(--line); padding: .5rem 0; display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: .3rem .75rem; }
.alert:first-of-type { border-top: 0; }
.alert .what { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
.alert .name { font-weight: 600; overflow-wrap: anywhere; min-width: 0; }
.alert .summary { grid-column: 1 / -1; overflow-wrap: anywhere; }
.alert details, .alert .when { grid-column: 1 / -1; }
.alert .actions { grid-row: 1; grid-column: 2; align-self: start; }
details summary { cursor: pointer; min-height: 32px; color: var(--accent); }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; font-size: .85rem; }
.state { font-size: .75rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; padding: .05rem .4rem; border-radius: 4px; color: #fff; }
.state.active, .state.firing { background: var(--firing); }
.state.silenced { background: var(--silenced); }
.state.inhibited { background: var(--inhibited); }
.state.resolved, .state.pending { background: var(--ok); }
.state.flapping { background: var(--inhibited); }
.state.expired { background: var(--muted); }
button { font: inherit; min-height: 44px; padding: .4rem .9rem; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: transparent; color: var(--firing); border-color: var(--firing); }
button:disabled { opacity: .5; cursor: default; }
input, select, textarea { font: inherit; font-size: 16px; min-height: 44px; padding: .35rem .5rem; width: 100%;
  border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--fg); }
textarea { min-height: 3.2rem; }
label { display: block; margin: .4rem 0; }
label.check { display: flex; gap: .5rem; align-items: center; }
label.check input, .matcher input[type=checkbox] { width: 22px; min-height: 22px; height: 22px; flex: none; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .5rem; padding: .4rem .6rem .6rem; }
legend { padding: 0 .3rem; }
.matcher { display: grid; grid-template-columns: 22px minmax(0, 1fr) 4.2rem minmax(0, 1.4fr) auto; gap: .4rem; align-items: center; margin-bottom: .4rem; }
.matcher select { padding: .35rem .2rem; }
.matcher button { padding: .2rem .6rem; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 0 .75rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; }
#silence-form { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
#silence-form.highlight { outline: 3px solid var(--accent); }
#form-message.error { color: var(--firing); }
#form-message.ok { color: var(--ok); }
.silence .matchers { display: flex; flex-wrap: wrap; gap: .3rem; margin: .3rem 0; }
.silence .meta { display: flex; flex-wrap: wrap; gap: .3rem .6rem; align-items: center; }
.silence .comment { overflow-wrap: anywhere; margin: .2rem 0 .4rem; }
#history { list-style: none; padding: 0; margin: 0; }
#history li { display: flex; flex-wrap: wrap; gap: .3rem .5rem; align-items: center; padding: .35rem 0; border-top: 1px solid var(--line); }
#history li:first-child { border-top: 0; }
#history time { color: var(--muted); font-size: .85rem; min-width: 4.5rem; }
.empty { color: var(--muted); padding: .4rem 0; }
@media (max-width: 480px) {
  .matcher { grid-template-columns: 22px minmax(0, 1fr) 4rem auto; }
  .matcher .remove { grid-row: 1; grid-column: 4; }
  .matcher .value { grid-row: 2; grid-column: 2 / -1; }
  .fields { grid-template-columns: 1fr; }
}
`;
