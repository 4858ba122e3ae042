// The console's page shell and its style sheet; console/ui draws everything inside <main>.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rill console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console.css">
</head>
<body>
<header>
  <span class="brand">Rill console</span>
  <nav>
    <a href="#/cluster" data-page="cluster">Cluster</a>
    <a href="#/topics" data-page="topics">Topics</a>
    <a href="#/groups" data-page="groups">Consumer groups</a>
    <a href="#/schemas" data-page="schemas">Schemas</a>
    <a href="#/apps" data-page="apps">Stream apps</a>
  </nav>
  <span id="status"></span>
</header>
<main id="main"></main>
<script src="/console.js"></script>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root { --fg: #1d2733; --muted: #66717e; --line: #dde3ea; --accent: #1f6feb; --bad: #c62828; --ok: #2e7d32; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #14202e; color: #fff; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header nav a { color: #c9d4e0; text-decoration: none; margin-right: 16px; padding: 4px 0; }
header nav a.active { color: #fff; border-bottom: 2px solid #58a6ff; }
#status { margin-left: auto; font-size: 12px; color: #9fb0c2; }
#status.error { color: #ffb4a9; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 22px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; color: #3b4754; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 140px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef2f6; font-weight: 600; font-size: 12px; color: #3b4754; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.warn td { background: #fff4e5; }
.flag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; }
.flag.bad { background: #fde0dc; color: var(--bad); }
.flag.ok { background: #e3f3e4; color: var(--ok); }
.flag.info { background: #e1ecfb; color: var(--accent); }
a { color: var(--accent); }
.error { color: var(--bad); }
.muted { color: var(--muted); }
form.seek { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; background: #fff; border: 1px solid var(--line); padding: 10px; border-radius: 6px; margin-bottom: 10px; }
form.seek label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.seek input, form.seek select { font: inherit; padding: 3px 6px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, monospace; }
pre.schema { background: #fff; border: 1px solid var(--line); padding: 8px; max-height: 260px; overflow: auto; }
.drawing { background: #fff; border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; margin-bottom: 8px; }
`;
