/// The shell every Accord HTML page shares: one self-contained document with inline CSS, a
/// Content-Security-Policy that forbids every fetch and script (so even a missed escape could
/// not run code or reach the network), light and dark colours, and print rules.
enum HTMLPage {
    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" \
        content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>\(HTMLEscaping.escape(title))</title>
        <style>\(css)</style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static let css = """

        :root {
          color-scheme: light dark;
          --bg: #ffffff; --fg: #1c2127; --muted: #5a6570; --line: #d6dce2; --panel: #f4f6f8;
          --pass: #1a7f37; --pass-bg: #e6f4ea; --fail: #b42318; --fail-bg: #fdecea; --warn: #8a5a00;
          --warn-bg: #fff4d6; --band: rgba(180, 35, 24, 0.10);
          --c0: #1f6fd1; --c1: #d9480f; --c2: #2b8a3e; --c3: #9c36b5; --c4: #c2255c; --c5: #0c8599;
          --c6: #5c940d; --c7: #6741d9;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #121519; --fg: #e4e8ec; --muted: #9aa5b1; --line: #333b44; --panel: #1b2026;
            --pass: #5fd27a; --pass-bg: #15301d; --fail: #ff7b6e; --fail-bg: #3a1815; --warn: #f0b640;
            --warn-bg: #33290f; --band: rgba(255, 123, 110, 0.16);
            --c0: #6aa9ff; --c1: #ff8f4d; --c2: #69db7c; --c3: #da77f2; --c4: #f783ac; --c5: #3bc9db;
            --c6: #a9e34b; --c7: #9775fa;
          }
        }
        * { box-sizing: border-box; }
        body {
          margin: 0 auto; max-width: 1200px; padding: 24px; background: var(--bg); color: var(--fg);
          font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
        }
        h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
        h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 15px; margin: 16px 0 8px; }
        section { margin: 0 0 28px; }
        p { margin: 6px 0; }
        .muted, caption { color: var(--muted); }
        code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 0 0 16px; }
        td:first-child { min-width: 9em; }
        caption { text-align: left; padding: 0 0 6px; }
        th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: var(--panel); font-weight: 600; }
        td { overflow-wrap: anywhere; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        .verdict { display: inline-block; padding: 6px 14px; border-radius: 6px; font-size: 18px; font-weight: 700; }
        .pass { color: var(--pass); }
        .fail { color: var(--fail); }
        .verdict.pass { background: var(--pass-bg); }
        .verdict.fail { background: var(--fail-bg); }
        .badge { display: inline-block; min-width: 48px; padding: 1px 8px; border-radius: 4px; font-weight: 700;
          text-align: center; }
        .badge.pass { background: var(--pass-bg); }
        .badge.fail { background: var(--fail-bg); }
        .note { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 8px 12px; margin: 8px 0;
          overflow-wrap: anywhere; }
        .kinds { list-style: none; margin: 2px 0 0; padding: 0; color: var(--muted); font-size: 12px; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .finding { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 4px;
          padding: 10px 14px; margin: 0 0 12px; break-inside: avoid; }
        .finding h3 { margin: 0 0 6px; overflow-wrap: anywhere; }
        svg.chart { width: 100%; height: auto; display: block; background: var(--bg); }
        svg.chart text { fill: var(--muted); font-size: 12px; font-family: inherit; }
        svg.chart .grid line { stroke: var(--line); stroke-width: 1; }
        svg.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
        svg.chart .line.dashed { stroke-dasharray: 6 4; stroke-width: 1.5; }
        svg.chart .band rect { fill: var(--band); }
        svg.chart .band text { fill: var(--fail); }
        .legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
        .legend li { overflow-wrap: anywhere; }
        .swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; vertical-align: middle;
          margin-right: 6px; }
        .swatch.dashed { border-top-style: dashed; }
        .s0 { stroke: var(--c0); border-color: var(--c0); } .f0 { fill: var(--c0); }
        .s1 { stroke: var(--c1); border-color: var(--c1); } .f1 { fill: var(--c1); }
        .s2 { stroke: var(--c2); border-color: var(--c2); } .f2 { fill: var(--c2); }
        .s3 { stroke: var(--c3); border-color: var(--c3); } .f3 { fill: var(--c3); }
        .s4 { stroke: var(--c4); border-color: var(--c4); } .f4 { fill: var(--c4); }
        .s5 { stroke: var(--c5); border-color: var(--c5); } .f5 { fill: var(--c5); }
        .s6 { stroke: var(--c6); border-color: var(--c6); } .f6 { fill: var(--c6); }
        .s7 { stroke: var(--c7); border-color: var(--c7); } .f7 { fill: var(--c7); }
        footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
        @media print {
          :root {
            --bg: #ffffff; --fg: #000000; --muted: #444444; --line: #bbbbbb; --panel: #eeeeee;
            --pass: #0b5d1e; --fail: #9b1c13; --warn: #6b4500;
            --c0: #1f6fd1; --c1: #d9480f; --c2: #2b8a3e; --c3: #9c36b5; --c4: #c2255c; --c5: #0c8599;
            --c6: #5c940d; --c7: #6741d9;
          }
          body { max-width: none; padding: 0; font-size: 11px; }
          section { break-inside: avoid-page; }
          .table-wrap { overflow: visible; }
          svg.chart, table, .finding { break-inside: avoid; }
          h2 { break-after: avoid; }
        }

        """
}
